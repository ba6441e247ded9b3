// The production dialing path on a SQLite store: a simulated campaign day
// through the hopper, the compliance gate and the store sink; and a
// restart, where the abandonment accounting continues from the store.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <numeric>
#include <set>

#include "base/paths.h"
#include "base/time.h"
#include "campaign/campaign_day.h"
#include "campaign/definition.h"
#include "compliance/rules.h"
#include "phone/phone.h"
#include "sim/scenario.h"

namespace telemark::campaign {
namespace {

constexpr const char* kDefinition =
    "name = \"spring\"\ntenant = \"acme\"\npurpose = \"sales\"\ncountries = [\"US\"]\nlist = \"leads\"\n";

class DialTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/telemark-dial-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/t.db";
    auto s = store::Store::open(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
    std::vector<store::Lead> leads;
    for (int i = 0; i < 600; ++i) {
      store::Lead l;
      l.phone = 12125550000ull + static_cast<uint64_t>(i);
      l.phone_raw = "+" + std::to_string(l.phone);
      l.number_type = "fixed_line";
      l.time_zones = "America/New_York";
      l.country = "US";
      l.region = "NY";
      l.source_line = static_cast<uint64_t>(i + 2);
      if (i % 3 == 0) l.score = 0.1 * (i % 10);
      leads.push_back(l);
    }
    auto w = store_->begin_import("acme", "leads", store::ImportRun{});
    ASSERT_TRUE(w.ok()) << w.error().message;
    ASSERT_TRUE((*w)->append(leads).ok());
    list_id_ = (*w)->list_id();
    store::ImportRun counts;
    counts.rows = counts.imported = 600;
    ASSERT_TRUE((*w)->commit(counts).ok());
    auto rec = store_->put_campaign("acme", "spring", kDefinition);
    ASSERT_TRUE(rec.ok()) << rec.error().message;

    auto rules = compliance::RuleSet::load_directory(home_path("rules"));
    ASSERT_TRUE(rules.ok());
    engine_ = std::make_unique<compliance::Engine>(*rules);
    auto def = parse_campaign_definition(kDefinition, "spring.toml");
    ASSERT_TRUE(def.ok());
    campaign_.id = rec->id;
    campaign_.tenant = "acme";
    campaign_.name = "spring";
    campaign_.rules = *compile_campaign(*def, **rules);
    campaign_.policy = *lifecycle_policy(*def);
    campaign_.registries = RegistryFacts::kAssumeFresh;
    auto zones = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    auto nanp = phone::NanpRegions::load(home_path("data/nanp-area-code-regions.tsv"));
    ASSERT_TRUE(zones.ok() && nanp.ok());
    zones_ = *zones;
    nanp_ = *nanp;
    auto sc = sim::load_scenario(home_path("data/scenarios/campaign-day.toml"));
    ASSERT_TRUE(sc.ok()) << sc.error().message;
    scenario_ = *sc;
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Result<CampaignDayReport> day(Instant start, double hours, uint64_t seed) {
    auto cs = store::CampaignStore::open(path_);
    if (!cs) return cs.error();
    CampaignDayOptions o;
    o.agents = 5;
    o.hours = hours;
    o.seed = seed;
    o.start = start;
    return run_campaign_day(*store_, **cs, *engine_, *zones_, *nanp_, campaign_, list_id_, scenario_, o);
  }
  Result<CampaignDayReport> day_with(Instant start, const CampaignDayOptions& base) {
    auto cs = store::CampaignStore::open(path_);
    if (!cs) return cs.error();
    CampaignDayOptions o = base;
    o.start = start;
    return run_campaign_day(*store_, **cs, *engine_, *zones_, *nanp_, campaign_, list_id_, scenario_, o);
  }
  // Enrolls the list and makes `lead_id` a callback promised by `agent`, due at `due`.
  void promise_callback(int64_t lead_id, uint32_t agent, Instant due) {
    auto cs = store::CampaignStore::open(path_);
    ASSERT_TRUE(cs.ok());
    ASSERT_TRUE((*cs)->enroll_list(campaign_.id, list_id_, due).ok());
    store::LeadUpdate u;
    u.state = "follow_up";
    u.attempts = 1;
    u.last_outcome = "callback";
    u.next_call_at = due;
    u.callback_agent = agent;
    ASSERT_TRUE((*cs)->conclude(campaign_.id, lead_id, u).ok());
  }
  Instant start() const { return *parse_iso8601(scenario_.start); }
  std::vector<int64_t> scan_list(int64_t list_id) {
    std::vector<int64_t> ids;
    store::LeadFilter f;
    (void)store_->scan_leads(f, [&](const store::Lead& l) {
      if (l.list_id == list_id) ids.push_back(l.id);
      return true;
    });
    return ids;
  }

  std::string dir_, path_;
  std::unique_ptr<store::Store> store_;
  int64_t list_id_ = 0;
  std::unique_ptr<compliance::Engine> engine_;
  DialCampaign campaign_;
  std::shared_ptr<const phone::TimeZoneTable> zones_;
  std::shared_ptr<const phone::NanpRegions> nanp_;
  sim::Scenario scenario_;
};

TEST_F(DialTest, CampaignDayWritesAttemptsStatesAndTheInternalList) {
  auto r = day(start(), 1.0, 7);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->enrolled, 600);
  EXPECT_GT(r->sim.dials, 100u);
  EXPECT_GT(r->sim.live_answers, 20u);
  EXPECT_LE(r->sim.abandonment_rate, 0.03);
  EXPECT_GT(r->sim.utilization_busy, 0.3);
  EXPECT_TRUE(r->sim.blocked_by_reason.empty());  // registries assumed, inside calling hours

  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  auto attempts = (*cs)->attempts(campaign_.id, std::nullopt);
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(attempts->size(), r->sink.attempts);
  EXPECT_GE(attempts->size(), r->sim.dials);
  int64_t total = 0;
  for (const auto& [state, n] : r->lead_states) total += n;
  EXPECT_EQ(total, 600);
  EXPECT_EQ(r->lead_states["won"], static_cast<int64_t>(r->sink.successes));
  EXPECT_EQ(r->lead_states["do_not_call"], static_cast<int64_t>(r->sink.dnc_added));
  auto on_list = store_->count_dnc("acme");
  ASSERT_TRUE(on_list.ok());
  EXPECT_EQ(*on_list, static_cast<int64_t>(r->sink.dnc_added));
  EXPECT_GT(r->lead_states["in_progress"], 0);  // busy, no answer, machine: retried later
  // Every lead that was dialed is no longer new and not leased; every
  // attempt has its gate receipt and an outcome.
  // Each attempt is linked to its full decision receipt, stored first.
  store::ReceiptFilter rf;
  rf.campaign = "spring";
  auto receipts = store_->receipts(rf);
  ASSERT_TRUE(receipts.ok()) << receipts.error().message;
  EXPECT_EQ(receipts->size(), attempts->size());
  EXPECT_EQ(r->sink.receipts, attempts->size());
  std::map<int64_t, const store::DecisionReceipt*> by_id;
  for (const auto& rc : *receipts) by_id[rc.id] = &rc;
  for (const auto& a : *attempts) {
    ASSERT_TRUE(by_id.count(a.receipt_id)) << "attempt " << a.id << " has no stored receipt";
    const store::DecisionReceipt& rc = *by_id[a.receipt_id];
    EXPECT_EQ(rc.lead_id, a.lead_id);
    EXPECT_EQ(rc.verdict, "callable");
    EXPECT_EQ(rc.decided_at, a.started_at);
    EXPECT_EQ(rc.tenant, "acme");
    EXPECT_FALSE(rc.rule_packs.empty());
    EXPECT_FALSE(rc.local_times.empty());
  }
  for (const auto& a : *attempts) {
    EXPECT_EQ(a.receipt.rfind("callable", 0), 0u) << a.receipt;
    EXPECT_NE(a.outcome, "dialing");
    auto lead = (*cs)->get(campaign_.id, a.lead_id);
    ASSERT_TRUE(lead.ok() && lead->has_value());
    EXPECT_NE((*lead)->state, "new");
    EXPECT_EQ((*lead)->lease_owner, "");
  }
  std::string json = format_json(*r);
  for (const char* key : {"\"dials\"", "\"live_answers\"", "\"abandoned\"", "\"abandonment_rate\"",
                          "\"utilization_busy\"", "\"utilization_talk\"", "\"blocked_by_reason\"", "\"contacts\"",
                          "\"successes\"", "\"registries_assumed\": true", "\"abandonment_within_limit\": true"})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  EXPECT_NE(format_text(*r).find("registries were treated as loaded and fresh"), std::string::npos);
}

// A registry the rules need is not loaded: nothing is dialed; each lead
// refused keeps its state, is looked at again a day later (the operator
// can load the registry meanwhile), and its refusal is a stored receipt.
TEST_F(DialTest, RegistriesNotLoadedBlockEveryDial) {
  campaign_.registries = RegistryFacts::kNone;
  auto r = day(start(), 0.25, 3);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sim.dials, 0u);
  uint64_t blocked = r->sim.blocked_by_reason["registry_missing:us-dnc"];
  EXPECT_GT(blocked, 0u);
  EXPECT_FALSE(r->registries_assumed);

  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  store::ReceiptFilter rf;
  rf.campaign = "spring";
  auto receipts = store_->receipts(rf);
  ASSERT_TRUE(receipts.ok());
  EXPECT_EQ(receipts->size(), blocked);
  for (const auto& rc : *receipts) {
    EXPECT_EQ(rc.verdict, "blocked");
    EXPECT_EQ(rc.reasons, std::vector<std::string>{"registry_missing:us-dnc"});
    auto lead = (*cs)->get(campaign_.id, rc.lead_id);
    ASSERT_TRUE(lead.ok() && lead->has_value());
    EXPECT_EQ((*lead)->state, "new");
    EXPECT_EQ((*lead)->last_outcome, "blocked:registry_missing:us-dnc");
    ASSERT_TRUE((*lead)->next_call_at);
    EXPECT_EQ(*(*lead)->next_call_at, rc.decided_at + std::chrono::hours(24));
    EXPECT_EQ((*lead)->lease_owner, "");
  }
}

