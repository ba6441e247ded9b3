// Pacing: how many calls to launch now. The dialer core asks its
// PacingPolicy at every pacing tick (and, for policies that want it, after
// every event) with a snapshot of what it sees, and forwards what it learns
// (how old each call was when it resolved, talk and wrap-up durations).
// Policies are deterministic and hold no scenario knowledge.
//
// PredictivePacing (the one that matters), every pacing tick (1 s):
//  * learns online the live-answer probability together with the ring-time
//    distribution (AnswerModel: a hazard model over call age), and the talk
//    and wrap-up time distributions (DurationModel), calls and talks still
//    in progress counting as censored observations;
//  * predicts, for each busy agent, the probability of being free by each
//    half-second deadline of the next 32 s, from the time already spent
//    talking or wrapping up (the conditional residual of the learned
//    distributions; talk followed by wrap-up for an agent still talking);
//  * predicts, for each call in flight, the probability of a live answer
//    before each half-second, given how long it has been ringing, and adds
//    the calls it will keep launching at its recent rate (some of them will
//    be answered first);
//  * launches new calls one by one while the next call's probability of
//    being abandoned, if a person answers it, stays under a threshold θ.
//    That probability is Σ_h P(answered in h) · P(agents free by h + grace
//    ≤ live answers queued before it), agents and answers being sums of
//    independent Bernoullis in a normal approximation, plus the error of
//    the answer-rate estimate, which all calls share (answers are also
//    counted one standard error high, or at the rate of the last few
//    hundred calls if that is higher);
//  * sets θ from the abandonment budget left in the campaign's window:
//    θ = θ0 · exp(gain · (target · live answers − abandoned − reserve)),
//    target a little below the legal limit (85% of it). Every abandonment
//    tightens θ, every live answer without one loosens it, so the window's
//    rate is held under the target whatever the model's errors;
//  * keeps a hard budget against the legal limit itself (abandonments
//    allowed, less those the calls in flight are expected to add): θ tapers
//    to 0 as it runs out, and when it is spent the policy dials
//    progressively (one call per idle agent: never abandons).
// Its defaults (PredictiveConfig) are the same for every campaign.
//
// Thread-safety: none; owned by one dialer.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "dialer/abandonment.h"
#include "dialer/estimators.h"
#include "dialer/mode.h"

namespace telemark::dialer {

struct BusyAgent {
  bool talking = false;  // false: in wrap-up
  Duration elapsed{};    // in the current phase
};

struct PacingInput {
  Instant now{};
  int idle_agents = 0;     // ready, free for new calls
  int waiting_calls = 0;   // live answers queued for an agent (within the grace)
  int staffed_agents = 0;  // logged in, not on a break
  int in_flight = 0;       // placed, not yet resolved
  // Filled only for policies whose wants_detail() is true:
  std::span<const Duration> call_ages;  // the calls in flight
  std::span<const BusyAgent> busy;      // agents talking or in wrap-up
  AbandonmentTotals window;             // the campaign's window so far
  // Σ over the calls in flight of the abandonment probability predicted
  // when each was placed (see PacingPolicy::launch_risk).
  double committed_risk = 0;
  double limit = 0.03;                  // the window's legal limit
  Duration grace = std::chrono::seconds(2);
};

struct PacingDiagnostics {
  bool predicting = false;  // false: warming up or budget spent (progressive)
  double threshold = 0;     // θ
  double p_human = 0;
  double mean_talk = 0;
  double mean_wrap = 0;
  double last_risk = 0;     // abandonment probability of the last call launched
};

class PacingPolicy {
 public:
  virtual ~PacingPolicy() = default;
  virtual int calls_to_launch(const PacingInput& in) = 0;
  // True for cheap policies the dialer should consult after every event,
  // not only at pacing ticks.
  virtual bool paces_on_events() const = 0;
  // True if the policy needs every call's age and every busy agent.
  virtual bool wants_detail() const { return false; }
  virtual void observe_resolution(Duration age, bool human, Instant now) {}
  virtual void observe_talk(Duration talk, Instant now) {}
  virtual void observe_wrap(Duration wrap, Instant now) {}
  virtual PacingDiagnostics diagnostics() const { return {}; }
  // The predicted probability that the i-th call of the last decision is
  // abandoned if a person answers it (0 for policies that do not predict).
  virtual double launch_risk(int i) const { return 0.0; }
};

class ProgressivePacing final : public PacingPolicy {
 public:
  int calls_to_launch(const PacingInput& in) override;
  bool paces_on_events() const override { return true; }
};

class PowerPacing final : public PacingPolicy {
 public:
  explicit PowerPacing(double lines_per_agent) : ratio_(lines_per_agent) {}
  int calls_to_launch(const PacingInput& in) override;
  bool paces_on_events() const override { return true; }

