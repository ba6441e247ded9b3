#include "telephony/sim/sim_telephony.h"

#include <algorithm>
#include <string>

namespace telemark::telephony::sim {

SimTelephony::SimTelephony(const Clock& clock, Scheduler& scheduler, CallScripter& scripter,
                           SimOptions options)
    : clock_(clock), scheduler_(scheduler), scripter_(scripter), options_(options) {
  calls_.reserve(1024);
}

SimTelephony::~SimTelephony() {
  for (auto& [id, call] : calls_) scheduler_.cancel(call.timer);
}

Error SimTelephony::unknown_call(CallId id, const char* op) const {
  return make_error("unknown_call", std::string(op) + ": call " + std::to_string(id) +
                                        " is not active in the simulated network");
}

// The call id and the step share one 64-bit word so the callback fits in
// std::function's small buffer: the simulator arms hundreds of thousands of
// these timers per simulated day.
void SimTelephony::arm(CallId id, SimCall& call, Instant at, Step step) {
  uint64_t key = (id << 2) | static_cast<uint64_t>(step);
  call.timer = scheduler_.schedule_at(at, [this, key] {
    fire(key >> 2, static_cast<Step>(key & 3));
  });
}

void SimTelephony::fire(CallId id, Step step) {
  switch (step) {
    case Step::kRinging: on_ringing(id); break;
    case Step::kResolve: on_resolve(id); break;
    case Step::kFarEndHangup: on_far_end_hangup(id); break;
    case Step::kMessageDone: on_message_done(id); break;
  }
}

Result<CallId> SimTelephony::originate(const OriginateRequest& request) {
  if (request.number == 0)
    return make_error("bad_number", "originate: the number to call is empty");
  CallId id = next_id_++;
  SimCall call;
  call.script = scripter_.script(request, clock_.now());
  call.ring_timeout = request.ring_timeout;
  call.placed = clock_.now();
  auto [it, inserted] = calls_.emplace(id, call);
  ++counters_.originated;
  const CallScript& s = it->second.script;
  bool rings = s.fate == Fate::kHuman || s.fate == Fate::kMachine || s.fate == Fate::kNoAnswer;
  if (rings && (s.fate == Fate::kNoAnswer || s.ring > options_.ringing_after)) {
    arm(id, it->second, call.placed + options_.ringing_after, Step::kRinging);
  } else {
    Duration ring = std::clamp(s.ring, Duration::zero(), std::max(call.ring_timeout, Duration::zero()));
    arm(id, it->second, call.placed + ring, Step::kResolve);
  }
  return id;
}

void SimTelephony::on_ringing(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  SimCall& call = it->second;
  call.stage = Stage::kRinging;
  Instant resolve_at = call.script.fate == Fate::kNoAnswer
                           ? call.placed + call.ring_timeout
                           : call.placed + std::min(call.script.ring, call.ring_timeout);
  arm(id, call, resolve_at, Step::kResolve);
  emit(EventKind::kRinging, id);
}

void SimTelephony::on_resolve(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  SimCall& call = it->second;
  call.timer = kNoTimer;
  Instant now = clock_.now();
  const CallScript& s = call.script;
  bool picks_up = s.fate == Fate::kHuman || s.fate == Fate::kMachine;
  if (s.fate == Fate::kNoAnswer || (picks_up && s.ring >= call.ring_timeout)) {
    // A callee who would pick up after the timeout never gets the chance.
    if (now < call.placed + call.ring_timeout) {
      arm(id, call, call.placed + call.ring_timeout, Step::kResolve);
      call.script.fate = Fate::kNoAnswer;
      return;
    }
    calls_.erase(it);
    emit(EventKind::kNoAnswer, id);
    return;
  }
  switch (s.fate) {
    case Fate::kHuman:
      call.stage = Stage::kAnswered;
      arm(id, call, now + options_.far_end_patience, Step::kFarEndHangup);
      emit(EventKind::kAnsweredHuman, id);
      return;
    case Fate::kMachine:
      if (call.stage != Stage::kAnswered) {
        // Picked up: the detector listens for `detect` before deciding.
        call.stage = Stage::kAnswered;
        arm(id, call, now + s.detect, Step::kResolve);
        return;
      }
      arm(id, call, now + options_.far_end_patience, Step::kFarEndHangup);
      emit(EventKind::kAnsweredMachine, id);
      return;
    case Fate::kBusy:
      calls_.erase(it);
      emit(EventKind::kBusy, id);
      return;
    case Fate::kFailed:
      calls_.erase(it);
      emit(EventKind::kFailed, id);
      return;
    case Fate::kNoAnswer:
      return;  // handled above
  }
}

void SimTelephony::on_far_end_hangup(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  calls_.erase(it);
  ++counters_.remote_hangups;
  emit(EventKind::kHangup, id);
}

void SimTelephony::on_message_done(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  SimCall& call = it->second;
  call.stage = Stage::kAnswered;
  arm(id, call, clock_.now() + options_.far_end_patience, Step::kFarEndHangup);
  emit(EventKind::kMessageDone, id);
}

Status SimTelephony::connect(CallId id, AgentLine agent) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return unknown_call(id, "connect");
  SimCall& call = it->second;
  if (call.stage != Stage::kAnswered || call.script.fate != Fate::kHuman)
    return make_error("not_answered", "connect: call " + std::to_string(id) +
                                          " has not been answered by a person");
  scheduler_.cancel(call.timer);
  call.stage = Stage::kTalking;
  call.agent = agent;
  ++counters_.connected;
  arm(id, call, clock_.now() + call.script.talk, Step::kFarEndHangup);
  return Status::Ok();
}

Status SimTelephony::play_message(CallId id, Message message) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return unknown_call(id, "play_message");
  SimCall& call = it->second;
  if (call.stage != Stage::kAnswered)
    return make_error("not_answered", "play_message: call " + std::to_string(id) +
                                          " is not answered or is already bridged");
  scheduler_.cancel(call.timer);
  call.stage = Stage::kMessage;
  ++counters_.messages_played;
  arm(id, call, clock_.now() + options_.message_length, Step::kMessageDone);
  return Status::Ok();
}

Status SimTelephony::hangup(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return unknown_call(id, "hangup");
  scheduler_.cancel(it->second.timer);
  calls_.erase(it);
  ++counters_.local_hangups;
  return Status::Ok();
}

AgentLine SimTelephony::bridged_to(CallId id) const {
  auto it = calls_.find(id);
  return it == calls_.end() ? 0 : it->second.agent;
}

void SimTelephony::emit(EventKind kind, CallId id) {
  ++counters_.events;
  if (listener_ != nullptr) listener_->on_telephony_event(Event{kind, id, clock_.now()});
}

}  // namespace telemark::telephony::sim