// Numbers on the tenant's internal list (put there by another campaign or
// a web form after the list was enrolled) end as do_not_call for good.
TEST_F(DialTest, LeadsOnTheInternalListEndAsDoNotCall) {
  std::vector<store::DncAdd> adds;
  for (int i = 0; i < 600; i += 60) adds.push_back({12125550000ull + static_cast<uint64_t>(i), "asked", "web form"});
  ASSERT_TRUE(store_->add_dnc("acme", adds).ok());
  auto r = day(start(), 1.0, 5);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sim.blocked_by_reason["internal_dnc"], adds.size());
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  std::set<uint64_t> listed;
  for (const auto& a : adds) listed.insert(a.phone);
  int settled = 0;
  store::LeadFilter f;
  ASSERT_TRUE(store_->scan_leads(f, [&](const store::Lead& l) {
    if (!listed.count(l.phone)) return true;
    auto lead = (*cs)->get(campaign_.id, l.id);
    EXPECT_TRUE(lead.ok() && lead->has_value());
    if (lead.ok() && lead->has_value()) {
      EXPECT_EQ((*lead)->state, "do_not_call");
      EXPECT_FALSE((*lead)->next_call_at);
      EXPECT_EQ((*lead)->attempts, 0u);
      ++settled;
    }
    return true;
  }).ok());
  EXPECT_EQ(settled, static_cast<int>(adds.size()));
  EXPECT_EQ(r->lead_states["do_not_call"], static_cast<int64_t>(adds.size() + r->sink.dnc_added));
}

