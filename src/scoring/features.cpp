#include "scoring/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include "scoring/random.h"

namespace telemark::scoring {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr double kTargetSmoothing = 20;  // pseudo-rows of the prior in a level's target rate
constexpr size_t kMaxEncodedLevels = 200000;
constexpr size_t kMaxRareLevels = 1000;
constexpr size_t kMaxTextAsMissing = 50;

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

struct NameNumber {
  std::string_view name;
  int number;
};

// Month names and abbreviations in the languages of the bank telemarketing
// files people actually have (Portuguese/English UCI data, Italian exports).
constexpr NameNumber kMonths[] = {
    {"jan", 1}, {"january", 1}, {"gen", 1}, {"gennaio", 1}, {"ene", 1}, {"enero", 1}, {"janv", 1}, {"janvier", 1}, {"januar", 1},
    {"feb", 2}, {"february", 2}, {"febbraio", 2}, {"febrero", 2}, {"févr", 2}, {"fevr", 2}, {"février", 2}, {"februar", 2},
    {"mar", 3}, {"march", 3}, {"marzo", 3}, {"mars", 3}, {"mär", 3}, {"mrz", 3}, {"märz", 3},
    {"apr", 4}, {"april", 4}, {"aprile", 4}, {"abr", 4}, {"abril", 4}, {"avr", 4}, {"avril", 4},
    {"may", 5}, {"mag", 5}, {"maggio", 5}, {"mayo", 5}, {"mai", 5},
    {"jun", 6}, {"june", 6}, {"giu", 6}, {"giugno", 6}, {"junio", 6}, {"juin", 6}, {"juni", 6},
    {"jul", 7}, {"july", 7}, {"lug", 7}, {"luglio", 7}, {"julio", 7}, {"juil", 7}, {"juillet", 7}, {"juli", 7},
    {"aug", 8}, {"august", 8}, {"ago", 8}, {"agosto", 8}, {"août", 8}, {"aout", 8},
    {"sep", 9}, {"sept", 9}, {"september", 9}, {"set", 9}, {"settembre", 9}, {"septiembre", 9}, {"septembre", 9},
    {"oct", 10}, {"october", 10}, {"ott", 10}, {"ottobre", 10}, {"octubre", 10}, {"octobre", 10}, {"okt", 10}, {"oktober", 10},
    {"nov", 11}, {"november", 11}, {"novembre", 11}, {"noviembre", 11},
    {"dec", 12}, {"december", 12}, {"dic", 12}, {"dicembre", 12}, {"diciembre", 12}, {"déc", 12}, {"décembre", 12}, {"dez", 12}, {"dezember", 12},
};

constexpr NameNumber kWeekdays[] = {
    {"mon", 1}, {"monday", 1}, {"lun", 1}, {"lunedì", 1}, {"lunedi", 1}, {"lunes", 1},
    {"tue", 2}, {"tues", 2}, {"tuesday", 2}, {"mar", 2}, {"martedì", 2}, {"martedi", 2}, {"martes", 2},
    {"wed", 3}, {"wednesday", 3}, {"mer", 3}, {"mercoledì", 3}, {"mercoledi", 3}, {"mié", 3}, {"mie", 3}, {"miércoles", 3},
    {"thu", 4}, {"thur", 4}, {"thurs", 4}, {"thursday", 4}, {"gio", 4}, {"giovedì", 4}, {"giovedi", 4}, {"jue", 4}, {"jueves", 4},
    {"fri", 5}, {"friday", 5}, {"ven", 5}, {"venerdì", 5}, {"venerdi", 5}, {"vie", 5}, {"viernes", 5},
    {"sat", 6}, {"saturday", 6}, {"sab", 6}, {"sabato", 6}, {"sáb", 6}, {"sábado", 6},
    {"sun", 7}, {"sunday", 7}, {"dom", 7}, {"domenica", 7}, {"domingo", 7},
};

constexpr std::string_view kMonthAbbrev[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                             "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::string_view kWeekdayAbbrev[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

template <size_t N>
int lookup_name(const NameNumber (&table)[N], std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 12) return 0;
  std::string l = lower_ascii(s);
  for (const auto& e : table)
    if (e.name == l) return e.number;
  return 0;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::string level_key(const Column& col, uint32_t code) {
  return col.kind(code) == CellKind::kMissing ? std::string() : std::string(col.text(code));
}

std::string format_number(double v) {
  if (v == std::floor(v) && std::abs(v) < 1e15) return fmt::format("{}", static_cast<int64_t>(v));
  return fmt::format("{}", v);
}

// The dominant extreme value far from the rest, if any: pdays = 999 when
// the others are 0..27, or -1 when the others are all positive.
std::optional<std::pair<double, uint64_t>> find_sentinel(const std::vector<std::pair<double, uint64_t>>& by_value,
                                                         uint64_t numeric_rows) {
  if (by_value.size() < 2 || numeric_rows == 0) return std::nullopt;
  auto qualifies = [&](size_t idx) -> bool {
    double v = by_value[idx].first;
    uint64_t count = by_value[idx].second;
    if (static_cast<double>(count) < 0.01 * static_cast<double>(numeric_rows) || count < 5) return false;
    bool is_max = idx + 1 == by_value.size();
    double lo = is_max ? by_value.front().first : by_value[1].first;
    double hi = is_max ? by_value[by_value.size() - 2].first : by_value.back().first;
    double range = hi - lo;
    double gap = is_max ? v - hi : lo - v;
    if (gap > std::max(range, 1.0)) return true;
    double a = std::abs(v);
    bool nines = a == 99 || a == 999 || a == 9999 || a == 99999 || a == 999999;
    if (!is_max && (v == -1 || (v < 0 && nines)) && lo >= 0) return true;  // -1 among counts and days
    return nines && gap > 0 && ((is_max && v > 0) || (!is_max && v < 0));
  };
  std::optional<std::pair<double, uint64_t>> best;
  for (size_t idx : {size_t{0}, by_value.size() - 1})
    if (qualifies(idx) && (!best || by_value[idx].second > best->second)) best = by_value[idx];
  return best;
}

}  // namespace

std::string_view to_string(ColumnKind kind) {
  switch (kind) {
    case ColumnKind::kNumeric: return "numeric";
    case ColumnKind::kCategorical: return "categorical";
    case ColumnKind::kDate: return "date";
    case ColumnKind::kMonth: return "month";
    case ColumnKind::kWeekday: return "weekday";
  }
  return "?";
}

std::optional<int32_t> parse_iso_day(std::string_view s, int* hour) {
  s = trim(s);
  if (hour) *hour = -1;
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || !(s[4] == '-' || s[4] == '/') || !digits(s, 5, 2, m) ||
      s[7] != s[4] || !digits(s, 8, 2, d))
    return std::nullopt;
  using namespace std::chrono;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  if (s.size() > 10) {
    int h = 0, mi = 0;
    if (!(s[10] == 'T' || s[10] == ' ') || !digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' ||
        !digits(s, 14, 2, mi) || h > 23 || mi > 59)
      return std::nullopt;
    if (hour) *hour = h;
  }
  return static_cast<int32_t>(sys_days(ymd).time_since_epoch().count());
}

