#include "builders/buildpack_source.hpp"

#include <regex>

namespace porter::builders {

Result<BuildpackSource> parse_buildpack_spec(const std::string& spec) {
  static const std::regex builtin("[a-z][a-z0-9-]{0,62}");
  static const std::regex url("(https?|git|ssh|file)://[^#\\s]+(#[A-Za-z0-9._/-]+)?");
  static const std::regex path("/[A-Za-z0-9._/-]+");
  if (std::regex_match(spec, builtin)) return BuildpackSource{BuildpackSource::Kind::builtin, spec, "", spec};
  if (std::regex_match(spec, path) && spec.find("..") == std::string::npos) {
    auto name = spec.substr(spec.find_last_of('/') + 1);
    return BuildpackSource{BuildpackSource::Kind::path, spec, "", name.empty() ? "buildpack" : name};
  }
  if (std::regex_match(spec, url)) {
    auto hash = spec.find('#');
    auto location = spec.substr(0, hash);
    auto ref = hash == std::string::npos ? "" : spec.substr(hash + 1);
    auto name = location.substr(location.find_last_of('/') + 1);
    if (name.ends_with(".git")) name.erase(name.size() - 4);
    return BuildpackSource{BuildpackSource::Kind::git, location, ref, name.empty() ? "buildpack" : name};
  }
  return fail("build.buildpacks: '" + spec + "' is not a built-in name, an absolute server path or a git URL");
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
