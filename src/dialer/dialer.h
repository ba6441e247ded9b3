// Dialer: the dialer core for one campaign, a deterministic state machine.
// Inputs: telephony events (it is the Telephony's EventListener), agent
// actions (login, ready, pause, logout, preview decisions, hang up) and
// timers on the injected Scheduler/Clock. Outputs: commands to Telephony,
// receipts and results to the AttemptSink, notices to the AgentDesk.
//
// Every dial: lead from the LeadSource → DialGate at dial time (a denial is
// counted by reason and recorded; no call) → attempt receipt written to the
// AttemptSink (a failed write stops the dial) → Telephony::originate.
// A live answer goes to the agent idle the longest; if no agent is free
// within the grace period (2 s by law in the US), the call is abandoned:
// the required message is played, then the call is hung up, and the
// abandonment is counted in the campaign's AbandonmentLedger (whose state
// the caller can save and restore across restarts).
//
// How many calls to place comes from the PacingPolicy of the DialMode
// (pacing.h), at every pacing tick and, for the cheap policies, after every
// event. In preview mode the dialer offers each idle agent a lead and dials
// it only if the agent says so; the call is bound to that agent.
//
// Personal callbacks (DialLead::callback_agent != 0) are promises one agent
// made to one customer: never pooled, never given to another agent. When
// the lead comes from the LeadSource and its agent is available (idle, no
// pending break or logout; in progressive mode, not needed for a call in
// flight), the agent is reserved and the call bound to them as in preview
// mode (preview mode offers it to them instead): an answer connects to
// them, so it is never abandoned; a machine, busy or no answer makes them
// idle again, and the outcome goes to the AttemptSink as usual. If the
// agent is logged in but busy (talking, wrap-up, break), the lead is held
// (LeadSource::hold keeps it ours) and served the moment the agent becomes
// idle: after a live answer already waiting in the grace period (a person
// on the line, who would otherwise be abandoned), before any new pool call.
// Pacing counts neither the reserved agent nor an agent with a held
// callback as one who will take pool calls. If the agent is offline, or still not free
// after personal_callback_wait, or logs out, or the dialer stops, the lead
// is given back (LeadSource::give_back, callable again after
// personal_callback_retry, still for that agent) and counted in
// DialerStats::personal_callbacks_deferred. A callback due for longer than
// personal_callback_fallback (when set; off by default) is dialed for
// anyone, like any lead.
//
// Ownership: borrows the clock, scheduler, telephony and ports (all must
// outlive it); owns its pacing policy and ledger. Registers itself as the
// telephony listener. Thread-safety: none; everything runs on the thread of
// the scheduler, and the Dialer is not re-entrant (ports and the desk must
// not call back into it synchronously).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dialer/abandonment.h"
#include "dialer/mode.h"
#include "dialer/pacing.h"
#include "dialer/ports.h"
#include "telephony/scheduler.h"
#include "telephony/telephony.h"

