// Private to the CSV reader: finds the bytes that matter to the parser
// (the delimiter, '"', CR, LF, NUL) 64 at a time.
//
// Hand-written because the import of millions of rows needs the reader well
// above 300 MB/s: a byte-at-a-time state machine branches on every byte,
// while a 64-bit mask of "special" positions lets the parser jump from one
// delimiter to the next (the simdcsv / simdjson idea, SSE2 only, which every
// x86-64 has; other targets use a table loop). On bench_csv's 210 MB lead
// file (quiet machine): 764 MB/s with SSE2, 333 MB/s with the table loop
// (build with -DTELEMARK_CSV_SCALAR to compare).
//
// The scanner may read up to 63 bytes past `end`: the buffer must be padded
// with kScanPadding readable bytes. Bits past `end` are masked off.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__) && !defined(TELEMARK_CSV_SCALAR)
#include <emmintrin.h>
#define TELEMARK_CSV_SSE2 1
#endif

namespace telemark::leads::csv_detail {

inline constexpr size_t kScanPadding = 64;

class SpecialByteScanner {
 public:
  SpecialByteScanner(const char* end, char delimiter) : end_(end) {
#ifdef TELEMARK_CSV_SSE2
    delim_ = _mm_set1_epi8(delimiter);
    quote_ = _mm_set1_epi8('"');
    cr_ = _mm_set1_epi8('\r');
    lf_ = _mm_set1_epi8('\n');
#else
    for (auto& b : special_) b = false;
    for (unsigned char c : {static_cast<unsigned char>(delimiter), static_cast<unsigned char>('"'),
                            static_cast<unsigned char>('\r'), static_cast<unsigned char>('\n'),
                            static_cast<unsigned char>(0)})
      special_[c] = true;
#endif
  }

  // The first special byte at or after `p`, or `end` if there is none.
  // Calls must not go backwards past the start of the current window.
  const char* find(const char* p) {
    if (p >= end_) return end_;
    if (base_ == nullptr || static_cast<size_t>(p - base_) >= 64) {
      base_ = p;
      mask_ = compute(p);
    } else {
      mask_ &= ~uint64_t{0} << (p - base_);
    }
    while (mask_ == 0) {
      base_ += 64;
      if (base_ >= end_) return end_;
      mask_ = compute(base_);
    }
    return base_ + __builtin_ctzll(mask_);
  }

 private:
  uint64_t compute(const char* p) const {
    uint64_t m = 0;
#ifdef TELEMARK_CSV_SSE2
    const __m128i zero = _mm_setzero_si128();
    for (int k = 0; k < 4; ++k) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * k));
      __m128i hit =
          _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, delim_), _mm_cmpeq_epi8(v, quote_)),
                       _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr_), _mm_cmpeq_epi8(v, lf_)),
                                    _mm_cmpeq_epi8(v, zero)));
      m |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(hit))) << (16 * k);
    }
#else
    for (int k = 0; k < 64; ++k)
      m |= static_cast<uint64_t>(special_[static_cast<unsigned char>(p[k])]) << k;
#endif
    size_t avail = static_cast<size_t>(end_ - p);
    if (avail < 64) m &= (uint64_t{1} << avail) - 1;
    return m;
  }

  const char* end_;
  const char* base_ = nullptr;
  uint64_t mask_ = 0;
#ifdef TELEMARK_CSV_SSE2
  __m128i delim_, quote_, cr_, lf_;
#else
  bool special_[256];
#endif
};

}  // namespace telemark::leads::csv_detail
