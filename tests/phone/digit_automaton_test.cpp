#include "phone/digit_automaton.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonemetadata.pb.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <memory>
#include <string>
#include <vector>

#include "phone/numbering_plans.h"

namespace i18n::phonenumbers {
int metadata_size();
const void* metadata_get();
}  // namespace i18n::phonenumbers

using telemark::phone::detail::CompiledRegion;
using telemark::phone::detail::DigitAutomaton;
using telemark::phone::detail::NumberingPlans;

namespace {

DigitAutomaton compile_one(const char* regex) {
  DigitAutomaton::Pattern p{regex, 1};
  auto a = DigitAutomaton::compile({&p, 1});
  EXPECT_TRUE(a.ok()) << regex << ": " << (a.ok() ? "" : a.error().message);
  return a.ok() ? std::move(a).value() : DigitAutomaton();
}

bool full(const DigitAutomaton& a, std::string_view s) { return a.walk(s).full & 1; }

TEST(DigitAutomaton, FullMatchOfTheMetadataSubset) {
  auto us = compile_one("[2-9]\\d{9}|3\\d{6}");
  EXPECT_TRUE(full(us, "2125550123"));
  EXPECT_TRUE(full(us, "3123456"));
  EXPECT_FALSE(full(us, "1125550123"));
  EXPECT_FALSE(full(us, "212555012"));
  EXPECT_FALSE(full(us, "21255501234"));
  EXPECT_FALSE(full(us, ""));

  auto groups = compile_one("0(?:1(?:[0159]\\d|[27][1-5])|2\\d\\d)\\d{2,7}");
  EXPECT_TRUE(full(groups, "0212345678"));
  EXPECT_TRUE(full(groups, "0121123"));
  EXPECT_FALSE(full(groups, "0126123"));
  EXPECT_FALSE(full(groups, "02123"));

  auto quantifiers = compile_one("1?2*3+4{2,}5{0,1}6{3}");
  EXPECT_TRUE(full(quantifiers, "344666"));
  EXPECT_TRUE(full(quantifiers, "1222333444445666"));
  EXPECT_FALSE(full(quantifiers, "34666"));
  EXPECT_FALSE(full(quantifiers, "3446666"));

  auto negated = compile_one("[^0-7]\\d|(5)");
  EXPECT_TRUE(full(negated, "81"));
  EXPECT_TRUE(full(negated, "5"));
  EXPECT_FALSE(full(negated, "71"));

  auto empty = compile_one("");
  EXPECT_TRUE(full(empty, ""));
  EXPECT_FALSE(full(empty, "1"));
}

TEST(DigitAutomaton, PrefixEndsListEveryCandidate) {
  auto a = compile_one("0|80?");
  EXPECT_EQ(a.prefix_ends("801", 1), (1u << 1) | (1u << 2));
  EXPECT_EQ(a.prefix_ends("0123", 1), 1u << 1);
  EXPECT_EQ(a.prefix_ends("123", 1), 0u);
  auto idd = compile_one("00|1(?:[12]\\d|79)\\d\\d00");
  EXPECT_EQ(idd.prefix_ends("0044", 1), 1u << 2);
  EXPECT_EQ(idd.prefix_ends("1791200447", 1), 1u << 7);
  auto empty = compile_one("");
  EXPECT_EQ(empty.prefix_ends("123", 1), 1u);  // matches the empty prefix
}

TEST(DigitAutomaton, DollarOnlyMatchesAtTheEnd) {
  auto a = compile_one("1|([457]\\d{6})$");
  EXPECT_TRUE(full(a, "4123456"));
  EXPECT_EQ(a.prefix_ends("4123456", 1), 1u << 7);
  EXPECT_EQ(a.prefix_ends("41234567", 1), 0u);
  EXPECT_EQ(a.prefix_ends("14123456", 1), 1u << 1);
}

TEST(DigitAutomaton, TagsKeepPatternsApart) {
  std::vector<DigitAutomaton::Pattern> ps = {{"\\d{4}", 1}, {"12\\d\\d", 2}, {"1", 4}};
  auto a = DigitAutomaton::compile(ps);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->walk("1234").full, 3u);
  EXPECT_EQ(a->walk("1234").prefix, 7u);
  EXPECT_EQ(a->walk("9234").full, 1u);
  EXPECT_EQ(a->walk("9234").prefix, 1u);
}

TEST(DigitAutomaton, RefusesWhatItCannotRepresent) {
  for (const char* bad : {"a", "\\w", "(?=1)", "[a-z]", "1{3", "(1", "1)", "1{3,2}", "[3-1]", "1?+", "^1",
                          "[1", "\\", "1{99999}"}) {
    DigitAutomaton::Pattern p{bad, 1};
    auto a = DigitAutomaton::compile({&p, 1});
    EXPECT_FALSE(a.ok()) << bad;
  }
  DigitAutomaton::Pattern big{"\\d{1,200}\\d{1,200}", 1};
  EXPECT_FALSE(DigitAutomaton::compile({&big, 1}, 100).ok());
}