// The engine's history rules see attempts stored before this node leased
// the lead (another node's, or this one's before a restart): Florida's
// three sales calls in 24 hours.
TEST_F(DialTest, GateSeesStoredCallHistory) {
  store::Lead l;
  l.phone = 13055550100ull;  // Miami: Florida
  l.phone_raw = "+13055550100";
  l.number_type = "fixed_line";
  l.country = "US";
  l.region = "FL";
  auto w = store_->begin_import("acme", "florida", store::ImportRun{});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->append(std::span<const store::Lead>(&l, 1)).ok());
  int64_t fl_list = (*w)->list_id();
  ASSERT_TRUE((*w)->commit(store::ImportRun{}).ok());
  auto rec = store_->put_campaign("acme", "florida", kDefinition);
  ASSERT_TRUE(rec.ok());
  campaign_.id = rec->id;
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  Instant now = start() + std::chrono::hours(2);
  ASSERT_TRUE((*cs)->enroll_list(campaign_.id, fl_list, now).ok());
  auto leads = scan_list(fl_list);
  ASSERT_EQ(leads.size(), 1u);
  for (int h : {3, 2, 1})
    ASSERT_TRUE((*cs)->record_attempt({0, campaign_.id, leads[0], now - std::chrono::hours(h), "busy", "", 0, false,
                                       ""}).ok());

  compliance::NumberResolver resolver(*engine_, *zones_, *nanp_);
  LeadBook book;
  StoreHopper hopper(*store_, **cs, resolver, book, campaign_, "node-2");
  ComplianceGate gate(*engine_, book, campaign_, {});
  auto lead = hopper.next(now);
  ASSERT_TRUE(lead);
  auto d = gate.check(*lead, now);
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.reasons, std::vector<std::string>{"frequency_cap"});
  ASSERT_TRUE(d.earliest_retry);
  EXPECT_EQ(*d.earliest_retry, now - std::chrono::hours(3) + std::chrono::hours(24));
}