int month_number(std::string_view s) { return lookup_name(kMonths, s); }
int weekday_number(std::string_view s) { return lookup_name(kWeekdays, s); }

size_t ColumnSpec::feature_count() const {
  switch (kind) {
    case ColumnKind::kNumeric: return 1 + (has_sentinel ? 1 : 0);
    case ColumnKind::kCategorical:
      return encoding == CategoryEncoding::kOneHot ? levels.size() + (has_other ? 1 : 0) : 2;
    case ColumnKind::kDate: return 4 + (has_time ? 1 : 0);
    case ColumnKind::kMonth:
    case ColumnKind::kWeekday: return 1 + levels.size();
  }
  return 0;
}

void FeatureSpec::finalize() {
  feature_names.clear();
  feature_column.clear();
  for (uint32_t ci = 0; ci < columns.size(); ++ci) {
    const ColumnSpec& c = columns[ci];
    auto add = [&](std::string name) {
      feature_names.push_back(std::move(name));
      feature_column.push_back(ci);
    };
    switch (c.kind) {
      case ColumnKind::kNumeric:
        add(c.name);
        if (c.has_sentinel) add(fmt::format("{}={} (never)", c.name, format_number(c.sentinel)));
        break;
      case ColumnKind::kCategorical:
        if (c.encoding == CategoryEncoding::kOneHot) {
          for (const auto& l : c.levels) add(fmt::format("{}={}", c.name, l.empty() ? "(missing)" : l));
          if (c.has_other) add(c.name + "=(other)");
        } else {
          add(c.name + " (frequency)");
          add(c.name + " (target rate)");
        }
        break;
      case ColumnKind::kDate:
        add(c.name + ".weekday");
        add(c.name + ".month");
        add(c.name + ".day");
        add(c.name + ".days_before_latest");
        if (c.has_time) add(c.name + ".hour");
        break;
      case ColumnKind::kMonth:
      case ColumnKind::kWeekday: {
        bool month = c.kind == ColumnKind::kMonth;
        add(c.name + (month ? " (month number)" : " (weekday number)"));
        for (const auto& l : c.levels) {
          int n = std::atoi(l.c_str());
          std::string_view label = month ? (n >= 1 && n <= 12 ? kMonthAbbrev[n - 1] : std::string_view(l))
                                         : (n >= 1 && n <= 7 ? kWeekdayAbbrev[n - 1] : std::string_view(l));
          add(fmt::format("{}={}", c.name, label));
        }
        break;
      }
    }
  }
}

