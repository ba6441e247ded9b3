// Synthetic outcome tables with a known signal, for tests, benchmarks and
// the demo: rows shaped like a bank's telemarketing outcomes file (age, job,
// marital, education, default, balance, housing, loan, contact, month,
// day_of_week, campaign, pdays with 999 = never contacted, previous,
// poutcome, two macro-economic rates, the last contact date, a 60-level
// region code, a customer id) and a yes/no target drawn from a logistic
// ground truth over them (non-linear in age and balance, with interactions
// none of the encodings spells out). The true probability of every row is
// returned, so a test can compare a model's AUC with the ground truth's own.
//
// Messiness on purpose: blank cells, an "unknown" category, "NA" and
// "unknown" in the numeric balance column, a rare education level, the pdays
// sentinel, and optionally a leaking column (call_seconds, which depends on
// the outcome) and pure-noise columns.
//
// Deterministic for a seed. Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "scoring/table.h"

namespace telemark::scoring {

struct SyntheticOptions {
  uint64_t rows = 20000;
  uint64_t seed = 1;
  double missing_share = 0.03;  // blank cells in marital, education, balance
  bool leak_column = false;     // adds call_seconds, known only after the call
  int noise_columns = 0;        // adds noise_1..noise_N (no signal)
  bool customer_id = true;      // adds customer_id (unique per row)
};

struct SyntheticTable {
  Table table;                      // includes the target column "y" (yes/no)
  std::vector<double> probability;  // ground truth P(y = yes) per row
  std::vector<uint8_t> label;       // the drawn outcome per row
};

SyntheticTable make_synthetic(const SyntheticOptions& options);

// Writes a table as CSV (UCI style with ';': text quoted, numbers bare).
Status write_table_csv(const Table& table, const std::string& path, char delimiter = ';', bool quote_text = true);

}  // namespace telemark::scoring
