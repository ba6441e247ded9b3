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
  DialerConfig cfg;  // campaign_id and mode set by make()

  void make(DialMode mode, AbandonmentWindow window = AbandonmentWindow::kUsRolling30Days) {
    cfg.campaign_id = 7;
    cfg.mode = mode;
    auto ledger = AbandonmentLedger::create(window);
    ASSERT_TRUE(ledger.ok());
    dialer = std::make_unique<Dialer>(cfg, clock, loop, tel, leads, gate, sink, desk, std::move(*ledger));
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

// ---------------------------------------------------------------- personal callbacks

namespace {

constexpr uint64_t kCallbackPhone = 15559990000ull;

// A personal callback for `agent`, due now.
DialLead callback_for(AgentId agent, int64_t n, Instant due) {
  DialLead lead;
  lead.lead_id = 1000 + n;
  lead.phone = kCallbackPhone + static_cast<uint64_t>(n);
  lead.lease = static_cast<uint64_t>(lead.lead_id);
  lead.callback_agent = agent;
  lead.callback_due = due;
  return lead;
}

CallId call_to_phone(const FakeTelephony& tel, uint64_t phone) {
  for (const auto& p : tel.placed)
    if (p.number == phone) return p.call;
  return 0;
}

AgentId receipt_agent(const MemoryAttemptSink& sink, uint64_t phone) {
  for (const AttemptReceipt& r : sink.receipts())
    if (r.lead.phone == phone) return r.agent;
  return 0;
}

}  // namespace

TEST_F(DialerTest, APersonalCallbackGoesToItsAgentNotToTheOneIdleLongest) {
  make(DialMode::power(2));
  ASSERT_TRUE(dialer->agent_login(1).ok());
  advance(5);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  DialLead cb = callback_for(2, 1, clock.now());
  leads.add_first(cb);
  dialer->start();
  // Agent 2 is reserved for the callback; power:2 dials for agent 1 only.
  ASSERT_EQ(tel.placed.size(), 3u);
  EXPECT_EQ(tel.placed[0].number, cb.phone);
  EXPECT_EQ(receipt_agent(sink, cb.phone), 2u) << "the receipt names the agent the call is bound to";
  EXPECT_EQ(dialer->agent_state(2), AgentState::kPreviewDialing);
  EXPECT_EQ(dialer->idle_agents(), 1);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  EXPECT_EQ(tel.agent_of(tel.placed[0].call), 2u) << "agent 1 has been idle longer, but it is agent 2's callback";
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  EXPECT_EQ(tel.agent_of(tel.placed[1].call), 1u);
  EXPECT_EQ(dialer->stats().personal_callbacks_dialed, 1u);
  EXPECT_EQ(dialer->stats().personal_callbacks_connected, 1u);
  EXPECT_EQ(dialer->stats().connected, 2u);
  EXPECT_TRUE(leads.given_back().empty());
}

TEST_F(DialerTest, APersonalCallbackWaitsWhileItsAgentTalksAndGoesBeforeAnyPoolCall) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 1u);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  ASSERT_EQ(dialer->agent_state(1), AgentState::kTalking);
  // Agent 2 comes in: the round pulls agent 1's callback (held) and a pool
  // lead for agent 2.
  DialLead cb = callback_for(1, 1, clock.now());
  leads.add_first(cb);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  ASSERT_EQ(tel.placed.size(), 2u);
  EXPECT_NE(tel.placed[1].number, cb.phone);
  EXPECT_EQ(dialer->callbacks_held(), 1);
  ASSERT_EQ(leads.holds().size(), 1u);
  EXPECT_EQ(leads.holds()[0].first, cb.lead_id);
  EXPECT_GE(leads.holds()[0].second, clock.now() + minutes(15)) << "the lease outlives the wait";

  advance(60);
  ASSERT_TRUE(dialer->agent_hangup(1).ok());
  advance(20);
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  ASSERT_EQ(tel.placed.size(), 3u) << "the callback, and no pool call for agent 1";
  EXPECT_EQ(tel.placed[2].number, cb.phone);
  EXPECT_EQ(receipt_agent(sink, cb.phone), 1u);
  EXPECT_EQ(dialer->callbacks_held(), 0);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPreviewDialing);

  // Nobody answers: agent 1 is idle again (and gets a pool line), the
  // outcome goes to the sink as usual, and nothing was given back.
  tel.emit(EventKind::kNoAnswer, tel.placed[2].call);
  const AttemptResult* r = result_for(tel.placed[2].call);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->outcome, Outcome::kNoAnswer);
  EXPECT_EQ(r->lead.callback_agent, 1u);
  ASSERT_EQ(tel.placed.size(), 4u);
  EXPECT_EQ(dialer->stats().personal_callbacks_dialed, 1u);
  EXPECT_EQ(dialer->stats().personal_callbacks_connected, 0u);
  EXPECT_TRUE(leads.given_back().empty());
}

