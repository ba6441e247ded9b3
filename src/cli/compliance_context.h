// What `telemark check`, `scrub` and `registry` need to decide calls the way
// the dialer does: the registry folder (--registries DIR, else
// TELEMARK_REGISTRIES, else registries/ next to a SQLite database file, or
// ./registries for PostgreSQL), the rule packs, a stored campaign compiled
// against them, the current snapshots of the registries its rules consult,
// the tenant's internal do-not-call list in memory, and lead facts given as
// text (--fact key=value or CSV columns).
//
// Every failure is a CliError naming the setting, file or campaign.
// Ownership: a RegistrySet owns its mapped snapshots; an InternalList owns
// its bitmap. Thread-safety: after construction both are read-only and may
// be shared by any number of threads.
#pragma once

#include <roaring/roaring64map.hh>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "campaign/definition.h"
#include "cli/command.h"
#include "compliance/engine.h"
#include "registry/directory.h"
#include "store/store.h"

namespace CLI {
class App;
}

namespace telemark::cli {

// Adds --registries DIR to a subcommand.
void add_registries_option(CLI::App* cmd, std::string& dir);
// The folder to use: the option, else TELEMARK_REGISTRIES, else the default.
std::string registries_dir(const GlobalOptions& global, const std::string& option);
registry::RegistryDirectory open_registry_directory(const std::string& dir);

// rules/*.toml, loaded once per process.
std::shared_ptr<const compliance::RuleSet> load_rules();

// "YYYY-MM-DD" naming a real date; throws CliError naming `setting`.
std::chrono::sys_days parse_day(const std::string& text, const std::string& setting);
// ISO 8601 instant; throws CliError naming `setting`.
Instant parse_instant(const std::string& text, const std::string& setting);

struct CampaignContext {
  store::CampaignRecord record;
  campaign::CampaignDefinition definition;
  compliance::Campaign campaign;
};
// A stored campaign by name: within `tenant` when given, else the only
// campaign of that name across tenants (two or more: CliError asking for
// --tenant).
CampaignContext load_campaign(store::Store& store, const std::string& name,
                              const std::string& tenant, const compliance::RuleSet& rules);
// The region for numbers written without a country code: `region` when
// given, else the campaign's country when it has exactly one (or "US" when
// its countries are the US and Canada, which share +1), else "".
std::string default_region_for(const CampaignContext& c, const std::string& region);

// The current snapshots of the registries a campaign's rules may consult.
class RegistrySet {
 public:
  struct Entry {
    compliance::RegistryId id = compliance::kNoRegistry;
    std::string name;
    std::unique_ptr<registry::RegistrySnapshot> snapshot;  // null: not loaded
    std::chrono::sys_days as_of{};
  };
  static RegistrySet open(const registry::RegistryDirectory& dir, const compliance::Engine& engine,
                          const compliance::Campaign& campaign);

  // Registries consulted for calls to `country` (bit RegistryId).
  uint64_t needed(compliance::CountryCode country) const;
  // Sets present and as_of of every registry consulted for `country`.
  void fill(compliance::CountryCode country, compliance::CallIntent& in) const;
  const registry::RegistrySnapshot* snapshot(compliance::RegistryId id) const;
  const std::vector<Entry>& entries() const { return entries_; }
  // "us-dnc@<snapshot id>" for the loaded registries among `mask`.
  std::vector<std::string> snapshot_ids(uint64_t mask) const;

 private:
  std::vector<Entry> entries_;
  std::array<int, compliance::kMaxRegistries> index_{};  // RegistryId -> entries_ + 1; 0 none
  std::vector<std::pair<compliance::CountryCode, uint64_t>> needed_;
};

// The internal do-not-call lists of the given tenants, in memory.
class InternalList {
 public:
  static InternalList load(store::Store& store, const std::vector<std::string>& tenants);
  bool contains(uint64_t e164) const { return numbers_.contains(e164); }
  uint64_t size() const { return numbers_.cardinality(); }

 private:
  Roaring64Map numbers_;
};
// The tenants whose internal lists govern a campaign's calls: its own, and
// for a telemarketer the client's (when a tenant of that name exists, its
// list applies too).
std::vector<std::string> internal_list_tenants(const CampaignContext& c);

// Lead facts and call history by name (the import's names plus
// attempts_24h and last_abandoned_at).
enum class Fact : uint8_t {
  kConsentAt,
  kConsentRevokedAt,
  kLastPurchaseAt,
  kLastInquiryAt,
  kContractActive,
  kContractEndedAt,
  kRegion,
  kPostalCode,
  kAttempts24h,
  kLastAbandonedAt,
};
inline constexpr size_t kFactCount = 10;
std::string_view fact_name(Fact f);
std::optional<Fact> parse_fact_name(std::string_view name);
// Sets the fact in the intent; false when the value does not parse.
bool apply_fact(Fact f, std::string_view value, compliance::CallIntent& in);
// "true", "yes", "1", ... / "false", "no", "0", ...
std::optional<bool> parse_bool(std::string_view v);

// An E.164 number as text: "+12125550123".
std::string plus(uint64_t e164);

}  // namespace telemark::cli
