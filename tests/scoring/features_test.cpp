// Column detection (data-driven: infer_cases.txt) and encoding.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "scoring/features.h"

namespace telemark::scoring {
namespace {

std::vector<std::string> split_bar(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string part;
  while (std::getline(ss, part, '|')) out.emplace_back(trim(part));
  return out;
}

std::vector<std::string> expand(const std::vector<std::string>& cells) {
  std::vector<std::string> out;
  for (const auto& c : cells) {
    std::string value = c;
    size_t copies = 1;
    if (auto star = c.rfind('*'); star != std::string::npos) {
      value = c.substr(0, star);
      copies = std::stoul(c.substr(star + 1));
    }
    if (value == "(empty)") value.clear();
    if (auto hash = value.find('#'); hash != std::string::npos) {
      size_t k = std::stoul(value.substr(hash + 1));
      for (size_t i = 1; i <= k; ++i)
        for (size_t n = 0; n < copies; ++n) out.push_back(value.substr(0, hash) + std::to_string(i));
    } else {
      for (size_t n = 0; n < copies; ++n) out.push_back(value);
    }
  }
  return out;
}

Table one_column(const std::vector<std::string>& values) {
  Table t({"c"});
  for (size_t i = 0; i < values.size(); ++i) {
    std::string_view cell = values[i];
    t.append_row(std::span<const std::string_view>(&cell, 1), i + 2);
  }
  return t;
}

TEST(InferFeatures, DataDrivenCases) {
  std::ifstream in(TELEMARK_SCORING_CASES);
  ASSERT_TRUE(in) << TELEMARK_SCORING_CASES;
  std::string line;
  int lineno = 0, cases = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    ++cases;
    auto parts = split_bar(line);
    ASSERT_GE(parts.size(), 2u) << "line " << lineno;
    std::stringstream exp(parts[0]);
    std::string kind;
    exp >> kind;
    std::vector<std::string> checks;
    for (std::string w; exp >> w;) checks.push_back(w);
    Table t = one_column(expand({parts.begin() + 1, parts.end()}));
    InferredFeatures f = infer_features(t, {});
    SCOPED_TRACE("infer_cases.txt line " + std::to_string(lineno) + ": " + line);
    if (kind == "dropped") {
      EXPECT_TRUE(f.spec.columns.empty());
      ASSERT_EQ(f.dropped.size(), 1u);
      EXPECT_FALSE(f.dropped[0].reason.empty());
      continue;
    }
    ASSERT_EQ(f.spec.columns.size(), 1u);
    const ColumnSpec& c = f.spec.columns[0];
    EXPECT_EQ(to_string(c.kind), kind);
    for (const auto& chk : checks) {
      auto eq = chk.find('=');
      std::string key = chk.substr(0, eq), val = eq == std::string::npos ? "" : chk.substr(eq + 1);
      if (key == "sentinel") {
        EXPECT_TRUE(c.has_sentinel);
        EXPECT_EQ(c.sentinel, std::stod(val));
      } else if (key == "no_sentinel") {
        EXPECT_FALSE(c.has_sentinel);
      } else if (key == "text_as_missing") {
        EXPECT_EQ(c.text_as_missing_rows, std::stoul(val));
      } else if (key == "one_hot") {
        EXPECT_EQ(c.encoding, CategoryEncoding::kOneHot);
      } else if (key == "frequency_target") {
        EXPECT_EQ(c.encoding, CategoryEncoding::kFrequencyTarget);
      } else if (key == "levels") {
        EXPECT_EQ(c.levels.size(), std::stoul(val));
      } else if (key == "other") {
        EXPECT_TRUE(c.has_other);
      } else if (key == "time") {
        EXPECT_TRUE(c.has_time);
      } else {
        ADD_FAILURE() << "unknown check " << chk;
      }
    }
    EXPECT_EQ(f.spec.feature_count(), c.feature_count());
  }
  EXPECT_GE(cases, 20);
}

TEST(InferFeatures, SkipsTargetIdAndExcluded) {
  Table t({"id", "x", "y", "z"});
  for (int i = 0; i < 60; ++i) {
    std::vector<std::string> row = {std::to_string(i), std::to_string(i % 7), i % 2 ? "yes" : "no", "a"};
    t.append_row(std::span<const std::string>(row));
  }
  InferOptions o;
  o.skip = {"id", "y"};
  auto f = infer_features(t, o);
  ASSERT_EQ(f.spec.columns.size(), 1u);
  EXPECT_EQ(f.spec.columns[0].name, "x");
  ASSERT_EQ(f.dropped.size(), 1u);
  EXPECT_EQ(f.dropped[0].name, "z");
}

TEST(Calendar, Parsing) {
  int hour = 0;
  EXPECT_EQ(parse_iso_day("1970-01-02", &hour), 1);
  EXPECT_EQ(hour, -1);
  EXPECT_EQ(parse_iso_day("2024-03-01T17:05:00Z", &hour), 19783);
  EXPECT_EQ(hour, 17);
  EXPECT_FALSE(parse_iso_day("2024-02-30", nullptr));
  EXPECT_FALSE(parse_iso_day("2024-13-01", nullptr));
  EXPECT_FALSE(parse_iso_day("2024-01-05x", nullptr));
  EXPECT_FALSE(parse_iso_day("05/01/2024", nullptr));
  EXPECT_EQ(month_number("mag"), 5);
  EXPECT_EQ(month_number("Dec."), 12);
  EXPECT_EQ(month_number("maybe"), 0);
  EXPECT_EQ(weekday_number("THU"), 4);
  EXPECT_EQ(weekday_number("domenica"), 7);
}

// A spec learned on one table encodes another the same way, and what it did
// not foresee is counted rather than failing.
TEST(BoundEncoder, EncodesAndCountsSurprises) {
  Table train({"age", "job", "pdays", "when", "month"});
  for (int i = 0; i < 200; ++i) {
    std::vector<std::string> row = {i % 50 == 0 ? "unknown" : std::to_string(20 + i % 40), i % 2 ? "admin." : "student",
                                    i % 10 ? "999" : std::to_string(i % 27), i % 3 ? "2024-01-05" : "2024-02-10",
                                    i % 4 ? "may" : "jun"};
    train.append_row(std::span<const std::string>(row), static_cast<uint64_t>(i + 2));
  }
  auto f = infer_features(train, {});
  ASSERT_EQ(f.spec.columns.size(), 5u);
  const auto& pdays = f.spec.columns[2];
  ASSERT_TRUE(pdays.has_sentinel);
  EXPECT_EQ(pdays.sentinel, 999);

  Table apply({"month", "when", "pdays", "job", "age", "extra"});  // other order, an extra column
  std::vector<std::vector<std::string>> rows = {
      {"jun", "2024-01-05", "999", "astronaut", "abc", "x"},
      {"may", "2024-02-10", "3", "admin.", "unknown", "y"},
      {"", "", "", "", "", ""},
  };
  for (size_t i = 0; i < rows.size(); ++i) apply.append_row(std::span<const std::string>(rows[i]), 10 + i);
  auto enc = BoundEncoder::bind(f.spec, apply);
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  const size_t W = enc->feature_count();
  ASSERT_EQ(W, f.spec.feature_count());
  std::vector<float> x(3 * W);
  enc->encode(0, 3, x.data());
  auto feature = [&](const std::string& name) {
    for (size_t i = 0; i < f.spec.feature_names.size(); ++i)
      if (f.spec.feature_names[i] == name) return i;
    ADD_FAILURE() << "no feature " << name;
    return size_t{0};
  };
  // Text in a numeric column: missing; 'unknown' was seen at training, so only 'abc' is reported.
  EXPECT_TRUE(std::isnan(x[feature("age")]));
  // The sentinel: indicator set, value missing.
  EXPECT_TRUE(std::isnan(x[feature("pdays")]));
  EXPECT_EQ(x[feature("pdays=999 (never)")], 1.0f);
  EXPECT_EQ(x[W + feature("pdays")], 3.0f);
  EXPECT_EQ(x[W + feature("pdays=999 (never)")], 0.0f);
  // Unseen category: no level set.
  EXPECT_EQ(x[feature("job=admin.")], 0.0f);
  EXPECT_EQ(x[feature("job=student")], 0.0f);
  EXPECT_EQ(x[W + feature("job=admin.")], 1.0f);
  // Dates: 2024-01-05 is a Friday; 2024-02-10 is the latest training date.
  EXPECT_EQ(x[feature("when.weekday")], 5.0f);
  EXPECT_EQ(x[feature("when.month")], 1.0f);
  EXPECT_EQ(x[feature("when.day")], 5.0f);
  EXPECT_EQ(x[feature("when.days_before_latest")], 36.0f);
  // Month names: ordinal and one-hot.
  EXPECT_EQ(x[feature("month (month number)")], 6.0f);
  EXPECT_EQ(x[feature("month=jun")], 1.0f);
  EXPECT_EQ(x[W + feature("month=may")], 1.0f);
  // Empty row: all missing or zero, never a crash.
  EXPECT_TRUE(std::isnan(x[2 * W + feature("age")]));
  EXPECT_TRUE(std::isnan(x[2 * W + feature("when.weekday")]));

  bool saw_age = false, saw_job = false;
  for (const auto& i : enc->issues()) {
    if (i.column == "age") {
      saw_age = true;
      EXPECT_EQ(i.text_in_numeric_rows, 1u);
      EXPECT_EQ(i.first_line, 10u);
      EXPECT_EQ(i.first_value, "abc");
    }
    if (i.column == "job") {
      saw_job = true;
      EXPECT_EQ(i.unseen_rows, 2u);  // 'astronaut' and the empty cell
    }
  }
  EXPECT_TRUE(saw_age);
  EXPECT_TRUE(saw_job);

  Table lacking({"age"});
  auto bad = BoundEncoder::bind(f.spec, lacking);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "missing_columns");
  EXPECT_NE(bad.error().message.find("job"), std::string::npos);
  EXPECT_NE(bad.error().message.find("pdays"), std::string::npos);
}

