#include "cluster/replica_logs.hpp"

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>

namespace porter::cluster {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kReadChunk = 1 << 20;  // per file per read_new: a flood cannot hold the reader

// Adds a record's text to a line being assembled from P records; returns
// the line once an F record ends it. Lines are cut at kMaxLogLine.
std::optional<std::string> assemble(std::string& partial, const LogRecord& record) {
  if (partial.size() < kMaxLogLine) partial.append(record.text, 0, kMaxLogLine - partial.size());
  if (record.partial) return std::nullopt;
  std::string line;
  line.swap(partial);
  if (line.size() >= kMaxLogLine) line += " [line cut at 16 KiB]";
  return line;
}

}  // namespace

std::string LogLine::formatted() const {
  // 2026-11-29T21:52:30.494079534+00:00 -> 2026-11-29T21:52:30.494Z
  std::string shown = time;
  const auto dot = time.find('.');
  if (dot != std::string::npos && time.size() >= dot + 4) {
    const auto zone = time.find_first_of("Z+-", dot);
    const auto offset = zone == std::string::npos ? std::string() : time.substr(zone);
    shown = time.substr(0, dot + 4) + (offset == "+00:00" ? "Z" : offset);
  }
  return shown + " " + source + ": " + text;
}

std::string from_kubectl_log(const std::string& line) {
  const auto close = line.find("] ");
  if (!line.starts_with("[pod/") || close == std::string::npos) return line;
  const auto path = line.substr(5, close - 5);  // POD/CONTAINER
  const auto slash = path.rfind('/');
  const auto rest = line.substr(close + 2);
  const auto space = rest.find(' ');
  if (slash == std::string::npos || space == std::string::npos) return line;
  const auto pod = path.substr(0, slash);
  const auto container = path.substr(slash + 1);  // the service
  return LogLine{rest.substr(0, space), container + "." + pod.substr(pod.rfind('-') + 1), rest.substr(space + 1)}
      .formatted();
}

std::optional<LogRecord> parse_log_record(std::string_view line) {
  const auto time_end = line.find(' ');
  if (time_end == std::string_view::npos) return std::nullopt;
  const auto stream_end = line.find(' ', time_end + 1);
  if (stream_end == std::string_view::npos || stream_end + 2 > line.size()) return std::nullopt;
  const auto tag = line[stream_end + 1];
  if (tag != 'F' && tag != 'P') return std::nullopt;
  const auto text = stream_end + 3 <= line.size() ? line.substr(stream_end + 3) : std::string_view();
  return LogRecord{std::string(line.substr(0, time_end)), tag == 'P', std::string(text)};
}

std::vector<LogLine> tail_logs(const std::vector<LogSource>& sources, std::size_t count) {
  std::vector<LogLine> all;
  for (const auto& source : sources) {
    std::ifstream file(source.file);
    std::deque<LogLine> last;
    std::string partial;
    for (std::string record_text; std::getline(file, record_text);) {
      if (record_text.size() > kMaxLogLine + 64) record_text.resize(kMaxLogLine + 64);
      auto record = parse_log_record(record_text);
      if (!record) continue;
      auto line = assemble(partial, *record);
      if (!line) continue;
      last.push_back({record->time, source.name, std::move(*line)});
      if (last.size() > count) last.pop_front();
    }
    all.insert(all.end(), std::make_move_iterator(last.begin()), std::make_move_iterator(last.end()));
  }
  std::stable_sort(all.begin(), all.end(), [](const LogLine& a, const LogLine& b) { return a.time < b.time; });
  if (all.size() > count) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(count));
  return all;
}

LogFollower::LogFollower(const std::vector<LogSource>& sources) {
  for (const auto& source : sources) {
    std::error_code ec;
    const auto size = fs::file_size(source.file, ec);
    followed_.push_back({source, ec ? 0 : size, {}, {}});
  }
}

std::vector<LogLine> LogFollower::read_new() {
  std::vector<LogLine> lines;
  for (auto& followed : followed_) {
    std::error_code ec;
    const auto size = fs::file_size(followed.source.file, ec);
    if (ec) continue;
    if (size < followed.offset) followed = {followed.source, 0, {}, {}};  // started over
    if (size == followed.offset) continue;
    std::ifstream file(followed.source.file, std::ios::binary);
    file.seekg(static_cast<std::streamoff>(followed.offset));
    std::string chunk(std::min<std::uintmax_t>(size - followed.offset, kReadChunk), '\0');
    file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    chunk.resize(static_cast<std::size_t>(file.gcount()));
    followed.offset += chunk.size();
    followed.pending += chunk;
    std::size_t start = 0;
    for (auto end = followed.pending.find('\n'); end != std::string::npos;
         start = end + 1, end = followed.pending.find('\n', start)) {
      auto record = parse_log_record(std::string_view(followed.pending).substr(start, end - start));
      if (!record) continue;
      if (auto line = assemble(followed.partial, *record))
        lines.push_back({record->time, followed.source.name, std::move(*line)});
    }
    followed.pending.erase(0, start);
    if (followed.pending.size() > kMaxLogLine + 64) followed.pending.clear();  // not conmon's: drop it
  }
  return lines;
}

int evict_replica_logs(const fs::path& root, std::uintmax_t budget_bytes,
                       const std::function<bool(const fs::path& release_dir)>& keep) {
  struct ReleaseLogs {
    fs::file_time_type written;
    fs::path dir;
    std::uintmax_t size = 0;
  };
  std::vector<ReleaseLogs> releases;
  std::uintmax_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it.depth() != 2 || !it->is_directory(ec)) continue;
    ReleaseLogs release{fs::last_write_time(it->path(), ec), it->path(), 0};
    for (const auto& file : fs::directory_iterator(it->path(), ec))
      if (file.is_regular_file(ec)) release.size += file.file_size(ec);
    total += release.size;
    releases.push_back(std::move(release));
  }
  std::sort(releases.begin(), releases.end(),
            [](const ReleaseLogs& a, const ReleaseLogs& b) { return a.written < b.written; });
  int removed = 0;
  for (const auto& release : releases) {
    if (total <= budget_bytes) break;
    if (keep(release.dir)) continue;
    fs::remove_all(release.dir, ec);
    total -= release.size;
    ++removed;
  }
  return removed;
}

}  // namespace porter::cluster
