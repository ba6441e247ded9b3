// SimTelephony turns call scripts into events at the right virtual times.
#include "telephony/sim/sim_telephony.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

using namespace telemark;
using namespace telemark::telephony;
using namespace std::chrono;

namespace {

// The smallest Scheduler: timers in (time, order) order, run by hand.
class ManualScheduler final : public Scheduler {
 public:
  explicit ManualScheduler(VirtualClock& clock) : clock_(clock) {}
  TimerId schedule_at(Instant at, std::function<void()> fn) override {
    TimerId id = ++next_;
    timers_.emplace(std::make_pair(at, id), std::move(fn));
    return id;
  }
  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it)
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
  }
  void run_until(Instant until) {
    while (!timers_.empty() && timers_.begin()->first.first <= until) {
      auto it = timers_.begin();
      clock_.set(it->first.first);
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
    clock_.set(until);
  }
  size_t pending() const { return timers_.size(); }

 private:
  VirtualClock& clock_;
  std::map<std::pair<Instant, TimerId>, std::function<void()>> timers_;
  TimerId next_ = 0;
};

class FixedScripts final : public sim::CallScripter {
 public:
  std::map<uint64_t, sim::CallScript> by_number;
  sim::CallScript script(const OriginateRequest& r, Instant) override { return by_number.at(r.number); }
};

struct Seen {
  EventKind kind;
  CallId call;
  double at_s;
};

class Recorder final : public EventListener {
 public:
  explicit Recorder(Instant start) : start_(start) {}
  void on_telephony_event(const Event& e) override {
    events.push_back({e.kind, e.call, duration<double>(e.at - start_).count()});
  }
  std::vector<Seen> events;

 private:
  Instant start_;
};

class SimTelephonyTest : public ::testing::Test {
 protected:
  Instant start{sys_days(year{2026} / 3 / 2)};
  VirtualClock clock{start};
  ManualScheduler scheduler{clock};
  FixedScripts scripts;
  Recorder recorder{start};
  sim::SimTelephony tel{clock, scheduler, scripts};

  void SetUp() override { tel.set_listener(&recorder); }
  CallId dial(uint64_t number, seconds timeout = seconds(25)) {
    OriginateRequest r;
    r.number = number;
    r.ring_timeout = timeout;
    auto id = tel.originate(r);
    EXPECT_TRUE(id.ok());
    return *id;
  }
  void run(double s) { scheduler.run_until(start + duration_cast<Duration>(duration<double>(s))); }
};

sim::CallScript human(double ring, double talk) {
  sim::CallScript s;
  s.fate = sim::Fate::kHuman;
  s.ring = duration_cast<Duration>(duration<double>(ring));
  s.talk = duration_cast<Duration>(duration<double>(talk));
  return s;
}

}  // namespace

TEST_F(SimTelephonyTest, PersonRingsAnswersTalksAndHangsUp) {
  scripts.by_number[100] = human(8, 60);
  CallId id = dial(100);
  EXPECT_TRUE(recorder.events.empty()) << "events come from the loop, never from originate()";
  run(8);
  ASSERT_EQ(recorder.events.size(), 2u);
  EXPECT_EQ(recorder.events[0].kind, EventKind::kRinging);
  EXPECT_DOUBLE_EQ(recorder.events[0].at_s, 1.0);
  EXPECT_EQ(recorder.events[1].kind, EventKind::kAnsweredHuman);
  EXPECT_DOUBLE_EQ(recorder.events[1].at_s, 8.0);
  run(9);
  ASSERT_TRUE(tel.connect(id, 7).ok());
  EXPECT_EQ(tel.bridged_to(id), 7u);
  run(68.9);
  EXPECT_EQ(recorder.events.size(), 2u);
  run(69);
  ASSERT_EQ(recorder.events.size(), 3u);
  EXPECT_EQ(recorder.events[2].kind, EventKind::kHangup);
  EXPECT_EQ(tel.active_calls(), 0u);
  EXPECT_FALSE(tel.hangup(id).ok());
}

TEST_F(SimTelephonyTest, MachineIsReportedAfterDetection) {
  sim::CallScript s;
  s.fate = sim::Fate::kMachine;
  s.ring = seconds(6);
  s.detect = seconds(3);
  scripts.by_number[1] = s;
  CallId id = dial(1);
  run(39);
  ASSERT_EQ(recorder.events.size(), 3u);  // ringing, answered_machine, far-end hangup after 30 s
  EXPECT_EQ(recorder.events[1].kind, EventKind::kAnsweredMachine);
  EXPECT_DOUBLE_EQ(recorder.events[1].at_s, 9.0);
  EXPECT_EQ(recorder.events[2].kind, EventKind::kHangup);
  EXPECT_FALSE(tel.connect(id, 1).ok()) << "the call is gone";
}

