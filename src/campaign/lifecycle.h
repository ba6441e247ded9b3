// Lead life cycle: what happens to a campaign's lead after each attempt.
//
// A campaign has a disposition set (the codes an agent picks after a live
// call, each with flags: human answered, contact, success, callback,
// do-not-call, final, bad number; presets for sales, survey, charity and
// appointment campaigns) and retry rules (per network outcome — busy,
// no_answer, machine, abandoned, bad_number, failed — and per disposition
// code: a delay and a maximum number of attempts). next_step() turns "this
// lead, this outcome, now" into the lead's next state and the next time it
// may be called; that time is moved into the callee's next lawful window by
// asking the compliance engine (a DecideAt bound to the lead's facts,
// history included, so the 24-hour caps, the UK abandon lockout and
// same-day machine redial rules apply through the engine).
//
// Lead states: new (never attempted), in_progress (attempted, nobody
// reached yet, more attempts planned), contacted (a person was reached, not
// concluded), follow_up (a callback is scheduled), and the terminal won,
// lost (a final non-success disposition or a bad number), do_not_call and
// exhausted (attempts used up). A lead whose calls the engine blocks
// outright (not a matter of hours) goes where blocked_step() says: the
// person is on a do-not-call list or revoked consent → do_not_call; the
// number is invalid → lost; anything the operator can fix (a registry
// missing or stale, a country not enabled, consent required, an unknown
// time zone) → the state is kept and the lead is looked at again after
// LifecyclePolicy::blocked_recheck.
//
// Value types and pure functions: thread-safe; next_step() calls the
// DecideAt it is given and nothing else.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "compliance/intent.h"

namespace telemark::campaign {

enum class LeadState : uint8_t { kNew, kInProgress, kContacted, kFollowUp, kWon, kLost, kDoNotCall, kExhausted };
std::string_view to_string(LeadState s);  // "new", "in_progress", ...
std::optional<LeadState> parse_lead_state(std::string_view s);
constexpr bool is_terminal(LeadState s) {
  return s == LeadState::kWon || s == LeadState::kLost || s == LeadState::kDoNotCall || s == LeadState::kExhausted;
}

// Disposition flags (bits of Disposition::flags).
enum class DispositionFlag : uint8_t {
  kHumanAnswered = 1,
  kContact = 2,      // the decision maker / intended person was reached
  kSuccess = 4,      // sale, completed survey, pledge, appointment booked
  kCallback = 8,     // call again at an agreed time
  kDoNotCall = 16,   // the callee asked not to be called: internal list
  kFinal = 32,       // no further attempts
  kBadNumber = 64,   // wrong or dead number
};
std::optional<DispositionFlag> parse_disposition_flag(std::string_view s);  // "human_answered", ...
std::string_view to_string(DispositionFlag f);

struct Disposition {
  std::string code;  // [a-z0-9_]+
  uint8_t flags = 0;
  bool has(DispositionFlag f) const { return flags & static_cast<uint8_t>(f); }
  friend bool operator==(const Disposition&, const Disposition&) = default;
};

enum class DispositionPreset : uint8_t { kSales, kSurvey, kCharity, kAppointment };
std::string_view to_string(DispositionPreset p);
std::optional<DispositionPreset> parse_disposition_preset(std::string_view s);
// The preset a campaign gets when its definition names none.
DispositionPreset default_preset(compliance::Purpose purpose);
std::vector<Disposition> preset_dispositions(DispositionPreset p);

// Network outcomes of an attempt, as the [retry] keys spell them.
enum class NetworkOutcome : uint8_t { kBusy, kNoAnswer, kMachine, kAbandoned, kBadNumber, kFailed };
std::string_view to_string(NetworkOutcome o);  // "busy", "no_answer", ...
std::optional<NetworkOutcome> parse_network_outcome(std::string_view s);

// Retry after `delay` while the lead has had fewer than `max_attempts`
// attempts in all (0: never retry after this outcome).
struct RetryRule {
  std::string outcome;  // a NetworkOutcome spelling or a disposition code
  Duration delay{};
  uint32_t max_attempts = 0;
  friend bool operator==(const RetryRule&, const RetryRule&) = default;
};

// "90s", "10m", "4h", "2d" (also combined: "1h30m").
std::optional<Duration> parse_delay(std::string_view s);
std::string format_delay(Duration d);

struct LifecyclePolicy {
  std::vector<Disposition> dispositions;
  std::vector<RetryRule> retries;  // one per outcome key
  uint32_t max_attempts = 10;      // over all outcomes
  // A callback disposition without an agreed time.
  Duration callback_delay = std::chrono::hours(24);
  // A lead blocked for a reason the operator can fix is looked at again
  // after this long (blocked_step).
  Duration blocked_recheck = std::chrono::hours(24);

