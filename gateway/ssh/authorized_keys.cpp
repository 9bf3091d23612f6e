#include "ssh/authorized_keys.hpp"

#include <arpa/inet.h>

#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <memory>
#include <vector>

#include "ssh/exec_command.hpp"
#include "util/log.hpp"

namespace porter::ssh {
namespace {

const auto& log() {
  static const auto logger = util::logger("ssh");
  return logger;
}

struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string lower(std::string_view text) {
  std::string result(text);
  for (auto& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    const auto comma = text.find(',', start);
    items.push_back(text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

// ---- options -------------------------------------------------------------

// An option's name, as far as it is made of name characters: what messages
// quote, so that no part of a value (which may be a secret) reaches the log.
std::string_view read_name(std::string_view text, std::size_t& at) {
  const auto start = at;
  while (at < text.size() && (std::isalnum(static_cast<unsigned char>(text[at])) || text[at] == '-' || text[at] == '_'))
    ++at;
  return text.substr(start, at - start);
}

std::string quoted(std::string_view name) { return "'" + std::string(name.substr(0, 40)) + "'"; }

// A double-quoted value at `at` (sshd's opt_dequote: \" is a quote, any other
// backslash stays); `at` moves past the closing quote.
Result<std::string> read_quoted(std::string_view text, std::size_t& at, std::string_view name) {
  if (at >= text.size() || text[at] != '"') return fail("option " + quoted(name) + ": its value must be in double quotes");
  std::string value;
  for (++at; at < text.size() && text[at] != '"'; ++at) {
    if (text[at] == '\\' && at + 1 < text.size() && text[at + 1] == '"') ++at;
    value += text[at];
  }
  if (at == text.size()) return fail("option " + quoted(name) + ": its closing quote is missing");
  ++at;
  return value;
}

// apps="a,b" and environments="x,y": a list of names, none empty. A name that
// could never match (a capital, a space) is refused rather than ignored.
Result<std::set<std::string>> read_names(const std::string& value, std::string_view option) {
  std::set<std::string> names;
  for (auto item : split_commas(value)) {
    if (item.empty()) return fail("option " + quoted(option) + ": an item of its list is empty");
    if (!is_valid_app_name(std::string(item)))
      return fail("option " + quoted(option) + ": items are lower-case letters, digits and '-', starting with a letter");
    names.emplace(item);
  }
  return names;
}

// An IPv4 or IPv6 address, as bits.
struct Address {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  int bits = 0;

  bool bit(int i) const { return (bytes[i / 8] >> (7 - i % 8)) & 1; }
};

std::optional<Address> parse_address(std::string_view text) {
  const std::string copy(text);
  Address address;
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET;
    address.bits = 32;
  } else if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET6;
    address.bits = 128;
  } else {
    return std::nullopt;
  }
  return address;
}

struct Network {
  Address base;
  int length = 0;

  bool contains(const Address& address) const {
    if (address.family != base.family) return false;
    for (int i = 0; i < length; ++i)
      if (address.bit(i) != base.bit(i)) return false;
    return true;
  }
};

// "10.0.0.0/8". Bits set past the mask make it an error, as in sshd: the
// writer meant something else than what it would match.
std::optional<Network> parse_network(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto base = parse_address(text.substr(0, slash));
  const auto digits = text.substr(slash + 1);
  int length = -1;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (!base || digits.empty() || error != std::errc{} || end != digits.data() + digits.size() || length < 0 ||
      length > base->bits)
    return std::nullopt;
  for (int i = length; i < base->bits; ++i)
    if (base->bit(i)) return std::nullopt;
  return Network{*base, length};
}

// sshd's match_pattern: * is any run of characters, ? any one.
bool glob_matches(std::string_view text, std::string_view pattern) {
  std::size_t t = 0, p = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++t, ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// from="...": checked when the line is read, so that a typo refuses the key
// with a reason instead of silently never matching.
Result<> check_patterns(const std::string& patterns, std::string_view option) {
  for (auto item : split_commas(patterns)) {
    if (!item.empty() && item.front() == '!') item.remove_prefix(1);
    if (item.empty()) return fail("option " + quoted(option) + ": an item of its list is empty");
    for (char c : item)
      if (std::isspace(static_cast<unsigned char>(c))) return fail("option " + quoted(option) + ": a pattern holds a space");
    if (item.find('/') != std::string_view::npos && !parse_network(item))
      return fail("option " + quoted(option) + ": an address/masklen is not a network (like 10.0.0.0/8)");
  }
  return ok();
}

// An option repeated with the same value is harmless; with another, which one
// the writer meant is unknown.
template <typename T>
Result<> set_once(std::optional<T>& slot, T value, std::string_view option) {
  if (slot && *slot != value) return fail("option " + quoted(option) + " is given twice with different values");
  slot = std::move(value);
  return ok();
}

// sshd's flags that forbid what the gateway never offers: they already hold.
bool is_noop_flag(const std::string& name) {
  static const std::set<std::string> flags{"restrict",           "no-pty",           "no-port-forwarding",
                                           "no-agent-forwarding", "no-x11-forwarding", "no-user-rc"};
  return flags.contains(name);
}

Result<> apply_option(KeyOptions& options, std::string_view name, const std::optional<std::string>& value) {
  const auto key = lower(name);
  if (key != "apps" && key != "environments" && key != "from") {
    if (!is_noop_flag(key)) return fail("option " + quoted(name) + " is not supported");
    if (value) return fail("option " + quoted(name) + " takes no value");
    return ok();
  }
  if (!value) return fail("option " + quoted(name) + " needs a value in double quotes");
  if (key == "from") {
    if (auto checked = check_patterns(*value, name); !checked) return checked;
    return set_once(options.from, *value, name);
  }
  auto names = read_names(*value, name);
  if (!names) return std::unexpected(names.error());
  return set_once(key == "apps" ? options.apps : options.environments, std::move(*names), name);
}

// ---- lines ----------------------------------------------------------------

std::string_view word_at(std::string_view line, std::size_t at) {
  auto end = at;
  while (end < line.size() && !is_blank(line[end])) ++end;
  return line.substr(at, end - at);
}

std::size_t skip_blanks(std::string_view line, std::size_t at) {
  while (at < line.size() && is_blank(line[at])) ++at;
  return at;
}

bool is_key_type(std::string_view word) {
  return !word.empty() && ssh_key_type_from_name(std::string(word).c_str()) != SSH_KEYTYPE_UNKNOWN;
}

KeyPtr import_key(std::string_view type, std::string_view base64) {
  ssh_key raw = nullptr;
  if (ssh_pki_import_pubkey_base64(std::string(base64).c_str(), ssh_key_type_from_name(std::string(type).c_str()),
                                   &raw) != SSH_OK)
    return nullptr;
  return KeyPtr(raw);
}

struct Entry {
  std::string_view options;
  KeyPtr key;
  std::string comment;
};

// "type base64 [comment]" at `at`.
Result<Entry> read_key(std::string_view line, std::size_t at, std::string_view options) {
  const auto type = word_at(line, at);
  const auto base64_at = skip_blanks(line, at + type.size());
  const auto base64 = word_at(line, base64_at);
  auto key = import_key(type, base64);
  if (!key) return fail("the key is not a valid " + std::string(type) + " key");
  auto comment = line.substr(skip_blanks(line, base64_at + base64.size()));
  return Entry{options, std::move(key), std::string(comment)};
}

// Where the options end, as sshd finds it (sshkey_advance_past_options): the
// first space or tab outside double quotes. Without a closing quote there is
// no end; `open` says where the unclosed quote is.
std::optional<std::size_t> options_end(std::string_view line, std::size_t& open) {
  bool quoted_now = false;
  std::size_t at = 0;
  for (; at < line.size() && (quoted_now || !is_blank(line[at])); ++at) {
    if (line[at] == '\\' && at + 1 < line.size() && line[at + 1] == '"') {
      ++at;
    } else if (line[at] == '"') {
      quoted_now = !quoted_now;
      open = at;
    }
  }
  if (quoted_now) return std::nullopt;
  return at;
}

// The name of the option that holds position `at` of an options field.
std::string_view option_around(std::string_view options, std::size_t at) {
  const auto comma = options.rfind(',', at);
  std::size_t start = comma == std::string_view::npos ? 0 : comma + 1;
  return read_name(options, start);
}

// Splits a line (trimmed, not a comment) as sshd does: the key type first, or
// else an options field, blanks, then the key type.
Result<Entry> split_line(std::string_view line) {
  if (is_key_type(word_at(line, 0))) return read_key(line, 0, {});
  std::size_t open = 0;
  const auto end = options_end(line, open);
  if (!end) return fail("option " + quoted(option_around(line, open)) + ": a double quote is never closed");
  const auto options = line.substr(0, *end);
  const auto after = skip_blanks(line, *end);
  if (is_key_type(word_at(line, after))) return read_key(line, after, options);
  // No key where it belongs: say what is wrong with the options, if anything,
  // else that the word after them is not the key type.
  if (auto parsed = parse_key_options(options); !parsed) return std::unexpected(parsed.error());
  std::size_t at = after;
  const auto stray = read_name(line, at);
  if (stray.empty()) return fail("no key type after the options");
  return fail("option " + quoted(stray) + " comes after a space: options are separated by commas, without spaces");
}

// Whether `key` appears anywhere in a line that does not split: only to tell
// its owner why it is refused.
bool mentions_key(std::string_view line, ssh_key key) {
  std::vector<std::string_view> words;
  for (auto at = skip_blanks(line, 0); at < line.size(); at = skip_blanks(line, at + words.back().size()))
    words.push_back(word_at(line, at));
  for (std::size_t i = 0; i + 1 < words.size(); ++i) {
    if (!is_key_type(words[i])) continue;
    auto listed = import_key(words[i], words[i + 1]);
    if (listed && ssh_key_cmp(listed.get(), key, SSH_KEY_CMP_PUBLIC) == 0) return true;
  }
  return false;
}

std::string_view trimmed(std::string_view line) {
  const auto begin = skip_blanks(line, 0);
  auto end = line.size();
  while (end > begin && std::isspace(static_cast<unsigned char>(line[end - 1]))) --end;
  return line.substr(begin, end - begin);
}

struct LineRef {
  const std::filesystem::path& file;
  int number;
};

void refuse_line(const LineRef& where, const std::string& reason) {
  log()->warn("{} line {}: {}; the key on this line is refused", where.file.string(), where.number, reason);
}

// What one line grants `key` connecting from `client`: nothing when it lists
// another key, or lists this one but refuses it (logged, never with the key).
std::optional<Identity> grant_of_line(std::string_view line, const LineRef& where, ssh_key key,
                                      const std::string& client) {
  line = trimmed(line);
  if (line.empty() || line.front() == '#') return std::nullopt;
  auto entry = split_line(line);
  if (!entry) {
    if (mentions_key(line, key)) refuse_line(where, entry.error().message);
    return std::nullopt;
  }
  if (ssh_key_cmp(entry->key.get(), key, SSH_KEY_CMP_PUBLIC) != 0) return std::nullopt;
  auto options = parse_key_options(entry->options);
  if (!options) {
    refuse_line(where, options.error().message);
    return std::nullopt;
  }
  if (options->from && !address_matches(client, *options->from)) {
    log()->info("{} line {}: from= does not allow the client address {}; the key on this line is refused",
                where.file.string(), where.number, client.empty() ? "(unknown)" : client);
    return std::nullopt;
  }
  return Identity{entry->comment.empty() ? fingerprint(key) : entry->comment, std::move(options->apps),
                  std::move(options->environments)};
}

}  // namespace

Result<KeyOptions> parse_key_options(std::string_view text) {
  KeyOptions options;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto name = read_name(text, at);
    if (name.empty())
      return fail(text[at] == ',' ? "an option is empty (a comma too many)" : "an option name holds a character options do not have");
    std::optional<std::string> value;
    if (at < text.size() && text[at] == '=') {
      auto read = read_quoted(text, ++at, name);
      if (!read) return std::unexpected(read.error());
      value = std::move(*read);
    }
    if (auto applied = apply_option(options, name, value); !applied) return std::unexpected(applied.error());
    if (at == text.size()) break;
    if (text[at] != ',') return fail("option " + quoted(name) + " is followed by something other than a comma");
    if (++at == text.size()) return fail("the options end with a comma");
  }
  return options;
}

bool address_matches(std::string_view address, std::string_view patterns) {
  if (address.empty()) return false;
  const auto client_text = lower(address);
  const auto client = parse_address(client_text);
  bool matched = false;
  for (auto item : split_commas(patterns)) {
    const bool negated = !item.empty() && item.front() == '!';
    if (negated) item.remove_prefix(1);
    if (item.empty()) return false;  // a malformed list allows nobody
    bool hit = false;
    if (item.find('/') != std::string_view::npos) {
      const auto network = parse_network(item);
      if (!network) return false;
      hit = client && network->contains(*client);
    } else {
      hit = glob_matches(client_text, lower(item));
    }
    if (hit && negated) return false;
    matched = matched || hit;
  }
  return matched;
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

std::optional<Identity> find_authorized(const std::filesystem::path& file, ssh_key key,
                                        const std::string& client_address) {
  std::ifstream in(file);
  int number = 0;
  for (std::string line; std::getline(in, line);)
    if (auto identity = grant_of_line(line, {file, ++number}, key, client_address)) return identity;
  return std::nullopt;
}

}  // namespace porter::ssh
