// telemark simulate: one simulated campaign day on the production path
// (hopper, compliance gate, dialer, store sink) over the leads of the
// campaign's list, on --db, with a virtual clock.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "base/paths.h"
#include "base/time.h"
#include "campaign/campaign_day.h"
#include "campaign/definition.h"
#include "cli/common.h"
#include "cli/compliance_context.h"
#include "compliance/rules.h"
#include "leads/segment.h"
#include "store/campaign_store.h"

namespace telemark::cli {
namespace {

struct SimulateArgs {
  std::string campaign, tenant, list, scenario, mode = "predictive", start, registries;
  int agents = 10;
  double hours = 1.0;
  uint64_t seed = 1;
  bool json = false;
  bool assume_registries = false;
};

store::CampaignRecord find_campaign(store::Store& store, const std::string& name, const std::string& tenant) {
  auto all = store.campaigns();
  if (!all) throw CliError(all.error().message, kExitStore);
  std::vector<store::CampaignRecord> found;
  for (auto& c : *all)
    if (c.name == name && (tenant.empty() || c.tenant == tenant)) found.push_back(std::move(c));
  if (found.empty())
    throw CliError("--campaign: no campaign \"" + name + "\"" + (tenant.empty() ? "" : " in tenant " + tenant) +
                       " (store one with `telemark campaign apply FILE`)",
                   kExitUsage);
  if (found.size() > 1)
    throw CliError("--campaign: several tenants have a campaign \"" + name + "\"; give --tenant", kExitUsage);
  return found.front();
}

void run(const SimulateArgs& a, const GlobalOptions& global) {
  if (a.agents < 1 || a.agents > 5000) throw CliError("--agents: expected 1 to 5000", kExitUsage);
  if (!(a.hours > 0 && a.hours <= 24)) throw CliError("--hours: expected more than 0, at most 24", kExitUsage);
  auto mode = dialer::DialMode::parse(a.mode);
  if (!mode) throw CliError("--mode: " + mode.error().message, kExitUsage);
  std::string scenario_path = a.scenario.empty() ? home_path("data/scenarios/campaign-day.toml") : a.scenario;
  auto scenario = sim::load_scenario(scenario_path);
  if (!scenario) throw CliError(scenario.error().message, kExitInput);

  auto store = open_store(global);
  store::CampaignRecord record = find_campaign(*store, a.campaign, a.tenant);
  auto def = campaign::parse_campaign_definition(record.definition, "campaign " + record.name);
  if (!def) throw CliError(def.error().message, kExitInput);
  auto rules = compliance::RuleSet::load_directory(home_path("rules"));
  if (!rules) throw CliError(rules.error().message, kExitInput);
  auto compiled = campaign::compile_campaign(*def, **rules);
  if (!compiled) throw CliError(compiled.error().message, kExitInput);
  auto policy = campaign::lifecycle_policy(*def);
  if (!policy) throw CliError(policy.error().message, kExitInput);

  std::string list = a.list.empty() ? def->list : a.list;
  if (list.empty())
    throw CliError("campaign " + record.name +
                       " names no lead list: add list = \"NAME\" to its definition or give --list",
                   kExitUsage);
  auto found = store->find_list(record.tenant, list);
  if (!found) throw CliError(found.error().message, kExitStore);
  if (!found->has_value())
    throw CliError("no lead list \"" + list + "\" in tenant " + record.tenant, kExitUsage);

  campaign::DialCampaign c;
  c.id = record.id;
  c.tenant = record.tenant;
  c.name = record.name;
  c.rules = *compiled;
  c.policy = *policy;
  // Simulated calls: their receipts are kept, but no real call waits on a sync.
  c.dial_receipts = store::Durability::kBuffered;
  if (!def->where.empty()) {
    auto where = leads::Segment::parse(def->where);
    if (!where) throw CliError("campaign " + record.name + ": where: " + where.error().message, kExitInput);
    c.where = std::make_shared<const leads::Segment>(std::move(*where));
  }
  compliance::Engine engine(*rules);
  // The registry snapshots loaded in the registry folder, unless the run
  // assumes registries (simulation without registry files).
  std::unique_ptr<RegistrySet> registry_set;
  std::string registry_note;
  if (a.assume_registries) {
    c.registries = campaign::RegistryFacts::kAssumeFresh;
  } else {
    auto dir = open_registry_directory(registries_dir(global, a.registries));
    registry_set = std::make_unique<RegistrySet>(RegistrySet::open(dir, engine, c.rules));
    for (const auto& e : registry_set->entries())
      registry_note += (registry_note.empty() ? "" : ", ") + e.name + (e.snapshot ? "" : " (not loaded)");
    c.registries = campaign::RegistryFacts::kProvided;
    c.registry_snapshots = [set = registry_set.get()](compliance::CountryCode country) {
      return set->snapshot_ids(set->needed(country));
    };
    c.registry_facts = [set = registry_set.get()](compliance::CallIntent& in) {
      uint64_t consulted = set->needed(in.number.country);
      set->fill(in.number.country, in);
      for (const auto& e : set->entries())
        if ((consulted & (uint64_t{1} << e.id)) && e.snapshot)
          in.registries[e.id].member = e.snapshot->contains(in.number.e164);
    };
  }

  campaign::CampaignDayOptions o;
  o.mode = *mode;
  o.agents = a.agents;
  o.hours = a.hours;
  o.seed = a.seed;
  auto start = parse_iso8601(a.start.empty() ? scenario->start : a.start);
  if (!start) throw CliError("--start: " + start.error().message, kExitUsage);
  o.start = *start;

  auto campaigns = store::CampaignStore::open(global.db);
  if (!campaigns) throw CliError(campaigns.error().message, kExitStore);
  auto report = campaign::run_campaign_day(*store, **campaigns, engine, time_zones(), nanp_regions(), c,
                                           (*found)->id, *scenario, o);
  if (!report) throw CliError(report.error().message, kExitStore);
  if (a.json) {
    std::printf("%s\n", campaign::format_json(*report).c_str());
    return;
  }
  std::printf("campaign %s (tenant %s), list %s%s, from %s\n", c.name.c_str(), c.tenant.c_str(), list.c_str(),
              def->where.empty() ? "" : (" where " + def->where).c_str(), format_iso8601(o.start).c_str());
  std::printf("%s", campaign::format_text(*report).c_str());
  if (!a.assume_registries) {
    std::printf("registries consulted: %s\n", registry_note.empty() ? "none" : registry_note.c_str());
    if (registry_note.find("(not loaded)") != std::string::npos)
      std::printf("note: a registry not loaded blocks the calls that need it (registry_missing); "
                  "--assume-registries treats every registry as loaded and fresh with no members\n");
  }
}

const CommandRegistration reg(70, [](CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<SimulateArgs>();
  auto* cmd = app.add_subcommand(
      "simulate", "Simulate a campaign day: the real hopper, compliance gate and dialer on simulated calls");
  cmd->add_option("--campaign", args->campaign, "Stored campaign to run")->required();
  cmd->add_option("--tenant", args->tenant, "Tenant (needed when several have a campaign of that name)");
  cmd->add_option("--list", args->list, "Lead list (default: the campaign's list key)");
  cmd->add_option("--agents", args->agents, "Agents logged in")->capture_default_str();
  cmd->add_option("--hours", args->hours, "Hours of simulated time")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--scenario", args->scenario, "Scenario TOML (default data/scenarios/campaign-day.toml)");
  cmd->add_option("--mode", args->mode, "predictive, progressive or power:K")->capture_default_str();
  cmd->add_option("--start", args->start, "Start instant, ISO 8601 (default: the scenario's start)");
  add_registries_option(cmd, args->registries);
  cmd->add_flag("--assume-registries", args->assume_registries,
                "Treat every registry as loaded and fresh with no members (simulation only)");
  cmd->add_flag("--json", args->json, "Print the report as JSON");
  cmd->callback([args, &global] { run(*args, global); });
});

}  // namespace
}  // namespace telemark::cli
