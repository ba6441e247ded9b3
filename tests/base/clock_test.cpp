#include "base/clock.h"

#include <gtest/gtest.h>

using namespace telemark;
using namespace std::chrono;

TEST(VirtualClock, AdvancesOnlyWhenTold) {
  VirtualClock clock(Instant(sys_days(year{2026} / 11 / 29)));
  Instant start = clock.now();
  EXPECT_EQ(clock.now(), start);
  clock.advance(seconds(90));
  EXPECT_EQ(clock.now() - start, seconds(90));
  clock.set(start);
  EXPECT_EQ(clock.now(), start);
}

TEST(SystemClock, IsNotBeforeTheBuild) {
  SystemClock clock;
  EXPECT_GT(clock.now(), Instant(sys_days(year{2024} / 1 / 1)));
}