namespace telemark::dialer {

struct DialerConfig {
  int64_t campaign_id = 0;
  DialMode mode = DialMode::predictive();
  uint64_t caller_id = 0;                               // E.164 digits
  Duration ring_timeout = std::chrono::seconds(25);     // unanswered calls released after
  Duration grace = std::chrono::seconds(2);             // answer → agent, else abandoned
  Duration pacing_interval = std::chrono::seconds(1);   // predictive pacing tick
  uint32_t max_lines = 0;                               // trunk capacity; 0: unlimited
  // How many gate denials in a row one pacing round tolerates before it
  // stops (a list full of blocked numbers must not spin the dialer).
  uint32_t max_denials_per_round = 1000;
  // The peak running abandonment rate is tracked after this many live
  // answers (DialerStats::peak_rate_after_warmup).
  uint64_t peak_rate_warmup_answers = 200;
  // Personal callbacks: how long one waits in the dialer for its busy (or
  // on-break) agent, counted from when the dialer got the lead; when it is
  // next callable after being given back; and after how long past its due
  // time it goes to anyone (zero: never, the callback stays its agent's).
  Duration personal_callback_wait = std::chrono::minutes(15);
  Duration personal_callback_retry = std::chrono::minutes(10);
  Duration personal_callback_fallback = Duration::zero();
  PredictiveConfig predictive;
};

struct DialerStats {
  uint64_t dials = 0;             // calls placed (originate accepted)
  uint64_t live_answers = 0;
  uint64_t connected = 0;         // live answers bridged to an agent
  uint64_t abandoned = 0;
  uint64_t abandon_messages = 0;  // messages played to the end
  uint64_t machines = 0, busy = 0, no_answer = 0, failed = 0;
  uint64_t originate_failures = 0;
  uint64_t receipt_failures = 0;
  uint64_t gate_denials = 0;
  std::map<std::string, uint64_t> blocked_by_reason;
  uint64_t no_lead_rounds = 0;    // pacing wanted calls, the lead source had none
  uint64_t preview_skips = 0;
  // Personal callbacks: calls placed for their agent; those connected to
  // their agent; given back (agent offline, not free in time, logged out,
  // dialer stopped); dialed for anyone after personal_callback_fallback.
  uint64_t personal_callbacks_dialed = 0;
  uint64_t personal_callbacks_connected = 0;
  uint64_t personal_callbacks_deferred = 0;
  uint64_t personal_callbacks_fallback = 0;
  uint64_t unknown_events = 0;
  double total_answer_wait_s = 0;  // answer → connect, over connected calls
  // Σ over live answers of the abandonment probability the pacing predicted
  // when it placed the call: compare with `abandoned` for calibration.
  double predicted_abandons = 0;
  double peak_rate_after_warmup = 0;
};

class Dialer final : public telephony::EventListener {
 public:
  // `ledger` carries the campaign's abandonment window (restored from the
  // store after a restart, or new).
  Dialer(DialerConfig config, const Clock& clock, telephony::Scheduler& scheduler,
         telephony::Telephony& telephony, LeadSource& leads, DialGate& gate, AttemptSink& sink,
         AgentDesk& desk, AbandonmentLedger ledger);
  ~Dialer() override;
  Dialer(const Dialer&) = delete;
  Dialer& operator=(const Dialer&) = delete;

  // Starts the pacing ticks and dials for agents already ready. stop()
  // stops placing calls (held personal callbacks are given back); calls in
  // progress finish normally.
  void start();
  void stop();

  // Agent actions. Errors name the agent and the state it is in.
  Status agent_login(AgentId agent);  // → idle
  Status agent_ready(AgentId agent);  // from wrap-up or a break → idle
  // A break: from idle or wrap-up at once; during a call, after its
  // wrap-up. In progressive mode an idle agent whose line is still needed
  // for a call already placed goes on the break only once that call is
  // settled, so progressive never abandons (preview binds each call to the
  // agent who chose it).
  Status agent_pause(AgentId agent);
  Status agent_logout(AgentId agent);
  Status agent_hangup(AgentId agent);  // the agent ends the call → wrap-up
  Status preview_decision(AgentId agent, bool dial);

  void on_telephony_event(const telephony::Event& event) override;

  const DialerStats& stats() const { return stats_; }
  AbandonmentLedger& ledger() { return ledger_; }
  AbandonmentTotals window_totals() { return ledger_.totals(clock_.now()); }
  PacingDiagnostics pacing_diagnostics() const { return pacing_->diagnostics(); }
  const DialerConfig& config() const { return config_; }
  AgentState agent_state(AgentId agent) const;
  int calls_in_flight() const { return static_cast<int>(in_flight_.size()); }
  int calls_waiting() const { return static_cast<int>(waiting_.size()); }
  int idle_agents() const { return idle_available_; }
  // Personal callbacks waiting in the dialer for their agent.
  int callbacks_held() const { return static_cast<int>(held_count_); }

  // Runs a pacing round now (the ticks call it; tests may too).
  void pace();

