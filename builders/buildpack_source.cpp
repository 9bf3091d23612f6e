#include "builders/buildpack_source.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

namespace porter::builders {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHttpsOnly = "porter fetches git buildpacks only over https://";

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

Result<BuildpackSource> refuse(const std::string& why) { return fail("build.buildpacks: " + why); }

// Strictly inside `root` (not root itself), compared lexically.
bool is_strictly_beneath(fs::path path, fs::path root) {
  path = path.lexically_normal();
  root = root.lexically_normal();
  if (path.filename().empty()) path = path.parent_path();  // "/a/b/" -> "/a/b"
  if (root.filename().empty()) root = root.parent_path();
  if (!root.is_absolute()) return false;
  const auto relative = path.lexically_relative(root);
  return !relative.empty() && relative != "." && *relative.begin() != "..";
}

// A short name made only of safe characters (progress lines, directory names).
std::string short_name(std::string name) {
  static const std::regex safe("[A-Za-z0-9._-]+");
  if (name.ends_with(".git")) name.erase(name.size() - 4);
  if (!std::regex_match(name, safe) || name == "." || name == "..") return "buildpack";
  return name;
}

Result<BuildpackSource> parse_path(const std::string& spec, const BuildpackPolicy& policy) {
  static const std::regex path("/[A-Za-z0-9._/-]*");
  const auto& root = policy.buildpacks_dir;
  if (!std::regex_match(spec, path))
    return refuse("'" + spec + "' is not a valid server path (letters, digits and . _ / - only)");
  if (!is_strictly_beneath(spec, root))
    return refuse("'" + spec + "' is not beneath the gateway's buildpacks_dir (" + root.string() + ")");
  auto normal = fs::path(spec).lexically_normal();
  if (normal.filename().empty()) normal = normal.parent_path();
  return BuildpackSource{BuildpackSource::Kind::path, normal.string(), "", short_name(normal.filename().string())};
}

// "host" allows the host on any port; "host:port" only that port (443 when
// the URL names none).
bool host_allowed(const std::string& host, int port, const std::vector<std::string>& hosts) {
  return std::any_of(hosts.begin(), hosts.end(), [&](const std::string& entry) {
    const auto allowed = lowercase(entry);
    const auto colon = allowed.rfind(':');
    if (colon == std::string::npos) return allowed == host;
    return allowed.substr(0, colon) == host && allowed.substr(colon + 1) == std::to_string(port);
  });
}

std::string host_refusal(const std::string& shown_host, const std::string& url, const std::vector<std::string>& hosts) {
  std::string listed;
  for (const auto& host : hosts) listed += (listed.empty() ? "" : ", ") + host;
  return "host '" + shown_host + "' of " + url + " is not in gateway.yaml buildpack_hosts" +
         (hosts.empty() ? ", which is empty: this gateway fetches no git buildpacks" : " (" + listed + ")");
}

Result<BuildpackSource> parse_https(const std::string& spec, const BuildpackPolicy& policy) {
  static const std::regex url(R"(https://([A-Za-z0-9.-]+)(:([0-9]{1,5}))?(/[A-Za-z0-9._~%+/-]+))",
                              std::regex::icase);
  const auto hash = spec.find('#');
  const auto location = spec.substr(0, hash);
  const auto authority = location.substr(8, location.find('/', 8) - 8);
  if (authority.find('@') != std::string::npos)
    return refuse("'" + spec + "': a user name or password in a buildpack URL is not allowed");
  std::smatch match;
  if (!std::regex_match(location, match, url)) return refuse("'" + spec + "' is not a valid https:// git URL");
  const int port = match[3].matched ? std::stoi(match[3]) : 443;
  if (port < 1 || port > 65535) return refuse("'" + spec + "' is not a valid https:// git URL");
  const auto ref = hash == std::string::npos ? std::string() : spec.substr(hash + 1);
  if (hash != std::string::npos)
    if (auto checked = check_git_ref(ref, location); !checked) return std::unexpected(checked.error());
  const auto host = lowercase(match[1]);
  if (!host_allowed(host, port, policy.hosts))
    return refuse(host_refusal(host + (match[3].matched ? ":" + match[3].str() : ""), location, policy.hosts));
  const auto path = match[4].str();
  return BuildpackSource{BuildpackSource::Kind::git, "https://" + location.substr(8), ref,
                         short_name(path.substr(path.find_last_of('/') + 1))};
}

}  // namespace

