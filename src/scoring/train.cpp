#include "scoring/train.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <unordered_map>

#include "scoring/random.h"

namespace telemark::scoring {
namespace {

std::string list_columns(const Table& t) {
  std::string s;
  for (const auto& n : t.column_names()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

std::vector<std::string> name_tokens(std::string_view name) {
  std::vector<std::string> out;
  std::string cur;
  char prev = 0;
  for (char c : name) {
    bool alnum = std::isalnum(static_cast<unsigned char>(c)) != 0;
    bool upper_after_lower = std::isupper(static_cast<unsigned char>(c)) && std::islower(static_cast<unsigned char>(prev));
    if (!alnum || upper_after_lower) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    }
    if (alnum) cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    prev = c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// What a column's name says about when its value is known: "" when nothing.
std::string post_call_meaning(std::string_view name) {
  auto tokens = name_tokens(name);
  auto has = [&](std::initializer_list<std::string_view> any) {
    for (const auto& t : tokens)
      for (auto a : any)
        if (t == a) return true;
    return false;
  };
  if (has({"duration", "billsec", "talktime", "callduration", "calllength", "talkseconds"}) ||
      (has({"call", "talk", "conversation"}) && has({"time", "length", "seconds", "secs", "sec", "minutes", "mins"})))
    return "the call's duration";
  if (has({"outcome", "result", "disposition", "dispo", "converted", "conversion", "subscribed", "response"}) &&
      !has({"prev", "previous", "last", "past", "prior", "before", "earlier", "p", "pre"}))
    return "the call's outcome";
  return "";
}

struct Fit {
  FeatureSpec spec;
  Booster booster;
  int best_round = -1;
  double validation_auc = 0;
};

void gather_rows(const std::vector<float>& x, size_t width, const std::vector<size_t>& idx, std::vector<float>& out) {
  out.resize(idx.size() * width);
  for (size_t i = 0; i < idx.size(); ++i)
    std::copy(x.begin() + static_cast<std::ptrdiff_t>(idx[i] * width),
              x.begin() + static_cast<std::ptrdiff_t>((idx[i] + 1) * width), out.begin() + static_cast<std::ptrdiff_t>(i * width));
}

// Fits target encoding and trees on the given rows: early stopping on a
// stratified validation split, then (refit) all rows with that many rounds.
Result<Fit> fit(const FeatureSpec& base, const Table& table, std::span<const uint32_t> rows,
                std::span<const uint8_t> labels, const TrainOptions& o, uint64_t seed, bool refit) {
  FeatureSpec spec = base;
  fit_target_encoding(spec, table, rows, labels);
  auto enc = BoundEncoder::bind(spec, table);
  if (!enc.ok()) return enc.error();
  const size_t width = spec.feature_count(), n = rows.size();
  std::vector<float> x(n * width);
  enc->encode(rows, x.data());
  apply_out_of_fold_target_encoding(spec, table, rows, labels, seed, x.data());

  int parts = std::max(2, static_cast<int>(std::lround(1.0 / std::clamp(o.validation_share, 0.05, 0.5))));
  auto split = stratified_folds(labels, parts, seed + 1);
  std::vector<size_t> tr, va;
  for (size_t i = 0; i < n; ++i) (split[i] == 0 ? va : tr).push_back(i);
  std::vector<float> xtr, xva, ytr(tr.size()), yva(va.size());
  gather_rows(x, width, tr, xtr);
  gather_rows(x, width, va, xva);
  double pos = 0;
  for (size_t i = 0; i < tr.size(); ++i) pos += ytr[i] = labels[tr[i]];
  for (size_t i = 0; i < va.size(); ++i) yva[i] = labels[va[i]];

  BoosterParams p = o.booster;
  p.seed = seed;
  p.base_score = tr.empty() ? 0.5 : pos / static_cast<double>(tr.size());
  DenseView dtr{xtr.data(), tr.size(), width, ytr.data()}, dva{xva.data(), va.size(), width, yva.data()};
  TrainingCurve curve;
  auto booster = Booster::train(dtr, &dva, p, &curve);
  if (!booster.ok()) return booster.error();
  auto vpred = booster->predict(xva.data(), va.size(), width, p.nthread);
  if (!vpred.ok()) return vpred.error();
  std::vector<uint8_t> vlab(va.size());
  for (size_t i = 0; i < va.size(); ++i) vlab[i] = labels[va[i]];
  double vauc = auc(*vpred, vlab);
  // No usable validation curve (a NaN loss): keep every round trained.
  int best = curve.best_round >= 0 ? curve.best_round : booster->rounds() - 1;
  if (refit) {
    xtr.clear();
    xva.clear();
    std::vector<float> y(labels.begin(), labels.end());
    double all_pos = std::accumulate(y.begin(), y.end(), 0.0);
    p.base_score = all_pos / static_cast<double>(n);
    p.max_rounds = best + 1;
    DenseView dall{x.data(), n, width, y.data()};
    auto full = Booster::train(dall, nullptr, p, nullptr);
    if (!full.ok()) return full.error();
    return Fit{std::move(spec), std::move(*full), best, vauc};
  }
  return Fit{std::move(spec), std::move(*booster), best, vauc};
}

// Each column alone, scored out of fold by its bins' positive rates.
struct SingleColumn {
  double auc = 0.5;
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> determining;  // value, (rows, positives)
};

SingleColumn single_column(const ColumnSpec& c, const Table& table, const Labels& labels,
                           const std::vector<uint8_t>& folds, int nfolds) {
  SingleColumn out;
  const Column& col = table.column(*table.find(c.name));
  const size_t D = col.distinct();
  std::vector<uint32_t> bin(D, 0);
  uint32_t nbins = 0;
  const bool categorical = c.kind == ColumnKind::kCategorical || c.kind == ColumnKind::kMonth ||
                           c.kind == ColumnKind::kWeekday;
  std::vector<std::string> bin_names;
  if (categorical) {
    std::unordered_map<std::string_view, uint32_t> ids;
    for (uint32_t code = 0; code < D; ++code) {
      std::string_view key = col.kind(code) == CellKind::kMissing ? std::string_view() : col.text(code);
      auto [it, inserted] = ids.emplace(key, nbins);
      if (inserted) {
        ++nbins;
        bin_names.emplace_back(key.empty() ? "(missing)" : key);
      }
      bin[code] = it->second;
    }
  } else {
    std::vector<double> value(D, std::numeric_limits<double>::quiet_NaN());
    for (uint32_t code = 0; code < D; ++code) {
      if (c.kind == ColumnKind::kDate) {
        if (auto d = parse_iso_day(col.text(code), nullptr)) value[code] = *d;
      } else if (col.kind(code) == CellKind::kNumber && !(c.has_sentinel && col.number(code) == c.sentinel)) {
        value[code] = col.number(code);
      }
    }
    std::vector<double> seen;
    seen.reserve(labels.rows.size());
    for (uint32_t r : labels.rows)
      if (!std::isnan(value[col.code(r)])) seen.push_back(value[col.code(r)]);
    std::sort(seen.begin(), seen.end());
    std::vector<double> cuts;
    constexpr int kBins = 20;
    for (int k = 1; k < kBins && !seen.empty(); ++k) {
      double v = seen[seen.size() * static_cast<size_t>(k) / kBins];
      if (cuts.empty() || v > cuts.back()) cuts.push_back(v);
    }
    const uint32_t missing_bin = static_cast<uint32_t>(cuts.size() + 1), sentinel_bin = missing_bin + 1;
    nbins = sentinel_bin + 1;
    for (uint32_t code = 0; code < D; ++code) {
      if (!std::isnan(value[code]))
        bin[code] = static_cast<uint32_t>(std::upper_bound(cuts.begin(), cuts.end(), value[code]) - cuts.begin());
      else if (c.has_sentinel && col.kind(code) == CellKind::kNumber && col.number(code) == c.sentinel)
        bin[code] = sentinel_bin;
      else
        bin[code] = missing_bin;
    }
  }
  const size_t K = static_cast<size_t>(nfolds);
  std::vector<double> n(nbins * K, 0), pos(nbins * K, 0), bn(nbins, 0), bpos(nbins, 0);
  double fn[16] = {}, fpos[16] = {}, total = 0, total_pos = 0;
  for (size_t i = 0; i < labels.rows.size(); ++i) {
    uint32_t b = bin[col.code(labels.rows[i])];
    uint8_t y = labels.values[i];
    n[b * K + folds[i]] += 1;
    pos[b * K + folds[i]] += y;
    bn[b] += 1;
    bpos[b] += y;
    fn[folds[i]] += 1;
    fpos[folds[i]] += y;
    total += 1;
    total_pos += y;
  }
  std::vector<float> score(labels.rows.size());
  for (size_t i = 0; i < labels.rows.size(); ++i) {
    uint32_t b = bin[col.code(labels.rows[i])];
    size_t f = folds[i];
    double rn = total - fn[f], rp = total_pos - fpos[f];
    double prior = rn > 0 ? rp / rn : 0;
    double nn = bn[b] - n[b * K + f], pp = bpos[b] - pos[b * K + f];
    score[i] = static_cast<float>((pp + 10 * prior) / (nn + 10));
  }
  out.auc = auc(score, labels.values);
  if (categorical && total > 0) {
    double base = total_pos / total;
    for (uint32_t b = 0; b < nbins; ++b) {
      if (bn[b] < 30) continue;
      bool all_neg = bpos[b] == 0 && bn[b] * base >= 10;
      bool all_pos = bpos[b] == bn[b] && bn[b] * (1 - base) >= 10;
      if (all_neg || all_pos)
        out.determining.push_back({bin_names[b], {static_cast<uint64_t>(bn[b]), static_cast<uint64_t>(bpos[b])}});
    }
  }
  return out;
}

std::vector<LeakageWarning> leakage_guard(const FeatureSpec& spec, const Table& table, const Labels& labels,
                                          uint64_t seed, std::vector<double>& single_auc) {
  std::vector<LeakageWarning> out;
  constexpr int kFolds = 5;
  auto folds = stratified_folds(labels.values, kFolds, seed ^ 0x1ea4a9eULL);
  single_auc.clear();
  for (const auto& c : spec.columns) {
    SingleColumn s = single_column(c, table, labels, folds, kFolds);
    single_auc.push_back(s.auc);
    std::string meaning = post_call_meaning(c.name);
    if (s.auc >= 0.95) {
      out.push_back({c.name, "near_perfect", s.auc,
                     fmt::format("column '{}' alone predicts the target almost perfectly (AUC {:.3f} by itself): a "
                                 "column known only after the call (its duration, the outcome itself) leaks the "
                                 "answer; if it is one, exclude it with --exclude {}",
                                 c.name, s.auc, c.name)});
    } else if (!s.determining.empty()) {
      const auto& [value, counts] = s.determining.front();
      out.push_back({c.name, "determining_value", s.auc,
                     fmt::format("column '{}': the value '{}' determines the target ({} rows, {} positive): if it is "
                                 "recorded only after the call (an outcome, a disposition), exclude it with "
                                 "--exclude {}",
                                 c.name, value, counts.first, counts.second == 0 ? "none" : "all", c.name)});
    }
    if (!meaning.empty() && (out.empty() || out.back().column != c.name)) {
      out.push_back({c.name, "post_call_name", s.auc,
                     fmt::format("column '{}' looks like {}, which is known only after the call: a model using it "
                                 "cannot score prospects before calling them (AUC {:.3f} by itself); exclude it with "
                                 "--exclude {}",
                                 c.name, meaning, s.auc, c.name)});
    }
  }
  return out;
}

nlohmann::json lift_json(const std::vector<LiftAt>& lift) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& l : lift)
    j["top" + std::to_string(static_cast<int>(std::lround(l.share * 100)))] = {{"lift", l.lift}, {"gain", l.gain}};
  return j;
}

}  // namespace

std::vector<uint8_t> stratified_folds(std::span<const uint8_t> labels, int folds, uint64_t seed) {
  std::vector<uint8_t> out(labels.size(), 0);
  std::vector<uint32_t> idx[2];
  for (uint32_t i = 0; i < labels.size(); ++i) idx[labels[i] ? 1 : 0].push_back(i);
  Rng rng(seed);
  uint32_t next = 0;
  for (auto& v : idx) {
    rng.shuffle(v);
    // Continue the round-robin across classes so fold sizes stay balanced.
    for (uint32_t i : v) out[i] = static_cast<uint8_t>(next++ % static_cast<uint32_t>(folds));
  }
  return out;
}

Result<Labels> extract_labels(const Table& table, const std::string& target, const std::string& positive) {
  const std::string src = table.source().empty() ? "input" : table.source();
  auto ci = table.find(target);
  if (!ci)
    return make_error("bad_target", fmt::format("{}: no target column '{}' (the columns are: {})", src, target,
                                                list_columns(table)));
  const Column& col = table.column(*ci);
  const std::string_view want = trim(positive);
  const auto want_number = parse_number(want);
  std::vector<int8_t> code_label(col.distinct(), -1);
  for (uint32_t code = 0; code < col.distinct(); ++code) {
    if (col.kind(code) == CellKind::kMissing) continue;
    bool pos = col.text(code) == want ||
               (want_number && col.kind(code) == CellKind::kNumber && col.number(code) == *want_number);
    code_label[code] = pos ? 1 : 0;
  }
  Labels l;
  auto counts = col.code_counts();
  for (size_t r = 0; r < table.rows(); ++r) {
    int8_t y = code_label[col.code(r)];
    if (y < 0) {
      ++l.unlabelled;
      continue;
    }
    l.rows.push_back(static_cast<uint32_t>(r));
    l.values.push_back(static_cast<uint8_t>(y));
    l.positives += static_cast<uint64_t>(y);
  }
  auto values_seen = [&] {
    std::vector<std::pair<uint64_t, std::string>> v;
    for (uint32_t code = 0; code < col.distinct(); ++code)
      if (counts[code] && col.kind(code) != CellKind::kMissing) v.emplace_back(counts[code], std::string(col.text(code)));
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    std::string s;
    for (size_t i = 0; i < v.size() && i < 20; ++i)
      s += fmt::format("{}'{}' ({} rows)", i ? ", " : "", v[i].second, v[i].first);
    if (v.size() > 20) s += fmt::format(", and {} more", v.size() - 20);
    return std::make_pair(s, v);
  };
  if (l.rows.empty())
    return make_error("one_class", fmt::format("{}: target column '{}' is empty on every row", src, target));
  if (l.positives == 0) {
    auto [seen, v] = values_seen();
    std::string hint;
    for (const auto& [n, text] : v)
      if (iequal(text, want)) hint = fmt::format(" (did you mean --positive {}?)", text);
    return make_error("bad_positive",
                      fmt::format("{}: target column '{}' never has the value '{}'{}{}; values seen: {}", src, target,
                                  want, hint, v.size() == 1 ? " and has only one class" : "", seen));
  }
  if (l.positives == l.rows.size()) {
    auto [seen, v] = values_seen();
    return make_error("one_class",
                      fmt::format("{}: target column '{}' has only one class: every labelled row is '{}' (values "
                                  "seen: {}); training needs rows of both outcomes",
                                  src, target, want, seen));
  }
  return l;
}

Result<TrainResult> train_model(const Table& table, const TrainOptions& o) {
  const std::string src = table.source().empty() ? "input" : table.source();
  auto say = [&](const std::string& s) {
    if (o.progress) o.progress(s);
  };
  for (const auto& name : o.exclude)
    if (!table.find(name))
      return make_error("bad_exclude", fmt::format("{}: --exclude {}: no such column (the columns are: {})", src, name,
                                                   list_columns(table)));
  if (!o.id_column.empty() && !table.find(o.id_column))
    return make_error("bad_id", fmt::format("{}: --id {}: no such column (the columns are: {})", src, o.id_column,
                                            list_columns(table)));
  auto labels = extract_labels(table, o.target, o.positive);
  if (!labels.ok()) return labels.error();
  const uint64_t n = labels->rows.size(), pos = labels->positives, neg = n - pos;
  if (pos < 5 || neg < 5)
    return make_error("too_few_rows", fmt::format("{}: only {} positive and {} negative rows: too few to train and "
                                                  "validate a model (at least 5 of each)",
                                                  src, pos, neg));
  InferOptions io;
  io.skip = o.exclude;
  io.skip.push_back(o.target);
  if (!o.id_column.empty()) io.skip.push_back(o.id_column);
  InferredFeatures inferred = infer_features(table, io);
  if (inferred.spec.columns.empty())
    return make_error("no_features", fmt::format("{}: no column is usable as a feature (after removing the target, "
                                                 "the id and excluded columns, and dropped ones)",
                                                 src));
  TrainReport report;
  report.source = src;
  report.rows = n;
  report.positives = pos;
  report.unlabelled = labels->unlabelled;
  report.dropped = inferred.dropped;
  report.excluded = o.exclude;
  say(fmt::format("{} labelled rows, {} positive; {} feature columns ({} encoded features)", n, pos,
                  inferred.spec.columns.size(), inferred.spec.feature_count()));

  report.leakage = leakage_guard(inferred.spec, table, *labels, o.seed, report.column_single_auc);

  // Cross-validation.
  int folds = static_cast<int>(std::min<uint64_t>({static_cast<uint64_t>(std::max(o.folds, 0)), pos, neg, 10}));
  if (folds >= 2) {
    auto assign = stratified_folds(labels->values, folds, o.seed ^ 0xc0ffeeULL);
    std::vector<float> oof(n, 0);
    report.cv.folds = folds;
    for (int f = 0; f < folds; ++f) {
      std::vector<uint32_t> tr_rows, te_rows;
      std::vector<uint8_t> tr_lab, te_lab;
      for (size_t i = 0; i < n; ++i) {
        if (assign[i] == f) {
          te_rows.push_back(labels->rows[i]);
          te_lab.push_back(labels->values[i]);
        } else {
          tr_rows.push_back(labels->rows[i]);
          tr_lab.push_back(labels->values[i]);
        }
      }
      auto fitted = fit(inferred.spec, table, tr_rows, tr_lab, o, o.seed + 101 * static_cast<uint64_t>(f + 1), false);
      if (!fitted.ok()) return fitted.error();
      auto enc = BoundEncoder::bind(fitted->spec, table);
      if (!enc.ok()) return enc.error();
      std::vector<float> x(te_rows.size() * enc->feature_count());
      enc->encode(te_rows, x.data());
      auto pred = fitted->booster.predict(x.data(), te_rows.size(), enc->feature_count(), o.booster.nthread);
      if (!pred.ok()) return pred.error();
      double a = auc(*pred, te_lab);
      report.cv.auc.push_back(a);
      report.cv.rounds.push_back(fitted->best_round + 1);
      size_t k = 0;
      for (size_t i = 0; i < n; ++i)
        if (assign[i] == f) oof[i] = (*pred)[k++];
      say(fmt::format("fold {}/{}: AUC {:.4f} ({} rounds)", f + 1, folds, a, fitted->best_round + 1));
    }
    double mean = std::accumulate(report.cv.auc.begin(), report.cv.auc.end(), 0.0) / folds, var = 0;
    for (double a : report.cv.auc) var += (a - mean) * (a - mean);
    report.cv.mean = mean;
    report.cv.sd = std::sqrt(var / std::max(1, folds - 1));
    report.cv.pooled_auc = auc(oof, labels->values);
    for (double share : {0.1, 0.2, 0.5}) report.cv.lift.push_back(lift_at(oof, labels->values, share));
  }

  auto final_fit = fit(inferred.spec, table, labels->rows, labels->values, o, o.seed, o.refit);
  if (!final_fit.ok()) return final_fit.error();
  report.rounds = final_fit->booster.rounds();
  report.validation_auc = final_fit->validation_auc;
  say(fmt::format("final model: {} trees (validation AUC {:.4f})", report.rounds, report.validation_auc));

  const FeatureSpec& spec = final_fit->spec;
  auto gain = final_fit->booster.total_gain(spec.feature_count());
  if (!gain.ok()) return gain.error();
  double total = std::accumulate(gain->begin(), gain->end(), 0.0);
  std::vector<double> by_column(spec.columns.size(), 0);
  for (size_t i = 0; i < gain->size(); ++i) {
    double share = total > 0 ? (*gain)[i] / total : 0;
    by_column[spec.feature_column[i]] += share;
    if (share > 0) report.feature_importance.push_back({spec.feature_names[i], share});
  }
  for (size_t c = 0; c < spec.columns.size(); ++c) report.column_importance.push_back({spec.columns[c].name, by_column[c]});
  auto by_share = [](const Importance& a, const Importance& b) {
    return a.share != b.share ? a.share > b.share : a.name < b.name;
  };
  std::sort(report.feature_importance.begin(), report.feature_importance.end(), by_share);
  std::sort(report.column_importance.begin(), report.column_importance.end(), by_share);

  ModelInfo info;
  info.target = o.target;
  info.positive = std::string(trim(o.positive));
  info.id_column = o.id_column;
  info.training = report.to_json(spec);
  auto model = Model::create(std::move(final_fit->spec), std::move(final_fit->booster), std::move(info));
  if (!model.ok()) return model.error();
  return TrainResult{std::move(*model), std::move(report)};
}

nlohmann::json TrainReport::to_json(const FeatureSpec& spec) const {
  nlohmann::json j;
  j["source"] = source;
  j["rows"] = rows;
  j["positives"] = positives;
  j["unlabelled"] = unlabelled;
  if (cv.folds >= 2) {
    j["cv"] = {{"folds", cv.folds}, {"auc", cv.auc}, {"auc_mean", cv.mean}, {"auc_sd", cv.sd},
               {"pooled_auc", cv.pooled_auc}, {"lift", lift_json(cv.lift)}, {"rounds", cv.rounds}};
    j["auc"] = cv.mean;
  }
  j["trees"] = rounds;
  j["validation_auc"] = validation_auc;
  nlohmann::json imp = nlohmann::json::array();
  for (const auto& i : column_importance) imp.push_back({{"column", i.name}, {"share", i.share}});
  j["importance"] = imp;
  nlohmann::json fimp = nlohmann::json::array();
  for (size_t i = 0; i < feature_importance.size() && i < 30; ++i)
    fimp.push_back({{"feature", feature_importance[i].name}, {"share", feature_importance[i].share}});
  j["feature_importance"] = fimp;
  nlohmann::json warn = nlohmann::json::array();
  for (const auto& w : leakage)
    warn.push_back({{"column", w.column}, {"kind", w.kind}, {"single_auc", w.single_auc}, {"message", w.message}});
  j["warnings"] = warn;
  nlohmann::json cols = nlohmann::json::array();
  for (size_t c = 0; c < spec.columns.size(); ++c) {
    const auto& cs = spec.columns[c];
    nlohmann::json cj{{"name", cs.name}, {"kind", to_string(cs.kind)}, {"features", cs.feature_count()}};
    if (c < column_single_auc.size()) cj["single_auc"] = column_single_auc[c];
    if (cs.kind == ColumnKind::kCategorical) {
      cj["encoding"] = cs.encoding == CategoryEncoding::kOneHot ? "one_hot" : "frequency_target";
      cj["levels"] = cs.levels.size();
    }
    if (cs.has_sentinel) cj["sentinel"] = cs.sentinel;
    if (cs.text_as_missing_rows) cj["text_as_missing_rows"] = cs.text_as_missing_rows;
    cols.push_back(std::move(cj));
  }
  j["columns"] = cols;
  nlohmann::json dropped_j = nlohmann::json::array();
  for (const auto& d : dropped) dropped_j.push_back({{"column", d.name}, {"reason", d.reason}});
  j["dropped"] = dropped_j;
  j["excluded"] = excluded;
  return j;
}

}  // namespace telemark::scoring
