// Training: from a labelled outcomes Table to a Model, with an honest
// estimate of how well it will rank new prospects.
//
// train_model():
// 1. labels: rows whose target cell equals the positive value (as text, or
//    as a number: "1" = "1.0") are positives; rows with a missing target are
//    skipped and counted;
// 2. features: infer_features() over the table (label-free), minus the
//    target, the id column and --exclude columns;
// 3. leakage guard: each column alone is scored out-of-fold; a column that
//    predicts the target almost perfectly (AUC >= 0.95), a frequent value
//    that determines the label, or a column named like something known only
//    after the call (duration, disposition, outcome) gets a warning naming it
//    and the --exclude that removes it;
// 4. cross-validation: stratified k folds; each fold fits the target
//    encoding and early-stops on its own training part, then scores the
//    held-out fold (mean and sd of the folds' AUCs; lift at 10/20/50 % from
//    the pooled out-of-fold scores);
// 5. final model: a stratified validation split picks the number of rounds
//    by early stopping on log loss, then (by default) the model is refit on
//    all labelled rows with that many rounds.
// Deterministic for a seed (XGBoost's hist trees are deterministic for a
// given thread count too). Errors name the file and column.
//
// Thread-safety: train_model() uses options.booster.nthread threads inside
// XGBoost; distinct calls share nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "scoring/booster.h"
#include "scoring/metrics.h"
#include "scoring/model.h"
#include "scoring/table.h"

namespace telemark::scoring {

struct Labels {
  std::vector<uint32_t> rows;   // table rows that have a label
  std::vector<uint8_t> values;  // 1 = positive, per entry of rows
  uint64_t positives = 0;
  uint64_t unlabelled = 0;      // rows whose target cell is missing
};

// Errors: "bad_target" (no such column; the message lists the columns),
// "bad_positive" (value never seen; lists the values seen), "one_class".
Result<Labels> extract_labels(const Table& table, const std::string& target, const std::string& positive);

struct TrainOptions {
  std::string target;
  std::string positive;
  std::vector<std::string> exclude;
  std::string id_column;
  uint64_t seed = 1;
  int folds = 5;                   // < 2: no cross-validation
  double validation_share = 0.2;   // held out for early stopping
  bool refit = true;               // refit on all rows with the early-stopped number of rounds
  BoosterParams booster;           // seed is taken from `seed`
  std::function<void(const std::string&)> progress;  // one line per step, optional
};

struct LeakageWarning {
  std::string column;
  std::string kind;     // "near_perfect", "determining_value", "post_call_name"
  double single_auc = 0;
  std::string message;  // one sentence naming the column and the --exclude to use
};

struct Importance {
  std::string name;
  double share = 0;  // of the model's total split gain
};

struct CrossValidation {
  int folds = 0;
  std::vector<double> auc;
  double mean = 0, sd = 0;
  double pooled_auc = 0;
  std::vector<LiftAt> lift;  // top 10 / 20 / 50 %, from out-of-fold scores
  std::vector<int> rounds;
};

struct TrainReport {
  std::string source;
  uint64_t rows = 0;          // labelled rows used
  uint64_t positives = 0;
  uint64_t unlabelled = 0;
  std::vector<DroppedColumn> dropped;
  std::vector<std::string> excluded;
  CrossValidation cv;
  int rounds = 0;             // trees in the final model
  double validation_auc = 0;  // of the early-stopped model on its validation split
  std::vector<Importance> column_importance;   // by source column, largest first
  std::vector<Importance> feature_importance;  // by encoded feature, largest first
  std::vector<LeakageWarning> leakage;
  std::vector<double> column_single_auc;       // per spec column, out-of-fold, alone

  nlohmann::json to_json(const FeatureSpec& spec) const;
};

struct TrainResult {
  Model model;
  TrainReport report;
};

Result<TrainResult> train_model(const Table& table, const TrainOptions& options);

// Stratified assignment of entries (by label) to `folds` folds, seeded.
std::vector<uint8_t> stratified_folds(std::span<const uint8_t> labels, int folds, uint64_t seed);

}  // namespace telemark::scoring
