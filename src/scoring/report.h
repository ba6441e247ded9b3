// The HTML evaluation report: one self-contained page (inline CSS and SVG,
// no scripts, no network) with the summary, the cumulative gain chart, the
// ROC curve, the gain table by decile and the calibration table.
// Pure function; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "scoring/metrics.h"

namespace telemark::scoring {

struct ReportContext {
  std::string title = "Lead score evaluation";
  std::string model;    // model file
  std::string data;     // evaluated file
  std::string target;
  std::string positive;
  size_t trees = 0;
  double training_cv_auc = 0;  // 0 when unknown
  std::vector<std::string> notes;  // warnings to show
};

std::string html_report(const Evaluation& e, const ReportContext& context);

// Escapes & < > " ' for HTML text and attributes.
std::string html_escape(std::string_view s);

}  // namespace telemark::scoring
