// bench_score_store: store-backed lead scoring (`score apply --list`) on a
// list of N leads with prospect-profile attributes, all enrolled in a
// campaign, against plain SQL in the same run:
//   end to end   scoring::apply_to_leads: scan the list, build tables,
//                encode and predict, store with Store::set_lead_scores
//                (leads.score and campaign_leads.score, one transaction)
//   store write  Store::set_lead_scores alone, with the same scores
//   baseline     one SQL statement per table setting every score of the
//                list from an expression (no scores to ship): UPDATE leads
//                SET score = ... WHERE list_id = ..., and the same for
//                campaign_leads, in one transaction
// The model is trained on 20,000 of the leads with a label drawn from
// their attributes. Prints seconds and leads per second for each.
//
//   bench_score_store [--rows N] [--db LOCATION] (default: a SQLite file
//   in a temporary folder; a postgresql:// URL of an empty database works
//   too)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "scoring/lead_table.h"
#include "scoring/train.h"
#include "store/campaign_store.h"
#include "store/store.h"

namespace {

using namespace telemark;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "bench_score_store: %s\n", msg.c_str());
  std::exit(1);
}

template <class T>
T check(Result<T> r, const char* what) {
  if (!r.ok()) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
void check(const Status& s, const char* what) {
  if (!s.ok()) die(std::string(what) + ": " + s.error().message);
}

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void print(const char* what, uint64_t rows, double seconds) {
  std::printf("  %-44s %8.2f s  %12.0f leads/s\n", what, seconds, static_cast<double>(rows) / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1'000'000;
  std::string location;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) rows = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--db" && i + 1 < argc) location = argv[++i];
    else die("usage: bench_score_store [--rows N] [--db LOCATION]");
  }
  if (rows < 1000) die("--rows: at least 1000");
  std::string dir;
  if (location.empty()) {
    dir = "/tmp/telemark-bench-score-XXXXXX";
    if (!mkdtemp(dir.data())) die("cannot create a temporary folder");
    location = dir + "/t.db";
  }
  auto store = check(store::Store::open(location), "open");
  check(store->migrate(), "migrate");

  // The list: N leads with a profile, as `generate leads` + import give.
  std::mt19937_64 rng(7);
  const char* segments[] = {"consumer", "family", "business", "premium", "student"};
  const char* channels[] = {"web", "referral", "event", "cold list"};
  auto t0 = std::chrono::steady_clock::now();
  auto writer = check(store->begin_import("bench", "scored", store::ImportRun{}), "begin import");
  std::vector<store::Lead> batch;
  for (uint64_t i = 0; i < rows; ++i) {
    store::Lead l;
    l.phone = 12000000000ull + i;
    l.phone_raw = "+" + std::to_string(l.phone);
    l.number_type = "mobile";
    l.time_zones = "America/New_York";
    l.country = "US";
    l.region = "NY";
    l.source_line = i + 2;
    l.attributes_json = "{\"age\":\"" + std::to_string(20 + rng() % 55) + "\",\"segment\":\"" + segments[rng() % 5] +
                        "\",\"channel\":\"" + channels[rng() % 4] + "\",\"prior_orders\":\"" +
                        std::to_string(rng() % 6) + "\"}";
    batch.push_back(std::move(l));
    if (batch.size() == 10'000) {
      check(writer->append(batch), "append");
      batch.clear();
    }
  }
  check(writer->append(batch), "append");
  int64_t list_id = writer->list_id();
  store::ImportRun counts;
  counts.rows = counts.imported = static_cast<int64_t>(rows);
  check(writer->commit(counts), "commit");
  writer.reset();
  auto campaign = check(store->put_campaign("bench", "scored", "name = \"scored\"\n"), "campaign");
  {
    auto cs = check(store::CampaignStore::open(location), "campaign store");
    check(cs->enroll_list(campaign.id, list_id, Instant(std::chrono::seconds(1'780'000'000))), "enroll");
  }
  std::printf("setup: %llu leads imported and enrolled in %.1f s (%s)\n", static_cast<unsigned long long>(rows),
              since(t0), store->backend().c_str());

  // A model over the attributes, trained on the first 20,000 leads.
  store::LeadFilter filter;
  filter.tenant = "bench";
  filter.list = "scored";
  std::vector<std::string> columns{"age", "segment", "channel", "prior_orders", "outcome"};
  scoring::LeadTableBuilder builder({"age", "segment", "channel", "prior_orders"});
  scoring::Table train(columns);
  std::bernoulli_distribution coin(0.5);
  std::uniform_real_distribution<double> unit(0, 1);
  store::LeadFilter first = filter;
  first.limit = 20'000;
  check(store->scan_leads(first,
                          [&](const store::Lead& l) {
                            (void)builder.fill(l);
                            std::vector<std::string> row = builder.cells();
                            double p = 0.05 + 0.04 * std::atof(row[3].c_str()) + (row[1] == "premium" ? 0.1 : 0) +
                                       (row[2] == "referral" ? 0.1 : 0);
                            row.push_back(unit(rng) < p ? "yes" : "no");
                            train.append_row(std::span<const std::string>(row));
                            return true;
                          }),
        "scan");
  scoring::TrainOptions to;
  to.target = "outcome";
  to.positive = "yes";
  to.folds = 0;
  to.booster.nthread = 2;
  auto model = check(scoring::train_model(train, to), "train");
  std::printf("model: %d trees on %zu rows\n", model.report.rounds, train.rows());

  std::printf("scoring %llu stored leads:\n", static_cast<unsigned long long>(rows));
  scoring::LeadApplyOptions ao;
  ao.source = "list bench/scored";
  t0 = std::chrono::steady_clock::now();
  auto report = check(scoring::apply_to_leads(model.model, *store, filter, ao), "apply");
  double total = since(t0);
  print("end to end (score apply --list)", report.rows, total);
  print("  of which reading and building tables", report.rows, report.read_seconds);
  print("  of which encoding and predicting", report.rows, report.score_seconds);
  print("  of which storing (set_lead_scores)", report.rows, report.write_seconds);

  std::vector<store::LeadScore> scores;
  scores.reserve(rows);
  check(store->scan_leads(filter,
                          [&](const store::Lead& l) {
                            scores.push_back({l.id, *l.score * 0.5});
                            return true;
                          }),
        "read scores");
  t0 = std::chrono::steady_clock::now();
  check(store->set_lead_scores(scores), "set_lead_scores");
  print("store write alone (set_lead_scores)", rows, since(t0));

  const std::string id = std::to_string(list_id), cid = std::to_string(campaign.id);
  const bool pg = store->backend() == "postgresql";
  t0 = std::chrono::steady_clock::now();
  check(store->execute(std::string(pg ? "BEGIN" : "BEGIN IMMEDIATE") +
                       "; UPDATE leads SET score = (id % 1000) / 1000.0 WHERE list_id = " + id +
                       "; UPDATE campaign_leads SET score = (lead_id % 1000) / 1000.0 WHERE campaign_id = " + cid +
                       "; COMMIT"),
        "baseline");
  print("baseline: SQL UPDATE leads + campaign_leads", rows, since(t0));
  t0 = std::chrono::steady_clock::now();
  check(store->execute("UPDATE leads SET score = (id % 997) / 997.0 WHERE list_id = " + id), "baseline");
  print("baseline: SQL UPDATE leads alone", rows, since(t0));

  store.reset();
  if (!dir.empty()) std::filesystem::remove_all(dir);
  return 0;
}
