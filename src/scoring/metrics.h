// Metrics: how good a lead score is on labelled rows.
//
// AUC (ties get half credit), the gain table by decile (rows sorted by score,
// best first: each tenth's response rate, its lift over the base rate, and
// the share of all positives found so far), lift when contacting the top
// 10 / 20 / 50 %, calibration by decile (mean predicted probability against
// the observed rate), log loss and Brier score, and the points of the ROC and
// cumulative gain curves for charts. Pure functions over scores and 0/1
// labels of equal length; thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

namespace telemark::scoring {

struct GainRow {
  int decile = 0;            // 1 = the best-scored tenth
  uint64_t rows = 0;
  uint64_t positives = 0;
  double rate = 0;           // positives / rows
  double lift = 0;           // rate / base rate
  double cumulative_gain = 0;  // share of all positives in deciles 1..this
  double cumulative_lift = 0;  // response rate of deciles 1..this / base rate
  double min_score = 0, max_score = 0;
};

struct CalibrationRow {
  int bin = 0;               // 1 = lowest predicted tenth
  uint64_t rows = 0;
  double mean_predicted = 0;
  double observed_rate = 0;
};

struct CurvePoint {
  double x = 0, y = 0;
};

struct LiftAt {
  double share = 0;          // of rows contacted, best first
  double lift = 0;           // response rate among them / base rate
  double gain = 0;           // share of all positives among them
};

struct Evaluation {
  uint64_t rows = 0;
  uint64_t positives = 0;
  double base_rate = 0;
  double auc = 0;
  double logloss = 0;
  double brier = 0;
  std::vector<GainRow> gain;
  std::vector<CalibrationRow> calibration;
  std::vector<LiftAt> lift;             // at 10 %, 20 %, 50 %
  std::vector<CurvePoint> roc;          // (false positive rate, true positive rate), at most ~500 points
  std::vector<CurvePoint> gain_curve;   // (share contacted, share of positives found), 0..1 in 1 % steps

  nlohmann::json to_json() const;
};

// Area under the ROC curve; 0.5 when there is only one class.
double auc(std::span<const float> scores, std::span<const uint8_t> labels);

// Lift and gain when contacting the top `share` of rows by score.
LiftAt lift_at(std::span<const float> scores, std::span<const uint8_t> labels, double share);

Evaluation evaluate(std::span<const float> scores, std::span<const uint8_t> labels);

}  // namespace telemark::scoring
