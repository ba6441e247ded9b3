// Scheduler: the seam for "call me back at time T". The dialer and the
// simulated telephony backend never sleep and never read the real clock;
// they ask a Scheduler for a callback at an Instant of the Clock it pairs
// with. The simulator's EventLoop (src/sim) implements it on a VirtualClock,
// a production event loop will implement it on the system clock.
//
// Ownership: the Scheduler owns the callbacks it holds until they run or are
// cancelled. Thread-safety: none; callbacks run on the scheduler's thread,
// one at a time, never from inside schedule_at() or cancel().
#pragma once

#include <cstdint>
#include <functional>

#include "base/clock.h"

namespace telemark::telephony {

using TimerId = uint64_t;
inline constexpr TimerId kNoTimer = 0;

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  // Runs `fn` at `at` (or as soon as possible if `at` is in the past).
  // Timers due at the same instant run in the order they were scheduled.
  virtual TimerId schedule_at(Instant at, std::function<void()> fn) = 0;
  // Cancelling a timer that already ran or was cancelled is a no-op.
  virtual void cancel(TimerId id) = 0;
};

}  // namespace telemark::telephony