nlohmann::json FeatureSpec::to_json() const {
  nlohmann::json cols = nlohmann::json::array();
  for (const auto& c : columns) {
    nlohmann::json j;
    j["name"] = c.name;
    j["kind"] = to_string(c.kind);
    switch (c.kind) {
      case ColumnKind::kNumeric:
        if (c.has_sentinel) {
          j["sentinel"] = c.sentinel;
          j["sentinel_rows"] = c.sentinel_rows;
        }
        if (c.text_as_missing_rows) {
          j["text_as_missing_rows"] = c.text_as_missing_rows;
          j["text_as_missing"] = c.text_as_missing;
        }
        break;
      case ColumnKind::kCategorical:
        j["encoding"] = c.encoding == CategoryEncoding::kOneHot ? "one_hot" : "frequency_target";
        j["levels"] = c.levels;
        if (c.encoding == CategoryEncoding::kOneHot) {
          j["has_other"] = c.has_other;
          if (!c.rare_levels.empty()) j["rare_levels"] = c.rare_levels;
        } else {
          j["level_frequency"] = c.level_frequency;
          j["level_target"] = c.level_target;
          j["target_prior"] = c.target_prior;
        }
        break;
      case ColumnKind::kDate:
        j["reference_day"] = c.reference_day;
        j["has_time"] = c.has_time;
        break;
      case ColumnKind::kMonth:
      case ColumnKind::kWeekday:
        j["levels"] = c.levels;
        break;
    }
    cols.push_back(std::move(j));
  }
  return nlohmann::json{{"columns", cols}, {"feature_names", feature_names}};
}

