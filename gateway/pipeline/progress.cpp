#include "pipeline/progress.hpp"

#include <cstdio>

namespace porter::pipeline {
namespace {

// git shows escape sequences other than colour as "^[": drop them, and any
// other control character, so build tools' cursor tricks do not garble lines.
std::string printable(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b) {  // skip a CSI sequence: ESC [ params final-byte
      if (i + 1 < text.size() && text[i + 1] == '[') {
        i += 2;
        while (i < text.size() && !(text[i] >= 0x40 && text[i] <= 0x7e)) ++i;
      }
      continue;
    }
    if (c < 0x20 && c != '\t') continue;
    out += static_cast<char>(c);
  }
  return out;
}

}  // namespace

void Progress::log_to(const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  log_ = std::make_unique<std::ofstream>(file, std::ios::app);
}

void Progress::line(const std::string& text) {
  auto clean = printable(text) + "\n";
  if (log_) log_->write(clean.data(), static_cast<std::streamsize>(clean.size())).flush();
  // The pusher went away: the job stops at its next cancellation point.
  if (!hook_.send(hookrpc::FrameKind::output, clean)) cancel_->cancel();
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", elapsed);
  return text;
}

}  // namespace porter::pipeline
