#include "dialer/pacing.h"

#include <algorithm>
#include <cmath>

namespace telemark::dialer {
namespace {

double seconds_of(Duration d) { return std::chrono::duration<double>(d).count(); }

// Standard normal CDF by table and linear interpolation: the pacing
// evaluates it tens of millions of times in a simulated day, where
// std::erfc alone would take most of the time budget.
class NormalCdf {
 public:
  NormalCdf() {
    for (int i = 0; i <= kN; ++i) {
      double z = kLo + i / kPerUnit;
      table_[i] = 0.5 * std::erfc(-z / std::sqrt(2.0));
    }
  }
  double operator()(double z) const {
    double u = (z - kLo) * kPerUnit;
    if (u <= 0) return 0.0;
    if (u >= kN) return 1.0;
    int i = static_cast<int>(u);
    double f = u - i;
    return table_[i] + f * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr double kLo = -8.0;
  static constexpr double kPerUnit = 64.0;
  static constexpr int kN = 16 * 64;
  double table_[kN + 1];
};

const NormalCdf& normal_cdf() {
  static const NormalCdf table;  // immutable after construction
  return table;
}

// Rows of the talk residual table: 1 s wide below a minute, then wider,
// since the residual changes slowly once a talk is long.
constexpr int kTalkRows = 60 + 90 + 180 + 392;
int talk_row_index(double e, double& start, double& width) {
  if (e < 60) { int i = static_cast<int>(e); start = i; width = 1; return i; }
  if (e < 240) { int i = static_cast<int>((e - 60) / 2); start = 60 + 2.0 * i; width = 2; return 60 + i; }
  if (e < 960) { int i = static_cast<int>((e - 240) / 4); start = 240 + 4.0 * i; width = 4; return 150 + i; }
  int i = std::min(391, static_cast<int>((e - 960) / 8));
  start = 960 + 8.0 * i;
  width = 8;
  return 330 + i;
}
constexpr int kWrapRows = 900;  // 1 s wide

}  // namespace

int ProgressivePacing::calls_to_launch(const PacingInput& in) {
  return std::max(0, in.idle_agents - in.waiting_calls - in.in_flight);
}

int PowerPacing::calls_to_launch(const PacingInput& in) {
  int lines = static_cast<int>(std::floor(ratio_ * in.idle_agents + 0.5));
  return std::max(0, lines - in.waiting_calls - in.in_flight);
}

PredictivePacing::PredictivePacing(PredictiveConfig config)
    : config_(config),
      answers_(config.answer_memory_calls),
      talk_(config.duration_memory),
      wrap_(config.duration_memory),
      talk_rows_(kTalkRows),
      wrap_rows_(kWrapRows),
      age_counts_(AnswerModel::kBins, 0) {}

bool PredictivePacing::warmed_up() const {
  return answers_.observations() >= config_.warmup_resolved_calls &&
         answers_.humans() >= config_.warmup_live_answers &&
         talk_.observations() >= config_.warmup_talks && wrap_.observations() >= config_.warmup_wraps;
}

double PredictivePacing::threshold_for(const AbandonmentTotals& window, double limit) const {
  double target = limit * config_.target_share_of_limit;
  double budget = target * static_cast<double>(window.live_answers) - static_cast<double>(window.abandoned) -
                  config_.soft_reserve;
  double exponent = std::clamp(config_.budget_gain * budget, -50.0, 50.0);
  return std::clamp(config_.initial_threshold * std::exp(exponent), config_.min_threshold,
                    config_.max_threshold);
}

void PredictivePacing::refresh_models(Instant now, double grace, std::span<const BusyAgent> busy) {
  answers_.refresh(now, age_counts_, answers_.observations() < 2 * config_.warmup_resolved_calls);
  running_talks_.clear();
  running_wraps_.clear();
  for (const BusyAgent& a : busy)
    (a.talking ? running_talks_ : running_wraps_).push_back(seconds_of(a.elapsed));
  // Both at once: each rebuild invalidates the residual rows of both.
  bool young = talk_.observations() < 2 * config_.warmup_talks ||
               wrap_.observations() < 2 * config_.warmup_wraps;
  bool changed = false;
  if (young || talk_.due() || wrap_.due()) {
    changed = talk_.refresh(now, true, running_talks_);
    changed = wrap_.refresh(now, true, running_wraps_) || changed;
  }
  if (changed || grace != rows_grace_) {
    ++residual_version_;
    rows_grace_ = grace;
    for (int k = 0; k < static_cast<int>(wrap_grid_.size()); ++k)
      wrap_grid_[k] = wrap_.cdf(grace - 0.25 + 0.5 * (k - kWrapGridOffset));
  }
}

void PredictivePacing::fill_wrap_row(Row& row, double w, double grace) {
  double f0 = wrap_.cdf(w);
  double s = std::max(1.0 - f0, 1e-9);
  for (int h = 0; h < kHorizon; ++h) {
    double x = (h + 0.5) * kStep + grace;
    double p = std::clamp((wrap_.cdf(w + x) - f0) / s, 0.0, 1.0);
    row.p[h] = static_cast<float>(p);
    row.var[h] = static_cast<float>(p * (1 - p));
  }
}

// P(talk ends and the wrap-up after it ends within x | talking for e):
// Σ over one-second slices of the remaining talk of P(talk ends in the
// slice) × P(wrap-up shorter than what is left of x after the slice's
// middle). Deadlines are on a half-second grid, so for whole slices the
// wrap-up CDF is needed only on a half-second grid too (wrap_grid_, filled
// once per model version); this is the pacing's inner loop when the models
// change.
void PredictivePacing::fill_talk_row(Row& row, double e, double grace) {
  double f0 = talk_.cdf(e);
  double s = std::max(1.0 - f0, 1e-9);
  constexpr int kSlices = 48;  // > the longest deadline, (kHorizon - 0.5) * kStep + grace
  std::array<double, kSlices + 1> ft;
  for (int j = 0; j <= kSlices; ++j) ft[j] = talk_.cdf(e + j);
  for (int h = 0; h < kHorizon; ++h) {
    double x = (h + 0.5) * kStep + grace;
    int whole = std::min(kSlices, static_cast<int>(x));  // slices [j, j+1] inside x
    double p = 0;
    for (int j = 0; j < whole; ++j) {
      // wrap-up must fit in x - j - 0.5 = grace - 0.25 + 0.5 (h - 2j)
      p += (ft[j + 1] - ft[j]) * wrap_grid_[h - 2 * j + kWrapGridOffset];
    }
    if (whole < kSlices && x > whole) {
      double mass = talk_.cdf(e + x) - ft[whole];
      if (mass > 0) p += mass * wrap_.cdf(0.5 * (x - whole));
    }
    p = std::clamp(p / s, 0.0, 1.0);
    row.p[h] = static_cast<float>(p);
    row.var[h] = static_cast<float>(p * (1 - p));
  }
}

const PredictivePacing::Row& PredictivePacing::talk_row(double elapsed, double grace) {
  double e = std::min(elapsed, std::max(talk_.tail_start(), 1.0));
  double start, width;
  int i = talk_row_index(e, start, width);
  Row& row = talk_rows_[i];
  if (row.version != residual_version_) {
    fill_talk_row(row, start + 0.5 * width, grace);
    row.version = residual_version_;
  }
  return row;
}

const PredictivePacing::Row& PredictivePacing::wrap_row(double elapsed, double grace) {
  double w = std::min(elapsed, std::max(wrap_.tail_start(), 1.0));
  int i = std::clamp(static_cast<int>(w), 0, kWrapRows - 1);
  Row& row = wrap_rows_[i];
  if (row.version != residual_version_) {
    fill_wrap_row(row, i + 0.5, grace);
    row.version = residual_version_;
  }
  return row;
}

double PredictivePacing::free_within(bool talking, double elapsed, double x, double grace) {
  refresh_models(last_now_, grace, {});
  // x is measured from now; rows are tabulated at answer-bin deadlines.
  int h = std::clamp(static_cast<int>(std::lround((x - grace) / kStep - 0.5)), 0, kHorizon - 1);
  const Row& row = talking ? talk_row(elapsed, grace) : wrap_row(elapsed, grace);
  return row.p[h];
}

int PredictivePacing::calls_to_launch(const PacingInput& in) {
  double since = last_launch_update_ == Instant{} ? 0.0 : seconds_of(in.now - last_launch_update_);
  launch_rate_ *= std::exp(-since / kLaunchRateTau);
  last_launch_update_ = in.now;
  int n = decide(in);
  launch_rate_ += n / kLaunchRateTau;
  return n;
}

int PredictivePacing::decide(const PacingInput& in) {
  const int in_flight = static_cast<int>(in.call_ages.size());
  const int progressive = std::max(0, in.idle_agents - in.waiting_calls - in_flight);
  if (in.staffed_agents <= 0) return 0;
  const double grace = seconds_of(in.grace);
  std::fill(age_counts_.begin(), age_counts_.end(), 0);
  for (Duration age : in.call_ages) ++age_counts_[AnswerModel::bin_of(age)];
  last_now_ = in.now;
  refresh_models(in.now, grace, in.busy);
  diag_.p_human = answers_.p_human();
  diag_.mean_talk = talk_.mean();
  diag_.mean_wrap = wrap_.mean();
  diag_.threshold = threshold_for(in.window, in.limit);
  double floor_answers = static_cast<double>(std::max(in.window.live_answers, config_.min_answers_for_budget));
  // The hard budget: abandoned calls the legal limit still allows, less
  // those the calls in flight are expected to add.
  const double hard_left = in.limit * floor_answers - static_cast<double>(in.window.abandoned) -
                           answers_.p_human() * in.committed_risk - config_.hard_reserve;
  risks_.clear();
  if (!warmed_up() || hard_left <= 0) {
    diag_.predicting = false;
    return progressive;
  }
  diag_.predicting = true;
  // Close to the limit, θ tapers to nothing, so the switch to progressive
  // is rarely reached with a burst of risky calls still in flight.
  const double theta = diag_.threshold * std::min(1.0, hard_left / config_.hard_taper);

  // Agents: free now, and the chance each busy one is free by each deadline.
  std::array<double, kHorizon> sm, sv, am{}, av{};
  {
    // float sums: this loop runs for every busy agent at every tick.
    std::array<float, kHorizon> fm{}, fv{};
    for (const BusyAgent& a : in.busy) {
      const Row& row = a.talking ? talk_row(seconds_of(a.elapsed), grace)
                                 : wrap_row(seconds_of(a.elapsed), grace);
      for (int h = 0; h < kHorizon; ++h) {
        fm[h] += row.p[h];
        fv[h] += row.var[h];
      }
    }
    const double idle = static_cast<double>(in.idle_agents - in.waiting_calls);
    for (int h = 0; h < kHorizon; ++h) {
      sm[h] = idle + fm[h];
      sv[h] = fv[h];
    }
  }
  // The live-answer probability is itself an estimate from a finite (and
  // forgetting) sample of about n live answers, with a relative error of
  // about 1/√n shared by every call. The pacing counts answers at least one
  // standard error high (so the first decisions of a day, resting on a few
  // dozen answers, do not bet hundreds of calls on them), and adds that
  // shared error as variance growing with the square of the answers
  // expected.
  const double param_var = 1.0 / std::max(answers_.effective_humans(), 1.0);
  // The long-memory estimate lags when the answer rate moves (or when a
  // streak of unanswered calls has just passed): if the last few hundred
  // calls were answered more often, count answers at that higher rate.
  const double recent = answers_.p_human() > 0 ? answers_.recent_human_share() / answers_.p_human() : 1.0;
  const double upper = std::max(1.0 + std::sqrt(param_var), recent);
  // Calls in flight, grouped by age: live answers expected before each bin.
  for (int a = 0; a < AnswerModel::kBins; ++a) {
    int n = age_counts_[a];
    if (n == 0) continue;
    for (int h = 0; h < kHorizon; ++h) {
      double c = std::min(1.0, upper * answers_.human_before_mid(a, h));
      am[h] += n * c;
      av[h] += n * c * (1 - c);
    }
  }
  // A new call: when it would be answered, and how many of the other new
  // calls would be answered before it.
  const double p = answers_.p_human();
  const int max_new = std::max(10, 4 * in.staffed_agents);
  if (p < 1e-6) return progressive;  // nobody answers lately: nothing to predict
  std::array<double, kHorizon> w, c0;
  int first = kHorizon, last = -1;
  for (int h = 0; h < kHorizon; ++h) {
    w[h] = answers_.human_in(0, h) / p;
    c0[h] = std::min(1.0, upper * answers_.human_before_mid(0, h));
    if (w[h] > 1e-6) {
      first = std::min(first, h);
      last = h;
    }
  }
  // Calls this policy will keep launching over the next seconds (at the
  // recent launch rate) will be answered ahead of some of the calls placed
  // now: count them with the calls in flight, or every call's risk is
  // underestimated by the share of answers that overtake it.
  {
    double acc = 0;  // Σ_{j<h} c0[j]
    for (int h = 0; h < kHorizon; ++h) {
      double future = launch_rate_ * kStep * acc;
      am[h] += future;
      av[h] += future;
      acc += c0[h];
    }
  }
  const NormalCdf& phi = normal_cdf();
  auto risk = [&](int m) {
    double r = 0;
    for (int h = first; h <= last; ++h) {
      if (w[h] <= 1e-6) continue;
      double answers = am[h] + m * c0[h];
      double mean = sm[h] - answers;
      double var = sv[h] + av[h] + m * c0[h] * (1 - c0[h]) + param_var * answers * answers;
      double sd = std::sqrt(std::max(var, 0.25));
      r += w[h] * phi((0.5 - mean) / sd);
    }
    return r;
  };
  // Largest n with risk(n - 1) <= θ: risk grows with m, so search.
  if (risk(0) > theta) {
    diag_.last_risk = 0;
    return progressive;
  }
  int lo = 0, hi = 1;  // risk(lo) <= θ
  while (hi < max_new && risk(hi) <= theta) {
    lo = hi;
    hi = std::min(max_new, hi * 2);
  }
  if (hi >= max_new && risk(max_new - 1) <= theta) {
    lo = max_new - 1;
  } else {
    while (hi - lo > 1) {
      int mid = (lo + hi) / 2;
      if (risk(mid) <= theta) lo = mid; else hi = mid;
    }
  }
  diag_.last_risk = 0;
  int n = std::max(progressive, lo + 1);
  // Each call's own risk (for the hard budget's committed abandonments and
  // the calibration figures): risk grows with m, interpolated between the
  // first and the last call rather than evaluated n times per tick.
  risks_.clear();
  if (n > 0) {
    double r0 = risk(0), r1 = n > 1 ? risk(n - 1) : r0;
    for (int m = 0; m < n; ++m) risks_.push_back(n > 1 ? r0 + (r1 - r0) * m / (n - 1) : r0);
    diag_.last_risk = r1;
  }
  return n;
}

std::unique_ptr<PacingPolicy> make_pacing(const DialMode& mode, const PredictiveConfig& config) {
  switch (mode.kind) {
    case DialMode::Kind::kPreview:
    case DialMode::Kind::kProgressive: return std::make_unique<ProgressivePacing>();
    case DialMode::Kind::kPower: return std::make_unique<PowerPacing>(mode.lines_per_agent);
    case DialMode::Kind::kPredictive: return std::make_unique<PredictivePacing>(config);
  }
  return std::make_unique<ProgressivePacing>();
}

}  // namespace telemark::dialer
