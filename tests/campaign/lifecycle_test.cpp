// Lead life cycle: the cases in lifecycle.cases run next_step() against the
// shipped rule packs (format at the top of that file).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "base/paths.h"
#include "base/time.h"
#include "campaign/lifecycle.h"
#include "compliance/engine.h"
#include "compliance/rules.h"

namespace telemark::campaign {
namespace {

const compliance::Engine& engine() {
  static compliance::Engine e = [] {
    auto r = compliance::RuleSet::load_directory(home_path("rules"));
    if (!r.ok()) throw std::runtime_error(r.error().message);
    return compliance::Engine(*r);
  }();
  return e;
}

struct Case {
  int line = 0;
  std::string name;
  DispositionPreset preset = DispositionPreset::kSales;
  std::vector<Disposition> codes;
  std::vector<RetryRule> retries;
  uint32_t max_attempts = 0;
  std::string zone = "America/New_York";
  std::string country = "US";
  std::string region = "NY";
  std::optional<compliance::LocalWindow> hours;
  LeadProgress lead;
  Instant now{};
  AttemptOutcome outcome;
  std::string callback_local;
  std::vector<Instant> history;
  std::optional<Instant> last_abandoned;
  bool registries_missing = false;
  bool registry_member = false;
  bool internal_dnc = false;
  std::map<std::string, std::string> expect;
  std::string expect_error;
};

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

Instant at(const std::string& s) {
  auto t = parse_iso8601(s);
  if (!t.ok()) throw std::runtime_error(t.error().message);
  return *t;
}

std::vector<Case> load_cases() {
  std::string path = home_path("tests/campaign/lifecycle.cases");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::vector<Case> cases;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error(path + ":" + std::to_string(n) + ": expected key: value");
    std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    auto w = words(value);
    auto bad = [&](const std::string& what) {
      return std::runtime_error(path + ":" + std::to_string(n) + ": " + key + ": " + what);
    };
    if (key == "case") {
      cases.emplace_back();
      cases.back().line = n;
      cases.back().name = value;
      continue;
    }
    if (cases.empty()) throw bad("before the first case");
    Case& c = cases.back();
    if (key == "preset") {
      auto p = parse_disposition_preset(value);
      if (!p) throw bad("unknown preset");
      c.preset = *p;
    } else if (key == "code") {
      Disposition d{w.at(0), 0};
      for (size_t i = 1; i < w.size(); ++i) d.flags |= static_cast<uint8_t>(parse_disposition_flag(w[i]).value());
      c.codes.push_back(d);
    } else if (key == "retry") {
      if (w.size() != 3) throw bad("expected OUTCOME DELAY MAX");
      c.retries.push_back({w[0], parse_delay(w[1]).value(), static_cast<uint32_t>(std::stoul(w[2]))});
    } else if (key == "max_attempts") {
      c.max_attempts = static_cast<uint32_t>(std::stoul(value));
    } else if (key == "zone") {
      c.zone = w.at(0);
      c.country = w.at(1);
      c.region = w.size() > 2 ? w[2] : "";
    } else if (key == "hours") {
      compliance::LocalWindow win;
      win.start_minute = compliance::parse_clock_minutes(w.at(0)).value();
      win.end_minute = compliance::parse_clock_minutes(w.at(1)).value();
      if (w.size() > 2) win.days = compliance::parse_day_set(w[2]).value();
      c.hours = win;
    } else if (key == "lead") {
      c.lead.state = parse_lead_state(w.at(0)).value();
      c.lead.attempts = static_cast<uint32_t>(std::stoul(w.at(1)));
    } else if (key == "now") {
      c.now = at(value);
    } else if (key == "outcome") {
      if (w.at(0) == "disposition") c.outcome.disposition = w.at(1);
      else if (auto o = parse_network_outcome(w.at(0))) c.outcome.network = o;
      else throw bad("unknown outcome");
    } else if (key == "callback") {
      c.callback_local = w.at(0);
      if (w.size() == 3 && w[1] == "agent") c.outcome.callback_agent = static_cast<uint32_t>(std::stoul(w[2]));
    } else if (key == "callback_agent") {
      c.outcome.callback_agent = static_cast<uint32_t>(std::stoul(w.at(0)));
    } else if (key == "history") {
      for (const auto& s : w) c.history.push_back(at(s));
    } else if (key == "registries") {
      if (value == "missing") c.registries_missing = true;
      else if (value == "member") c.registry_member = true;
      else throw bad("expected missing or member");
    } else if (key == "internal_dnc") {
      if (value != "yes") throw bad("expected yes");
      c.internal_dnc = true;
    } else if (key == "last_abandoned") {
      c.last_abandoned = at(value);
    } else if (key == "expect") {
      for (const auto& kv : w) {
        auto eq = kv.find('=');
        if (eq == std::string::npos) throw bad("expected k=v");
        c.expect[kv.substr(0, eq)] = kv.substr(eq + 1);
      }
    } else if (key == "expect_error") {
      c.expect_error = value;
    } else {
      throw bad("unknown key");
    }
  }
  return cases;
}

std::string fmt(const std::optional<Instant>& t) { return t ? format_iso8601(*t) : "none"; }

TEST(Lifecycle, Cases) {
  auto cases = load_cases();
  ASSERT_GE(cases.size(), 20u);
  const auto& eng = engine();
  for (const Case& c : cases) {
    SCOPED_TRACE("lifecycle.cases:" + std::to_string(c.line) + " " + c.name);
    auto policy = build_policy(c.preset, c.codes, c.retries, c.max_attempts);
    ASSERT_TRUE(policy.ok()) << policy.error().message;

    compliance::CallIntent intent;
    intent.number.e164 = 15555550100;
    intent.number.valid = true;
    intent.number.country = compliance::country_code(c.country);
    intent.number.region = compliance::region_code(c.region);
    intent.number.type = phone::NumberType::kFixedLine;
    intent.number.zones.try_push_back(eng.zone_id(c.zone).value());
    intent.campaign.countries.try_push_back(intent.number.country);
    intent.campaign.hours = c.hours;
    uint64_t needed = eng.registries_needed(intent.campaign, intent.number.country);
    for (size_t r = 0; r < compliance::kMaxRegistries; ++r)
      if (!c.registries_missing && (needed & (uint64_t{1} << r))) {
        intent.registries[r].present = true;
        intent.registries[r].as_of = std::chrono::floor<std::chrono::days>(c.now);
        intent.registries[r].member = c.registry_member;
      }
    intent.internal_dnc = c.internal_dnc;
    for (Instant h : c.history) intent.history.attempt_times.try_push_back(h);
    intent.history.last_abandoned_at = c.last_abandoned;
    DecideAt decide = [&](Instant t) {
      compliance::CallIntent i = intent;
      i.at = t;
      return eng.decide(i);
    };

    AttemptOutcome outcome = c.outcome;
    if (!c.callback_local.empty()) {
      auto cb = callback_instant(c.callback_local, c.zone);
      ASSERT_TRUE(cb.ok()) << cb.error().message;
      outcome.callback_at = *cb;
    }
    auto step = next_step(*policy, c.lead, outcome, c.now, decide);
    if (!c.expect_error.empty()) {
      ASSERT_FALSE(step.ok()) << "expected an error";
      EXPECT_NE(step.error().message.find(c.expect_error), std::string::npos) << step.error().message;
      continue;
    }
    ASSERT_TRUE(step.ok()) << step.error().message;
    ASSERT_FALSE(c.expect.empty()) << "a case needs expect: or expect_error:";
    for (const auto& [k, v] : c.expect) {
      if (k == "state") EXPECT_EQ(to_string(step->state), v);
      else if (k == "next") EXPECT_EQ(fmt(step->next_call_at), v);
      else if (k == "dnc") EXPECT_EQ(step->add_to_internal_dnc ? "yes" : "no", v);
      else if (k == "agent") EXPECT_EQ(std::to_string(step->callback_agent), v);
      else if (k == "blocked") {
        std::string got;
        for (const auto& r : step->blocked)
          got += (got.empty() ? "" : ",") + std::string(compliance::to_string(r.code));
        EXPECT_EQ(got, v);
      } else
        ADD_FAILURE() << "unknown expectation " << k;
    }
  }
}

TEST(Lifecycle, PresetsCarryTheRequiredKinds) {
  for (auto p : {DispositionPreset::kSales, DispositionPreset::kSurvey, DispositionPreset::kCharity,
                 DispositionPreset::kAppointment}) {
    SCOPED_TRACE(std::string(to_string(p)));
    auto ds = preset_dispositions(p);
    auto count = [&](DispositionFlag f) {
      return std::count_if(ds.begin(), ds.end(), [&](const Disposition& d) { return d.has(f); });
    };
    EXPECT_GE(count(DispositionFlag::kSuccess), 1);
    EXPECT_GE(count(DispositionFlag::kCallback), 1);
    EXPECT_GE(count(DispositionFlag::kDoNotCall), 1);
    EXPECT_GE(count(DispositionFlag::kBadNumber), 1);
    for (const auto& d : ds) EXPECT_TRUE(d.has(DispositionFlag::kHumanAnswered)) << d.code;
    EXPECT_EQ(parse_disposition_preset(to_string(p)), p);
  }
  EXPECT_EQ(default_preset(compliance::Purpose::kSurvey), DispositionPreset::kSurvey);
  EXPECT_EQ(default_preset(compliance::Purpose::kCharity), DispositionPreset::kCharity);
  EXPECT_EQ(default_preset(compliance::Purpose::kSales), DispositionPreset::kSales);
}

TEST(Lifecycle, NamesRoundTrip) {
  for (int i = 0; i < 8; ++i) {
    auto s = static_cast<LeadState>(i);
    EXPECT_EQ(parse_lead_state(to_string(s)), s);
  }
  for (int i = 0; i < 6; ++i) {
    auto o = static_cast<NetworkOutcome>(i);
    EXPECT_EQ(parse_network_outcome(to_string(o)), o);
  }
  EXPECT_FALSE(parse_lead_state("won "));
  EXPECT_EQ(parse_delay("1h30m"), std::chrono::seconds(5400));
  EXPECT_EQ(format_delay(std::chrono::seconds(93784)), "1d2h3m4s");
  EXPECT_FALSE(parse_delay("10"));
  EXPECT_FALSE(parse_delay("m"));
  EXPECT_FALSE(parse_delay("5w"));
}

TEST(Lifecycle, BuildPolicyRejectsUnknownRetryKeys) {
  auto p = build_policy(DispositionPreset::kSales, {}, {{"voicemail", std::chrono::hours(1), 3}});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("retry.voicemail"), std::string::npos);
  auto ok = build_policy(DispositionPreset::kSales, {{"voicemail", 1}}, {{"voicemail", std::chrono::hours(1), 3}});
  EXPECT_TRUE(ok.ok());
}

