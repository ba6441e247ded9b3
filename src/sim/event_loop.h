// EventLoop: the simulator's heart. A priority queue of timers on a
// VirtualClock: run_until() pops the earliest timer, sets the clock to its
// time and runs it, so a simulated day takes as long as its events take to
// process, not as long as the day. Timers at the same instant run in the
// order they were scheduled, which makes every run deterministic.
//
// Implements telephony::Scheduler, so the simulated telephony backend and
// the dialer schedule on it exactly as they would on a production loop.
//
// Ownership: borrows the clock (must outlive the loop); owns pending
// callbacks. Thread-safety: none; one thread runs the loop.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/clock.h"
#include "telephony/scheduler.h"

namespace telemark::sim {

class EventLoop final : public telephony::Scheduler {
 public:
  explicit EventLoop(VirtualClock& clock);

  telephony::TimerId schedule_at(Instant at, std::function<void()> fn) override;
  void cancel(telephony::TimerId id) override;

  // Runs every timer due at or before `until`, in time order, then leaves
  // the clock at `until`. Timers scheduled while running are run too if due.
  void run_until(Instant until);
  // Runs the earliest timer (advancing the clock to it); false when none.
  bool run_one();

  size_t pending() const { return live_; }
  uint64_t executed() const { return executed_; }
  const VirtualClock& clock() const { return clock_; }

 private:
  struct Entry {
    Instant at;
    uint64_t seq;
    telephony::TimerId id;
  };
  struct Slot {
    std::function<void()> fn;
    uint32_t generation = 0;
    bool armed = false;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }
  bool pop_live(Entry& out);

  VirtualClock& clock_;
  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t seq_ = 0;
  uint64_t executed_ = 0;
  size_t live_ = 0;
};

}  // namespace telemark::sim
