// Compiled rule structures shared by the rule-pack parser (rules_parse.cpp)
// and the engine (engine.cpp). Internal to telemark_compliance: other
// subsystems use rules.h and engine.h. Immutable once built.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "compliance/calendar.h"
#include "compliance/intent.h"
#include "compliance/rules.h"

namespace telemark::compliance::detail {

// Per country and rule kind; the engine gathers applicable rules into
// fixed arrays of this size (checked when the packs are compiled).
inline constexpr size_t kMaxRulesPerKind = 64;

// Bit masks over small enums.
inline constexpr uint8_t kAllPurposes = 0x3F;
inline constexpr uint8_t kAllCallers = 0x03;
inline constexpr uint8_t kAllCallTypes = 0x03;
inline constexpr uint16_t kAllNumberTypes = 0x0FFF;
constexpr uint8_t bit(Purpose p) { return static_cast<uint8_t>(1u << static_cast<unsigned>(p)); }
constexpr uint8_t bit(Caller c) { return static_cast<uint8_t>(1u << static_cast<unsigned>(c)); }
constexpr uint8_t bit(CallType t) { return static_cast<uint8_t>(1u << static_cast<unsigned>(t)); }
constexpr uint16_t bit(phone::NumberType t) {
  return static_cast<uint16_t>(1u << static_cast<unsigned>(t));
}

// Minutes after local midnight, [start, end).
struct Window {
  int16_t start = 0;
  int16_t end = 24 * 60;
  bool empty() const { return start >= end; }
};
inline Window intersect(Window a, Window b) {
  return Window{a.start > b.start ? a.start : b.start, a.end < b.end ? a.end : b.end};
}

// What every rule has. `regions` holds region codes as written; compile
// turns them into `region_mask` over the country's region table.
struct RuleHeader {
  std::string id;
  std::string source;
  std::chrono::sys_days effective{};
  int pack = 0;
  int line = 0;  // of the rule in its file, for messages
  bool all_regions = true;
  std::vector<RegionCode> regions;
  uint64_t region_mask = 0;
  uint8_t purposes = kAllPurposes;
  int64_t effective_day() const { return effective.time_since_epoch().count(); }
};

struct HoursRule {
  RuleHeader h;
  std::array<Window, 7> by_weekday{};  // 0 = Sunday; empty = no calls that day
  int calendar = -1;                   // index into CompiledRules::calendars
  bool holidays_closed = false;
  std::optional<Window> eve_window;    // day before a holiday
};

struct EbrTerms {
  int purchase_months = 0;        // 0 = purchases do not count
  int inquiry_months = 0;         // 0 = inquiries do not count
  bool contract_active = false;   // a contract in force counts
  int contract_ended_months = 0;  // 0 = an ended contract does not count
};

// Exemption kinds a rule may list.
enum Exemption : uint8_t {
  kExemptConsent = 1,        // consent in force (not revoked after it was given)
  kExemptEbr = 2,            // an existing business relationship per `ebr`
  kExemptPriorPurchase = 4,  // any purchase/donation before the call (prior donor)
};

struct RegistryRule {
  RuleHeader h;
  RegistryId registry = kNoRegistry;
  bool optional = false;    // consulted only when the campaign enables the registry
  int max_age_days = -1;    // -1: no age limit
  uint8_t exemptions = 0;
  EbrTerms ebr;
  // Italy: registering cancels consents given before the registration date,
  // except while a contract is in force or ended less than
  // `contract_keeps_consent_days` days ago.
  bool consent_cancelled_by_registration = false;
  int contract_keeps_consent_days = 0;
};

struct CapRule {
  RuleHeader h;
  int max_calls = 3;
  int64_t window_seconds = 24 * 3600;
};

struct LockoutRule {
  RuleHeader h;
  int64_t lockout_seconds = 72 * 3600;
};

struct ConsentRule {
  RuleHeader h;
  uint8_t callers = kAllCallers;
  uint8_t call_types = kAllCallTypes;
  uint16_t number_types = kAllNumberTypes;
  uint8_t exemptions = kExemptConsent;
  EbrTerms ebr;
};

struct CountryRules {
  CountryCode country = 0;
  uint64_t packs = 0;
  std::vector<RegionCode> regions;  // bit i of a region mask = regions[i]
  std::vector<HoursRule> hours;
  std::vector<RegistryRule> registries;
  std::vector<CapRule> caps;
  std::vector<LockoutRule> lockouts;
  std::vector<ConsentRule> consents;

  // Bit of `r` in this country's region masks, or 0 if no rule names it.
  uint64_t region_bit(RegionCode r) const {
    for (size_t i = 0; i < regions.size(); ++i)
      if (regions[i] == r) return uint64_t{1} << i;
    return 0;
  }
  uint64_t all_region_bits() const {
    return regions.size() >= 64 ? ~uint64_t{0} : (uint64_t{1} << regions.size()) - 1;
  }
};

struct CompiledRules {
  std::vector<PackInfo> packs;
  std::vector<Calendar> calendars;
  std::vector<std::string> registry_names;
  std::vector<bool> registry_optional;
  std::vector<int> registry_max_age;
  std::vector<CountryRules> countries;

  const CountryRules* country(CountryCode c) const {
    for (const CountryRules& cr : countries)
      if (cr.country == c) return &cr;
    return nullptr;
  }
};

}  // namespace telemark::compliance::detail