TEST_F(DialerTest, APersonalCallbackIsGivenBackWhenItsAgentIsOffline) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  DialLead cb = callback_for(5, 1, clock.now());  // agent 5 never logged in
  leads.add_first(cb);
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 1u);
  EXPECT_NE(tel.placed[0].number, cb.phone) << "agent 1 gets a pool call, not agent 5's callback";
  ASSERT_EQ(leads.given_back().size(), 1u);
  EXPECT_EQ(leads.given_back()[0].lead.lead_id, cb.lead_id);
  EXPECT_EQ(leads.given_back()[0].lead.callback_agent, 5u);
  EXPECT_EQ(leads.given_back()[0].retry_at, clock.now() + cfg.personal_callback_retry);
  EXPECT_EQ(dialer->stats().personal_callbacks_deferred, 1u);
  EXPECT_FALSE(sink.has_receipt_for_phone(cb.phone));
}

TEST_F(DialerTest, AHeldCallbackIsGivenBackWhenItsAgentStaysBusyPastTheWait) {
  cfg.personal_callback_wait = minutes(5);
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  DialLead cb = callback_for(1, 1, clock.now());
  leads.add_first(cb);
  Instant held_at = clock.now();
  ASSERT_TRUE(dialer->agent_login(2).ok());
  ASSERT_EQ(dialer->callbacks_held(), 1);
  advance(299);
  EXPECT_TRUE(leads.given_back().empty());
  advance(1);
  ASSERT_EQ(leads.given_back().size(), 1u);
  EXPECT_EQ(leads.given_back()[0].lead.lead_id, cb.lead_id);
  EXPECT_EQ(leads.given_back()[0].retry_at, held_at + minutes(5) + cfg.personal_callback_retry);
  EXPECT_EQ(dialer->callbacks_held(), 0);
  // Agent 1 finishing later does not dial it any more.
  ASSERT_TRUE(dialer->agent_hangup(1).ok());
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  EXPECT_FALSE(sink.has_receipt_for_phone(cb.phone));
  EXPECT_EQ(dialer->stats().personal_callbacks_deferred, 1u);
}

