// The simulator's event loop: time order, FIFO among equal times,
// cancellation, and a clock that only moves when the loop moves it.
#include "sim/event_loop.h"

#include <gtest/gtest.h>

#include <string>

using namespace telemark;
using namespace std::chrono;

namespace {
Instant t0() { return Instant(sys_days(year{2026} / 3 / 2)); }
}  // namespace

TEST(EventLoop, RunsTimersInTimeOrderAndSameTimesInSchedulingOrder) {
  VirtualClock clock(t0());
  sim::EventLoop loop(clock);
  std::string order;
  loop.schedule_at(t0() + seconds(5), [&] { order += "c"; });
  loop.schedule_at(t0() + seconds(1), [&] { order += "a"; });
  loop.schedule_at(t0() + seconds(5), [&] { order += "d"; });
  loop.schedule_at(t0() + seconds(2), [&] { order += "b"; });
  loop.run_until(t0() + seconds(10));
  EXPECT_EQ(order, "abcd");
  EXPECT_EQ(clock.now(), t0() + seconds(10));
  EXPECT_EQ(loop.executed(), 4u);
}

TEST(EventLoop, ClockShowsEachTimersTimeWhileItRuns) {
  VirtualClock clock(t0());
  sim::EventLoop loop(clock);
  Instant seen{};
  loop.schedule_at(t0() + milliseconds(2500), [&] { seen = clock.now(); });
  loop.run_until(t0() + seconds(2));
  EXPECT_EQ(seen, Instant{}) << "not due yet";
  EXPECT_EQ(clock.now(), t0() + seconds(2));
  loop.run_until(t0() + seconds(3));
  EXPECT_EQ(seen, t0() + milliseconds(2500));
}

TEST(EventLoop, CancelledTimersNeverRunAndStaleIdsAreHarmless) {
  VirtualClock clock(t0());
  sim::EventLoop loop(clock);
  int ran = 0;
  auto a = loop.schedule_at(t0() + seconds(1), [&] { ++ran; });
  loop.cancel(a);
  loop.cancel(a);  // twice: no-op
  EXPECT_EQ(loop.pending(), 0u);
  // The freed slot is reused; the old id must not cancel the new timer.
  auto b = loop.schedule_at(t0() + seconds(2), [&] { ran += 10; });
  EXPECT_NE(a, b);
  loop.cancel(a);
  loop.run_until(t0() + seconds(5));
  EXPECT_EQ(ran, 10);
  loop.cancel(b);  // after it ran: no-op
}

TEST(EventLoop, TimersScheduledWhileRunningRunIfDueAndPastTimesRunNow) {
  VirtualClock clock(t0());
  sim::EventLoop loop(clock);
  std::string order;
  loop.schedule_at(t0() + seconds(1), [&] {
    order += "a";
    loop.schedule_at(clock.now() + seconds(1), [&] { order += "c"; });
    loop.schedule_at(t0(), [&] { order += "b"; });  // in the past: as soon as possible
  });
  loop.run_until(t0() + seconds(3));
  EXPECT_EQ(order, "abc");
}

TEST(EventLoop, RunOneAdvancesToTheNextTimer) {
  VirtualClock clock(t0());
  sim::EventLoop loop(clock);
  EXPECT_FALSE(loop.run_one());
  loop.schedule_at(t0() + hours(3), [] {});
  EXPECT_TRUE(loop.run_one());
  EXPECT_EQ(clock.now(), t0() + hours(3));
}
