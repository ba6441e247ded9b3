// Pacing: the estimators converge on synthetic samples (and are not fooled
// by outcomes still pending), the conditional residuals behave, and the
// predictive policy falls back to progressive when the budget is spent.
#include "dialer/pacing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "dialer/mode.h"
#include "sim/random.h"

using namespace telemark;
using namespace telemark::dialer;
using namespace std::chrono;

namespace {

Duration secs(double s) { return duration_cast<Duration>(duration<double>(s)); }
Instant at(double s) { return Instant(sys_days(year{2026} / 3 / 2)) + secs(s); }

// The lognormal CDF, to compare with what the models learn.
double lognormal_cdf(double x, double mean, double sd) {
  sim::LogNormal d{mean, sd};
  return 0.5 * std::erfc(-(std::log(x) - d.mu()) / (d.sigma() * std::sqrt(2.0)));
}

struct SyntheticCall {
  double placed, resolves;
  bool human;
};

// Callees like the benchmark's: p people (ring 8 s ± 4 s, at most 25 s),
// 15% machines (ring + 3 s), 10% busy at 3 s, the rest ring out at 25 s.
SyntheticCall make_call(sim::Rng& rng, double placed, double p) {
  double u = rng.uniform();
  double ring = std::min(25.0, sim::LogNormal{8, 4}.sample(rng));
  if (u < p) return {placed, placed + ring, true};
  if (u < p + 0.15) return {placed, placed + ring + 3, false};
  if (u < p + 0.25) return {placed, placed + 3, false};
  return {placed, placed + 25, false};
}

// Feeds a steady stream of calls (rate per second) for `seconds`, with the
// calls in flight handed to refresh() as censored.
void feed(AnswerModel& m, sim::Rng& rng, double p, double rate, double from, double to) {
  std::vector<SyntheticCall> flight;
  for (double t = from; t < to; t += 1.0) {
    for (int i = 0; i < static_cast<int>(rate); ++i) flight.push_back(make_call(rng, t, p));
    std::vector<SyntheticCall> keep;
    for (const SyntheticCall& c : flight) {
      if (c.resolves <= t) m.observe(secs(c.resolves - c.placed), c.human, at(t));
      else keep.push_back(c);
    }
    flight.swap(keep);
    std::vector<int> running(AnswerModel::kBins, 0);
    for (const SyntheticCall& c : flight) ++running[AnswerModel::bin_of(secs(t - c.placed))];
    m.refresh(at(t), running);
  }
}

}  // namespace

TEST(AnswerModel, LearnsTheLiveAnswerProbabilityAndRingTimes) {
  sim::Rng rng(11);
  AnswerModel m(3000);
  feed(m, rng, 0.30, 10, 0, 3000);
  m.refresh(at(3000), {}, true);
  EXPECT_NEAR(m.p_human(), 0.30, 0.02);
  // P(answered by a person within 8 s of dialing) = p · P(ring <= 8).
  double within8 = m.human_before_mid(0, 16) + 0.5 * m.human_in(0, 16);
  EXPECT_NEAR(within8, 0.30 * lognormal_cdf(8.0, 8, 4), 0.02);
  // A call still ringing at 20 s is rarely answered any more.
  double late = m.human_before_mid(40, AnswerModel::kBins - 1);
  EXPECT_LT(late, 0.05);
  EXPECT_GT(m.effective_humans(), 500);
}

TEST(AnswerModel, FollowsADropInTheAnswerRate) {
  sim::Rng rng(12);
  AnswerModel m(3000);
  feed(m, rng, 0.30, 10, 0, 2000);
  feed(m, rng, 0.10, 10, 2000, 4000);
  m.refresh(at(4000), {}, true);
  EXPECT_NEAR(m.p_human(), 0.10, 0.02);
  EXPECT_NEAR(m.recent_human_share(), 0.10, 0.04);
}

TEST(AnswerModel, CallsStillRingingAreNotForgotten) {
  // A burst of 2000 calls, looked at 12 s later: the people who picked up
  // fast are in, the calls that will ring out are not. Counting the calls
  // in flight as censored keeps the estimate honest; ignoring them would
  // more than double it.
  sim::Rng rng(13);
  AnswerModel warm(3000);
  feed(warm, rng, 0.20, 2, 0, 600);  // some history
  AnswerModel with = warm, without = warm;
  std::vector<SyntheticCall> burst;
  for (int i = 0; i < 2000; ++i) burst.push_back(make_call(rng, 600, 0.20));
  std::vector<int> running(AnswerModel::kBins, 0);
  for (const SyntheticCall& c : burst) {
    if (c.resolves <= 612) {
      with.observe(secs(c.resolves - 600), c.human, at(612));
      without.observe(secs(c.resolves - 600), c.human, at(612));
    } else {
      ++running[AnswerModel::bin_of(secs(12))];
    }
  }
  with.refresh(at(612), running, true);
  without.refresh(at(612), {}, true);
  EXPECT_NEAR(with.p_human(), 0.20, 0.03);
  EXPECT_GT(without.p_human(), 0.30);
}

