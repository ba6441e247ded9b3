// telemark score: train a lead-scoring model on an outcomes file, evaluate
// it on a labelled file, apply it to a file of prospects.
//
// Store-backed forms: score apply --list scores a stored list and writes
// the scores to the store (scoring::apply_to_leads); score train
// --campaign learns from a campaign's own call history.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <nlohmann/json.hpp>

#include "campaign/definition.h"
#include "campaign/lifecycle.h"
#include "cli/command.h"
#include "cli/common.h"
#include "scoring/apply.h"
#include "scoring/lead_table.h"
#include "scoring/model.h"
#include "scoring/report.h"
#include "scoring/train.h"
#include "store/campaign_store.h"

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

// `at`: what ColumnEncodeIssue::first_line counts ("line", or "lead" for
// tables built from stored leads).
std::vector<std::string> issue_messages(const std::vector<ColumnEncodeIssue>& issues, const char* at = "line") {
  std::vector<std::string> out;
  for (const auto& i : issues) {
    if (i.text_in_numeric_rows)
      out.push_back(fmt::format("column '{}': {} row{} had text in a numeric column (first at {} {}: '{}'); "
                                "scored as missing",
                                i.column, i.text_in_numeric_rows, i.text_in_numeric_rows == 1 ? "" : "s", at,
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
  std::string campaign, tenant;
  std::vector<std::string> exclude;
  ReadArgs read;
  uint64_t seed = 1;
  int folds = 5;
  int threads = 2;
  bool json = false;
};

void print_train_report(const TrainArgs& a, const TrainOptions& o, const TrainResult& result, const std::string& source,
                        std::vector<std::string> warnings, nlohmann::json extra);

void train_and_report(const TrainArgs& a, const Table& table, TrainOptions o, const std::string& source,
                      std::vector<std::string> warnings, nlohmann::json extra) {
  o.seed = a.seed;
  o.folds = a.folds;
  o.booster.nthread = a.threads;
  if (!a.json) o.progress = [](const std::string& s) { std::fprintf(stderr, "score train: %s\n", s.c_str()); };
  auto r = train_model(table, o);
  if (!r.ok()) throw CliError(r.error().message, input_exit(r.error()));
  if (Status s = r->model.save(a.model); !s.ok()) throw CliError(s.error().message, kExitInput);
  print_train_report(a, o, *r, source, std::move(warnings), std::move(extra));
}

void run_train(const TrainArgs& a) {
  Table table = load_table(a.data, a.read);
  TrainOptions o;
  o.target = a.target;
  o.positive = a.positive;
  o.exclude = a.exclude;
  o.id_column = a.id;
  train_and_report(a, table, std::move(o), a.data, {}, nlohmann::json::object());
}

void print_train_report(const TrainArgs& a, const TrainOptions& o, const TrainResult& result, const std::string& source,
                        std::vector<std::string> warnings, nlohmann::json extra) {
  const TrainReport& rep = result.report;
  const FeatureSpec& spec = result.model.spec();
  for (const auto& w : rep.leakage) warnings.push_back(w.message);
  if (rep.unlabelled)
    warnings.push_back(fmt::format("{} row{} with an empty target were skipped", rep.unlabelled, rep.unlabelled == 1 ? "" : "s"));

  if (a.json) {
    nlohmann::json j = rep.to_json(spec);
    j["model"] = a.model;
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = it.value();
    if (!j.contains("auc")) j["auc"] = rep.validation_auc;
    j["auc_source"] = rep.cv.folds >= 2 ? "cross_validation" : "validation_split";
    std::printf("%s\n", j.dump().c_str());
    print_warnings(warnings);
    return;
  }
  double rate = static_cast<double>(rep.positives) / static_cast<double>(rep.rows);
  std::printf("Trained on %s: %llu rows, %llu positive (%.1f%%) for %s = %s\n", source.c_str(),
              static_cast<unsigned long long>(rep.rows), static_cast<unsigned long long>(rep.positives), rate * 100,
              o.target.c_str(), o.positive.c_str());
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

// Lead columns never learned from in score train --campaign: identifiers
// and contact details (they name a person, not a propensity).
constexpr const char* kHistoryExcluded[] = {"list_id", "phone", "phone_raw", "extension", "first_name",
                                             "last_name", "email",  "address"};

void run_train_campaign(const TrainArgs& a, const GlobalOptions& global) {
  if (!a.data.empty()) throw CliError("score train: give --data FILE or --campaign NAME, not both", kExitUsage);
  if (!a.target.empty() || !a.positive.empty() || !a.id.empty())
    throw CliError("score train --campaign: the label is the campaign's success disposition; "
                   "--target, --positive and --id are for --data",
                   kExitUsage);
  auto store = open_store(global);
  auto all = store->campaigns();
  if (!all.ok()) throw CliError(all.error().message, kExitStore);
  std::vector<store::CampaignRecord> found;
  for (auto& c : *all)
    if (c.name == a.campaign && (a.tenant.empty() || c.tenant == a.tenant)) found.push_back(std::move(c));
  if (found.empty())
    throw CliError("--campaign: no campaign \"" + a.campaign + "\"" + (a.tenant.empty() ? "" : " in tenant " + a.tenant) +
                       " (store one with `telemark campaign apply FILE`)",
                   kExitUsage);
  if (found.size() > 1)
    throw CliError("--campaign: several tenants have a campaign \"" + a.campaign + "\"; give --tenant", kExitUsage);
  const store::CampaignRecord& record = found.front();
  const std::string source = "campaign " + record.name;
  auto def = campaign::parse_campaign_definition(record.definition, source);
  if (!def) throw CliError(def.error().message, kExitInput);
  auto policy = campaign::lifecycle_policy(*def);
  if (!policy) throw CliError(policy.error().message, kExitInput);
  std::set<std::string> success;
  std::string success_list;
  for (const auto& d : policy->dispositions)
    if (d.has(campaign::DispositionFlag::kSuccess)) {
      success.insert(d.code);
      success_list += (success_list.empty() ? "" : ", ") + d.code;
    }
  if (success.empty())
    throw CliError(source + ": no disposition is flagged success, so there is nothing to learn", kExitInput);
  auto campaigns = store::CampaignStore::open(global.db);
  if (!campaigns) throw CliError(campaigns.error().message, kExitStore);
  auto history = campaign_history_table(*store, **campaigns, record.id, success, source);
  if (!history) {
    const std::string& c = history.error().code;
    bool input = c == "no_attempts" || c == "no_contacts" || c == "bad_history_label" || c == "bad_attributes";
    throw CliError(history.error().message, input ? kExitInput : kExitStore);
  }
  if (history->successes == 0 || history->successes == history->leads_connected)
    throw CliError(fmt::format("{}: all {} leads that reached an agent {}: a model needs both outcomes (call more "
                               "first)",
                               source, history->leads_connected,
                               history->successes == 0 ? "ended without a success" : "ended in a success"),
                   kExitInput);
  TrainOptions o;
  o.target = std::string(kHistoryLabel);
  o.positive = "yes";
  o.id_column = "lead_id";
  for (const char* c : kHistoryExcluded)
    if (history->table.find(c)) o.exclude.emplace_back(c);
  for (const auto& e : a.exclude) o.exclude.push_back(e);
  if (!a.json) {
    std::printf("History of %s: %llu calls to %llu leads; %llu reached an agent, %llu with a success (%s)\n",
                source.c_str(), static_cast<unsigned long long>(history->attempts),
                static_cast<unsigned long long>(history->leads_called),
                static_cast<unsigned long long>(history->leads_connected),
                static_cast<unsigned long long>(history->successes), success_list.c_str());
    std::printf("Learning from the leads' fields and attributes only (nothing known only after calling)\n");
  }
  nlohmann::json extra{{"campaign", record.name},
                       {"tenant", record.tenant},
                       {"attempts", history->attempts},
                       {"leads_called", history->leads_called},
                       {"leads_connected", history->leads_connected},
                       {"successes", history->successes},
                       {"success_dispositions", std::vector<std::string>(success.begin(), success.end())}};
  train_and_report(a, history->table, std::move(o), source, {}, std::move(extra));
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
  std::string list, tenant = "default";
  ReadArgs read;
  int threads = 2;
  bool json = false;
};

void run_apply_list(const ApplyArgs& a, const GlobalOptions& global) {
  Model model = load_model(a.model);
  auto store = open_store(global);
  auto found = store->find_list(a.tenant, a.list);
  if (!found.ok()) throw CliError(found.error().message, kExitStore);
  if (!found->has_value()) throw CliError("--list " + a.list + ": no such list for tenant " + a.tenant, kExitUsage);
  LeadApplyOptions o;
  o.source = "list " + a.tenant + "/" + a.list;
  o.predict.nthread = a.threads;
  store::LeadFilter filter;
  filter.tenant = a.tenant;
  filter.list = a.list;
  auto t0 = std::chrono::steady_clock::now();
  auto r = apply_to_leads(model, *store, filter, o);
  double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) {
    const std::string& c = r.error().code;
    throw CliError(r.error().message, c == "missing_columns" || c == "empty_list" || c == "bad_attributes"
                                          ? kExitInput
                                          : kExitStore);
  }
  auto warnings = issue_messages(r->issues, "lead");
  if (a.json) {
    nlohmann::json j{{"list", a.list},
                     {"tenant", a.tenant},
                     {"model", a.model},
                     {"rows", r->rows},
                     {"mean", r->mean},
                     {"deciles", r->quantiles},
                     {"seconds", {{"total", total}, {"read", r->read_seconds}, {"score", r->score_seconds},
                                  {"write", r->write_seconds}}},
                     {"warnings", warnings}};
    nlohmann::json top = nlohmann::json::array();
    for (const auto& t : r->top) top.push_back({{"lead_id", t.lead_id}, {"score", t.score}});
    j["top"] = std::move(top);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("Scored %llu leads of list %s/%s with %s; scores stored (the hopper calls the highest first)\n",
                static_cast<unsigned long long>(r->rows), a.tenant.c_str(), a.list.c_str(), a.model.c_str());
    std::printf("Scores: mean %.4f; min %.4f, deciles", r->mean, r->quantiles.front());
    for (size_t q = 1; q + 1 < r->quantiles.size(); ++q) std::printf(" %.4f", r->quantiles[q]);
    std::printf(", max %.4f\n", r->quantiles.back());
    double rate = total > 0 ? static_cast<double>(r->rows) / total : 0;
    std::printf("Time: %.2f s (%.0f leads/s): reading %.2f s, scoring %.2f s, storing %.2f s\n", total, rate,
                r->read_seconds, r->score_seconds, r->write_seconds);
    std::printf("Best-scored leads (the hopper calls them first, after callbacks that are due):\n");
    for (const auto& t : r->top) {
      auto lead = store->get_lead(t.lead_id);
      if (!lead.ok()) throw CliError(lead.error().message, kExitStore);
      if (!lead->has_value()) continue;
      const store::Lead& l = **lead;
      std::string name = l.first_name + (l.first_name.empty() || l.last_name.empty() ? "" : " ") + l.last_name;
      std::printf("  %.4f  lead %-8lld +%-15llu %s %s\n", t.score, static_cast<long long>(l.id),
                  static_cast<unsigned long long>(l.phone), cell(name, 24).c_str(), l.attributes_json.c_str());
    }
  }
  print_warnings(warnings);
}

void run_apply(const ApplyArgs& a, const GlobalOptions& global) {
  if (!a.list.empty()) {
    if (!a.input.empty() || !a.output.empty())
      throw CliError("score apply: give --list, or --input and --output, not both", kExitUsage);
    return run_apply_list(a, global);
  }
  if (a.input.empty() || a.output.empty())
    throw CliError("score apply: give --list L (score a stored list), or --input FILE.csv and --output FILE.csv",
                   kExitUsage);
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

const CommandRegistration reg(60, [](CLI::App& app, GlobalOptions& global) {
  auto* score = app.add_subcommand("score", "Lead scoring: learn from past outcomes which prospects are likely to say yes");
  score->require_subcommand(1);

  auto ta = std::make_shared<TrainArgs>();
  auto* train = score->add_subcommand(
      "train", "Train a model on an outcomes CSV file or a campaign's own call history (XGBoost, cross-validated)");
  train->add_option("--data", ta->data, "Outcomes CSV file (',', ';' or tab separated)");
  train->add_option("--campaign", ta->campaign,
                    "Learn from this campaign's history instead: leads that reached an agent, labelled by its "
                    "success dispositions");
  train->add_option("--tenant", ta->tenant, "Tenant of the campaign (when several have one by that name)");
  train->add_option("--target", ta->target, "Column holding the outcome (with --data)");
  train->add_option("--positive", ta->positive, "The outcome's value that counts as a success, e.g. yes (with --data)");
  train->add_option("--exclude", ta->exclude, "Columns not to learn from (comma-separated or repeated), e.g. the call duration")
      ->delimiter(',');
  train->add_option("--id", ta->id, "Identifier column (not learned from)");
  add_read_options(train, ta->read);
  train->add_option("--model", ta->model, "Model file to write")->required();
  train->add_option("--seed", ta->seed, "Random seed (same seed, same data: same model)")->capture_default_str();
  train->add_option("--folds", ta->folds, "Cross-validation folds (0: none)")->capture_default_str();
  train->add_option("--threads", ta->threads, "Threads for XGBoost")->capture_default_str()->check(CLI::Range(1, 256));
  train->add_flag("--json", ta->json, "Print a machine-readable summary");
  train->callback([ta, &global] {
    if (!ta->campaign.empty()) return run_train_campaign(*ta, global);
    if (ta->data.empty() || ta->target.empty() || ta->positive.empty())
      throw CliError("score train: give --data FILE --target COLUMN --positive VALUE, or --campaign NAME", kExitUsage);
    run_train(*ta);
  });

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
  auto* apply = score->add_subcommand(
      "apply", "Score a stored list (scores stored on the leads) or a CSV file of prospects (rows plus a score column)");
  apply->add_option("--model", aa->model, "Model file")->required();
  apply->add_option("--list", aa->list, "Stored list to score; the hopper then calls its best-scored leads first");
  apply->add_option("--tenant", aa->tenant, "Tenant of the list")->capture_default_str();
  apply->add_option("--input", aa->input, "CSV file to score");
  apply->add_option("--output", aa->output, "CSV file to write (the input's rows and a score column)");
  apply->add_option("--score-column", aa->score_column, "Name of the score column")->capture_default_str();
  add_read_options(apply, aa->read);
  apply->add_option("--threads", aa->threads, "Threads for scoring")->capture_default_str()->check(CLI::Range(1, 256));
  apply->add_flag("--json", aa->json, "Print a machine-readable summary");
  apply->callback([aa, &global] { run_apply(*aa, global); });
});

}  // namespace
}  // namespace telemark::cli
