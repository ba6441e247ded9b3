#include "dialer/dialer.h"

#include <algorithm>
#include <string>

namespace telemark::dialer {

using telephony::CallId;
using telephony::EventKind;

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::kConnected: return "connected";
    case Outcome::kAbandoned: return "abandoned";
    case Outcome::kMachine: return "machine";
    case Outcome::kBusy: return "busy";
    case Outcome::kNoAnswer: return "no_answer";
    case Outcome::kFailed: return "failed";
    case Outcome::kOriginateFailed: return "originate_failed";
  }
  return "unknown";
}

const char* to_string(AgentState state) {
  switch (state) {
    case AgentState::kOffline: return "offline";
    case AgentState::kIdle: return "idle";
    case AgentState::kPreviewing: return "previewing";
    case AgentState::kPreviewDialing: return "preview_dialing";
    case AgentState::kTalking: return "talking";
    case AgentState::kWrapUp: return "wrap_up";
    case AgentState::kPaused: return "paused";
  }
  return "unknown";
}

namespace {
bool is_staffed(AgentState s) { return s != AgentState::kOffline && s != AgentState::kPaused; }
}  // namespace

Dialer::Dialer(DialerConfig config, const Clock& clock, telephony::Scheduler& scheduler,
               telephony::Telephony& telephony, LeadSource& leads, DialGate& gate,
               AttemptSink& sink, AgentDesk& desk, AbandonmentLedger ledger)
    : config_(std::move(config)),
      clock_(clock),
      scheduler_(scheduler),
      telephony_(telephony),
      leads_(leads),
      gate_(gate),
      sink_(sink),
      desk_(desk),
      ledger_(std::move(ledger)),
      pacing_(make_pacing(config_.mode, config_.predictive)) {
  telephony_.set_listener(this);
  calls_.reserve(1024);
}

Dialer::~Dialer() {
  scheduler_.cancel(tick_timer_);
  for (auto& [id, call] : calls_) scheduler_.cancel(call.grace_timer);
  telephony_.set_listener(nullptr);
}

void Dialer::start() {
  if (running_) return;
  running_ = true;
  schedule_tick();
  pace();
}

void Dialer::stop() {
  running_ = false;
  scheduler_.cancel(tick_timer_);
  tick_timer_ = telephony::kNoTimer;
}

void Dialer::schedule_tick() {
  tick_timer_ = scheduler_.schedule_at(clock_.now() + config_.pacing_interval, [this] {
    tick_timer_ = telephony::kNoTimer;
    pace();
    if (running_) schedule_tick();
  });
}

bool Dialer::binds_lines_to_agents() const {
  return config_.mode.kind == DialMode::Kind::kProgressive;
}

// ---------------------------------------------------------------- agents