TEST(FeatureSpec, JsonRoundTrip) {
  Table t({"a", "b", "c"});
  for (int i = 0; i < 300; ++i) {
    std::vector<std::string> row = {std::to_string(i % 13) + ".25", "r" + std::to_string(i % 30), i % 3 ? "x" : "y"};
    t.append_row(std::span<const std::string>(row));
  }
  auto f = infer_features(t, {});
  std::vector<uint32_t> rows(300);
  std::vector<uint8_t> labels(300);
  for (uint32_t i = 0; i < 300; ++i) {
    rows[i] = i;
    labels[i] = i % 5 == 0;
  }
  fit_target_encoding(f.spec, t, rows, labels);
  auto back = FeatureSpec::from_json(nlohmann::json::parse(f.spec.to_json().dump()));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->to_json().dump(), f.spec.to_json().dump());
  EXPECT_EQ(back->feature_names, f.spec.feature_names);
  EXPECT_EQ(back->columns[1].level_target, f.spec.columns[1].level_target);
}

// Out-of-fold target encoding never uses a row's own label: a level seen on
// one row only gets the prior of the other folds, not its own outcome.
TEST(TargetEncoding, OutOfFoldIgnoresOwnLabel) {
  Table t({"k"});
  std::vector<uint32_t> rows;
  std::vector<uint8_t> labels;
  for (uint32_t i = 0; i < 400; ++i) {
    std::string v = i < 20 ? "solo" + std::to_string(i) : "L" + std::to_string(i % 20);
    std::string_view cell = v;
    t.append_row(std::span<const std::string_view>(&cell, 1));
    rows.push_back(i);
    labels.push_back(i < 20 ? 1 : 0);  // base rate 5 %
  }
  auto f = infer_features(t, {});
  ASSERT_EQ(f.spec.columns[0].encoding, CategoryEncoding::kFrequencyTarget);
  fit_target_encoding(f.spec, t, rows, labels);
  auto enc = BoundEncoder::bind(f.spec, t);
  ASSERT_TRUE(enc.ok());
  std::vector<float> x(400 * 2);
  enc->encode(0, 400, x.data());
  // In-sample, a positive singleton leaks its label: (1 + 20 * 0.05) / 21...
  for (int i = 0; i < 20; ++i) EXPECT_NEAR(x[static_cast<size_t>(i) * 2 + 1], 2.0 / 21, 1e-6) << i;
  apply_out_of_fold_target_encoding(f.spec, t, rows, labels, 1, x.data());
  // ...out of fold it is the other folds' base rate only (16 of 320 give or take).
  for (int i = 0; i < 20; ++i) EXPECT_LT(x[static_cast<size_t>(i) * 2 + 1], 0.07f) << i;
  for (int i = 0; i < 20; ++i) EXPECT_GT(x[static_cast<size_t>(i) * 2 + 1], 0.03f) << i;
}

}  // namespace
}  // namespace telemark::scoring

