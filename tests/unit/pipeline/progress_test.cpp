#include "pipeline/progress.hpp"

#include <gtest/gtest.h>

#include "support/fakes.hpp"
#include "support/temp_dir.hpp"

namespace porter::pipeline {
namespace {

using test::Collected;

class ProgressTest : public ::testing::Test {
 protected:
  Collected out_;
  std::shared_ptr<proc::CancelToken> cancel_ = std::make_shared<proc::CancelToken>();
  Progress progress_{out_.writer(), cancel_};
};

TEST_F(ProgressTest, PrefixesEachKindOfLine) {
  progress_.stage("Building");
  progress_.detail("step 1");
  progress_.warning("careful");
  progress_.verdict("done");
  progress_.detail_sink()("from a process");
  EXPECT_EQ(out_.text,
            "-----> Building\n"
            "       step 1\n"
            " !     careful\n"
            "=====> done\n"
            "       from a process\n");
}

TEST_F(ProgressTest, MasksConfigValuesWhereverTheyAppear) {
  progress_.mask({{"TOKEN", "hunter22"}, {"PORT", "80"}, {"FLAG", "on"}, {"CODE", "abcd"}});
  progress_.line("token=hunter22 again hunter22,hunter22hunter22 port 80 flag on code abcd");
  EXPECT_EQ(out_.text, "token=***** again *****,********** port 80 flag on code *****\n");
}

TEST_F(ProgressTest, MaskedTextIsWhatMayLeaveTheJobElsewhere) {
  progress_.mask({{"TOKEN", "hunter22"}});
  EXPECT_EQ(progress_.masked("compile failed: index https://u:hunter22@pypi"), "compile failed: index https://u:*****@pypi");
  EXPECT_EQ(out_.text, "");  // nothing was written to the user
}

TEST_F(ProgressTest, ValuesShorterThanFourCharactersAreNotMasked) {
  progress_.mask({{"A", "abc"}, {"B", "1"}, {"C", ""}});
  progress_.line("abc 1 xyz");
  EXPECT_EQ(out_.text, "abc 1 xyz\n");
}

TEST_F(ProgressTest, ASecretContainingAnotherIsMaskedWhole) {
  // Whichever order the names sort in, the longer value wins.
  progress_.mask({{"A_PASSWORD", "s3cret-pw"}, {"Z_URL", "postgres://app:s3cret-pw@db:5432/app"}});
  progress_.line("connecting to postgres://app:s3cret-pw@db:5432/app as s3cret-pw");
  EXPECT_EQ(out_.text, "connecting to ***** as *****\n");
  EXPECT_FALSE(out_.has("db:5432"));
}

TEST_F(ProgressTest, MasksInEveryWayOfWriting) {
  progress_.mask({{"KEY", "sk_live_1234"}});
  progress_.stage("sk_live_1234");
  progress_.detail("key sk_live_1234");
  progress_.warning("sk_live_1234!");
  progress_.verdict("(sk_live_1234)");
  progress_.detail_sink()("export KEY=sk_live_1234");
  EXPECT_FALSE(out_.has("sk_live_1234"));
  EXPECT_FALSE(out_.has("1234"));
  EXPECT_TRUE(out_.has("export KEY=*****"));
}

TEST_F(ProgressTest, MasksASecretSplitByAnEscapeSequence) {
  progress_.mask({{"KEY", "hunter22"}});
  progress_.line("hunt\x1b[1mer22 and hun\rter22");
  EXPECT_EQ(out_.text, "***** and *****\n");
}

TEST_F(ProgressTest, LaterMasksAddToEarlierOnes) {
  progress_.mask({{"A", "first-secret"}});
  progress_.mask({{"B", "second-secret"}});
  progress_.line("first-secret second-secret");
  EXPECT_EQ(out_.text, "***** *****\n");
}

TEST_F(ProgressTest, MasksTheDeployLogToo) {
  test::TempDir dir("progress");
  const auto log = dir / "logs" / "7.log";
  progress_.mask({{"TOKEN", "hunter22"}});
  progress_.line("before the log");
  progress_.log_to(log);
  progress_.stage("using hunter22");
  progress_.detail("\x1b[31mred hunter22\x1b[0m");
  progress_.stop_logging();
  progress_.line("after the log");
  EXPECT_EQ(test::read_file(log), "-----> using *****\n       red *****\n");
  EXPECT_FALSE(out_.has("hunter22"));
}

TEST_F(ProgressTest, TheDeployLogIsAppendedTo) {
  test::TempDir dir("progress");
  const auto log = dir / "1.log";
  test::write_file(log, "queued\n");
  progress_.log_to(log);
  progress_.line("running");
  progress_.stop_logging();
  EXPECT_EQ(test::read_file(log), "queued\nrunning\n");
}

TEST_F(ProgressTest, DropsControlCharactersAndCsiSequences) {
  progress_.line("\x1b[1;32mgreen\x1b[0m plain\x07 bell\x01\x02 back\bspace\r\x1b[2K\x1b[?25lcursor");
  progress_.line("tab\tkept");
  progress_.line("\x1b[");  // an unfinished sequence at the end of a line
  progress_.line("utf-8: h\xc3\xa9llo");
  EXPECT_EQ(out_.text, "green plain bell backspacecursor\ntab\tkept\n\nutf-8: h\xc3\xa9llo\n");
}

TEST_F(ProgressTest, AGoneUserCancelsTheJob) {
  progress_.line("still here");
  EXPECT_FALSE(progress_.cancel().cancelled());
  out_.open = false;
  progress_.line("anyone?");
  EXPECT_TRUE(progress_.cancel().cancelled());
  EXPECT_TRUE(cancel_->cancelled());  // the job's own token, shared with whoever waits on it
}

TEST(SecondsSince, FormatsWithOneDecimal) {
  const auto text = seconds_since(std::chrono::steady_clock::now() - std::chrono::milliseconds(2500));
  EXPECT_TRUE(text == "2.5 s" || text == "2.6 s") << text;
}

}  // namespace
}  // namespace porter::pipeline
