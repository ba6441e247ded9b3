#include "phone/fast_path.h"

#include <bit>
#include <charconv>
#include <cstring>

namespace telemark::phone::detail {
namespace {

constexpr size_t kMinLengthForNsn = 2;   // PhoneNumberUtil::kMinLengthForNsn
constexpr size_t kMaxLengthForNsn = 17;  // PhoneNumberUtil::kMaxLengthForNsn
constexpr int kMaxLengthCountryCode = 3;

// A digit string that is cut from the front as prefixes are consumed.
struct Digits {
  const char* p = nullptr;
  size_t n = 0;
  std::string_view view() const { return {p, n}; }
  Digits drop(size_t k) const { return {p + k, n - k}; }
};

enum class Step : uint8_t { kUnchanged, kChanged, kUnsure };

// PhoneNumberUtil::MaybeStripNationalPrefixAndCarrierCode.
Step strip_national_prefix(const CompiledRegion& r, Digits* number) {
  if (number->n == 0 || !r.has_national_prefix) return Step::kUnchanged;
  uint32_t ends = r.national_prefix.prefix_ends(number->view(), 1);
  if (ends == 0) return Step::kUnchanged;
  // Only the empty match: every capture is empty, so even with a transform
  // rule libphonenumber strips nothing (AR's optional prefix on most numbers).
  if (ends == 1u) return Step::kUnchanged;
  // A transform rule rewrites captured digits, and with two candidate match
  // ends only the backtracking order decides: leave both to libphonenumber.
  if (r.national_prefix_transform || std::popcount(ends) != 1) return Step::kUnsure;
  Digits rest = number->drop(static_cast<size_t>(std::countr_zero(ends)));
  if (r.matches_general(number->view()) && !r.matches_general(rest.view())) return Step::kUnchanged;
  *number = rest;
  return Step::kChanged;
}

FastAnswer rejected(PhoneReject why) {
  FastAnswer a;
  a.kind = FastAnswer::Kind::kRejected;
  a.reject = why;
  return a;
}

int leading_number(Digits d, size_t k) {
  int v = 0;
  for (size_t i = 0; i < k && i < d.n; ++i) v = v * 10 + (d.p[i] - '0');
  return v;
}

bool starts_with_number(Digits d, int value, size_t* length) {
  char buf[12];
  char* end = std::to_chars(buf, buf + sizeof(buf), value).ptr;
  *length = static_cast<size_t>(end - buf);
  return d.n >= *length && std::memcmp(d.p, buf, *length) == 0;
}

}  // namespace

FastAnswer fast_normalize(const NumberingPlans& plans, const Lexed& in, int default_region) {
  const FastAnswer unsure{};
  const CompiledRegion* region0 = nullptr;
  if (default_region >= 0) {
    region0 = &plans.compiled(default_region);
    if (!region0->usable) return unsure;
  }
  // CheckRegionForParsing.
  if (region0 == nullptr && !in.plus) return rejected(PhoneReject::kUnknownCountry);

  // MaybeExtractCountryCode.
  Digits number{in.digits, in.digit_count};
  int cc = 0;
  bool international = in.plus;
  if (!international) {
    // ParsePrefixAsIdd: the IDD counts only if the next digit is not a 0.
    uint32_t ends = region0->idd.prefix_ends(number.view(), 1);
    if (ends != 0) {
      if (std::popcount(ends) != 1) return unsure;
      size_t k = static_cast<size_t>(std::countr_zero(ends));
      if (k >= number.n || number.p[k] != '0') {
        number = number.drop(k);
        international = true;
      }
    }
  }
  if (international) {
    if (number.n <= kMinLengthForNsn) return rejected(PhoneReject::kTooShort);  // TOO_SHORT_AFTER_IDD
    if (number.p[0] != '0') {  // ExtractCountryCode
      for (int k = 1; k <= kMaxLengthCountryCode; ++k) {
        int candidate = leading_number(number, static_cast<size_t>(k));
        if (plans.valid_country_code(candidate)) {
          cc = candidate;
          number = number.drop(static_cast<size_t>(k));
          break;
        }
      }
    }
    if (cc == 0) {
      // After a '+', ParseHelper retries without it; that rare path stays
      // with libphonenumber.
      if (in.plus) return unsure;
      return rejected(PhoneReject::kUnknownCountry);
    }
  } else {
    // The default region's own country code written without '+' or IDD.
    size_t cc_len = 0;
    if (starts_with_number(number, region0->country_code, &cc_len)) {
      Digits potential = number.drop(cc_len);
      if (strip_national_prefix(*region0, &potential) == Step::kUnsure) return unsure;
      if ((!region0->matches_general(number.view()) && region0->matches_general(potential.view())) ||
          region0->test_length(number.n) == LengthVerdict::kTooLong) {
        number = potential;
        cc = region0->country_code;
      }
    }
  }

  // ParseHelper, after the country code.
  const CompiledRegion* region = region0;
  if (cc != 0) {
    region = &plans.compiled(plans.regions_for_country_code(cc)[0]);
    if (!region->usable) return unsure;
  } else {
    cc = region0->country_code;
  }
  if (number.n < kMinLengthForNsn) return rejected(PhoneReject::kTooShort);
  {
    Digits potential = number;
    if (strip_national_prefix(*region, &potential) == Step::kUnsure) return unsure;
    LengthVerdict v = region->test_length(potential.n);
    if (v != LengthVerdict::kTooShort && v != LengthVerdict::kPossibleLocalOnly &&
        v != LengthVerdict::kInvalidLength)
      number = potential;
  }
  if (number.n < kMinLengthForNsn) return rejected(PhoneReject::kTooShort);
  if (number.n > kMaxLengthForNsn) return rejected(PhoneReject::kTooLong);

  // IsValidNumber = GetRegionCodeForNumber, then GetNumberTypeHelper != UNKNOWN.
  auto candidates = plans.regions_for_country_code(cc);
  const CompiledRegion* owner = nullptr;
  NumberType type = NumberType::kUnknown;
  if (candidates.size() == 1) {
    owner = &plans.compiled(candidates[0]);
    if (!owner->usable) return unsure;
    type = owner->type_of(number.n, owner->numbers.walk(number.view()));
  } else {
    for (int index : candidates) {
      const CompiledRegion& r = plans.compiled(index);
      if (!r.usable) return unsure;
      DigitAutomaton::Walk w = r.numbers.walk(number.view());
      if (r.has_leading_digits) {
        if (w.prefix & kLeadingDigitsTag) {
          owner = &r;
          type = r.type_of(number.n, w);
          break;
        }
      } else {
        NumberType t = r.type_of(number.n, w);
        if (t != NumberType::kUnknown) {
          owner = &r;
          type = t;
          break;
        }
      }
    }
  }
  if (owner == nullptr || type == NumberType::kUnknown) {
    // IsPossibleNumberWithReason, with the main region's lengths.
    const CompiledRegion& main = plans.compiled(candidates[0]);
    if (!main.usable) return unsure;
    switch (main.test_length(number.n)) {
      case LengthVerdict::kTooShort: return rejected(PhoneReject::kTooShort);
      case LengthVerdict::kTooLong: return rejected(PhoneReject::kTooLong);
      default: return rejected(PhoneReject::kInvalid);
    }
  }
  FastAnswer a;
  a.kind = FastAnswer::Kind::kValid;
  a.country_code = cc;
  a.region = owner;
  a.type = type;
  a.nsn_length = static_cast<uint8_t>(number.n);
  std::memcpy(a.nsn, number.p, number.n);
  return a;
}

}  // namespace telemark::phone::detail
