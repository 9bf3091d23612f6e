#include "pipeline/env_locks.hpp"

#include <gtest/gtest.h>

#include <future>

namespace porter::pipeline {
namespace {

using namespace std::chrono_literals;
const auto no_wait = [](const std::string&) {};

TEST(EnvLocks, SecondDeployWaitsAndIsToldForWhom) {
  EnvLocks locks;
  proc::CancelToken cancel;
  auto first = locks.acquire("shop/production", "deploy #41", no_wait, cancel);
  ASSERT_TRUE(first);
  std::promise<std::string> waited_for;
  auto second = std::async(std::launch::async, [&] {
    return locks.acquire("shop/production", "deploy #42", [&](const std::string& holder) { waited_for.set_value(holder); }, cancel);
  });
  auto told = waited_for.get_future();
  ASSERT_EQ(told.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(told.get(), "deploy #41");
  EXPECT_EQ(second.wait_for(300ms), std::future_status::timeout);  // still held by #41
  first.reset();
  ASSERT_EQ(second.wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(second.get());
}

TEST(EnvLocks, OtherEnvironmentsDoNotWait) {
  EnvLocks locks;
  proc::CancelToken cancel;
  auto production = locks.acquire("shop/production", "deploy #1", no_wait, cancel);
  auto staging = locks.acquire("shop/staging", "deploy #2", no_wait, cancel);
  EXPECT_TRUE(production && staging);
}

TEST(EnvLocks, CancelledWaiterGivesUpItsPlace) {
  EnvLocks locks;
  proc::CancelToken keep, give_up;
  auto holder = locks.acquire("a/p", "deploy #1", no_wait, keep);
  std::promise<void> queued;
  auto quitter = std::async(std::launch::async, [&] {
    return locks.acquire("a/p", "deploy #2", [&](const std::string&) { queued.set_value(); }, give_up);
  });
  ASSERT_EQ(queued.get_future().wait_for(5s), std::future_status::ready);  // #2 is in line before #3
  auto third = std::async(std::launch::async, [&] { return locks.acquire("a/p", "deploy #3", no_wait, keep); });
  give_up.cancel();
  ASSERT_EQ(quitter.wait_for(5s), std::future_status::ready);
  EXPECT_FALSE(quitter.get());
  holder.reset();
  ASSERT_EQ(third.wait_for(5s), std::future_status::ready);
  auto third_lease = third.get();
  EXPECT_TRUE(third_lease);
  EXPECT_TRUE(locks.is_held("a/p"));
}

}  // namespace
}  // namespace porter::pipeline
