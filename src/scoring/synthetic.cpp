#include "scoring/synthetic.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

#include "scoring/random.h"

namespace telemark::scoring {
namespace {

struct Level {
  const char* name;
  double weight;  // relative frequency
  double effect;  // on the log-odds
};

const Level kJobs[] = {{"admin.", 25, 0.1},      {"blue-collar", 22, -0.4}, {"technician", 16, 0.0},
                       {"services", 10, -0.25},  {"management", 7, 0.05},   {"retired", 4, 0.7},
                       {"entrepreneur", 3.5, -0.2}, {"self-employed", 3.5, -0.1}, {"housemaid", 2.6, -0.1},
                       {"unemployed", 2.5, 0.3}, {"student", 2.1, 0.8},     {"unknown", 0.8, 0.0}};
const Level kMarital[] = {{"married", 60, 0.0}, {"single", 28, 0.2}, {"divorced", 11, 0.0}, {"unknown", 0.5, 0.1}};
const Level kEducation[] = {{"university.degree", 30, 0.2}, {"high.school", 23, 0.0}, {"basic.9y", 15, -0.15},
                            {"professional.course", 13, 0.05}, {"basic.4y", 10, -0.05}, {"basic.6y", 5.5, -0.15},
                            {"unknown", 4, 0.1}, {"illiterate", 0.05, 0.5}};
const Level kDefault[] = {{"no", 79, 0.0}, {"unknown", 20.9, -0.5}, {"yes", 0.1, 0.0}};
const Level kHousing[] = {{"yes", 52, -0.3}, {"no", 45, 0.0}, {"unknown", 3, 0.0}};
const Level kLoan[] = {{"no", 82, 0.0}, {"yes", 15, -0.2}, {"unknown", 3, 0.0}};
const Level kContact[] = {{"cellular", 64, 0.0}, {"telephone", 36, -0.7}};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr double kMonthEffect[] = {0.0, 0.1, 1.2, 0.3, -0.5, 0.0, -0.1, 0.1, 0.9, 0.9, -0.1, 0.8};
constexpr double kMonthWeight[] = {0.5, 1, 1.5, 6, 33, 13, 17, 15, 1.5, 2, 10, 0.5};
constexpr const char* kDayNames[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr double kDayEffect[] = {-0.15, 0.05, 0.05, 0.1, 0.0, 0.0, 0.0};

template <size_t N>
size_t pick(Rng& rng, const Level (&levels)[N]) {
  double total = 0;
  for (const auto& l : levels) total += l.weight;
  double u = rng.uniform() * total;
  for (size_t i = 0; i < N; ++i) {
    if (u < levels[i].weight) return i;
    u -= levels[i].weight;
  }
  return N - 1;
}

size_t pick_weighted(Rng& rng, const double* w, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += w[i];
  double u = rng.uniform() * total;
  for (size_t i = 0; i < n; ++i) {
    if (u < w[i]) return i;
    u -= w[i];
  }
  return n - 1;
}

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

}  // namespace

SyntheticTable make_synthetic(const SyntheticOptions& o) {
  Rng rng(o.seed);
  std::vector<std::string> names = {"age",      "job",         "marital",  "education", "default",     "balance",
                                    "housing",  "loan",        "contact",  "month",     "day_of_week", "campaign",
                                    "pdays",    "previous",    "poutcome", "emp_var_rate", "euribor3m", "last_contact",
                                    "region"};
  if (o.customer_id) names.insert(names.begin(), "customer_id");
  if (o.leak_column) names.push_back("call_seconds");
  for (int i = 1; i <= o.noise_columns; ++i) names.push_back(fmt::format("noise_{}", i));
  names.push_back("y");
  SyntheticTable out;
  out.table = Table(names);
  out.table.set_source("synthetic");
  out.probability.reserve(o.rows);
  out.label.reserve(o.rows);

  // Region effects: a high-cardinality category with real signal.
  constexpr int kRegions = 60;
  std::vector<double> region_effect(kRegions), region_weight(kRegions);
  {
    Rng r(0x5e610ULL);  // the ground truth is the same for every seed: only rows differ
    for (int i = 0; i < kRegions; ++i) {
      region_effect[static_cast<size_t>(i)] = 0.25 * r.normal();
      region_weight[static_cast<size_t>(i)] = 0.2 + r.uniform();
    }
  }
  // Macro-economic rates move with the calendar month (as in the UCI data).
  const double kEmpVar[] = {-1.8, -1.8, -1.8, -1.8, 1.1, 1.4, 1.4, 1.4, -3.4, -3.4, -0.1, -3.0};
  const double kEuribor[] = {1.3, 1.2, 1.0, 1.4, 4.9, 4.9, 4.9, 4.9, 0.8, 0.9, 4.0, 0.9};
  const auto first_day = std::chrono::sys_days(std::chrono::year{2023} / 1 / 1);

  std::vector<std::string> cells(names.size());
  for (uint64_t row = 0; row < o.rows; ++row) {
    size_t c = 0;
    double logit = -2.2;
    if (o.customer_id) cells[c++] = fmt::format("C{:07d}", row + 1);
    // age: U-shaped effect.
    int age = static_cast<int>(std::lround(std::clamp(41 + 11 * rng.normal() + (rng.uniform() < 0.05 ? 25 : 0), 18.0, 95.0)));
    logit += 0.9 * std::pow((age - 42) / 20.0, 2) - 0.2;
    cells[c++] = std::to_string(age);
    size_t job = pick(rng, kJobs);
    if (age > 62 && rng.uniform() < 0.7) job = 5;  // retired
    if (age < 24 && rng.uniform() < 0.5) job = 10; // student
    logit += kJobs[job].effect;
    cells[c++] = kJobs[job].name;
    size_t marital = pick(rng, kMarital);
    logit += kMarital[marital].effect;
    cells[c++] = rng.uniform() < o.missing_share ? "" : kMarital[marital].name;
    size_t edu = pick(rng, kEducation);
    logit += kEducation[edu].effect;
    cells[c++] = rng.uniform() < o.missing_share ? "" : kEducation[edu].name;
    size_t def = pick(rng, kDefault);
    logit += kDefault[def].effect;
    cells[c++] = kDefault[def].name;
    // balance: skewed, some negative; saturating effect.
    double balance = std::round(std::exp(6.5 + 1.4 * rng.normal()) - 300 * rng.uniform() - (rng.uniform() < 0.08 ? 800 : 0));
    logit += 0.35 * std::tanh(balance / 2500.0);
    double u = rng.uniform();
    cells[c++] = u < o.missing_share ? "" : u < o.missing_share + 0.004 ? "NA" : u < o.missing_share + 0.006 ? "unknown" : fmt::format("{}", balance);
    size_t housing = pick(rng, kHousing);
    logit += kHousing[housing].effect;
    cells[c++] = kHousing[housing].name;
    size_t loan = pick(rng, kLoan);
    logit += kLoan[loan].effect;
    cells[c++] = kLoan[loan].name;
    size_t contact = pick(rng, kContact);
    logit += kContact[contact].effect;
    cells[c++] = kContact[contact].name;
    // Date of the last contact; month and weekday follow from it.
    size_t month = pick_weighted(rng, kMonthWeight, 12);
    int year = rng.uniform() < 0.5 ? 2023 : 2024;
    int dom = 1 + static_cast<int>(rng.below(28));
    auto date = std::chrono::sys_days(std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(month + 1)} /
                                      std::chrono::day{static_cast<unsigned>(dom)});
    std::chrono::weekday wd{date};
    if (wd.iso_encoding() >= 6) date += std::chrono::days{8 - static_cast<int>(wd.iso_encoding())};  // calls on weekdays
    std::chrono::year_month_day ymd{date};
    month = static_cast<unsigned>(ymd.month()) - 1;
    unsigned dow = std::chrono::weekday{date}.iso_encoding() - 1;
    logit += kMonthEffect[month] + kDayEffect[dow];
    // Later calls in the period do a little better (a trend only the date shows).
    logit += 0.25 * static_cast<double>((date - first_day).count()) / 730.0;
    cells[c++] = kMonthNames[month];
    cells[c++] = kDayNames[dow];
    int campaign = 1 + static_cast<int>(std::floor(-std::log(1 - rng.uniform()) * 1.6));
    logit += -0.09 * std::min(campaign, 10);
    cells[c++] = std::to_string(campaign);
    bool contacted_before = rng.uniform() < 0.15;
    int pdays = contacted_before ? static_cast<int>(rng.below(28)) : 999;
    int previous = contacted_before ? 1 + static_cast<int>(rng.below(4)) : 0;
    const char* poutcome = "nonexistent";
    if (contacted_before) {
      bool success = rng.uniform() < 0.35;
      poutcome = success ? "success" : "failure";
      logit += 0.6 - 0.03 * pdays + (success ? 1.3 : 0.0) + 0.1 * previous;
    }
    cells[c++] = std::to_string(pdays);
    cells[c++] = std::to_string(previous);
    cells[c++] = poutcome;
    double emp = kEmpVar[month] + (year == 2024 ? 0.3 : 0.0);
    double eur = kEuribor[month] + 0.2 * rng.normal();
    logit += -0.25 * emp;
    cells[c++] = fmt::format("{:.1f}", emp);
    cells[c++] = fmt::format("{:.3f}", eur);
    cells[c++] = fmt::format("{:04d}-{:02d}-{:02d}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                             static_cast<unsigned>(ymd.day()));
    size_t region = pick_weighted(rng, region_weight.data(), kRegions);
    logit += region_effect[region];
    // An interaction: students and retirees reached on a cell phone do better.
    if ((job == 5 || job == 10) && contact == 0) logit += 0.4;
    cells[c++] = fmt::format("R{:03d}", region + 1);

    double p = sigmoid(logit);
    uint8_t y = rng.uniform() < p ? 1 : 0;
    if (o.leak_column) {
      double secs = y ? 420 + 160 * std::abs(rng.normal()) : 40 + 70 * std::abs(rng.normal());
      cells[c++] = std::to_string(static_cast<int>(secs));
    }
    for (int i = 0; i < o.noise_columns; ++i) cells[c++] = fmt::format("{:.2f}", rng.normal());
    cells[c++] = y ? "yes" : "no";
    out.table.append_row(std::span<const std::string>(cells), row + 2);
    out.probability.push_back(p);
    out.label.push_back(y);
  }
  return out;
}

Status write_table_csv(const Table& table, const std::string& path, char delimiter, bool quote_text) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!f) return make_error("io_error", fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  std::string buf;
  auto field = [&](std::string_view s, bool text) {
    if (quote_text && text) {
      buf.push_back('"');
      for (char ch : s) {
        if (ch == '"') buf.push_back('"');
        buf.push_back(ch);
      }
      buf.push_back('"');
    } else {
      append_csv_field(buf, s, delimiter);
    }
  };
  for (size_t c = 0; c < table.columns(); ++c) {
    if (c) buf.push_back(delimiter);
    field(table.column(c).name(), true);
  }
  buf.push_back('\n');
  for (size_t r = 0; r < table.rows(); ++r) {
    for (size_t c = 0; c < table.columns(); ++c) {
      if (c) buf.push_back(delimiter);
      const Column& col = table.column(c);
      uint32_t code = col.code(r);
      field(col.text(code), col.kind(code) == CellKind::kText);
    }
    buf.push_back('\n');
    if (buf.size() > (1 << 20)) {
      if (std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size())
        return make_error("io_error", fmt::format("{}: write failed", path));
      buf.clear();
    }
  }
  if (std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size() || std::fflush(f.get()) != 0)
    return make_error("io_error", fmt::format("{}: write failed", path));
  return Status::Ok();
}

}  // namespace telemark::scoring