Result<FeatureSpec> FeatureSpec::from_json(const nlohmann::json& j) {
  try {
    FeatureSpec spec;
    for (const auto& cj : j.at("columns")) {
      ColumnSpec c;
      c.name = cj.at("name").get<std::string>();
      std::string kind = cj.at("kind").get<std::string>();
      if (kind == "numeric") {
        c.kind = ColumnKind::kNumeric;
        if (cj.contains("sentinel")) {
          c.has_sentinel = true;
          c.sentinel = cj.at("sentinel").get<double>();
          c.sentinel_rows = cj.value("sentinel_rows", uint64_t{0});
        }
        c.text_as_missing_rows = cj.value("text_as_missing_rows", uint64_t{0});
        if (cj.contains("text_as_missing")) c.text_as_missing = cj.at("text_as_missing").get<std::vector<std::string>>();
      } else if (kind == "categorical") {
        c.kind = ColumnKind::kCategorical;
        std::string enc = cj.at("encoding").get<std::string>();
        c.levels = cj.at("levels").get<std::vector<std::string>>();
        if (enc == "one_hot") {
          c.encoding = CategoryEncoding::kOneHot;
          c.has_other = cj.at("has_other").get<bool>();
          if (cj.contains("rare_levels")) c.rare_levels = cj.at("rare_levels").get<std::vector<std::string>>();
        } else if (enc == "frequency_target") {
          c.encoding = CategoryEncoding::kFrequencyTarget;
          c.level_frequency = cj.at("level_frequency").get<std::vector<float>>();
          c.level_target = cj.at("level_target").get<std::vector<float>>();
          c.target_prior = cj.at("target_prior").get<float>();
          if (c.level_frequency.size() != c.levels.size() || c.level_target.size() != c.levels.size())
            return make_error("bad_model", "column '" + c.name + "': level tables of different sizes");
        } else {
          return make_error("bad_model", "column '" + c.name + "': unknown encoding '" + enc + "'");
        }
      } else if (kind == "date") {
        c.kind = ColumnKind::kDate;
        c.reference_day = cj.at("reference_day").get<int32_t>();
        c.has_time = cj.at("has_time").get<bool>();
      } else if (kind == "month" || kind == "weekday") {
        c.kind = kind == "month" ? ColumnKind::kMonth : ColumnKind::kWeekday;
        c.levels = cj.at("levels").get<std::vector<std::string>>();
      } else {
        return make_error("bad_model", "column '" + c.name + "': unknown kind '" + kind + "'");
      }
      spec.columns.push_back(std::move(c));
    }
    spec.finalize();
    if (j.contains("feature_names") && j.at("feature_names").get<std::vector<std::string>>() != spec.feature_names)
      return make_error("bad_model", "the feature list does not match the column specs");
    return spec;
  } catch (const nlohmann::json::exception& e) {
    return make_error("bad_model", std::string("feature spec: ") + e.what());
  }
}

