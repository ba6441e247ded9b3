// A lead's call history for the compliance engine's history rules (calls
// per 24 hours, the lockout after an abandoned call), built from the
// attempts the store recorded: one definition shared by the dialer's gate
// (dial.h), `telemark check --lead` and `telemark scrub --list`, so that
// all three count the same calls.
//
// Value types and pure functions; thread-safe.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

#include "base/clock.h"
#include "compliance/intent.h"

namespace telemark::campaign {

// How far back a lead's attempts are read: the longest history rule (the
// UK's 72-hour lockout after an abandoned call), with a margin.
inline constexpr Duration kHistoryWindow = std::chrono::hours(96);

// A lead's recent calls.
struct CallRecord {
  std::deque<Instant> attempts;  // oldest first, the last 24 hours
  std::optional<Instant> last_abandoned_at;
};

// Adds one stored attempt, read at `now` (attempts oldest first, started
// at or after now - kHistoryWindow): it counts towards the calls of the
// last 24 hours while it is in them, and an abandoned one is the latest
// abandoned call.
void add_attempt(CallRecord& record, Instant started_at, bool abandoned, Instant now);

// Drops the attempts that are no longer in the 24 hours up to `at` (the
// record of a lead the dialer holds stays small).
void forget_older_than_a_day(CallRecord& record, Instant at);

// The engine's history for a call at `at`: the attempts of the 24 hours
// up to `at` (times beyond kMaxAttemptTimes are counted in attempts_24h)
// and the last abandoned call. Replaces `history`.
void fill_history(const CallRecord& record, Instant at, compliance::CallHistory& history);

// True when the history can change a decision (some attempt or abandoned call).
inline bool has_history(const compliance::CallHistory& h) {
  return h.attempts_24h > 0 || !h.attempt_times.empty() || h.last_abandoned_at.has_value();
}

}  // namespace telemark::campaign
