// Segment expressions, data-driven: tests/leads/segment_cases.txt holds the
// leads, the expressions each must or must not match, and the expressions
// that must fail with a column and a message (format at the top of the
// file).
#include "leads/segment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/time.h"

namespace telemark::leads {
namespace {

// A lead from a JSON object: built-in field names, "phone" as "+digits",
// dates as ISO 8601, "score" a number, "attributes" an object.
store::Lead lead_from_json(const nlohmann::json& j) {
  store::Lead l;
  l.attributes_json = "{}";
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& k = it.key();
    const auto& v = it.value();
    auto time = [&](std::optional<Instant>& out) {
      auto t = parse_iso8601(v.get<std::string>());
      if (!t) throw std::runtime_error("bad date for " + k);
      out = *t;
    };
    if (k == "id") l.id = v.get<int64_t>();
    else if (k == "list_id") l.list_id = v.get<int64_t>();
    else if (k == "phone") l.phone = std::stoull(v.get<std::string>().substr(1));
    else if (k == "score") l.score = v.get<double>();
    else if (k == "attributes") l.attributes_json = v.is_string() ? v.get<std::string>() : v.dump();
    else if (k == "contract_active") l.facts.contract_active = v.get<bool>();
    else if (k == "consent_at") time(l.facts.consent_at);
    else if (k == "consent_revoked_at") time(l.facts.consent_revoked_at);
    else if (k == "last_purchase_at") time(l.facts.last_purchase_at);
    else if (k == "last_inquiry_at") time(l.facts.last_inquiry_at);
    else if (k == "contract_ended_at") time(l.facts.contract_ended_at);
    else {
      std::string* f = k == "number_type" ? &l.number_type
                       : k == "country"   ? &l.country
                       : k == "region"    ? &l.region
                       : k == "city"      ? &l.city
                       : k == "postal_code" ? &l.postal_code
                       : k == "first_name" ? &l.first_name
                       : k == "last_name" ? &l.last_name
                       : k == "email"     ? &l.email
                       : k == "address"   ? &l.address
                                          : nullptr;
      if (!f) throw std::runtime_error("unknown lead key " + k);
      *f = v.get<std::string>();
    }
  }
  return l;
}

struct Case {
  int line = 0;
  enum class Kind { kMatch, kNoMatch, kError } kind = Kind::kMatch;
  std::string expr;
  store::Lead lead;
  int column = 0;
  std::string message;
};

std::vector<Case> load_cases() {
  std::ifstream in(TELEMARK_SEGMENT_CASES);
  EXPECT_TRUE(in) << TELEMARK_SEGMENT_CASES;
  std::vector<Case> out;
  store::Lead lead;
  std::string line;
  int n = 0;
  auto rest = [](const std::string& s, size_t prefix) {
    std::string r = s.substr(prefix);
    size_t b = r.find_first_not_of(' ');
    return b == std::string::npos ? std::string() : r.substr(b);
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("lead:", 0) == 0) {
      lead = lead_from_json(nlohmann::json::parse(rest(line, 5)));
    } else if (line.rfind("match:", 0) == 0) {
      out.push_back({n, Case::Kind::kMatch, rest(line, 6), lead, 0, ""});
    } else if (line.rfind("no-match:", 0) == 0) {
      out.push_back({n, Case::Kind::kNoMatch, rest(line, 9), lead, 0, ""});
    } else if (line.rfind("error:", 0) == 0) {
      out.push_back({n, Case::Kind::kError, rest(line, 6), {}, 0, ""});
    } else if (line.rfind("column:", 0) == 0 && !out.empty()) {
      out.back().column = std::stoi(rest(line, 7));
    } else if (line.rfind("message:", 0) == 0 && !out.empty()) {
      out.back().message = rest(line, 8);
    } else {
      ADD_FAILURE() << "segment_cases.txt:" << n << ": cannot read: " << line;
    }
  }
  return out;
}

TEST(Segment, Cases) {
  auto cases = load_cases();
  ASSERT_GE(cases.size(), 60u);
  for (const auto& c : cases) {
    SCOPED_TRACE("segment_cases.txt:" + std::to_string(c.line) + ": " + c.expr);
    auto s = Segment::parse(c.expr);
    if (c.kind != Case::Kind::kError) {
      ASSERT_TRUE(s.ok()) << s.error().message;
      EXPECT_EQ(s->matches(c.lead), c.kind == Case::Kind::kMatch);
      continue;
    }
    ASSERT_FALSE(s.ok()) << "parsed, expected an error";
    EXPECT_EQ(s.error().code, "bad_segment");
    const std::string& m = s.error().message;
    EXPECT_NE(m.find(c.message), std::string::npos) << m;
    ASSERT_GT(c.column, 0) << "error case without column:";
    std::string col = std::to_string(c.column);
    EXPECT_NE(m.find("at column " + col + "\n"), std::string::npos) << m;
    // The expression on the second line, the caret under the column on the third.
    std::istringstream lines(m);
    std::string first, shown, caret;
    std::getline(lines, first);
    std::getline(lines, shown);
    std::getline(lines, caret);
    EXPECT_EQ(shown, "  " + c.expr);
    EXPECT_EQ(caret.find('^'), static_cast<size_t>(c.column + 1)) << m;
  }
}

TEST(Segment, AttributesAndPushDown) {
  auto s = Segment::parse("country = 'us' and region = 'CA' and age > 3 and attr.score >= 1 and \"zip code\" = '1'");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->attributes(), (std::vector<std::string>{"age", "score", "zip code"}));
  EXPECT_EQ(s->required_country(), "US");
  EXPECT_EQ(s->required_region(), "CA");
  auto either = Segment::parse("region = 'CA' or region = 'NY'");
  ASSERT_TRUE(either.ok());
  EXPECT_FALSE(either->required_region().has_value());
  EXPECT_FALSE(either->required_country().has_value());
}

TEST(Segment, CensusNamesUnknownAttributesWithASuggestion) {
  auto s = Segment::parse("agee < 65 and Plan = 'gold' and zzzzzz = 1 and scor > 0.1");
  ASSERT_TRUE(s.ok());
  AttributeCensus census(*s);
  store::Lead a, b;
  a.attributes_json = R"({"age":"40"})";
  b.attributes_json = R"({"plan":"gold","age":"50"})";
  census.add(a);
  census.add(b);
  auto unknown = census.unknown();
  ASSERT_EQ(unknown.size(), 3u);
  EXPECT_EQ(unknown[0], "no lead has an attribute 'agee'; did you mean 'age'?");
  EXPECT_EQ(unknown[1], "no lead has an attribute 'zzzzzz'");
  EXPECT_EQ(unknown[2], "no lead has an attribute 'scor'; did you mean 'score'?");
  // Every name seen: nothing to report.
  auto ok = Segment::parse("age < 65 and PLAN = 'gold'");
  ASSERT_TRUE(ok.ok());
  AttributeCensus all(*ok);
  all.add(b);
  EXPECT_TRUE(all.unknown().empty());
}

TEST(Segment, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  auto s = Segment::parse(deep + "score > 1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("nests too deeply"), std::string::npos);
  std::string long_chain = "score > 1";
  for (int i = 0; i < 5000; ++i) long_chain += " and score > 1";
  auto chain = Segment::parse(long_chain);
  ASSERT_TRUE(chain.ok());
  store::Lead l;
  l.score = 2;
  EXPECT_TRUE(chain->matches(l));
}

}  // namespace
}  // namespace telemark::leads