TEST(DurationModel, LearnsALogNormalAndItsTail) {
  sim::Rng rng(21);
  DurationModel m(2000);
  for (int i = 0; i < 20000; ++i) m.observe(secs(sim::LogNormal{120, 90}.sample(rng)), at(i));
  ASSERT_TRUE(m.refresh(at(20000), true));
  for (double x : {30.0, 60.0, 120.0, 240.0, 480.0})
    EXPECT_NEAR(m.cdf(x), lognormal_cdf(x, 120, 90), 0.03) << x;
  EXPECT_NEAR(m.mean(), 120, 8);
  EXPECT_GT(m.tail_start(), 480);
}

TEST(DurationModel, TalksStillRunningCorrectTheEarlyShortOnes) {
  // 100 agents start talking at once; 90 s later only the short talks have
  // ended. With the running ones censored, the survival past 60 s is right;
  // the completed ones alone would say almost nobody talks that long.
  sim::Rng rng(22);
  std::vector<double> talks;
  for (int i = 0; i < 100; ++i) talks.push_back(sim::LogNormal{120, 90}.sample(rng));
  DurationModel with(500), without(500);
  std::vector<double> running;
  for (double d : talks) {
    if (d <= 90) {
      with.observe(secs(d), at(d));
      without.observe(secs(d), at(d));
    } else {
      running.push_back(90);
    }
  }
  with.refresh(at(90), true, running);
  without.refresh(at(90), true);
  EXPECT_NEAR(with.survival(60), 1 - lognormal_cdf(60, 120, 90), 0.08);
  EXPECT_NEAR(with.survival(89), 1 - lognormal_cdf(89, 120, 90), 0.08);
  EXPECT_LT(without.survival(60), 1 - lognormal_cdf(60, 120, 90) - 0.1);
  EXPECT_LT(without.survival(91), 0.01) << "as if nobody talked longer than 90 s";
  EXPECT_LE(with.tail_start(), 90) << "nothing is known past the longest elapsed time";
}

TEST(PredictivePacing, PredictsWhenBusyAgentsFreeUp) {
  sim::Rng rng(31);
  PredictivePacing pacing;
  for (int i = 0; i < 3000; ++i) {
    pacing.observe_talk(secs(sim::LogNormal{120, 90}.sample(rng)), at(i));
    pacing.observe_wrap(secs(sim::LogNormal{20, 10}.sample(rng)), at(i));
  }
  // In wrap-up: free soon if the wrap-up has run long, not if it just began.
  double just_began = pacing.free_within(false, 0.5, 4.25);
  double ran_long = pacing.free_within(false, 25.5, 4.25);
  EXPECT_LT(just_began, 0.10);
  EXPECT_GT(ran_long, 0.20);
  EXPECT_GT(pacing.free_within(false, 15.5, 30.0), 0.85);
  // Monotone in the horizon.
  double prev = 0;
  for (double x = 2.25; x <= 33.75; x += 0.5) {
    double p = pacing.free_within(false, 10.5, x);
    EXPECT_GE(p, prev - 1e-9) << x;
    prev = p;
  }
  // Still talking: a wrap-up follows, so free within 6 s is unlikely, and
  // talks that ran long end at a lower rate than the early ones (the
  // log-normal's hazard falls).
  EXPECT_LT(pacing.free_within(true, 60.5, 6.25), 0.05);
  double after_1min = pacing.free_within(true, 60.5, 33.75);
  double after_10min = pacing.free_within(true, 600.5, 33.75);
  EXPECT_GT(after_1min, 0.02);
  EXPECT_LT(after_10min, after_1min);
}

namespace {

// A predictive policy that has seen a campaign like S3 for a while.
PredictivePacing warmed_up(PredictiveConfig config = {}) {
  PredictivePacing pacing(config);
  sim::Rng rng(41);
  for (int i = 0; i < 3000; ++i) {
    SyntheticCall c = make_call(rng, i, 0.2);
    pacing.observe_resolution(secs(c.resolves - c.placed), c.human, at(i));
    if (i % 5 == 0) {
      pacing.observe_talk(secs(sim::LogNormal{120, 90}.sample(rng)), at(i));
      pacing.observe_wrap(secs(sim::LogNormal{20, 10}.sample(rng)), at(i));
    }
  }
  return pacing;
}

struct Situation {
  std::vector<Duration> ages;
  std::vector<BusyAgent> busy;
  PacingInput input(int idle, AbandonmentTotals window) const {
    PacingInput in;
    in.now = at(4000);
    in.idle_agents = idle;
    in.staffed_agents = idle + static_cast<int>(busy.size());
    in.in_flight = static_cast<int>(ages.size());
    in.call_ages = ages;
    in.busy = busy;
    in.window = window;
    in.limit = 0.03;
    return in;
  }
};

Situation fifty_agents() {
  Situation s;
  for (int i = 0; i < 45; ++i) s.busy.push_back(BusyAgent{i % 3 != 0, secs(5.0 + 7 * i)});
  for (int i = 0; i < 6; ++i) s.ages.push_back(secs(2.0 * i));
  return s;
}

}  // namespace

