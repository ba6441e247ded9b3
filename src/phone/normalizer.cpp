#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <set>

#include "phone/fast_path.h"
#include "phone/numbering_plans.h"
#include "phone/phone.h"
#include "phone/raw_input.h"

namespace telemark::phone {

namespace lpn = i18n::phonenumbers;

namespace {

constexpr std::array<std::string_view, 12> kTypeNames = {
    "unknown", "fixed_line", "mobile", "fixed_line_or_mobile", "toll_free", "premium_rate",
    "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail"};

NumberType from_libphonenumber(lpn::PhoneNumberUtil::PhoneNumberType t) {
  using T = lpn::PhoneNumberUtil;
  switch (t) {
    case T::FIXED_LINE: return NumberType::kFixedLine;
    case T::MOBILE: return NumberType::kMobile;
    case T::FIXED_LINE_OR_MOBILE: return NumberType::kFixedLineOrMobile;
    case T::TOLL_FREE: return NumberType::kTollFree;
    case T::PREMIUM_RATE: return NumberType::kPremiumRate;
    case T::SHARED_COST: return NumberType::kSharedCost;
    case T::VOIP: return NumberType::kVoip;
    case T::PERSONAL_NUMBER: return NumberType::kPersonalNumber;
    case T::PAGER: return NumberType::kPager;
    case T::UAN: return NumberType::kUan;
    case T::VOICEMAIL: return NumberType::kVoicemail;
    case T::UNKNOWN: return NumberType::kUnknown;
  }
  return NumberType::kUnknown;
}

PhoneNormalizer::Outcome reject(PhoneReject why) {
  PhoneNormalizer::Outcome o;
  o.reject = why;
  return o;
}

// Both paths end here, so the E.164 arithmetic cannot differ between them.
PhoneNormalizer::Outcome accept(int cc, std::string_view nsn, std::string_view region,
                                NumberType type, std::string_view extension) {
  uint64_t value = static_cast<uint64_t>(cc);
  for (char c : nsn) {
    if (value > (std::numeric_limits<uint64_t>::max() - 9) / 10) return reject(PhoneReject::kTooLong);
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  PhoneNormalizer::Outcome o;
  o.ok = true;
  o.phone.e164 = value;
  o.phone.country_code = static_cast<uint16_t>(cc);
  o.phone.region.assign(region);
  o.phone.type = type;
  o.phone.extension.assign(extension);
  return o;
}

// Upper-cases an ASCII region code; other bytes pass through (and make the
// region unknown to both paths alike).
std::string upper_region(std::string_view region) {
  std::string r(region);
  for (char& c : r)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return r;
}

}  // namespace

std::string_view to_string(NumberType t) {
  auto i = static_cast<size_t>(t);
  return i < kTypeNames.size() ? kTypeNames[i] : kTypeNames[0];
}

NumberType number_type_from_string(std::string_view s) {
  for (size_t i = 0; i < kTypeNames.size(); ++i)
    if (kTypeNames[i] == s) return static_cast<NumberType>(i);
  return NumberType::kUnknown;
}

std::string_view to_string(PhoneReject r) {
  switch (r) {
    case PhoneReject::kEmpty: return "phone_empty";
    case PhoneReject::kLetters: return "phone_letters";
    case PhoneReject::kSpreadsheetMangled: return "phone_mangled";
    case PhoneReject::kTooShort: return "phone_too_short";
    case PhoneReject::kTooLong: return "phone_too_long";
    case PhoneReject::kInvalid: return "phone_invalid";
    case PhoneReject::kUnknownCountry: return "phone_no_country";
  }
  return "phone_invalid";
}

struct PhoneNormalizer::Impl {
  const lpn::PhoneNumberUtil* util = nullptr;
  // Null when libphonenumber's metadata could not be read: then every
  // number takes the slow path, which is slower but gives the same answers.
  std::unique_ptr<detail::NumberingPlans> plans;

