// Lead scoring on a campaign's own history, end to end on a SQLite store:
// a generated list (with prospect profiles) imported, a simulated campaign
// day whose successes follow the ground truth of sim/prospect.h, a model
// trained on the calls that reached an agent (score train --campaign),
// compared with the ground truth's own AUC, then the list scored in the
// store (score apply --list) so the hopper calls the best-scored first.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/paths.h"
#include "base/time.h"
#include "campaign/campaign_day.h"
#include "campaign/definition.h"
#include "compliance/rules.h"
#include "leads/generator.h"
#include "leads/import.h"
#include "phone/phone.h"
#include "scoring/lead_table.h"
#include "scoring/metrics.h"
#include "scoring/train.h"
#include "sim/prospect.h"
#include "sim/scenario.h"

namespace telemark::campaign {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefinition =
    "name = \"spring\"\ntenant = \"acme\"\npurpose = \"sales\"\ncountries = [\"US\", \"CA\", \"GB\", \"IT\"]\n"
    "list = \"leads\"\n";

class ScoreHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("telemark-score-history-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    auto s = store::Store::open(path_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
    auto zones = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    auto nanp = phone::NanpRegions::load(home_path("data/nanp-area-code-regions.tsv"));
    ASSERT_TRUE(zones.ok() && nanp.ok());
    zones_ = *zones;
    nanp_ = *nanp;

    leads::GeneratorOptions g;
    g.rows = 8000;
    g.seed = 11;
    g.ragged = false;
    const std::string csv = (dir_ / "leads.csv").string();
    ASSERT_TRUE(leads::generate_leads_csv(csv, g).ok());
    leads::ImportOptions io;
    io.file = csv;
    io.list = "leads";
    io.tenant = "acme";
    io.default_region = "US";
    phone::PhoneNormalizer normalizer;
    auto imported = leads::import_leads(*store_, normalizer, *zones_, io);
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    auto list = store_->find_list("acme", "leads");
    ASSERT_TRUE(list.ok() && list->has_value());
    list_id_ = (*list)->id;

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
    for (const auto& d : campaign_.policy.dispositions)
      if (d.has(DispositionFlag::kSuccess)) success_.insert(d.code);
    auto sc = sim::load_scenario(home_path("data/scenarios/campaign-day.toml"));
    ASSERT_TRUE(sc.ok()) << sc.error().message;
    scenario_ = *sc;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  // The ground truth's log-odds of a stored lead.
  double truth(const store::Lead& lead) {
    auto j = nlohmann::json::parse(lead.attributes_json);
    auto text = [&](const char* k) {
      if (!j.contains(k) || j[k].is_null()) return std::string();
      return j[k].is_string() ? j[k].get<std::string>() : j[k].dump();
    };
    sim::Prospect p;
    p.age = sim::profile_number(text("age"));
    p.months_since_purchase = sim::profile_number(text("months_since_purchase"));
    p.prior_orders = sim::profile_number(text("prior_orders"));
    p.segment = text("segment");
    p.channel = text("channel");
    return sim::prospect_log_odds(p);
  }

  fs::path dir_;
  std::string path_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<const phone::TimeZoneTable> zones_;
  std::shared_ptr<const phone::NanpRegions> nanp_;
  int64_t list_id_ = 0;
  std::unique_ptr<compliance::Engine> engine_;
  DialCampaign campaign_;
  std::set<std::string> success_;
  sim::Scenario scenario_;
};

TEST_F(ScoreHistoryTest, TrainOnTheCampaignsHistoryThenScoreTheListForTheHopper) {
  auto cs = store::CampaignStore::open(path_);
  ASSERT_TRUE(cs.ok());
  // Nothing called yet: a clear error.
  auto none = scoring::campaign_history_table(*store_, **cs, campaign_.id, success_, "campaign spring");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, "no_attempts");

  CampaignDayOptions o;
  o.agents = 40;
  o.hours = 3;
  o.seed = 5;
  o.start = *parse_iso8601(scenario_.start);
  auto day = run_campaign_day(*store_, **cs, *engine_, *zones_, *nanp_, campaign_, list_id_, scenario_, o);
  ASSERT_TRUE(day.ok()) << day.error().message;

  auto history = scoring::campaign_history_table(*store_, **cs, campaign_.id, success_, "campaign spring");
  ASSERT_TRUE(history.ok()) << history.error().message;
  const scoring::Table& t = history->table;
  ASSERT_GT(t.rows(), 800u);
  EXPECT_EQ(history->successes, day->sink.successes);
  // The success rate per call that reached an agent stays near the
  // configured share, though who says yes now depends on the lead.
  ASSERT_GT(day->sim.contacts, 0u);
  double rate = static_cast<double>(day->sink.successes) / static_cast<double>(day->sim.contacts);
  EXPECT_NEAR(rate, o.success_share, 0.03);
  // Only lead columns: nothing about the campaign.
  for (const char* c : {"state", "attempts", "last_outcome", "disposition", "score"})
    EXPECT_FALSE(t.find(c)) << c;
  ASSERT_TRUE(t.find("age") && t.find("segment") && t.find("prior_orders"));

