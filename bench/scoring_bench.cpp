// bench_scoring: how fast Telemark learns and applies a lead score.
//
// On a synthetic outcomes table (default 1,000,000 rows, 20 feature columns
// shaped like a bank's telemarketing file, see scoring/synthetic.h):
// - training time (one run: early-stopped XGBoost, no cross-validation);
// - scoring from an in-memory table (feature encoding + trees), against
//   XGBoost's own predictor on the same rows (baseline), median of runs;
// - scoring a CSV file into another (score apply), against only parsing the
//   same CSV file (baseline), median of runs.
// Usage: bench_scoring [--rows N] [--train-rows N] [--runs N] [--threads N]
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "scoring/apply.h"
#include "scoring/synthetic.h"
#include "scoring/train.h"

using namespace telemark::scoring;
using telemark::Status;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Median wall time of `runs` runs; *cpu gets the median CPU time (all
// threads), which on a machine shared with other work shows what the code
// costs rather than how much of the machine it got.
template <class F>
double median_seconds(int runs, F&& f, double* cpu = nullptr) {
  std::vector<double> t, c;
  for (int i = 0; i < runs; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    double c0 = cpu_seconds();
    f();
    c.push_back(cpu_seconds() - c0);
    t.push_back(seconds_since(t0));
  }
  std::sort(t.begin(), t.end());
  std::sort(c.begin(), c.end());
  if (cpu) *cpu = c[c.size() / 2];
  return t[t.size() / 2];
}

std::string load_average() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) < 1) return "unknown";
  return fmt::format("{:.1f}", l[0]);
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_scoring: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1000000, train_rows = 0;
  int runs = 5, threads = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rows")) rows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--train-rows")) train_rows = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    else die(fmt::format("unknown option {}", argv[i]));
  }
  if (!train_rows) train_rows = rows;

  SyntheticOptions so;
  so.rows = rows;
  so.seed = 1;
  so.noise_columns = 1;  // 19 bank-like columns + 1 of noise = 20 features (plus the id and the target)
  auto t0 = std::chrono::steady_clock::now();
  SyntheticTable data = make_synthetic(so);
  std::printf("bench_scoring: %llu rows, %zu columns (20 features, customer_id, y), built in %.1f s; %d threads\n",
              static_cast<unsigned long long>(rows), data.table.columns(), seconds_since(t0), threads);

  // Training.
  SyntheticTable train_data = train_rows == rows ? SyntheticTable{} : make_synthetic([&] {
    SyntheticOptions t = so;
    t.rows = train_rows;
    t.seed = 2;
    return t;
  }());
  const Table& train_table = train_rows == rows ? data.table : train_data.table;
  TrainOptions o;
  o.target = "y";
  o.positive = "yes";
  o.id_column = "customer_id";
  o.folds = 0;
  o.booster.nthread = threads;
  t0 = std::chrono::steady_clock::now();
  auto trained = train_model(train_table, o);
  double train_s = seconds_since(t0);
  if (!trained.ok()) die(trained.error().message);
  const Model& model = trained->model;
  std::printf("train: %.1f s on %llu rows (%zu encoded features, %zu trees of depth <= %d, validation AUC %.4f)\n",
              train_s, static_cast<unsigned long long>(train_table.rows()), model.spec().feature_count(), model.trees(),
              o.booster.max_depth, trained->report.validation_auc);

  // Scoring an in-memory table.
  PredictOptions fast;
  fast.nthread = threads;
  PredictOptions xgb = fast;
  xgb.engine = PredictEngine::kXGBoost;
  std::vector<float> scores;
  double fast_cpu = 0, xgb_cpu = 0;
  double fast_s = median_seconds(runs, [&] {
    auto p = model.predict(data.table, fast);
    if (!p.ok()) die(p.error().message);
    scores = std::move(p->scores);
  }, &fast_cpu);
  std::vector<float> ref;
  double xgb_s = median_seconds(std::max(1, runs / 2), [&] {
    auto p = model.predict(data.table, xgb);
    if (!p.ok()) die(p.error().message);
    ref = std::move(p->scores);
  }, &xgb_cpu);
  double max_diff = 0;
  for (size_t i = 0; i < scores.size(); ++i) max_diff = std::max(max_diff, static_cast<double>(std::abs(scores[i] - ref[i])));
  std::vector<float> truth(data.probability.begin(), data.probability.end());
  std::printf("score in memory (encode + trees): %.2f M rows/s (median %.3f s) | baseline XGBoost's predictor "
              "(encode + XGBoosterPredictFromDMatrix): %.2f M rows/s -> %.1fx (max |diff| %.1g)\n",
              static_cast<double>(rows) / fast_s / 1e6, fast_s, static_cast<double>(rows) / xgb_s / 1e6, xgb_s / fast_s,
              max_diff);
  std::printf("  CPU time: %.3f s for the compiled trees, %.3f s for XGBoost's predictor: %.2f M rows per "
              "CPU-second, %.2f M rows/s on %d dedicated cores (load average %s)\n",
              fast_cpu, xgb_cpu, static_cast<double>(rows) / fast_cpu / 1e6,
              static_cast<double>(rows) / fast_cpu / 1e6 * threads, threads, load_average().c_str());
  std::printf("  AUC on these (training) rows: model %.4f, ground truth %.4f\n", auc(scores, data.label), auc(truth, data.label));

  // CSV in, CSV out.
  std::string dir = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
  std::string in = dir + "/bench_scoring_in.csv", out = dir + "/bench_scoring_out.csv";
  if (Status s = write_table_csv(data.table, in, ';', true); !s.ok()) die(s.error().message);
  int csv_runs = std::max(1, std::min(runs, 3));
  double parse_s = median_seconds(csv_runs, [&] {
    auto r = TableChunkReader::open(in, {});
    if (!r.ok()) die(r.error().message);
    Table chunk;
    TableChunkReader::RawRows raw;
    for (;;) {
      auto n = (*r)->next_chunk(chunk, 65536, &raw);
      if (!n.ok()) die(n.error().message);
      if (*n == 0) break;
    }
  });
  ApplyOptions ao;
  ao.input = in;
  ao.output = out;
  ao.predict = fast;
  double apply_s = median_seconds(csv_runs, [&] {
    auto r = apply_csv(model, ao);
    if (!r.ok()) die(r.error().message);
  });
  std::printf("apply CSV -> CSV: %.2f M rows/s (median %.2f s) | baseline parsing the CSV into tables only: %.2f M "
              "rows/s -> apply takes %.2fx the parse time\n",
              static_cast<double>(rows) / apply_s / 1e6, apply_s, static_cast<double>(rows) / parse_s / 1e6,
              apply_s / parse_s);
  std::remove(in.c_str());
  std::remove(out.c_str());
  return 0;
}
