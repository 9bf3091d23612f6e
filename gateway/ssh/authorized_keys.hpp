#pragma once
// OpenSSH-format authorized keys: "[options] type base64 [comment]" per line.
// The file is read at each authentication, so keys added take effect at once.
//
// Options are read as sshd reads them (auth-options.c) and fail closed: a
// line whose options Porter does not understand, or cannot parse, never lets
// its key in (the gateway logs why, naming the line). Otherwise a mistyped
// restriction would silently give a key access to everything.
#include <libssh/libssh.h>

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace porter::ssh {

// Who a key is, and what it may touch. Access is narrowed with options before
// the key type, e.g.
//   apps="shop,blog",environments="staging,development" ssh-ed25519 AAAA... alice
// A key without them may use every app and environment.
struct Identity {
  std::string name;  // the key's comment, or its SHA256 fingerprint
  std::optional<std::set<std::string>> apps;
  std::optional<std::set<std::string>> environments;

  bool may_use_app(const std::string& app) const { return !apps || apps->contains(app); }
  bool may_use_environment(const std::string& env) const { return !environments || environments->contains(env); }
};

// What a line's options field says.
struct KeyOptions {
  std::optional<std::set<std::string>> apps;          // apps="a,b"
  std::optional<std::set<std::string>> environments;  // environments="x,y"
  std::optional<std::string> from;                    // from="pattern-list" of client addresses
};

// Parses an options field: a comma-separated list without spaces outside
// double quotes; names in any case; values in double quotes, \" for a quote.
// Understood: apps=, environments=, from=, and restrict, no-pty,
// no-port-forwarding, no-agent-forwarding, no-X11-forwarding, no-user-rc
// (no-ops: the gateway offers none of those). Anything else, an empty item or
// an option repeated with another value is an error naming the option, never
// its value.
Result<KeyOptions> parse_key_options(std::string_view options);

// Whether `address` (the client's IP address as text) matches a from= list:
// patterns with * and ?, or address/masklen, each negated with a leading !.
// A negated match denies whatever else matched. Host names never match: the
// gateway does not look clients up in DNS (like sshd's default UseDNS no).
bool address_matches(std::string_view address, std::string_view patterns);

// The identity of `key` from the first line of the file that lists it with
// options that are understood and allow `client_address` ("" if unknown: a
// from= line then refuses).
std::optional<Identity> find_authorized(const std::filesystem::path& file, ssh_key key,
                                        const std::string& client_address);

std::string fingerprint(ssh_key key);

}  // namespace porter::ssh