  // The ground truth's own AUC on these rows: what a perfect model would reach.
  auto label = *t.find(std::string(scoring::kHistoryLabel));
  auto id = *t.find("lead_id");
  std::vector<float> truth_scores;
  std::vector<uint8_t> labels;
  for (size_t r = 0; r < t.rows(); ++r) {
    auto lead = store_->get_lead(static_cast<int64_t>(t.column(id).number(t.column(id).code(r))));
    ASSERT_TRUE(lead.ok() && lead->has_value());
    truth_scores.push_back(static_cast<float>(truth(**lead)));
    labels.push_back(t.column(label).text(t.column(label).code(r)) == "yes");
  }
  double truth_auc = scoring::auc(truth_scores, labels);
  EXPECT_GT(truth_auc, 0.7);

  scoring::TrainOptions to;
  to.target = std::string(scoring::kHistoryLabel);
  to.positive = "yes";
  to.id_column = "lead_id";
  to.exclude = {"phone", "phone_raw", "first_name", "last_name", "email", "address"};
  to.folds = 4;
  to.booster.nthread = 2;
  auto trained = scoring::train_model(t, to);
  ASSERT_TRUE(trained.ok()) << trained.error().message;
  double model_auc = trained->report.cv.pooled_auc;
  std::printf("history: %zu leads, %llu successes; ground-truth AUC %.3f, model out-of-fold AUC %.3f\n", t.rows(),
              static_cast<unsigned long long>(history->successes), truth_auc, model_auc);
  EXPECT_GT(model_auc, 0.6);
  EXPECT_GT(model_auc, truth_auc - 0.12);
  EXPECT_LT(model_auc, truth_auc + 0.05);  // cannot beat the truth but by noise

  // What the hopper would call next, before and after scoring the list.
  auto next = [&](const std::string& owner) {
    auto leased = (*cs)->lease(campaign_.id, owner, 800, o.start + std::chrono::hours(48), std::chrono::minutes(1));
    EXPECT_TRUE(leased.ok());
    std::vector<store::CampaignLead> out = leased.ok() ? *leased : std::vector<store::CampaignLead>{};
    for (const auto& c : out) EXPECT_TRUE((*cs)->release(campaign_.id, c.lead_id, owner, std::nullopt).ok());
    return out;
  };
  auto before = next("a");
  ASSERT_EQ(before.size(), 800u);
  store::LeadFilter filter;
  filter.tenant = "acme";
  filter.list = "leads";
  scoring::LeadApplyOptions ao;
  ao.source = "list acme/leads";
  ao.chunk_rows = 1000;  // several chunks
  auto applied = scoring::apply_to_leads(trained->model, *store_, filter, ao);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  auto count = store_->count_leads(filter);
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(applied->rows, static_cast<uint64_t>(*count));
  ASSERT_EQ(applied->quantiles.size(), 11u);
  EXPECT_LT(applied->quantiles.front(), applied->quantiles.back());
  ASSERT_EQ(applied->top.size(), 10u);
  EXPECT_EQ(applied->top.front().score, applied->quantiles.back());
  for (size_t i = 1; i < applied->top.size(); ++i) EXPECT_LE(applied->top[i].score, applied->top[i - 1].score);
  auto after = next("b");
  ASSERT_EQ(after.size(), 800u);
  auto uncalled = [](const std::vector<store::CampaignLead>& v) {
    std::vector<int64_t> ids;
    for (const auto& c : v)
      if (c.state != "follow_up") ids.push_back(c.lead_id);
    return ids;
  };
  EXPECT_NE(uncalled(before), uncalled(after));
  // Callbacks due come first; then scores descend, and the leads called
  // first have far better true chances than the list on average.
  double truth_first = 0, truth_all = 0;
  size_t scored = 0;
  std::optional<double> last;
  for (const auto& c : after) {
    if (c.state == "follow_up") continue;
    ASSERT_TRUE(c.score.has_value());
    if (last) {
      EXPECT_LE(*c.score, *last);
    }
    last = c.score;
    auto lead = store_->get_lead(c.lead_id);
    ASSERT_TRUE(lead.ok() && lead->has_value());
    EXPECT_EQ((*lead)->score, c.score);
    truth_first += truth(**lead);
    ++scored;
  }
  ASSERT_GT(scored, 100u);
  size_t all = 0;
  ASSERT_TRUE(store_
                  ->scan_leads(filter,
                               [&](const store::Lead& l) {
                                 truth_all += truth(l);
                                 ++all;
                                 return true;
                               })
                  .ok());
  EXPECT_GT(truth_first / static_cast<double>(scored), truth_all / static_cast<double>(all) + 0.5);
}

}  // namespace
}  // namespace telemark::campaign
