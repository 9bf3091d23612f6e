#include "util/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace porter::util {
namespace {

namespace fs = std::filesystem;

// Beneath the root, through no symbolic link, and no /proc magic link either.
constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// A descriptor closed with its scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd& operator=(Fd&&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The descriptor, or -errno. RESOLVE_BENEATH answers EAGAIN when a rename
// raced the lookup: try again a few times.
int open_beneath(int dir, const fs::path& relative, int flags) {
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags);
  how.resolve = kResolve;
  for (int attempt = 0;; ++attempt) {
    const long fd = ::syscall(SYS_openat2, dir, relative.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if ((errno != EAGAIN && errno != EINTR) || attempt == 8) return -errno;
  }
}

std::string rule_for_files(std::string_view within) {
  return "porter reads only regular files inside " + std::string(within);
}

std::string rule_for_links(std::string_view within) {
  return "porter follows no symbolic links inside " + std::string(within);
}

// Absolute paths and '..' never reach the kernel (which would refuse them too).
Result<> check_lexically(const fs::path& relative, std::string_view within) {
  if (relative.empty()) return fail("an empty path names nothing inside " + std::string(within));
  if (relative.is_absolute())
    return fail(relative.string() + " is an absolute path; porter reads only paths inside " + std::string(within));
  for (const auto& part : relative)
    if (part == "..")
      return fail(relative.string() + " uses '..'; porter reads only paths inside " + std::string(within));
  return ok();
}

// The root, for lookups of `relative` beneath it. The root is the gateway's
// own directory: opened as given.
Result<Fd> open_root(const fs::path& root, const fs::path& relative, std::string_view within) {
  if (auto lexical = check_lexically(relative, within); !lexical) return std::unexpected(lexical.error());
  const int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(std::string(within) + " cannot be opened: " + std::strerror(errno));
  return Fd(fd);
}

// After ELOOP: the first component that is a symbolic link (only to word the
// error; the kernel already refused the path).
fs::path first_symlink(int dir, const fs::path& relative) {
  fs::path prefix;
  for (const auto& part : relative) {
    prefix /= part;
    struct stat st {};
    if (::fstatat(dir, prefix.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) return prefix;
  }
  return relative;
}

std::string symlink_error(int dir, const fs::path& relative, const std::string& rule) {
  const auto link = first_symlink(dir, relative);
  if (link == relative) return relative.string() + " is a symbolic link; " + rule;
  return relative.string() + " passes through " + link.string() + ", a symbolic link; " + rule;
}

// An open that failed for another reason than "no such file", as one line.
std::string open_error(int dir, const fs::path& relative, int error, const std::string& rule,
                       std::string_view within) {
  if (error == ELOOP) return symlink_error(dir, relative, rule);
  if (error == EXDEV) return relative.string() + " leaves " + std::string(within);
  return relative.string() + " cannot be read: " + std::strerror(error);
}

bool is_missing(int error) { return error == ENOENT || error == ENOTDIR; }

const char* kind_name(mode_t mode) {
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string not_regular(const fs::path& relative, mode_t mode, const std::string& rule) {
  return relative.string() + " is " + kind_name(mode) + "; " + rule;
}

std::string size_text(std::size_t bytes) {
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

std::string too_large(const fs::path& relative, std::size_t max_bytes) {
  return relative.string() + " is larger than " + size_text(max_bytes);
}

// The mode of what `relative` names, the last component not followed (an
// O_PATH descriptor opens nothing: no device is touched, no FIFO blocks);
// nullopt when missing.
Result<std::optional<struct stat>> probe(int dir, const fs::path& relative, const std::string& rule,
                                         std::string_view within) {
  const int fd = open_beneath(dir, relative, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && is_missing(-fd)) return std::nullopt;
  if (fd < 0) return fail(open_error(dir, relative, -fd, rule, within));
  const Fd entry(fd);
  struct stat st {};
  if (::fstat(entry.get(), &st) != 0) return fail(relative.string() + " cannot be read: " + std::strerror(errno));
  return st;
}

// Reads at most `max_bytes` + 1 bytes: a file may be larger than it said.
Result<std::string> read_bounded(int fd, const fs::path& relative, std::size_t max_bytes) {
  std::string text;
  char buffer[16384];
  while (text.size() <= max_bytes) {
    const std::size_t want = std::min(sizeof buffer, max_bytes + 1 - text.size());
    const ssize_t n = ::read(fd, buffer, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(relative.string() + " cannot be read: " + std::strerror(errno));
    if (n == 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return fail(too_large(relative, max_bytes));
}

// What the probe saw is what was opened: nothing swapped in between.
bool same_file(const struct stat& a, const struct stat& b) { return a.st_dev == b.st_dev && a.st_ino == b.st_ino; }

}  // namespace

Result<EntryKind> entry_kind_beneath(const fs::path& root, const fs::path& relative, std::string_view within) {
  auto dir = open_root(root, relative, within);
  if (!dir) return std::unexpected(dir.error());
  auto found = probe(dir->get(), relative, rule_for_links(within), within);
  if (!found) return std::unexpected(found.error());
  if (!*found) return EntryKind::missing;
  const auto mode = (*found)->st_mode;
  if (S_ISREG(mode)) return EntryKind::regular;
  if (S_ISDIR(mode)) return EntryKind::directory;
  if (S_ISLNK(mode)) return EntryKind::symlink;
  return EntryKind::other;
}

Result<std::optional<std::string>> read_beneath(const fs::path& root, const fs::path& relative, std::size_t max_bytes,
                                                std::string_view within) {
  const auto rule = rule_for_files(within);
  auto dir = open_root(root, relative, within);
  if (!dir) return std::unexpected(dir.error());
  auto found = probe(dir->get(), relative, rule, within);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::nullopt;
  if (!S_ISREG((*found)->st_mode)) return fail(not_regular(relative, (*found)->st_mode, rule));

  const int fd = open_beneath(dir->get(), relative, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && is_missing(-fd)) return std::nullopt;
  if (fd < 0) return fail(open_error(dir->get(), relative, -fd, rule, within));
  const Fd file(fd);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) return fail(relative.string() + " cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return fail(not_regular(relative, st.st_mode, rule));
  if (!same_file(st, **found)) return fail(relative.string() + " changed while porter read it");
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes) return fail(too_large(relative, max_bytes));
  auto text = read_bounded(file.get(), relative, max_bytes);
  if (!text) return std::unexpected(text.error());
  return std::move(*text);
}

namespace {

// The mode of `relative`, which must exist (see probe).
Result<mode_t> existing_mode(const fs::path& root, const fs::path& relative, const std::string& rule,
                             std::string_view within) {
  auto dir = open_root(root, relative, within);
  if (!dir) return std::unexpected(dir.error());
  auto found = probe(dir->get(), relative, rule, within);
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(relative.string() + " does not exist in " + std::string(within));
  return (*found)->st_mode;
}

}  // namespace

Result<> check_regular_file_beneath(const fs::path& root, const fs::path& relative, std::string_view within) {
  const auto rule = rule_for_files(within);
  auto mode = existing_mode(root, relative, rule, within);
  if (!mode) return std::unexpected(mode.error());
  if (!S_ISREG(*mode)) return fail(not_regular(relative, *mode, rule));
  return ok();
}

Result<> check_directory_beneath(const fs::path& root, const fs::path& relative, std::string_view within) {
  const auto rule = rule_for_links(within);
  auto found = existing_mode(root, relative, rule, within);
  if (!found) return std::unexpected(found.error());
  const auto mode = *found;
  if (S_ISDIR(mode)) return ok();
  if (S_ISLNK(mode)) return fail(relative.string() + " is a symbolic link; " + rule);
  return fail(relative.string() + " is not a directory");
}

}  // namespace porter::util