// The automata must agree with ICU, the engine libphonenumber runs, on every
// pattern of the metadata: full matches for number descriptions, prefix
// matches for leading digits, and the match end ICU's lookingAt picks for
// international and national prefixes whenever the automaton sees a single
// candidate (with several, the fast path defers to libphonenumber).
class IcuPattern {
 public:
  explicit IcuPattern(const std::string& regex) {
    UErrorCode status = U_ZERO_ERROR;
    pattern_.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(regex), 0, status));
    EXPECT_TRUE(U_SUCCESS(status)) << regex;
    matcher_.reset(pattern_->matcher(status));
  }
  bool matches(const std::string& s) {
    UErrorCode status = U_ZERO_ERROR;
    input_ = icu::UnicodeString::fromUTF8(s);
    matcher_->reset(input_);
    return matcher_->matches(status);
  }
  int looking_at(const std::string& s) {  // match end, or -1
    UErrorCode status = U_ZERO_ERROR;
    input_ = icu::UnicodeString::fromUTF8(s);
    matcher_->reset(input_);
    if (!matcher_->lookingAt(status)) return -1;
    return matcher_->end(status);
  }

 private:
  std::unique_ptr<icu::RegexPattern> pattern_;
  std::unique_ptr<icu::RegexMatcher> matcher_;
  icu::UnicodeString input_;
};

TEST(DigitAutomaton, AgreesWithIcuOnAllMetadataPatterns) {
  i18n::phonenumbers::PhoneMetadataCollection coll;
  ASSERT_TRUE(coll.ParseFromArray(i18n::phonenumbers::metadata_get(), i18n::phonenumbers::metadata_size()));
  auto plans = NumberingPlans::load();
  ASSERT_TRUE(plans.ok()) << plans.error().message;
  ASSERT_EQ((*plans)->region_count(), static_cast<size_t>(coll.metadata_size()));
  uint64_t state = 12345;
  auto rnd = [&] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state >> 33;
  };
  size_t checked = 0;
  for (int i = 0; i < coll.metadata_size(); ++i) {
    const auto& m = coll.metadata(i);
    const CompiledRegion& r = (*plans)->compiled(i);
    ASSERT_TRUE(r.usable) << m.id();
    const i18n::phonenumbers::PhoneNumberDesc* descs[] = {
        &m.general_desc(), &m.premium_rate(), &m.toll_free(), &m.shared_cost(), &m.voip(),
        &m.personal_number(), &m.pager(), &m.uan(), &m.voicemail(), &m.fixed_line(), &m.mobile()};
    // Inputs: example numbers, their prefixes and extensions, random digits.
    std::vector<std::string> inputs = {""};
    for (const auto* d : descs) {
      const std::string& ex = d->example_number();
      if (ex.empty()) continue;
      for (size_t cut = 0; cut <= ex.size(); ++cut) inputs.push_back(ex.substr(0, cut));
      for (int k = 0; k < 6; ++k) {
        std::string s = ex.substr(0, 1 + rnd() % ex.size());
        while (s.size() < ex.size() + rnd() % 3) s.push_back(static_cast<char>('0' + rnd() % 10));
        inputs.push_back(s);
      }
      inputs.push_back(m.national_prefix() + ex);
      inputs.push_back(m.international_prefix().empty() ? ex : "00" + ex);
    }
    for (int k = 0; k < 30; ++k) {
      std::string s;
      for (size_t n = rnd() % 18; n > 0; --n) s.push_back(static_cast<char>('0' + rnd() % 10));
      inputs.push_back(s);
    }
    for (int d = 0; d < telemark::phone::detail::kDescCount; ++d) {
      const std::string& pattern = descs[d]->national_number_pattern();
      if (pattern.empty()) continue;
      IcuPattern icu(pattern);
      for (const std::string& s : inputs) {
        bool dfa = (r.numbers.walk(s).full >> d) & 1u;
        ASSERT_EQ(dfa, icu.matches(s)) << m.id() << " desc " << d << " /" << pattern << "/ on \"" << s << "\"";
        ++checked;
      }
    }
    if (m.has_leading_digits()) {
      IcuPattern icu(m.leading_digits());
      for (const std::string& s : inputs) {
        bool dfa = (r.numbers.walk(s).prefix & telemark::phone::detail::kLeadingDigitsTag) != 0;
        ASSERT_EQ(dfa, icu.looking_at(s) >= 0) << m.id() << " leading digits on \"" << s << "\"";
      }
    }
    struct Prefix {
      const std::string* pattern;
      const DigitAutomaton* automaton;
    };
    for (Prefix p : {Prefix{&m.international_prefix(), &r.idd},
                     Prefix{&m.national_prefix_for_parsing(), &r.national_prefix}}) {
      if (p.automaton->empty()) continue;
      IcuPattern icu(*p.pattern);
      for (const std::string& s : inputs) {
        uint32_t ends = p.automaton->prefix_ends(s, 1);
        int end = icu.looking_at(s);
        if (ends == 0) {
          ASSERT_EQ(end, -1) << m.id() << " /" << *p.pattern << "/ on \"" << s << "\"";
        } else {
          ASSERT_GE(end, 0) << m.id() << " /" << *p.pattern << "/ on \"" << s << "\"";
          ASSERT_TRUE((ends >> end) & 1u) << m.id() << " /" << *p.pattern << "/ on \"" << s << "\"";
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 100000u);
}

}  // namespace
