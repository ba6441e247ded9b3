// Runs every case of tests/compliance/*.cases through Engine::decide and
// checks the verdict, the reasons, next_allowed_at, local times and packs.
// Beyond what a case states, every not_now decision is checked for
// consistency: the call is callable at next_allowed_at, not one microsecond
// before, and at no 15-minute step between the call and then.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/paths.h"
#include "base/time.h"
#include "case_file.h"
#include "compliance/engine.h"
#include "compliance/resolve.h"
#include "phone/phone.h"
#include "phone/regions.h"

namespace telemark::compliance::testing {
namespace {

struct Env {
  std::shared_ptr<const RuleSet> rules;
  std::unique_ptr<Engine> engine;
  std::shared_ptr<const phone::TimeZoneTable> zones;
  std::shared_ptr<const phone::NanpRegions> nanp;
  std::unique_ptr<phone::PhoneNormalizer> normalizer;
  PhoneResolver resolver;
  std::string error;
};

Env& env() {
  static Env* e = [] {
    auto* env = new Env;
    auto rules = RuleSet::load_directory(home_path("rules"));
    if (!rules.ok()) {
      env->error = rules.error().message;
      return env;
    }
    env->rules = *rules;
    env->engine = std::make_unique<Engine>(env->rules);
    auto zones = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    auto nanp = phone::NanpRegions::load(home_path("data/nanp-area-code-regions.tsv"));
    if (zones.ok() && nanp.ok()) {
      env->zones = *zones;
      env->nanp = *nanp;
      env->normalizer = std::make_unique<phone::PhoneNormalizer>();
      env->resolver = [env](const std::string& number) -> Result<NumberFacts> {
        auto out = env->normalizer->normalize(number, "");
        if (!out.ok) return NumberResolver::invalid();
        return resolve_number(out.phone, *env->engine, *env->zones, *env->nanp);
      };
    }
    return env;
  }();
  return *e;
}

std::vector<CaseSpec> all_cases() {
  std::vector<CaseSpec> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(home_path("tests/compliance")))
    if (e.path().extension() == ".cases") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    auto cases = parse_case_file(ss.str(), f.filename().string());
    if (!cases.ok()) {
      CaseSpec bad;
      bad.file = f.filename().string();
      bad.name = "unreadable case file";
      bad.keys["__error"] = cases.error().message;
      out.push_back(bad);
      continue;
    }
    for (auto& c : *cases) out.push_back(std::move(c));
  }
  return out;
}

const std::vector<CaseSpec>& cases() {
  static const std::vector<CaseSpec> c = all_cases();
  return c;
}

std::vector<std::string> reason_strings(const Engine& engine, const Decision& d) {
  std::vector<std::string> out;
  for (const Reason& r : d.reasons) out.push_back(engine.reason_string(r));
  std::sort(out.begin(), out.end());
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "none" : s;
}

void check_case(const CaseSpec& spec) {
  ASSERT_FALSE(spec.keys.count("__error")) << spec.keys.at("__error");
  Env& e = env();
  ASSERT_TRUE(e.error.empty()) << e.error;
  auto built = build_case(spec, *e.engine, e.resolver);
  ASSERT_TRUE(built.ok()) << built.error().message;
  const CallIntent& in = built->intent;
  const Expectation& want = built->expect;
  std::string where = spec.file + ":" + std::to_string(spec.line) + " (" + spec.name + ")";

  Decision d = e.engine->decide(in);
  auto ex = e.engine->explain(d);
  EXPECT_EQ(to_string(d.verdict), to_string(want.verdict)) << where << "\n reasons: " << join(ex.reasons);
  EXPECT_EQ(join(reason_strings(*e.engine, d)), join(want.reasons)) << where;
  if (want.check_next) {
    EXPECT_EQ(ex.next_allowed_at.value_or("none"), want.next_allowed_at.value_or("none")) << where;
  }
  EXPECT_EQ(d.next_allowed_at.has_value(), d.verdict == Verdict::kNotNow) << where;
  if (want.local_times) {
    EXPECT_EQ(join(ex.local_times), join(*want.local_times)) << where;
  }
  if (want.packs) {
    EXPECT_EQ(join(ex.packs), join(*want.packs)) << where;
  }

  // Deterministic.
  Decision again = e.engine->decide(in);
  EXPECT_EQ(again.verdict, d.verdict) << where;
  EXPECT_TRUE(again.reasons == d.reasons) << where;
  EXPECT_EQ(again.next_allowed_at, d.next_allowed_at) << where;

  // next_allowed_at is lawful, and the earliest such instant.
  if (d.verdict == Verdict::kNotNow && d.next_allowed_at) {
    const CallIntent timed = with_timed_attempts(in);
    CallIntent later = timed;
    later.at = *d.next_allowed_at;
    Decision at_next = e.engine->decide(later);
    EXPECT_EQ(to_string(at_next.verdict), "callable")
        << where << ": not callable at its own next_allowed_at " << format_iso8601(later.at) << ": "
        << join(reason_strings(*e.engine, at_next));
    CallIntent before = timed;
    before.at = *d.next_allowed_at - Duration(1);
    if (before.at >= in.at) {
      EXPECT_NE(e.engine->decide(before).verdict, Verdict::kCallable)
          << where << ": already callable just before next_allowed_at";
    }
    CallIntent step = timed;
    for (int i = 1; i < 14 * 96; ++i) {
      step.at = in.at + std::chrono::minutes(15 * i);
      if (step.at >= *d.next_allowed_at) break;
      ASSERT_NE(e.engine->decide(step).verdict, Verdict::kCallable)
          << where << ": callable at " << format_iso8601(step.at) << ", before next_allowed_at";
    }
  }
}

// One test per case file (ctest starts a process per test; a process per
// case would cost more than the cases). Failures name file:line and case.
class CaseFile : public ::testing::TestWithParam<std::string> {};

TEST_P(CaseFile, EveryCaseDecidesAsExpected) {
  int n = 0;
  for (const CaseSpec& spec : cases()) {
    if (spec.file != GetParam()) continue;
    ++n;
    SCOPED_TRACE(spec.file + ":" + std::to_string(spec.line) + " (" + spec.name + ")");
    check_case(spec);
  }
  EXPECT_GT(n, 0);
}

std::vector<std::string> case_files() {
  std::vector<std::string> files;
  for (const CaseSpec& c : cases())
    if (files.empty() || files.back() != c.file) files.push_back(c.file);
  return files;
}

std::string file_test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.find('.'));
  for (char& c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, CaseFile, ::testing::ValuesIn(case_files()), file_test_name);

// The suite must stay broad: at least 200 cases, and every reason code
// expected by at least one case.
TEST(CaseCoverage, EveryReasonCodeIsExercised) {
  EXPECT_GE(cases().size(), 200u);
  std::set<std::string> seen;
  for (const CaseSpec& c : cases()) {
    auto it = c.keys.find("reasons");
    if (it == c.keys.end()) continue;
    std::string cur;
    for (char ch : it->second + ",") {
      if (ch == ',' || ch == ' ') {
        if (!cur.empty()) seen.insert(cur.substr(0, cur.find(':')));
        cur.clear();
      } else {
        cur.push_back(ch);
      }
    }
  }
  for (int i = 0; i < kReasonCodeCount; ++i) {
    std::string code(to_string(static_cast<ReasonCode>(i)));
    EXPECT_TRUE(seen.count(code)) << "no case expects reason " << code;
  }
}

}  // namespace
}  // namespace telemark::compliance::testing
