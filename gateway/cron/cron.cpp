#include "cron/cron.hpp"

#include <time.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <span>
#include <vector>

namespace porter::cron {
namespace {

using std::chrono::local_seconds;
using std::chrono::seconds;
using std::chrono::sys_seconds;
using Values = std::bitset<64>;  // the same type as Schedule::Values: bit n set, the field matches n

// ---- reading the text ----

constexpr std::array<std::string_view, 12> month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> weekday_names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Field {
  std::string_view name;  // as the user reads it in an error
  int min;
  int max;
  int distinct;  // how many different values: the largest useful step; min + distinct - 1 ends `*` and `a/n`
  std::span<const std::string_view> names;  // names[i] means min + i
  std::string_view names_range;             // "JAN-DEC", for the error
  bool is_day = false;                      // where Quartz puts its L, W, # and ? extensions
};

constexpr Field minute_field{"minute", 0, 59, 60, {}, {}};
constexpr Field hour_field{"hour", 0, 23, 24, {}, {}};
constexpr Field day_field{"day of month", 1, 31, 31, {}, {}, true};
constexpr Field month_field{"month", 1, 12, 12, month_names, "JAN-DEC"};
constexpr Field weekday_field{"day of week", 0, 7, 7, weekday_names, "SUN-SAT", true};  // 7 is Sunday again
constexpr std::array<const Field*, 5> fields{&minute_field, &hour_field, &day_field, &month_field, &weekday_field};

int last_distinct(const Field& field) { return field.min + field.distinct - 1; }

struct Macro {
  std::string_view name;
  std::string_view fields;
};
constexpr std::array<Macro, 7> macros{{{"@yearly", "0 0 1 1 *"},
                                       {"@annually", "0 0 1 1 *"},
                                       {"@monthly", "0 0 1 * *"},
                                       {"@weekly", "0 0 * * 0"},
                                       {"@daily", "0 0 * * *"},
                                       {"@midnight", "0 0 * * *"},
                                       {"@hourly", "0 * * * *"}}};

// Names are case-insensitive: "jan", "Mon", "@DAILY".
bool same_letters(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while ((start = text.find_first_not_of(separators, start)) != std::string_view::npos) {
    auto end = std::min(text.find_first_of(separators, start), text.size());
    words.push_back(text.substr(start, end - start));
    start = end;
  }
  return words;
}

// Digits only, no sign or spaces. Saturates, so "99999999999" is merely out of range.
std::optional<int> digits(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(value * 10 + (c - '0'), 1'000'000);
  }
  return value;
}

std::string range_text(int low, int high) { return std::to_string(low) + "-" + std::to_string(high); }

// One value of a field: a number or a name. `item` is the whole list item, for the error.
Result<int> parse_value(std::string_view token, const Field& field, std::string_view item) {
  const std::string name(field.name);
  if (token.empty()) return fail(name + " '" + std::string(item) + "' is missing a number");
  if (auto number = digits(token)) {
    if (*number < field.min || *number > field.max)
      return fail(name + " " + std::string(token) + " is out of range " + range_text(field.min, field.max));
    return *number;
  }
  for (std::size_t i = 0; i < field.names.size(); ++i)
    if (same_letters(token, field.names[i])) return field.min + static_cast<int>(i);
  if (field.is_day && token.find_first_of("LlWw#?") != std::string_view::npos)
    return fail(name + " '" + std::string(token) + "': L, W, # and ? are not supported");
  if (!field.names.empty())
    return fail(name + " '" + std::string(token) + "' is not a number or a name (" + std::string(field.names_range) +
                ")");
  return fail(name + " '" + std::string(token) + "' is not a number");
}

Result<int> parse_step(std::string_view text, const Field& field, std::string_view item) {
  const std::string name(field.name);
  if (text.empty()) return fail(name + " '" + std::string(item) + "' is missing a number");
  auto step = digits(text);
  if (!step) return fail(name + " step '" + std::string(text) + "' is not a number");
  if (*step < 1 || *step > field.distinct)
    return fail(name + " step " + std::string(text) + " is out of range " + range_text(1, field.distinct));
  return *step;
}

// `*`, `a`, `a-b`, each optionally `/n`.
Result<Values> parse_item(std::string_view item, const Field& field) {
  if (item.empty()) return fail(std::string(field.name) + " has an empty list item");
  const auto slash = item.find('/');
  const auto base = item.substr(0, slash);
  int step = 1;
  if (slash != std::string_view::npos) {
    auto parsed = parse_step(item.substr(slash + 1), field, item);
    if (!parsed) return std::unexpected(parsed.error());
    step = *parsed;
  }
  int low = field.min;
  int high = last_distinct(field);
  if (base != "*") {
    const auto dash = base.find('-');
    auto first = parse_value(base.substr(0, dash), field, item);
    if (!first) return std::unexpected(first.error());
    low = *first;
    if (dash != std::string_view::npos) {
      auto last = parse_value(base.substr(dash + 1), field, item);
      if (!last) return std::unexpected(last.error());
      high = *last;
      if (low > high)
        return fail(std::string(field.name) + " range " + range_text(low, high) + " goes backwards; split it as " +
                    range_text(low, last_distinct(field)) + "," + range_text(field.min, high));
    } else {
      high = slash == std::string_view::npos ? low : std::max(low, high);  // `a/n` runs to the field's end
    }
  }
  Values values;
  for (int v = low; v <= high; v += step) values.set(v);
  return values;
}

Result<Values> parse_field(std::string_view text, const Field& field) {
  Values values;
  // Split by hand rather than with split(): an empty item ("1,,2") is an error, not nothing.
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    auto item = parse_item(text.substr(start, comma == std::string_view::npos ? comma : comma - start), field);
    if (!item) return item;
    values |= *item;
    if (comma == std::string_view::npos) return values;
    start = comma + 1;
  }
}

