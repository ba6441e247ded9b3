#include "campaign/history.h"

namespace telemark::campaign {

namespace {
constexpr Duration kDay = std::chrono::hours(24);
}

void add_attempt(CallRecord& record, Instant started_at, bool abandoned, Instant now) {
  if (started_at + kDay > now) record.attempts.push_back(started_at);
  if (abandoned) record.last_abandoned_at = started_at;
}

void forget_older_than_a_day(CallRecord& record, Instant at) {
  while (!record.attempts.empty() && record.attempts.front() + kDay <= at) record.attempts.pop_front();
}

void fill_history(const CallRecord& record, Instant at, compliance::CallHistory& history) {
  history = compliance::CallHistory{};
  for (Instant t : record.attempts)
    if (t + kDay > at && t <= at && !history.attempt_times.try_push_back(t)) ++history.attempts_24h;
  history.last_abandoned_at = record.last_abandoned_at;
}

}  // namespace telemark::campaign
