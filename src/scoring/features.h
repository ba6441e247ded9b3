// Features: how the columns of an outcomes table become the numbers a
// gradient-boosted model learns from, and the spec that a model file keeps
// so that scoring encodes new rows exactly as training did.
//
// infer_features() looks at a training Table without its labels and decides,
// per column:
// - numeric: nearly all (95 %) non-missing cells parse as numbers, or most
//   do and the rest are a handful of distinct markers; the text cells
//   ("unknown", "n.a.") are taken as missing. A dominant extreme value
//   far from the rest (pdays = 999 or -1: "never contacted") becomes an
//   indicator feature and is otherwise taken as missing.
// - date (ISO 8601, with or without a time): day of week, month, day of
//   month, days before the latest training date (and the hour, when given).
// - month names (jan..dec, january.., Italian gen..dic) and weekday names:
//   an ordinal feature plus one-hot levels.
// - categorical: one-hot for up to 16 frequent levels (rarer ones, and
//   levels unseen at training time, share an "other" feature when the
//   training data had rare levels, else set none);
//   beyond that, frequency encoding plus a smoothed target encoding, which
//   fit_target_encoding() learns from labelled rows and which training
//   computes out-of-fold so that no row sees its own label.
// - dropped: constant columns, and text columns whose values are nearly all
//   distinct (identifiers, free text), with the reason.
//
// BoundEncoder applies a FeatureSpec to a Table: it resolves columns by name
// and precomputes, for every distinct cell value, that value's features, so
// encoding a row is a handful of copies. Row-major float output, NaN for
// missing (XGBoost's native missing value).
//
// Thread-safety: FeatureSpec is a value; a BoundEncoder is immutable after
// bind() and may encode disjoint row ranges from several threads.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "scoring/table.h"

namespace telemark::scoring {

enum class ColumnKind : uint8_t { kNumeric, kCategorical, kDate, kMonth, kWeekday };
enum class CategoryEncoding : uint8_t { kOneHot, kFrequencyTarget };

std::string_view to_string(ColumnKind kind);

struct ColumnSpec {
  std::string name;
  ColumnKind kind = ColumnKind::kNumeric;

  // kNumeric
  bool has_sentinel = false;
  double sentinel = 0;  // the "never" value (pdays 999)
  uint64_t sentinel_rows = 0;
  uint64_t text_as_missing_rows = 0;          // text cells taken as missing at training time
  std::vector<std::string> text_as_missing;   // a few of their values, for messages

  // kCategorical (kMonth / kWeekday: levels are "1".."12" / "1".."7")
  CategoryEncoding encoding = CategoryEncoding::kOneHot;
  std::vector<std::string> levels;     // "" is the missing level
  bool has_other = false;              // one-hot: a feature for levels too rare to keep
  std::vector<std::string> rare_levels;  // one-hot: those rare levels (up to 1000), so they are not "unseen"
  std::vector<float> level_frequency;  // kFrequencyTarget: share of training rows per level
  std::vector<float> level_target;     // kFrequencyTarget: smoothed positive rate per level
  float target_prior = 0;              // kFrequencyTarget: rate for unseen levels

  // kDate
  int32_t reference_day = 0;  // days since 1970-01-01 of the latest training date
  bool has_time = false;

  size_t feature_count() const;
};

struct FeatureSpec {
  std::vector<ColumnSpec> columns;
  // Derived by finalize(): one name and source column per encoded feature.
  std::vector<std::string> feature_names;
  std::vector<uint32_t> feature_column;

  void finalize();
  size_t feature_count() const { return feature_names.size(); }

  nlohmann::json to_json() const;
  static Result<FeatureSpec> from_json(const nlohmann::json& j);
};

struct DroppedColumn {
  std::string name;
  std::string reason;
};

struct InferredFeatures {
  FeatureSpec spec;
  std::vector<DroppedColumn> dropped;
};

struct InferOptions {
  std::vector<std::string> skip;   // target, id and excluded columns
  size_t max_one_hot_levels = 16;
  double numeric_share = 0.95;     // of non-missing cells that must be numbers (or dates, months...)
};

// Label-free decisions over every row of `table`.
InferredFeatures infer_features(const Table& table, const InferOptions& options);

// Target statistics for kFrequencyTarget columns, from the given rows of
// `table` and their labels (labels[i] belongs to rows[i]).
void fit_target_encoding(FeatureSpec& spec, const Table& table, std::span<const uint32_t> rows,
                         std::span<const uint8_t> labels);

// What encoding met that the spec did not foresee; counted per column.
struct ColumnEncodeIssue {
  std::string column;
  uint64_t unseen_rows = 0;        // categorical levels not seen at training time
  uint64_t text_in_numeric_rows = 0;
  uint64_t first_line = 0;         // source line of the first text-in-numeric cell
  std::string first_value;
  std::vector<std::string> unseen_examples;
};

class BoundEncoder {
 public:
  // Errors: "missing_columns" naming the spec's columns the table lacks.
  static Result<BoundEncoder> bind(const FeatureSpec& spec, const Table& table);

  size_t feature_count() const { return width_; }
  // Rows [begin, end) into out[(row - begin) * feature_count() + f].
  void encode(size_t begin, size_t end, float* out) const;
  // The given rows, in order.
  void encode(std::span<const uint32_t> rows, float* out) const;

  const std::vector<ColumnEncodeIssue>& issues() const { return issues_; }

 private:
  struct Part {
    const Column* column = nullptr;
    size_t offset = 0;           // first feature
    size_t width = 0;            // features
    std::vector<float> values;   // width values per dictionary code
  };
  void encode_row(size_t row, float* out) const;

  std::vector<Part> parts_;
  size_t width_ = 0;
  std::vector<ColumnEncodeIssue> issues_;
};

// Replaces the kFrequencyTarget target features of `matrix` (rows[i] is
// matrix row i) by out-of-fold values: each row gets the statistics of the
// other folds only, so training never sees a row's own label in its features.
void apply_out_of_fold_target_encoding(const FeatureSpec& spec, const Table& table, std::span<const uint32_t> rows,
                                       std::span<const uint8_t> labels, uint64_t seed, float* matrix);

// Calendar helpers used by date features (exposed for tests).
// Days since 1970-01-01 of "YYYY-MM-DD" / "YYYY/MM/DD", optionally followed by
// 'T' or ' ' and a time (hour returned in *hour, else -1).
std::optional<int32_t> parse_iso_day(std::string_view s, int* hour);
// 1..12 for a month name or abbreviation (English, Italian, Spanish, French, German), else 0.
int month_number(std::string_view s);
// 1..7 (Monday = 1) for a weekday name or abbreviation (English, Italian), else 0.
int weekday_number(std::string_view s);

}  // namespace telemark::scoring
