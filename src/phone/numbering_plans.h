// NumberingPlans: libphonenumber's own metadata (the serialized
// PhoneMetadataCollection compiled into libphonenumber.so), indexed the way
// PhoneNumberUtil indexes it, with each region's patterns compiled into
// DigitAutomaton form on first use.
//
// Internal to src/phone/. The fast path of PhoneNormalizer replays
// libphonenumber's parsing and validation steps against these compiled
// plans; reading the very bytes libphonenumber reads keeps both in step
// whatever metadata version Debian ships.
//
// Thread-safety: immutable after load() except for the lazily compiled
// regions, which are published once under a mutex and read lock-free
// afterwards; every method may be called from many threads at once.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "phone/digit_automaton.h"
#include "phone/phone.h"

namespace telemark::phone::detail {

// Order of the tests in libphonenumber's GetNumberTypeHelper.
enum Desc : uint8_t {
  kGeneral = 0,
  kPremiumRate,
  kTollFree,
  kSharedCost,
  kVoip,
  kPersonalNumber,
  kPager,
  kUan,
  kVoicemail,
  kFixedLine,
  kMobile,
  kDescCount,
};
constexpr uint32_t kLeadingDigitsTag = 1u << kDescCount;  // prefix semantics

// Mirrors PhoneNumberUtil::ValidationResult.
enum class LengthVerdict : uint8_t {
  kPossible,
  kPossibleLocalOnly,
  kInvalidCountryCode,
  kTooShort,
  kInvalidLength,
  kTooLong,
};

struct CompiledRegion {
  bool usable = false;  // false: some pattern is outside the compiler's subset
  std::string id;       // "US", "001" for non-geographic entities
  int country_code = 0;

  DigitAutomaton numbers;  // tag (1 << Desc) per description, plus kLeadingDigitsTag
  DigitAutomaton idd;      // tag 1: international_prefix
  DigitAutomaton national_prefix;  // tag 1: national_prefix_for_parsing
  bool has_national_prefix = false;
  bool national_prefix_transform = false;
  bool has_leading_digits = false;
  bool same_mobile_and_fixed_line = false;

  // Per description: bit L set when length L is possible. kNoLengthRule
  // when the description lists none (then only its pattern decides).
  static constexpr uint32_t kNoLengthRule = ~0u;
  std::array<uint32_t, kDescCount> length_mask{};
  std::array<bool, kDescCount> has_pattern{};

  std::vector<int> general_lengths;  // as listed, for TestNumberLength
  uint32_t general_local_only = 0;   // bit L: local-only length

  // libphonenumber's TestNumberLength(number, metadata, UNKNOWN).
  LengthVerdict test_length(size_t length) const;
  // libphonenumber's GetNumberTypeHelper, given the walk of the number.
  NumberType type_of(size_t length, DigitAutomaton::Walk walk) const;
  bool matches_general(std::string_view digits) const {
    return has_pattern[kGeneral] && (numbers.walk(digits).full & (1u << kGeneral)) != 0;
  }
};

class NumberingPlans {
 public:
  // Reads libphonenumber's compiled-in metadata and its country-code table.
  static Result<std::unique_ptr<NumberingPlans>> load();
  ~NumberingPlans();

  // Metadata index of a region ("US"; upper case, two letters), or -1.
  int region_index(std::string_view region) const;
  // Metadata indices of the regions sharing `cc`, main region first, in
  // libphonenumber's order; empty when `cc` is not a country calling code.
  std::span<const int> regions_for_country_code(int cc) const {
    if (cc <= 0 || cc >= kMaxCountryCode) return {};
    return cc_regions_[cc];
  }
  bool valid_country_code(int cc) const { return !regions_for_country_code(cc).empty(); }

  // Compiled on first use; check usable before relying on it.
  const CompiledRegion& compiled(int index) const {
    const CompiledRegion* p = slots_[index].load(std::memory_order_acquire);
    return p ? *p : compile_slow(index);
  }

  size_t region_count() const { return metadata_count_; }
  // Every two-letter region libphonenumber knows, sorted.
  const std::vector<std::string>& supported_regions() const { return supported_; }

 private:
  static constexpr int kMaxCountryCode = 1000;
  NumberingPlans() = default;
  const CompiledRegion& compile_slow(int index) const;

  struct Source;  // the parsed protobuf collection
  std::unique_ptr<Source> source_;
  size_t metadata_count_ = 0;
  std::array<int16_t, 26 * 26> by_region_{};
  std::vector<std::vector<int>> cc_regions_;
  std::vector<std::string> supported_;

  mutable std::mutex compile_mutex_;
  std::unique_ptr<std::atomic<const CompiledRegion*>[]> slots_;  // published once each
  mutable std::vector<std::unique_ptr<CompiledRegion>> owned_;
};

}  // namespace telemark::phone::detail
