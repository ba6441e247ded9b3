// PhoneSet: the set of E.164 numbers an import has seen (the list's
// existing numbers plus the file's), for deduplication.
//
// Hand-written open addressing over uint64 instead of CRoaring's
// Roaring64Map: phone numbers arrive in random order over a sparse 10^15
// space, and each new Roaring container is inserted into the middle of a
// sorted container array (a memmove of up to ~1 MB); a profile of a
// 1M-row import spent 17% of its CPU there. This set costs one probe per
// number and 8 bytes per slot (at most 75% full: ~11 bytes per number).
// Not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace telemark::leads {

class PhoneSet {
 public:
  PhoneSet() : slots_(1u << 16, 0), mask_((1u << 16) - 1) {}

  // Adds `phone` (non-zero); false if it was already there.
  bool insert(uint64_t phone) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    return place(phone);
  }
  // Makes room for `n` numbers in one step. Growing by doubling holds the
  // old and the new table at once (1.5x the memory at the switch), so the
  // importer reserves once it can estimate the file's row count.
  void reserve(uint64_t n) {
    uint64_t want = slots_.size();
    while (n * 4 > want * 3) want *= 2;
    if (want > slots_.size()) rehash(want);
  }
  bool contains(uint64_t phone) const {
    for (uint64_t i = hash(phone) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == phone) return true;
      if (slots_[i] == 0) return false;
    }
  }
  uint64_t size() const { return size_; }

 private:
  static uint64_t hash(uint64_t x) {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }
  bool place(uint64_t phone) {
    for (uint64_t i = hash(phone) & mask_;; i = (i + 1) & mask_) {
      if (slots_[i] == phone) return false;
      if (slots_[i] == 0) {
        slots_[i] = phone;
        ++size_;
        return true;
      }
    }
  }
  void grow() { rehash(slots_.size() * 2); }
  void rehash(uint64_t slots) {
    std::vector<uint64_t> old;
    old.swap(slots_);
    slots_.assign(slots, 0);
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (uint64_t p : old)
      if (p) place(p);
  }

  std::vector<uint64_t> slots_;
  uint64_t mask_;
  uint64_t size_ = 0;
};

}  // namespace telemark::leads
