// ISO 8601 helpers for instants stored and printed by Telemark.
// All stored times are UTC. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace telemark {

// Accepts "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an
// optional "Z" or "+HH:MM"/"-HH:MM"/"+HHMM" offset (no offset means UTC),
// and a space instead of "T". Returns an error naming the text otherwise.
Result<Instant> parse_iso8601(std::string_view text);

// "2026-11-29T01:57:00Z" (seconds precision).
std::string format_iso8601(Instant t);
// "2026-11-29"
std::string format_date(Instant t);

// Seconds since the Unix epoch, the storage form.
inline int64_t to_unix_seconds(Instant t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline Instant from_unix_seconds(int64_t s) { return Instant(std::chrono::seconds(s)); }

}  // namespace telemark
