// Whole simulated days through the production dialer: the data-driven cases
// in cases.txt, plus determinism and the report's JSON form.
#include "sim/run.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "base/paths.h"
#include "dialer/mode.h"
#include "sim/scenario.h"

using namespace telemark;

namespace {

struct Case {
  int line = 0;
  std::map<std::string, std::string> fields;
  std::vector<std::string> checks;
};

std::vector<Case> read_cases() {
  std::ifstream in(home_path("tests/sim/cases.txt"));
  std::vector<Case> cases;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    Case c;
    c.line = n;
    std::istringstream words(line);
    std::string w;
    while (words >> w) {
      size_t eq = w.find('=');
      bool check = w.find("<=") != std::string::npos || w.find(">=") != std::string::npos ||
                   w.find("==") != std::string::npos;
      if (check) c.checks.push_back(w);
      else if (eq != std::string::npos) c.fields[w.substr(0, eq)] = w.substr(eq + 1);
    }
    cases.push_back(c);
  }
  return cases;
}

double metric(const sim::Report& r, const std::string& name) {
  auto blocked = [&](const std::string& reason) {
    auto it = r.blocked_by_reason.find(reason);
    return it == r.blocked_by_reason.end() ? 0.0 : static_cast<double>(it->second);
  };
  if (name == "abandoned") return static_cast<double>(r.abandoned);
  if (name == "rate") return r.abandonment_rate;
  if (name == "peak") return r.peak_abandonment_rate;
  if (name == "busy") return r.utilization_busy;
  if (name == "talk") return r.utilization_talk;
  if (name == "agent_hours") return r.agent_hours;
  if (name == "dials") return static_cast<double>(r.dials);
  if (name == "live") return static_cast<double>(r.live_answers);
  if (name == "contacts") return static_cast<double>(r.contacts);
  if (name.rfind("blocked:", 0) == 0) return blocked(name.substr(8));
  if (name.rfind("blocked_share:", 0) == 0) {
    // A lead denied for two reasons counts once in the leads considered;
    // the shares here are small enough that the overlap does not matter.
    double all = 0;
    for (const auto& [reason, n] : r.blocked_by_reason) all += static_cast<double>(n);
    return blocked(name.substr(14)) / (static_cast<double>(r.dials) + all);
  }
  ADD_FAILURE() << "unknown metric " << name;
  return 0;
}

}  // namespace

TEST(Simulation, CasesFromCasesFile) {
  std::vector<Case> cases = read_cases();
  ASSERT_GE(cases.size(), 8u);
  for (const Case& c : cases) {
    SCOPED_TRACE("tests/sim/cases.txt:" + std::to_string(c.line));
    auto sc = sim::load_scenario(home_path(c.fields.at("scenario")));
    ASSERT_TRUE(sc.ok()) << sc.error().message;
    auto mode = dialer::DialMode::parse(c.fields.at("mode"));
    ASSERT_TRUE(mode.ok()) << mode.error().message;
    sim::RunOptions options;
    options.series_interval_s = 0;
    sim::Report r = sim::run(*sc, *mode, std::stoi(c.fields.at("agents")), std::stod(c.fields.at("hours")),
                             std::stoull(c.fields.at("seed")), options);
    for (const std::string& check : c.checks) {
      size_t op = check.find_first_of("<>=");
      std::string name = check.substr(0, op), how = check.substr(op, 2);
      double want = std::stod(check.substr(op + 2));
      double got = metric(r, name);
      if (how == "<=") EXPECT_LE(got, want) << check << "\n" << sim::format_text(r);
      else if (how == ">=") EXPECT_GE(got, want) << check << "\n" << sim::format_text(r);
      else EXPECT_EQ(got, want) << check << "\n" << sim::format_text(r);
    }
  }
}

TEST(Simulation, ASeedGivesTheSameDayEveryTime) {
  auto sc = sim::load_scenario(home_path("bench/scenarios/s1.toml"));
  ASSERT_TRUE(sc.ok());
  sim::Report a = sim::run(*sc, dialer::DialMode::predictive(), 10, 1.0, 99);
  sim::Report b = sim::run(*sc, dialer::DialMode::predictive(), 10, 1.0, 99);
  sim::Report c = sim::run(*sc, dialer::DialMode::predictive(), 10, 1.0, 100);
  EXPECT_EQ(a.dials, b.dials);
  EXPECT_EQ(a.abandoned, b.abandoned);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.utilization_busy, b.utilization_busy);
  EXPECT_EQ(sim::format_json(a), sim::format_json(b));
  EXPECT_NE(a.dials * 1000000 + a.events, c.dials * 1000000 + c.events);
}

TEST(Simulation, ReportCarriesTheAgreedJsonKeysAndTheRateSeries) {
  auto sc = sim::load_scenario(home_path("tests/sim/scenarios/gate.toml"));
  ASSERT_TRUE(sc.ok());
  sim::RunOptions options;
  options.series_interval_s = 600;
  sim::Report r = sim::run(*sc, dialer::DialMode::power(2.0), 10, 1.0, 1, options);
  auto j = nlohmann::json::parse(sim::format_json(r));
  for (const char* key : {"dials", "live_answers", "abandoned", "abandonment_rate", "utilization_busy",
                          "utilization_talk", "blocked_by_reason", "contacts", "abandonment_series"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_GT(j["blocked_by_reason"]["dnc_registry"].get<int>(), 0);
  ASSERT_EQ(r.series.size(), 6u);
  EXPECT_DOUBLE_EQ(r.series.back().t_s, 3600.0);
  EXPECT_EQ(r.series.back().live_answers, r.live_answers);
  EXPECT_EQ(r.contacts + r.abandoned, r.live_answers);
  EXPECT_NE(sim::format_text(r).find("dnc_registry"), std::string::npos);
}
