// The dialer core as a state machine, on a virtual clock with a scripted
// telephony fake: the test plays the network, the agents and the gate.
#include "dialer/dialer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "base/paths.h"
#include "dialer/memory_ports.h"
#include "sim/event_loop.h"
#include "sim/run.h"
#include "sim/scenario.h"

using namespace telemark;
using namespace telemark::dialer;
using namespace std::chrono;
using telephony::CallId;
using telephony::EventKind;

namespace {

constexpr uint64_t kFirstPhone = 15550000000ull;
uint64_t phone_of_lead(int64_t lead) { return kFirstPhone + static_cast<uint64_t>(lead) - 1; }

// Records every command; the test delivers events with emit().
class FakeTelephony final : public telephony::Telephony {
 public:
  struct Placed {
    CallId call;
    uint64_t number;
    bool receipt_was_written;
  };
  FakeTelephony(const Clock& clock, const MemoryAttemptSink& sink) : clock_(clock), sink_(sink) {}

  void set_listener(telephony::EventListener* l) override { listener_ = l; }
  Result<CallId> originate(const telephony::OriginateRequest& r) override {
    if (refuse_) return make_error("congestion", "fake network refuses calls");
    CallId id = next_++;
    placed.push_back({id, r.number, sink_.has_receipt_for_phone(r.number)});
    live_.insert(id);
    return id;
  }
  Status connect(CallId call, telephony::AgentLine agent) override {
    if (!live_.count(call)) return make_error("unknown_call", "gone");
    connects.emplace_back(call, agent);
    return Status::Ok();
  }
  Status play_message(CallId call, telephony::Message) override {
    if (!live_.count(call)) return make_error("unknown_call", "gone");
    messages.push_back(call);
    return Status::Ok();
  }
  Status hangup(CallId call) override {
    if (!live_.erase(call)) return make_error("unknown_call", "gone");
    hangups.push_back(call);
    return Status::Ok();
  }
  void emit(EventKind kind, CallId call) {
    if (kind == EventKind::kHangup || kind == EventKind::kBusy || kind == EventKind::kNoAnswer ||
        kind == EventKind::kFailed)
      live_.erase(call);
    listener_->on_telephony_event(telephony::Event{kind, call, clock_.now()});
  }
  CallId call_to(int64_t lead) const {
    for (const Placed& p : placed)
      if (p.number == phone_of_lead(lead)) return p.call;
    return 0;
  }
  telephony::AgentLine agent_of(CallId call) const {
    for (auto [c, a] : connects)
      if (c == call) return a;
    return 0;
  }
  void refuse(bool r) { refuse_ = r; }

  std::vector<Placed> placed;
  std::vector<std::pair<CallId, telephony::AgentLine>> connects;
  std::vector<CallId> messages, hangups;

 private:
  const Clock& clock_;
  const MemoryAttemptSink& sink_;
  telephony::EventListener* listener_ = nullptr;
  std::set<CallId> live_;
  CallId next_ = 1;
  bool refuse_ = false;
};

class RecordingDesk final : public AgentDesk {
 public:
  void on_connected(AgentId a, const ConnectedCall& c) override { connected.emplace_back(a, c.attempt_id); }
  void on_call_ended(AgentId a, uint64_t attempt) override { ended.emplace_back(a, attempt); }
  void on_preview(AgentId a, const DialLead& l) override { previews.emplace_back(a, l.lead_id); }
  void on_agent_state(AgentId, AgentState, Instant) override { ++state_changes; }
  std::vector<std::pair<AgentId, uint64_t>> connected, ended;
  std::vector<std::pair<AgentId, int64_t>> previews;
  int state_changes = 0;
};

class DialerTest : public ::testing::Test {
 protected:
  Instant start{sys_days(year{2026} / 3 / 2) + hours(14)};
  VirtualClock clock{start};
  sim::EventLoop loop{clock};
  MemoryAttemptSink sink;
  FakeTelephony tel{clock, sink};
  SyntheticLeadSource leads{kFirstPhone};
  DenyListGate gate;
  RecordingDesk desk;
  std::unique_ptr<Dialer> dialer;