 private:
  enum class CallStage : uint8_t { kPlaced, kWaiting, kConnected, kAbandoning };
  struct Call {
    uint64_t attempt_id = 0;
    DialLead lead;
    Instant placed{};
    Instant answered{};
    Instant connected{};
    CallStage stage = CallStage::kPlaced;
    AgentId agent = 0;        // connected to, or bound to (preview, personal callback)
    bool bound = false;       // bound to `agent` when placed: never a pool call
    uint32_t in_flight_index = 0;
    float predicted_risk = 0;
    telephony::TimerId grace_timer = telephony::kNoTimer;
  };
  struct Agent {
    AgentState state = AgentState::kOffline;
    Instant since{};
    uint64_t idle_token = 0;  // matches the idle queue entry while idle
    bool pause_pending = false;
    bool logout_pending = false;
    telephony::CallId call = 0;
    DialLead preview_lead;
  };
  struct InFlight {
    telephony::CallId call;
    Instant placed;
  };
  struct Held {  // a personal callback waiting for its agent
    DialLead lead;
    telephony::TimerId timer = telephony::kNoTimer;  // gives it back after the wait
  };

  Agent* find_agent(AgentId id);
  Error agent_error(AgentId id, const char* action, const Agent* a) const;
  void set_state(AgentId id, Agent& a, AgentState state);
  void make_idle(AgentId id, Agent& a);  // assigns a waiting call if any
  void leave_idle(Agent& a);
  AgentId pick_longest_idle();
  void connect(telephony::CallId id, Call& call, AgentId agent_id);
  void resolve_in_flight(Call& call, bool human);
  void finish(telephony::CallId id, Call& call, Outcome outcome, Instant end, bool message_played);
  void abandon(telephony::CallId id);
  void drop_waiting(telephony::CallId id);
  void on_answered_human(telephony::CallId id, Call& call);
  void on_not_live(telephony::CallId id, Call& call, Outcome outcome);
  void on_far_end_hangup(telephony::CallId id, Call& call);
  bool place_call(const DialLead& lead, AgentId preview_agent, double predicted_risk = 0);
  void offer_previews();
  void settle_pending_pauses();
  void schedule_tick();
  void maybe_pace_after_event();
  bool binds_lines_to_agents() const;
  int pool_in_flight() const { return static_cast<int>(in_flight_.size()) - bound_in_flight_; }
  // Personal callbacks.
  bool is_personal(const DialLead& lead);  // counts a fallback
  bool can_reserve(const Agent& a) const;
  bool route_personal(const DialLead& lead);  // false: a pool lead
  bool serve_personal(AgentId id, Agent& a, const DialLead& lead);  // true: the agent took it
  bool take_held(AgentId id, Agent& a);
  void dispatch_held();
  void give_back(const DialLead& lead, Instant retry_at);
  void give_back_held(AgentId id, Instant retry_at);
  void hold_expired(AgentId id, int64_t lead_id);

  DialerConfig config_;
  const Clock& clock_;
  telephony::Scheduler& scheduler_;
  telephony::Telephony& telephony_;
  LeadSource& leads_;
  DialGate& gate_;
  AttemptSink& sink_;
  AgentDesk& desk_;
  AbandonmentLedger ledger_;
  std::unique_ptr<PacingPolicy> pacing_;

  std::unordered_map<telephony::CallId, Call> calls_;
  std::vector<InFlight> in_flight_;
  std::deque<telephony::CallId> waiting_;
  std::unordered_map<AgentId, Agent> agents_;
  std::deque<std::pair<AgentId, uint64_t>> idle_queue_;  // longest idle first
  std::map<AgentId, std::deque<Held>> held_;  // personal callbacks by agent, oldest first
  size_t held_count_ = 0;
  int bound_in_flight_ = 0;  // calls in flight bound to an agent (not pool calls)
  uint64_t idle_tokens_ = 0;
  int idle_available_ = 0;  // idle, no pending pause/logout
  int idle_pending_ = 0;    // idle with a pending pause/logout
  int staffed_ = 0;         // logged in, not paused
  int talking_or_wrapping_ = 0;
  double committed_risk_ = 0;  // Σ predicted_risk over calls in flight
  uint64_t next_attempt_ = 1;
  bool running_ = false;
  bool pacing_now_ = false;
  telephony::TimerId tick_timer_ = telephony::kNoTimer;
  std::vector<Duration> ages_buf_;
  std::vector<BusyAgent> busy_buf_;
  DialerStats stats_;
};

}  // namespace telemark::dialer
