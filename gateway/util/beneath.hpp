#pragma once
// Reading a tree a tenant controls (the checkout of a push, what a build
// wrote) without leaving it. The kernel resolves every path beneath the root
// (openat2 RESOLVE_BENEATH) and refuses every symbolic link on the way, so a
// `Procfile -> /etc/shadow` or a `ctx -> /` is an error value, never a read of
// the host. Only regular files of bounded size are read: a FIFO, a device or
// an endless file cannot block or exhaust the gateway.
//
// Paths are relative to the root; an absolute path or a '..' component is
// refused before the kernel sees it. Errors are one line naming the path as
// given: "Procfile is a symbolic link; porter reads only regular files inside
// the repository".
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace porter::util {

// What a path names, the last component not followed.
enum class EntryKind { missing, regular, directory, symlink, other };

// What `relative` names beneath `root`. A symbolic link as the last component
// is EntryKind::symlink; one on the way is an error, as are absolute paths
// and '..'.
Result<EntryKind> entry_kind_beneath(const std::filesystem::path& root, const std::filesystem::path& relative,
                                     std::string_view within = "the repository");

// The content of the regular file `relative` beneath `root`, at most
// `max_bytes`; nullopt when nothing has that name. `within` names the root in
// messages ("the repository", "the build's output").
Result<std::optional<std::string>> read_beneath(const std::filesystem::path& root,
                                                const std::filesystem::path& relative, std::size_t max_bytes,
                                                std::string_view within = "the repository");

// `relative` is a regular file beneath `root`, reached through no symbolic
// link (for files another program reads, like a Dockerfile).
Result<> check_regular_file_beneath(const std::filesystem::path& root, const std::filesystem::path& relative,
                                    std::string_view within = "the repository");

// `relative` is a directory beneath `root` ("." is the root itself), reached
// through no symbolic link (for a build context).
Result<> check_directory_beneath(const std::filesystem::path& root, const std::filesystem::path& relative,
                                 std::string_view within = "the repository");

}  // namespace porter::util
