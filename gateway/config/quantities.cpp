#include "config/quantities.hpp"

#include <cctype>

namespace porter::config {
namespace {

constexpr std::size_t kMaxChars = 32;
constexpr std::uint64_t kMaxBytes = 1ULL << 50;
constexpr int kMaxMillicpu = 64000;

// "12.5" -> 12500 thousandths; the rest of the text is left in `text`.
std::optional<std::uint64_t> read_thousandths(std::string_view& text) {
  std::uint64_t whole = 0;
  std::size_t digits = 0;
  while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) && digits < 16) {
    whole = whole * 10 + static_cast<std::uint64_t>(text.front() - '0');
    text.remove_prefix(1);
    ++digits;
  }
  std::uint64_t fraction = 0;
  if (!text.empty() && text.front() == '.') {
    text.remove_prefix(1);
    int places = 0;
    while (!text.empty() && std::isdigit(static_cast<unsigned char>(text.front())) && places < 3) {
      fraction = fraction * 10 + static_cast<std::uint64_t>(text.front() - '0');
      text.remove_prefix(1);
      ++places;
    }
    if (places == 0) return std::nullopt;
    for (; places < 3; ++places) fraction *= 10;
  }
  if (digits == 0 || digits == 16) return std::nullopt;
  return whole * 1000 + fraction;
}

std::optional<std::uint64_t> unit_bytes(std::string_view unit) {
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.remove_suffix(1);
  if (unit.size() == 2 && unit.back() == 'i') unit.remove_suffix(1);  // Mi as M
  if (unit.empty()) return 1;
  if (unit.size() != 1) return std::nullopt;
  switch (std::toupper(static_cast<unsigned char>(unit.front()))) {
    case 'K': return 1ULL << 10;
    case 'M': return 1ULL << 20;
    case 'G': return 1ULL << 30;
    case 'T': return 1ULL << 40;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<std::uint64_t> parse_size(std::string_view text) {
  if (text.size() > kMaxChars) return std::nullopt;
  const auto amount = read_thousandths(text);
  const auto unit = unit_bytes(text);
  if (!amount || !unit || *amount > kMaxBytes / *unit * 1000) return std::nullopt;
  const auto bytes = *amount * *unit / 1000;
  if (bytes == 0 || bytes > kMaxBytes) return std::nullopt;
  return bytes;
}

std::optional<int> parse_millicpu(std::string_view text) {
  if (text.size() > kMaxChars) return std::nullopt;
  const bool milli = text.ends_with('m');
  if (milli) text.remove_suffix(1);
  const auto amount = read_thousandths(text);
  if (!amount || !text.empty()) return std::nullopt;
  const auto millicpu = milli ? *amount / 1000 : *amount;
  if ((milli && *amount % 1000 != 0) || millicpu == 0 || millicpu > kMaxMillicpu) return std::nullopt;
  return static_cast<int>(millicpu);
}

std::string kube_memory(std::uint64_t bytes) {
  for (const auto& [unit, size] : {std::pair{"Gi", 1ULL << 30}, std::pair{"Mi", 1ULL << 20}, std::pair{"Ki", 1ULL << 10}})
    if (bytes % size == 0) return std::to_string(bytes / size) + unit;
  return std::to_string(bytes);
}

std::string kube_cpu(int millicpu) {
  return millicpu % 1000 == 0 ? std::to_string(millicpu / 1000) : std::to_string(millicpu) + "m";
}

}  // namespace porter::config
