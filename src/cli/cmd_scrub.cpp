// telemark scrub: decide every row of a list (a CSV file or a stored list)
// for a campaign at a given instant, and write the callable rows and the
// rejected ones (with reasons and the next lawful time) to two CSV files,
// with a summary by reason. The batch form of the decision the dialer
// makes before every dial (scrub_pipeline.h); a stored list's leads are
// decided with their calls in the campaign, as the dialer counts them.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/time.h"
#include "cli/common.h"
#include "cli/compliance_context.h"
#include "cli/scrub_pipeline.h"
#include "store/campaign_store.h"

namespace telemark::cli {
namespace {

using namespace telemark::compliance;

struct ScrubArgs {
  std::string campaign, tenant, list, input, at, callable, rejected, region, registries, delimiter,
      encoding = "utf-8";
  std::vector<std::string> maps;
  unsigned threads = 0;
  bool json = false;
};

void run(const ScrubArgs& a, GlobalOptions& global) {
  if (a.list.empty() == a.input.empty())
    throw CliError("give either --list NAME (a stored list) or --input FILE.csv", kExitUsage);
  if (a.callable == a.rejected)
    throw CliError("--callable and --rejected name the same file " + a.callable, kExitUsage);
  Instant at = parse_instant(a.at, "--at");
  CsvInput input;
  if (!a.input.empty()) {
    input.path = a.input;
    for (const auto& m : a.maps) {
      auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        throw CliError("--map " + m + ": expected COLUMN=FIELD, e.g. --map Cellulare=phone", kExitUsage);
      input.map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    if (!a.delimiter.empty()) {
      const std::string& d = a.delimiter;
      if (d == "tab" || d == "\\t" || d == "\t") input.csv.delimiter = '\t';
      else if (d.size() == 1 && d != "\"" && d != "\n" && d != "\r") input.csv.delimiter = d[0];
      else throw CliError("--delimiter " + d + ": expected one character such as , ; | or 'tab'", kExitUsage);
    }
    auto enc = leads::parse_encoding(a.encoding);
    if (!enc.ok()) throw CliError("--encoding " + a.encoding + ": " + enc.error().message, kExitUsage);
    input.csv.encoding = *enc;
  }

  auto store = open_store(global);
  auto rules = load_rules();
  Engine engine(rules);
  CampaignContext c = load_campaign(*store, a.campaign, a.tenant, *rules);
  auto dir = open_registry_directory(registries_dir(global, a.registries));
  RegistrySet registries = RegistrySet::open(dir, engine, c.campaign);
  InternalList internal = InternalList::load(*store, internal_list_tenants(c));

  ScrubContext ctx;
  ctx.engine = &engine;
  ctx.campaign = &c.campaign;
  ctx.registries = &registries;
  ctx.internal = &internal;
  ctx.normalizer = &normalizer();
  ctx.zones = &time_zones();
  ctx.nanp = &nanp_regions();
  ctx.default_region = default_region_for(c, a.region);
  ctx.at = at;
  ctx.workers = a.threads ? a.threads : std::max(1u, std::thread::hardware_concurrency());
  ScrubOutputs outs{a.callable, a.rejected};

  // Wall-clock time here is for the rate shown to the user only.
  auto t0 = std::chrono::steady_clock::now();
  ScrubSummary s;
  std::string what;
  if (!a.input.empty()) {
    s = scrub_csv(ctx, input, outs);
    what = a.input;
  } else {
    auto found = store->find_list(c.record.tenant, a.list);
    if (!found.ok()) throw CliError(found.error().message, kExitStore);
    if (!found->has_value())
      throw CliError("--list " + a.list + ": no such list for tenant " + c.record.tenant + " (see `telemark lists`)",
                     kExitUsage);
    store::LeadFilter filter;
    filter.tenant = c.record.tenant;
    filter.list = a.list;
    // The leads' calls in this campaign (the frequency caps, the lockout
    // after an abandoned call).
    auto campaigns = open_campaign_store(global);
    s = scrub_list(ctx, *store, filter, outs, CallHistorySource{campaigns.get(), c.record.id});
    what = "list " + a.list;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double rate = secs > 0 ? static_cast<double>(s.rows) / secs : 0;

  if (a.json) {
    nlohmann::json regs = nlohmann::json::array();
    for (const auto& e : registries.entries())
      regs.push_back({{"name", e.name},
                      {"loaded", e.snapshot != nullptr},
                      {"as_of", e.snapshot ? nlohmann::json(e.snapshot->provenance().as_of) : nlohmann::json(nullptr)},
                      {"snapshot_id", e.snapshot ? nlohmann::json(e.snapshot->id()) : nlohmann::json(nullptr)}});
    nlohmann::json j = {{"rows", s.rows},          {"callable", s.callable},
                        {"not_now", s.not_now},    {"blocked", s.blocked},
                        {"reasons", s.reasons},    {"campaign", c.record.name},
                        {"tenant", c.record.tenant}, {"at", format_iso8601(at)},
                        {"seconds", secs},         {"rows_per_second", rate},
                        {"registries", regs},      {"internal_list", internal.size()},
                        {"callable_file", a.callable}, {"rejected_file", a.rejected}};
    if (a.input.empty()) j["rows_with_history"] = s.rows_with_history;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("Scrubbed %llu rows of %s for campaign %s (tenant %s) at %s in %.2f s (%.0f rows/s):\n",
              static_cast<unsigned long long>(s.rows), what.c_str(), c.record.name.c_str(),
              c.record.tenant.c_str(), format_iso8601(at).c_str(), secs, rate);
  std::printf("  callable  %10llu  -> %s\n", static_cast<unsigned long long>(s.callable), a.callable.c_str());
  std::printf("  not_now   %10llu  -> %s\n", static_cast<unsigned long long>(s.not_now), a.rejected.c_str());
  std::printf("  blocked   %10llu  -> %s\n", static_cast<unsigned long long>(s.blocked), a.rejected.c_str());
  if (!s.reasons.empty()) {
    std::printf("By reason (a row counts under each of its reasons):\n");
    std::vector<std::pair<std::string, uint64_t>> sorted(s.reasons.begin(), s.reasons.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
    for (const auto& [reason, n] : sorted)
      std::printf("  %-28s %10llu\n", reason.c_str(), static_cast<unsigned long long>(n));
  }
  for (const auto& e : registries.entries()) {
    if (e.snapshot)
      std::printf("Registry %s as of %s (snapshot %s)\n", e.name.c_str(), e.snapshot->provenance().as_of.c_str(),
                  e.snapshot->id().c_str());
    else
      std::printf("Registry %s is not loaded: the calls its rules govern are blocked (registry_missing:%s)\n",
                  e.name.c_str(), e.name.c_str());
  }
  std::printf("Internal do-not-call list: %llu numbers\n", static_cast<unsigned long long>(internal.size()));
  if (a.input.empty())
    std::printf("Call history: %llu leads decided with their calls in campaign %s before %s\n",
                static_cast<unsigned long long>(s.rows_with_history), c.record.name.c_str(),
                format_iso8601(at).c_str());
}

const CommandRegistration reg(70, [](CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<ScrubArgs>();
  auto* cmd = app.add_subcommand("scrub", "Decide every row of a list for a campaign: callable and rejected files, a summary by reason");
  cmd->add_option("--campaign", a->campaign, "Campaign name (see `telemark campaign list`)")->required();
  cmd->add_option("--tenant", a->tenant, "The campaign's tenant (needed when several have that campaign name)");
  cmd->add_option("--list", a->list,
                  "A stored list of the campaign's tenant (each lead decided with its calls in the campaign)");
  cmd->add_option("--input", a->input,
                  "A CSV file with a phone column (lead facts, attempts_24h, last_abandoned_at and lead_id columns are "
                  "read too; stored calls are not)");
  cmd->add_option("--at", a->at, "When the calls would be placed (ISO 8601)")->required();
  cmd->add_option("--callable", a->callable, "Output CSV of the callable rows")->required();
  cmd->add_option("--rejected", a->rejected, "Output CSV of the not_now and blocked rows")->required();
  cmd->add_option("--region", a->region, "Country of numbers without a country code (default: the campaign's, if one)");
  cmd->add_option("--map", a->maps, "--input: COLUMN=FIELD, as for import (repeatable)");
  cmd->add_option("--delimiter", a->delimiter, "--input: field delimiter (default: detected)");
  cmd->add_option("--encoding", a->encoding, "--input: utf-8, latin1 or windows-1252")->capture_default_str();
  cmd->add_option("--threads", a->threads, "Deciding threads (default: one per core)");
  cmd->add_flag("--json", a->json, "Machine-readable summary");
  add_registries_option(cmd, a->registries);
  cmd->callback([a, &global] { run(*a, global); });
});

}  // namespace
}  // namespace telemark::cli
