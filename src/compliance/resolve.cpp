#include "compliance/resolve.h"

namespace telemark::compliance {

NumberResolver::NumberResolver(const Engine& engine, const phone::TimeZoneTable& zones,
                               const phone::NanpRegions& nanp)
    : engine_(engine), zones_(zones), nanp_(nanp) {}

const NumberResolver::Zones& NumberResolver::zones_for(const std::vector<std::string>& names) {
  // TimeZoneTable::lookup returns references into the immutable table, so
  // the vector's address identifies the prefix entry.
  auto it = cache_.find(&names);
  if (it != cache_.end()) return it->second;
  Zones z;
  for (const std::string& name : names) {
    auto id = engine_.zone_id(name);
    if (!id.ok() || !z.ids.try_push_back(*id)) {
      z.overflow = true;
      break;
    }
  }
  return cache_.emplace(&names, z).first->second;
}

NumberFacts NumberResolver::resolve(const phone::NormalizedPhone& phone) {
  return resolve(phone.e164, phone.region, phone.type);
}

NumberFacts NumberResolver::resolve(uint64_t e164, std::string_view country, phone::NumberType type) {
  NumberFacts f;
  f.e164 = e164;
  f.valid = e164 != 0;
  f.country = country_code(country);
  f.type = type;
  // NANP numbers: 1 + 10 digits. An area code spanning several regions
  // ("NS/PE") does not parse as one region code and stays unknown, so every
  // regional rule of the country applies (fail closed).
  if (e164 >= 10000000000ULL && e164 < 20000000000ULL) {
    if (auto r = nanp_.lookup(e164); r && country_code(r->country) == f.country) f.region = region_code(r->region);
  }
  const Zones& z = zones_for(zones_.lookup(e164));
  f.zones = z.ids;
  f.zones_overflow = z.overflow;
  return f;
}

NumberFacts NumberResolver::invalid(uint64_t e164) {
  NumberFacts f;
  f.e164 = e164;
  f.valid = false;
  return f;
}

NumberFacts resolve_number(const phone::NormalizedPhone& phone, const Engine& engine,
                           const phone::TimeZoneTable& zones, const phone::NanpRegions& nanp) {
  NumberResolver r(engine, zones, nanp);
  return r.resolve(phone);
}

}  // namespace telemark::compliance
