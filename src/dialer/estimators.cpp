#include "dialer/estimators.h"

#include <algorithm>
#include <cmath>

namespace telemark::dialer {
namespace {
double seconds_of(Duration d) { return std::chrono::duration<double>(d).count(); }
double seconds_of(Instant t) { return std::chrono::duration<double>(t.time_since_epoch()).count(); }
}  // namespace

// ---------------------------------------------------------------- Forgetting

double Forgetting::weight(double start_s) const { return std::exp((start_s - ref_s_) / tau_); }

double Forgetting::advance(double now_s, double observations) {
  if (!started_) {
    started_ = true;
    ref_s_ = now_s;
    eff_observations_ = observations;
    return 1.0;
  }
  double dt = std::max(0.0, now_s - ref_s_);
  double f = std::exp(-dt / tau_);
  eff_observations_ = eff_observations_ * f + observations;
  eff_seconds_ = eff_seconds_ * f + dt;
  ref_s_ = std::max(ref_s_, now_s);
  if (eff_observations_ > 0 && eff_seconds_ > 0)
    tau_ = std::clamp(memory_ * eff_seconds_ / eff_observations_, kMinTau, kMaxTau);
  return f;
}

// ---------------------------------------------------------------- AnswerModel

AnswerModel::AnswerModel(double memory_calls)
    : forgetting_(memory_calls),
      g_(static_cast<size_t>(kBins) * kBins, 0.0),
      c_(static_cast<size_t>(kBins) * kBins, 0.0) {}

int AnswerModel::bin_of(Duration age) {
  double s = seconds_of(age);
  if (s <= 0) return 0;
  return std::min(kBins - 1, static_cast<int>(s / kBinSeconds));
}

void AnswerModel::advance(double now_s) {
  double f = forgetting_.advance(now_s, static_cast<double>(since_advance_));
  since_advance_ = 0;
  if (f == 1.0) return;
  for (double& v : res_h_) v *= f;
  for (double& v : res_o_) v *= f;
  res_h_total_ *= f;
  res_o_total_ *= f;
}

void AnswerModel::observe(Duration age, bool human, Instant now) {
  double now_s = seconds_of(now);
  if (!forgetting_.started() || now_s - forgetting_.reference() > 0.25 * forgetting_.tau()) advance(now_s);
  double w = forgetting_.weight(now_s - seconds_of(age));
  int b = bin_of(age);
  (human ? res_h_ : res_o_)[b] += w;
  (human ? res_h_total_ : res_o_total_) += w;
  ++observations_;
  humans_ += human ? 1 : 0;
  ++since_refresh_;
  ++since_advance_;
  // A running mean over the first kRecentMemory calls, then an
  // exponentially weighted one.
  double alpha = 1.0 / std::min(static_cast<double>(observations_), kRecentMemory);
  recent_share_ += alpha * ((human ? 1.0 : 0.0) - recent_share_);
}

// The table rebuild costs kBins² operations; the pacing asks every tick,
// so it happens once the new outcomes amount to two percent of the
// (effective) sample, or a handful while the sample is small.
void AnswerModel::refresh(Instant now, std::span<const int> running, bool force) {
  if (since_refresh_ == 0) return;
  if (!force && static_cast<double>(since_refresh_) < std::max(8.0, 0.02 * effective_calls())) return;
  since_refresh_ = 0;
  advance(seconds_of(now));
  // Hazards per age bin: of the calls that reached bin b unresolved, the
  // share a person answered in it and the share that ended otherwise.
  // Calls in flight in bin c were exposed to every bin before c and, on
  // average, half of bin c.
  std::array<double, kBins> hh{}, ho{};
  double exposed = 0;
  double censored_after = 0;
  const double tau = forgetting_.tau();
  for (int b = kBins - 1; b >= 0; --b) {
    double here = 0;
    if (b < static_cast<int>(running.size()) && running[b] > 0)
      here = running[b] * std::exp(-(b + 0.5) * kBinSeconds / tau);
    exposed += res_h_[b] + res_o_[b];
    double at_risk = exposed + censored_after + 0.5 * here;
    censored_after += here;
    if (at_risk > 0) {
      hh[b] = res_h_[b] / at_risk;
      ho[b] = res_o_[b] / at_risk;
    }
  }
  for (int a = 0; a < kBins; ++a) {
    double alive = 1.0;
    double cum = 0.0;
    for (int k = a; k < kBins; ++k) {
      double g = alive * hh[k];
      g_[index(a, k)] = g;
      c_[index(a, k - a)] = cum + 0.5 * g;
      cum += g;
      alive *= std::max(0.0, 1.0 - hh[k] - ho[k]);
    }
    for (int h = kBins - a; h < kBins; ++h) c_[index(a, h)] = cum;
  }
  p_human_ = c_[index(0, kBins - 1)] + 0.5 * g_[index(0, kBins - 1)];
}

// ---------------------------------------------------------------- DurationModel

DurationModel::DurationModel(double memory)
    : forgetting_(memory), hist_(kBins, 0.0), cdf_(kBins + 1, 0.0), censored_(kBins, 0.0) {}

void DurationModel::advance(double now_s) {
  double f = forgetting_.advance(now_s, static_cast<double>(since_advance_));
  since_advance_ = 0;
  if (f == 1.0) return;
  for (double& v : hist_) v *= f;
  total_ *= f;
  weighted_sum_ *= f;
}

void DurationModel::observe(Duration d, Instant now) {
  double now_s = seconds_of(now);
  if (!forgetting_.started() || now_s - forgetting_.reference() > 0.25 * forgetting_.tau()) advance(now_s);
  double s = std::max(0.0, seconds_of(d));
  double w = forgetting_.weight(now_s - s);
  int b = std::min(kBins - 1, static_cast<int>(s));
  hist_[b] += w;
  total_ += w;
  weighted_sum_ += w * s;
  ++observations_;
  ++since_refresh_;
  ++since_advance_;
}

// Rebuilding costs a pass over the histogram and invalidates the residual
// tables the pacing derives from the CDF, so it waits until the new data
// amount to a tenth of the (effective) sample, or a few observations while
// the sample is small.
bool DurationModel::refresh(Instant now, bool force, std::span<const double> running) {
  if (since_refresh_ == 0) return false;
  if (!force && !due()) return false;
  since_refresh_ = 0;
  advance(seconds_of(now));
  const double tau = forgetting_.tau();
  std::fill(censored_.begin(), censored_.end(), 0.0);
  double censored_total = 0;
  for (double e : running) {
    double w = std::exp(-e / tau);
    censored_[std::clamp(static_cast<int>(e), 0, kBins - 1)] += w;
    censored_total += w;
  }
  // At risk in bin i: completed in bin i or later, running past bin i, and
  // half of those running inside bin i.
  double at_risk = total_ + censored_total;
  double survival = 1.0;
  // "About three observations": in the units of the newest observation.
  double min_at_risk = 3.0;
  tail_start_ = 0;
  cdf_[0] = 0;
  for (int i = 0; i < kBins; ++i) {
    double r = at_risk - 0.5 * censored_[i];
    if (r >= min_at_risk) tail_start_ = i;
    if (r > 0 && hist_[i] > 0) survival *= std::max(0.0, 1.0 - hist_[i] / r);
    cdf_[i + 1] = 1.0 - survival;
    at_risk -= hist_[i] + censored_[i];
  }
  ++version_;
  return true;
}

double DurationModel::cdf(double seconds) const {
  if (seconds <= 0) return 0.0;
  if (seconds >= kBins) return cdf_[kBins];
  int i = static_cast<int>(seconds);
  double f = seconds - i;
  return cdf_[i] + f * (cdf_[i + 1] - cdf_[i]);
}

}  // namespace telemark::dialer
