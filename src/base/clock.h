// Clock: the one seam for time. Production code never reads the system clock
// directly; it is handed a Clock. SystemClock reads the real time;
// VirtualClock is advanced explicitly by tests, benchmarks, the simulator and
// the demo, so an 8-hour day runs in seconds through the same code.
//
// Thread-safety: SystemClock is safe from any thread. VirtualClock is not
// synchronized: one owner advances it (the simulation loop).
#pragma once

#include <chrono>
#include <cstdint>

namespace telemark {

// All instants are UTC, microsecond resolution.
using Instant = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::microseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant now() const override {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  }
};

class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(Instant start) : now_(start) {}
  Instant now() const override { return now_; }
  void advance(Duration d) { now_ += d; }
  void set(Instant t) { now_ = t; }

 private:
  Instant now_;
};

}  // namespace telemark