// "@daily" -> "0 0 * * *"; the error has no "schedule '...':" prefix yet.
Result<std::string_view> expand_macro(const std::vector<std::string_view>& words) {
  const auto name = words.front();
  if (same_letters(name, "@REBOOT")) return fail("@reboot is not supported: a job runs on a schedule");
  for (const auto& macro : macros) {
    if (!same_letters(name, macro.name)) continue;
    if (words.size() > 1) return fail("nothing may follow " + std::string(macro.name));
    return macro.fields;
  }
  return fail("unknown macro '" + std::string(name) +
              "' (use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly)");
}

// ---- the wall clock ----

local_seconds wall_time(sys_seconds at, seconds offset) { return local_seconds{at.time_since_epoch() + offset}; }
sys_seconds instant(local_seconds wall, seconds offset) { return sys_seconds{wall.time_since_epoch() - offset}; }

// A zone's offset from UTC and when it changes. Changes are found by asking
// for the offset, a day at a time and then by halves: real zones never change
// twice within a day, and the C library offers nothing more direct.
class ZoneClock {
 public:
  explicit ZoneClock(Zone zone) : zone_(zone) {}

  seconds offset_at(sys_seconds at) const {
    if (zone_ == Zone::utc) return seconds{0};
    const time_t t = at.time_since_epoch().count();
    tm parts{};
    if (localtime_r(&t, &parts) == nullptr) return seconds{0};  // outside time_t: not a date a job meets
    return seconds{parts.tm_gmtoff};
  }

  // The first instant in (from, to] whose offset is not `offset`.
  std::optional<sys_seconds> next_change(sys_seconds from, sys_seconds to, seconds offset) const {
    if (zone_ == Zone::utc) return std::nullopt;
    for (auto low = from; low < to;) {
      auto high = std::min(low + std::chrono::days{1}, to);
      if (offset_at(high) == offset) {
        low = high;
        continue;
      }
      while (high - low > seconds{1}) {
        auto middle = low + (high - low) / 2;
        (offset_at(middle) == offset ? low : high) = middle;
      }
      return high;
    }
    return std::nullopt;
  }

  // The latest wall time shown at or before `at`. Just after clocks went
  // back, that is the last wall time before the change, not the time now.
  local_seconds latest_wall_time_by(sys_seconds at) const {
    const auto offset = offset_at(at);
    auto latest = wall_time(at, offset);
    const auto day_before = at - std::chrono::days{1};
    const auto offset_before = offset_at(day_before);
    if (offset_before > offset)
      if (auto change = next_change(day_before, at, offset_before))
        latest = std::max(latest, wall_time(*change - seconds{1}, offset_before));
    return latest;
  }

 private:
  Zone zone_;
};

// A position on the wall calendar, moved to the start of the next month, day,
// hour or minute: a search takes at most months + days + hours + minutes
// steps, never one step per minute across the days between.
struct WallCursor {
  int year;
  unsigned month, day;
  int hour, minute;

  explicit WallCursor(local_seconds at) {
    using namespace std::chrono;
    const auto day_start = floor<days>(at);
    const year_month_day date{day_start};
    const hh_mm_ss time{at - day_start};
    year = static_cast<int>(date.year());
    month = static_cast<unsigned>(date.month());
    day = static_cast<unsigned>(date.day());
    hour = static_cast<int>(time.hours().count());
    minute = static_cast<int>(time.minutes().count());
  }

  std::chrono::year_month_day date() const {
    return std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day};
  }
  local_seconds time() const {
    return std::chrono::local_days{date()} + std::chrono::hours{hour} + std::chrono::minutes{minute};
  }

  void next_month() {
    if (++month > 12) {
      ++year;
      month = 1;
    }
    day = 1;
    hour = minute = 0;
  }
  void next_day() {  // past the month's end: the search sees !date().ok() and moves on
    ++day;
    hour = minute = 0;
  }
  void next_hour() {
    minute = 0;
    if (++hour > 23) next_day();
  }
  void next_minute() {
    if (++minute > 59) next_hour();
  }
};

}  // namespace

