#pragma once
#include <filesystem>
#include <string>

#include "util/result.hpp"

namespace porter::ssh {

// Generates an ed25519 host key on first start (mode 0600) and keeps it.
Result<> ensure_host_key(const std::filesystem::path& file);

}  // namespace porter::ssh
