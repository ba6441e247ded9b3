// Telephony: the dialer's view of the phone network. It places calls,
// reports what happens to them as events, bridges an answered call to an
// agent, plays a recorded message and hangs up. It knows nothing about
// campaigns, leads or agents' work: an agent is only a line to bridge to.
//
// Backends: sim/ (SimTelephony, a simulated world on a virtual clock, used by
// tests, benchmarks and the demo); a SIP backend will implement the same
// interface.
//
// Event contract: events are delivered to the one EventListener set with
// set_listener(), from the backend's event loop, never from inside a command
// method (originate/connect/play_message/hangup). For every originated call
// the listener sees, in order: at most one kRinging, then exactly one
// resolution (kAnsweredHuman, kAnsweredMachine, kBusy, kNoAnswer, kFailed);
// after kAnsweredHuman or kAnsweredMachine, kMessageDone after a
// play_message() and kHangup when the far end hangs up. A hangup() by the
// caller ends the call at once and produces no event; later commands on that
// call fail with "unknown_call".
//
// Ownership: the caller owns the listener and must keep it alive while the
// backend may deliver events. Thread-safety: none; one thread drives a
// backend and its listener.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace telemark::telephony {

using CallId = uint64_t;   // assigned by the backend, never 0
using AgentLine = uint32_t;  // the line (extension) an agent answers on

enum class EventKind : uint8_t {
  kRinging = 0,
  kAnsweredHuman,
  kAnsweredMachine,
  kBusy,
  kNoAnswer,    // rang until the request's ring timeout
  kFailed,      // network or number failure (invalid number, congestion)
  kHangup,      // the far end hung up an answered call
  kMessageDone, // a message started with play_message() finished
};

std::string_view to_string(EventKind kind);

struct Event {
  EventKind kind = EventKind::kRinging;
  CallId call = 0;
  Instant at{};
};

// Which recorded message to play. kAbandonment is the message the law
// requires when no agent is connected within 2 seconds (seller's name and a
// number to call back / opt out).
enum class Message : uint8_t { kAbandonment = 0 };

struct OriginateRequest {
  uint64_t number = 0;     // E.164 digits without '+'
  uint64_t caller_id = 0;  // E.164 digits without '+', transmitted to the callee
  Duration ring_timeout = std::chrono::seconds(25);  // released as kNoAnswer after this
  uint64_t tag = 0;        // caller's reference (the attempt id), opaque to the backend
};

class EventListener {
 public:
  virtual ~EventListener() = default;
  virtual void on_telephony_event(const Event& event) = 0;
};

class Telephony {
 public:
  virtual ~Telephony() = default;
  virtual void set_listener(EventListener* listener) = 0;
  virtual Result<CallId> originate(const OriginateRequest& request) = 0;
  // Bridges an answered call to an agent's line; talk starts now.
  virtual Status connect(CallId call, AgentLine agent) = 0;
  virtual Status play_message(CallId call, Message message) = 0;
  virtual Status hangup(CallId call) = 0;
};

}  // namespace telemark::telephony
