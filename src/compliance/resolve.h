// From a normalized phone number to the engine's NumberFacts: country, the
// NANP area code's state or province (unknown when the table lacks the
// area code or it spans several, e.g. "NS/PE": every regional rule then
// applies), the number type, and every candidate time zone of the
// number's longest prefix (data/phone-prefix-timezones.txt) as ZoneIds.
//
// NumberResolver caches the zone ids per prefix-table entry, so resolving a
// row costs two table lookups and no string work; use one per thread.
// resolve_number() is the uncached convenience form.
//
// Ownership: a NumberResolver borrows the engine and both tables; they must
// outlive it. Thread-safety: a NumberResolver is not synchronized (one per
// thread); the borrowed objects are safe to share.
#pragma once

#include <string_view>
#include <unordered_map>
#include <vector>

#include "compliance/engine.h"
#include "phone/phone.h"
#include "phone/regions.h"

namespace telemark::compliance {

class NumberResolver {
 public:
  NumberResolver(const Engine& engine, const phone::TimeZoneTable& zones, const phone::NanpRegions& nanp);

  // A zone the tz database does not know makes the number's zones unusable
  // (zones_overflow = true), so hours fail closed instead of skipping it.
  NumberFacts resolve(const phone::NormalizedPhone& phone);
  // Same from stored facts: the E.164 digits, the number's ISO country
  // ("US") and its type, e.g. read back from the leads table.
  NumberFacts resolve(uint64_t e164, std::string_view country, phone::NumberType type);
  // Facts for a number that did not normalize: decided as invalid_number.
  static NumberFacts invalid(uint64_t e164 = 0);

 private:
  struct Zones {
    InlineVector<ZoneId, kMaxCandidateZones> ids;
    bool overflow = false;
  };
  const Zones& zones_for(const std::vector<std::string>& names);

  const Engine& engine_;
  const phone::TimeZoneTable& zones_;
  const phone::NanpRegions& nanp_;
  std::unordered_map<const std::vector<std::string>*, Zones> cache_;
};

NumberFacts resolve_number(const phone::NormalizedPhone& phone, const Engine& engine,
                           const phone::TimeZoneTable& zones, const phone::NanpRegions& nanp);

}  // namespace telemark::compliance
