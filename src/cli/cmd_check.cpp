// telemark check: one compliance decision, explained, for a number (with
// facts given on the command line) or a stored lead, at a given instant,
// for a stored campaign: the same Engine::decide the dialer calls before
// every dial, fed from the registry snapshots and the internal list; for a
// stored lead, also from its calls in the campaign (campaign/history.h, as
// the dialer's gate counts them). --record stores the decision receipt, as
// the dialer does before a call.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "campaign/history.h"
#include "cli/common.h"
#include "cli/compliance_context.h"
#include "compliance/resolve.h"
#include "phone/phone.h"
#include "store/campaign_store.h"

namespace telemark::cli {
namespace {

using namespace telemark::compliance;

struct CheckArgs {
  std::string campaign, tenant, phone, at, region, registries;
  int64_t lead = 0;
  std::vector<std::string> facts;
  bool json = false, record = false;
};

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

void run(const CheckArgs& a, GlobalOptions& global, bool has_phone, bool has_lead) {
  if (has_phone == has_lead)
    throw CliError("give either --phone NUMBER (with --fact key=value ...) or --lead ID", kExitUsage);
  Instant at = parse_instant(a.at, "--at");
  auto store = open_store(global);
  auto rules = load_rules();
  Engine engine(rules);
  CampaignContext ctx = load_campaign(*store, a.campaign, a.tenant, *rules);
  NumberResolver resolver(engine, time_zones(), nanp_regions());

  CallIntent in;
  in.at = at;
  in.campaign = ctx.campaign;
  std::string phone_text;
  int64_t lead_id = 0;
  if (has_phone) {
    auto n = normalizer().normalize(a.phone, default_region_for(ctx, a.region));
    if (n.ok) {
      in.number = resolver.resolve(n.phone);
      phone_text = plus(n.phone.e164);
    } else {
      throw CliError("--phone " + a.phone + ": not a valid phone number (" + std::string(phone::to_string(n.reject)) +
                         ")" +
                         (n.reject == phone::PhoneReject::kUnknownCountry
                              ? " (write it with its country code, e.g. +44..., or add --region)"
                              : ""),
                     kExitUsage);
    }
  } else {
    auto lead = store->get_lead(a.lead);
    if (!lead.ok()) throw CliError(lead.error().message, kExitStore);
    if (!lead->has_value()) throw CliError("--lead " + std::to_string(a.lead) + ": no such lead", kExitUsage);
    const store::Lead& l = **lead;
    lead_id = l.id;
    in.number = resolver.resolve(l.phone, l.country, phone::number_type_from_string(l.number_type));
    phone_text = plus(l.phone);
    in.lead.consent_at = l.facts.consent_at;
    in.lead.consent_revoked_at = l.facts.consent_revoked_at;
    in.lead.last_purchase_at = l.facts.last_purchase_at;
    in.lead.last_inquiry_at = l.facts.last_inquiry_at;
    in.lead.contract_active = l.facts.contract_active;
    in.lead.contract_ended_at = l.facts.contract_ended_at;
    (void)apply_fact(Fact::kRegion, l.region, in);
    (void)apply_fact(Fact::kPostalCode, l.postal_code, in);
    // Its calls in this campaign before --at (a call at --at is the one
    // being decided), read as the dialer's gate reads them when it leases.
    auto attempts = open_campaign_store(global)->attempts(ctx.record.id, l.id);
    if (!attempts.ok()) throw CliError(attempts.error().message, kExitStore);
    campaign::CallRecord calls;
    for (const store::AttemptRow& row : *attempts)
      if (row.started_at >= at - campaign::kHistoryWindow && row.started_at < at)
        campaign::add_attempt(calls, row.started_at, row.abandoned, at);
    campaign::fill_history(calls, at, in.history);
  }
  // --fact also overrides a stored lead's facts (e.g. its call history).
  for (const auto& f : a.facts) {
    auto eq = f.find('=');
    auto fact = eq == std::string::npos ? std::nullopt : parse_fact_name(f.substr(0, eq));
    if (!fact) {
      std::string names;
      for (size_t i = 0; i < kFactCount; ++i) names += (i ? ", " : "") + std::string(fact_name(static_cast<Fact>(i)));
      throw CliError("--fact " + f + ": expected KEY=VALUE with KEY one of " + names, kExitUsage);
    }
    // A count given replaces the stored calls' count, not adds to it.
    if (*fact == Fact::kAttempts24h) in.history.attempt_times.clear();
    if (!apply_fact(*fact, std::string_view(f).substr(eq + 1), in))
      throw CliError("--fact " + f + ": the value does not parse (" +
                         (*fact == Fact::kContractActive ? "expected true or false"
                          : *fact == Fact::kAttempts24h  ? "expected a count"
                                                         : "expected an ISO 8601 date or time") +
                         ")",
                     kExitUsage);
  }

  auto dir = open_registry_directory(registries_dir(global, a.registries));
  RegistrySet registries = RegistrySet::open(dir, engine, ctx.campaign);
  uint64_t consulted = in.number.valid ? registries.needed(in.number.country) : 0;
  if (in.number.valid) {
    registries.fill(in.number.country, in);
    for (const auto& e : registries.entries())
      if ((consulted & (uint64_t{1} << e.id)) && e.snapshot)
        in.registries[e.id].member = e.snapshot->contains(in.number.e164);
    for (const auto& t : internal_list_tenants(ctx)) {
      auto h = store->dnc_history(t, in.number.e164);
      if (!h.ok()) throw CliError(h.error().message, kExitStore);
      if (!h->empty() && !h->front().removed_at) in.internal_dnc = true;
    }
  }

  Decision d = engine.decide(in);
  Engine::Explanation ex = engine.explain(d);
  // The history the decision used (times beyond those listed are counted).
  const size_t calls_24h = in.history.attempt_times.size() + in.history.attempts_24h;
  std::vector<std::string> call_times;
  for (Instant t : in.history.attempt_times) call_times.push_back(format_iso8601(t));
  std::sort(call_times.begin(), call_times.end());

  int64_t receipt_id = 0;
  if (a.record) {
    store::DecisionReceipt r;
    r.tenant = ctx.record.tenant;
    r.campaign = ctx.record.name;
    r.lead_id = lead_id;
    r.phone = in.number.valid ? in.number.e164 : 0;
    r.decided_at = at;
    r.verdict = ex.verdict;
    r.reasons = ex.reasons;
    if (d.next_allowed_at) r.next_allowed_at = *d.next_allowed_at;
    r.rule_packs = ex.packs;
    r.registry_snapshots = registries.snapshot_ids(consulted);
    r.local_times = ex.local_times;
    auto ids = store->record_receipts(std::span<const store::DecisionReceipt>(&r, 1), store::Durability::kSynced);
    if (!ids.ok()) throw CliError(ids.error().message + " (no receipt was recorded)", kExitStore);
    receipt_id = ids->front();
  }

  if (a.json) {
    nlohmann::json regs = nlohmann::json::array();
    for (const auto& e : registries.entries()) {
      if (!(consulted & (uint64_t{1} << e.id))) continue;
      nlohmann::json r = {{"name", e.name}, {"loaded", e.snapshot != nullptr}};
      if (e.snapshot) {
        r["as_of"] = e.snapshot->provenance().as_of;
        r["listed"] = in.registries[e.id].member;
        r["snapshot_id"] = e.snapshot->id();
      }
      regs.push_back(r);
    }
    nlohmann::json j = {{"verdict", ex.verdict},
                        {"reasons", ex.reasons},
                        {"next_allowed_at", ex.next_allowed_at ? nlohmann::json(*ex.next_allowed_at) : nlohmann::json(nullptr)},
                        {"local_times", ex.local_times},
                        {"phone", phone_text},
                        {"campaign", ctx.record.name},
                        {"tenant", ctx.record.tenant},
                        {"at", format_iso8601(at)},
                        {"rule_packs", ex.packs},
                        {"registries", regs},
                        {"internal_dnc", in.internal_dnc},
                        {"history",
                         {{"calls_24h", calls_24h},
                          {"call_times", call_times},
                          {"last_abandoned_at", in.history.last_abandoned_at
                                                    ? nlohmann::json(format_iso8601(*in.history.last_abandoned_at))
                                                    : nlohmann::json(nullptr)}}}};
    if (lead_id) j["lead_id"] = lead_id;
    if (a.record) j["receipt_id"] = receipt_id;
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("verdict: %s\n", ex.verdict.c_str());
  std::printf("reasons: %s\n", ex.reasons.empty() ? "none" : join(ex.reasons, " ").c_str());
  if (ex.next_allowed_at) std::printf("next_allowed_at: %s\n", ex.next_allowed_at->c_str());
  for (const auto& t : ex.local_times) std::printf("local_time: %s\n", t.c_str());
  std::printf("phone: %s%s\n", phone_text.c_str(), lead_id ? (" (lead " + std::to_string(lead_id) + ")").c_str() : "");
  std::printf("campaign: %s (tenant %s) at %s\n", ctx.record.name.c_str(), ctx.record.tenant.c_str(),
              format_iso8601(at).c_str());
  if (!ex.packs.empty()) std::printf("rule_packs: %s\n", join(ex.packs, " ").c_str());
  for (const auto& e : registries.entries()) {
    if (!(consulted & (uint64_t{1} << e.id))) continue;
    if (!e.snapshot) {
      std::printf("registry: %s not loaded\n", e.name.c_str());
      continue;
    }
    std::printf("registry: %s as of %s: %s (snapshot %s)\n", e.name.c_str(), e.snapshot->provenance().as_of.c_str(),
                in.registries[e.id].member ? "listed" : "not listed", e.snapshot->id().c_str());
  }
  if (in.number.valid) std::printf("internal_list: %s\n", in.internal_dnc ? "listed" : "not listed");
  std::printf("history: calls in the last 24 h: %zu%s; last abandoned: %s\n", calls_24h,
              call_times.empty() ? "" : (" (" + join(call_times, " ") + ")").c_str(),
              in.history.last_abandoned_at ? format_iso8601(*in.history.last_abandoned_at).c_str() : "none");
  if (a.record) std::printf("receipt: %lld\n", static_cast<long long>(receipt_id));
}

const CommandRegistration reg(60, [](CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<CheckArgs>();
  auto* cmd = app.add_subcommand("check", "Decide one call: verdict, every reason, local times, next lawful time");
  cmd->add_option("--campaign", a->campaign, "Campaign name (see `telemark campaign list`)")->required();
  cmd->add_option("--tenant", a->tenant, "The campaign's tenant (needed when several have that campaign name)");
  auto* phone_opt = cmd->add_option(
      "--phone", a->phone,
      "The number to call, with facts and call history from --fact only (even when it is a stored lead's: use --lead "
      "for its stored calls)");
  auto* lead_opt = cmd->add_option(
      "--lead", a->lead,
      "A stored lead, by id: its number, facts and calls in the campaign (those before --at, as the dialer counts "
      "them)");
  cmd->add_option("--fact", a->facts,
                  "KEY=VALUE (repeatable): consent_at, consent_revoked_at, last_purchase_at, last_inquiry_at, "
                  "contract_active, contract_ended_at, region, postal_code, attempts_24h, last_abandoned_at "
                  "(with --lead, they replace the stored facts and calls)");
  cmd->add_option("--at", a->at, "When the call would be placed (ISO 8601, e.g. 2026-03-10T14:00:00Z)")->required();
  cmd->add_option("--region", a->region, "Country of a number without a country code (default: the campaign's, if one)");
  cmd->add_flag("--json", a->json, "Print {\"verdict\",\"reasons\",\"next_allowed_at\",\"local_times\",...}");
  cmd->add_flag("--record", a->record, "Store the decision receipt, as the dialer does before a call");
  add_registries_option(cmd, a->registries);
  cmd->callback([a, phone_opt, lead_opt, &global] { run(*a, global, phone_opt->count() > 0, lead_opt->count() > 0); });
});

struct ReceiptArgs {
  std::string tenant, campaign, phone;
  int64_t lead = 0, limit = 50;
  bool json = false;
};

const CommandRegistration receipts_reg(61, [](CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<ReceiptArgs>();
  auto* cmd = app.add_subcommand("receipts", "Show recorded decision receipts (what was decided before a call, and why)");
  cmd->add_option("--tenant", a->tenant, "Only this tenant's");
  cmd->add_option("--campaign", a->campaign, "Only this campaign's");
  cmd->add_option("--phone", a->phone, "Only this number's (E.164, e.g. +12125550123)");
  cmd->add_option("--lead", a->lead, "Only this lead's");
  cmd->add_option("--limit", a->limit, "At most this many (0: all)")->capture_default_str();
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([a, &global] {
    store::ReceiptFilter f;
    if (!a->tenant.empty()) f.tenant = a->tenant;
    if (!a->campaign.empty()) f.campaign = a->campaign;
    if (a->lead) f.lead_id = a->lead;
    if (a->limit > 0) f.limit = a->limit;
    if (!a->phone.empty()) {
      auto n = normalizer().normalize(a->phone, "");
      if (!n.ok)
        throw CliError("--phone " + a->phone + ": not a valid phone number (" +
                           std::string(phone::to_string(n.reject)) + "; write it as +<country code><number>)",
                       kExitUsage);
      f.phone = n.phone.e164;
    }
    auto store = open_store(global);
    auto rows = store->receipts(f);
    if (!rows.ok()) throw CliError(rows.error().message, kExitStore);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rows) {
      if (a->json) {
        out.push_back({{"id", r.id},
                       {"tenant", r.tenant},
                       {"campaign", r.campaign},
                       {"lead_id", r.lead_id ? nlohmann::json(r.lead_id) : nlohmann::json(nullptr)},
                       {"phone", r.phone ? nlohmann::json(plus(r.phone)) : nlohmann::json(nullptr)},
                       {"decided_at", format_iso8601(r.decided_at)},
                       {"verdict", r.verdict},
                       {"reasons", r.reasons},
                       {"next_allowed_at", r.next_allowed_at ? nlohmann::json(format_iso8601(*r.next_allowed_at))
                                                             : nlohmann::json(nullptr)},
                       {"rule_packs", r.rule_packs},
                       {"registry_snapshots", r.registry_snapshots},
                       {"local_times", r.local_times},
                       {"recorded_at", format_iso8601(r.recorded_at)}});
        continue;
      }
      std::printf("#%lld %s %s %scampaign %s (tenant %s): %s%s%s\n", static_cast<long long>(r.id),
                  format_iso8601(r.decided_at).c_str(), r.phone ? plus(r.phone).c_str() : "(invalid number)",
                  r.lead_id ? ("lead " + std::to_string(r.lead_id) + " ").c_str() : "", r.campaign.c_str(),
                  r.tenant.c_str(), r.verdict.c_str(),
                  r.reasons.empty() ? "" : (" " + join(r.reasons, ";")).c_str(),
                  r.next_allowed_at ? (" next " + format_iso8601(*r.next_allowed_at)).c_str() : "");
      std::printf("    packs %s; registries %s; recorded %s\n", join(r.rule_packs, " ").c_str(),
                  r.registry_snapshots.empty() ? "-" : join(r.registry_snapshots, " ").c_str(),
                  format_iso8601(r.recorded_at).c_str());
    }
    if (a->json) std::printf("%s\n", out.dump().c_str());
    else if (rows->empty()) std::printf("No receipts match.\n");
  });
});

}  // namespace
}  // namespace telemark::cli
