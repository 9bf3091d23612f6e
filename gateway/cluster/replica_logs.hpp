#pragma once
// Replicas' output on the local engine. conmon writes each replica's
// container output to a file of ours (podman --log-opt path=...), in the
// k8s-file format, one record per line:
//   2026-11-29T21:52:30.494079534+00:00 stdout F text
// (F: a full line; P: part of a longer one). The files outlive the pods, so
// a release's output stays readable after it is retired, within a budget.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace porter::cluster {

// A replica's log file and how its lines are labelled ("web.0").
struct LogSource {
  std::string name;
  std::filesystem::path file;
};

struct LogLine {
  std::string time;  // as conmon wrote it: RFC 3339, nanoseconds
  std::string source;
  std::string text;

  // "2026-11-29T21:52:30.494Z web.0: text" (milliseconds, UTC as written)
  std::string formatted() const;
};

// A line of `kubectl logs --prefix --timestamps`,
//   [pod/shop-production-web-5d9c8-n7v5j/web] 2026-11-29T22:55:58.478902569Z text
// in the same form as the local engine's ("... web.n7v5j: text"); a line
// not in that form as it is.
std::string from_kubectl_log(const std::string& line);

inline constexpr std::size_t kMaxLogLine = 16 * 1024;  // longer lines are cut, and say so

struct LogRecord {
  std::string time;
  bool partial = false;  // P: the line goes on in the next record
  std::string text;
};
// One line of a k8s-file log; nullopt when it is not one.
std::optional<LogRecord> parse_log_record(std::string_view line);

// The last `count` lines of all `sources` together, oldest first.
std::vector<LogLine> tail_logs(const std::vector<LogSource>& sources, std::size_t count);

// What `sources` gain from now on, line by line. A file that does not exist
// yet is read from its start once it does; one that shrank (conmon starts it
// over past its size cap) is read again from its start.
class LogFollower {
 public:
  explicit LogFollower(const std::vector<LogSource>& sources);
  // The lines completed since the last call, in order per source.
  std::vector<LogLine> read_new();

 private:
  struct Followed {
    LogSource source;
    std::uintmax_t offset = 0;
    std::string pending;  // a record not yet ended by a newline
    std::string partial;  // text of P records awaiting their F
  };
  std::vector<Followed> followed_;
};

// Removes the oldest release directories under `root` (<app>/<env>/v<N>)
// until the whole is within `budget_bytes`, never one `keep` says to keep
// (a live release's). Returns how many went.
int evict_replica_logs(const std::filesystem::path& root, std::uintmax_t budget_bytes,
                       const std::function<bool(const std::filesystem::path& release_dir)>& keep);

}  // namespace porter::cluster
