// InlineVector<T, N>: a vector with fixed capacity N stored inline, for the
// decision hot path, where a heap allocation per call would cost more than
// the whole decision (bench/decide_bench.cpp). push_back beyond capacity is
// a bug (asserted) unless the caller checks full() first.
//
// Value type: not synchronized; safe to copy between threads.
#pragma once

#include <algorithm>
#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace telemark::compliance {

// Storage is left uninitialized and copies move only the live elements:
// zeroing the full capacity cost more than a whole decision (the engine's
// scratch arrays hold several kilobytes of capacity).
template <class T, size_t N>
class InlineVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                "InlineVector holds plain values");

 public:
  using value_type = T;
  using iterator = T*;
  using const_iterator = const T*;

  InlineVector() = default;
  InlineVector(const InlineVector& o) : size_(o.size_) { std::copy_n(o.items_.data(), size_, items_.data()); }
  InlineVector& operator=(const InlineVector& o) {
    size_ = o.size_;
    std::copy_n(o.items_.data(), size_, items_.data());
    return *this;
  }

  size_t size() const { return size_; }
  static constexpr size_t capacity() { return N; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }
  void clear() { size_ = 0; }

  void push_back(const T& v) {
    assert(size_ < N);
    items_[size_++] = v;
  }
  // Returns false (and changes nothing) when full.
  bool try_push_back(const T& v) {
    if (size_ == N) return false;
    items_[size_++] = v;
    return true;
  }

  T& operator[](size_t i) { return items_[i]; }
  const T& operator[](size_t i) const { return items_[i]; }
  T* begin() { return items_.data(); }
  T* end() { return items_.data() + size_; }
  const T* begin() const { return items_.data(); }
  const T* end() const { return items_.data() + size_; }

  friend bool operator==(const InlineVector& a, const InlineVector& b) {
    if (a.size_ != b.size_) return false;
    for (size_t i = 0; i < a.size_; ++i)
      if (!(a.items_[i] == b.items_[i])) return false;
    return true;
  }

 private:
  std::array<T, N> items_;
  uint32_t size_ = 0;
};

}  // namespace telemark::compliance