InferredFeatures infer_features(const Table& table, const InferOptions& options) {
  InferredFeatures out;
  const uint64_t rows = table.rows();
  const uint64_t min_level_rows = std::clamp<uint64_t>(rows / 1000, 5, 50);
  for (size_t ci = 0; ci < table.columns(); ++ci) {
    const Column& col = table.column(ci);
    if (std::find(options.skip.begin(), options.skip.end(), col.name()) != options.skip.end()) continue;
    auto counts = col.code_counts();
    uint64_t n_missing = 0, n_number = 0, n_text = 0, n_leading_zero = 0, n_date = 0, n_month = 0, n_weekday = 0;
    size_t distinct_present = 0;
    for (uint32_t code = 0; code < counts.size(); ++code) {
      uint64_t n = counts[code];
      switch (col.kind(code)) {
        case CellKind::kMissing: n_missing += n; continue;
        case CellKind::kNumber: {
          n_number += n;
          std::string_view t = col.text(code);
          size_t p = !t.empty() && (t[0] == '-' || t[0] == '+') ? 1 : 0;
          if (t.size() > p + 1 && t[p] == '0' && t[p + 1] >= '0' && t[p + 1] <= '9') n_leading_zero += n;
          break;
        }
        case CellKind::kText: {
          n_text += n;
          std::string_view t = col.text(code);
          if (parse_iso_day(t, nullptr)) n_date += n;
          if (month_number(t)) n_month += n;
          if (weekday_number(t)) n_weekday += n;
          break;
        }
      }
      ++distinct_present;
    }
    const uint64_t present = n_number + n_text;
    const double share = options.numeric_share * static_cast<double>(present);
    if (present == 0) {
      out.dropped.push_back({col.name(), "every value is missing"});
      continue;
    }
    if (distinct_present == 1 && n_missing == 0) {
      out.dropped.push_back({col.name(), "the same value on every row"});
      continue;
    }
    ColumnSpec c;
    c.name = col.name();
    // Leading zeros ("02134", "0039"): codes, not quantities.
    bool codes_not_numbers = n_leading_zero * 10 >= n_number && n_leading_zero > 0;
    // A numeric column with a few distinct markers ("unknown", "refused")
    // in up to half of its cells is still numeric.
    size_t distinct_text = 0, distinct_number = 0;
    for (uint32_t code = 0; code < counts.size(); ++code) {
      if (!counts[code]) continue;
      if (col.kind(code) == CellKind::kText) ++distinct_text;
      if (col.kind(code) == CellKind::kNumber) ++distinct_number;
    }
    bool numeric_with_markers = distinct_text <= 5 && distinct_number >= 10 && n_number * 2 >= present;
    if ((static_cast<double>(n_number) >= share || numeric_with_markers) && !codes_not_numbers) {
      c.kind = ColumnKind::kNumeric;
      std::map<double, uint64_t> by_value;
      std::vector<std::pair<uint64_t, std::string>> texts;
      for (uint32_t code = 0; code < counts.size(); ++code) {
        if (!counts[code]) continue;
        if (col.kind(code) == CellKind::kNumber) by_value[col.number(code)] += counts[code];
        if (col.kind(code) == CellKind::kText) texts.emplace_back(counts[code], std::string(col.text(code)));
      }
      std::sort(texts.begin(), texts.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      });
      c.text_as_missing_rows = n_text;
      for (size_t i = 0; i < texts.size() && i < kMaxTextAsMissing; ++i) c.text_as_missing.push_back(texts[i].second);
      std::vector<std::pair<double, uint64_t>> values(by_value.begin(), by_value.end());
      if (auto s = find_sentinel(values, n_number)) {
        c.has_sentinel = true;
        c.sentinel = s->first;
        c.sentinel_rows = s->second;
      }
    } else if (n_date > 0 && static_cast<double>(n_date) >= share) {
      c.kind = ColumnKind::kDate;
      int32_t latest = std::numeric_limits<int32_t>::min();
      for (uint32_t code = 0; code < counts.size(); ++code) {
        int hour = -1;
        if (!counts[code]) continue;
        if (auto d = parse_iso_day(col.text(code), &hour)) {
          latest = std::max(latest, *d);
          if (hour >= 0) c.has_time = true;
        }
      }
      c.reference_day = latest;
    } else if (n_month > 0 && static_cast<double>(n_month) >= share) {
      c.kind = ColumnKind::kMonth;
    } else if (n_weekday > 0 && static_cast<double>(n_weekday) >= share) {
      c.kind = ColumnKind::kWeekday;
    } else {
      c.kind = ColumnKind::kCategorical;
    }

    if (c.kind == ColumnKind::kMonth || c.kind == ColumnKind::kWeekday) {
      std::vector<bool> seen(13, false);
      for (uint32_t code = 0; code < counts.size(); ++code) {
        if (!counts[code] || col.kind(code) != CellKind::kText) continue;
        int n = c.kind == ColumnKind::kMonth ? month_number(col.text(code)) : weekday_number(col.text(code));
        if (n) seen[static_cast<size_t>(n)] = true;
      }
      for (int n = 1; n <= 12; ++n)
        if (seen[static_cast<size_t>(n)]) c.levels.push_back(std::to_string(n));
    }

    if (c.kind == ColumnKind::kCategorical) {
      std::unordered_map<std::string, uint64_t> by_level;
      for (uint32_t code = 0; code < counts.size(); ++code)
        if (counts[code]) by_level[level_key(col, code)] += counts[code];
      std::vector<std::pair<std::string, uint64_t>> levels(by_level.begin(), by_level.end());
      std::sort(levels.begin(), levels.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      size_t nonmissing_levels = levels.size() - (by_level.count("") ? 1 : 0);
      if (present >= 50 && static_cast<double>(nonmissing_levels) >= 0.5 * static_cast<double>(present)) {
        out.dropped.push_back(
            {col.name(), fmt::format("{} distinct values in {} rows: an identifier or free text, not a category",
                                     nonmissing_levels, present)});
        continue;
      }
      size_t frequent = 0;
      while (frequent < levels.size() && levels[frequent].second >= min_level_rows) ++frequent;
      if (frequent >= 1 && frequent <= options.max_one_hot_levels) {
        c.encoding = CategoryEncoding::kOneHot;
        for (size_t i = 0; i < frequent; ++i) c.levels.push_back(levels[i].first);
        c.has_other = frequent < levels.size();
        for (size_t i = frequent; i < levels.size() && c.rare_levels.size() < kMaxRareLevels; ++i)
          c.rare_levels.push_back(levels[i].first);
      } else {
        c.encoding = CategoryEncoding::kFrequencyTarget;
        for (size_t i = 0; i < levels.size() && i < kMaxEncodedLevels; ++i) {
          c.levels.push_back(levels[i].first);
          c.level_frequency.push_back(static_cast<float>(static_cast<double>(levels[i].second) / static_cast<double>(rows)));
          c.level_target.push_back(0);
        }
      }
    }
    out.spec.columns.push_back(std::move(c));
  }
  out.spec.finalize();
  return out;
}

