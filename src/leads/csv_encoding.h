// Private to the CSV reader: single-byte encodings to UTF-8, and UTF-8
// validation. Pure functions over immutable tables; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "leads/csv.h"

namespace telemark::leads::csv_detail {

// Worst-case growth of transcode(): Windows-1252's 0x80 (U+20AC) takes 3 bytes.
inline constexpr size_t kMaxUtf8BytesPerInputByte = 3;

// Transcodes `n` bytes of Latin-1 or Windows-1252 into `out`, which must
// hold n * kMaxUtf8BytesPerInputByte bytes. Returns the bytes written.
size_t transcode_to_utf8(Encoding from, const char* in, size_t n, char* out);

// Offset of the first byte that does not start (or continue) a valid UTF-8
// sequence (overlong forms, surrogates and code points past U+10FFFF are
// invalid), or `n` when all of [p, p + n) is valid.
size_t find_invalid_utf8(const char* p, size_t n);

}  // namespace telemark::leads::csv_detail
