// Campaign definition files: the examples parse and compile against the
// shipped rule packs; broken files fail with file, line and key; to_toml
// round-trips.
#include <gtest/gtest.h>

#include "base/paths.h"
#include "campaign/definition.h"
#include "compliance/rules.h"

namespace telemark::campaign {
namespace {

using compliance::country_code;

std::shared_ptr<const compliance::RuleSet> rules() {
  static auto r = compliance::RuleSet::load_directory(home_path("rules"));
  EXPECT_TRUE(r.ok());
  return *r;
}

TEST(CampaignDefinition, ExamplesParseAndCompile) {
  auto d = load_campaign_definition(home_path("rules/examples/us-sales.toml"));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->name, "spring-windows-offer");
  EXPECT_EQ(d->tenant, "acme");
  EXPECT_EQ(d->purpose, compliance::Purpose::kSales);
  EXPECT_EQ(d->caller, compliance::Caller::kSelf);
  EXPECT_EQ(d->call_type, compliance::CallType::kLive);
  EXPECT_EQ(d->countries, (std::vector<std::string>{"US", "CA"}));
  EXPECT_EQ(d->extra_registries, (std::vector<std::string>{"us-fl-dnc", "us-tx-dnc"}));
  ASSERT_TRUE(d->hours);
  EXPECT_EQ(d->hours->start_minute, 9 * 60);
  EXPECT_EQ(d->hours->end_minute, 19 * 60 + 30);
  EXPECT_EQ(d->hours->days, 0x7E);  // Monday..Saturday
  auto c = compile_campaign(*d, *rules());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->countries.size(), 2u);
  EXPECT_EQ(c->countries[0], country_code("US"));
  EXPECT_EQ(c->extra_registries, (uint64_t{1} << *rules()->registry_id("us-fl-dnc")) |
                                     (uint64_t{1} << *rules()->registry_id("us-tx-dnc")));

  auto charity = load_campaign_definition(home_path("rules/examples/charity-telemarketer.toml"));
  ASSERT_TRUE(charity.ok()) << charity.error().message;
  EXPECT_EQ(charity->caller, compliance::Caller::kTelemarketer);
  EXPECT_EQ(charity->client, "Food Bank of the Rockies");
  EXPECT_TRUE(compile_campaign(*charity, *rules()).ok());

  auto survey = load_campaign_definition(home_path("rules/examples/it-uk-survey.toml"));
  ASSERT_TRUE(survey.ok()) << survey.error().message;
  EXPECT_EQ(survey->countries, (std::vector<std::string>{"IT", "GB"}));
  EXPECT_EQ(survey->tenant, "insight");
  EXPECT_EQ(survey->caller, compliance::Caller::kSelf);
  EXPECT_TRUE(compile_campaign(*survey, *rules()).ok());
}

