#include "cron/cron.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace porter::cron {
namespace {

using namespace std::chrono;

sys_seconds utc(int y, unsigned m, unsigned d, int h = 0, int min = 0, int s = 0) {
  return sys_days{year{y} / m / d} + hours{h} + minutes{min} + seconds{s};
}

std::string utc_text(sys_seconds at) {
  const auto day = floor<days>(at);
  const year_month_day date{day};
  const hh_mm_ss time{at - day};
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()));
  return text;
}

// The host's wall clock (TZ as the test set it), with the zone's abbreviation: "2026-03-29 03:00 CEST".
std::string local_text(sys_seconds at) {
  const time_t t = at.time_since_epoch().count();
  tm parts{};
  localtime_r(&t, &parts);
  char text[40];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M %Z", &parts);
  return text;
}

Schedule schedule(std::string_view text) {
  auto parsed = Schedule::parse(text);
  if (parsed) return *parsed;
  ADD_FAILURE() << "'" << text << "' did not parse: " << parsed.error().message;
  return *Schedule::parse("* * * * *");
}

std::string error_of(std::string_view text) {
  auto parsed = Schedule::parse(text);
  return parsed ? "(parsed)" : parsed.error().message;
}

// The next run after `after`, as UTC text ("none" if there is none).
std::string next(std::string_view text, sys_seconds after) {
  auto at = schedule(text).next_after(after);
  return at ? utc_text(*at) : "none";
}

// The first `count` runs after `after`, as UTC text.
std::vector<std::string> runs(std::string_view text, sys_seconds after, int count, Zone zone = Zone::utc) {
  const auto parsed = schedule(text);
  std::vector<std::string> found;
  for (int i = 0; i < count; ++i) {
    auto at = parsed.next_after(after, zone);
    if (!at) break;
    found.push_back(zone == Zone::utc ? utc_text(*at) : local_text(*at));
    after = *at;
  }
  return found;
}

using Runs = std::vector<std::string>;

// ---- parsing ----

TEST(ScheduleParse, AcceptsEveryFieldForm) {
  for (const char* text : {"* * * * *", "*/15 * * * *", "0 3 * * 1-5", "30 2 1,15 * *", "0-30/10 9-17 * * *",
                           "5/20 * * * *", "0 0 1 JAN,jul *", "0 12 * * mon-FRI", "0 0 * * 7", "0 0 * * SUN",
                           "59 23 31 12 6", "  0\t0 * * *  ", "1,2,3-5,*/30 * * * *"})
    EXPECT_TRUE(Schedule::parse(text)) << text << ": " << error_of(text);
}