Result<> check_git_ref(const std::string& ref, const std::string& url) {
  static const std::regex safe("[A-Za-z0-9._/-]+");
  const auto prefix = "build.buildpacks: ref '" + ref + "' of " + url;
  if (ref.empty()) return fail("build.buildpacks: " + url + "# has an empty ref");
  if (ref.front() == '-') return fail(prefix + " starts with '-'; git would take it for an option");
  if (!std::regex_match(ref, safe)) return fail(prefix + " may hold only letters, digits and . _ / -");
  if (ref.find("..") != std::string::npos) return fail(prefix + " may not contain '..'");
  return ok();
}

Result<BuildpackSource> parse_buildpack_spec(const std::string& spec, const BuildpackPolicy& policy) {
  // std::regex matches by recursion, a level per character: a long entry
  // would overflow the stack.
  constexpr std::size_t kMaxSpecLength = 1024;
  if (spec.size() > kMaxSpecLength)
    return fail("a build.buildpacks entry is at most " + std::to_string(kMaxSpecLength) + " characters");
  static const std::regex builtin("[a-z][a-z0-9-]{0,62}");
  static const std::regex scheme("([A-Za-z][A-Za-z0-9+.-]*)://.*");
  static const std::regex scp_like("([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:.*");
  std::smatch match;
  if (std::regex_match(spec, builtin)) return BuildpackSource{BuildpackSource::Kind::builtin, spec, "", spec};
  if (spec.starts_with("/")) return parse_path(spec, policy);
  if (std::regex_match(spec, match, scheme)) {
    const auto name = lowercase(match[1]);
    if (name == "https") return parse_https(spec, policy);
    return refuse("'" + spec + "': " + name + ":// is not allowed; " + kHttpsOnly);
  }
  if (spec.find("::") != std::string::npos)
    return refuse("'" + spec + "': git's transport::address form is not allowed; " + kHttpsOnly);
  if (std::regex_match(spec, scp_like)) return refuse("'" + spec + "' is an SSH address; " + kHttpsOnly);
  return refuse("'" + spec + "' is not a built-in name, a server path beneath the gateway's buildpacks_dir (" +
                policy.buildpacks_dir.string() + ") or an https:// git URL");
}

Result<fs::path> server_buildpack_dir(const BuildpackSource& source, const fs::path& buildpacks_dir) {
  const fs::path given =
      source.kind == BuildpackSource::Kind::builtin ? buildpacks_dir / source.location : fs::path(source.location);
  const auto not_found = "buildpack '" + source.location + "' not found (needs bin/detect and bin/compile)";
  std::error_code error;
  const auto root = fs::canonical(buildpacks_dir, error);
  if (error) return fail("the gateway's buildpacks_dir cannot be read: " + error.message());
  const auto real = fs::canonical(given, error);
  if (error) return fail(not_found);
  if (!is_strictly_beneath(real, root))
    return fail("buildpack '" + source.location +
                "' leads out of the gateway's buildpacks_dir through a symbolic link");
  if (!fs::is_regular_file(real / "bin" / "detect", error) || !fs::is_regular_file(real / "bin" / "compile", error))
    return fail(not_found);
  return real;
}

bool is_supplementary(const std::string& name) { return name == "apt"; }

std::vector<std::string> auto_buildpacks(const std::set<std::string>& detected) {
  std::vector<std::string> chosen;
  for (const char* name : kAutoDetectOrder)
    if (is_supplementary(name) && detected.contains(name)) chosen.push_back(name);
  for (const char* name : kAutoDetectOrder) {
    if (is_supplementary(name) || !detected.contains(name)) continue;
    chosen.push_back(name);
    break;
  }
  return chosen;
}

}  // namespace porter::builders