  const Disposition* disposition(std::string_view code) const;
  const RetryRule* retry(std::string_view outcome) const;
};

// The preset's dispositions and default retries, then `custom` dispositions
// (same code: replaced) and `retry_overrides` (same key: replaced). A retry
// key that is neither a network outcome nor a disposition is an error.
Result<LifecyclePolicy> build_policy(DispositionPreset preset, const std::vector<Disposition>& custom,
                                     const std::vector<RetryRule>& retry_overrides, uint32_t max_attempts = 0);

// The compliance engine's decision for a call to one lead at `at` (the
// caller binds the lead's facts, campaign and call history).
using DecideAt = std::function<compliance::Decision(Instant at)>;

struct LawfulTime {
  std::optional<Instant> at;  // none: blocked (not a matter of time)
  std::vector<compliance::Reason> reasons;  // why `candidate` itself was not callable
};
// `candidate` if callable then, else the engine's next_allowed_at.
LawfulTime next_lawful(const DecideAt& decide, Instant candidate);

struct AttemptOutcome {
  std::optional<NetworkOutcome> network;  // set unless a person answered and was dispositioned
  std::string disposition;                // the agent's code when a person answered
  std::optional<Instant> callback_at;     // agreed callback time (UTC; see callback_instant)
  // A callback disposition: the agent it belongs to (the one who took the
  // call). A network outcome of a follow_up lead: the agent its callback
  // belongs to, which the retry keeps. 0: anyone.
  uint32_t callback_agent = 0;
};

struct LeadProgress {
  LeadState state = LeadState::kNew;
  uint32_t attempts = 0;  // including the attempt being concluded
};

struct NextStep {
  LeadState state = LeadState::kNew;
  std::optional<Instant> next_call_at;  // none: no further call (terminal)
  uint32_t callback_agent = 0;
  // The callee asked not to be called: the tenant's internal list must be
  // written (durably) before the agent is told the call is done.
  bool add_to_internal_dnc = false;
  std::vector<compliance::Reason> blocked;  // why the engine refuses any time (see blocked_step)
};

// A lead the engine refuses at any time, for `reasons`, at `now`: its new
// state, and when to look at it again (none: never, a terminal state).
struct BlockedStep {
  LeadState state = LeadState::kNew;
  std::optional<Instant> recheck_at;
};
BlockedStep blocked_step(const LifecyclePolicy& policy, LeadState state,
                         const std::vector<compliance::ReasonCode>& reasons, Instant now);

// Errors: an unknown disposition code, a callback disposition whose agreed
// time the engine does not allow (the message carries the next lawful time).
Result<NextStep> next_step(const LifecyclePolicy& policy, const LeadProgress& lead, const AttemptOutcome& outcome,
                           Instant now, const DecideAt& decide);

// A callback time as the agent and callee agreed it, in the callee's local
// time ("2026-03-10T14:30" in `iana_zone`), as UTC. A local time that
// does not exist (DST gap) is moved forward; an ambiguous one takes the
// earlier instant.
Result<Instant> callback_instant(std::string_view local_time, std::string_view iana_zone);

}  // namespace telemark::campaign
