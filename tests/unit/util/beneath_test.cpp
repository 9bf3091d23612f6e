// Reading a tenant's tree: only regular files beneath the root, through no
// symbolic link, of bounded size; every refusal is one line naming the file.
#include "util/beneath.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>

#include "support/temp_dir.hpp"

namespace porter::util {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t kLimit = 64 * 1024;

class BeneathTest : public ::testing::Test {
 protected:
  BeneathTest() {
    fs::create_directories(repo());
    test::write_file(outside(), "host secret\n");
  }
  fs::path repo() const { return dir_ / "repo"; }
  fs::path outside() const { return dir_ / "outside.txt"; }  // a host file next to the repository

  void write(const fs::path& relative, const std::string& text) { test::write_file(repo() / relative, text); }
  void link(const fs::path& relative, const fs::path& target) {
    fs::create_directories((repo() / relative).parent_path());
    fs::create_symlink(target, repo() / relative);
  }

  // The error of reading `relative`; fails the test if it was read.
  std::string refusal(const fs::path& relative, std::size_t max_bytes = kLimit) {
    auto read = read_beneath(repo(), relative, max_bytes);
    EXPECT_FALSE(read) << relative << " was read";
    if (read) return "(read)";
    const auto& message = read.error().message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(message.find("host secret"), std::string::npos) << message;
    return message;
  }

  test::TempDir dir_{"beneath"};
};

TEST_F(BeneathTest, ReadsARegularFile) {
  write("Procfile", "web: ./server\n");
  write("config/app.yaml", "a: 1\n");
  auto read = read_beneath(repo(), "Procfile", kLimit);
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_TRUE(*read);
  EXPECT_EQ(**read, "web: ./server\n");
  auto nested = read_beneath(repo(), "./config/app.yaml", kLimit);
  ASSERT_TRUE(nested && *nested);
  EXPECT_EQ(**nested, "a: 1\n");
  write("empty", "");
  auto empty = read_beneath(repo(), "empty", kLimit);
  ASSERT_TRUE(empty && *empty);
  EXPECT_EQ(**empty, "");
}

TEST_F(BeneathTest, AMissingFileIsNotAnError) {
  write("file", "x");
  for (const auto* missing : {"Procfile", "no/such/dir/Procfile", "file/below-a-file"}) {
    auto read = read_beneath(repo(), missing, kLimit);
    ASSERT_TRUE(read) << missing << ": " << read.error().message;
    EXPECT_FALSE(*read) << missing;
  }
}

TEST_F(BeneathTest, RefusesASymlinkToAFileOutside) {
  link("Procfile", outside());
  EXPECT_EQ(refusal("Procfile"), "Procfile is a symbolic link; porter reads only regular files inside the repository");
  link("relative", "../outside.txt");
  EXPECT_EQ(refusal("relative"), "relative is a symbolic link; porter reads only regular files inside the repository");
}

TEST_F(BeneathTest, RefusesASymlinkEvenToAFileInside) {
  write("real", "web: ./server\n");
  link("Procfile", "real");
  EXPECT_EQ(refusal("Procfile"), "Procfile is a symbolic link; porter reads only regular files inside the repository");
}

TEST_F(BeneathTest, RefusesASymlinkOnTheWay) {
  link("etc", "/etc");
  EXPECT_EQ(refusal("etc/passwd"),
            "etc/passwd passes through etc, a symbolic link; porter reads only regular files inside the repository");
  write("sub/inner/file", "x");
  link("sub/up", ".");
  EXPECT_EQ(refusal("sub/up/inner/file"), "sub/up/inner/file passes through sub/up, a symbolic link; porter reads "
                                          "only regular files inside the repository");
}

TEST_F(BeneathTest, RefusesParentEscapesAndAbsolutePaths) {
  EXPECT_EQ(refusal("../outside.txt"), "../outside.txt uses '..'; porter reads only paths inside the repository");
  EXPECT_EQ(refusal("sub/../../outside.txt"),
            "sub/../../outside.txt uses '..'; porter reads only paths inside the repository");
  write("sub/x", "x");
  EXPECT_EQ(refusal("sub/../sub/x"), "sub/../sub/x uses '..'; porter reads only paths inside the repository");
  EXPECT_EQ(refusal(outside()), outside().string() + " is an absolute path; porter reads only paths inside the "
                                                     "repository");
  EXPECT_EQ(refusal(""), "an empty path names nothing inside the repository");
}

TEST_F(BeneathTest, RefusesDevZeroBehindASymlinkAtOnce) {
  link("porter.yaml", "/dev/zero");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(refusal("porter.yaml"),
            "porter.yaml is a symbolic link; porter reads only regular files inside the repository");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s);
}

TEST_F(BeneathTest, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(::mkfifo((repo() / "Procfile").c_str(), 0644), 0);
  // Nobody writes: an open for reading without O_NONBLOCK would wait forever.
  EXPECT_EQ(refusal("Procfile"), "Procfile is a FIFO; porter reads only regular files inside the repository");
}

TEST_F(BeneathTest, RefusesDirectoriesAndSockets) {
  fs::create_directories(repo() / "Procfile");
  EXPECT_EQ(refusal("Procfile"), "Procfile is a directory; porter reads only regular files inside the repository");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto path = (repo() / "sock").string();
  ASSERT_LT(path.size(), sizeof address.sun_path);
  path.copy(address.sun_path, path.size());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(refusal("sock"), "sock is a socket; porter reads only regular files inside the repository");
  ::close(fd);
}