namespace {

// Level index of each dictionary code of `col` for a categorical spec (-1: none).
std::vector<int32_t> code_levels(const ColumnSpec& spec, const Column& col) {
  std::unordered_map<std::string_view, int32_t> index;
  index.reserve(spec.levels.size());
  for (size_t i = 0; i < spec.levels.size(); ++i) index.emplace(spec.levels[i], static_cast<int32_t>(i));
  std::vector<int32_t> out(col.distinct(), -1);
  for (uint32_t code = 0; code < col.distinct(); ++code) {
    std::string_view key = col.kind(code) == CellKind::kMissing ? std::string_view() : col.text(code);
    auto it = index.find(key);
    if (it != index.end()) out[code] = it->second;
  }
  return out;
}

}  // namespace

void fit_target_encoding(FeatureSpec& spec, const Table& table, std::span<const uint32_t> rows,
                         std::span<const uint8_t> labels) {
  double pos_total = 0;
  for (uint8_t l : labels) pos_total += l;
  const double prior = rows.empty() ? 0 : pos_total / static_cast<double>(rows.size());
  for (auto& c : spec.columns) {
    if (c.kind != ColumnKind::kCategorical || c.encoding != CategoryEncoding::kFrequencyTarget) continue;
    auto ci = table.find(c.name);
    if (!ci) continue;
    const Column& col = table.column(*ci);
    auto levels = code_levels(c, col);
    std::vector<double> n(c.levels.size(), 0), pos(c.levels.size(), 0);
    for (size_t i = 0; i < rows.size(); ++i) {
      int32_t l = levels[col.code(rows[i])];
      if (l < 0) continue;
      n[static_cast<size_t>(l)] += 1;
      pos[static_cast<size_t>(l)] += labels[i];
    }
    c.target_prior = static_cast<float>(prior);
    for (size_t l = 0; l < c.levels.size(); ++l)
      c.level_target[l] = static_cast<float>((pos[l] + kTargetSmoothing * prior) / (n[l] + kTargetSmoothing));
  }
}

