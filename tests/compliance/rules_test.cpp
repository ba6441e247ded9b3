// Rule packs: the shipped packs load; broken packs fail with a message that
// names the file, the line and the key; holiday calendars and compiled time
// zones agree with independent computations.
#include <gtest/gtest.h>

#include <random>

#include <date/tz.h>

#include "base/paths.h"
#include "compliance/calendar.h"
#include "compliance/rules.h"
#include "compliance/rules_internal.h"
#include "compliance/zones.h"

namespace telemark::compliance {
namespace {

using namespace std::chrono;

sys_days ymd(int y, unsigned m, unsigned d) { return sys_days{year{y} / month{m} / day{d}}; }

TEST(RulePacks, ShippedPacksLoad) {
  auto rules = RuleSet::load_directory(home_path("rules"));
  ASSERT_TRUE(rules.ok()) << rules.error().message;
  std::vector<std::string> ids;
  for (const PackInfo& p : (*rules)->packs()) {
    ids.push_back(p.id);
    EXPECT_FALSE(p.version.empty());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"ca", "it", "uk", "us-federal", "us-states"}));
  for (const char* name : {"us-dnc", "ca-dncl", "it-rpo", "uk-tps", "uk-ctps"}) {
    auto id = (*rules)->registry_id(name);
    ASSERT_TRUE(id) << name;
    EXPECT_FALSE((*rules)->registry_is_optional(*id)) << name;
  }
  for (const char* st : {"co", "fl", "in", "la", "ma", "mo", "ok", "pa", "tn", "tx", "wy"}) {
    std::string name = std::string("us-") + st + "-dnc";
    auto id = (*rules)->registry_id(name);
    ASSERT_TRUE(id) << name;
    EXPECT_TRUE((*rules)->registry_is_optional(*id)) << name;
  }
  EXPECT_EQ((*rules)->registry_max_age_days(*(*rules)->registry_id("us-dnc")), 31);
  EXPECT_EQ((*rules)->registry_max_age_days(*(*rules)->registry_id("it-rpo")), 15);
  EXPECT_EQ((*rules)->registry_max_age_days(*(*rules)->registry_id("uk-tps")), 28);
  EXPECT_EQ((*rules)->registry_max_age_days(*(*rules)->registry_id("ca-dncl")), 31);
  EXPECT_TRUE((*rules)->covers_country(country_code("GB")));
  EXPECT_TRUE((*rules)->covers_country(country_code("UK")));
  EXPECT_FALSE((*rules)->covers_country(country_code("FR")));
}

TEST(RulePacks, EveryRuleHasSourceAndEffectiveDate) {
  auto rules = RuleSet::load_directory(home_path("rules"));
  ASSERT_TRUE(rules.ok());
  const auto& c = (*rules)->compiled();
  int n = 0;
  auto check = [&](const detail::RuleHeader& h) {
    ++n;
    EXPECT_FALSE(h.source.empty()) << h.id;
    EXPECT_GT(h.effective, ymd(1990, 1, 1)) << h.id;
  };
  for (const auto& cr : c.countries) {
    for (const auto& r : cr.hours) check(r.h);
    for (const auto& r : cr.registries) check(r.h);
    for (const auto& r : cr.caps) check(r.h);
    for (const auto& r : cr.lockouts) check(r.h);
    for (const auto& r : cr.consents) check(r.h);
  }
  EXPECT_GT(n, 40);
}

const char* kMinimalPack = R"([pack]
id = "p"
version = "1"
country = "US"
)";

struct BadPack {
  const char* text;      // appended to kMinimalPack unless it starts with '!'
  const char* expected;  // substring of the error message
};

class BadPacks : public ::testing::TestWithParam<BadPack> {};

TEST_P(BadPacks, NameFileLineAndKey) {
  std::string text = GetParam().text;
  if (!text.empty() && text[0] == '!') text = text.substr(1);
  else text = kMinimalPack + text;
  auto r = RuleSet::parse({RuleSource{"bad.toml", text}});
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_NE(r.error().message.find(GetParam().expected), std::string::npos)
      << "message: " << r.error().message << "\nexpected to contain: " << GetParam().expected;
}

