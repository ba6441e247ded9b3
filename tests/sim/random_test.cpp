// The simulator's randomness: reproducible for a seed, and the log-normal
// has the mean and standard deviation it is given.
#include "sim/random.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace telemark::sim;

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Rng, UniformIsInTheUnitIntervalWithMeanOneHalf) {
  Rng r(1);
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 100000, 0.5, 0.005);
}

struct Moments {
  double mean, sd;
};

Moments sample(const LogNormal& d, int n, uint64_t seed) {
  Rng r(seed);
  double s = 0, ss = 0;
  for (int i = 0; i < n; ++i) {
    double x = d.sample(r);
    s += x;
    ss += x * x;
  }
  double mean = s / n;
  return {mean, std::sqrt(ss / n - mean * mean)};
}

TEST(LogNormal, HasTheMeanAndSdOfTheScenario) {
  // The benchmark's talk, wrap-up and ring times.
  for (auto [mean, sd] : {std::pair{120.0, 90.0}, {20.0, 10.0}, {8.0, 4.0}}) {
    Moments m = sample(LogNormal{mean, sd}, 400000, 7);
    EXPECT_NEAR(m.mean, mean, 0.01 * mean) << mean << "/" << sd;
    EXPECT_NEAR(m.sd, sd, 0.04 * sd) << mean << "/" << sd;
  }
}

TEST(LogNormal, ZeroSdIsAConstant) {
  Rng r(3);
  EXPECT_EQ((LogNormal{25, 0}).sample(r), 25.0);
  EXPECT_EQ((LogNormal{0, 5}).sample(r), 0.0);
}
