#include "leads/csv_encoding.h"

#include <array>
#include <cstring>

namespace telemark::leads::csv_detail {
namespace {

struct Utf8Bytes {
  uint8_t len;
  char bytes[3];
};
using ByteTable = std::array<Utf8Bytes, 256>;

// Windows-1252 0x80..0x9F. The five bytes the code page leaves undefined
// (0x81, 0x8D, 0x8F, 0x90, 0x9D) map to the same C1 controls as in Latin-1,
// as Windows' own converter does.
constexpr std::array<char32_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

constexpr Utf8Bytes encode(char32_t cp) {
  if (cp < 0x80) return {1, {static_cast<char>(cp), 0, 0}};
  if (cp < 0x800)
    return {2, {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F)), 0}};
  return {3,
          {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
           static_cast<char>(0x80 | (cp & 0x3F))}};
}

constexpr ByteTable make_table(bool cp1252) {
  ByteTable t{};
  for (unsigned b = 0; b < 256; ++b) {
    char32_t cp = b;
    if (cp1252 && b >= 0x80 && b < 0xA0) cp = kCp1252High[b - 0x80];
    t[b] = encode(cp);
  }
  return t;
}

constexpr ByteTable kLatin1 = make_table(false);
constexpr ByteTable kWindows1252 = make_table(true);

constexpr uint64_t kHighBits = 0x8080808080808080ull;

inline uint64_t load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

size_t transcode_to_utf8(Encoding from, const char* in, size_t n, char* out) {
  const ByteTable& table = from == Encoding::kWindows1252 ? kWindows1252 : kLatin1;
  char* o = out;
  size_t i = 0;
  while (i < n) {
    // Most bytes of a lead list are ASCII: copy them eight at a time.
    if (i + 8 <= n && (load8(in + i) & kHighBits) == 0) {
      std::memcpy(o, in + i, 8);
      o += 8;
      i += 8;
      continue;
    }
    const Utf8Bytes& u = table[static_cast<unsigned char>(in[i++])];
    o[0] = u.bytes[0];
    o[1] = u.bytes[1];
    o[2] = u.bytes[2];
    o += u.len;
  }
  return static_cast<size_t>(o - out);
}

size_t find_invalid_utf8(const char* p, size_t n) {
  const auto* s = reinterpret_cast<const unsigned char*>(p);
  size_t i = 0;
  while (i < n) {
    if (i + 16 <= n && ((load8(p + i) | load8(p + i + 8)) & kHighBits) == 0) {
      i += 16;
      continue;
    }
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t left = n - i;
    if (c >= 0xC2 && c <= 0xDF) {
      if (left < 2 || !is_cont(s[i + 1])) return i;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (left < 3 || !is_cont(s[i + 1]) || !is_cont(s[i + 2])) return i;
      if (c == 0xE0 && s[i + 1] < 0xA0) return i;   // overlong
      if (c == 0xED && s[i + 1] >= 0xA0) return i;  // UTF-16 surrogate
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (left < 4 || !is_cont(s[i + 1]) || !is_cont(s[i + 2]) || !is_cont(s[i + 3])) return i;
      if (c == 0xF0 && s[i + 1] < 0x90) return i;   // overlong
      if (c == 0xF4 && s[i + 1] >= 0x90) return i;  // past U+10FFFF
      i += 4;
    } else {
      return i;  // continuation byte without a lead, C0/C1, F5..FF
    }
  }
  return n;
}

}  // namespace telemark::leads::csv_detail