namespace telemark::scoring {
namespace {

// A level too rare to get its own feature at training time scores as
// "other" without being reported; a level never seen is reported.
TEST(BoundEncoder, RareLevelsAreOtherButNotUnseen) {
  Table train({"k"});
  for (int i = 0; i < 100; ++i) {
    std::string v = i < 50 ? "a" : i < 98 ? "b" : "c";
    std::string_view cell = v;
    train.append_row(std::span<const std::string_view>(&cell, 1));
  }
  auto f = infer_features(train, {});
  ASSERT_EQ(f.spec.columns.size(), 1u);
  const ColumnSpec& c = f.spec.columns[0];
  ASSERT_TRUE(c.has_other);
  EXPECT_EQ(c.rare_levels, std::vector<std::string>{"c"});
  Table apply({"k"});
  for (const char* v : {"c", "d", "a"}) {
    std::string_view cell = v;
    apply.append_row(std::span<const std::string_view>(&cell, 1));
  }
  auto enc = BoundEncoder::bind(f.spec, apply);
  ASSERT_TRUE(enc.ok());
  std::vector<float> x(3 * enc->feature_count());
  enc->encode(0, 3, x.data());
  const size_t W = enc->feature_count();
  EXPECT_EQ(x[W - 1], 1.0f);      // c: other
  EXPECT_EQ(x[2 * W - 1], 1.0f);  // d: other too
  EXPECT_EQ(x[2 * W], 1.0f);      // a
  ASSERT_EQ(enc->issues().size(), 1u);
  EXPECT_EQ(enc->issues()[0].unseen_rows, 1u);
  EXPECT_EQ(enc->issues()[0].unseen_examples, std::vector<std::string>{"d"});
}

}  // namespace
}  // namespace telemark::scoring
