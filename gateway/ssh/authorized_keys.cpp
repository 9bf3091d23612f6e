#include "ssh/authorized_keys.hpp"

#include <fstream>
#include <memory>
#include <regex>
#include <sstream>
#include <vector>

namespace porter::ssh {
namespace {

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

struct Entry {
  KeyPtr key;
  std::string options, comment;
};

// Splits "[options] type base64 [comment]".
std::optional<Entry> parse_line(const std::string& line) {
  std::istringstream words(line);
  std::vector<std::string> tokens;
  for (std::string token; words >> token;) tokens.push_back(token);
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    auto type = ssh_key_type_from_name(tokens[i].c_str());
    if (type == SSH_KEYTYPE_UNKNOWN) continue;
    ssh_key raw = nullptr;
    if (ssh_pki_import_pubkey_base64(tokens[i + 1].c_str(), type, &raw) != SSH_OK) return std::nullopt;
    Entry entry{KeyPtr(raw), {}, {}};
    for (std::size_t j = 0; j < i; ++j) entry.options += (j ? " " : "") + tokens[j];
    for (std::size_t j = i + 2; j < tokens.size(); ++j) entry.comment += (entry.comment.empty() ? "" : " ") + tokens[j];
    return entry;
  }
  return std::nullopt;
}

std::set<std::string> split_list(const std::string& text) {
  std::set<std::string> items;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.insert(item);
  return items;
}

}  // namespace

void parse_access_options(const std::string& options, Identity& identity) {
  static const std::regex option(R"re((?:^|,)(apps|environments)="([^"]*)")re");
  for (std::sregex_iterator it(options.begin(), options.end(), option), end; it != end; ++it) {
    auto items = split_list((*it)[2]);
    ((*it)[1] == "apps" ? identity.apps : identity.environments) = items;
  }
}

std::string fingerprint(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return "unknown-key";
  char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
  std::string result = text ? text : "unknown-key";
  ssh_string_free_char(text);
  ssh_clean_pubkey_hash(&hash);
  return result;
}

std::optional<Identity> find_authorized(const std::filesystem::path& file, ssh_key key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto entry = parse_line(line);
    if (!entry || ssh_key_cmp(entry->key.get(), key, SSH_KEY_CMP_PUBLIC) != 0) continue;
    Identity identity{entry->comment.empty() ? fingerprint(key) : entry->comment, std::nullopt, std::nullopt};
    parse_access_options(entry->options, identity);
    return identity;
  }
  return std::nullopt;
}

}  // namespace porter::ssh
