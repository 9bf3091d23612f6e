#pragma once
// When a porter.yaml job runs: standard five-field cron schedules
// ("*/15 * * * *", "0 3 * * 1-5", "30 2 1,15 * *") and the @daily-style
// macros. The text comes from a pushed repo, so it is bounded (200
// characters) and read by hand, and every refusal names the field and why.
#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace porter::cron {

// The wall clock a schedule is read on. GCC 12's libstdc++ has no time zone
// database (std::chrono::locate_zone), and switching TZ per call would race
// with every other thread that reads the time, so a schedule runs either on
// UTC or on the host's own zone (/etc/localtime, or TZ when set), which
// localtime_r reads safely.
enum class Zone { utc, local };

// "UTC" or "local"; any other name is refused with the reason.
Result<Zone> parse_zone(std::string_view name);

class Schedule {
 public:
  static constexpr std::size_t max_length = 200;

  // Fields: minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC,
  // day of week 0-7 (0 and 7 are Sunday) or SUN-SAT; each a list of `*`,
  // `a`, `a-b`, `*/n`, `a-b/n` or `a/n` (a to the field's end). Macros:
  // @yearly @annually @monthly @weekly @daily @midnight @hourly. The error
  // is one line: "schedule '61 * * * *': minute 61 is out of range 0-59".
  static Result<Schedule> parse(std::string_view text);

  // The first minute strictly after `after` at which the job runs, read on
  // `zone`'s wall clock; nullopt if there is none within 5 years
  // ("0 0 30 2 *"). A day matches as in Vixie cron: when both day fields are
  // restricted (neither starts with `*`), either one may match; otherwise
  // both must. Daylight saving time, also as in Vixie cron and cronie:
  // - a job at fixed times (minute and hour fields not starting with `*`)
  //   runs once per wall time: a time skipped when clocks go forward runs at
  //   the jump (02:30 runs at 03:00), a time repeated when clocks go back
  //   runs on its first pass only;
  // - any other job ("*/15 * * * *", "0 */2 * * *") follows the wall clock:
  //   skipped minutes do not run, repeated minutes run again, so it keeps
  //   its pace in real time.
  std::optional<std::chrono::sys_seconds> next_after(std::chrono::sys_seconds after, Zone zone = Zone::utc) const;

  const std::string& text() const { return text_; }

 private:
  using Values = std::bitset<64>;  // bit n set: the field matches n

  bool runs_on(std::chrono::year_month_day date) const;
  // The first wall time at or after `from`, on a whole minute, that matches
  // every field; nullopt past `limit`.
  std::optional<std::chrono::local_seconds> first_wall_time(std::chrono::local_seconds from,
                                                            std::chrono::local_seconds limit) const;

  std::string text_;
  Values minutes_, hours_, days_, months_, weekdays_;  // weekdays_: 0 = Sunday
  bool any_day_ = true;      // the day-of-month field starts with `*`
  bool any_weekday_ = true;  // the day-of-week field starts with `*`
  bool follows_wall_clock_ = true;  // minute or hour starts with `*`: see next_after
};

}  // namespace porter::cron