  void make(DialMode mode, AbandonmentWindow window = AbandonmentWindow::kUsRolling30Days) {
    DialerConfig config;
    config.campaign_id = 7;
    config.mode = mode;
    auto ledger = AbandonmentLedger::create(window);
    ASSERT_TRUE(ledger.ok());
    dialer = std::make_unique<Dialer>(config, clock, loop, tel, leads, gate, sink, desk, std::move(*ledger));
  }
  void advance(double s) { loop.run_until(clock.now() + duration_cast<Duration>(duration<double>(s))); }
  const AttemptResult* result_for(CallId call) {
    // Attempt ids follow placement order, as do the fake's call ids here.
    for (const AttemptResult& r : sink.results())
      if (r.lead.phone == number_of(call)) return &r;
    return nullptr;
  }
  uint64_t number_of(CallId call) {
    for (const auto& p : tel.placed)
      if (p.call == call) return p.number;
    return 0;
  }
};

}  // namespace

TEST_F(DialerTest, ProgressivePlacesOneCallPerIdleAgent) {
  make(DialMode::progressive());
  for (AgentId a : {1u, 2u, 3u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  dialer->start();
  EXPECT_EQ(tel.placed.size(), 3u);
  ASSERT_TRUE(dialer->agent_login(4).ok());
  EXPECT_EQ(tel.placed.size(), 4u) << "a newly ready agent gets a line at once";
  tel.emit(EventKind::kBusy, tel.placed[0].call);
  EXPECT_EQ(tel.placed.size(), 5u) << "a line that ends without a person is replaced";
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  EXPECT_EQ(tel.agent_of(tel.placed[1].call), 1u);
  EXPECT_EQ(tel.placed.size(), 5u) << "3 idle agents, 3 calls in flight";
  EXPECT_EQ(dialer->stats().abandoned, 0u);
  EXPECT_EQ(dialer->stats().dials, 5u);
  EXPECT_EQ(dialer->stats().busy, 1u);
}

TEST_F(DialerTest, AnsweredCallsGoToTheAgentIdleLongest) {
  make(DialMode::power(3));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  advance(1);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  advance(1);
  ASSERT_TRUE(dialer->agent_login(3).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 9u);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  EXPECT_EQ(tel.agent_of(tel.placed[0].call), 1u);
  // Agent 1 finishes before agents 2 and 3 got anything: now 2 has waited
  // longest, then 3, then 1.
  advance(10);
  tel.emit(EventKind::kHangup, tel.placed[0].call);
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[2].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[3].call);
  EXPECT_EQ(tel.agent_of(tel.placed[1].call), 2u);
  EXPECT_EQ(tel.agent_of(tel.placed[2].call), 3u);
  EXPECT_EQ(tel.agent_of(tel.placed[3].call), 1u);
  ASSERT_EQ(desk.connected.size(), 4u);
  ASSERT_EQ(desk.ended.size(), 1u);
  EXPECT_EQ(desk.ended[0].first, 1u);
}

TEST_F(DialerTest, NoAgentWithinTwoSecondsAbandonsWithTheMessage) {
  make(DialMode::power(3));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 3u);
  CallId a = tel.placed[0].call, b = tel.placed[1].call;
  tel.emit(EventKind::kAnsweredHuman, a);
  tel.emit(EventKind::kAnsweredHuman, b);
  EXPECT_EQ(dialer->calls_waiting(), 1);
  advance(1.999);
  EXPECT_TRUE(tel.messages.empty());
  EXPECT_EQ(dialer->stats().abandoned, 0u);
  advance(0.001);
  ASSERT_EQ(tel.messages.size(), 1u);
  EXPECT_EQ(tel.messages[0], b);
  EXPECT_EQ(dialer->stats().abandoned, 1u);
  EXPECT_EQ(dialer->calls_waiting(), 0);
  AbandonmentTotals w = dialer->window_totals();
  EXPECT_EQ(w.live_answers, 2u);
  EXPECT_EQ(w.abandoned, 1u);
  EXPECT_TRUE(std::find(tel.hangups.begin(), tel.hangups.end(), b) == tel.hangups.end())
      << "the message plays to the end";
  advance(6);
  tel.emit(EventKind::kMessageDone, b);
  EXPECT_TRUE(std::find(tel.hangups.begin(), tel.hangups.end(), b) != tel.hangups.end());
  const AttemptResult* r = result_for(b);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outcome, Outcome::kAbandoned);
  EXPECT_TRUE(r->abandon_message_played);
  EXPECT_EQ(dialer->stats().abandon_messages, 1u);
}