TEST(ScheduleParse, AcceptsEveryMacroInAnyCase) {
  for (const char* text : {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@DAILY"})
    EXPECT_TRUE(Schedule::parse(text)) << text << ": " << error_of(text);
}

TEST(ScheduleParse, KeepsTheTextAsWritten) {
  EXPECT_EQ(schedule("*/15 * * * *").text(), "*/15 * * * *");
  EXPECT_EQ(schedule("@daily").text(), "@daily");
}

TEST(ScheduleParse, NamesTheFieldOutOfRange) {
  EXPECT_EQ(error_of("61 * * * *"), "schedule '61 * * * *': minute 61 is out of range 0-59");
  EXPECT_EQ(error_of("0 24 * * *"), "schedule '0 24 * * *': hour 24 is out of range 0-23");
  EXPECT_EQ(error_of("0 0 0 * *"), "schedule '0 0 0 * *': day of month 0 is out of range 1-31");
  EXPECT_EQ(error_of("0 0 32 * *"), "schedule '0 0 32 * *': day of month 32 is out of range 1-31");
  EXPECT_EQ(error_of("0 0 * 13 *"), "schedule '0 0 * 13 *': month 13 is out of range 1-12");
  EXPECT_EQ(error_of("0 0 * * 8"), "schedule '0 0 * * 8': day of week 8 is out of range 0-7");
  EXPECT_EQ(error_of("0 0 * 0-3 *"), "schedule '0 0 * 0-3 *': month 0 is out of range 1-12");
  EXPECT_EQ(error_of("99999999999 * * * *"),
            "schedule '99999999999 * * * *': minute 99999999999 is out of range 0-59");
}

TEST(ScheduleParse, CountsTheFields) {
  EXPECT_EQ(error_of("* * *"), "schedule '* * *': expected 5 fields (minute hour day month weekday), got 3");
  EXPECT_EQ(error_of("0 * * * * *"),
            "schedule '0 * * * * *': expected 5 fields (minute hour day month weekday), got 6");
  EXPECT_EQ(error_of(""), "schedule is empty");
  EXPECT_EQ(error_of(" \t "), "schedule is empty");
}

TEST(ScheduleParse, RefusesBadSteps) {
  EXPECT_EQ(error_of("*/0 * * * *"), "schedule '*/0 * * * *': minute step 0 is out of range 1-60");
  EXPECT_EQ(error_of("0 */25 * * *"), "schedule '0 */25 * * *': hour step 25 is out of range 1-24");
  EXPECT_EQ(error_of("*/x * * * *"), "schedule '*/x * * * *': minute step 'x' is not a number");
  EXPECT_EQ(error_of("*/ * * * *"), "schedule '*/ * * * *': minute '*/' is missing a number");
}

TEST(ScheduleParse, RefusesBackwardRangesWithTheSplitToWrite) {
  EXPECT_EQ(error_of("0 22-2 * * *"), "schedule '0 22-2 * * *': hour range 22-2 goes backwards; split it as 22-23,0-2");
  EXPECT_EQ(error_of("0 0 * * FRI-MON"),
            "schedule '0 0 * * FRI-MON': day of week range 5-1 goes backwards; split it as 5-6,0-1");
}

TEST(ScheduleParse, RefusesMalformedValues) {
  EXPECT_EQ(error_of("x * * * *"), "schedule 'x * * * *': minute 'x' is not a number");
  EXPECT_EQ(error_of("JAN * * * *"), "schedule 'JAN * * * *': minute 'JAN' is not a number");
  EXPECT_EQ(error_of("-5 * * * *"), "schedule '-5 * * * *': minute '-5' is missing a number");
  EXPECT_EQ(error_of("5- * * * *"), "schedule '5- * * * *': minute '5-' is missing a number");
  EXPECT_EQ(error_of("1,,2 * * * *"), "schedule '1,,2 * * * *': minute has an empty list item");
  EXPECT_EQ(error_of("1, * * * *"), "schedule '1, * * * *': minute has an empty list item");
  EXPECT_EQ(error_of("0 0 * FOO *"), "schedule '0 0 * FOO *': month 'FOO' is not a number or a name (JAN-DEC)");
  EXPECT_EQ(error_of("0 0 * * FUN"),
            "schedule '0 0 * * FUN': day of week 'FUN' is not a number or a name (SUN-SAT)");
  EXPECT_EQ(error_of("0 0 * * MONDAY"),
            "schedule '0 0 * * MONDAY': day of week 'MONDAY' is not a number or a name (SUN-SAT)");
}

TEST(ScheduleParse, RefusesQuartzExtensions) {
  EXPECT_EQ(error_of("0 0 L * *"), "schedule '0 0 L * *': day of month 'L': L, W, # and ? are not supported");
  EXPECT_EQ(error_of("0 0 15W * *"), "schedule '0 0 15W * *': day of month '15W': L, W, # and ? are not supported");
  EXPECT_EQ(error_of("0 0 ? * 5#3"), "schedule '0 0 ? * 5#3': day of month '?': L, W, # and ? are not supported");
  EXPECT_EQ(error_of("0 0 * * 5L"), "schedule '0 0 * * 5L': day of week '5L': L, W, # and ? are not supported");
}

TEST(ScheduleParse, RefusesRebootAndUnknownMacros) {
  EXPECT_EQ(error_of("@reboot"), "schedule '@reboot': @reboot is not supported: a job runs on a schedule");
  EXPECT_EQ(error_of("@often"), "schedule '@often': unknown macro '@often' (use @yearly, @annually, @monthly, "
                                "@weekly, @daily, @midnight or @hourly)");
  EXPECT_EQ(error_of("@daily 5"), "schedule '@daily 5': nothing may follow @daily");
}

TEST(ScheduleParse, BoundsTheText) {
  const std::string longest = "0 0 * * *" + std::string(Schedule::max_length - 9, ' ');
  EXPECT_TRUE(Schedule::parse(longest));
  EXPECT_EQ(error_of(longest + " "), "schedule is 201 characters long; the limit is 200");
  EXPECT_EQ(error_of(std::string(100000, '*')), "schedule is 100000 characters long; the limit is 200");
}

TEST(ScheduleParse, RefusesControlCharactersWithoutQuotingThem) {
  EXPECT_EQ(error_of("0 0 * * *\nrm -rf /"), "schedule contains a control character");
  EXPECT_EQ(error_of(std::string("0 0 * * *\0", 10)), "schedule contains a control character");
}

TEST(ZoneParse, KnowsUtcAndLocalOnly) {
  EXPECT_EQ(parse_zone("UTC"), Zone::utc);
  EXPECT_EQ(parse_zone("local"), Zone::local);
  EXPECT_EQ(parse_zone("Europe/Berlin").error().message,
            "time zone 'Europe/Berlin' is not supported: use UTC, or local for the host's time zone");
}

// ---- the next run, in UTC ----

TEST(NextAfter, EveryFifteenMinutesCrossesTheHour) {
  EXPECT_EQ(runs("*/15 * * * *", utc(2026, 3, 2, 10, 40), 3), (Runs{"2026-03-02 10:45", "2026-03-02 11:00",
                                                                     "2026-03-02 11:15"}));
}

TEST(NextAfter, IsStrictlyAfterAndOnAWholeMinute) {
  EXPECT_EQ(next("*/15 * * * *", utc(2026, 3, 2, 11, 0)), "2026-03-02 11:15");
  EXPECT_EQ(next("*/15 * * * *", utc(2026, 3, 2, 10, 59, 59)), "2026-03-02 11:00");
  EXPECT_EQ(next("* * * * *", utc(2026, 3, 2, 10, 0, 1)), "2026-03-02 10:01");
  for (const char* text : {"* * * * *", "*/7 * * * *", "0 3 * * 1-5", "0 0 1 * MON", "@monthly", "0 0 29 2 *"})
    for (auto after : {utc(2026, 3, 2, 10, 0), utc(2026, 3, 2, 10, 0, 30), utc(2026, 12, 31, 23, 59, 59)}) {
      auto at = schedule(text).next_after(after);
      ASSERT_TRUE(at) << text;
      EXPECT_GT(*at, after) << text;
      EXPECT_EQ(at->time_since_epoch().count() % 60, 0) << text;
      EXPECT_EQ(schedule(text).next_after(*at - seconds{1}), at) << text;  // nothing earlier was skipped
    }
}

TEST(NextAfter, WeekdaysFromFridayEveningIsMondayMorning) {
  EXPECT_EQ(next("0 3 * * 1-5", utc(2026, 3, 6, 20, 0)), "2026-03-09 03:00");  // Friday -> Monday
  EXPECT_EQ(next("0 3 * * MON-FRI", utc(2026, 3, 6, 20, 0)), "2026-03-09 03:00");
}

TEST(NextAfter, StepsFromAStartAndWithinARange) {
  EXPECT_EQ(runs("5/20 * * * *", utc(2026, 3, 2, 10, 0), 4),
            (Runs{"2026-03-02 10:05", "2026-03-02 10:25", "2026-03-02 10:45", "2026-03-02 11:05"}));
  EXPECT_EQ(runs("0 9-17/4 * * *", utc(2026, 3, 2, 0, 0), 4),
            (Runs{"2026-03-02 09:00", "2026-03-02 13:00", "2026-03-02 17:00", "2026-03-03 09:00"}));
  EXPECT_EQ(runs("30 2 1,15 * *", utc(2026, 3, 2), 3),
            (Runs{"2026-03-15 02:30", "2026-04-01 02:30", "2026-04-15 02:30"}));
}

TEST(NextAfter, BothDayFieldsRestrictedMeansEither) {
  // The 1st of the month or any Monday (Vixie): March 2026 starts on a Sunday.
  EXPECT_EQ(runs("0 0 1 * MON", utc(2026, 2, 28), 8),
            (Runs{"2026-03-01 00:00", "2026-03-02 00:00", "2026-03-09 00:00", "2026-03-16 00:00",
                  "2026-03-23 00:00", "2026-03-30 00:00", "2026-04-01 00:00", "2026-04-06 00:00"}));
}

TEST(NextAfter, AStarredDayFieldMeansBoth) {
  EXPECT_EQ(next("0 0 * * MON", utc(2026, 3, 3)), "2026-03-09 00:00");
  EXPECT_EQ(next("0 0 1 * *", utc(2026, 3, 3)), "2026-04-01 00:00");
  // As in Vixie cron, "*/2" starts with `*`, so it narrows the weekday instead of adding days:
  // Mondays on odd days of the month (March 2 is even, March 9 odd).
  EXPECT_EQ(next("0 0 */2 * MON", utc(2026, 3, 1)), "2026-03-09 00:00");
}

TEST(NextAfter, SkipsMonthsWithoutTheDay) {
  EXPECT_EQ(runs("0 0 31 * *", utc(2026, 1, 1), 4),
            (Runs{"2026-01-31 00:00", "2026-03-31 00:00", "2026-05-31 00:00", "2026-07-31 00:00"}));
  EXPECT_EQ(next("0 0 30 * *", utc(2026, 1, 30)), "2026-03-30 00:00");
}

TEST(NextAfter, FindsTheNextLeapDay) {
  EXPECT_EQ(next("0 0 29 2 *", utc(2026, 1, 1)), "2028-02-29 00:00");
  EXPECT_EQ(next("0 0 29 2 *", utc(2028, 2, 29)), "2032-02-29 00:00");
  EXPECT_EQ(next("0 0 29 FEB *", utc(2024, 2, 28, 12)), "2024-02-29 00:00");
}

TEST(NextAfter, ADayThatNeverComesIsNone) {
  EXPECT_EQ(next("0 0 30 2 *", utc(2026, 1, 1)), "none");
  EXPECT_EQ(next("0 0 31 4,6,9,11 *", utc(2026, 1, 1)), "none");
  // With a weekday too, the day is found through the weekday (Vixie's either-rule).
  EXPECT_EQ(next("0 0 30 2 SUN", utc(2026, 1, 1)), "2026-02-01 00:00");
}

TEST(NextAfter, ReadsNamesInAnyCase) {
  EXPECT_EQ(next("0 12 * JAN sun", utc(2026, 2, 1)), "2027-01-03 12:00");
  EXPECT_EQ(next("0 12 * jan-Mar SAT", utc(2026, 3, 29)), "2027-01-02 12:00");
}

TEST(NextAfter, SevenIsSunday) {
  EXPECT_EQ(next("0 0 * * 7", utc(2026, 3, 2)), "2026-03-08 00:00");
  EXPECT_EQ(next("0 0 * * 0", utc(2026, 3, 2)), "2026-03-08 00:00");
  EXPECT_EQ(runs("0 0 * * 5-7", utc(2026, 3, 2), 4),
            (Runs{"2026-03-06 00:00", "2026-03-07 00:00", "2026-03-08 00:00", "2026-03-13 00:00"}));
}

TEST(NextAfter, RollsOverTheYear) {
  EXPECT_EQ(next("* * * * *", utc(2026, 12, 31, 23, 59)), "2027-01-01 00:00");
  EXPECT_EQ(next("0 0 1 1 *", utc(2026, 12, 31, 23, 59)), "2027-01-01 00:00");
  EXPECT_EQ(next("59 23 31 12 *", utc(2026, 12, 31, 23, 59)), "2027-12-31 23:59");
}

TEST(NextAfter, ExpandsMacros) {
  const auto monday = utc(2026, 3, 2, 10, 30);
  EXPECT_EQ(next("@hourly", monday), "2026-03-02 11:00");
  EXPECT_EQ(next("@daily", monday), "2026-03-03 00:00");
  EXPECT_EQ(next("@midnight", monday), "2026-03-03 00:00");
  EXPECT_EQ(next("@weekly", monday), "2026-03-08 00:00");
  EXPECT_EQ(next("@monthly", monday), "2026-04-01 00:00");
  EXPECT_EQ(next("@yearly", monday), "2027-01-01 00:00");
  EXPECT_EQ(next("@annually", monday), "2027-01-01 00:00");
}

// ---- the host's time zone, and daylight saving time ----

// TZ is set to POSIX rules equal to the zones' current ones, so the tests
// do not depend on the tz database being installed.
constexpr const char* berlin = "CET-1CEST,M3.5.0,M10.5.0/3";   // 2026: 03-29 02:00->03:00, 10-25 03:00->02:00
constexpr const char* new_york = "EST5EDT,M3.2.0,M11.1.0";      // 2026: 03-08 02:00->03:00, 11-01 02:00->01:00

class LocalZone : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = getenv("TZ")) saved_ = tz;
  }
  void TearDown() override {
    if (saved_)
      setenv("TZ", saved_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  static void use(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(LocalZone, ReadsTheHostsWallClock) {
  use(berlin);
  EXPECT_EQ(runs("0 9 * * *", utc(2026, 1, 5), 1, Zone::local), (Runs{"2026-01-05 09:00 CET"}));
  EXPECT_EQ(next("0 9 * * *", utc(2026, 1, 5)), "2026-01-05 09:00");  // UTC stays UTC
  EXPECT_EQ(utc_text(*schedule("0 9 * * *").next_after(utc(2026, 7, 1), Zone::local)), "2026-07-01 07:00");
}

TEST_F(LocalZone, DailyJobKeepsItsWallTimeAcrossTheChange) {
  use(berlin);
  EXPECT_EQ(runs("0 0 * * *", utc(2026, 3, 28, 12), 2, Zone::local),
            (Runs{"2026-03-29 00:00 CET", "2026-03-30 00:00 CEST"}));
  EXPECT_EQ(runs("0 12 * * *", utc(2026, 10, 24, 12), 2, Zone::local),
            (Runs{"2026-10-25 12:00 CET", "2026-10-26 12:00 CET"}));
}

TEST_F(LocalZone, SpringForwardRunsASkippedFixedTimeAtTheJump) {
  use(berlin);
  // 02:30 does not exist on 2026-03-29: the job runs at 03:00 CEST, once, and at 02:30 again the next day.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 3, 28, 12), 3, Zone::local),
            (Runs{"2026-03-29 03:00 CEST", "2026-03-30 02:30 CEST", "2026-03-31 02:30 CEST"}));
  const auto jump = *schedule("30 2 * * *").next_after(utc(2026, 3, 28, 12), Zone::local);
  EXPECT_EQ(utc_text(jump), "2026-03-29 01:00");
  // Several skipped times still run once.
  EXPECT_EQ(runs("0,15,45 2 * * *", utc(2026, 3, 29, 0, 10), 2, Zone::local),
            (Runs{"2026-03-29 03:00 CEST", "2026-03-30 02:00 CEST"}));
  // From just before the jump, too.
  EXPECT_EQ(utc_text(*schedule("30 2 * * *").next_after(utc(2026, 3, 29, 0, 59, 59), Zone::local)),
            "2026-03-29 01:00");
  // A job at 03:00 runs at 03:00 as usual.
  EXPECT_EQ(runs("0 3 * * *", utc(2026, 3, 28, 12), 1, Zone::local), (Runs{"2026-03-29 03:00 CEST"}));
}

TEST_F(LocalZone, SpringForwardWildcardJobsFollowTheWallClock) {
  use(berlin);
  EXPECT_EQ(runs("*/15 * * * *", utc(2026, 3, 29, 0, 30), 4, Zone::local),
            (Runs{"2026-03-29 01:45 CET", "2026-03-29 03:00 CEST", "2026-03-29 03:15 CEST", "2026-03-29 03:30 CEST"}));
  EXPECT_EQ(runs("30 * * * *", utc(2026, 3, 29, 0, 0), 2, Zone::local),
            (Runs{"2026-03-29 01:30 CET", "2026-03-29 03:30 CEST"}));
}

TEST_F(LocalZone, FallBackRunsARepeatedFixedTimeOnce) {
  use(berlin);
  // 02:30 happens twice on 2026-10-25 (CEST, then CET): the job runs on the first pass only.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 24, 12), 3, Zone::local),
            (Runs{"2026-10-25 02:30 CEST", "2026-10-26 02:30 CET", "2026-10-27 02:30 CET"}));
  // Asked during the second pass, the first one is already past.
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 25, 1, 10), 1, Zone::local), (Runs{"2026-10-26 02:30 CET"}));
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 10, 25, 1, 40), 1, Zone::local), (Runs{"2026-10-26 02:30 CET"}));
}