TEST(CampaignDefinition, RoundTripsThroughToml) {
  for (const char* f : {"us-sales.toml", "charity-telemarketer.toml", "it-uk-survey.toml"}) {
    auto d = load_campaign_definition(home_path(std::string("rules/examples/") + f));
    ASSERT_TRUE(d.ok());
    auto again = parse_campaign_definition(to_toml(*d), "again.toml");
    ASSERT_TRUE(again.ok()) << again.error().message << "\n" << to_toml(*d);
    again->source_name = d->source_name;
    again->countries_line = d->countries_line;
    again->extra_registries_line = d->extra_registries_line;
    EXPECT_EQ(*again, *d) << to_toml(*d);
  }
  CampaignDefinition odd;
  odd.name = "x";
  odd.description = "quote \" backslash \\ tab \t";
  odd.countries = {"US"};
  auto again = parse_campaign_definition(to_toml(odd), "odd.toml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->description, odd.description);
}

struct Bad {
  const char* text;
  const char* expected;
};
class BadCampaigns : public ::testing::TestWithParam<Bad> {};

TEST_P(BadCampaigns, NameFileLineAndKey) {
  auto d = parse_campaign_definition(GetParam().text, "c.toml");
  ASSERT_FALSE(d.ok()) << GetParam().text;
  EXPECT_NE(d.error().message.find(GetParam().expected), std::string::npos)
      << "message: " << d.error().message << "\nexpected: " << GetParam().expected;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadCampaigns,
    ::testing::Values(
        Bad{"purpose = \"sales\"\ncountries = [\"US\"]\n", "c.toml:1: name: missing required key"},
        Bad{"name = \"a\"\ncountries = [\"US\"]\n", "c.toml:1: purpose: missing required key"},
        Bad{"name = \"a\"\npurpose = \"sales\"\n", "c.toml:1: countries: missing required key"},
        Bad{"name = \"a b\"\npurpose = \"sales\"\ncountries = [\"US\"]\n", "c.toml:1: name: use 1-100 letters"},
        Bad{"name = \"a\"\npurpose = \"spam\"\ncountries = [\"US\"]\n", "c.toml:2: purpose: unknown purpose \"spam\""},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncaller = \"robot\"\ncountries = [\"US\"]\n", "c.toml:3: caller: unknown caller"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncall_type = \"robo\"\ncountries = [\"US\"]\n", "c.toml:3: call_type: unknown call type"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = \"US\"\n", "c.toml:3: countries: expected an array"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"USA\"]\n", "c.toml:3: countries: \"USA\" is not an ISO"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\", \"us\"]\n", "c.toml:3: countries: country US is listed twice"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = []\n", "c.toml:3: countries: enable at least one"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [1]\n", "c.toml:3: countries[0]: expected a string"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncaller = \"telemarketer\"\ncountries = [\"US\"]\n", "c.toml:1: client: required when caller"},
        Bad{"name = \"a\"\npurpose = \"sales\"\nclient = \"X\"\ncountries = [\"US\"]\n", "c.toml:3: client: only a telemarketer"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\nbudget = 3\n", "c.toml:4: budget: unknown key"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\n[hours]\nstart = \"9\"\nend = \"18:00\"\n", "c.toml:5: hours.start: expected a time"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\n[hours]\nstart = \"19:00\"\nend = \"18:00\"\n", "hours.end: must be after hours.start"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\n[hours]\nend = \"18:00\"\n", "c.toml:4: hours.start: missing required key"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\n[hours]\nstart = \"09:00\"\nend = \"18:00\"\ndays = \"weekdays\"\n", "c.toml:7: hours.days: expected days"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\n[hours]\nstart = \"09:00\"\nend = \"18:00\"\nlunch = 1\n", "c.toml:7: hours.lunch: unknown key"},
        Bad{"name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\nextra_registries = [\"x\", \"x\"]\n", "c.toml:4: extra_registries: registry x is listed twice"},
        Bad{"name = \"a\"\n\npurpose = = \"sales\"\n", "c.toml:3:"},
        Bad{"\xff\xfe\x00garbage", "c.toml:1:"}));

TEST(CampaignDefinition, CompileChecksAgainstTheRulePacks) {
  auto d = parse_campaign_definition("name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\", \"FR\"]\n", "c.toml");
  ASSERT_TRUE(d.ok());
  auto c = compile_campaign(*d, *rules());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("c.toml:3: countries: no rule pack covers country FR"), std::string::npos)
      << c.error().message;

  d = parse_campaign_definition(
      "name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\nextra_registries = [\"us-zz-dnc\"]\n", "c.toml");
  ASSERT_TRUE(d.ok());
  c = compile_campaign(*d, *rules());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("c.toml:4: extra_registries: no rule uses registry \"us-zz-dnc\""),
            std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("us-fl-dnc"), std::string::npos) << "should list the optional registries";

  d = parse_campaign_definition(
      "name = \"a\"\npurpose = \"sales\"\ncountries = [\"US\"]\nextra_registries = [\"us-dnc\"]\n", "c.toml");
  ASSERT_TRUE(d.ok());
  c = compile_campaign(*d, *rules());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("\"us-dnc\" is always consulted"), std::string::npos) << c.error().message;
}

}  // namespace
}  // namespace telemark::campaign
