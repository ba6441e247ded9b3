// NumberResolver against the real tables in data/: area-code state, the
// prefix's candidate zones, unknown area codes.
#include <gtest/gtest.h>

#include "base/paths.h"
#include "base/time.h"
#include "compliance/engine.h"
#include "compliance/resolve.h"

namespace telemark::compliance {
namespace {

struct Tables {
  std::shared_ptr<const phone::TimeZoneTable> zones;
  std::shared_ptr<const phone::NanpRegions> nanp;
  std::unique_ptr<Engine> engine;
};

Tables& tables() {
  static Tables* t = [] {
    auto* t = new Tables;
    auto z = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    auto n = phone::NanpRegions::load(home_path("data/nanp-area-code-regions.tsv"));
    auto r = RuleSet::load_directory(home_path("rules"));
    EXPECT_TRUE(z.ok() && n.ok() && r.ok());
    t->zones = *z;
    t->nanp = *n;
    t->engine = std::make_unique<Engine>(*r);
    return t;
  }();
  return *t;
}

std::vector<std::string> zone_names(const NumberFacts& f) {
  std::vector<std::string> out;
  for (ZoneId z : f.zones) out.push_back(tables().engine->zone_name(z));
  return out;
}

TEST(NumberResolver, AreaCodeStateAndZones) {
  Tables& t = tables();
  NumberResolver r(*t.engine, *t.zones, *t.nanp);
  NumberFacts pensacola = r.resolve(18502001234, "US", phone::NumberType::kFixedLineOrMobile);
  EXPECT_TRUE(pensacola.valid);
  EXPECT_EQ(pensacola.country, country_code("US"));
  EXPECT_EQ(pensacola.region, region_code("FL"));
  EXPECT_EQ(zone_names(pensacola), std::vector<std::string>{"America/Chicago"});
  NumberFacts tallahassee = r.resolve(18502221234, "US", phone::NumberType::kFixedLine);
  EXPECT_EQ(zone_names(tallahassee), std::vector<std::string>{"America/New_York"});
  NumberFacts idaho = r.resolve(12083011234, "US", phone::NumberType::kFixedLine);
  EXPECT_EQ(idaho.region, region_code("ID"));
  EXPECT_EQ(zone_names(idaho), (std::vector<std::string>{"America/Boise", "America/Los_Angeles"}));
  NumberFacts toronto = r.resolve(14165551234, "CA", phone::NumberType::kFixedLine);
  EXPECT_EQ(toronto.region, region_code("ON"));
  NumberFacts rome = r.resolve(390612345678, "IT", phone::NumberType::kFixedLine);
  EXPECT_EQ(rome.region, 0u);
  EXPECT_EQ(zone_names(rome), std::vector<std::string>{"Europe/Rome"});
}

TEST(NumberResolver, UnknownAreaCodeGetsEveryNanpZone) {
  Tables& t = tables();
  NumberResolver r(*t.engine, *t.zones, *t.nanp);
  // 624 is not in the area-code table: region unknown, and the prefix
  // table's "1" entry lists every NANP zone.
  NumberFacts f = r.resolve(16245551234, "US", phone::NumberType::kFixedLineOrMobile);
  EXPECT_EQ(f.region, 0u);
  EXPECT_FALSE(f.zones_overflow);
  EXPECT_GT(f.zones.size(), 30u);
  // From Guam to Newfoundland no 10:00-20:00 window is shared: fail closed.
  CallIntent in;
  in.number = f;
  in.campaign.purpose = Purpose::kSurvey;
  in.campaign.countries.push_back(country_code("US"));
  in.at = *parse_iso8601("2026-03-10T18:00:00Z");
  Decision d = t.engine->decide(in);
  EXPECT_EQ(d.verdict, Verdict::kBlocked);
  EXPECT_TRUE(d.has(ReasonCode::kOutsideCallingHours));
}

TEST(NumberResolver, CachesPerPrefixEntry) {
  Tables& t = tables();
  NumberResolver r(*t.engine, *t.zones, *t.nanp);
  NumberFacts a = r.resolve(12127365000, "US", phone::NumberType::kFixedLine);
  NumberFacts b = r.resolve(12125550123, "US", phone::NumberType::kFixedLine);
  EXPECT_TRUE(a.zones == b.zones);
  EXPECT_FALSE(NumberResolver::invalid(42).valid);
}

}  // namespace
}  // namespace telemark::compliance
