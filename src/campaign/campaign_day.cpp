#include "campaign/campaign_day.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "dialer/dialer.h"
#include "leads/segment.h"
#include "sim/event_loop.h"
#include "sim/prospect.h"
#include "sim/world.h"
#include "telephony/sim/sim_telephony.h"

namespace telemark::campaign {

namespace {

Duration secs(double s) { return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s)); }

uint64_t mix(uint64_t x) {  // splitmix64: a reproducible draw per attempt
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string first_code(const LifecyclePolicy& p, uint8_t all, uint8_t none) {
  for (const auto& d : p.dispositions)
    if ((d.flags & all) == all && (d.flags & none) == 0) return d.code;
  return {};
}

// The chance of a success disposition per lead of the list, from the
// ground truth of sim/prospect.h over the leads' profile attributes, with
// the intercept calibrated so the list's mean is the success share.
Result<std::shared_ptr<const std::unordered_map<int64_t, double>>> success_chances(store::Store& store,
                                                                                 int64_t list_id,
                                                                                 double share) {
  auto lists = store.lists();
  if (!lists) return lists.error();
  store::LeadFilter filter;
  for (const auto& l : *lists)
    if (l.id == list_id) {
      filter.tenant = l.tenant;
      filter.list = l.name;
    }
  std::vector<int64_t> ids;
  std::vector<double> log_odds;
  if (filter.list) {
    auto scanned = store.scan_leads(filter, [&](const store::Lead& lead) {
      sim::Prospect p;
      auto j = nlohmann::json::parse(lead.attributes_json, nullptr, false);
      if (j.is_object()) {
        auto text = [&](const char* key) -> std::string {
          auto it = j.find(key);
          if (it == j.end()) return {};
          return it->is_string() ? it->get<std::string>() : it->is_null() ? std::string() : it->dump();
        };
        p.age = sim::profile_number(text("age"));
        p.months_since_purchase = sim::profile_number(text("months_since_purchase"));
        p.prior_orders = sim::profile_number(text("prior_orders"));
        p.segment = text("segment");
        p.channel = text("channel");
      }
      ids.push_back(lead.id);
      log_odds.push_back(sim::prospect_log_odds(p));
      return true;
    });
    if (!scanned) return scanned.error();
  }
  double b = sim::calibrate_intercept(log_odds, share);
  auto out = std::make_shared<std::unordered_map<int64_t, double>>();
  out->reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) (*out)[ids[i]] = sim::logistic(b + log_odds[i]);
  return std::shared_ptr<const std::unordered_map<int64_t, double>>(std::move(out));
}

DispositionSource drawn_dispositions(const LifecyclePolicy& policy, const CampaignDayOptions& o,
                                     std::shared_ptr<const std::unordered_map<int64_t, double>> chances) {
  auto f = [](DispositionFlag x) { return static_cast<uint8_t>(x); };
  const uint8_t terminal = f(DispositionFlag::kSuccess) | f(DispositionFlag::kDoNotCall) |
                           f(DispositionFlag::kBadNumber) | f(DispositionFlag::kCallback);
  std::string success = first_code(policy, f(DispositionFlag::kSuccess), 0);
  std::string dnc = first_code(policy, f(DispositionFlag::kDoNotCall), 0);
  std::string callback = first_code(policy, f(DispositionFlag::kCallback), f(DispositionFlag::kSuccess));
  std::string refusal =
      first_code(policy, f(DispositionFlag::kFinal) | f(DispositionFlag::kContact), terminal);
  std::string retry = first_code(policy, f(DispositionFlag::kHumanAnswered),
                                 terminal | f(DispositionFlag::kFinal) | f(DispositionFlag::kContact));
  if (retry.empty()) retry = refusal;
  uint64_t seed = o.seed;
  double s1 = o.success_share, s2 = s1 + o.dnc_share, s3 = s2 + o.callback_share, s4 = s3 + o.refusal_share;
  return [=](const dialer::AttemptResult& r) {
    double u = static_cast<double>(mix(seed ^ mix(r.attempt_id)) >> 11) * 0x1.0p-53;
    // The lead's own chance of success; the other kinds keep their shares
    // of the rest (with the mean chance, the draw is the flat one).
    auto it = chances->find(r.lead.lead_id);
    double p = it == chances->end() ? s1 : it->second;
    if (u < p) u = u * s1 / p;
    else u = s1 + (u - p) * (1 - s1) / (1 - p);
    const std::string* pick = &retry;
    if (u < s1) pick = &success;
    else if (u < s2) pick = &dnc;
    else if (u < s3) pick = &callback;
    else if (u < s4) pick = &refusal;
    return pick->empty() ? retry : *pick;
  };
}

