#include "cli/compliance_context.h"

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <filesystem>

#include "base/paths.h"
#include "base/time.h"

namespace telemark::cli {

using namespace telemark::compliance;

void add_registries_option(CLI::App* cmd, std::string& dir) {
  cmd->add_option("--registries", dir,
                  "Registry folder (env TELEMARK_REGISTRIES; default: registries/ next to a SQLite "
                  "database, ./registries for PostgreSQL)");
}

std::string registries_dir(const GlobalOptions& global, const std::string& option) {
  if (!option.empty()) return option;
  if (const char* env = std::getenv("TELEMARK_REGISTRIES"); env && *env) return env;
  if (global.db.find("://") != std::string::npos) return "registries";
  std::filesystem::path parent = std::filesystem::path(global.db).parent_path();
  return parent.empty() ? std::string("registries") : (parent / "registries").string();
}

registry::RegistryDirectory open_registry_directory(const std::string& dir) {
  auto d = registry::RegistryDirectory::open(dir);
  if (!d.ok()) throw CliError("--registries " + dir + ": " + d.error().message, kExitUsage);
  return std::move(*d);
}

std::shared_ptr<const RuleSet> load_rules() {
  static const std::shared_ptr<const RuleSet> rules = [] {
    auto r = RuleSet::load_directory(home_path("rules"));
    if (!r.ok())
      throw CliError(r.error().message + " (set TELEMARK_HOME to the folder holding rules/)",
                     kExitInput);
    return *r;
  }();
  return rules;
}

std::chrono::sys_days parse_day(const std::string& text, const std::string& setting) {
  auto t = parse_iso8601(text);
  if (text.size() != 10 || !t.ok() || format_date(*t) != text)
    throw CliError(setting + " " + text + ": expected a date YYYY-MM-DD", kExitUsage);
  return std::chrono::floor<std::chrono::days>(*t);
}

Instant parse_instant(const std::string& text, const std::string& setting) {
  auto t = parse_iso8601(text);
  if (!t.ok())
    throw CliError(setting + " " + text + ": " + t.error().message, kExitUsage);
  return *t;
}

CampaignContext load_campaign(store::Store& store, const std::string& name,
                              const std::string& tenant, const RuleSet& rules) {
  CampaignContext c;
  if (!tenant.empty()) {
    auto found = store.find_campaign(tenant, name);
    if (!found.ok()) throw CliError(found.error().message, kExitStore);
    if (!found->has_value())
      throw CliError("--campaign " + name + ": no such campaign for tenant " + tenant +
                         " (see `telemark campaign list`; add one with `telemark campaign apply FILE`)",
                     kExitUsage);
    c.record = std::move(**found);
  } else {
    auto all = store.campaigns();
    if (!all.ok()) throw CliError(all.error().message, kExitStore);
    std::vector<store::CampaignRecord> matches;
    for (auto& r : *all)
      if (r.name == name) matches.push_back(std::move(r));
    if (matches.empty())
      throw CliError("--campaign " + name +
                         ": no such campaign (see `telemark campaign list`; add one with "
                         "`telemark campaign apply FILE`)",
                     kExitUsage);
    if (matches.size() > 1) {
      std::string tenants;
      for (const auto& m : matches) tenants += (tenants.empty() ? "" : ", ") + m.tenant;
      throw CliError("--campaign " + name + ": several tenants have a campaign of that name (" +
                         tenants + "): add --tenant",
                     kExitUsage);
    }
    c.record = std::move(matches.front());
  }
  std::string source = "campaign " + c.record.name + " (tenant " + c.record.tenant + ")";
  auto def = campaign::parse_campaign_definition(c.record.definition, source);
  if (!def.ok()) throw CliError(def.error().message, kExitInput);
  c.definition = std::move(*def);
  auto compiled = campaign::compile_campaign(c.definition, rules);
  if (!compiled.ok())
    throw CliError(compiled.error().message + " (re-apply the campaign after fixing it)", kExitInput);
  c.campaign = *compiled;
  return c;
}

std::string default_region_for(const CampaignContext& c, const std::string& region) {
  if (!region.empty()) {
    std::string r = region;
    for (char& ch : r) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return r == "UK" ? "GB" : r;
  }
  if (c.definition.countries.size() == 1) return c.definition.countries.front();
  // US and Canada share +1: a national number of either parses the same
  // way with either as the default, and lands in its true country.
  bool nanp = !c.definition.countries.empty();
  for (const auto& country : c.definition.countries) nanp = nanp && (country == "US" || country == "CA");
  return nanp ? "US" : "";
}

// ---- RegistrySet ----

RegistrySet RegistrySet::open(const registry::RegistryDirectory& dir, const Engine& engine,
                              const Campaign& campaign) {
  RegistrySet set;
  uint64_t all = 0;
  for (CountryCode c : campaign.countries) {
    uint64_t mask = engine.registries_needed(campaign, c);
    set.needed_.emplace_back(c, mask);
    all |= mask;
  }
  const auto& names = engine.rules().registry_names();
  for (size_t id = 0; id < names.size() && id < kMaxRegistries; ++id) {
    if (!(all & (uint64_t{1} << id))) continue;
    Entry e;
    e.id = static_cast<RegistryId>(id);
    e.name = names[id];
    auto snap = dir.open_current(e.name);
    if (snap.ok()) {
      e.snapshot = std::move(*snap);
      e.as_of = parse_day(e.snapshot->provenance().as_of,
                          "registry " + e.name + " (" + e.snapshot->path() + ") as-of date");
    } else if (snap.error().code != "registry_missing") {
      throw CliError("registry " + e.name + ": " + snap.error().message, kExitInput);
    }
    set.entries_.push_back(std::move(e));
    set.index_[id] = static_cast<int>(set.entries_.size());
  }
  return set;
}

uint64_t RegistrySet::needed(CountryCode country) const {
  for (const auto& [c, mask] : needed_)
    if (c == country) return mask;
  return 0;
}

void RegistrySet::fill(CountryCode country, CallIntent& in) const {
  uint64_t mask = needed(country);
  for (const Entry& e : entries_) {
    if (!(mask & (uint64_t{1} << e.id))) continue;
    RegistryFact& f = in.registries[e.id];
    f.present = e.snapshot != nullptr;
    f.as_of = e.as_of;
  }
}

const registry::RegistrySnapshot* RegistrySet::snapshot(RegistryId id) const {
  if (id >= kMaxRegistries || index_[id] == 0) return nullptr;
  return entries_[static_cast<size_t>(index_[id] - 1)].snapshot.get();
}

std::vector<std::string> RegistrySet::snapshot_ids(uint64_t mask) const {
  std::vector<std::string> out;
  for (const Entry& e : entries_)
    if ((mask & (uint64_t{1} << e.id)) && e.snapshot) out.push_back(e.name + "@" + e.snapshot->id());
  return out;
}

// ---- InternalList ----

InternalList InternalList::load(store::Store& store, const std::vector<std::string>& tenants) {
  InternalList list;
  for (const auto& t : tenants) {
    // Buffered: adding sorted runs to a Roaring64Map is much faster than
    // one number at a time.
    std::vector<uint64_t> buf;
    auto s = store.dnc_phones(t, [&](uint64_t p) {
      buf.push_back(p);
      if (buf.size() == 65536) {
        list.numbers_.addMany(buf.size(), buf.data());
        buf.clear();
      }
    });
    if (!s.ok()) throw CliError(s.error().message, kExitStore);
    list.numbers_.addMany(buf.size(), buf.data());
  }
  return list;
}

std::vector<std::string> internal_list_tenants(const CampaignContext& c) {
  std::vector<std::string> t = {c.record.tenant};
  if (c.definition.caller == Caller::kTelemarketer && !c.definition.client.empty() &&
      c.definition.client != c.record.tenant)
    t.push_back(c.definition.client);
  return t;
}

// ---- facts ----

namespace {
constexpr std::array<std::string_view, kFactCount> kFactNames = {
    "consent_at",      "consent_revoked_at", "last_purchase_at", "last_inquiry_at",
    "contract_active", "contract_ended_at",  "region",           "postal_code",
    "attempts_24h",    "last_abandoned_at"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
}  // namespace

std::string_view fact_name(Fact f) { return kFactNames[static_cast<size_t>(f)]; }

std::optional<Fact> parse_fact_name(std::string_view name) {
  std::string n = lower(trim(name));
  for (size_t i = 0; i < kFactNames.size(); ++i)
    if (n == kFactNames[i]) return static_cast<Fact>(i);
  return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view v) {
  std::string s = lower(trim(v));
  if (s == "1" || s == "true" || s == "yes" || s == "y" || s == "t") return true;
  if (s == "0" || s == "false" || s == "no" || s == "n" || s == "f") return false;
  return std::nullopt;
}

bool apply_fact(Fact f, std::string_view raw, CallIntent& in) {
  std::string_view value = trim(raw);
  auto time = [&](std::optional<Instant>& slot) {
    auto t = parse_iso8601(value);
    if (!t.ok()) return false;
    slot = *t;
    return true;
  };
  switch (f) {
    case Fact::kConsentAt: return time(in.lead.consent_at);
    case Fact::kConsentRevokedAt: return time(in.lead.consent_revoked_at);
    case Fact::kLastPurchaseAt: return time(in.lead.last_purchase_at);
    case Fact::kLastInquiryAt: return time(in.lead.last_inquiry_at);
    case Fact::kContractEndedAt: return time(in.lead.contract_ended_at);
    case Fact::kLastAbandonedAt: return time(in.history.last_abandoned_at);
    case Fact::kContractActive: {
      auto b = parse_bool(value);
      if (!b) return false;
      in.lead.contract_active = *b;
      return true;
    }
    case Fact::kRegion:
      // A region that is no state or province code (a name, say) stays
      // unknown: the rules of the number's own region still apply.
      in.lead.address_region = region_code(upper(value));
      return true;
    case Fact::kPostalCode: {
      in.lead.postal_code = {};
      size_t n = std::min(value.size(), in.lead.postal_code.size() - 1);
      std::copy_n(value.data(), n, in.lead.postal_code.data());
      return true;
    }
    case Fact::kAttempts24h: {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
      if (ec != std::errc() || p != value.data() + value.size() || value.empty() || v > 65535)
        return false;
      in.history.attempts_24h = static_cast<uint16_t>(v);
      return true;
    }
  }
  return false;
}

std::string plus(uint64_t e164) {
  std::string s = std::to_string(e164);
  s.insert(s.begin(), '+');
  return s;
}

}  // namespace telemark::cli