// The sink stores no attempt, and so the dialer places no call, for a lead
// without the gate's callable decision, and records the receipt first
// when there is one.
TEST_F(DialTest, NoAttemptWithoutTheGatesCallableReceipt) {
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  Instant now = start() + std::chrono::hours(2);
  ASSERT_TRUE((*cs)->enroll_list(campaign_.id, list_id_, now).ok());
  compliance::NumberResolver resolver(*engine_, *zones_, *nanp_);
  LeadBook book;
  StoreHopper hopper(*store_, **cs, resolver, book, campaign_, "node-1");
  ComplianceGate gate(*engine_, book, campaign_, {});
  StoreAttemptSink sink(*store_, **cs, book, gate, campaign_, "node-1",
                        [](const dialer::AttemptResult&) { return std::string("sale"); });
  auto lead = hopper.next(now);
  ASSERT_TRUE(lead);
  dialer::AttemptReceipt receipt{1, campaign_.id, *lead, now, "callable", 0};
  auto refused = sink.record_attempt(receipt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "no_receipt");
  auto none = (*cs)->attempts(campaign_.id, lead->lead_id);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  ASSERT_TRUE(gate.check(*lead, now).allow);
  ASSERT_TRUE(sink.record_attempt(receipt).ok());
  auto stored = (*cs)->attempts(campaign_.id, lead->lead_id);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  store::ReceiptFilter f;
  f.lead_id = lead->lead_id;
  auto receipts = store_->receipts(f);
  ASSERT_TRUE(receipts.ok());
  ASSERT_EQ(receipts->size(), 1u);
  EXPECT_EQ(stored->front().receipt_id, receipts->front().id);
  EXPECT_EQ(receipts->front().verdict, "callable");
}

TEST_F(DialTest, AbandonmentAccountingSurvivesARestart) {
  auto first = day(start(), 1.0, 11);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_GT(first->sim.live_answers, 0u);
  EXPECT_EQ(first->window.live_answers, first->sim.live_answers);
  EXPECT_EQ(first->window.abandoned, first->sim.abandoned);
  // A new process: new CampaignStore, ledger restored from the store.
  auto second = day(start() + std::chrono::hours(1), 1.0, 12);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->enrolled, 0);
  EXPECT_EQ(second->window.live_answers, first->sim.live_answers + second->sim.live_answers);
  EXPECT_EQ(second->window.abandoned, first->sim.abandoned + second->sim.abandoned);
}

// A callback agent 3 promised is dialed for agent 3 and connected to them,
// though they log in late (it is given back and comes again) and are
// talking when it comes (it waits for them).
TEST_F(DialTest, AStoredPersonalCallbackIsConnectedToItsAgent) {
  int64_t lead = scan_list(list_id_).at(17);
  promise_callback(lead, 3, start());
  scenario_.human = 1.0;  // every callee answers: the callback's call is connected
  scenario_.machine = scenario_.busy = scenario_.failed = 0;
  scenario_.login_stagger_s = 600;  // agent 3 of 5 logs in after 4 minutes
  CampaignDayOptions o;
  o.mode = dialer::DialMode::progressive();
  o.agents = 5;
  o.hours = 2;
  o.seed = 5;
  auto r = day_with(start(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->personal_callbacks_deferred, 1u) << "agent 3 was not logged in when the lead was first leased";
  EXPECT_EQ(r->personal_callbacks_dialed, 1u);
  EXPECT_EQ(r->personal_callbacks_connected, 1u);
  EXPECT_EQ(r->sim.abandoned, 0u);
  EXPECT_NE(format_text(*r).find("personal callbacks: 1 dialed for their agent, 1 connected"), std::string::npos)
      << format_text(*r);
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  auto attempts = (*cs)->attempts(campaign_.id, lead);
  ASSERT_TRUE(attempts.ok());
  ASSERT_GE(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].outcome, "connected");

  // Every callback the simulated agents agreed to belongs to the agent who
  // took the call, for the next day.
  int callbacks = 0;
  for (int64_t id : scan_list(list_id_)) {
    auto row = (*cs)->get(campaign_.id, id);
    ASSERT_TRUE(row.ok() && row->has_value());
    if ((*row)->state != "follow_up") continue;
    ++callbacks;
    EXPECT_GE((*row)->callback_agent, 1u) << "lead " << id;
    EXPECT_LE((*row)->callback_agent, 5u) << "lead " << id;
  }
  EXPECT_GT(callbacks, 0);
}