TEST(PredictivePacing, DialsAheadOfFreeAgentsWithinTheBudget) {
  PredictivePacing pacing = warmed_up();
  ASSERT_TRUE(pacing.warmed_up());
  Situation s = fifty_agents();
  int n = pacing.calls_to_launch(s.input(5, AbandonmentTotals{2000, 40}));
  EXPECT_TRUE(pacing.diagnostics().predicting);
  EXPECT_GT(n, 5) << "more than progressive's 5 - 6 calls";
  EXPECT_LT(n, 200);
  EXPECT_GT(pacing.launch_risk(n - 1), pacing.launch_risk(0));
  EXPECT_LE(pacing.launch_risk(n - 1), pacing.diagnostics().threshold + 1e-9);
}

TEST(PredictivePacing, FallsBackToProgressiveWhenTheBudgetIsSpent) {
  PredictivePacing pacing = warmed_up();
  Situation s = fifty_agents();
  // 3.1% over the window: nothing left to spend.
  int n = pacing.calls_to_launch(s.input(8, AbandonmentTotals{2000, 62}));
  EXPECT_FALSE(pacing.diagnostics().predicting);
  EXPECT_EQ(n, 8 - 6) << "one call per idle agent, counting the calls in flight";
  // With the budget back (older abandonments left the window), it predicts.
  n = pacing.calls_to_launch(s.input(8, AbandonmentTotals{2000, 30}));
  EXPECT_TRUE(pacing.diagnostics().predicting);
  EXPECT_GT(n, 2);
}

TEST(PredictivePacing, ExpectedAbandonsOfCallsInFlightCountAgainstTheBudget) {
  PredictivePacing pacing = warmed_up();
  Situation s = fifty_agents();
  PacingInput in = s.input(8, AbandonmentTotals{2000, 55});
  int free_budget = pacing.calls_to_launch(in);
  EXPECT_TRUE(pacing.diagnostics().predicting);
  in.committed_risk = 40;  // the calls in flight may add ~8 abandonments
  int committed = pacing.calls_to_launch(in);
  EXPECT_FALSE(pacing.diagnostics().predicting);
  EXPECT_LT(committed, free_budget);
}

TEST(PredictivePacing, StaysProgressiveUntilTheModelsHaveData) {
  PredictivePacing pacing;
  Situation s = fifty_agents();
  EXPECT_EQ(pacing.calls_to_launch(s.input(10, AbandonmentTotals{})), 4);
  EXPECT_FALSE(pacing.diagnostics().predicting);
  EXPECT_FALSE(pacing.warmed_up());
}

TEST(PredictivePacing, ThresholdFollowsTheBudgetLeft) {
  PredictiveConfig config;
  PredictivePacing pacing(config);
  double spent = pacing.threshold_for(AbandonmentTotals{1000, 40}, 0.03);
  double on_target = pacing.threshold_for(AbandonmentTotals{1000, 19}, 0.03);
  double unused = pacing.threshold_for(AbandonmentTotals{1000, 5}, 0.03);
  EXPECT_LT(spent, on_target);
  EXPECT_LT(on_target, unused);
  EXPECT_GE(spent, config.min_threshold);
  EXPECT_LE(pacing.threshold_for(AbandonmentTotals{1000000, 0}, 0.03), config.max_threshold);
  // A new campaign starts cautious: below the initial threshold.
  EXPECT_LT(pacing.threshold_for(AbandonmentTotals{}, 0.03), config.initial_threshold);
}

TEST(FixedPacing, ProgressiveAndPowerCountLinesPerIdleAgent) {
  ProgressivePacing progressive;
  PowerPacing power(2.5);
  PacingInput in;
  in.idle_agents = 4;
  in.in_flight = 3;
  EXPECT_EQ(progressive.calls_to_launch(in), 1);
  EXPECT_EQ(power.calls_to_launch(in), 7);
  in.waiting_calls = 1;
  in.idle_agents = 0;
  EXPECT_EQ(progressive.calls_to_launch(in), 0);
  EXPECT_EQ(power.calls_to_launch(in), 0);
  EXPECT_TRUE(power.paces_on_events());
  EXPECT_FALSE(PredictivePacing().paces_on_events());
}

TEST(DialMode, ParsesAndPrints) {
  for (const char* text : {"preview", "progressive", "predictive", "power:2.5", "power:3"}) {
    auto m = DialMode::parse(text);
    ASSERT_TRUE(m.ok()) << text;
    EXPECT_EQ(m->to_string(), text);
  }
  EXPECT_DOUBLE_EQ(DialMode::parse("power:1.75")->lines_per_agent, 1.75);
  for (const char* bad : {"power", "power:", "power:0.5", "power:x", "turbo", "power:2.5x"}) {
    auto m = DialMode::parse(bad);
    EXPECT_FALSE(m.ok()) << bad;
  }
}