TEST_F(LocalZone, FallBackWildcardJobsKeepTheirPace) {
  use(berlin);
  EXPECT_EQ(runs("0 * * * *", utc(2026, 10, 24, 23, 30), 4, Zone::local),
            (Runs{"2026-10-25 02:00 CEST", "2026-10-25 02:00 CET", "2026-10-25 03:00 CET", "2026-10-25 04:00 CET"}));
  // Every 15 minutes in real time, straight through the repeated hour.
  const auto every_quarter = schedule("*/15 * * * *");
  auto after = utc(2026, 10, 24, 22, 0);
  for (int i = 0; i < 24; ++i) {
    auto at = every_quarter.next_after(after, Zone::local);
    ASSERT_TRUE(at);
    EXPECT_EQ(*at - after, minutes{15}) << local_text(*at);
    after = *at;
  }
}

TEST_F(LocalZone, NewYorkChangesAtTwoInTheMorningToo) {
  use(new_york);
  EXPECT_EQ(runs("30 2 * * *", utc(2026, 3, 7, 12), 2, Zone::local),
            (Runs{"2026-03-08 03:00 EDT", "2026-03-09 02:30 EDT"}));
  EXPECT_EQ(runs("30 1 * * *", utc(2026, 10, 31, 12), 2, Zone::local),
            (Runs{"2026-11-01 01:30 EDT", "2026-11-02 01:30 EST"}));
  EXPECT_EQ(runs("30 * * * *", utc(2026, 11, 1, 5, 0), 3, Zone::local),
            (Runs{"2026-11-01 01:30 EDT", "2026-11-01 01:30 EST", "2026-11-01 02:30 EST"}));
}

