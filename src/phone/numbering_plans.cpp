#include "phone/numbering_plans.h"

#include <phonenumbers/phonemetadata.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <list>

// libphonenumber.so exports its compiled-in metadata (the bytes its own
// PhoneNumberUtil parses at start-up) but ships no header for it.
namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

namespace telemark::phone::detail {

namespace lpn = i18n::phonenumbers;

struct NumberingPlans::Source {
  lpn::PhoneMetadataCollection collection;
};

NumberingPlans::~NumberingPlans() = default;

namespace {

int region_slot(std::string_view region) {
  if (region.size() != 2) return -1;
  char a = region[0], b = region[1];
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
  return (a - 'A') * 26 + (b - 'A');
}

uint32_t length_mask_of(const lpn::PhoneNumberDesc& d) {
  if (d.possible_length_size() == 0) return CompiledRegion::kNoLengthRule;
  uint32_t mask = 0;
  for (int len : d.possible_length())
    if (len > 0 && len < 32) mask |= 1u << len;
  return mask;  // [-1] ("no numbers of this type") leaves it empty
}

const lpn::PhoneNumberDesc& desc_of(const lpn::PhoneMetadata& m, Desc d) {
  switch (d) {
    case kGeneral: return m.general_desc();
    case kPremiumRate: return m.premium_rate();
    case kTollFree: return m.toll_free();
    case kSharedCost: return m.shared_cost();
    case kVoip: return m.voip();
    case kPersonalNumber: return m.personal_number();
    case kPager: return m.pager();
    case kUan: return m.uan();
    case kVoicemail: return m.voicemail();
    case kFixedLine: return m.fixed_line();
    case kMobile: return m.mobile();
    case kDescCount: break;
  }
  return m.general_desc();
}

}  // namespace

Result<std::unique_ptr<NumberingPlans>> NumberingPlans::load() {
  std::unique_ptr<NumberingPlans> plans(new NumberingPlans());
  plans->source_ = std::make_unique<Source>();
  auto& coll = plans->source_->collection;
  if (!coll.ParseFromArray(lpn::metadata_get(), lpn::metadata_size()))
    return make_error("bad_metadata", "libphonenumber's compiled-in metadata does not parse");
  plans->metadata_count_ = static_cast<size_t>(coll.metadata_size());
  plans->by_region_.fill(-1);
  std::vector<int> nongeo(kMaxCountryCode, -1);
  for (int i = 0; i < coll.metadata_size(); ++i) {
    const auto& m = coll.metadata(i);
    if (m.id() == "001") {
      if (m.country_code() > 0 && m.country_code() < kMaxCountryCode) nongeo[m.country_code()] = i;
      continue;
    }
    int slot = region_slot(m.id());
    if (slot < 0) continue;
    plans->by_region_[slot] = static_cast<int16_t>(i);
    plans->supported_.push_back(m.id());
  }
  std::sort(plans->supported_.begin(), plans->supported_.end());

  // The order of regions sharing a code decides GetRegionCodeForNumber:
  // take it from libphonenumber itself rather than re-deriving it.
  const auto* util = lpn::PhoneNumberUtil::GetInstance();
  plans->cc_regions_.resize(kMaxCountryCode);
  for (int cc = 1; cc < kMaxCountryCode; ++cc) {
    std::list<std::string> regions;
    util->GetRegionCodesForCountryCallingCode(cc, &regions);
    for (const std::string& r : regions) {
      int index = r == "001" ? nongeo[cc] : plans->region_index(r);
      if (index < 0)
        return make_error("bad_metadata", "country code " + std::to_string(cc) + " lists region " +
                                              r + " that has no metadata");
      plans->cc_regions_[cc].push_back(index);
    }
  }
  plans->slots_ = std::make_unique<std::atomic<const CompiledRegion*>[]>(plans->metadata_count_);
  for (size_t i = 0; i < plans->metadata_count_; ++i) plans->slots_[i].store(nullptr);
  return plans;
}

int NumberingPlans::region_index(std::string_view region) const {
  int slot = region_slot(region);
  return slot < 0 ? -1 : by_region_[slot];
}

const CompiledRegion& NumberingPlans::compile_slow(int index) const {
  std::lock_guard<std::mutex> lock(compile_mutex_);
  if (const CompiledRegion* p = slots_[index].load(std::memory_order_acquire)) return *p;

  const auto& m = source_->collection.metadata(index);
  auto r = std::make_unique<CompiledRegion>();
  r->id = m.id();
  r->country_code = m.country_code();
  r->has_leading_digits = m.has_leading_digits();
  r->same_mobile_and_fixed_line = m.same_mobile_and_fixed_line_pattern();
  r->has_national_prefix = !m.national_prefix_for_parsing().empty();
  r->national_prefix_transform = !m.national_prefix_transform_rule().empty();
  for (int len : m.general_desc().possible_length()) r->general_lengths.push_back(len);
  for (int len : m.general_desc().possible_length_local_only())
    if (len > 0 && len < 32) r->general_local_only |= 1u << len;

  std::vector<DigitAutomaton::Pattern> patterns;
  for (int d = 0; d < kDescCount; ++d) {
    const auto& desc = desc_of(m, static_cast<Desc>(d));
    r->length_mask[d] = length_mask_of(desc);
    // An empty pattern never matches (RegexBasedMatcher::MatchNationalNumber).
    r->has_pattern[d] = !desc.national_number_pattern().empty();
    if (r->has_pattern[d]) patterns.push_back({desc.national_number_pattern(), 1u << d});
  }
  if (r->has_leading_digits) patterns.push_back({m.leading_digits(), kLeadingDigitsTag});

  bool ok = true;
  if (auto numbers = DigitAutomaton::compile(patterns); numbers.ok()) {
    r->numbers = std::move(numbers).value();
  } else {
    ok = false;
  }
  // An empty international prefix is a pattern that matches the empty string.
  DigitAutomaton::Pattern idd{m.international_prefix(), 1};
  if (auto a = DigitAutomaton::compile({&idd, 1}); a.ok()) {
    r->idd = std::move(a).value();
  } else {
    ok = false;
  }
  if (r->has_national_prefix) {
    DigitAutomaton::Pattern np{m.national_prefix_for_parsing(), 1};
    if (auto a = DigitAutomaton::compile({&np, 1}); a.ok()) {
      r->national_prefix = std::move(a).value();
    } else {
      ok = false;
    }
  }
  r->usable = ok;
  const CompiledRegion* published = r.get();
  owned_.push_back(std::move(r));
  slots_[index].store(published, std::memory_order_release);
  return *published;
}

LengthVerdict CompiledRegion::test_length(size_t length) const {
  // Same steps, in the same order, as PhoneNumberUtil::TestNumberLength.
  if (general_lengths.empty() || general_lengths[0] == -1) return LengthVerdict::kInvalidLength;
  if (length < 32 && (general_local_only >> length) & 1u) return LengthVerdict::kPossibleLocalOnly;
  size_t min = static_cast<size_t>(general_lengths[0]);
  if (min == length) return LengthVerdict::kPossible;
  if (min > length) return LengthVerdict::kTooShort;
  if (static_cast<size_t>(general_lengths.back()) < length) return LengthVerdict::kTooLong;
  for (size_t i = 1; i < general_lengths.size(); ++i)
    if (static_cast<size_t>(general_lengths[i]) == length) return LengthVerdict::kPossible;
  return LengthVerdict::kInvalidLength;
}

NumberType CompiledRegion::type_of(size_t length, DigitAutomaton::Walk walk) const {
  auto matching = [&](Desc d) {
    if (!has_pattern[d]) return false;
    uint32_t mask = length_mask[d];
    if (mask != kNoLengthRule && (length >= 32 || ((mask >> length) & 1u) == 0)) return false;
    return (walk.full & (1u << d)) != 0;
  };
  if (!matching(kGeneral)) return NumberType::kUnknown;
  if (matching(kPremiumRate)) return NumberType::kPremiumRate;
  if (matching(kTollFree)) return NumberType::kTollFree;
  if (matching(kSharedCost)) return NumberType::kSharedCost;
  if (matching(kVoip)) return NumberType::kVoip;
  if (matching(kPersonalNumber)) return NumberType::kPersonalNumber;
  if (matching(kPager)) return NumberType::kPager;
  if (matching(kUan)) return NumberType::kUan;
  if (matching(kVoicemail)) return NumberType::kVoicemail;
  if (matching(kFixedLine)) {
    if (same_mobile_and_fixed_line) return NumberType::kFixedLineOrMobile;
    if (matching(kMobile)) return NumberType::kFixedLineOrMobile;
    return NumberType::kFixedLine;
  }
  if (!same_mobile_and_fixed_line && matching(kMobile)) return NumberType::kMobile;
  return NumberType::kUnknown;
}

}  // namespace telemark::phone::detail