TEST_F(DialerTest, AnAgentFreeWithinTheGraceTakesTheWaitingCall) {
  make(DialMode::power(3));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  CallId a = tel.placed[0].call, b = tel.placed[1].call;
  tel.emit(EventKind::kAnsweredHuman, a);
  advance(30);
  tel.emit(EventKind::kAnsweredHuman, b);
  advance(1.0);
  tel.emit(EventKind::kHangup, a);  // agent 1 goes to wrap-up...
  advance(0.9);
  ASSERT_TRUE(dialer->agent_ready(1).ok());  // ...and is ready 1.9 s after b's answer
  EXPECT_EQ(tel.agent_of(b), 1u);
  advance(5);
  EXPECT_EQ(dialer->stats().abandoned, 0u);
  EXPECT_TRUE(tel.messages.empty());
  EXPECT_NEAR(dialer->stats().total_answer_wait_s, 1.9, 1e-6);
}

TEST_F(DialerTest, ACalleeWhoHangsUpWhileWaitingIsCountedAbandoned) {
  make(DialMode::power(2));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  advance(1);
  tel.emit(EventKind::kHangup, tel.placed[1].call);
  EXPECT_EQ(dialer->stats().abandoned, 1u);
  advance(5);
  EXPECT_EQ(dialer->stats().abandoned, 1u) << "the grace timer must not count it twice";
  EXPECT_TRUE(tel.messages.empty());
}

TEST_F(DialerTest, TheGateDecidesEveryDialAndDenialsAreCountedByReason) {
  gate.deny(phone_of_lead(1), "dnc_registry");
  gate.deny(phone_of_lead(3), "dnc_registry");
  gate.deny(phone_of_lead(4), "outside_hours");
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  ASSERT_TRUE(dialer->agent_login(2).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 2u);
  EXPECT_EQ(tel.placed[0].number, phone_of_lead(2));
  EXPECT_EQ(tel.placed[1].number, phone_of_lead(5));
  EXPECT_EQ(dialer->stats().blocked_by_reason.at("dnc_registry"), 2u);
  EXPECT_EQ(dialer->stats().blocked_by_reason.at("outside_hours"), 1u);
  EXPECT_EQ(dialer->stats().gate_denials, 3u);
  ASSERT_EQ(sink.blocked().size(), 3u);
  EXPECT_EQ(sink.blocked()[0].lead.lead_id, 1);
  EXPECT_EQ(sink.blocked()[0].reasons, std::vector<std::string>{"dnc_registry"});
  EXPECT_FALSE(sink.has_receipt_for_phone(phone_of_lead(1))) << "no receipt for a call not placed";
  EXPECT_EQ(gate.checks(), 5u);
}