Dialer::Agent* Dialer::find_agent(AgentId id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

AgentState Dialer::agent_state(AgentId id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? AgentState::kOffline : it->second.state;
}

Error Dialer::agent_error(AgentId id, const char* action, const Agent* a) const {
  return make_error("bad_agent_state", std::string(action) + ": agent " + std::to_string(id) +
                                           " is " + to_string(a ? a->state : AgentState::kOffline));
}

void Dialer::set_state(AgentId id, Agent& a, AgentState state) {
  bool was = is_staffed(a.state), now_staffed = is_staffed(state);
  staffed_ += static_cast<int>(now_staffed) - static_cast<int>(was);
  bool was_busy = a.state == AgentState::kTalking || a.state == AgentState::kWrapUp;
  bool busy = state == AgentState::kTalking || state == AgentState::kWrapUp;
  talking_or_wrapping_ += static_cast<int>(busy) - static_cast<int>(was_busy);
  a.state = state;
  a.since = clock_.now();
  desk_.on_agent_state(id, state, a.since);
}

void Dialer::leave_idle(Agent& a) {
  if (a.state != AgentState::kIdle) return;
  if (a.pause_pending || a.logout_pending) --idle_pending_; else --idle_available_;
  a.idle_token = 0;
}

void Dialer::make_idle(AgentId id, Agent& a) {
  if (a.logout_pending) {
    a.logout_pending = a.pause_pending = false;
    set_state(id, a, AgentState::kOffline);
    return;
  }
  if (a.pause_pending) {
    a.pause_pending = false;
    set_state(id, a, AgentState::kPaused);
    return;
  }
  while (!waiting_.empty()) {
    CallId cid = waiting_.front();
    waiting_.pop_front();
    auto it = calls_.find(cid);
    if (it == calls_.end() || it->second.stage != CallStage::kWaiting) continue;
    scheduler_.cancel(it->second.grace_timer);
    it->second.grace_timer = telephony::kNoTimer;
    connect(cid, it->second, id);
    if (a.state == AgentState::kTalking) return;
  }
  set_state(id, a, AgentState::kIdle);
  a.idle_token = ++idle_tokens_;
  idle_queue_.emplace_back(id, a.idle_token);
  ++idle_available_;
}

AgentId Dialer::pick_longest_idle() {
  auto valid = [this](const std::pair<AgentId, uint64_t>& e) {
    auto it = agents_.find(e.first);
    return it != agents_.end() && it->second.state == AgentState::kIdle &&
           it->second.idle_token == e.second;
  };
  while (!idle_queue_.empty() && !valid(idle_queue_.front())) idle_queue_.pop_front();
  AgentId fallback = 0;
  for (const auto& e : idle_queue_) {
    if (!valid(e)) continue;
    const Agent& a = agents_.at(e.first);
    if (!a.pause_pending && !a.logout_pending) return e.first;
    if (fallback == 0) fallback = e.first;
  }
  return fallback;
}

Status Dialer::agent_login(AgentId id) {
  if (id == 0) return make_error("bad_agent", "agent_login: agent id 0 is reserved");
  Agent& a = agents_[id];
  if (a.state != AgentState::kOffline) return agent_error(id, "agent_login", &a);
  a.pause_pending = a.logout_pending = false;
  make_idle(id, a);
  maybe_pace_after_event();
  return Status::Ok();
}

Status Dialer::agent_ready(AgentId id) {
  Agent* a = find_agent(id);
  if (a == nullptr) return agent_error(id, "agent_ready", a);
  switch (a->state) {
    case AgentState::kWrapUp:
      pacing_->observe_wrap(clock_.now() - a->since, clock_.now());
      make_idle(id, *a);
      break;
    case AgentState::kPaused:
      a->pause_pending = false;
      make_idle(id, *a);
      break;
    case AgentState::kIdle:
      if (a->pause_pending && !a->logout_pending) {  // changed their mind
        a->pause_pending = false;
        --idle_pending_;
        ++idle_available_;
      }
      break;
    default:
      return agent_error(id, "agent_ready", a);
  }
  maybe_pace_after_event();
  return Status::Ok();
}

Status Dialer::agent_pause(AgentId id) {
  Agent* a = find_agent(id);
  if (a == nullptr || a->state == AgentState::kOffline) return agent_error(id, "agent_pause", a);
  switch (a->state) {
    case AgentState::kIdle:
      if (a->pause_pending || a->logout_pending) break;
      if (binds_lines_to_agents() &&
          idle_available_ - 1 < static_cast<int>(in_flight_.size() + waiting_.size())) {
        a->pause_pending = true;  // its line is promised to a call in flight
        --idle_available_;
        ++idle_pending_;
        break;
      }
      leave_idle(*a);
      set_state(id, *a, AgentState::kPaused);
      break;
    case AgentState::kPreviewing:
      sink_.record_skipped(a->preview_lead, id, clock_.now());
      set_state(id, *a, AgentState::kPaused);
      break;
    case AgentState::kWrapUp:
      pacing_->observe_wrap(clock_.now() - a->since, clock_.now());
      set_state(id, *a, AgentState::kPaused);
      break;
    case AgentState::kTalking:
    case AgentState::kPreviewDialing:
      a->pause_pending = true;
      break;
    default:
      break;  // already paused
  }
  maybe_pace_after_event();
  return Status::Ok();
}

Status Dialer::agent_logout(AgentId id) {
  Agent* a = find_agent(id);
  if (a == nullptr || a->state == AgentState::kOffline) return agent_error(id, "agent_logout", a);
  switch (a->state) {
    case AgentState::kIdle:
      if (binds_lines_to_agents() && !a->pause_pending && !a->logout_pending &&
          idle_available_ - 1 < static_cast<int>(in_flight_.size() + waiting_.size())) {
        a->logout_pending = true;
        --idle_available_;
        ++idle_pending_;
        break;
      }
      if (a->pause_pending || a->logout_pending) {
        a->logout_pending = true;
        break;
      }
      leave_idle(*a);
      set_state(id, *a, AgentState::kOffline);
      break;
    case AgentState::kPreviewing:
      sink_.record_skipped(a->preview_lead, id, clock_.now());
      set_state(id, *a, AgentState::kOffline);
      break;
    case AgentState::kWrapUp:
      pacing_->observe_wrap(clock_.now() - a->since, clock_.now());
      set_state(id, *a, AgentState::kOffline);
      break;
    case AgentState::kPaused:
      set_state(id, *a, AgentState::kOffline);
      break;
    default:
      a->logout_pending = true;
      break;
  }
  maybe_pace_after_event();
  return Status::Ok();
}

Status Dialer::agent_hangup(AgentId id) {
  Agent* a = find_agent(id);
  if (a == nullptr || a->state != AgentState::kTalking) return agent_error(id, "agent_hangup", a);
  CallId cid = a->call;
  auto it = calls_.find(cid);
  if (it == calls_.end()) return agent_error(id, "agent_hangup", a);
  Status s = telephony_.hangup(cid);
  (void)s;  // the call is over for us either way
  on_far_end_hangup(cid, it->second);
  maybe_pace_after_event();
  return Status::Ok();
}

Status Dialer::preview_decision(AgentId id, bool dial) {
  Agent* a = find_agent(id);
  if (a == nullptr || a->state != AgentState::kPreviewing)
    return agent_error(id, "preview_decision", a);
  DialLead lead = a->preview_lead;
  if (!dial) {
    ++stats_.preview_skips;
    sink_.record_skipped(lead, id, clock_.now());
    make_idle(id, *a);
  } else if (place_call(lead, id)) {
    set_state(id, *a, AgentState::kPreviewDialing);
  } else {
    make_idle(id, *a);
  }
  maybe_pace_after_event();
  return Status::Ok();
}

void Dialer::offer_previews() {
  std::vector<AgentId> offer;
  for (const auto& [id, token] : idle_queue_) {
    auto it = agents_.find(id);
    if (it == agents_.end()) continue;
    const Agent& a = it->second;
    if (a.state == AgentState::kIdle && a.idle_token == token && !a.pause_pending &&
        !a.logout_pending)
      offer.push_back(id);
  }
  for (AgentId id : offer) {
    auto lead = leads_.next(clock_.now());
    if (!lead) {
      ++stats_.no_lead_rounds;
      return;
    }
    Agent& a = agents_.at(id);
    leave_idle(a);
    a.preview_lead = *lead;
    set_state(id, a, AgentState::kPreviewing);
    desk_.on_preview(id, *lead);
  }
}

void Dialer::settle_pending_pauses() {
  if (idle_pending_ == 0 || !binds_lines_to_agents()) return;
  std::vector<AgentId> pending;
  for (const auto& [id, token] : idle_queue_) {
    auto it = agents_.find(id);
    if (it == agents_.end()) continue;
    const Agent& a = it->second;
    if (a.state == AgentState::kIdle && a.idle_token == token && (a.pause_pending || a.logout_pending))
      pending.push_back(id);
  }
  for (AgentId id : pending) {
    if (idle_available_ < static_cast<int>(in_flight_.size() + waiting_.size())) return;
    Agent& a = agents_.at(id);
    leave_idle(a);
    bool logout = a.logout_pending;
    a.pause_pending = a.logout_pending = false;
    set_state(id, a, logout ? AgentState::kOffline : AgentState::kPaused);
  }
}

// ---------------------------------------------------------------- calls

bool Dialer::place_call(const DialLead& lead, AgentId preview_agent, double predicted_risk) {
  Instant now = clock_.now();
  GateDecision decision = gate_.check(lead, now);
  if (!decision.allow) {
    ++stats_.gate_denials;
    if (decision.reasons.empty()) decision.reasons.push_back("unspecified");
    for (const std::string& r : decision.reasons) ++stats_.blocked_by_reason[r];
    sink_.record_blocked(BlockedDial{config_.campaign_id, lead, now, std::move(decision.reasons),
                                     decision.earliest_retry});
    return false;
  }
  AttemptReceipt receipt;
  receipt.attempt_id = next_attempt_++;
  receipt.campaign_id = config_.campaign_id;
  receipt.lead = lead;
  receipt.at = now;
  receipt.gate_receipt = std::move(decision.receipt);
  receipt.agent = preview_agent;
  if (Status s = sink_.record_attempt(receipt); !s) {
    ++stats_.receipt_failures;
    return false;
  }
  telephony::OriginateRequest req;
  req.number = lead.phone;
  req.caller_id = config_.caller_id;
  req.ring_timeout = config_.ring_timeout;
  req.tag = receipt.attempt_id;
  Result<CallId> id = telephony_.originate(req);
  if (!id) {
    ++stats_.originate_failures;
    AttemptResult r;
    r.attempt_id = receipt.attempt_id;
    r.campaign_id = config_.campaign_id;
    r.lead = lead;
    r.outcome = Outcome::kOriginateFailed;
    r.dialed_at = r.ended_at = now;
    sink_.record_result(r);
    return false;
  }
  Call call;
  call.attempt_id = receipt.attempt_id;
  call.lead = lead;
  call.placed = now;
  call.agent = preview_agent;
  call.predicted_risk = static_cast<float>(predicted_risk);
  committed_risk_ += call.predicted_risk;
  call.in_flight_index = static_cast<uint32_t>(in_flight_.size());
  in_flight_.push_back(InFlight{*id, now});
  calls_.emplace(*id, call);
  if (preview_agent != 0) agents_.at(preview_agent).call = *id;
  ++stats_.dials;
  return true;
}

void Dialer::resolve_in_flight(Call& call, bool human) {
  pacing_->observe_resolution(clock_.now() - call.placed, human, clock_.now());
  committed_risk_ = std::max(0.0, committed_risk_ - call.predicted_risk);
  if (in_flight_.size() == 1) committed_risk_ = 0;  // no drift from rounding
  uint32_t i = call.in_flight_index;
  if (i + 1 != in_flight_.size()) {
    in_flight_[i] = in_flight_.back();
    calls_.at(in_flight_[i].call).in_flight_index = i;
  }
  in_flight_.pop_back();
}

void Dialer::finish(CallId id, Call& call, Outcome outcome, Instant end, bool message_played) {
  AttemptResult r;
  r.attempt_id = call.attempt_id;
  r.campaign_id = config_.campaign_id;
  r.lead = call.lead;
  r.outcome = outcome;
  r.dialed_at = call.placed;
  if (outcome == Outcome::kConnected || outcome == Outcome::kAbandoned || outcome == Outcome::kMachine)
    r.answered_at = call.answered;
  if (outcome == Outcome::kConnected) {
    r.connected_at = call.connected;
    r.agent = call.agent;
  }
  r.ended_at = end;
  r.abandon_message_played = message_played;
  scheduler_.cancel(call.grace_timer);
  calls_.erase(id);  // `call` dangles from here
  sink_.record_result(r);
}

void Dialer::connect(CallId id, Call& call, AgentId agent_id) {
  Agent& a = agents_.at(agent_id);
  Instant now = clock_.now();
  if (Status s = telephony_.connect(id, agent_id); !s) {
    // The callee is gone (hung up at this very instant): a live answer no
    // agent took, which the law counts as abandoned.
    ++stats_.abandoned;
    ledger_.record_abandoned(now);
    if (call.agent != 0 && a.state == AgentState::kPreviewDialing) make_idle(agent_id, a);
    finish(id, call, Outcome::kAbandoned, now, false);
    return;
  }
  leave_idle(a);
  call.stage = CallStage::kConnected;
  call.agent = agent_id;
  call.connected = now;
  a.call = id;
  set_state(agent_id, a, AgentState::kTalking);
  ++stats_.connected;
  stats_.total_answer_wait_s += std::chrono::duration<double>(now - call.answered).count();
  desk_.on_connected(agent_id, ConnectedCall{call.attempt_id, call.lead, call.answered});
}

void Dialer::on_answered_human(CallId id, Call& call) {
  Instant now = clock_.now();
  resolve_in_flight(call, true);
  call.answered = now;
  ++stats_.live_answers;
  stats_.predicted_abandons += call.predicted_risk;
  ledger_.record_live_answer(now);
  if (stats_.live_answers == config_.peak_rate_warmup_answers) {
    stats_.peak_rate_after_warmup = std::max(
        stats_.peak_rate_after_warmup,
        static_cast<double>(stats_.abandoned) / static_cast<double>(stats_.live_answers));
  }
  if (call.agent != 0) {  // preview: the agent who dialed it is waiting
    connect(id, call, call.agent);
    return;
  }
  if (AgentId agent = pick_longest_idle(); agent != 0) {
    connect(id, call, agent);
    return;
  }
  call.stage = CallStage::kWaiting;
  waiting_.push_back(id);
  call.grace_timer = scheduler_.schedule_at(now + config_.grace, [this, id] { abandon(id); });
}

void Dialer::drop_waiting(CallId id) {
  auto it = std::find(waiting_.begin(), waiting_.end(), id);
  if (it != waiting_.end()) waiting_.erase(it);
}

void Dialer::abandon(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end() || it->second.stage != CallStage::kWaiting) return;
  Call& call = it->second;
  call.grace_timer = telephony::kNoTimer;
  drop_waiting(id);
  Instant now = clock_.now();
  ++stats_.abandoned;
  ledger_.record_abandoned(now);
  if (stats_.live_answers >= config_.peak_rate_warmup_answers) {
    stats_.peak_rate_after_warmup = std::max(
        stats_.peak_rate_after_warmup,
        static_cast<double>(stats_.abandoned) / static_cast<double>(stats_.live_answers));
  }
  if (Status s = telephony_.play_message(id, telephony::Message::kAbandonment); !s) {
    Status h = telephony_.hangup(id);
    (void)h;
    finish(id, call, Outcome::kAbandoned, now, false);
  } else {
    call.stage = CallStage::kAbandoning;
  }
  maybe_pace_after_event();
}

