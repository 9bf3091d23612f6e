#include "cluster/replica_logs.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.hpp"

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;

void append(const fs::path& file, const std::string& text) { std::ofstream(file, std::ios::app) << text; }

TEST(ReplicaLogs, ParsesFullAndPartialRecords) {
  auto full = parse_log_record("2026-11-29T21:52:30.494079534+00:00 stdout F line 2");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->time, "2026-11-29T21:52:30.494079534+00:00");
  EXPECT_FALSE(full->partial);
  EXPECT_EQ(full->text, "line 2");
  auto part = parse_log_record("2026-11-29T21:52:30.494079534+00:00 stderr P abc");
  ASSERT_TRUE(part);
  EXPECT_TRUE(part->partial);
  auto empty = parse_log_record("2026-11-29T21:52:30.494079534+00:00 stdout F");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->text, "");
  EXPECT_FALSE(parse_log_record("not a record"));
  EXPECT_FALSE(parse_log_record("2026-11-29T21:52:30Z stdout X text"));
}

TEST(ReplicaLogs, FormatsWithMillisecondsAndTheReplica) {
  LogLine line{"2026-11-29T21:52:30.494079534+00:00", "web.1", "hello"};
  EXPECT_EQ(line.formatted(), "2026-11-29T21:52:30.494Z web.1: hello");
  line.time = "2026-11-29T22:52:30.494079534+01:00";
  EXPECT_EQ(line.formatted(), "2026-11-29T22:52:30.494+01:00 web.1: hello");
}

TEST(ReplicaLogs, KubectlLinesTakeTheSameForm) {
  EXPECT_EQ(from_kubectl_log("[pod/shop-production-web-c84f4c57d-n7v5j/web] 2026-11-29T22:55:58.478902569Z listening on 5000"),
            "2026-11-29T22:55:58.478Z web.n7v5j: listening on 5000");
  EXPECT_EQ(from_kubectl_log("error: timed out waiting for the condition"), "error: timed out waiting for the condition");
  EXPECT_EQ(from_kubectl_log("[pod/x] no-time"), "[pod/x] no-time");
}

TEST(ReplicaLogs, TailMergesReplicasByTimeAndKeepsTheLast) {
  test::TempDir dir("logs");
  append(dir / "web.0.log", "2026-01-01T00:00:01.000000000+00:00 stdout F a1\n"
                            "2026-01-01T00:00:03.000000000+00:00 stdout F a3\n");
  append(dir / "web.1.log", "2026-01-01T00:00:02.000000000+00:00 stdout P b2-\n"
                            "2026-01-01T00:00:02.000000000+00:00 stdout F end\n"
                            "2026-01-01T00:00:04.000000000+00:00 stdout F b4\n");
  const std::vector<LogSource> sources = {{"web.0", dir / "web.0.log"}, {"web.1", dir / "web.1.log"},
                                          {"web.2", dir / "missing.log"}};
  const auto last = tail_logs(sources, 3);
  ASSERT_EQ(last.size(), 3u);
  EXPECT_EQ(last[0].source + " " + last[0].text, "web.1 b2-end");
  EXPECT_EQ(last[1].source + " " + last[1].text, "web.0 a3");
  EXPECT_EQ(last[2].source + " " + last[2].text, "web.1 b4");
  EXPECT_TRUE(tail_logs(sources, 0).empty());
}

TEST(ReplicaLogs, FollowerReadsOnlyNewCompleteLinesAndSurvivesATruncation) {
  test::TempDir dir("follow");
  const auto file = dir / "web.0.log";
  append(file, "2026-01-01T00:00:01.000000000+00:00 stdout F before\n");
  LogFollower follower({{"web.0", file}, {"web.1", dir / "later.log"}});
  EXPECT_TRUE(follower.read_new().empty());
  append(file, "2026-01-01T00:00:02.000000000+00:00 stdout F after\n2026-01-01T00:00:03.0");
  auto lines = follower.read_new();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "after");
  append(file, "00000000+00:00 stdout F finished\n");
  lines = follower.read_new();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "finished");
  std::ofstream(file, std::ios::trunc) << "2026-01-01T00:00:04.000000000+00:00 stdout F over\n";  // rotated
  append(dir / "later.log", "2026-01-01T00:00:05.000000000+00:00 stdout F new file\n");
  lines = follower.read_new();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text, "over");
  EXPECT_EQ(lines[1].source + " " + lines[1].text, "web.1 new file");
}

TEST(ReplicaLogs, CutsEndlessLines) {
  test::TempDir dir("long");
  std::string records;
  for (int i = 0; i < 10; ++i) records += "2026-01-01T00:00:01.000000000+00:00 stdout P " + std::string(8192, 'x') + "\n";
  records += "2026-01-01T00:00:01.000000000+00:00 stdout F y\n";
  append(dir / "web.0.log", records);
  const auto last = tail_logs({{"web.0", dir / "web.0.log"}}, 1);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_LT(last[0].text.size(), kMaxLogLine + 64);
  EXPECT_TRUE(last[0].text.ends_with("[line cut at 16 KiB]"));
}

TEST(ReplicaLogs, EvictsTheOldestReleasesButNeverAKeptOne) {
  test::TempDir dir("evict");
  const auto v1 = dir / "shop" / "production" / "v1", v2 = dir / "shop" / "production" / "v2",
             v3 = dir / "shop" / "production" / "v3";
  for (const auto& release : {v1, v2, v3}) {
    fs::create_directories(release);
    append(release / "web.0.log", std::string(1000, 'x'));
  }
  fs::last_write_time(v1, fs::file_time_type::clock::now() - std::chrono::hours(3));
  fs::last_write_time(v2, fs::file_time_type::clock::now() - std::chrono::hours(2));
  EXPECT_EQ(evict_replica_logs(dir.path(), 1500, [&](const fs::path& release) { return release == v1; }), 2);
  EXPECT_TRUE(fs::exists(v1));
  EXPECT_FALSE(fs::exists(v2));
  EXPECT_FALSE(fs::exists(v3));
  EXPECT_EQ(evict_replica_logs(dir.path(), 1500, [](const fs::path&) { return false; }), 0);
}

}  // namespace
}  // namespace porter::cluster
