// telemark campaign apply / list / show: campaign definitions (TOML files,
// format in src/campaign/definition.h), checked against the rule packs and
// stored in the database.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/time.h"
#include "cli/common.h"
#include "cli/compliance_context.h"

namespace telemark::cli {
namespace {

using namespace telemark::compliance;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CliError(path + ": cannot read the file", kExitInput);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string window_text(const LocalWindow& w) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", w.start_minute / 60, w.start_minute % 60,
                w.end_minute / 60, w.end_minute % 60);
  std::string days;
  static const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  for (int d = 1; d <= 7; ++d)
    if (w.days & (1u << (d % 7))) days += (days.empty() ? "" : ",") + std::string(kDays[d % 7]);
  return std::string(buf) + " " + days;
}

// The registries a compiled campaign's calls consult, by name.
std::vector<std::string> consulted_registries(const Engine& engine, const Campaign& c) {
  uint64_t mask = 0;
  for (CountryCode country : c.countries) mask |= engine.registries_needed(c, country);
  std::vector<std::string> out;
  const auto& names = engine.rules().registry_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (mask & (uint64_t{1} << i)) out.push_back(names[i]);
  return out;
}

void print_summary(const campaign::CampaignDefinition& d, const Engine& engine, const Campaign& c) {
  std::printf("  purpose       %s\n", std::string(to_string(d.purpose)).c_str());
  std::printf("  caller        %s%s\n", std::string(to_string(d.caller)).c_str(),
              d.client.empty() ? "" : (" for " + d.client).c_str());
  std::printf("  call type     %s\n", std::string(to_string(d.call_type)).c_str());
  std::printf("  countries     %s\n", join(d.countries).c_str());
  if (!d.extra_registries.empty())
    std::printf("  extra lists   %s\n", join(d.extra_registries).c_str());
  auto regs = consulted_registries(engine, c);
  std::printf("  registries    %s\n", regs.empty() ? "(none)" : join(regs).c_str());
  if (d.hours) std::printf("  company hours %s (callee's local time)\n", window_text(*d.hours).c_str());
  if (!d.list.empty()) std::printf("  lead list     %s\n", d.list.c_str());
  if (!d.where.empty()) std::printf("  leads where   %s\n", d.where.c_str());
}

const CommandRegistration reg(40, [](CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("campaign", "Campaign definitions: apply a TOML file, list, show");
  cmd->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  auto* apply = cmd->add_subcommand("apply", "Check a campaign TOML file against the rule packs and store it (creates or replaces)");
  apply->add_option("file", *file, "Campaign definition (see rules/examples/)")->required();
  apply->callback([file, &global] {
    // Read once: what is stored is exactly what was checked.
    std::string text = read_text(*file);
    auto def = campaign::parse_campaign_definition(text, *file);
    if (!def.ok()) throw CliError(def.error().message, kExitInput);
    auto rules = load_rules();
    auto compiled = campaign::compile_campaign(*def, *rules);
    if (!compiled.ok()) throw CliError(compiled.error().message, kExitInput);
    auto store = open_store(global);
    auto before = store->find_campaign(def->tenant, def->name);
    if (!before.ok()) throw CliError(before.error().message, kExitStore);
    auto stored = store->put_campaign(def->tenant, def->name, text);
    if (!stored.ok()) throw CliError(stored.error().message, kExitStore);
    Engine engine(rules);
    std::printf("%s campaign %s (tenant %s) from %s:\n", before->has_value() ? "Updated" : "Created",
                def->name.c_str(), def->tenant.c_str(), file->c_str());
    print_summary(*def, engine, *compiled);
  });

  auto list_json = std::make_shared<bool>(false);
  auto* list = cmd->add_subcommand("list", "Show the stored campaigns");
  list->add_flag("--json", *list_json, "Machine-readable output");
  list->callback([list_json, &global] {
    auto store = open_store(global);
    auto all = store->campaigns();
    if (!all.ok()) throw CliError(all.error().message, kExitStore);
    nlohmann::json out = nlohmann::json::array();
    if (!*list_json && all->empty()) {
      std::printf("No campaigns yet: add one with `telemark campaign apply FILE` (examples in rules/examples/).\n");
      return;
    }
    if (!*list_json)
      std::printf("%-12s %-28s %-14s %-12s %-20s %s\n", "tenant", "campaign", "purpose", "countries",
                  "updated", "");
    for (const auto& r : *all) {
      auto def = campaign::parse_campaign_definition(r.definition, "campaign " + r.name);
      std::string purpose = def.ok() ? std::string(to_string(def->purpose)) : "?";
      std::string countries = def.ok() ? join(def->countries, ",") : "?";
      if (*list_json) {
        out.push_back({{"tenant", r.tenant}, {"name", r.name}, {"purpose", purpose},
                       {"countries", def.ok() ? def->countries : std::vector<std::string>{}},
                       {"created_at", format_iso8601(r.created_at)},
                       {"updated_at", format_iso8601(r.updated_at)}});
      } else {
        std::printf("%-12s %-28s %-14s %-12s %-20s %s\n", r.tenant.c_str(), r.name.c_str(),
                    purpose.c_str(), countries.c_str(), format_iso8601(r.updated_at).c_str(),
                    def.ok() ? "" : "(definition no longer parses)");
      }
    }
    if (*list_json) std::printf("%s\n", out.dump().c_str());
  });

  struct ShowArgs {
    std::string name, tenant;
  };
  auto show_args = std::make_shared<ShowArgs>();
  auto* show = cmd->add_subcommand("show", "Show a stored campaign: its definition and what it consults");
  show->add_option("name", show_args->name, "Campaign name")->required();
  show->add_option("--tenant", show_args->tenant, "Tenant (needed when several have a campaign of that name)");
  show->callback([show_args, &global] {
    auto store = open_store(global);
    auto rules = load_rules();
    CampaignContext c = load_campaign(*store, show_args->name, show_args->tenant, *rules);
    Engine engine(rules);
    std::printf("campaign %s (tenant %s), created %s, updated %s\n", c.record.name.c_str(),
                c.record.tenant.c_str(), format_iso8601(c.record.created_at).c_str(),
                format_iso8601(c.record.updated_at).c_str());
    print_summary(c.definition, engine, c.campaign);
    std::printf("\n%s", c.record.definition.c_str());
    if (!c.record.definition.empty() && c.record.definition.back() != '\n') std::printf("\n");
  });
});

}  // namespace
}  // namespace telemark::cli