// Enrolls the list's leads that the campaign's segment matches.
Result<int64_t> enroll_segment(store::Store& store, store::CampaignStore& campaigns, const DialCampaign& campaign,
                               int64_t list_id, Instant now) {
  auto lists = store.lists();
  if (!lists) return lists.error();
  auto it = std::find_if(lists->begin(), lists->end(), [&](const store::ListInfo& l) { return l.id == list_id; });
  if (it == lists->end()) return make_error("no_such_list", "no lead list with id " + std::to_string(list_id));
  store::LeadFilter filter;
  filter.tenant = it->tenant;
  filter.list = it->name;
  filter.country = campaign.where->required_country();
  filter.region = campaign.where->required_region();
  std::vector<int64_t> ids;
  auto s = store.scan_leads(filter, [&](const store::Lead& l) {
    if (campaign.where->matches(l)) ids.push_back(l.id);
    return true;
  });
  if (!s) return s.error();
  return campaigns.enroll_leads(campaign.id, ids, now);
}

}  // namespace

Result<CampaignDayReport> run_campaign_day(store::Store& store, store::CampaignStore& campaigns,
                                           const compliance::Engine& engine, const phone::TimeZoneTable& zones,
                                           const phone::NanpRegions& nanp, const DialCampaign& campaign,
                                           int64_t list_id, const sim::Scenario& scenario,
                                           const CampaignDayOptions& options) {
  CampaignDayReport out;
  out.registries_assumed = campaign.registries == RegistryFacts::kAssumeFresh;
  const Instant start = options.start;
  const Instant end = start + secs(options.hours * 3600.0);

  Result<int64_t> enrolled = campaign.where ? enroll_segment(store, campaigns, campaign, list_id, start)
                                            : campaigns.enroll_list(campaign.id, list_id, start);
  if (!enrolled) return enrolled.error();
  out.enrolled = *enrolled;

  auto saved = campaigns.load_ledger(campaign.id);
  if (!saved) return saved.error();
  Result<dialer::AbandonmentLedger> ledger = make_error("none", "");
  if (saved->has_value()) {
    ledger = dialer::AbandonmentLedger::restore(**saved, "the saved abandonment ledger of " + campaign.name);
  } else {
    auto window = dialer::parse_abandonment_window(scenario.window);
    if (!window) return window.error();
    ledger = dialer::AbandonmentLedger::create(*window, scenario.time_zone);
  }
  if (!ledger) return ledger.error();

  std::unordered_set<uint64_t> dnc;
  if (auto s = store.dnc_phones(campaign.tenant, [&](uint64_t p) { dnc.insert(p); }); !s) return s.error();

  VirtualClock clock(start);
  sim::EventLoop loop(clock);
  sim::World world(scenario, loop, start, options.seed);
  telephony::sim::SimOptions sim_options;
  sim_options.message_length = secs(scenario.message_s);
  sim_options.far_end_patience = secs(scenario.patience_s);
  telephony::sim::SimTelephony telephony(clock, loop, world, sim_options);

  compliance::NumberResolver resolver(engine, zones, nanp);
  LeadBook book;
  StoreHopper hopper(store, campaigns, resolver, book, campaign, options.owner);
  ComplianceGate gate(engine, book, campaign, std::move(dnc));
  auto chances = success_chances(store, list_id, options.success_share);
  if (!chances) return chances.error();
  StoreAttemptSink sink(store, campaigns, book, gate, campaign, options.owner,
                        drawn_dispositions(campaign.policy, options, std::move(*chances)));

  dialer::DialerConfig config;
  config.campaign_id = campaign.id;
  config.mode = options.mode;
  config.caller_id = 12025550100ull;
  config.ring_timeout = secs(scenario.ring_timeout_s);
  config.grace = secs(scenario.grace_s);
  dialer::Dialer dialer(config, clock, loop, telephony, hopper, gate, sink, world, std::move(*ledger));
  world.set_dialer(&dialer);
  world.staff(options.agents);
  dialer.start();
  loop.run_until(end);
  dialer.stop();
  sim::AgentTime t = world.agent_time(end);
  // Let the calls in progress finish so that their attempts are stored.
  loop.run_until(end + std::chrono::minutes(10));

  if (auto s = hopper.release_unused(); !s) return s.error();
  if (!hopper.last_error().ok()) return hopper.last_error().error();
  out.window = dialer.window_totals();
  out.abandonment_limit = dialer.ledger().limit();
  if (auto s = campaigns.save_ledger(campaign.id, dialer.ledger().save(), clock.now()); !s) return s.error();
  auto states = campaigns.state_counts(campaign.id);
  if (!states) return states.error();
  out.lead_states = *states;
  out.sink = sink.counts();
  if (out.sink.store_errors) return make_error("store_error", out.sink.first_error);

  const dialer::DialerStats& s = dialer.stats();
  out.personal_callbacks_dialed = s.personal_callbacks_dialed;
  out.personal_callbacks_connected = s.personal_callbacks_connected;
  out.personal_callbacks_deferred = s.personal_callbacks_deferred;
  sim::Report& r = out.sim;
  r.scenario = scenario.name;
  r.mode = options.mode.to_string();
  r.agents = options.agents;
  r.hours = options.hours;
  r.seed = options.seed;
  r.dials = s.dials;
  r.live_answers = s.live_answers;
  r.abandoned = s.abandoned;
  r.contacts = s.connected;
  r.machines = s.machines;
  r.busy = s.busy;
  r.no_answers = s.no_answer;
  r.failed = s.failed;
  r.abandonment_rate = s.live_answers ? static_cast<double>(s.abandoned) / static_cast<double>(s.live_answers) : 0.0;
  r.peak_abandonment_rate = s.peak_rate_after_warmup;
  r.peak_after_answers = config.peak_rate_warmup_answers;
  r.agent_hours = t.logged_in_s / 3600.0;
  r.utilization_busy = t.logged_in_s > 0 ? (t.talk_s + t.wrap_s) / t.logged_in_s : 0.0;
  r.utilization_talk = t.logged_in_s > 0 ? t.talk_s / t.logged_in_s : 0.0;
  r.mean_answer_wait_s = s.connected ? s.total_answer_wait_s / static_cast<double>(s.connected) : 0.0;
  r.blocked_by_reason = s.blocked_by_reason;
  r.predicted_abandons = s.predicted_abandons;
  r.events = loop.executed();
  return out;
}