TEST_F(BeneathTest, RefusesOversizeFiles) {
  write("exact", std::string(kLimit, 'x'));
  auto exact = read_beneath(repo(), "exact", kLimit);
  ASSERT_TRUE(exact && *exact);
  EXPECT_EQ((*exact)->size(), kLimit);
  write("porter.yaml", std::string(kLimit + 1, 'x'));
  EXPECT_EQ(refusal("porter.yaml"), "porter.yaml is larger than 64 KiB");
  write("small", "12345678901");
  EXPECT_EQ(refusal("small", 10), "small is larger than 10 bytes");
}

TEST_F(BeneathTest, ReadsNoMoreThanTheLimitWhenTheSizeLies) {
  // /proc files say they are empty; the read itself must stop at the limit.
  auto status = read_beneath("/proc/self", "status", 100000);
  ASSERT_TRUE(status && *status) << (status ? "missing" : status.error().message);
  EXPECT_NE((*status)->find("VmRSS"), std::string::npos);
  auto capped = read_beneath("/proc/self", "status", 16, "the build's output");
  ASSERT_FALSE(capped);
  EXPECT_EQ(capped.error().message, "status is larger than 16 bytes");
}

TEST_F(BeneathTest, MessagesNameTheRoot) {
  link("release/0-x.yml", outside());
  auto read = read_beneath(repo(), "release/0-x.yml", kLimit, "the build's output");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().message,
            "release/0-x.yml is a symbolic link; porter reads only regular files inside the build's output");
}

TEST_F(BeneathTest, AMissingRootIsAnError) {
  auto read = read_beneath(dir_ / "nowhere", "Procfile", kLimit);
  ASSERT_FALSE(read);
  EXPECT_TRUE(read.error().message.starts_with("the repository cannot be opened")) << read.error().message;
}

TEST_F(BeneathTest, EntryKindsDoNotFollowTheLastLink) {
  write("Dockerfile", "FROM scratch\n");
  fs::create_directories(repo() / "ctx");
  link("linked", outside());
  link("dangling", "/no/such/file");
  ASSERT_EQ(::mkfifo((repo() / "fifo").c_str(), 0644), 0);
  const std::pair<const char*, EntryKind> expected[] = {
      {"Dockerfile", EntryKind::regular}, {"ctx", EntryKind::directory}, {".", EntryKind::directory},
      {"linked", EntryKind::symlink},     {"dangling", EntryKind::symlink}, {"fifo", EntryKind::other},
      {"missing", EntryKind::missing},    {"ctx/missing/deeper", EntryKind::missing}};
  for (const auto& [path, kind] : expected) {
    auto found = entry_kind_beneath(repo(), path);
    ASSERT_TRUE(found) << path << ": " << found.error().message;
    EXPECT_EQ(*found, kind) << path;
  }
}

TEST_F(BeneathTest, EntryKindRefusesALinkOnTheWay) {
  link("docker", "/etc");
  auto found = entry_kind_beneath(repo(), "docker/Dockerfile");
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().message, "docker/Dockerfile passes through docker, a symbolic link; porter follows no "
                                   "symbolic links inside the repository");
  EXPECT_FALSE(entry_kind_beneath(repo(), "../repo"));
  EXPECT_FALSE(entry_kind_beneath(repo(), "/etc"));
}

TEST_F(BeneathTest, ChecksADirectory) {
  fs::create_directories(repo() / "app/ctx");
  write("file", "x");
  link("root", "/");
  link("app/inside", "ctx");
  EXPECT_TRUE(check_directory_beneath(repo(), "."));
  EXPECT_TRUE(check_directory_beneath(repo(), "app/ctx"));
  auto message = [&](const char* path) {
    auto checked = check_directory_beneath(repo(), path);
    EXPECT_FALSE(checked) << path;
    return checked ? std::string("(accepted)") : checked.error().message;
  };
  EXPECT_EQ(message("root"), "root is a symbolic link; porter follows no symbolic links inside the repository");
  EXPECT_EQ(message("app/inside"),
            "app/inside is a symbolic link; porter follows no symbolic links inside the repository");
  EXPECT_EQ(message("root/etc"),
            "root/etc passes through root, a symbolic link; porter follows no symbolic links inside the repository");
  EXPECT_EQ(message("file"), "file is not a directory");
  EXPECT_EQ(message("missing"), "missing does not exist in the repository");
  EXPECT_EQ(message(".."), ".. uses '..'; porter reads only paths inside the repository");
  EXPECT_EQ(message("/"), "/ is an absolute path; porter reads only paths inside the repository");
}

TEST_F(BeneathTest, ChecksARegularFile) {
  write("Dockerfile", "FROM scratch\n");
  link("linked.Dockerfile", outside());
  EXPECT_TRUE(check_regular_file_beneath(repo(), "Dockerfile"));
  auto linked = check_regular_file_beneath(repo(), "linked.Dockerfile");
  ASSERT_FALSE(linked);
  EXPECT_EQ(linked.error().message,
            "linked.Dockerfile is a symbolic link; porter reads only regular files inside the repository");
  auto missing = check_regular_file_beneath(repo(), "Containerfile");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "Containerfile does not exist in the repository");
}

}  // namespace
}  // namespace porter::util
