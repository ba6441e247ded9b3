// Scenario files: the benchmark's files parse; drift applies at the right
// times; every malformed file in bad_scenarios/ is refused with a message
// naming the file, line or key (each file's first line says what to expect).
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/paths.h"

using namespace telemark;

TEST(Scenario, BenchmarkFilesParse) {
  for (const char* name : {"s1", "s2", "s3", "s4", "s5"}) {
    auto sc = sim::load_scenario(home_path(std::string("bench/scenarios/") + name + ".toml"));
    ASSERT_TRUE(sc.ok()) << sc.error().message;
    EXPECT_DOUBLE_EQ(sc->talk.mean, 120.0);
    EXPECT_DOUBLE_EQ(sc->talk.sd, 90.0);
    EXPECT_DOUBLE_EQ(sc->ring.cap, 25.0);
    EXPECT_DOUBLE_EQ(sc->ring_timeout_s, 25.0);
    EXPECT_DOUBLE_EQ(sc->grace_s, 2.0);
    EXPECT_DOUBLE_EQ(sc->hours, 3.0);
  }
  auto s4 = sim::load_scenario(home_path("bench/scenarios/s4.toml"));
  ASSERT_TRUE(s4.ok());
  EXPECT_EQ(s4->agents, 200);
  EXPECT_DOUBLE_EQ(s4->human, 0.10);
}

TEST(Scenario, S5DriftsAtOneHour) {
  auto sc = sim::load_scenario(home_path("bench/scenarios/s5.toml"));
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  sim::WorldMoment before = sc->at(3599.0), after = sc->at(3600.0);
  EXPECT_DOUBLE_EQ(before.human, 0.20);
  EXPECT_DOUBLE_EQ(before.talk.mean, 120.0);
  EXPECT_DOUBLE_EQ(after.human, 0.10);
  EXPECT_DOUBLE_EQ(after.talk.mean, 180.0);
  EXPECT_DOUBLE_EQ(after.talk.sd, 90.0);
  EXPECT_DOUBLE_EQ(after.machine, 0.15);
}

TEST(Scenario, RampsInterpolateAndLaterStepsAddUp) {
  auto sc = sim::load_scenario(home_path("tests/sim/scenarios/ramp.toml"));
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  EXPECT_DOUBLE_EQ(sc->at(500).human, 0.40);
  EXPECT_NEAR(sc->at(1500).human, 0.30, 1e-12);
  EXPECT_NEAR(sc->at(1500).talk.mean, 150.0, 1e-9);
  EXPECT_DOUBLE_EQ(sc->at(2500).human, 0.20);
  EXPECT_DOUBLE_EQ(sc->at(4999).machine, 0.10);
  EXPECT_DOUBLE_EQ(sc->at(5000).machine, 0.30);
  EXPECT_DOUBLE_EQ(sc->at(5000).human, 0.20);
}

TEST(Scenario, RampsOfOneFieldMayFollowEachOther) {
  auto sc = sim::parse_scenario(R"(
[callees]
human = 0.2
[[drift]]
at = 0.0
ramp = 100.0
human = 0.4
[[drift]]
at = 100.0
ramp = 100.0
human = 0.1
talk_mean = 60.0
[[drift]]
at = 150.0
ramp = 10.0
talk_sd = 30.0
)",
                                "inline.toml");
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  EXPECT_NEAR(sc->at(50).human, 0.30, 1e-12);
  EXPECT_NEAR(sc->at(150).human, 0.25, 1e-12);
  EXPECT_NEAR(sc->at(155).talk.sd, 60.0, 1e-9);
  EXPECT_NEAR(sc->at(500).human, 0.10, 1e-12);
}

TEST(Scenario, CalendarMonthZoneIsAnIanaName) {
  auto sc = sim::parse_scenario("[dialer]\nwindow = \"ca\"\ntime_zone = \"America/Toronto\"\n", "ca.toml");
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  EXPECT_EQ(sc->time_zone, "America/Toronto");
}

TEST(Scenario, DefaultsNeedNoFile) {
  auto sc = sim::parse_scenario("", "empty.toml");
  ASSERT_TRUE(sc.ok()) << sc.error().message;
  EXPECT_EQ(sc->window, "us");
  EXPECT_DOUBLE_EQ(sc->grace_s, 2.0);
}

TEST(Scenario, MissingFileIsAnIoError) {
  auto sc = sim::load_scenario("/nonexistent/scenario.toml");
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(sc.error().code, "io_error");
  EXPECT_NE(sc.error().message.find("/nonexistent/scenario.toml"), std::string::npos);
}

TEST(Scenario, MalformedFilesAreRefusedWithTheReason) {
  int cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(home_path("tests/sim/bad_scenarios"))) {
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string tag = "# expect: ";
    ASSERT_EQ(first.rfind(tag, 0), 0u) << entry.path() << " must start with '" << tag << "'";
    std::string expected = first.substr(tag.size());
    auto sc = sim::load_scenario(entry.path().string());
    ASSERT_FALSE(sc.ok()) << entry.path() << " was accepted";
    EXPECT_EQ(sc.error().code, "bad_scenario") << entry.path();
    EXPECT_NE(sc.error().message.find(expected), std::string::npos)
        << entry.path() << "\n  expected: " << expected << "\n  got:      " << sc.error().message;
    ++cases;
  }
  EXPECT_GE(cases, 10);
}
