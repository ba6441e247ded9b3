// Online estimators the predictive pacing learns from. Nothing here knows a
// scenario: they only see what the dialer sees (how old a call was when it
// resolved and whether a person answered; how long talks and wrap-ups took;
// the calls and talks still in progress).
//
// Forgetting: each observation weighs exp(-(now - start) / tau), by when
// the call was placed or the talk began, with tau set so that the sample
// holds about `memory` observations at the current rate: the estimates
// follow a campaign whose answer rate or talk times drift during the day.
// Weighing by the start (not by when the outcome arrived) is what lets the
// outcomes still pending count as right-censored observations of the same
// cohorts without biasing the estimate (Kaplan-Meier with staggered entry).
//
// AnswerModel: for a call still unresolved at age a, the probability that a
//   person answers it in each later half-second of age: a discrete-time
//   hazard model over call age (answered by a person / resolved otherwise,
//   per age bin), so it learns the live-answer probability and the
//   ring-time distribution together, including how much less likely an
//   answer becomes as a call keeps ringing. Calls in flight are censored at
//   their age: right after a burst of dials the quick outcomes (people who
//   pick up fast) are the only ones in, and would otherwise make answers
//   look far likelier than they are.
// DurationModel: the distribution (1 s bins) of a duration (talk, wrap-up),
//   giving the CDF for the remaining time of an agent who has already spent
//   some of it. The durations still running count as censored: otherwise
//   the first completions of a day (the short ones) would make talks look
//   far shorter than they are. Beyond the longest duration seen, survival
//   stays at its last value (the model does not promise anyone will finish).
//
// Value types; not thread-safe.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "base/clock.h"

namespace telemark::dialer {

// Exponential forgetting by the age of the data, with the time constant
// adapted to the observation rate.
class Forgetting {
 public:
  explicit Forgetting(double memory) : memory_(memory) {}
  // Weight, relative to the current reference time, of data that started
  // at `start_s` (seconds since the epoch).
  double weight(double start_s) const;
  // Moves the reference time to `now_s`, counting `observations` that
  // arrived since the last move; returns the factor every stored weight
  // must be multiplied by.
  double advance(double now_s, double observations);
  bool started() const { return started_; }
  double reference() const { return ref_s_; }
  double tau() const { return tau_; }

 private:
  static constexpr double kMinTau = 60.0;
  static constexpr double kMaxTau = 12 * 3600.0;
  double memory_;
  double tau_ = kMaxTau;
  double ref_s_ = 0;
  double eff_observations_ = 0;
  double eff_seconds_ = 0;
  bool started_ = false;
};

class AnswerModel {
 public:
  static constexpr double kBinSeconds = 0.5;
  static constexpr int kBins = 96;  // ages 0..48 s; older calls share the last bin

  // memory: about how many recent calls the estimate rests on.
  explicit AnswerModel(double memory_calls = 3000);

  void observe(Duration age, bool human, Instant now);
  // Rebuilds the tables if enough observations arrived since the last
  // rebuild (or `force`); running[b] is the number of calls in flight whose
  // age is in bin b.
  void refresh(Instant now, std::span<const int> running = {}, bool force = false);

  static int bin_of(Duration age);
  // P(a person answers in age bin k | unresolved at the start of age bin a).
  double human_in(int a, int k) const { return g_[index(a, k)]; }
  // P(a person answers before the middle of age bin a + h | unresolved at
  // the start of bin a): "before" counts half of bin a + h, the bin's
  // answers being spread over it.
  double human_before_mid(int a, int h) const { return c_[index(a, h)]; }
  // P(a new call is answered by a person).
  double p_human() const { return p_human_; }
  // The share of the last ~kRecentMemory resolved calls a person answered:
  // a fast, rough check on p_human(), which rests on a long memory. (It
  // runs high right after a burst of dials, when fast answers are in and
  // slow no-answers are not yet: the safe direction for pacing.)
  double recent_human_share() const { return recent_share_; }
  static constexpr double kRecentMemory = 300;

  double effective_calls() const { return res_h_total_ + res_o_total_; }
  double effective_humans() const { return res_h_total_; }
  uint64_t observations() const { return observations_; }
  uint64_t humans() const { return humans_; }

 private:
  static size_t index(int a, int k) { return static_cast<size_t>(a) * kBins + static_cast<size_t>(k); }
  void advance(double now_s);

  Forgetting forgetting_;
  std::array<double, kBins> res_h_{};
  std::array<double, kBins> res_o_{};
  double res_h_total_ = 0, res_o_total_ = 0;
  std::vector<double> g_;  // [a][k], k >= a
  std::vector<double> c_;  // [a][h], relative to a
  double p_human_ = 0.0;
  uint64_t observations_ = 0;
  uint64_t humans_ = 0;
  uint64_t since_refresh_ = 0;
  uint64_t since_advance_ = 0;
  double recent_share_ = 0;
};

class DurationModel {
 public:
  static constexpr int kBins = 4096;  // 1 s bins; longer durations share the last

  explicit DurationModel(double memory = 500);

  void observe(Duration d, Instant now);
  // Rebuilds the CDF if enough new observations arrived (see .cpp), with
  // `running` the elapsed seconds of the durations still in progress;
  // returns true when it did, which invalidates anything derived from it.
  bool refresh(Instant now, bool force = false, std::span<const double> running = {});
  // Whether refresh() would rebuild without `force`.
  bool due() const {
    return since_refresh_ > 0 && static_cast<double>(since_refresh_) >= std::max(4.0, 0.1 * total_);
  }

  // P(X <= seconds), linear within bins.
  double cdf(double seconds) const;
  double survival(double seconds) const { return 1.0 - cdf(seconds); }
  // The point past which fewer than ~3 observations remain at risk: beyond
  // it the data say too little, and callers should not extrapolate.
  double tail_start() const { return tail_start_; }
  double mean() const { return total_ > 0 ? weighted_sum_ / total_ : 0.0; }  // completed only
  double effective_count() const { return total_; }
  uint64_t observations() const { return observations_; }
  uint64_t version() const { return version_; }

 private:
  void advance(double now_s);

  Forgetting forgetting_;
  std::vector<double> hist_;
  std::vector<double> cdf_;       // cdf_[i] = P(X < i seconds), size kBins + 1
  std::vector<double> censored_;  // scratch
  double total_ = 0;
  double weighted_sum_ = 0;
  double tail_start_ = 0;
  uint64_t observations_ = 0;
  uint64_t since_refresh_ = 0;
  uint64_t since_advance_ = 0;
  uint64_t version_ = 0;
};

}  // namespace telemark::dialer
