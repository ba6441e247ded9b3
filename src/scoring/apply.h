// Applying a Model: scoring a CSV file into another (streaming, in chunks),
// and evaluating a model on a labelled Table.
//
// apply_csv() copies every input row to the output unchanged (same order,
// same delimiter, the row's own text) and appends a score column, the
// predicted probability with 6 decimals. Rows are read, encoded and scored
// in chunks, so memory stays flat on large files. Categories unseen at
// training time and text in numeric columns are not errors: they score as
// "other" and as missing, and ApplyReport counts them per column (with the
// first line for text in a numeric column) for the caller to warn about.
// The output is written to a temporary file and renamed at the end, so a
// failed run leaves no half-written output.
//
// Thread-safety: plain functions; the Model is shared read-only.
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "scoring/metrics.h"
#include "scoring/model.h"
#include "scoring/table.h"

namespace telemark::scoring {

struct ApplyOptions {
  std::string input;
  std::string output;
  TableReadOptions read;
  std::string score_column = "score";
  size_t chunk_rows = 65536;
  PredictOptions predict;
};

struct ApplyReport {
  uint64_t rows = 0;
  std::vector<ColumnEncodeIssue> issues;
};

// Errors: the reader's (naming file and line), "missing_columns",
// "bad_output_column" (the input already has the score column), "io_error".
Result<ApplyReport> apply_csv(const Model& model, const ApplyOptions& options);

// Adds b's counts to a (same columns merged; first line and examples kept).
void merge_issues(std::vector<ColumnEncodeIssue>& a, const std::vector<ColumnEncodeIssue>& b);

struct ModelEvaluation {
  Evaluation evaluation;
  uint64_t unlabelled = 0;
  std::vector<ColumnEncodeIssue> issues;
};

// Scores the table and compares with its labels (extract_labels' errors).
Result<ModelEvaluation> evaluate_model(const Model& model, const Table& table, const std::string& target,
                                       const std::string& positive, const PredictOptions& options = {});

}  // namespace telemark::scoring
