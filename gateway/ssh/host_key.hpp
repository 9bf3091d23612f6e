#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace porter::ssh {

// Generates an ed25519 host key on first start (mode 0600) and keeps it.
// Returns an error message on failure.
std::optional<std::string> ensure_host_key(const std::filesystem::path& file);

}  // namespace porter::ssh