void Dialer::on_not_live(CallId id, Call& call, Outcome outcome) {
  resolve_in_flight(call, false);
  switch (outcome) {
    case Outcome::kMachine: ++stats_.machines; break;
    case Outcome::kBusy: ++stats_.busy; break;
    case Outcome::kNoAnswer: ++stats_.no_answer; break;
    default: ++stats_.failed; break;
  }
  Instant now = clock_.now();
  if (outcome == Outcome::kMachine) {
    call.answered = now;
    Status s = telephony_.hangup(id);
    (void)s;
  }
  AgentId bound = call.agent;
  finish(id, call, outcome, now, false);
  if (bound != 0) {
    Agent& a = agents_.at(bound);
    if (a.state == AgentState::kPreviewDialing) {
      a.call = 0;
      make_idle(bound, a);
    }
  }
}

void Dialer::on_far_end_hangup(CallId id, Call& call) {
  Instant now = clock_.now();
  switch (call.stage) {
    case CallStage::kConnected: {
      AgentId agent_id = call.agent;
      Agent& a = agents_.at(agent_id);
      pacing_->observe_talk(now - call.connected, now);
      a.call = 0;
      uint64_t attempt = call.attempt_id;
      finish(id, call, Outcome::kConnected, now, false);
      set_state(agent_id, a, AgentState::kWrapUp);
      desk_.on_call_ended(agent_id, attempt);
      return;
    }
    case CallStage::kWaiting:
      // The callee gave up before an agent came: abandoned, no message.
      drop_waiting(id);
      ++stats_.abandoned;
      ledger_.record_abandoned(now);
      finish(id, call, Outcome::kAbandoned, now, false);
      return;
    case CallStage::kAbandoning:
      finish(id, call, Outcome::kAbandoned, now, false);
      return;
    case CallStage::kPlaced:
      on_not_live(id, call, Outcome::kNoAnswer);
      return;
  }
}

