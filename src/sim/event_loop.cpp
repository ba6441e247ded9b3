#include "sim/event_loop.h"

#include <algorithm>
#include <utility>

namespace telemark::sim {

using telephony::TimerId;

// A TimerId packs the slot (low 32 bits, +1 so that 0 stays "no timer") and
// the slot's generation (high 32 bits): a cancelled or finished timer's id
// never matches a reused slot.
namespace {
uint32_t slot_of(TimerId id) { return static_cast<uint32_t>(id & 0xffffffffu) - 1; }
uint32_t generation_of(TimerId id) { return static_cast<uint32_t>(id >> 32); }
}  // namespace

EventLoop::EventLoop(VirtualClock& clock) : clock_(clock) {
  heap_.reserve(4096);
  slots_.reserve(4096);
}

TimerId EventLoop::schedule_at(Instant at, std::function<void()> fn) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  ++s.generation;
  s.fn = std::move(fn);
  s.armed = true;
  TimerId id = (static_cast<uint64_t>(s.generation) << 32) | (static_cast<uint64_t>(slot) + 1);
  if (at < clock_.now()) at = clock_.now();
  heap_.push_back(Entry{at, seq_++, id});
  std::push_heap(heap_.begin(), heap_.end(), later);
  ++live_;
  return id;
}

void EventLoop::cancel(TimerId id) {
  if (id == telephony::kNoTimer) return;
  uint32_t slot = slot_of(id);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.armed || s.generation != generation_of(id)) return;
  s.armed = false;
  s.fn = nullptr;
  free_slots_.push_back(slot);
  --live_;
}

bool EventLoop::pop_live(Entry& out) {
  while (!heap_.empty()) {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry e = heap_.back();
    heap_.pop_back();
    const Slot& s = slots_[slot_of(e.id)];
    if (s.armed && s.generation == generation_of(e.id)) {
      out = e;
      return true;
    }
  }
  return false;
}

bool EventLoop::run_one() {
  Entry e;
  if (!pop_live(e)) return false;
  uint32_t slot = slot_of(e.id);
  std::function<void()> fn = std::move(slots_[slot].fn);
  slots_[slot].armed = false;
  slots_[slot].fn = nullptr;
  free_slots_.push_back(slot);
  --live_;
  if (e.at > clock_.now()) clock_.set(e.at);
  ++executed_;
  fn();
  return true;
}

void EventLoop::run_until(Instant until) {
  while (!heap_.empty()) {
    // Peek past cancelled entries without running anything late.
    const Entry& top = heap_.front();
    const Slot& s = slots_[slot_of(top.id)];
    if (!s.armed || s.generation != generation_of(top.id)) {
      std::pop_heap(heap_.begin(), heap_.end(), later);
      heap_.pop_back();
      continue;
    }
    if (top.at > until) break;
    run_one();
  }
  if (clock_.now() < until) clock_.set(until);
}

}  // namespace telemark::sim
