// The fast path of PhoneNormalizer: libphonenumber's Parse, IsValidNumber,
// GetRegionCodeForNumber, GetNumberType and IsPossibleNumberWithReason
// replayed step by step on a lexed number, with the metadata patterns
// evaluated by compiled automata instead of ICU regular expressions.
//
// Internal to src/phone/. Every step mirrors the libphonenumber 8.12 code
// it names; where the outcome would depend on something the automata cannot
// decide exactly (a prefix pattern with two candidate matches, a national
// prefix transform rule, a '+' not followed by a country code, a region
// whose patterns are outside the compiler's subset) the answer is kUnsure
// and the caller asks libphonenumber.
//
// Thread-safety: pure given an immutable NumberingPlans.
#pragma once

#include <cstdint>
#include <string_view>

#include "phone/numbering_plans.h"
#include "phone/raw_input.h"

namespace telemark::phone::detail {

struct FastAnswer {
  enum class Kind : uint8_t { kUnsure, kValid, kRejected };
  Kind kind = Kind::kUnsure;
  PhoneReject reject{};
  int country_code = 0;
  const CompiledRegion* region = nullptr;
  NumberType type = NumberType::kUnknown;
  uint8_t nsn_length = 0;
  char nsn[Lexed::kMaxDigits];
  std::string_view nsn_view() const { return {nsn, nsn_length}; }
};

// `default_region`: metadata index of the default region, or -1.
FastAnswer fast_normalize(const NumberingPlans& plans, const Lexed& in, int default_region);

}  // namespace telemark::phone::detail
