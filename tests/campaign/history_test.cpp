// campaign/history.h: a lead's stored attempts turned into the engine's
// call history, as the dialer's gate, `check --lead` and `scrub --list`
// count them. Each case: attempts (minutes relative to the read instant,
// abandoned or not), the instant of the call, and the history expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "campaign/history.h"

namespace telemark::campaign {
namespace {

using std::chrono::minutes;

const Instant kNow = Instant(std::chrono::seconds(1'780'000'000));

struct Attempt {
  int minutes_ago;
  bool abandoned;
};

struct Case {
  const char* name;
  std::vector<Attempt> attempts;  // oldest first, read at kNow
  int call_minutes_after;         // the call is at kNow + this
  std::vector<int> times_ago;     // expected attempt_times, minutes before kNow
  int overflow;                   // expected attempts_24h
  int abandoned_ago;              // expected last_abandoned_at, minutes before kNow; -1: none
};

const Case kCases[] = {
    {"no attempts", {}, 0, {}, 0, -1},
    {"three in the day", {{600, false}, {300, false}, {10, false}}, 0, {600, 300, 10}, 0, -1},
    {"older than a day is not counted", {{24 * 60, false}, {24 * 60 - 1, false}}, 0, {24 * 60 - 1}, 0, -1},
    {"an abandoned call counts beyond the day", {{72 * 60, true}, {30, false}}, 0, {30}, 0, 72 * 60},
    {"the latest abandoned call", {{300, true}, {200, true}, {100, false}}, 0, {300, 200, 100}, 0, 200},
    {"a later call drops what left its day", {{600, false}, {300, false}}, 24 * 60 - 400, {300}, 0, -1},
    {"an attempt at the instant of the call counts", {{0, false}}, 0, {0}, 0, -1},
    {"an attempt after the call does not", {{0, false}}, -1, {}, 0, -1},
};

TEST(CallHistory, StoredAttemptsAsTheEngineSeesThem) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    CallRecord record;
    for (const Attempt& a : c.attempts) add_attempt(record, kNow - minutes(a.minutes_ago), a.abandoned, kNow);
    compliance::CallHistory h;
    h.attempts_24h = 99;  // replaced
    fill_history(record, kNow + minutes(c.call_minutes_after), h);
    std::vector<Instant> got(h.attempt_times.begin(), h.attempt_times.end());
    std::vector<Instant> want;
    for (int m : c.times_ago) want.push_back(kNow - minutes(m));
    std::sort(got.begin(), got.end());
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    EXPECT_EQ(h.attempts_24h, c.overflow);
    if (c.abandoned_ago < 0) {
      EXPECT_FALSE(h.last_abandoned_at.has_value());
    } else {
      ASSERT_TRUE(h.last_abandoned_at.has_value());
      EXPECT_EQ(*h.last_abandoned_at, kNow - minutes(c.abandoned_ago));
    }
    EXPECT_EQ(has_history(h), !want.empty() || c.overflow > 0 || c.abandoned_ago >= 0);
  }
}

TEST(CallHistory, TimesBeyondTheListAreCounted) {
  CallRecord record;
  const int n = static_cast<int>(compliance::kMaxAttemptTimes) + 3;
  for (int i = n; i > 0; --i) add_attempt(record, kNow - minutes(i), false, kNow);
  compliance::CallHistory h;
  fill_history(record, kNow, h);
  EXPECT_EQ(h.attempt_times.size(), compliance::kMaxAttemptTimes);
  EXPECT_EQ(h.attempts_24h, 3);
}

}  // namespace
}  // namespace telemark::campaign
