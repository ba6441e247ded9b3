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
  for (auto& [agent, held] : held_)
    for (Held& h : held) scheduler_.cancel(h.timer);
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
  // Held personal callbacks go back to the hopper, callable at once (by
  // another node, or this one when it starts again), still for their agent.
  std::vector<AgentId> agents;
  for (const auto& [id, held] : held_) agents.push_back(id);
  for (AgentId id : agents) give_back_held(id, clock_.now());
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
  if (state == AgentState::kOffline && held_count_ != 0)
    give_back_held(id, clock_.now() + config_.personal_callback_retry);
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
  if (held_count_ != 0 && take_held(id, a)) return;
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
          idle_available_ - 1 < pool_in_flight() + static_cast<int>(waiting_.size())) {
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
          idle_available_ - 1 < pool_in_flight() + static_cast<int>(waiting_.size())) {
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
  uint32_t routed = 0;
  for (AgentId id : offer) {
    Agent& a = agents_.at(id);
    while (can_reserve(a)) {  // not if a personal callback of theirs was just offered
      auto lead = leads_.next(clock_.now());
      if (!lead) {
        ++stats_.no_lead_rounds;
        return;
      }
      if (route_personal(*lead)) {  // offered to its own agent, held or given back
        if (++routed >= config_.max_denials_per_round) return;
        continue;
      }
      leave_idle(a);
      a.preview_lead = *lead;
      set_state(id, a, AgentState::kPreviewing);
      desk_.on_preview(id, *lead);
    }
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
    if (idle_available_ < pool_in_flight() + static_cast<int>(waiting_.size())) return;
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
  call.bound = preview_agent != 0;
  bound_in_flight_ += call.bound ? 1 : 0;
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
  // A bound call is not one of the pacing's: a personal callback, expected
  // by the callee, must not lift the learned answer rate of the pool.
  if (call.bound) --bound_in_flight_;
  else pacing_->observe_resolution(clock_.now() - call.placed, human, clock_.now());
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
  if (call.lead.callback_agent == agent_id) ++stats_.personal_callbacks_connected;
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
  if (call.bound) {  // the agent it is bound to is waiting for it
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
  AgentId bound = call.bound ? call.agent : 0;
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
  dispatch_held();
  if (config_.mode.kind == DialMode::Kind::kPreview) {
    offer_previews();
    pacing_now_ = false;
    return;
  }
  Instant now = clock_.now();
  uint32_t denials = 0, routed = 0;
  // A personal callback that reserves an idle agent in the middle of a
  // round changes what the pacing saw: the round starts over without them.
  for (bool again = true; again;) {
    again = false;
    PacingInput in;
    in.now = now;
    in.idle_agents = idle_available_;
    in.waiting_calls = static_cast<int>(waiting_.size());
    in.staffed_agents = staffed_;
    in.in_flight = pool_in_flight();
    in.window = ledger_.totals(now);
    in.limit = ledger_.limit();
    in.grace = config_.grace;
    in.committed_risk = committed_risk_;
    if (pacing_->wants_detail()) {
      ages_buf_.clear();
      for (const InFlight& f : in_flight_)
        if (bound_in_flight_ == 0 || !calls_.at(f.call).bound) ages_buf_.push_back(now - f.placed);
      busy_buf_.clear();
      if (talking_or_wrapping_ > 0) {
        for (const auto& [id, a] : agents_) {
          // An agent whose personal callback is waiting takes it next, not a pool call.
          if (held_count_ != 0 && held_.count(id)) continue;
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
    for (int placed = 0; placed < want;) {
      auto lead = leads_.next(now);
      if (!lead) {
        ++stats_.no_lead_rounds;
        break;
      }
      int idle_before = idle_available_;
      if (route_personal(*lead)) {
        if (++routed >= config_.max_denials_per_round) break;
        if (idle_available_ != idle_before) {
          again = true;
          break;
        }
        continue;
      }
      uint64_t failures_before = stats_.receipt_failures + stats_.originate_failures;
      if (place_call(*lead, 0, pacing_->launch_risk(placed))) {
        ++placed;
        continue;
      }
      if (stats_.receipt_failures + stats_.originate_failures != failures_before) break;  // store or network down
      if (++denials >= config_.max_denials_per_round) break;
    }
  }
  pacing_now_ = false;
}

// ---------------------------------------------------------------- personal callbacks

bool Dialer::is_personal(const DialLead& lead) {
  if (lead.callback_agent == 0) return false;
  if (config_.personal_callback_fallback > Duration::zero() &&
      clock_.now() >= lead.callback_due + config_.personal_callback_fallback) {
    ++stats_.personal_callbacks_fallback;  // the campaign lets anyone take it now
    return false;
  }
  return true;
}

bool Dialer::can_reserve(const Agent& a) const {
  if (a.state != AgentState::kIdle || a.pause_pending || a.logout_pending) return false;
  // Progressive promises every call in flight an agent: keep enough of them.
  return !binds_lines_to_agents() ||
         idle_available_ - 1 >= pool_in_flight() + static_cast<int>(waiting_.size());
}

bool Dialer::route_personal(const DialLead& lead) {
  if (!is_personal(lead)) return false;
  const AgentId id = lead.callback_agent;
  const Instant now = clock_.now();
  Agent* a = find_agent(id);
  if (a == nullptr || a->state == AgentState::kOffline || a->logout_pending) {
    give_back(lead, now + config_.personal_callback_retry);
    return true;
  }
  if (can_reserve(*a)) {
    serve_personal(id, *a, lead);  // a refused dial is with the sink either way
    return true;
  }
  const Instant until = now + config_.personal_callback_wait;
  if (!leads_.hold(lead, until)) return true;  // no longer ours: not dialed
  Held h;
  h.lead = lead;
  const int64_t lead_id = lead.lead_id;
  h.timer = scheduler_.schedule_at(until, [this, id, lead_id] { hold_expired(id, lead_id); });
  held_[id].push_back(h);
  ++held_count_;
  return true;
}

bool Dialer::serve_personal(AgentId id, Agent& a, const DialLead& lead) {
  if (config_.mode.kind == DialMode::Kind::kPreview) {
    leave_idle(a);
    a.preview_lead = lead;
    set_state(id, a, AgentState::kPreviewing);
    desk_.on_preview(id, lead);
    return true;
  }
  if (!place_call(lead, id)) return false;  // blocked or failed: recorded by the sink
  leave_idle(a);
  set_state(id, a, AgentState::kPreviewDialing);
  ++stats_.personal_callbacks_dialed;
  return true;
}

bool Dialer::take_held(AgentId id, Agent& a) {
  auto it = held_.find(id);
  if (it == held_.end()) return false;
  while (!it->second.empty()) {
    Held h = it->second.front();
    it->second.pop_front();
    --held_count_;
    scheduler_.cancel(h.timer);
    if (serve_personal(id, a, h.lead)) {
      if (it->second.empty()) held_.erase(it);
      return true;
    }
  }
  held_.erase(it);
  return false;
}

void Dialer::dispatch_held() {
  if (held_count_ == 0) return;
  std::vector<AgentId> ready;
  for (const auto& [id, held] : held_) {
    auto it = agents_.find(id);
    if (it != agents_.end() && can_reserve(it->second)) ready.push_back(id);
  }
  for (AgentId id : ready) {
    Agent& a = agents_.at(id);
    if (can_reserve(a)) take_held(id, a);
  }
}

void Dialer::give_back(const DialLead& lead, Instant retry_at) {
  ++stats_.personal_callbacks_deferred;
  leads_.give_back(lead, retry_at);
}

void Dialer::give_back_held(AgentId id, Instant retry_at) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  std::deque<Held> held = std::move(it->second);
  held_.erase(it);
  held_count_ -= held.size();
  for (Held& h : held) {
    scheduler_.cancel(h.timer);
    give_back(h.lead, retry_at);
  }
}

void Dialer::hold_expired(AgentId id, int64_t lead_id) {
  auto it = held_.find(id);
  if (it == held_.end()) return;
  auto& held = it->second;
  auto h = std::find_if(held.begin(), held.end(),
                        [&](const Held& x) { return x.lead.lead_id == lead_id; });
  if (h == held.end()) return;
  DialLead lead = h->lead;
  held.erase(h);
  --held_count_;
  if (held.empty()) held_.erase(it);
  give_back(lead, clock_.now() + config_.personal_callback_retry);
}

}  // namespace telemark::dialer
