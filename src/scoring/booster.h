// Booster: gradient-boosted trees through XGBoost's C API, and
// CompiledForest, a fast evaluator of the same trees.
//
// Booster owns an XGBoost booster handle (binary:logistic, hist trees) and
// trains it round by round on a dense row-major float matrix (NaN =
// missing), optionally stopping early on a validation matrix's log loss and
// keeping only the best rounds. Models are saved and loaded as XGBoost's
// UBJSON buffers, which round-trip exactly.
//
// CompiledForest holds the same trees padded to one depth in flat arrays and
// walks them for 8 rows at a time without data-dependent branches (missing
// values are handled by reading a copy of the row where NaN is -inf or
// +inf, whichever way the node sends it). It exists because XGBoost 1.7's
// own predictor scores about 0.26 M rows per CPU-second on these machines,
// and the benchmark asks for a million rows a second on two cores; the
// compiled trees do about 1.5 M rows per CPU-second including feature
// encoding (bench/scoring_bench.cpp prints both). Same sums in the same
// order as XGBoost: the probabilities are equal (tests check 1e-6).
//
// Thread-safety: a Booster is not thread-safe (XGBoost handles keep
// per-call buffers); CompiledForest is immutable and safe to share.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace telemark::scoring {

struct BoosterParams {
  double eta = 0.1;
  int max_depth = 4;
  double min_child_weight = 3;
  double subsample = 0.8;
  double colsample_bytree = 0.8;
  double lambda = 1;
  double gamma = 0;
  int max_bin = 256;
  int max_rounds = 1000;
  int early_stopping_rounds = 50;
  int nthread = 2;
  uint64_t seed = 1;
  double base_score = 0.5;  // the starting probability; training sets the positive rate
};

// A dense row-major matrix with labels (0/1), borrowed.
struct DenseView {
  const float* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  const float* labels = nullptr;
};

struct TrainingCurve {
  std::vector<double> valid_logloss;  // per round, when a validation matrix was given
  int best_round = -1;                // 0-based
};

class Booster {
 public:
  Booster(Booster&&) noexcept;
  Booster& operator=(Booster&&) noexcept;
  ~Booster();

  // Trains `params.max_rounds` rounds, or with `valid` until its log loss has
  // not improved for `params.early_stopping_rounds` rounds, keeping the best.
  static Result<Booster> train(const DenseView& train, const DenseView* valid, const BoosterParams& params,
                               TrainingCurve* curve = nullptr);
  // UBJSON (or JSON) bytes from save().
  static Result<Booster> load(std::string_view bytes);

  Result<std::string> save_ubj() const;
  Result<std::string> save_json() const;
  int rounds() const;
  size_t feature_count() const;

  // Probabilities, through XGBoost's own predictor.
  Result<std::vector<float>> predict(const float* data, size_t rows, size_t cols, int nthread = 2) const;
  // Total split gain per feature index (0 for features never split on).
  Result<std::vector<double>> total_gain(size_t features) const;

 private:
  explicit Booster(void* handle) : handle_(handle) {}
  void* handle_ = nullptr;
};

class CompiledForest {
 public:
  // From XGBoost's JSON model (Booster::save_json()).
  static Result<CompiledForest> from_xgboost_json(std::string_view json);

  size_t trees() const { return trees_; }
  int depth() const { return depth_; }
  size_t feature_count() const { return features_; }
  // Probabilities of `rows` rows of a row-major matrix with `stride` floats a row.
  void predict(const float* data, size_t rows, size_t stride, float* out) const;

 private:
  size_t trees_ = 0;
  size_t features_ = 0;
  int depth_ = 0;
  float base_margin_ = 0;
  // Per tree: 2^depth - 1 internal nodes in heap order, then 2^depth leaves.
  std::vector<uint32_t> split_feature_;  // 8 * f: NaN goes left; 8 * (features + f): NaN goes right
  std::vector<float> split_threshold_;   // go right when value >= threshold
  std::vector<float> leaf_value_;
};

}  // namespace telemark::scoring