TEST(Lifecycle, CallbackInstantConvertsLocalTime) {
  EXPECT_EQ(fmt(*callback_instant("2026-07-01T14:30", "America/New_York")), "2026-07-01T18:30:00Z");
  EXPECT_EQ(fmt(*callback_instant("2026-01-15T14:30", "America/New_York")), "2026-01-15T19:30:00Z");
  EXPECT_EQ(fmt(*callback_instant("2026-07-01T09:00", "Europe/London")), "2026-07-01T08:00:00Z");
  // Spring-forward gap (02:30 does not exist on 2026-03-08 in New York): after the gap.
  EXPECT_EQ(fmt(*callback_instant("2026-03-08T02:30", "America/New_York")), "2026-03-08T07:30:00Z");
  // Fall-back overlap: the earlier instant.
  EXPECT_EQ(fmt(*callback_instant("2026-11-01T01:30", "America/New_York")), "2026-11-01T05:30:00Z");
  EXPECT_FALSE(callback_instant("2026-07-01T14:30Z", "America/New_York").ok());
  EXPECT_FALSE(callback_instant("2026-07-01T14:30-04:00", "America/New_York").ok());
  EXPECT_FALSE(callback_instant("2026-07-01T14:30", "Mars/Olympus").ok());
}

}  // namespace
}  // namespace telemark::campaign