TEST_F(DialTest, APersonalCallbackWhoseAgentNeverLogsInGoesBackToTheStoreStillTheirs) {
  int64_t lead = scan_list(list_id_).at(17);
  promise_callback(lead, 9, start());  // 5 agents: agent 9 is not working today
  CampaignDayOptions o;
  o.agents = 5;
  o.hours = 1;
  o.seed = 8;
  auto r = day_with(start(), o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->personal_callbacks_deferred, 2u) << "given back, leased again, given back again";
  EXPECT_EQ(r->personal_callbacks_dialed, 0u);
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  auto attempts = (*cs)->attempts(campaign_.id, lead);
  ASSERT_TRUE(attempts.ok());
  EXPECT_TRUE(attempts->empty()) << "nobody else called agent 9's customer";
  auto row = (*cs)->get(campaign_.id, lead);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->state, "follow_up");
  EXPECT_EQ((*row)->callback_agent, 9u);
  EXPECT_EQ((*row)->lease_owner, "");
  ASSERT_TRUE((*row)->next_call_at);
  EXPECT_GT(*(*row)->next_call_at, start());
}

// The hopper's side of a personal callback: handed out with its agent,
// its lease extended while the dialer holds it, released to the retry
// time still for its agent, and handed out again with its first due time.
TEST_F(DialTest, TheHopperHoldsAndGivesBackAPersonalCallback) {
  int64_t lead = scan_list(list_id_).at(5);
  Instant due = start();
  promise_callback(lead, 4, due);
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  compliance::NumberResolver resolver(*engine_, *zones_, *nanp_);
  LeadBook book;
  StoreHopper hopper(*store_, **cs, resolver, book, campaign_, "node-1", 10, std::chrono::minutes(20));
  Instant now = due + std::chrono::minutes(1);
  auto first = hopper.next(now);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->lead_id, lead) << "due callbacks come first";
  EXPECT_EQ(first->callback_agent, 4u);
  EXPECT_EQ(first->callback_due, due);

  ASSERT_TRUE(hopper.hold(*first, now + std::chrono::minutes(45)));
  auto row = (*cs)->get(campaign_.id, lead);
  ASSERT_TRUE(row.ok() && row->has_value());
  ASSERT_TRUE((*row)->lease_expires_at);
  EXPECT_GT(*(*row)->lease_expires_at, now + std::chrono::minutes(45)) << "the lease outlives the hold";

  Instant retry = now + std::chrono::minutes(50);
  hopper.give_back(*first, retry);
  ASSERT_TRUE(hopper.last_error().ok());
  row = (*cs)->get(campaign_.id, lead);
  ASSERT_TRUE(row.ok() && row->has_value());
  EXPECT_EQ((*row)->lease_owner, "");
  EXPECT_EQ((*row)->callback_agent, 4u);
  EXPECT_EQ((*row)->state, "follow_up");
  EXPECT_EQ((*row)->next_call_at, std::chrono::floor<std::chrono::seconds>(retry));
  EXPECT_FALSE(hopper.hold(*first, retry)) << "given back: no longer ours";

  ASSERT_TRUE(hopper.release_unused().ok());
  auto again = hopper.next(retry + std::chrono::minutes(1));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->lead_id, lead);
  EXPECT_EQ(again->callback_agent, 4u);
  EXPECT_EQ(again->callback_due, due) << "the fallback counts from the first due time";
}

// Day one's callbacks belong to the agents who agreed to them; on day two
// they are dialed for those agents.
TEST_F(DialTest, TheNextDaysCallbacksAreRoutedToTheirAgents) {
  auto first = day(start(), 1.0, 21);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->personal_callbacks_dialed, 0u);
  auto second = day(start() + std::chrono::hours(24), 1.5, 22);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_GT(second->personal_callbacks_dialed, 0u);
  EXPECT_LE(second->personal_callbacks_connected, second->personal_callbacks_dialed);
}

}  // namespace
}  // namespace telemark::campaign