 private:
  double ratio_;
};

struct PredictiveConfig {
  double target_share_of_limit = 0.85;  // aim at 85% of the legal limit
  double initial_threshold = 0.04;      // θ0
  double min_threshold = 0.001;
  double max_threshold = 0.12;
  double budget_gain = 0.4;             // per abandoned call of budget
  // The budget θ answers to keeps this many abandoned calls in hand, so a
  // new campaign starts cautious and small ones stay clear of the limit.
  double soft_reserve = 6.0;
  // The hard budget (limit × live answers − abandoned − abandonments the
  // calls in flight are expected to add) is computed as if the window had
  // at least this many live answers, so a new campaign is not stuck in
  // progressive for its first answers. Pacing is progressive while it is
  // not above `hard_reserve`; θ tapers to 0 over the last `hard_taper`.
  uint64_t min_answers_for_budget = 100;
  double hard_reserve = 0.0;
  double hard_taper = 4.0;
  double answer_memory_calls = 3000;
  double duration_memory = 500;
  // Progressive until the models have seen this much.
  uint64_t warmup_resolved_calls = 60;
  uint64_t warmup_live_answers = 6;
  uint64_t warmup_talks = 12;
  uint64_t warmup_wraps = 12;
};

class PredictivePacing final : public PacingPolicy {
 public:
  static constexpr int kHorizon = 64;  // half-second answer bins: 32 s ahead
  static constexpr double kStep = AnswerModel::kBinSeconds;

  explicit PredictivePacing(PredictiveConfig config = {});
  int calls_to_launch(const PacingInput& in) override;
  bool paces_on_events() const override { return false; }
  bool wants_detail() const override { return true; }
  void observe_resolution(Duration age, bool human, Instant now) override {
    answers_.observe(age, human, now);
  }
  void observe_talk(Duration talk, Instant now) override { talk_.observe(talk, now); }
  void observe_wrap(Duration wrap, Instant now) override { wrap_.observe(wrap, now); }
  PacingDiagnostics diagnostics() const override { return diag_; }
  double launch_risk(int i) const override {
    return i >= 0 && i < static_cast<int>(risks_.size()) ? risks_[i] : 0.0;
  }

  // For tests: the threshold the budget gives, and the model state.
  double threshold_for(const AbandonmentTotals& window, double limit) const;
  bool warmed_up() const;
  const AnswerModel& answer_model() const { return answers_; }
  const DurationModel& talk_model() const { return talk_; }
  const DurationModel& wrap_model() const { return wrap_; }
  // P(an agent free by `x` seconds from now), talking or in wrap-up for
  // `elapsed` seconds: the conditional residual the pacing uses (as
  // tabulated for a grace period `grace`: x is rounded to the deadline of
  // the nearest half-second answer bin, x - grace in [0.25, 31.75]).
  double free_within(bool talking, double elapsed, double x, double grace = 2.0);

 private:
  struct Row {
    uint64_t version = 0;
    std::array<float, kHorizon> p{};    // P(free by the deadline of answer bin h)
    std::array<float, kHorizon> var{};  // p (1 - p)
  };
  const Row& talk_row(double elapsed, double grace);
  const Row& wrap_row(double elapsed, double grace);
  void fill_talk_row(Row& row, double elapsed, double grace);
  void fill_wrap_row(Row& row, double elapsed, double grace);
  void refresh_models(Instant now, double grace, std::span<const BusyAgent> busy);
  int decide(const PacingInput& in);

  PredictiveConfig config_;
  AnswerModel answers_;
  DurationModel talk_;
  DurationModel wrap_;
  uint64_t residual_version_ = 1;
  double rows_grace_ = -1;
  // wrap_.cdf(grace - 0.25 + 0.5 (k - kWrapGridOffset)), see fill_talk_row.
  static constexpr int kWrapGridOffset = 2 * 48;
  std::array<double, kHorizon + kWrapGridOffset> wrap_grid_{};
  std::vector<Row> talk_rows_;
  std::vector<Row> wrap_rows_;
  std::vector<int> age_counts_;
  std::vector<double> risks_;
  static constexpr double kLaunchRateTau = 20.0;  // seconds
  double launch_rate_ = 0;  // calls per second, recent (exponentially weighted)
  Instant last_launch_update_{};
  Instant last_now_{};
  std::vector<double> running_talks_, running_wraps_;
  PacingDiagnostics diag_;
};

std::unique_ptr<PacingPolicy> make_pacing(const DialMode& mode, const PredictiveConfig& config = {});

}  // namespace telemark::dialer