Result<Zone> parse_zone(std::string_view name) {
  if (name == "UTC") return Zone::utc;
  if (name == "local") return Zone::local;
  return fail("time zone '" + std::string(name) +
              "' is not supported: use UTC, or local for the host's time zone");
}

Result<Schedule> Schedule::parse(std::string_view text) {
  if (text.size() > max_length)
    return fail("schedule is " + std::to_string(text.size()) + " characters long; the limit is " +
                std::to_string(max_length));
  // Checked before the text is quoted in any error, so an error stays one line.
  if (std::ranges::any_of(text, [](unsigned char c) { return (c < ' ' && c != '\t') || c == 0x7f; }))
    return fail("schedule contains a control character");
  auto words = split(text, " \t");
  if (words.empty()) return fail("schedule is empty");
  const std::string quoted = "schedule '" + std::string(text) + "': ";
  if (words.front().starts_with('@')) {
    auto expanded = expand_macro(words);
    if (!expanded) return fail(quoted + expanded.error().message);
    words = split(*expanded, " ");
  }
  if (words.size() != fields.size())
    return fail(quoted + "expected 5 fields (minute hour day month weekday), got " + std::to_string(words.size()));

  std::array<Values, 5> values;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto parsed = parse_field(words[i], *fields[i]);
    if (!parsed) return fail(quoted + parsed.error().message);
    values[i] = *parsed;
  }
  Schedule schedule;
  schedule.text_ = std::string(text);
  schedule.minutes_ = values[0];
  schedule.hours_ = values[1];
  schedule.days_ = values[2];
  schedule.months_ = values[3];
  schedule.weekdays_ = values[4];
  if (schedule.weekdays_.test(7)) schedule.weekdays_.set(0).reset(7);
  // Vixie cron decides by the first character, so "*/2" counts as unrestricted.
  schedule.any_day_ = words[2].starts_with('*');
  schedule.any_weekday_ = words[4].starts_with('*');
  schedule.follows_wall_clock_ = words[0].starts_with('*') || words[1].starts_with('*');
  return schedule;
}

bool Schedule::runs_on(std::chrono::year_month_day date) const {
  const bool day_matches = days_.test(static_cast<unsigned>(date.day()));
  const bool weekday_matches = weekdays_.test(std::chrono::weekday{std::chrono::sys_days{date}}.c_encoding());
  if (any_day_ || any_weekday_) return day_matches && weekday_matches;
  return day_matches || weekday_matches;
}

std::optional<local_seconds> Schedule::first_wall_time(local_seconds from, local_seconds limit) const {
  WallCursor at(std::chrono::ceil<std::chrono::minutes>(from));
  const int last_year = WallCursor(limit).year;
  while (at.year <= last_year) {
    if (!months_.test(at.month) || !at.date().ok()) {
      at.next_month();
    } else if (!runs_on(at.date())) {
      at.next_day();
    } else if (!hours_.test(at.hour)) {
      at.next_hour();
    } else if (!minutes_.test(at.minute)) {
      at.next_minute();
    } else {
      if (at.time() > limit) break;
      return at.time();
    }
  }
  return std::nullopt;
}

// Walks real time from `after` in stretches of constant UTC offset: in each,
// the next matching wall time converts to one instant. When that instant lies
// past a change of offset, the walk resumes at the change, where the wall
// clock jumped (forward over a gap or back over a repeat).
std::optional<sys_seconds> Schedule::next_after(sys_seconds after, Zone zone) const {
  const ZoneClock clock(zone);
  auto start = after;
  auto offset = clock.offset_at(after);
  auto from = wall_time(after, offset) + seconds{1};
  // A fixed-time job ran on the first pass of any repeated wall time.
  if (!follows_wall_clock_) from = std::max(from, clock.latest_wall_time_by(after) + seconds{1});
  const auto limit = from + std::chrono::years{5};
  while (true) {
    auto wall = first_wall_time(from, limit);
    if (!wall) return std::nullopt;
    auto at = instant(*wall, offset);
    auto change = clock.next_change(start, at, offset);
    if (!change) return at;
    const auto new_offset = clock.offset_at(*change);
    const bool skipped = new_offset > offset && *wall < wall_time(*change, new_offset);
    if (!follows_wall_clock_ && skipped) return *change;  // the first minute after the gap
    from = follows_wall_clock_ ? wall_time(*change, new_offset)
                               : std::max(from, wall_time(*change, std::max(offset, new_offset)));
    start = *change;
    offset = new_offset;
  }
}

}  // namespace porter::cron