void Dialer::on_telephony_event(const telephony::Event& event) {
  auto it = calls_.find(event.call);
  if (it == calls_.end()) {
    ++stats_.unknown_events;
    return;
  }
  Call& call = it->second;
  CallId id = event.call;
  bool placed = call.stage == CallStage::kPlaced;
  switch (event.kind) {
    case EventKind::kRinging:
      return;
    case EventKind::kAnsweredHuman:
      if (!placed) { ++stats_.unknown_events; return; }
      on_answered_human(id, call);
      break;
    case EventKind::kAnsweredMachine:
      if (!placed) { ++stats_.unknown_events; return; }
      on_not_live(id, call, Outcome::kMachine);
      break;
    case EventKind::kBusy:
      if (!placed) { ++stats_.unknown_events; return; }
      on_not_live(id, call, Outcome::kBusy);
      break;
    case EventKind::kNoAnswer:
      if (!placed) { ++stats_.unknown_events; return; }
      on_not_live(id, call, Outcome::kNoAnswer);
      break;
    case EventKind::kFailed:
      if (!placed) { ++stats_.unknown_events; return; }
      on_not_live(id, call, Outcome::kFailed);
      break;
    case EventKind::kHangup:
      on_far_end_hangup(id, call);
      break;
    case EventKind::kMessageDone:
      if (call.stage != CallStage::kAbandoning) { ++stats_.unknown_events; return; }
      ++stats_.abandon_messages;
      {
        Status s = telephony_.hangup(id);
        (void)s;
      }
      finish(id, call, Outcome::kAbandoned, clock_.now(), true);
      break;
  }
  settle_pending_pauses();
  maybe_pace_after_event();
}