TEST_F(LocalZone, ResultsAreStrictlyAfterAndOnWholeMinutes) {
  use(berlin);
  for (const char* text : {"* * * * *", "*/15 * * * *", "30 2 * * *", "0 * * * *", "0 0 29 2 *"})
    for (auto after : {utc(2026, 3, 29, 0, 59, 59), utc(2026, 3, 29, 1, 0), utc(2026, 10, 25, 0, 59, 30),
                       utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 1, 30, 1)}) {
      auto at = schedule(text).next_after(after, Zone::local);
      ASSERT_TRUE(at) << text;
      EXPECT_GT(*at, after) << text;
      EXPECT_EQ(at->time_since_epoch().count() % 60, 0) << text;
    }
}

TEST_F(LocalZone, AskingAtAnyMinuteAgreesWithTheChainOfRuns) {
  use(berlin);
  for (const char* text : {"*/15 * * * *", "30 2 * * *", "0,30 1-3 * * *", "0 * * * *", "*/20 2 * * *"})
    for (auto day : {utc(2026, 3, 28, 22), utc(2026, 10, 24, 22)}) {
      const auto parsed = schedule(text);
      std::vector<sys_seconds> chain{*parsed.next_after(day - minutes{1}, Zone::local)};
      while (chain.back() < day + hours{8}) chain.push_back(*parsed.next_after(chain.back(), Zone::local));
      for (auto minute = day; minute < day + hours{6}; minute += minutes{1}) {
        auto expected = *std::ranges::lower_bound(chain, minute);
        EXPECT_EQ(parsed.next_after(minute - seconds{1}, Zone::local), expected) << text << " " << utc_text(minute);
      }
    }
}

TEST_F(LocalZone, ADayThatNeverComesIsNone) {
  use(berlin);
  EXPECT_EQ(schedule("0 0 30 2 *").next_after(utc(2026, 1, 1), Zone::local), std::nullopt);
}

}  // namespace
}  // namespace porter::cron
