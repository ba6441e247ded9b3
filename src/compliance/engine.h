// Engine: the compliance decision for one proposed call.
//
//   Decision d = engine.decide(intent);
//
// decide() is a pure, deterministic function of the CallIntent and the
// RuleSet: no I/O, no clock, no allocation. It returns the verdict
// (callable / not_now / blocked), every reason as a stable code, the rule
// packs applied, the callee's local time in every candidate zone, and for
// not_now the earliest UTC instant at which the call would be lawful
// (searched forward across windows, days, holidays, DST changes, frequency
// caps and redial lockouts, at most kSearchDays ahead). The semantics of
// every rule, boundary and uncertainty are documented in rules/README.md.
//
// Names travel as ids: zone_id() interns an IANA zone (compiling its offset
// table once), RuleSet::registry_id() names a registry. explain() turns a
// Decision into strings for people, JSON and CSV (allocates; not for the
// hot path).
//
// Ownership: an Engine shares its RuleSet (shared_ptr) and owns its zone
// tables. Thread-safety: every const member, including zone_id(), is safe
// from any number of threads at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "compliance/intent.h"
#include "compliance/rules.h"
#include "compliance/zones.h"

namespace telemark::compliance {

class Engine {
 public:
  static constexpr int kSearchDays = 400;

  explicit Engine(std::shared_ptr<const RuleSet> rules);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const RuleSet& rules() const { return *rules_; }

  Result<ZoneId> zone_id(std::string_view iana_name) const;
  const std::string& zone_name(ZoneId id) const { return zones_->name(id); }

  Decision decide(const CallIntent& intent) const;

  // Registries any rule may consult for this campaign's calls to `country`
  // (bit RegistryId): the facts a caller must fill in the intent.
  uint64_t registries_needed(const Campaign& campaign, CountryCode country) const;
  // Every enabled country has a rule pack; every extra registry is one the
  // rules name as optional.
  Status validate(const Campaign& campaign) const;

  // ---- Presentation (allocates) ----
  std::string reason_string(const Reason& r) const;  // "registry:us-dnc", "frequency_cap"
  // "America/New_York 2026-03-08T09:30:00-04:00"
  std::string local_time_string(const LocalTime& t, Instant at) const;
  struct Explanation {
    std::string verdict;
    std::vector<std::string> reasons;
    std::optional<std::string> next_allowed_at;  // ISO 8601 UTC
    std::vector<std::string> local_times;
    std::vector<std::string> packs;  // "us-federal@2026.07"
  };
  Explanation explain(const Decision& d) const;

 private:
  std::shared_ptr<const RuleSet> rules_;
  std::unique_ptr<ZoneCatalog> zones_;
};

}  // namespace telemark::compliance
