#include "scoring/apply.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "scoring/train.h"

namespace telemark::scoring {

void merge_issues(std::vector<ColumnEncodeIssue>& a, const std::vector<ColumnEncodeIssue>& b) {
  for (const auto& x : b) {
    auto it = std::find_if(a.begin(), a.end(), [&](const auto& y) { return y.column == x.column; });
    if (it == a.end()) {
      a.push_back(x);
      continue;
    }
    if (!it->text_in_numeric_rows && x.text_in_numeric_rows) {
      it->first_line = x.first_line;
      it->first_value = x.first_value;
    }
    it->text_in_numeric_rows += x.text_in_numeric_rows;
    it->unseen_rows += x.unseen_rows;
    for (const auto& e : x.unseen_examples)
      if (it->unseen_examples.size() < 5 &&
          std::find(it->unseen_examples.begin(), it->unseen_examples.end(), e) == it->unseen_examples.end())
        it->unseen_examples.push_back(e);
  }
}

Result<ApplyReport> apply_csv(const Model& model, const ApplyOptions& o) {
  auto reader = TableChunkReader::open(o.input, o.read);
  if (!reader.ok()) return reader.error();
  TableChunkReader& r = **reader;
  for (const auto& h : r.header())
    if (h == o.score_column)
      return make_error("bad_output_column",
                        fmt::format("{}: the input already has a column '{}'; name the new one with --score-column",
                                    o.input, o.score_column));
  // The model's columns must all be there before anything is written.
  {
    std::vector<std::string> missing;
    for (const auto& c : model.spec().columns)
      if (std::find(r.header().begin(), r.header().end(), c.name) == r.header().end()) missing.push_back(c.name);
    if (!missing.empty()) {
      std::string need, have;
      for (const auto& m : missing) need += (need.empty() ? "" : ", ") + m;
      for (const auto& h : r.header()) have += (have.empty() ? "" : ", ") + h;
      return make_error("missing_columns", fmt::format("{}: the model needs column{} {} which the input lacks (its "
                                                       "columns: {})",
                                                       o.input, missing.size() > 1 ? "s" : "", need, have));
    }
  }
  const std::string tmp = o.output + ".tmp";
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(tmp.c_str(), "wb"), &std::fclose);
  if (!out) return make_error("io_error", fmt::format("{}: cannot write: {}", o.output, std::strerror(errno)));
  auto fail = [&](Error e) -> Result<ApplyReport> {
    out.reset();
    std::remove(tmp.c_str());
    return e;
  };
  const char delim = r.delimiter();
  std::string buf = r.raw_header();
  buf.push_back(delim);
  append_csv_field(buf, o.score_column, delim);
  buf.push_back('\n');

  ApplyReport report;
  Table chunk;
  TableChunkReader::RawRows raw;
  for (;;) {
    auto n = r.next_chunk(chunk, o.chunk_rows, &raw);
    if (!n.ok()) return fail(n.error());
    if (*n == 0) break;
    auto pred = model.predict(chunk, o.predict);
    if (!pred.ok()) return fail(pred.error());
    merge_issues(report.issues, pred->issues);
    for (size_t i = 0; i < *n; ++i) {
      buf.append(raw.row(i));
      buf.push_back(delim);
      fmt::format_to(std::back_inserter(buf), "{:.6f}\n", pred->scores[i]);
    }
    report.rows += *n;
    if (std::fwrite(buf.data(), 1, buf.size(), out.get()) != buf.size())
      return fail(make_error("io_error", fmt::format("{}: write failed: {}", o.output, std::strerror(errno))));
    buf.clear();
  }
  if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out.get()) != buf.size())
    return fail(make_error("io_error", fmt::format("{}: write failed: {}", o.output, std::strerror(errno))));
  if (std::fflush(out.get()) != 0)
    return fail(make_error("io_error", fmt::format("{}: write failed: {}", o.output, std::strerror(errno))));
  out.reset();
  if (std::rename(tmp.c_str(), o.output.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return make_error("io_error", fmt::format("{}: cannot write: {}", o.output, std::strerror(err)));
  }
  return report;
}

Result<ModelEvaluation> evaluate_model(const Model& model, const Table& table, const std::string& target,
                                       const std::string& positive, const PredictOptions& options) {
  auto labels = extract_labels(table, target, positive);
  if (!labels.ok()) return labels.error();
  auto pred = model.predict(table, options);
  if (!pred.ok()) return pred.error();
  ModelEvaluation out;
  out.unlabelled = labels->unlabelled;
  out.issues = pred->issues;
  std::vector<float> scores(labels->rows.size());
  for (size_t i = 0; i < labels->rows.size(); ++i) scores[i] = pred->scores[labels->rows[i]];
  out.evaluation = evaluate(scores, labels->values);
  return out;
}

}  // namespace telemark::scoring
