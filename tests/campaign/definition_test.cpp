// Campaign definitions with the life-cycle sections: [dispositions],
// [retry] and list parse, round-trip through to_toml, fail with the file,
// line and key; definitions without them keep the defaults.
#include <gtest/gtest.h>

#include "base/paths.h"
#include "campaign/definition.h"

namespace telemark::campaign {
namespace {

constexpr const char* kHeader = "name = \"c1\"\npurpose = \"sales\"\ncountries = [\"US\"]\n";

Result<CampaignDefinition> parse(const std::string& extra) {
  return parse_campaign_definition(std::string(kHeader) + extra, "c1.toml");
}

TEST(DefinitionLifecycle, ExistingExamplesKeepDefaults) {
  for (const char* f : {"us-sales.toml", "charity-telemarketer.toml", "it-uk-survey.toml"}) {
    auto d = load_campaign_definition(home_path(std::string("rules/examples/") + f));
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_FALSE(d->disposition_preset);
    EXPECT_TRUE(d->dispositions.empty());
    auto p = lifecycle_policy(*d);
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p->dispositions, preset_dispositions(default_preset(d->purpose)));
  }
}

TEST(DefinitionLifecycle, ParsesSectionsAndRoundTrips) {
  auto d = parse(
      "list = \"spring\"\n"
      "where = \"score >= 0.3 and \\\"Zip Code\\\" in ('10001', '10002')\"\n"
      "[dispositions]\npreset = \"appointment\"\n"
      "[dispositions.codes]\nhot_lead = [\"contact\", \"callback\"]\nnot_available = [\"human_answered\"]\n"
      "[retry]\nmax_attempts = 7\nbusy = { delay = \"10m\", max_attempts = 4 }\n"
      "hot_lead = { delay = \"1h30m\", max_attempts = 2 }\n");
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->list, "spring");
  EXPECT_EQ(d->where, "score >= 0.3 and \"Zip Code\" in ('10001', '10002')");
  EXPECT_EQ(d->disposition_preset, DispositionPreset::kAppointment);
  ASSERT_EQ(d->dispositions.size(), 2u);
  EXPECT_TRUE(d->dispositions[0].has(DispositionFlag::kHumanAnswered));  // implied
  EXPECT_TRUE(d->dispositions[0].has(DispositionFlag::kCallback));
  EXPECT_EQ(d->max_attempts, 7u);
  ASSERT_EQ(d->retries.size(), 2u);
  EXPECT_EQ(d->retries[1].delay, std::chrono::minutes(90));

  auto p = lifecycle_policy(*d);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->max_attempts, 7u);
  ASSERT_TRUE(p->disposition("appointment_set"));
  ASSERT_TRUE(p->disposition("hot_lead"));
  EXPECT_EQ(p->retry("busy")->max_attempts, 4u);
  EXPECT_EQ(p->retry("busy")->delay, std::chrono::minutes(10));

  auto again = parse_campaign_definition(to_toml(*d), "again.toml");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << to_toml(*d);
  again->source_name = d->source_name;
  again->countries_line = d->countries_line;
  again->extra_registries_line = d->extra_registries_line;
  EXPECT_EQ(*again, *d);
}

TEST(DefinitionLifecycle, ErrorsNameFileLineAndKey) {
  struct Bad {
    std::string text;
    std::string message;
  };
  std::vector<Bad> bad = {
      {"[dispositions]\npreset = \"b2b\"\n", "c1.toml:5: dispositions.preset: unknown preset \"b2b\""},
      {"[dispositions.codes]\nHot = [\"contact\"]\n", "c1.toml:5: dispositions.codes.Hot: a code uses"},
      {"[dispositions.codes]\nhot = [\"warm\"]\n", "dispositions.codes.hot: unknown flag \"warm\""},
      {"[dispositions]\ncolour = 1\n", "dispositions.colour: unknown key"},
      {"[retry]\nbusy = { delay = \"10\", max_attempts = 3 }\n", "c1.toml:5: retry.busy.delay: expected a delay"},
      {"[retry]\nbusy = { delay = \"10m\" }\n", "retry.busy.max_attempts: missing required key"},
      {"[retry]\nbusy = { delay = \"10m\", max_attempts = -1 }\n", "retry.busy.max_attempts: expected 0 to 1000"},
      {"[retry]\nmax_attempts = 0\n", "retry.max_attempts: must be at least 1"},
      {"[retry]\nvoicemail = { delay = \"1h\", max_attempts = 3 }\n", "retry.voicemail: neither a network outcome"},
      {"list = \"a b\"\n", "c1.toml:4: list: use 1-100 letters"},
      {"list = \"a\"\nwhere = \"score >= and age < 3\"\n",
       "c1.toml:5: where: expected a value after '>=', found 'and' at column 10\n"
       "  score >= and age < 3\n"
       "           ^^^"},
      {"where = \"consent_at > 5\"\n", "c1.toml:4: where: consent_at is a date"},
      {"where = 5\n", "c1.toml:4: where: expected a string"},
  };
  for (const auto& b : bad) {
    auto d = parse(b.text);
    ASSERT_FALSE(d.ok()) << b.text;
    EXPECT_NE(d.error().message.find(b.message), std::string::npos) << d.error().message;
  }
}

}  // namespace
}  // namespace telemark::campaign