void apply_out_of_fold_target_encoding(const FeatureSpec& spec, const Table& table, std::span<const uint32_t> rows,
                                       std::span<const uint8_t> labels, uint64_t seed, float* matrix) {
  constexpr size_t kFolds = 5;
  const size_t width = spec.feature_count();
  std::vector<uint8_t> fold(rows.size());
  {
    std::vector<uint32_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0u);
    Rng rng(seed ^ 0x7e1e5c0de5ULL);
    rng.shuffle(order);
    for (size_t i = 0; i < order.size(); ++i) fold[order[i]] = static_cast<uint8_t>(i % kFolds);
  }
  double fold_n[kFolds] = {}, fold_pos[kFolds] = {};
  for (size_t i = 0; i < rows.size(); ++i) {
    fold_n[fold[i]] += 1;
    fold_pos[fold[i]] += labels[i];
  }
  double total_n = static_cast<double>(rows.size()), total_pos = 0;
  for (uint8_t l : labels) total_pos += l;

  size_t offset = 0;
  for (const auto& c : spec.columns) {
    size_t w = c.feature_count();
    if (c.kind == ColumnKind::kCategorical && c.encoding == CategoryEncoding::kFrequencyTarget) {
      auto ci = table.find(c.name);
      if (ci) {
        const Column& col = table.column(*ci);
        auto levels = code_levels(c, col);
        const size_t L = c.levels.size();
        std::vector<double> n(L * kFolds, 0), pos(L * kFolds, 0), ln(L, 0), lpos(L, 0);
        for (size_t i = 0; i < rows.size(); ++i) {
          int32_t l = levels[col.code(rows[i])];
          if (l < 0) continue;
          size_t k = static_cast<size_t>(l) * kFolds + fold[i];
          n[k] += 1;
          pos[k] += labels[i];
          ln[static_cast<size_t>(l)] += 1;
          lpos[static_cast<size_t>(l)] += labels[i];
        }
        for (size_t i = 0; i < rows.size(); ++i) {
          size_t f = fold[i];
          double rest_n = total_n - fold_n[f];
          double prior = rest_n > 0 ? (total_pos - fold_pos[f]) / rest_n : 0;
          int32_t l = levels[col.code(rows[i])];
          double value = prior;
          if (l >= 0) {
            size_t k = static_cast<size_t>(l) * kFolds + f;
            double nn = ln[static_cast<size_t>(l)] - n[k];
            double pp = lpos[static_cast<size_t>(l)] - pos[k];
            value = (pp + kTargetSmoothing * prior) / (nn + kTargetSmoothing);
          }
          matrix[i * width + offset + 1] = static_cast<float>(value);
        }
      }
    }
    offset += w;
  }
}