TEST_F(DialerTest, HeldCallbacksAreGivenBackWhenTheirAgentLogsOutOrTheDialerStops) {
  make(DialMode::progressive());
  for (AgentId a : {1u, 2u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  dialer->start();
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[1].call);
  leads.add_first(callback_for(1, 1, clock.now()));
  leads.add_first(callback_for(2, 2, clock.now()));
  ASSERT_TRUE(dialer->agent_login(3).ok());
  ASSERT_EQ(dialer->callbacks_held(), 2);
  // Agent 1 logs out after the call: their callback goes back at once.
  ASSERT_TRUE(dialer->agent_logout(1).ok());
  ASSERT_TRUE(dialer->agent_hangup(1).ok());
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  EXPECT_EQ(dialer->agent_state(1), AgentState::kOffline);
  ASSERT_EQ(leads.given_back().size(), 1u);
  EXPECT_EQ(leads.given_back()[0].lead.callback_agent, 1u);
  dialer->stop();
  ASSERT_EQ(leads.given_back().size(), 2u);
  EXPECT_EQ(leads.given_back()[1].lead.callback_agent, 2u);
  EXPECT_EQ(leads.given_back()[1].retry_at, clock.now());
  EXPECT_EQ(dialer->callbacks_held(), 0);
  EXPECT_EQ(dialer->stats().personal_callbacks_deferred, 2u);
}

TEST_F(DialerTest, AHeldCallbackWhoseLeaseCannotBeKeptIsNotDialed) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  dialer->start();
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  DialLead cb = callback_for(1, 1, clock.now());
  leads.lose(cb.lead_id);
  leads.add_first(cb);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  EXPECT_EQ(dialer->callbacks_held(), 0);
  ASSERT_TRUE(dialer->agent_hangup(1).ok());
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  EXPECT_FALSE(sink.has_receipt_for_phone(cb.phone));
  EXPECT_TRUE(leads.given_back().empty()) << "not ours to give back";
}

TEST_F(DialerTest, PacingDoesNotCountTheReservedAgentOrTheBoundCall) {
  make(DialMode::progressive());
  for (AgentId a : {1u, 2u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  DialLead cb = callback_for(1, 1, clock.now());
  leads.add_first(cb);
  dialer->start();
  // One line for the callback (agent 1), one pool line for agent 2, not two.
  ASSERT_EQ(tel.placed.size(), 2u);
  EXPECT_EQ(tel.placed[0].number, cb.phone);
  EXPECT_EQ(dialer->calls_in_flight(), 2);
  EXPECT_EQ(dialer->idle_agents(), 1);
  // A new agent gets a line of their own: the bound call needs no pool agent.
  ASSERT_TRUE(dialer->agent_login(3).ok());
  EXPECT_EQ(tel.placed.size(), 3u);
  // Agent 2 may take a break at once only if no pool call needs them; with
  // two pool calls in flight and two idle agents, the break waits.
  ASSERT_TRUE(dialer->agent_pause(2).ok());
  EXPECT_EQ(dialer->agent_state(2), AgentState::kIdle);
  tel.emit(EventKind::kBusy, tel.placed[1].call);
  EXPECT_EQ(dialer->agent_state(2), AgentState::kPaused);
  tel.emit(EventKind::kAnsweredHuman, tel.placed[2].call);
  EXPECT_EQ(tel.agent_of(tel.placed[2].call), 3u);
  EXPECT_EQ(dialer->stats().abandoned, 0u);
}

TEST_F(DialerTest, ACallbackForAnAgentOnABreakWaitsForTheBreakToEnd) {
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  ASSERT_TRUE(dialer->agent_pause(1).ok());
  DialLead cb = callback_for(1, 1, clock.now());
  leads.add_first(cb);
  dialer->start();
  ASSERT_TRUE(dialer->agent_login(2).ok());
  EXPECT_EQ(dialer->callbacks_held(), 1);
  ASSERT_EQ(tel.placed.size(), 1u);
  EXPECT_NE(tel.placed[0].number, cb.phone);
  advance(600);
  ASSERT_TRUE(dialer->agent_ready(1).ok());
  EXPECT_EQ(receipt_agent(sink, cb.phone), 1u);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPreviewDialing);
  EXPECT_EQ(tel.placed.size(), 2u);
  EXPECT_TRUE(leads.given_back().empty());
}

TEST_F(DialerTest, APersonalCallbackIsNeverAbandoned) {
  make(DialMode::power(3));
  for (AgentId a : {1u, 2u}) ASSERT_TRUE(dialer->agent_login(a).ok());
  DialLead cb = callback_for(1, 1, clock.now());
  leads.add_first(cb);
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 4u);  // the callback, and 3 lines for agent 2
  CallId cb_call = call_to_phone(tel, cb.phone);
  // Every pool call is answered at once: agent 2 takes one, the others wait
  // and are abandoned; agent 1 is reserved and takes none of them.
  for (size_t i = 1; i < 4; ++i) tel.emit(EventKind::kAnsweredHuman, tel.placed[i].call);
  advance(10);
  EXPECT_EQ(dialer->stats().abandoned, 2u);
  EXPECT_EQ(dialer->agent_state(1), AgentState::kPreviewDialing);
  // The callee of the callback answers long after the grace: agent 1 is there.
  tel.emit(EventKind::kAnsweredHuman, cb_call);
  EXPECT_EQ(tel.agent_of(cb_call), 1u);
  advance(10);
  EXPECT_EQ(dialer->stats().abandoned, 2u);
  EXPECT_EQ(dialer->stats().personal_callbacks_connected, 1u);
}

