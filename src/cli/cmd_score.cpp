// telemark score: train a lead-scoring model on an outcomes file, evaluate
// it on a labelled file, apply it to a file of prospects.
//
// Store-backed forms (score apply --list, score train --campaign, segments)
// come later on the same library calls: build a scoring::Table from stored
// leads and call train_model() / Model::predict().
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "scoring/apply.h"
#include "scoring/model.h"
#include "scoring/report.h"
#include "scoring/train.h"

namespace telemark::cli {
namespace {

using namespace telemark::scoring;

struct ReadArgs {
  std::string delimiter, encoding = "utf-8";
};

void add_read_options(CLI::App* cmd, ReadArgs& r) {
  cmd->add_option("--delimiter", r.delimiter, "Field delimiter (default: detected from the header; 'tab' for tab)");
  cmd->add_option("--encoding", r.encoding, "utf-8, latin1 or windows-1252")->capture_default_str();
}

TableReadOptions read_options(const ReadArgs& r) {
  TableReadOptions o;
  if (!r.delimiter.empty()) {
    const std::string& d = r.delimiter;
    if (d == "tab" || d == "\\t" || d == "\t") o.csv.delimiter = '\t';
    else if (d.size() == 1 && d != "\"" && d != "\n" && d != "\r") o.csv.delimiter = d[0];
    else throw CliError("--delimiter " + d + ": expected one character such as , ; | or 'tab'", kExitUsage);
  }
  auto enc = leads::parse_encoding(r.encoding);
  if (!enc.ok()) throw CliError("--encoding " + r.encoding + ": " + enc.error().message, kExitUsage);
  o.csv.encoding = *enc;
  return o;
}

Table load_table(const std::string& path, const ReadArgs& r) {
  auto t = read_table(path, read_options(r));
  if (!t.ok()) throw CliError(t.error().message, kExitInput);
  return std::move(*t);
}

Model load_model(const std::string& path) {
  auto m = Model::load(path);
  if (!m.ok()) throw CliError(m.error().message, kExitInput);
  return std::move(*m);
}

std::vector<std::string> issue_messages(const std::vector<ColumnEncodeIssue>& issues) {
  std::vector<std::string> out;
  for (const auto& i : issues) {
    if (i.text_in_numeric_rows)
      out.push_back(fmt::format("column '{}': {} row{} had text in a numeric column (first at line {}: '{}'); "
                                "scored as missing",
                                i.column, i.text_in_numeric_rows, i.text_in_numeric_rows == 1 ? "" : "s",
                                i.first_line, i.first_value));
    if (i.unseen_rows) {
      std::string ex;
      for (const auto& e : i.unseen_examples) ex += (ex.empty() ? "'" : ", '") + e + "'";
      out.push_back(fmt::format("column '{}': {} row{} had values not seen at training time (e.g. {}); "
                                "scored as other",
                                i.column, i.unseen_rows, i.unseen_rows == 1 ? "" : "s", ex));
    }
  }
  return out;
}

void print_warnings(const std::vector<std::string>& warnings) {
  std::fflush(stdout);
  for (const auto& w : warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
}

int input_exit(const Error& e) {
  return e.code == "bad_target" || e.code == "bad_positive" || e.code == "bad_exclude" || e.code == "bad_id"
             ? kExitUsage
             : kExitInput;
}

std::string describe(const ColumnSpec& c) {
  switch (c.kind) {
    case ColumnKind::kNumeric: {
      std::string s = "numeric";
      if (c.has_sentinel)
        s += fmt::format(", {} = never ({} rows): indicator + missing", c.sentinel, c.sentinel_rows);
      if (c.text_as_missing_rows) {
        s += fmt::format(", {} text cell{} taken as missing", c.text_as_missing_rows, c.text_as_missing_rows == 1 ? "" : "s");
        if (!c.text_as_missing.empty()) s += " ('" + c.text_as_missing.front() + "'" + (c.text_as_missing.size() > 1 ? ", ..." : "") + ")";
      }
      return s;
    }
    case ColumnKind::kCategorical:
      return c.encoding == CategoryEncoding::kOneHot
                 ? fmt::format("categorical, {} level{}{}, one-hot", c.levels.size(), c.levels.size() == 1 ? "" : "s",
                               c.has_other ? " + other" : "")
                 : fmt::format("categorical, {} levels, frequency + out-of-fold target encoding", c.levels.size());
    case ColumnKind::kDate:
      return std::string("date: weekday, month, day, days before the latest") + (c.has_time ? ", hour" : "");
    case ColumnKind::kMonth: return fmt::format("month names: number + {} one-hot levels", c.levels.size());
    case ColumnKind::kWeekday: return fmt::format("weekday names: number + {} one-hot levels", c.levels.size());
  }
  return "";
}

struct TrainArgs {
  std::string data, target, positive, id, model;
  std::vector<std::string> exclude;
  ReadArgs read;
  uint64_t seed = 1;
  int folds = 5;
  int threads = 2;
  bool json = false;
};

void run_train(const TrainArgs& a) {
  Table table = load_table(a.data, a.read);
  TrainOptions o;
  o.target = a.target;
  o.positive = a.positive;
  o.exclude = a.exclude;
  o.id_column = a.id;
  o.seed = a.seed;
  o.folds = a.folds;
  o.booster.nthread = a.threads;
  if (!a.json) o.progress = [](const std::string& s) { std::fprintf(stderr, "score train: %s\n", s.c_str()); };
  auto r = train_model(table, o);
  if (!r.ok()) throw CliError(r.error().message, input_exit(r.error()));
  if (Status s = r->model.save(a.model); !s.ok()) throw CliError(s.error().message, kExitInput);
  const TrainReport& rep = r->report;
  const FeatureSpec& spec = r->model.spec();
  std::vector<std::string> warnings;
  for (const auto& w : rep.leakage) warnings.push_back(w.message);
  if (rep.unlabelled)
    warnings.push_back(fmt::format("{} row{} with an empty target were skipped", rep.unlabelled, rep.unlabelled == 1 ? "" : "s"));

  if (a.json) {
    nlohmann::json j = rep.to_json(spec);
    j["model"] = a.model;
    if (!j.contains("auc")) j["auc"] = rep.validation_auc;
    j["auc_source"] = rep.cv.folds >= 2 ? "cross_validation" : "validation_split";
    std::printf("%s\n", j.dump().c_str());
    print_warnings(warnings);
    return;
  }
  double rate = static_cast<double>(rep.positives) / static_cast<double>(rep.rows);
  std::printf("Trained on %s: %llu rows, %llu positive (%.1f%%) for %s = %s\n", a.data.c_str(),
              static_cast<unsigned long long>(rep.rows), static_cast<unsigned long long>(rep.positives), rate * 100,
              a.target.c_str(), o.positive.c_str());
  std::printf("Columns: %zu used", spec.columns.size());
  if (!rep.excluded.empty()) {
    std::string ex;
    for (const auto& e : rep.excluded) ex += (ex.empty() ? "" : ", ") + e;
    std::printf(", excluded: %s", ex.c_str());
  }
  std::printf("\n");
  size_t width = 8;
  for (const auto& c : spec.columns) width = std::max(width, c.name.size());
  for (const auto& c : spec.columns) std::printf("  %-*s  %s\n", static_cast<int>(width), c.name.c_str(), describe(c).c_str());
  for (const auto& d : rep.dropped) std::printf("  %-*s  dropped: %s\n", static_cast<int>(width), d.name.c_str(), d.reason.c_str());
  if (rep.cv.folds >= 2) {
    std::printf("Cross-validated AUC (%d-fold, stratified): %.4f ± %.4f\n", rep.cv.folds, rep.cv.mean, rep.cv.sd);
    std::printf("Lift when calling the best-scored first (out-of-fold scores):\n");
    for (const auto& l : rep.cv.lift)
      std::printf("  top %2.0f%%: %.2fx the base rate, finds %.1f%% of the positives\n", l.share * 100, l.lift, l.gain * 100);
  } else {
    std::printf("Validation AUC (no cross-validation): %.4f\n", rep.validation_auc);
  }
  std::printf("Most important columns (share of the trees' split gain):\n");
  for (size_t i = 0; i < rep.column_importance.size() && i < 10; ++i)
    if (rep.column_importance[i].share > 0)
      std::printf("  %2zu. %-*s %5.1f%%\n", i + 1, static_cast<int>(width), rep.column_importance[i].name.c_str(),
                  rep.column_importance[i].share * 100);
  std::printf("Model: %d trees, written to %s\n", rep.rounds, a.model.c_str());
  print_warnings(warnings);
}

struct EvalArgs {
  std::string model, data, target, positive, html;
  ReadArgs read;
  int threads = 2;
  bool json = false;
};

void run_eval(const EvalArgs& a) {
  Model model = load_model(a.model);
  Table table = load_table(a.data, a.read);
  std::string target = a.target.empty() ? model.info().target : a.target;
  std::string positive = a.positive.empty() ? model.info().positive : a.positive;
  PredictOptions po;
  po.nthread = a.threads;
  auto r = evaluate_model(model, table, target, positive, po);
  if (!r.ok()) throw CliError(r.error().message, input_exit(r.error()));
  const Evaluation& e = r->evaluation;
  auto warnings = issue_messages(r->issues);
  if (r->unlabelled)
    warnings.push_back(fmt::format("{} row{} with an empty target were skipped", r->unlabelled, r->unlabelled == 1 ? "" : "s"));
  if (!a.html.empty()) {
    ReportContext ctx;
    ctx.model = a.model;
    ctx.data = a.data;
    ctx.target = target;
    ctx.positive = positive;
    ctx.trees = model.trees();
    ctx.training_cv_auc = model.info().training.value("auc", 0.0);
    ctx.notes = warnings;
    std::ofstream out(a.html, std::ios::binary | std::ios::trunc);
    out << html_report(e, ctx);
    if (!out) throw CliError(a.html + ": cannot write the report", kExitInput);
  }
  if (a.json) {
    nlohmann::json j = e.to_json();
    j["model"] = a.model;
    j["data"] = a.data;
    std::printf("%s\n", j.dump().c_str());
    print_warnings(warnings);
    return;
  }
  std::printf("Evaluated %s on %s: %llu rows, %llu positive (%.1f%%) for %s = %s\n", a.model.c_str(), a.data.c_str(),
              static_cast<unsigned long long>(e.rows), static_cast<unsigned long long>(e.positives), e.base_rate * 100,
              target.c_str(), positive.c_str());
  std::printf("AUC %.4f   log loss %.4f   Brier %.4f\n", e.auc, e.logloss, e.brier);
  for (const auto& l : e.lift)
    std::printf("  top %2.0f%%: %.2fx the base rate, finds %.1f%% of the positives\n", l.share * 100, l.lift, l.gain * 100);
  std::printf("Gain table (best-scored tenth first):\n");
  std::printf("  decile      rows  positives    rate   lift  cum.gain  cum.lift   scores\n");
  for (const auto& g : e.gain)
    std::printf("  %6d %9llu %10llu %6.1f%% %6.2f %8.1f%% %9.2f   %.3f-%.3f\n", g.decile,
                static_cast<unsigned long long>(g.rows), static_cast<unsigned long long>(g.positives), g.rate * 100,
                g.lift, g.cumulative_gain * 100, g.cumulative_lift, g.min_score, g.max_score);
  std::printf("Calibration (tenths by predicted probability, lowest first):\n");
  std::printf("     bin      rows  predicted  observed\n");
  for (const auto& c : e.calibration)
    std::printf("  %6d %9llu %9.1f%% %8.1f%%\n", c.bin, static_cast<unsigned long long>(c.rows), c.mean_predicted * 100,
                c.observed_rate * 100);
  if (!a.html.empty()) std::printf("Report written to %s\n", a.html.c_str());
  print_warnings(warnings);
}

struct ApplyArgs {
  std::string model, input, output, score_column = "score";
  ReadArgs read;
  int threads = 2;
  bool json = false;
};

void run_apply(const ApplyArgs& a) {
  Model model = load_model(a.model);
  ApplyOptions o;
  o.input = a.input;
  o.output = a.output;
  o.read = read_options(a.read);
  o.score_column = a.score_column;
  o.predict.nthread = a.threads;
  auto r = apply_csv(model, o);
  if (!r.ok()) {
    int code = r.error().code == "bad_output_column" ? kExitUsage : kExitInput;
    throw CliError(r.error().message, code);
  }
  auto warnings = issue_messages(r->issues);
  if (a.json) {
    nlohmann::json j{{"rows", r->rows}, {"output", a.output}, {"score_column", a.score_column}, {"warnings", warnings}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("Scored %llu rows of %s into %s (column '%s')\n", static_cast<unsigned long long>(r->rows),
                a.input.c_str(), a.output.c_str(), a.score_column.c_str());
  }
  print_warnings(warnings);
}

const CommandRegistration reg(60, [](CLI::App& app, GlobalOptions&) {
  auto* score = app.add_subcommand("score", "Lead scoring: learn from past outcomes which prospects are likely to say yes");
  score->require_subcommand(1);

  auto ta = std::make_shared<TrainArgs>();
  auto* train = score->add_subcommand("train", "Train a model on an outcomes CSV file (XGBoost, cross-validated)");
  train->add_option("--data", ta->data, "Outcomes CSV file (',', ';' or tab separated)")->required();
  train->add_option("--target", ta->target, "Column holding the outcome")->required();
  train->add_option("--positive", ta->positive, "The outcome's value that counts as a success (e.g. yes)")->required();
  train->add_option("--exclude", ta->exclude, "Columns not to learn from (comma-separated or repeated), e.g. the call duration")
      ->delimiter(',');
  train->add_option("--id", ta->id, "Identifier column (not learned from)");
  add_read_options(train, ta->read);
  train->add_option("--model", ta->model, "Model file to write")->required();
  train->add_option("--seed", ta->seed, "Random seed (same seed, same data: same model)")->capture_default_str();
  train->add_option("--folds", ta->folds, "Cross-validation folds (0: none)")->capture_default_str();
  train->add_option("--threads", ta->threads, "Threads for XGBoost")->capture_default_str()->check(CLI::Range(1, 256));
  train->add_flag("--json", ta->json, "Print a machine-readable summary");
  train->callback([ta] { run_train(*ta); });

  auto ea = std::make_shared<EvalArgs>();
  auto* eval = score->add_subcommand("eval", "Evaluate a model on a labelled CSV file: AUC, gain table, calibration");
  eval->add_option("--model", ea->model, "Model file")->required();
  eval->add_option("--data", ea->data, "Labelled CSV file")->required();
  eval->add_option("--target", ea->target, "Outcome column (default: the model's)");
  eval->add_option("--positive", ea->positive, "Success value (default: the model's)");
  add_read_options(eval, ea->read);
  eval->add_option("--html", ea->html, "Write a report page (gain chart, ROC curve) to this file");
  eval->add_option("--threads", ea->threads, "Threads for scoring")->capture_default_str()->check(CLI::Range(1, 256));
  eval->add_flag("--json", ea->json, "Print a machine-readable summary");
  eval->callback([ea] { run_eval(*ea); });

  auto aa = std::make_shared<ApplyArgs>();
  auto* apply = score->add_subcommand("apply", "Score a CSV file of prospects: writes its rows plus a score column");
  apply->add_option("--model", aa->model, "Model file")->required();
  apply->add_option("--input", aa->input, "CSV file to score")->required();
  apply->add_option("--output", aa->output, "CSV file to write (the input's rows and a score column)")->required();
  apply->add_option("--score-column", aa->score_column, "Name of the score column")->capture_default_str();
  add_read_options(apply, aa->read);
  apply->add_option("--threads", aa->threads, "Threads for scoring")->capture_default_str()->check(CLI::Range(1, 256));
  apply->add_flag("--json", aa->json, "Print a machine-readable summary");
  apply->callback([aa] { run_apply(*aa); });
});

}  // namespace
}  // namespace telemark::cli