// ---------------------------------------------------------------- pacing

void Dialer::maybe_pace_after_event() {
  if (running_ && pacing_->paces_on_events()) pace();
}

void Dialer::pace() {
  if (!running_ || pacing_now_) return;
  pacing_now_ = true;
  if (config_.mode.kind == DialMode::Kind::kPreview) {
    offer_previews();
    pacing_now_ = false;
    return;
  }
  Instant now = clock_.now();
  PacingInput in;
  in.now = now;
  in.idle_agents = idle_available_;
  in.waiting_calls = static_cast<int>(waiting_.size());
  in.staffed_agents = staffed_;
  in.in_flight = static_cast<int>(in_flight_.size());
  in.window = ledger_.totals(now);
  in.limit = ledger_.limit();
  in.grace = config_.grace;
  in.committed_risk = committed_risk_;
  if (pacing_->wants_detail()) {
    ages_buf_.clear();
    for (const InFlight& f : in_flight_) ages_buf_.push_back(now - f.placed);
    busy_buf_.clear();
    if (talking_or_wrapping_ > 0) {
      for (const auto& [id, a] : agents_) {
        if (a.state == AgentState::kTalking) busy_buf_.push_back(BusyAgent{true, now - a.since});
        else if (a.state == AgentState::kWrapUp) busy_buf_.push_back(BusyAgent{false, now - a.since});
      }
    }
    in.call_ages = ages_buf_;
    in.busy = busy_buf_;
  }
  int want = pacing_->calls_to_launch(in);
  if (config_.max_lines != 0)
    want = std::min<int>(want, static_cast<int>(config_.max_lines) - static_cast<int>(calls_.size()));
  uint32_t denials = 0;
  for (int placed = 0; placed < want;) {
    auto lead = leads_.next(now);
    if (!lead) {
      ++stats_.no_lead_rounds;
      break;
    }
    uint64_t failures_before = stats_.receipt_failures + stats_.originate_failures;
    if (place_call(*lead, 0, pacing_->launch_risk(placed))) {
      ++placed;
      continue;
    }
    if (stats_.receipt_failures + stats_.originate_failures != failures_before) break;  // store or network down
    if (++denials >= config_.max_denials_per_round) break;
  }
  pacing_now_ = false;
}

}  // namespace telemark::dialer
