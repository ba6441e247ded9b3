// Phone numbers: normalization of what people type into E.164, the number's
// type, and the callee's possible time zones.
//
// PhoneNormalizer turns a raw string ("(212) 555-0123", "0039 02 1234 5678",
// "'+44 20 7946 0018 ext. 45") plus a default region into a NormalizedPhone,
// or a PhoneRejection with a stable reason code. libphonenumber is the
// authority; a compiled fast path handles already-clean numbers of the
// common countries with the same answers (tested against libphonenumber on
// millions of numbers).
//
// TimeZoneTable maps an E.164 number to every IANA zone its longest matching
// prefix may be in (data/phone-prefix-timezones.txt). A caller that must
// respect local hours has to satisfy all of them.
//
// Thread-safety: a constructed PhoneNormalizer and TimeZoneTable are
// immutable; normalize()/lookup() may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace telemark::phone {

enum class NumberType : uint8_t {
  kUnknown = 0,
  kFixedLine,
  kMobile,
  kFixedLineOrMobile,
  kTollFree,
  kPremiumRate,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
};
// "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free", ... ("unknown")
std::string_view to_string(NumberType t);
NumberType number_type_from_string(std::string_view s);

// Stable reason codes for rejected numbers (used in reject files and summaries).
enum class PhoneReject : uint8_t {
  kEmpty,               // "phone_empty"
  kLetters,             // "phone_letters": letters where digits belong (vanity numbers included)
  kSpreadsheetMangled,  // "phone_mangled": scientific notation such as 2.12555E+09
  kTooShort,            // "phone_too_short"
  kTooLong,             // "phone_too_long"
  kInvalid,             // "phone_invalid": not a valid number for its country
  kUnknownCountry,      // "phone_no_country": no country code and no usable default region
};
std::string_view to_string(PhoneReject r);

struct NormalizedPhone {
  uint64_t e164 = 0;           // digits of the E.164 form without '+', e.g. 12125550123
  uint16_t country_code = 0;   // 1, 39, 44, ...
  std::string region;          // ISO 3166 alpha-2 of the number ("US", "CA", "IT", "GB")
  NumberType type = NumberType::kUnknown;
  std::string extension;       // digits only, "" when none

  std::string e164_string() const {
    // Not "+" + to_string(): GCC 12 -O3 reports a false -Wrestrict on it.
    std::string s = std::to_string(e164);
    s.insert(s.begin(), '+');
    return s;
  }
};

class TimeZoneTable {
 public:
  // Parses the prefix table ("PREFIX|Zone&Zone" lines, '#' comments).
  static Result<std::shared_ptr<const TimeZoneTable>> load(const std::string& path);
  static Result<std::shared_ptr<const TimeZoneTable>> parse(std::string_view text,
                                                            const std::string& source_name);
  // Zones of the longest prefix of `e164` (digits, no '+'); empty if none.
  const std::vector<std::string>& lookup(uint64_t e164) const;
  // Same, '&'-joined as in the table ("America/New_York&America/Chicago").
  std::string lookup_joined(uint64_t e164) const;

  ~TimeZoneTable();
  struct Impl;
 private:
  explicit TimeZoneTable(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class PhoneNormalizer {
 public:
  PhoneNormalizer();
  ~PhoneNormalizer();
  PhoneNormalizer(const PhoneNormalizer&) = delete;
  PhoneNormalizer& operator=(const PhoneNormalizer&) = delete;

  // `default_region`: ISO alpha-2 ("US", "GB", "IT"; case-insensitive) used
  // when the raw number has no country code; may be empty.
  // On failure returns the reason; never throws.
  struct Outcome {
    bool ok = false;
    NormalizedPhone phone;   // valid when ok
    PhoneReject reject{};    // valid when !ok
  };
  Outcome normalize(std::string_view raw, std::string_view default_region) const;

  // The libphonenumber-only path (no fast path), for tests and benchmarks
  // that compare both.
  Outcome normalize_slow(std::string_view raw, std::string_view default_region) const;

  // The fast path alone: false when normalize() would ask libphonenumber
  // (for coverage figures in tests and benchmarks); *out is set when true.
  bool try_fast(std::string_view raw, std::string_view default_region, Outcome* out) const;

 private:
  bool try_fast_once(std::string_view raw, std::string_view default_region, Outcome* out) const;

 public:

  // Is `region` a region libphonenumber knows ("US", "IT", ...)?
  bool known_region(std::string_view region) const;

  struct Impl;
 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace telemark::phone