TEST_F(SimTelephonyTest, BusyAndFailedSignalWithoutRinging) {
  sim::CallScript busy;
  busy.fate = sim::Fate::kBusy;
  busy.ring = seconds(3);
  sim::CallScript failed;
  failed.fate = sim::Fate::kFailed;
  failed.ring = milliseconds(500);
  scripts.by_number[1] = busy;
  scripts.by_number[2] = failed;
  dial(1);
  dial(2);
  run(10);
  ASSERT_EQ(recorder.events.size(), 2u);
  EXPECT_EQ(recorder.events[0].kind, EventKind::kFailed);
  EXPECT_DOUBLE_EQ(recorder.events[0].at_s, 0.5);
  EXPECT_EQ(recorder.events[1].kind, EventKind::kBusy);
  EXPECT_DOUBLE_EQ(recorder.events[1].at_s, 3.0);
  EXPECT_EQ(tel.active_calls(), 0u);
}

TEST_F(SimTelephonyTest, RingTimeoutReleasesEvenACalleeWhoWouldPickUpLater) {
  sim::CallScript never;
  never.fate = sim::Fate::kNoAnswer;
  scripts.by_number[1] = never;
  scripts.by_number[2] = human(30, 60);  // would pick up after the timeout
  dial(1, seconds(25));
  dial(2, seconds(20));
  run(60);
  std::vector<Seen> resolved;
  for (const Seen& e : recorder.events)
    if (e.kind != EventKind::kRinging) resolved.push_back(e);
  ASSERT_EQ(resolved.size(), 2u);
  EXPECT_EQ(resolved[0].kind, EventKind::kNoAnswer);
  EXPECT_DOUBLE_EQ(resolved[0].at_s, 20.0);
  EXPECT_EQ(resolved[1].kind, EventKind::kNoAnswer);
  EXPECT_DOUBLE_EQ(resolved[1].at_s, 25.0);
}

TEST_F(SimTelephonyTest, MessageIsPlayedToTheEndThenTheCalleeWaits) {
  scripts.by_number[1] = human(5, 60);
  CallId id = dial(1);
  run(5);
  ASSERT_TRUE(tel.play_message(id, Message::kAbandonment).ok());
  EXPECT_FALSE(tel.connect(id, 3).ok()) << "a call playing the message is not bridged";
  run(11);
  ASSERT_EQ(recorder.events.back().kind, EventKind::kMessageDone);
  EXPECT_DOUBLE_EQ(recorder.events.back().at_s, 11.0);
  EXPECT_EQ(tel.counters().messages_played, 1u);
  ASSERT_TRUE(tel.hangup(id).ok());
  run(100);
  EXPECT_EQ(recorder.events.back().kind, EventKind::kMessageDone) << "no event after our hangup";
  EXPECT_EQ(scheduler.pending(), 0u);
}

TEST_F(SimTelephonyTest, AnAnsweredCallNobodyTakesIsHungUpByTheFarEnd) {
  scripts.by_number[1] = human(5, 60);
  dial(1);
  run(34.9);
  EXPECT_EQ(recorder.events.back().kind, EventKind::kAnsweredHuman);
  run(35);
  EXPECT_EQ(recorder.events.back().kind, EventKind::kHangup);
  EXPECT_EQ(tel.counters().remote_hangups, 1u);
}

TEST_F(SimTelephonyTest, HangupWhileRingingCancelsEverything) {
  scripts.by_number[1] = human(8, 60);
  CallId id = dial(1);
  run(2);
  ASSERT_TRUE(tel.hangup(id).ok());
  run(100);
  EXPECT_EQ(recorder.events.size(), 1u);  // only the ringing
  EXPECT_EQ(scheduler.pending(), 0u);
  EXPECT_EQ(tel.counters().local_hangups, 1u);
}

TEST_F(SimTelephonyTest, CommandsOnUnknownCallsAndBadNumbersAreErrors) {
  EXPECT_EQ(tel.connect(42, 1).error().code, "unknown_call");
  EXPECT_EQ(tel.play_message(42, Message::kAbandonment).error().code, "unknown_call");
  EXPECT_EQ(tel.hangup(42).error().code, "unknown_call");
  OriginateRequest r;
  auto bad = tel.originate(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_number");
}

TEST(EventKindNames, AreStable) {
  EXPECT_EQ(to_string(EventKind::kAnsweredHuman), "answered_human");
  EXPECT_EQ(to_string(EventKind::kNoAnswer), "no_answer");
  EXPECT_EQ(to_string(EventKind::kMessageDone), "message_done");
}
