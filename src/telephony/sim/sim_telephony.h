// SimTelephony: the Telephony interface over a simulated phone network.
// What each callee does (pick up after how long, be a machine, be busy,
// never answer, talk for how long) comes from a CallScripter, the simulated
// world (src/sim); this class only turns the script into events at the right
// virtual times, using the Scheduler it is given, and enforces the request's
// ring timeout exactly as a real network would (a callee who would pick up
// after the timeout is reported as kNoAnswer at the timeout).
//
// Ownership: borrows the clock, scheduler and scripter, which must outlive
// it. Thread-safety: none (one simulation thread).
#pragma once

#include <cstdint>
#include <unordered_map>

#include "telephony/scheduler.h"
#include "telephony/telephony.h"

namespace telemark::telephony::sim {

enum class Fate : uint8_t { kHuman = 0, kMachine, kBusy, kNoAnswer, kFailed };

struct CallScript {
  Fate fate = Fate::kNoAnswer;
  // kHuman, kMachine: time from originate to pick-up. kBusy, kFailed: time
  // to the signal. kNoAnswer: ignored (rings until the ring timeout).
  Duration ring{};
  // kMachine: answering-machine detection time after pick-up.
  Duration detect{};
  // kHuman: conversation length once bridged to an agent.
  Duration talk{};
};

class CallScripter {
 public:
  virtual ~CallScripter() = default;
  virtual CallScript script(const OriginateRequest& request, Instant now) = 0;
};

struct SimOptions {
  Duration ringing_after = std::chrono::seconds(1);     // kRinging after originate
  Duration message_length = std::chrono::seconds(6);    // the abandonment message
  // An answered call nobody bridges, plays to or hangs up is hung up by the
  // far end after this long (a person gives up; a machine stops recording).
  Duration far_end_patience = std::chrono::seconds(30);
};

struct SimCounters {
  uint64_t originated = 0;
  uint64_t connected = 0;
  uint64_t messages_played = 0;
  uint64_t local_hangups = 0;
  uint64_t remote_hangups = 0;
  uint64_t events = 0;
};

class SimTelephony final : public Telephony {
 public:
  SimTelephony(const Clock& clock, Scheduler& scheduler, CallScripter& scripter,
               SimOptions options = {});
  ~SimTelephony() override;
  SimTelephony(const SimTelephony&) = delete;
  SimTelephony& operator=(const SimTelephony&) = delete;

  void set_listener(EventListener* listener) override { listener_ = listener; }
  Result<CallId> originate(const OriginateRequest& request) override;
  Status connect(CallId call, AgentLine agent) override;
  Status play_message(CallId call, Message message) override;
  Status hangup(CallId call) override;

  size_t active_calls() const { return calls_.size(); }
  const SimCounters& counters() const { return counters_; }
  // The agent line a call is bridged to, or 0 if none / unknown call.
  AgentLine bridged_to(CallId call) const;

 private:
  enum class Stage : uint8_t { kDialing, kRinging, kAnswered, kTalking, kMessage };
  struct SimCall {
    CallScript script;
    Duration ring_timeout{};
    Instant placed{};
    Stage stage = Stage::kDialing;
    AgentLine agent = 0;
    TimerId timer = kNoTimer;
  };

  enum class Step : uint8_t { kRinging, kResolve, kFarEndHangup, kMessageDone };
  void arm(CallId id, SimCall& call, Instant at, Step step);
  void fire(CallId id, Step step);
  void on_ringing(CallId id);
  void on_resolve(CallId id);
  void on_far_end_hangup(CallId id);
  void on_message_done(CallId id);
  void emit(EventKind kind, CallId id);
  Error unknown_call(CallId id, const char* op) const;

  const Clock& clock_;
  Scheduler& scheduler_;
  CallScripter& scripter_;
  SimOptions options_;
  EventListener* listener_ = nullptr;
  std::unordered_map<CallId, SimCall> calls_;
  CallId next_id_ = 1;
  SimCounters counters_;
};

}  // namespace telemark::telephony::sim
