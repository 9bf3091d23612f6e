#include "pipeline/progress.hpp"

#include <algorithm>
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

// Shorter values ("1", "on") would mask ordinary words; they are not secrets.
constexpr std::size_t kMinMaskedLength = 4;

}  // namespace

void Progress::log_to(const std::filesystem::path& file) {
  std::filesystem::create_directories(file.parent_path());
  log_ = std::make_unique<std::ofstream>(file, std::ios::app);
}

// Output is masked line by line: a value of several lines (a PEM key) is
// masked whole where a text holds it, and by each of its lines.
void Progress::mask(const std::map<std::string, std::string>& config_vars) {
  auto add = [&](const std::string& secret) {
    if (secret.size() >= kMinMaskedLength) secrets_.push_back(secret);
  };
  for (const auto& [name, secret] : config_vars) {
    add(secret);
    if (secret.find('\n') == std::string::npos) continue;
    for (std::size_t start = 0; start < secret.size();) {
      const auto end = std::min(secret.find('\n', start), secret.size());
      add(printable(secret.substr(start, end - start)));  // as line() sees it: without '\r'
      start = end + 1;
    }
  }
  // Longest first, so a secret containing another is masked whole.
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Progress::masked(std::string text) const {
  for (const auto& secret : secrets_)
    for (auto at = text.find(secret); at != std::string::npos; at = text.find(secret, at + 5))
      text.replace(at, secret.size(), "*****");
  return text;
}

void Progress::line(const std::string& text) {
  auto clean = masked(printable(text)) + "\n";
  if (log_) log_->write(clean.data(), static_cast<std::streamsize>(clean.size())).flush();
  // The user went away: the job stops at its next cancellation point.
  if (!write_(clean)) cancel_->cancel();
}

}  // namespace porter::pipeline