TEST_F(DialerTest, TheReceiptIsWrittenBeforeTheCallIsPlaced) {
  make(DialMode::power(2.5));
  for (AgentId a : {1u, 2u, 3u, 4u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 10u);
  for (const auto& p : tel.placed) EXPECT_TRUE(p.receipt_was_written) << p.number;
  ASSERT_EQ(sink.receipts().size(), 10u);
  EXPECT_EQ(sink.receipts()[0].campaign_id, 7);
  EXPECT_NE(sink.receipts()[0].attempt_id, sink.receipts()[1].attempt_id);
}

TEST_F(DialerTest, AReceiptThatCannotBeWrittenStopsTheDial) {
  sink.fail_receipt_writes_from(2);
  make(DialMode::progressive());
  for (AgentId a : {1u, 2u, 3u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  dialer->start();
  EXPECT_EQ(tel.placed.size(), 1u);
  EXPECT_GE(dialer->stats().receipt_failures, 1u);
  EXPECT_EQ(dialer->stats().dials, 1u);
}

TEST_F(DialerTest, ARefusedOriginateIsRecordedAndStopsTheRound) {
  tel.refuse(true);
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  EXPECT_EQ(dialer->stats().originate_failures, 1u);
  ASSERT_EQ(sink.results().size(), 1u);
  EXPECT_EQ(sink.results()[0].outcome, Outcome::kOriginateFailed);
}

TEST_F(DialerTest, MachinesAreHungUpAndEveryAttemptGetsOneResult) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  CallId m = tel.placed[0].call;
  tel.emit(EventKind::kAnsweredMachine, m);
  EXPECT_TRUE(std::find(tel.hangups.begin(), tel.hangups.end(), m) != tel.hangups.end());
  tel.emit(EventKind::kNoAnswer, tel.placed[1].call);
  tel.emit(EventKind::kFailed, tel.placed[2].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[3].call);
  advance(60);
  tel.emit(EventKind::kHangup, tel.placed[3].call);
  EXPECT_EQ(sink.outcomes().at(Outcome::kMachine), 1u);
  EXPECT_EQ(sink.outcomes().at(Outcome::kNoAnswer), 1u);
  EXPECT_EQ(sink.outcomes().at(Outcome::kFailed), 1u);
  EXPECT_EQ(sink.outcomes().at(Outcome::kConnected), 1u);
  const AttemptResult* r = result_for(tel.placed[3].call);
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->connected_at.has_value());
  EXPECT_EQ(r->ended_at - *r->connected_at, seconds(60));
  EXPECT_EQ(r->agent, 1u);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kWrapUp);
  tel.emit(EventKind::kRinging, 999);  // unknown call: ignored, counted
  EXPECT_EQ(dialer->stats().unknown_events, 1u);
}

TEST_F(DialerTest, ProgressiveHoldsABreakUntilThePromisedCallIsSettled) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 1u);
  ASSERT_TRUE(dialer->agent_pause(1).ok());
  EXPECT_EQ(dialer->agent_state(1), AgentState::kIdle) << "its line is promised to the call in flight";
  EXPECT_EQ(dialer->idle_agents(), 0);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  EXPECT_EQ(tel.agent_of(tel.placed[0].call), 1u) << "so the answer finds an agent";
  EXPECT_EQ(dialer->stats().abandoned, 0u);
  tel.emit(EventKind::kHangup, tel.placed[0].call);
  ASSERT_TRUE(dialer->agent_pause(1).ok());  // wrap-up ends in a break
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPaused);
  EXPECT_EQ(tel.placed.size(), 1u);
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  EXPECT_EQ(tel.placed.size(), 2u);
  ASSERT_TRUE(dialer->agent_pause(1).ok());
  tel.emit(EventKind::kNoAnswer, tel.placed[1].call);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPaused) << "the call settled without a person";
  EXPECT_EQ(tel.placed.size(), 2u);
}

TEST_F(DialerTest, PreviewDialsOnlyWhatTheAgentChooses) {
  make(DialMode::preview());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  ASSERT_EQ(desk.previews.size(), 1u);
  EXPECT_EQ(desk.previews[0], std::make_pair(AgentId{1}, int64_t{1}));
  EXPECT_TRUE(tel.placed.empty());
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPreviewing);
  ASSERT_TRUE(dialer->preview_decision(1, false).ok());
  EXPECT_EQ(sink.skipped_count(), 1u);
  ASSERT_EQ(desk.previews.size(), 2u) << "the next lead comes at once";
  EXPECT_EQ(desk.previews[1].second, 2);
  ASSERT_TRUE(dialer->preview_decision(1, true).ok());
  ASSERT_EQ(tel.placed.size(), 1u);
  EXPECT_EQ(tel.placed[0].number, phone_of_lead(2));
  EXPECT_EQ(sink.receipts().back().agent, 1u);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPreviewDialing);
  advance(10);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  EXPECT_EQ(tel.agent_of(tel.placed[0].call), 1u);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kTalking);
  EXPECT_FALSE(dialer->preview_decision(1, true).ok());
}

