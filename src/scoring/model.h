// Model: a trained lead-scoring model, its file format, and prediction.
//
// A Model is the FeatureSpec (how columns become features, see features.h)
// plus the XGBoost trees (booster.h) plus what it predicts (target column,
// positive value) and a summary of its training. It scores any Table that
// has the spec's columns: a CSV file's rows (apply.h) or, later, rows built
// from stored leads. Categories unseen at training time score as "other";
// text in a numeric column scores as missing; both are counted in
// Predictions::issues for the caller to report.
//
// File format (version 1): one JSON document
//   {"format": "telemark-score-model", "version": 1, "target": ..., "positive": ...,
//    "features": {...}, "training": {...},
//    "booster": {"encoding": "xgboost-ubj-base64", "bytes": N, "fnv1a64": "...", "data": "..."}}
// The booster is XGBoost's UBJSON model, base64-encoded, with a checksum;
// loading checks format, version, checksum and that the trees and the
// feature spec agree. Saving and loading round-trip exactly (same scores).
//
// Thread-safety: predict() may be called from several threads at once (the
// XGBoost engine serializes on an internal mutex). Move-only.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/result.h"
#include "scoring/booster.h"
#include "scoring/features.h"
#include "scoring/table.h"

namespace telemark::scoring {

inline constexpr int kModelFormatVersion = 1;
inline constexpr std::string_view kModelFormatName = "telemark-score-model";

struct ModelInfo {
  std::string target;
  std::string positive;
  std::string id_column;
  nlohmann::json training = nlohmann::json::object();  // TrainReport summary
};

enum class PredictEngine : uint8_t { kCompiled, kXGBoost };

struct PredictOptions {
  int nthread = 2;
  PredictEngine engine = PredictEngine::kCompiled;
};

struct Predictions {
  std::vector<float> scores;  // one probability per table row
  std::vector<ColumnEncodeIssue> issues;
};

class Model {
 public:
  // Errors when the trees cannot be compiled or disagree with the spec.
  static Result<Model> create(FeatureSpec spec, Booster booster, ModelInfo info);
  static Result<Model> load(const std::string& path);
  // `name` is used in messages (a path).
  static Result<Model> parse(std::string_view text, const std::string& name);

  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;
  ~Model();

  Status save(const std::string& path) const;  // written to a temporary file, then renamed
  Result<std::string> serialize() const;

  Result<Predictions> predict(const Table& table, const PredictOptions& options = {}) const;
  // Scores rows already encoded by this model's spec (row-major).
  void predict_encoded(const float* data, size_t rows, float* out) const;

  const FeatureSpec& spec() const { return spec_; }
  const ModelInfo& info() const { return info_; }
  ModelInfo& info() { return info_; }
  const Booster& booster() const { return booster_; }
  size_t trees() const { return forest_.trees(); }

 private:
  Model(FeatureSpec spec, Booster booster, CompiledForest forest, ModelInfo info);

  FeatureSpec spec_;
  Booster booster_;
  CompiledForest forest_;
  ModelInfo info_;
  std::unique_ptr<std::mutex> booster_mutex_;
};

// base64 (RFC 4648, with padding); decode errors on any other character.
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);
uint64_t fnv1a64(std::string_view bytes);

}  // namespace telemark::scoring