  Outcome slow(std::string_view text, const std::string& region) const;
};

PhoneNormalizer::PhoneNormalizer() : impl_(std::make_unique<Impl>()) {
  impl_->util = lpn::PhoneNumberUtil::GetInstance();
  auto plans = detail::NumberingPlans::load();
  if (plans.ok()) impl_->plans = std::move(plans).value();
}

PhoneNormalizer::~PhoneNormalizer() = default;

bool PhoneNormalizer::known_region(std::string_view region) const {
  std::string r = upper_region(region);
  if (impl_->plans) return impl_->plans->region_index(r) >= 0;
  std::set<std::string> regions;
  impl_->util->GetSupportedRegions(&regions);
  return regions.count(r) > 0;
}

PhoneNormalizer::Outcome PhoneNormalizer::Impl::slow(std::string_view text,
                                                     const std::string& region) const {
  using U = lpn::PhoneNumberUtil;
  lpn::PhoneNumber number;
  switch (util->Parse(std::string(text), region, &number)) {
    case U::NO_PARSING_ERROR: break;
    case U::INVALID_COUNTRY_CODE_ERROR: return reject(PhoneReject::kUnknownCountry);
    case U::TOO_SHORT_AFTER_IDD:
    case U::TOO_SHORT_NSN: return reject(PhoneReject::kTooShort);
    case U::TOO_LONG_NSN: return reject(PhoneReject::kTooLong);
    case U::NOT_A_NUMBER: {
      size_t digits = 0;
      for (char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
      return reject(digits < 3 ? PhoneReject::kTooShort : PhoneReject::kInvalid);
    }
  }
  if (!util->IsValidNumber(number)) {
    switch (util->IsPossibleNumberWithReason(number)) {
      case U::TOO_SHORT: return reject(PhoneReject::kTooShort);
      case U::TOO_LONG: return reject(PhoneReject::kTooLong);
      case U::INVALID_COUNTRY_CODE: return reject(PhoneReject::kUnknownCountry);
      default: return reject(PhoneReject::kInvalid);
    }
  }
  std::string nsn, owner, extension = number.extension();
  util->GetNationalSignificantNumber(number, &nsn);
  util->GetRegionCodeForNumber(number, &owner);
  util->NormalizeDigitsOnly(&extension);
  return accept(number.country_code(), nsn, owner, from_libphonenumber(util->GetNumberType(number)),
                extension);
}

namespace {

// "0039 02 1234 5678" is how most of the world writes an international
// number. Where the default region's international prefix is not 00 (the
// NANP dials 011), libphonenumber reads it as a national number and rejects
// it; lists exported from European systems are full of them. So a number
// that failed and starts with 00 (not 000) is tried once more as "+...".
// Both paths apply this rule, so they still agree.
std::optional<std::string> as_plus_international(std::string_view raw) {
  size_t i = 0;
  while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\'' || raw[i] == '\t')) ++i;
  if (raw.substr(i, 2) != "00" || (i + 2 < raw.size() && raw[i + 2] == '0')) return std::nullopt;
  std::string plus = "+";
  plus.append(raw.substr(i + 2));
  return plus;
}

bool worth_retrying(const PhoneNormalizer::Outcome& out) {
  return !out.ok && out.reject != PhoneReject::kEmpty && out.reject != PhoneReject::kLetters &&
         out.reject != PhoneReject::kSpreadsheetMangled;
}

}  // namespace

PhoneNormalizer::Outcome PhoneNormalizer::normalize_slow(std::string_view raw,
                                                         std::string_view default_region) const {
  detail::Screened s = detail::screen(raw);
  if (s.reject) return reject(*s.reject);
  Outcome out = impl_->slow(s.text, upper_region(default_region));
  if (worth_retrying(out)) {
    if (auto alt = as_plus_international(raw)) {
      Outcome again = normalize_slow(*alt, default_region);
      if (again.ok) return again;
    }
  }
  return out;
}

bool PhoneNormalizer::try_fast(std::string_view raw, std::string_view default_region,
                               Outcome* out) const {
  if (!try_fast_once(raw, default_region, out)) return false;
  if (worth_retrying(*out)) {
    if (auto alt = as_plus_international(raw)) {
      Outcome again;
      if (!try_fast_once(*alt, default_region, &again)) return false;  // unsure: ask libphonenumber
      if (again.ok) *out = again;
    }
  }
  return true;
}

bool PhoneNormalizer::try_fast_once(std::string_view raw, std::string_view default_region,
                                    Outcome* out) const {
  detail::Screened s = detail::screen(raw);
  if (s.reject) {
    *out = reject(*s.reject);
    return true;
  }
  if (!impl_->plans) return false;
  int region = -1;
  if (default_region.size() == 2) {
    char upper[2];
    for (int i = 0; i < 2; ++i) {
      char c = default_region[i];
      upper[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
    }
    region = impl_->plans->region_index({upper, 2});
  }
  detail::Lexed lexed;
  if (!detail::lex_common(s.text, &lexed)) return false;
  detail::FastAnswer a = detail::fast_normalize(*impl_->plans, lexed, region);
  switch (a.kind) {
    case detail::FastAnswer::Kind::kValid:
      *out = accept(a.country_code, a.nsn_view(), a.region->id, a.type, lexed.extension_view());
      return true;
    case detail::FastAnswer::Kind::kRejected:
      *out = reject(a.reject);
      return true;
    case detail::FastAnswer::Kind::kUnsure:
      break;
  }
  return false;
}

PhoneNormalizer::Outcome PhoneNormalizer::normalize(std::string_view raw,
                                                    std::string_view default_region) const {
  Outcome out;
  if (try_fast(raw, default_region, &out)) return out;
  // Screening again is cheap next to libphonenumber.
  return normalize_slow(raw, default_region);
}

}  // namespace telemark::phone
