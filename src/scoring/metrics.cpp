#include "scoring/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

namespace telemark::scoring {
namespace {

// Row indices, best score first; equal scores keep row order so that every
// table is reproducible.
std::vector<uint32_t> order_by_score(std::span<const float> scores) {
  std::vector<uint32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] > scores[b]; });
  return order;
}

LiftAt lift_from_order(const std::vector<uint32_t>& order, std::span<const uint8_t> labels, uint64_t positives,
                       double share) {
  LiftAt out;
  out.share = share;
  const size_t n = order.size();
  size_t k = static_cast<size_t>(std::llround(share * static_cast<double>(n)));
  if (n == 0 || positives == 0 || k == 0) return out;
  uint64_t found = 0;
  for (size_t i = 0; i < k; ++i) found += labels[order[i]];
  double base = static_cast<double>(positives) / static_cast<double>(n);
  out.lift = (static_cast<double>(found) / static_cast<double>(k)) / base;
  out.gain = static_cast<double>(found) / static_cast<double>(positives);
  return out;
}

}  // namespace

double auc(std::span<const float> scores, std::span<const uint8_t> labels) {
  assert(scores.size() == labels.size());
  const size_t n = scores.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0, pos = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    double avg_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;  // 1-based average
    for (size_t k = i; k < j; ++k)
      if (labels[order[k]]) {
        rank_sum += avg_rank;
        pos += 1;
      }
    i = j;
  }
  double neg = static_cast<double>(n) - pos;
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

LiftAt lift_at(std::span<const float> scores, std::span<const uint8_t> labels, double share) {
  auto order = order_by_score(scores);
  uint64_t positives = 0;
  for (uint8_t l : labels) positives += l;
  return lift_from_order(order, labels, positives, share);
}

Evaluation evaluate(std::span<const float> scores, std::span<const uint8_t> labels) {
  assert(scores.size() == labels.size());
  Evaluation e;
  const size_t n = scores.size();
  e.rows = n;
  for (uint8_t l : labels) e.positives += l;
  if (n == 0) return e;
  e.base_rate = static_cast<double>(e.positives) / static_cast<double>(n);
  e.auc = auc(scores, labels);
  double ll = 0, brier = 0;
  for (size_t i = 0; i < n; ++i) {
    double p = std::clamp(static_cast<double>(scores[i]), 1e-15, 1 - 1e-15);
    ll -= labels[i] ? std::log(p) : std::log(1 - p);
    double d = static_cast<double>(scores[i]) - labels[i];
    brier += d * d;
  }
  e.logloss = ll / static_cast<double>(n);
  e.brier = brier / static_cast<double>(n);

  auto order = order_by_score(scores);
  // Gain table, best tenth first.
  uint64_t cum_rows = 0, cum_pos = 0;
  for (int d = 0; d < 10; ++d) {
    size_t b = n * static_cast<size_t>(d) / 10, end = n * static_cast<size_t>(d + 1) / 10;
    GainRow g;
    g.decile = d + 1;
    g.rows = end - b;
    if (g.rows == 0) continue;
    g.max_score = scores[order[b]];
    g.min_score = scores[order[end - 1]];
    for (size_t i = b; i < end; ++i) g.positives += labels[order[i]];
    cum_rows += g.rows;
    cum_pos += g.positives;
    g.rate = static_cast<double>(g.positives) / static_cast<double>(g.rows);
    g.lift = e.base_rate > 0 ? g.rate / e.base_rate : 0;
    g.cumulative_gain = e.positives ? static_cast<double>(cum_pos) / static_cast<double>(e.positives) : 0;
    g.cumulative_lift =
        e.base_rate > 0 ? (static_cast<double>(cum_pos) / static_cast<double>(cum_rows)) / e.base_rate : 0;
    e.gain.push_back(g);
  }
  // Calibration, lowest predicted tenth first.
  for (int d = 0; d < 10; ++d) {
    size_t b = n * static_cast<size_t>(9 - d) / 10, end = n * static_cast<size_t>(10 - d) / 10;
    CalibrationRow c;
    c.bin = d + 1;
    c.rows = end - b;
    if (c.rows == 0) continue;
    double sum = 0, pos = 0;
    for (size_t i = b; i < end; ++i) {
      sum += scores[order[i]];
      pos += labels[order[i]];
    }
    c.mean_predicted = sum / static_cast<double>(c.rows);
    c.observed_rate = pos / static_cast<double>(c.rows);
    e.calibration.push_back(c);
  }
  for (double share : {0.1, 0.2, 0.5}) e.lift.push_back(lift_from_order(order, labels, e.positives, share));

  // Curves: cumulative counts along the best-first order.
  const double P = static_cast<double>(e.positives), N = static_cast<double>(n - e.positives);
  std::vector<CurvePoint> roc{{0, 0}};
  e.gain_curve.push_back({0, 0});
  uint64_t tp = 0, fp = 0;
  size_t next_gain = 1;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) {
      if (labels[order[j]]) ++tp;
      else ++fp;
      ++j;
    }
    roc.push_back({N > 0 ? static_cast<double>(fp) / N : 0, P > 0 ? static_cast<double>(tp) / P : 0});
    while (next_gain <= 100 && static_cast<double>(j) >= static_cast<double>(n) * static_cast<double>(next_gain) / 100) {
      e.gain_curve.push_back({static_cast<double>(next_gain) / 100, P > 0 ? static_cast<double>(tp) / P : 0});
      ++next_gain;
    }
    i = j;
  }
  const size_t kMaxPoints = 500;
  if (roc.size() > kMaxPoints) {
    size_t step = (roc.size() + kMaxPoints - 1) / kMaxPoints;
    for (size_t i = 0; i < roc.size(); i += step) e.roc.push_back(roc[i]);
    if (e.roc.back().x != roc.back().x || e.roc.back().y != roc.back().y) e.roc.push_back(roc.back());
  } else {
    e.roc = std::move(roc);
  }
  return e;
}

nlohmann::json Evaluation::to_json() const {
  nlohmann::json j;
  j["auc"] = auc;
  j["rows"] = rows;
  j["positives"] = positives;
  j["base_rate"] = base_rate;
  j["logloss"] = logloss;
  j["brier"] = brier;
  nlohmann::json lj = nlohmann::json::object();
  for (const auto& l : lift)
    lj["top" + std::to_string(static_cast<int>(std::lround(l.share * 100)))] = {{"lift", l.lift}, {"gain", l.gain}};
  j["lift"] = lj;
  nlohmann::json g = nlohmann::json::array();
  for (const auto& r : gain)
    g.push_back({{"decile", r.decile}, {"rows", r.rows}, {"positives", r.positives}, {"rate", r.rate},
                 {"lift", r.lift}, {"cumulative_gain", r.cumulative_gain}, {"cumulative_lift", r.cumulative_lift},
                 {"min_score", r.min_score}, {"max_score", r.max_score}});
  j["deciles"] = g;
  nlohmann::json c = nlohmann::json::array();
  for (const auto& r : calibration)
    c.push_back({{"bin", r.bin}, {"rows", r.rows}, {"mean_predicted", r.mean_predicted},
                 {"observed_rate", r.observed_rate}});
  j["calibration"] = c;
  return j;
}

}  // namespace telemark::scoring