TEST_F(DialerTest, AgentActionsInTheWrongStateAreErrorsNamingTheAgent) {
  make(DialMode::progressive());
  Status s = dialer->agent_ready(5);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("agent 5"), std::string::npos);
  ASSERT_TRUE(dialer->agent_login(5).ok());
  EXPECT_FALSE(dialer->agent_login(5).ok());
  EXPECT_FALSE(dialer->agent_hangup(5).ok());
  EXPECT_FALSE(dialer->agent_login(0).ok());
  ASSERT_TRUE(dialer->agent_logout(5).ok());
  EXPECT_EQ(dialer->agent_state(5), AgentState::kOffline);
  EXPECT_FALSE(dialer->agent_pause(5).ok());
}

TEST_F(DialerTest, StopPlacesNoMoreCalls) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  dialer->stop();
  tel.emit(EventKind::kBusy, tel.placed[0].call);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  advance(10);
  EXPECT_EQ(tel.placed.size(), 1u);
}

TEST_F(DialerTest, AnEmptyLeadSourceIsNotAnError) {
  leads = SyntheticLeadSource(kFirstPhone, 2);
  make(DialMode::progressive());
  for (AgentId a : {1u, 2u, 3u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  dialer->start();
  EXPECT_EQ(tel.placed.size(), 2u);
  EXPECT_GE(dialer->stats().no_lead_rounds, 1u);
}

TEST_F(DialerTest, AbandonmentAccountingSurvivesARestart) {
  make(DialMode::power(3));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  advance(3);
  ASSERT_EQ(dialer->stats().abandoned, 1u);
  std::string saved = dialer->ledger().save();
  dialer.reset();  // the process ends

  auto ledger = AbandonmentLedger::restore(saved, "campaign 7 ledger");
  ASSERT_TRUE(ledger.ok()) << ledger.error().message;
  DialerConfig config;
  config.mode = DialMode::progressive();
  Dialer again(config, clock, loop, tel, leads, gate, sink, desk, std::move(*ledger));
  AbandonmentTotals w = again.window_totals();
  EXPECT_EQ(w.live_answers, 2u);
  EXPECT_EQ(w.abandoned, 1u);
  advance(29.0 * 24 * 3600);
  EXPECT_EQ(again.window_totals().abandoned, 1u) << "still inside 30 days";
  advance(2.0 * 24 * 3600);
  EXPECT_EQ(again.window_totals().abandoned, 0u);
}

TEST_F(DialerTest, MaxLinesCapsCallsInProgress) {
  DialerConfig config;
  config.mode = DialMode::power(4);
  config.max_lines = 5;
  auto ledger = AbandonmentLedger::create(AbandonmentWindow::kUsRolling30Days);
  Dialer capped(config, clock, loop, tel, leads, gate, sink, desk, std::move(*ledger));
  ASSERT_TRUE(capped.agent_login(1).ok());
  ASSERT_TRUE(capped.agent_login(2).ok());
  capped.start();
  EXPECT_EQ(tel.placed.size(), 5u);
}

// Progressive promises every call an agent: across simulated days with
// breaks and both a high and a low answer rate, nothing is ever abandoned.
TEST(ProgressiveProperty, NeverAbandonsInSimulatedDays) {
  for (const char* file : {"bench/scenarios/s1.toml", "bench/scenarios/s2.toml",
                           "tests/sim/scenarios/breaks.toml"}) {
    auto sc = sim::load_scenario(home_path(file));
    ASSERT_TRUE(sc.ok()) << sc.error().message;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      sim::RunOptions options;
      options.series_interval_s = 0;
      sim::Report r = sim::run(*sc, DialMode::progressive(), 8, 1.0, seed, options);
      EXPECT_EQ(r.abandoned, 0u) << file << " seed " << seed;
      EXPECT_GT(r.contacts, 20u);
    }
  }
}
