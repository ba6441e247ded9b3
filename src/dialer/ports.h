// The dialer's seams to the rest of Telemark. The dialer core takes leads
// from a LeadSource (the campaign's hopper), asks a DialGate about every
// single dial at dial time (the compliance engine: the final gate), writes
// an attempt receipt to an AttemptSink before the call is placed and reports
// each attempt's outcome there (the store), and tells agents what happens
// through an AgentDesk (the agent desktop, or the simulated agents).
//
// memory_ports.h has in-memory implementations for tests, benchmarks and the
// simulator.
//
// Contract: implementations are called from the dialer's thread only, and
// must not call back into the Dialer synchronously from these methods
// (schedule the reaction instead; the dialer is not re-entrant).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace telemark::dialer {

using AgentId = uint32_t;  // also the agent's telephony line; never 0

struct DialLead {
  int64_t lead_id = 0;
  uint64_t phone = 0;  // E.164 digits without '+'
  uint64_t lease = 0;  // the hopper's lease token, handed back in receipts
  // A personal callback: the agent who promised it, the only one who may
  // take it (0: anyone). See Dialer for how it is routed.
  AgentId callback_agent = 0;
  // Personal callbacks: since when the callback has been due (the time the
  // lead first became callable for it), for DialerConfig::
  // personal_callback_fallback.
  Instant callback_due{};
};

class LeadSource {
 public:
  virtual ~LeadSource() = default;
  // The next lead to call now, or none (nothing callable at the moment).
  virtual std::optional<DialLead> next(Instant now) = 0;
  // The dialer keeps `lead` (a personal callback waiting for its agent)
  // until `until` at the latest: it must stay this dialer's (the hopper
  // extends its lease past `until`). false: the lead is no longer ours; the
  // dialer drops it without dialing.
  virtual bool hold(const DialLead& lead, Instant until) = 0;
  // The dialer will not dial `lead` (its agent is offline or was not free
  // in time, or the dialer stops): it is callable again from `retry_at`,
  // still for the same agent, by this node or another.
  virtual void give_back(const DialLead& lead, Instant retry_at) = 0;
};

struct GateDecision {
  bool allow = false;
  std::vector<std::string> reasons;  // stable codes when denied, e.g. "dnc_registry"
  std::string receipt;               // the gate's audit receipt, stored with the attempt
  std::optional<Instant> earliest_retry;
};

class DialGate {
 public:
  virtual ~DialGate() = default;
  virtual GateDecision check(const DialLead& lead, Instant now) = 0;
};

enum class Outcome : uint8_t {
  kConnected = 0,   // live answer bridged to an agent
  kAbandoned,       // live answer with no agent within the grace period
  kMachine,
  kBusy,
  kNoAnswer,
  kFailed,          // the network reported a failure
  kOriginateFailed, // the telephony backend refused the call
};
const char* to_string(Outcome outcome);

struct AttemptReceipt {
  uint64_t attempt_id = 0;
  int64_t campaign_id = 0;
  DialLead lead;
  Instant at{};
  std::string gate_receipt;
  AgentId agent = 0;  // the agent the call is bound to: preview choice or personal callback
};

struct AttemptResult {
  uint64_t attempt_id = 0;
  int64_t campaign_id = 0;
  DialLead lead;
  Outcome outcome = Outcome::kNoAnswer;
  Instant dialed_at{};
  std::optional<Instant> answered_at;   // kConnected, kAbandoned, kMachine
  std::optional<Instant> connected_at;  // kConnected
  Instant ended_at{};
  AgentId agent = 0;                    // kConnected
  bool abandon_message_played = false;  // kAbandoned
};

struct BlockedDial {
  int64_t campaign_id = 0;
  DialLead lead;
  Instant at{};
  std::vector<std::string> reasons;
  std::optional<Instant> earliest_retry;
};

class AttemptSink {
 public:
  virtual ~AttemptSink() = default;
  // Written before the call is placed; an error means the call is not placed.
  virtual Status record_attempt(const AttemptReceipt& receipt) = 0;
  // Once per receipt, when the attempt is over.
  virtual void record_result(const AttemptResult& result) = 0;
  // A lead the gate refused at dial time (no receipt, no call).
  virtual void record_blocked(const BlockedDial& blocked) = 0;
  // A lead a preview agent chose not to dial.
  virtual void record_skipped(const DialLead& lead, AgentId agent, Instant at) = 0;
};

enum class AgentState : uint8_t {
  kOffline = 0,
  kIdle,            // ready for a call
  kPreviewing,      // preview mode: looking at a lead, deciding
  kPreviewDialing,  // waiting on a call bound to them: the preview they chose to
                    // dial, or their personal callback (reserved: no other call)
  kTalking,
  kWrapUp,
  kPaused,          // on a break
};
const char* to_string(AgentState state);

struct ConnectedCall {
  uint64_t attempt_id = 0;
  DialLead lead;
  Instant answered_at{};
};

class AgentDesk {
 public:
  virtual ~AgentDesk() = default;
  // The agent is now talking to the callee.
  virtual void on_connected(AgentId agent, const ConnectedCall& call) = 0;
  // The callee hung up; the agent is in wrap-up until agent_ready() or
  // agent_pause().
  virtual void on_call_ended(AgentId agent, uint64_t attempt_id) = 0;
  // Preview mode: show this lead; answer with Dialer::preview_decision().
  virtual void on_preview(AgentId agent, const DialLead& lead) = 0;
  // Every change of an agent's state, for dashboards and accounting.
  virtual void on_agent_state(AgentId agent, AgentState state, Instant at) = 0;
};

}  // namespace telemark::dialer