Result<BoundEncoder> BoundEncoder::bind(const FeatureSpec& spec, const Table& table) {
  BoundEncoder enc;
  std::vector<std::string> missing;
  for (const auto& c : spec.columns)
    if (!table.find(c.name)) missing.push_back(c.name);
  if (!missing.empty()) {
    std::string have;
    for (const auto& n : table.column_names()) have += (have.empty() ? "" : ", ") + n;
    std::string need;
    for (const auto& n : missing) need += (need.empty() ? "" : ", ") + n;
    return make_error("missing_columns",
                      fmt::format("{}: the model needs column{} {} which the input lacks (its columns: {})",
                                  table.source().empty() ? "input" : table.source(), missing.size() > 1 ? "s" : "",
                                  need, have));
  }
  size_t offset = 0;
  for (const auto& c : spec.columns) {
    const Column& col = table.column(*table.find(c.name));
    Part part;
    part.column = &col;
    part.offset = offset;
    part.width = c.feature_count();
    offset += part.width;
    const size_t W = part.width, D = col.distinct();
    part.values.assign(D * W, 0.0f);
    ColumnEncodeIssue issue;
    issue.column = c.name;
    std::vector<bool> problem(D, false);
    switch (c.kind) {
      case ColumnKind::kNumeric: {
        for (uint32_t code = 0; code < D; ++code) {
          float* v = &part.values[code * W];
          v[0] = kNaN;
          if (col.kind(code) == CellKind::kNumber) {
            double x = col.number(code);
            if (c.has_sentinel && x == c.sentinel) {
              v[1] = 1.0f;
            } else {
              v[0] = static_cast<float>(x);
            }
          } else if (col.kind(code) == CellKind::kText) {
            std::string_view t = col.text(code);
            problem[code] = std::find(c.text_as_missing.begin(), c.text_as_missing.end(), t) == c.text_as_missing.end();
          }
        }
        break;
      }
      case ColumnKind::kCategorical: {
        auto levels = code_levels(c, col);
        std::unordered_set<std::string_view> rare(c.rare_levels.begin(), c.rare_levels.end());
        for (uint32_t code = 0; code < D; ++code) {
          float* v = &part.values[code * W];
          int32_t l = levels[code];
          if (c.encoding == CategoryEncoding::kOneHot) {
            if (l >= 0) v[l] = 1.0f;
            else if (c.has_other) v[W - 1] = 1.0f;
          } else {
            v[0] = l >= 0 ? c.level_frequency[static_cast<size_t>(l)] : 0.0f;
            v[1] = l >= 0 ? c.level_target[static_cast<size_t>(l)] : c.target_prior;
          }
          std::string_view key = col.kind(code) == CellKind::kMissing ? std::string_view() : col.text(code);
          problem[code] = l < 0 && !rare.count(key);
        }
        break;
      }
      case ColumnKind::kDate: {
        for (uint32_t code = 0; code < D; ++code) {
          float* v = &part.values[code * W];
          std::fill(v, v + W, kNaN);
          int hour = -1;
          auto d = col.kind(code) == CellKind::kMissing ? std::nullopt : parse_iso_day(col.text(code), &hour);
          if (!d) {
            problem[code] = col.kind(code) != CellKind::kMissing;
            continue;
          }
          using namespace std::chrono;
          sys_days sd{days{*d}};
          year_month_day ymd{sd};
          v[0] = static_cast<float>(weekday{sd}.iso_encoding());
          v[1] = static_cast<float>(static_cast<unsigned>(ymd.month()));
          v[2] = static_cast<float>(static_cast<unsigned>(ymd.day()));
          v[3] = static_cast<float>(c.reference_day - *d);
          if (c.has_time && hour >= 0) v[4] = static_cast<float>(hour);
        }
        break;
      }
      case ColumnKind::kMonth:
      case ColumnKind::kWeekday: {
        for (uint32_t code = 0; code < D; ++code) {
          float* v = &part.values[code * W];
          v[0] = kNaN;
          if (col.kind(code) == CellKind::kMissing) continue;
          int n = c.kind == ColumnKind::kMonth ? month_number(col.text(code)) : weekday_number(col.text(code));
          if (!n) {
            problem[code] = true;
            continue;
          }
          v[0] = static_cast<float>(n);
          auto it = std::find(c.levels.begin(), c.levels.end(), std::to_string(n));
          if (it != c.levels.end()) v[1 + (it - c.levels.begin())] = 1.0f;
          else problem[code] = true;
        }
        break;
      }
    }
    if (std::find(problem.begin(), problem.end(), true) != problem.end()) {
      // Rare path: count the rows behind the problem values, for messages.
      const bool numeric = c.kind == ColumnKind::kNumeric;
      for (size_t row = 0; row < col.size(); ++row) {
        uint32_t code = col.code(row);
        if (!problem[code]) continue;
        if (numeric) {
          if (issue.text_in_numeric_rows++ == 0) {
            issue.first_line = table.line(row);
            issue.first_value = std::string(col.text(code));
          }
        } else {
          ++issue.unseen_rows;
          std::string value(col.text(code));
          if (issue.unseen_examples.size() < 5 &&
              std::find(issue.unseen_examples.begin(), issue.unseen_examples.end(), value) == issue.unseen_examples.end())
            issue.unseen_examples.push_back(value);
        }
      }
      enc.issues_.push_back(std::move(issue));
    }
    enc.parts_.push_back(std::move(part));
  }
  enc.width_ = offset;
  return enc;
}

void BoundEncoder::encode_row(size_t row, float* out) const {
  for (const Part& p : parts_) {
    const float* src = &p.values[static_cast<size_t>(p.column->code(row)) * p.width];
    if (p.width == 1) out[p.offset] = src[0];
    else std::copy(src, src + p.width, out + p.offset);
  }
}

void BoundEncoder::encode(size_t begin, size_t end, float* out) const {
  for (size_t r = begin; r < end; ++r) encode_row(r, out + (r - begin) * width_);
}

void BoundEncoder::encode(std::span<const uint32_t> rows, float* out) const {
  for (size_t i = 0; i < rows.size(); ++i) encode_row(rows[i], out + i * width_);
}

}  // namespace telemark::scoring
