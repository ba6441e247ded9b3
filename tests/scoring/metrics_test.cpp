// AUC, gain table, lift and calibration on hand-checked examples.
#include <gtest/gtest.h>

#include "scoring/metrics.h"

namespace telemark::scoring {
namespace {

TEST(Auc, KnownValues) {
  std::vector<uint8_t> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.1f, 0.2f, 0.3f, 0.4f}, y), 1.0);
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.4f, 0.3f, 0.2f, 0.1f}, y), 0.0);
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}, y), 0.5);
  // Pairs (pos, neg): (0.35 > 0.1), (0.35 > 0.4 no), (0.8 > both) = 3 of 4.
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, y), 0.75);
  // A tie between a positive and a negative counts half:
  // negatives 0.1, 0.4; positives 0.4, 0.8: pairs 1 + 0.5 + 1 + 1 = 3.5 of 4.
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.1f, 0.4f, 0.4f, 0.8f}, y), 0.875);
  EXPECT_DOUBLE_EQ(auc(std::vector<float>{0.1f, 0.2f}, std::vector<uint8_t>{1, 1}), 0.5);
}

TEST(Evaluate, GainTableLiftAndCalibration) {
  // 100 rows, scores 0.99..0.00; the top 10 rows are all positive, 5 more among the rest.
  std::vector<float> s;
  std::vector<uint8_t> y;
  for (int i = 0; i < 100; ++i) {
    s.push_back(static_cast<float>(99 - i) / 100);
    y.push_back(i < 10 || i % 20 == 15 ? 1 : 0);
  }
  Evaluation e = evaluate(s, y);
  EXPECT_EQ(e.rows, 100u);
  EXPECT_EQ(e.positives, 15u);
  ASSERT_EQ(e.gain.size(), 10u);
  EXPECT_EQ(e.gain[0].positives, 10u);
  EXPECT_NEAR(e.gain[0].lift, 1.0 / 0.15, 1e-9);
  EXPECT_NEAR(e.gain[0].cumulative_gain, 10.0 / 15, 1e-9);
  EXPECT_NEAR(e.gain[9].cumulative_gain, 1.0, 1e-12);
  EXPECT_NEAR(e.gain[9].cumulative_lift, 1.0, 1e-12);
  uint64_t rows = 0;
  for (const auto& g : e.gain) rows += g.rows;
  EXPECT_EQ(rows, 100u);
  ASSERT_EQ(e.lift.size(), 3u);
  EXPECT_NEAR(e.lift[0].lift, 1.0 / 0.15, 1e-9);
  EXPECT_NEAR(e.lift[0].gain, 10.0 / 15, 1e-9);
  EXPECT_NEAR(e.lift[2].gain, 12.0 / 15, 1e-9);  // rows 15, 35 among the top 50
  ASSERT_EQ(e.calibration.size(), 10u);
  EXPECT_NEAR(e.calibration[9].mean_predicted, (0.99 + 0.90) / 2, 1e-6);
  EXPECT_NEAR(e.calibration[9].observed_rate, 1.0, 1e-12);
  EXPECT_NEAR(e.calibration[0].mean_predicted, (0.09 + 0.00) / 2, 1e-6);
  EXPECT_EQ(e.roc.front().x, 0);
  EXPECT_EQ(e.roc.back().x, 1);
  EXPECT_EQ(e.roc.back().y, 1);
  ASSERT_EQ(e.gain_curve.size(), 101u);
  EXPECT_NEAR(e.gain_curve[10].y, 10.0 / 15, 1e-12);
  auto j = e.to_json();
  EXPECT_EQ(j["rows"], 100);
  EXPECT_EQ(j["positives"], 15);
  EXPECT_TRUE(j.contains("auc"));
  EXPECT_EQ(j["deciles"].size(), 10u);
}

TEST(LiftAt, TopShare) {
  std::vector<float> s = {0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.0f};
  std::vector<uint8_t> y = {1, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  auto l = lift_at(s, y, 0.2);
  EXPECT_NEAR(l.lift, 0.5 / 0.2, 1e-12);
  EXPECT_NEAR(l.gain, 0.5, 1e-12);
}

}  // namespace
}  // namespace telemark::scoring