TEST_F(DialerTest, PreviewOffersAPersonalCallbackToItsAgentFirst) {
  make(DialMode::preview());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  advance(5);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  DialLead cb = callback_for(2, 1, clock.now());
  leads.add_first(cb);
  dialer->start();
  // Agent 1 is first in line, but the callback is agent 2's.
  ASSERT_EQ(desk.previews.size(), 2u);
  EXPECT_EQ(desk.previews[0], std::make_pair(AgentId{2}, cb.lead_id));
  EXPECT_EQ(desk.previews[1], std::make_pair(AgentId{1}, int64_t{1}));
  ASSERT_TRUE(dialer->preview_decision(2, true).ok());
  CallId call = call_to_phone(tel, cb.phone);
  ASSERT_NE(call, 0u);
  tel.emit(EventKind::kAnsweredHuman, call);
  EXPECT_EQ(tel.agent_of(call), 2u);
  EXPECT_EQ(dialer->stats().personal_callbacks_connected, 1u);

  // Agent 1 is busy looking at a lead when their callback comes (with
  // agent 3): it waits for them and is the next thing they see.
  DialLead cb1 = callback_for(1, 2, clock.now());
  leads.add_first(cb1);
  ASSERT_TRUE(dialer->agent_login(3).ok());
  EXPECT_EQ(dialer->callbacks_held(), 1);
  ASSERT_EQ(desk.previews.size(), 3u);
  EXPECT_EQ(desk.previews[2], std::make_pair(AgentId{3}, int64_t{2}));
  ASSERT_TRUE(dialer->preview_decision(1, false).ok());
  ASSERT_EQ(desk.previews.size(), 4u);
  EXPECT_EQ(desk.previews[3], std::make_pair(AgentId{1}, cb1.lead_id));
  EXPECT_EQ(dialer->callbacks_held(), 0);
}

TEST_F(DialerTest, ACallbackDuePastTheFallbackGoesToAnyone) {
  cfg.personal_callback_fallback = hours(2);
  make(DialMode::progressive());
  ASSERT_TRUE(dialer->agent_login(1).ok());
  DialLead late = callback_for(9, 1, clock.now() - hours(3));  // agent 9 is not here
  DialLead recent = callback_for(9, 2, clock.now() - hours(1));
  leads.add_first(late);
  leads.add_first(recent);
  dialer->start();
  ASSERT_EQ(tel.placed.size(), 1u);
  EXPECT_EQ(tel.placed[0].number, late.phone);
  ASSERT_EQ(leads.given_back().size(), 0u) << "the late one was dialed before the recent one was pulled";
  tel.emit(EventKind::kAnsweredHuman, tel.placed[0].call);
  EXPECT_EQ(tel.agent_of(tel.placed[0].call), 1u);
  EXPECT_EQ(dialer->stats().personal_callbacks_fallback, 1u);
  EXPECT_EQ(dialer->stats().personal_callbacks_connected, 0u);
  ASSERT_TRUE(dialer->agent_login(2).ok());
  ASSERT_EQ(leads.given_back().size(), 1u) << "still within the fallback: agent 9's";
  EXPECT_EQ(leads.given_back()[0].lead.lead_id, recent.lead_id);
}