INSTANTIATE_TEST_SUITE_P(
    Errors, BadPacks,
    ::testing::Values(
        BadPack{"!", "bad.toml:1: pack: missing [pack] table"},
        BadPack{"![pack]\nid = \"p\"\nversion = \"1\"\n", "bad.toml:1: pack.country: missing required key"},
        BadPack{"![pack]\nid = \"p\"\nversion = \"1\"\ncountry = \"USA\"\n", "bad.toml:4: pack.country: expected an ISO"},
        BadPack{"![pack]\nid = \"p\"\nversion = 1\ncountry = \"US\"\n", "bad.toml:3: pack.version: expected a string"},
        BadPack{"![pack]\nid = \"p\"\nversion = \"1\"\ncountry = \"US\"\ncolour = 1\n", "bad.toml:5: pack.colour: unknown key"},
        BadPack{"![pack\nid = 1\n", "bad.toml:1:"},
        BadPack{"x = \"unterminated\n", "bad.toml:5:"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = [{ days = \"mon-fri\", start = \"8am\", end = \"20:00\" }]\n",
                "bad.toml:9: hours[0].windows[0].start: expected a time"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = [{ days = \"mon-fry\", start = \"08:00\", end = \"20:00\" }]\n",
                "hours[0].windows[0].days: expected days"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = [{ days = \"mon\", start = \"20:00\", end = \"08:00\" }]\n",
                "hours[0].windows[0].end: end must be after start"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\nwindows = []\n", "bad.toml:5: hours[0].effective: missing required key"},
        BadPack{"[[hours]]\nid = \"h\"\neffective = 2020-01-01\nwindows = []\n", "bad.toml:5: hours[0].source: missing required key"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = \"2020-02-30\"\nwindows = []\n",
                "bad.toml:8: hours[0].effective: expected a date"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = []\ncalendar = \"nope\"\nholidays = \"closed\"\n",
                "bad.toml:5: hours.calendar: no calendar \"nope\""},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = []\nregions = [\"F L\"]\n",
                "bad.toml:10: hours[0].regions: bad region code"},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = []\npurposes = [\"spam\"]\n",
                "hours[0].purposes: unknown purpose \"spam\""},
        BadPack{"[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = []\n[[hours]]\nid = \"h\"\nsource = \"s\"\neffective = 2020-01-01\nwindows = []\n",
                "bad.toml:10: hours.id: \"h\" is already used at bad.toml:5"},
        BadPack{"[[registry]]\nid = \"r\"\nregistry = \"us-dnc\"\nsource = \"s\"\neffective = 2020-01-01\nexemptions = [\"ebr\"]\n",
                "bad.toml:5: registry[0].ebr: required when exemptions lists \"ebr\""},
        BadPack{"[[registry]]\nid = \"r\"\nregistry = \"us-dnc\"\nsource = \"s\"\neffective = 2020-01-01\nexemptions = [\"magic\"]\n",
                "registry[0].exemptions: unknown exemption \"magic\""},
        BadPack{"[[registry]]\nid = \"r\"\nregistry = \"US DNC\"\nsource = \"s\"\neffective = 2020-01-01\n",
                "bad.toml:7: registry[0].registry: registry names use"},
        BadPack{"[[registry]]\nid = \"r\"\nregistry = \"x\"\nsource = \"s\"\neffective = 2020-01-01\nmax_age_days = -3\n",
                "bad.toml:10: registry[0].max_age_days: value -3 out of range"},
        BadPack{"[[registry]]\nid = \"r\"\nregistry = \"x\"\nsource = \"s\"\neffective = 2020-01-01\nebr = { purchase_months = 18 }\n",
                "registry[0].ebr: given but exemptions does not list \"ebr\""},
        BadPack{"[[frequency_cap]]\nid = \"c\"\nsource = \"s\"\neffective = 2020-01-01\nmax_calls = 0\nwindow_hours = 24\n",
                "bad.toml:9: frequency_cap[0].max_calls: value 0 out of range"},
        BadPack{"[[redial_lockout]]\nid = \"l\"\nsource = \"s\"\neffective = 2020-01-01\nafter = \"busy\"\nhours = 72\n",
                "bad.toml:9: redial_lockout[0].after: expected \"abandoned\""},
        BadPack{"[[consent_required]]\nid = \"c\"\nsource = \"s\"\neffective = 2020-01-01\nexemptions = [\"ebr\"]\nebr = { purchase_months = 1 }\n",
                "consent_required[0].exemptions: a consent requirement must list \"consent\""},
        BadPack{"[[consent_required]]\nid = \"c\"\nsource = \"s\"\neffective = 2020-01-01\nnumber_types = [\"cellphone\"]\nexemptions = [\"consent\"]\n",
                "consent_required[0].number_types: unknown number type \"cellphone\""},
        BadPack{"[[calendar]]\nid = \"k\"\nsource = \"s\"\nholidays = [{ name = \"x\", date = \"13-01\" }]\n",
                "bad.toml:8: calendar[0].holidays[0].date: expected \"MM-DD\""},
        BadPack{"[[calendar]]\nid = \"k\"\nsource = \"s\"\nholidays = [{ name = \"x\", easter = 1, date = \"01-01\" }]\n",
                "calendar[0].holidays[0]: give exactly one of"},
        BadPack{"[[calendar]]\nid = \"k\"\nsource = \"s\"\nholidays = [{ name = \"x\", month = 5, weekday = \"mon\", nth = 0 }]\n",
                "calendar[0].holidays[0].nth: expected 1..5 or -1"},
        BadPack{"!hours = 3\n[pack]\nid = \"p\"\nversion = \"1\"\ncountry = \"US\"\n", "bad.toml:1: hours: expected an array of tables"}));

TEST(RulePacks, DuplicatePackIdsAcrossFiles) {
  auto r = RuleSet::parse({RuleSource{"a.toml", kMinimalPack}, RuleSource{"b.toml", kMinimalPack}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("b.toml: pack.id: \"p\" is already the id of a.toml"), std::string::npos)
      << r.error().message;
}

TEST(RulePacks, MissingDirectoryIsAnError) {
  auto r = RuleSet::load_directory("/nonexistent/rules");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/rules"), std::string::npos);
}

// ---- Calendars --------------------------------------------------------

TEST(Calendar, EasterSunday) {
  EXPECT_EQ(easter_sunday(2000), year{2000} / April / 23);
  EXPECT_EQ(easter_sunday(2019), year{2019} / April / 21);
  EXPECT_EQ(easter_sunday(2024), year{2024} / March / 31);
  EXPECT_EQ(easter_sunday(2025), year{2025} / April / 20);
  EXPECT_EQ(easter_sunday(2026), year{2026} / April / 5);
  EXPECT_EQ(easter_sunday(2027), year{2027} / March / 28);
  EXPECT_EQ(easter_sunday(2038), year{2038} / April / 25);
  EXPECT_EQ(easter_sunday(2285), year{2285} / March / 22);  // earliest possible
  // Always a Sunday, between March 22 and April 25.
  for (int y = 1900; y < 2300; ++y) {
    sys_days e{easter_sunday(y)};
    EXPECT_EQ(weekday{e}, Sunday) << y;
    EXPECT_GE(e, sys_days{year{y} / March / 22}) << y;
    EXPECT_LE(e, sys_days{year{y} / April / 25}) << y;
  }
}

TEST(Calendar, RuleKinds) {
  HolidayRule thanksgiving{"Thanksgiving", HolidayRule::Kind::kNthWeekday, 11, 1, 4, 4};
  EXPECT_EQ(holiday_dates(thanksgiving, 2026), std::vector<sys_days>{ymd(2026, 11, 26)});
  HolidayRule memorial{"Memorial", HolidayRule::Kind::kNthWeekday, 5, 1, 1, -1};
  EXPECT_EQ(holiday_dates(memorial, 2026), std::vector<sys_days>{ymd(2026, 5, 25)});
  HolidayRule fifth_monday{"none", HolidayRule::Kind::kNthWeekday, 2, 1, 1, 5};
  EXPECT_TRUE(holiday_dates(fifth_monday, 2026).empty());
  HolidayRule july4{"Independence", HolidayRule::Kind::kFixed, 7, 4};
  july4.observed = Observed::kNearestWeekday;
  EXPECT_EQ(holiday_dates(july4, 2026), (std::vector<sys_days>{ymd(2026, 7, 4), ymd(2026, 7, 3)}));  // Saturday
  EXPECT_EQ(holiday_dates(july4, 2027), (std::vector<sys_days>{ymd(2027, 7, 4), ymd(2027, 7, 5)}));  // Sunday
  EXPECT_EQ(holiday_dates(july4, 2028), (std::vector<sys_days>{ymd(2028, 7, 4)}));                   // Tuesday
  july4.observed = Observed::kNextMonday;
  EXPECT_EQ(holiday_dates(july4, 2026), (std::vector<sys_days>{ymd(2026, 7, 4), ymd(2026, 7, 6)}));
  HolidayRule mardi_gras{"Mardi Gras", HolidayRule::Kind::kEaster};
  mardi_gras.easter_offset = -47;
  EXPECT_EQ(holiday_dates(mardi_gras, 2026), std::vector<sys_days>{ymd(2026, 2, 17)});
  HolidayRule juneteenth{"Juneteenth", HolidayRule::Kind::kFixed, 6, 19};
  juneteenth.from_year = 2021;
  EXPECT_TRUE(holiday_dates(juneteenth, 2020).empty());
  EXPECT_EQ(holiday_dates(juneteenth, 2021).size(), 1u);
  HolidayRule leap{"Leap day", HolidayRule::Kind::kFixed, 2, 29};
  EXPECT_TRUE(holiday_dates(leap, 2026).empty());
  EXPECT_EQ(holiday_dates(leap, 2028).size(), 1u);
}

TEST(Calendar, ObservedDayCrossesYearBoundary) {
  HolidayRule ny{"New Year", HolidayRule::Kind::kFixed, 1, 1};
  ny.observed = Observed::kNearestWeekday;
  Calendar cal("x", {ny});
  EXPECT_TRUE(cal.is_holiday(ymd(2028, 1, 1)));    // a Saturday
  EXPECT_TRUE(cal.is_holiday(ymd(2027, 12, 31)));  // observed Friday, previous year
  EXPECT_TRUE(cal.is_eve(ymd(2027, 12, 30)));
  EXPECT_FALSE(cal.is_holiday(ymd(2027, 12, 30)));
  // Outside the compiled years: fail closed.
  EXPECT_TRUE(cal.is_holiday(ymd(1969, 6, 1)));
  EXPECT_TRUE(cal.is_holiday(ymd(2200, 6, 1)));
}

TEST(Calendar, ItalianHolidaysFromThePack) {
  auto rules = RuleSet::load_directory(home_path("rules"));
  ASSERT_TRUE(rules.ok());
  const Calendar* it = nullptr;
  for (const Calendar& c : (*rules)->compiled().calendars)
    if (c.id() == "it") it = &c;
  ASSERT_NE(it, nullptr);
  std::vector<sys_days> expected_2026 = {ymd(2026, 1, 1),  ymd(2026, 1, 6),   ymd(2026, 4, 6),   ymd(2026, 4, 25),
                                         ymd(2026, 5, 1),  ymd(2026, 6, 2),   ymd(2026, 8, 15),  ymd(2026, 11, 1),
                                         ymd(2026, 12, 8), ymd(2026, 12, 25), ymd(2026, 12, 26)};
  std::vector<sys_days> got;
  for (sys_days d = ymd(2026, 1, 1); d <= ymd(2026, 12, 31); d += days{1})
    if (it->is_holiday(d)) got.push_back(d);
  EXPECT_EQ(got, expected_2026);
  EXPECT_FALSE(it->is_holiday(ymd(2026, 4, 5)));  // Easter Sunday itself is a Sunday, not listed
  EXPECT_TRUE(it->is_eve(ymd(2026, 4, 24)));
}

// ---- Compiled time zones ----------------------------------------------

TEST(ZoneTable, AgreesWithTheTzDatabase) {
  std::mt19937_64 rng(42);
  for (const char* name : {"America/New_York", "America/Chicago", "America/Phoenix", "America/Boise",
                           "America/Los_Angeles", "America/Indiana/Indianapolis", "America/St_Johns",
                           "Europe/Rome", "Europe/London", "Pacific/Honolulu", "Australia/Lord_Howe",
                           "Asia/Kolkata"}) {
    auto table = ZoneTable::compile(name);
    ASSERT_TRUE(table.ok()) << name;
    const date::time_zone* tz = date::locate_zone(name);
    std::uniform_int_distribution<int64_t> dist(0, 2114380800);  // 1970..2037
    for (int i = 0; i < 2000; ++i) {
      int64_t t = dist(rng);
      auto info = tz->get_info(date::sys_seconds{seconds{t}});
      ASSERT_EQ((*table)->offset_at(t), info.offset.count()) << name << " at " << t;
    }
  }
}

TEST(ZoneTable, LocalToUtcAcrossDstChanges) {
  auto ny = ZoneTable::compile("America/New_York");
  ASSERT_TRUE(ny.ok());
  auto local = [](sys_days d, int h, int m) { return d.time_since_epoch().count() * 86400 + h * 3600 + m * 60; };
  auto utc = [](sys_days d, int h, int m) { return d.time_since_epoch().count() * 86400 + h * 3600 + m * 60; };
  // Ordinary day: 08:00 EST = 13:00Z.
  EXPECT_EQ((*ny)->first_utc_at_or_after(local(ymd(2026, 1, 15), 8, 0), 0), utc(ymd(2026, 1, 15), 13, 0));
  // Spring forward 2026-03-08: 02:30 does not exist; the first instant after the gap is 03:00 EDT = 07:00Z.
  EXPECT_EQ((*ny)->first_utc_at_or_after(local(ymd(2026, 3, 8), 2, 30), 0), utc(ymd(2026, 3, 8), 7, 0));
  EXPECT_EQ((*ny)->first_utc_at_or_after(local(ymd(2026, 3, 8), 8, 0), 0), utc(ymd(2026, 3, 8), 12, 0));
  // Fall back 2026-11-01: 01:30 happens twice, 05:30Z and 06:30Z.
  int64_t l = local(ymd(2026, 11, 1), 1, 30);
  EXPECT_EQ((*ny)->first_utc_at_or_after(l, 0), utc(ymd(2026, 11, 1), 5, 30));
  EXPECT_EQ((*ny)->first_utc_at_or_after(l, utc(ymd(2026, 11, 1), 5, 31)), utc(ymd(2026, 11, 1), 6, 30));
  EXPECT_EQ((*ny)->first_utc_at_or_after(local(ymd(2026, 11, 1), 8, 0), 0), utc(ymd(2026, 11, 1), 13, 0));
}

TEST(ZoneCatalog, InternsOnceAndRejectsUnknownZones) {
  ZoneCatalog cat;
  auto a = cat.intern("Europe/Rome");
  auto b = cat.intern("America/Chicago");
  auto c = cat.intern("Europe/Rome");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *c);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(cat.name(*b), "America/Chicago");
  EXPECT_EQ(cat.size(), 2u);
  auto bad = cat.intern("Mars/Olympus_Mons");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Mars/Olympus_Mons"), std::string::npos);
}

}  // namespace
}  // namespace telemark::compliance
