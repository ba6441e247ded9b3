// RuleSet: the rule packs (rules/*.toml, format in rules/README.md) parsed
// and compiled once into an immutable set: calling windows, holiday
// calendars computed per year, registry rules with their exemptions and
// maximum ages, frequency caps, redial lockouts and consent requirements,
// grouped per country. The engine only reads it; a loader (here) reads the
// files. Parse errors name the file, the line and the key.
//
// Ownership: load()/parse() return a shared_ptr<const RuleSet>; an Engine
// keeps one. Thread-safety: immutable after construction; any number of
// threads may read it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "compliance/intent.h"

namespace telemark::compliance {

struct PackInfo {
  std::string id;        // "us-federal"
  std::string version;   // "2026.07"
  std::string name;      // human title
  std::string country;   // "US"
  std::string file;      // source name given to the parser
};

struct RuleSource {
  std::string name;  // used in error messages ("rules/us-federal.toml")
  std::string text;
};

namespace detail {
struct CompiledRules;
}

class RuleSet {
 public:
  // Every *.toml directly in `dir` (sorted by name; sub-folders such as
  // examples/ are ignored).
  static Result<std::shared_ptr<const RuleSet>> load_directory(const std::string& dir);
  static Result<std::shared_ptr<const RuleSet>> load_files(const std::vector<std::string>& paths);
  // Parses and compiles the given texts together (ids, calendars and
  // registries are shared across them). Never throws.
  static Result<std::shared_ptr<const RuleSet>> parse(const std::vector<RuleSource>& sources);

  const std::vector<PackInfo>& packs() const;
  // Registries the rules refer to, indexed by RegistryId.
  const std::vector<std::string>& registry_names() const;
  std::optional<RegistryId> registry_id(std::string_view name) const;
  // True if a rule names the registry as optional (a campaign must enable it).
  bool registry_is_optional(RegistryId id) const;
  // Countries that have at least one pack.
  bool covers_country(CountryCode c) const;
  // Largest max_age_days among the rules that use the registry (for listings);
  // nullopt if no rule bounds its age.
  std::optional<int> registry_max_age_days(RegistryId id) const;

  const detail::CompiledRules& compiled() const { return *rules_; }

  ~RuleSet();
  explicit RuleSet(std::unique_ptr<detail::CompiledRules> rules);

 private:
  std::unique_ptr<detail::CompiledRules> rules_;
};

}  // namespace telemark::compliance