std::string format_text(const CampaignDayReport& r) {
  std::string out = sim::format_text(r.sim);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "dispositions: contacts %llu, successes %llu, added to the internal do-not-call list %llu\n"
                "abandonment window: %llu abandoned of %llu live answers\n",
                static_cast<unsigned long long>(r.sink.contacts), static_cast<unsigned long long>(r.sink.successes),
                static_cast<unsigned long long>(r.sink.dnc_added),
                static_cast<unsigned long long>(r.window.abandoned),
                static_cast<unsigned long long>(r.window.live_answers));
  out += buf;
  out += r.sim.abandonment_rate <= r.abandonment_limit ? "abandonment within the " : "abandonment ABOVE the ";
  std::snprintf(buf, sizeof buf, "%.2f%% limit\n", 100 * r.abandonment_limit);
  out += buf;
  std::snprintf(buf, sizeof buf,
                "personal callbacks: %llu dialed for their agent, %llu connected to them, %llu given back\n",
                static_cast<unsigned long long>(r.personal_callbacks_dialed),
                static_cast<unsigned long long>(r.personal_callbacks_connected),
                static_cast<unsigned long long>(r.personal_callbacks_deferred));
  out += buf;
  out += "lead states:";
  for (const auto& [state, n] : r.lead_states) out += " " + state + " " + std::to_string(n);
  out += "\n";
  if (r.registries_assumed)
    out += "note: registries were treated as loaded and fresh with no members (simulation)\n";
  return out;
}

std::string format_json(const CampaignDayReport& r) {
  nlohmann::json j = nlohmann::json::parse(sim::format_json(r.sim));
  j["connected"] = r.sim.contacts;
  j["contacts"] = r.sink.contacts;
  j["successes"] = r.sink.successes;
  j["dnc_added"] = r.sink.dnc_added;
  j["lead_states"] = r.lead_states;
  j["window_live_answers"] = r.window.live_answers;
  j["window_abandoned"] = r.window.abandoned;
  j["abandonment_limit"] = r.abandonment_limit;
  j["abandonment_within_limit"] = r.sim.abandonment_rate <= r.abandonment_limit;
  j["registries_assumed"] = r.registries_assumed;
  j["enrolled"] = r.enrolled;
  j["personal_callbacks_dialed"] = r.personal_callbacks_dialed;
  j["personal_callbacks_connected"] = r.personal_callbacks_connected;
  j["personal_callbacks_deferred"] = r.personal_callbacks_deferred;
  return j.dump(2);
}

}  // namespace telemark::campaign
