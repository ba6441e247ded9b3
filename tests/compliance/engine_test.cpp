// Engine behavior beyond the case files: randomized consistency of
// next_allowed_at against a brute-force scan, presentation strings,
// campaign validation, the registries a campaign needs, and concurrent use.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "base/paths.h"
#include "base/time.h"
#include "case_file.h"
#include "compliance/engine.h"

namespace telemark::compliance {
namespace {

using namespace std::chrono;

std::shared_ptr<const RuleSet> shipped_rules() {
  static std::shared_ptr<const RuleSet> rules = [] {
    auto r = RuleSet::load_directory(home_path("rules"));
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : nullptr;
  }();
  return rules;
}

Instant at(const char* iso) { return *parse_iso8601(iso); }

CallIntent base_intent(Engine& engine, const char* country, const char* region,
                       std::initializer_list<const char*> zones) {
  CallIntent in;
  in.number.valid = true;
  in.number.e164 = 12125550123;
  in.number.country = country_code(country);
  in.number.region = region_code(region);
  in.number.type = phone::NumberType::kFixedLine;
  for (const char* z : zones) in.number.zones.push_back(*engine.zone_id(z));
  in.campaign.countries.push_back(country_code(country));
  for (const std::string& name : engine.rules().registry_names()) {
    RegistryFact& f = in.registries[*engine.rules().registry_id(name)];
    f.present = true;
    f.as_of = floor<days>(at("2026-03-01"));
  }
  return in;
}

TEST(Engine, ExplainFormatsEverything) {
  Engine engine(shipped_rules());
  CallIntent in = base_intent(engine, "US", "FL", {"America/New_York", "America/Chicago"});
  in.at = at("2026-03-10T00:30:00Z");  // 20:30 New York, 19:30 Chicago
  in.registries[*engine.rules().registry_id("us-dnc")].member = true;
  Decision d = engine.decide(in);
  auto e = engine.explain(d);
  EXPECT_EQ(e.verdict, "blocked");
  EXPECT_EQ(e.reasons, (std::vector<std::string>{"registry:us-dnc", "outside_calling_hours"}));
  EXPECT_EQ(e.local_times, (std::vector<std::string>{"America/New_York 2026-03-09T20:30:00-04:00",
                                                     "America/Chicago 2026-03-09T19:30:00-05:00"}));
  EXPECT_EQ(e.packs, (std::vector<std::string>{"us-federal@2026.07", "us-states@2026.07"}));
  EXPECT_FALSE(e.next_allowed_at);
}

TEST(Engine, ValidateCampaign) {
  Engine engine(shipped_rules());
  Campaign c;
  EXPECT_FALSE(engine.validate(c).ok());  // no country
  c.countries.push_back(country_code("US"));
  EXPECT_TRUE(engine.validate(c).ok());
  c.countries.push_back(country_code("FR"));
  Status s = engine.validate(c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("FR"), std::string::npos);
  c.countries.clear();
  c.countries.push_back(country_code("US"));
  c.extra_registries = uint64_t{1} << *engine.rules().registry_id("us-dnc");
  EXPECT_FALSE(engine.validate(c).ok());  // always consulted, not an extra
  c.extra_registries = uint64_t{1} << *engine.rules().registry_id("us-fl-dnc");
  EXPECT_TRUE(engine.validate(c).ok());
}

TEST(Engine, RegistriesNeeded) {
  Engine engine(shipped_rules());
  const RuleSet& rules = engine.rules();
  Campaign c;
  c.purpose = Purpose::kSales;
  EXPECT_EQ(engine.registries_needed(c, country_code("US")), uint64_t{1} << *rules.registry_id("us-dnc"));
  c.extra_registries = uint64_t{1} << *rules.registry_id("us-tx-dnc");
  EXPECT_EQ(engine.registries_needed(c, country_code("US")),
            (uint64_t{1} << *rules.registry_id("us-dnc")) | (uint64_t{1} << *rules.registry_id("us-tx-dnc")));
  EXPECT_EQ(engine.registries_needed(c, country_code("GB")),
            (uint64_t{1} << *rules.registry_id("uk-tps")) | (uint64_t{1} << *rules.registry_id("uk-ctps")));
  c.purpose = Purpose::kSurvey;
  EXPECT_EQ(engine.registries_needed(c, country_code("US")), 0u);
  EXPECT_EQ(engine.registries_needed(c, country_code("IT")), uint64_t{1} << *rules.registry_id("it-rpo"));
}

TEST(Engine, UnknownZoneIsAnError) {
  Engine engine(shipped_rules());
  EXPECT_FALSE(engine.zone_id("America/Atlantis").ok());
  EXPECT_TRUE(engine.zone_id("America/Phoenix").ok());
}

// Random intents across countries, regions, zones, purposes, histories and
// times. For each: the verdict agrees with the reasons, and a not_now's
// next_allowed_at is callable while nothing earlier is (scanned every
// 5 minutes up to it, plus the microsecond before it).
TEST(Engine, RandomizedNextAllowedIsEarliestLawfulInstant) {
  Engine engine(shipped_rules());
  struct Where {
    const char* country;
    const char* region;
    std::vector<const char*> zones;
  };
  std::vector<Where> places = {
      {"US", "NY", {"America/New_York"}},
      {"US", "FL", {"America/New_York", "America/Chicago"}},
      {"US", "AL", {"America/Chicago"}},
      {"US", "LA", {"America/Chicago"}},
      {"US", "MS", {"America/Chicago"}},
      {"US", "KY", {"America/New_York", "America/Chicago"}},
      {"US", "ID", {"America/Boise", "America/Los_Angeles"}},
      {"US", "AZ", {"America/Phoenix"}},
      {"US", "", {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}},
      {"CA", "ON", {"America/Toronto"}},
      {"CA", "NL", {"America/St_Johns"}},
      {"IT", "", {"Europe/Rome", "Europe/Vatican"}},
      {"GB", "", {"Europe/London"}},
  };
  const char* addresses[] = {"", "CT", "MD", "OK", "KY", "NV"};
  std::mt19937_64 rng(7);
  int64_t from = to_unix_seconds(at("2025-12-20T00:00:00Z")), span = 400LL * 86400;
  int not_now = 0, callable = 0, blocked = 0;
  for (int i = 0; i < 300; ++i) {
    const Where& w = places[rng() % places.size()];
    CallIntent in = base_intent(engine, w.country, w.region, {});
    for (const char* z : w.zones) in.number.zones.push_back(*engine.zone_id(z));
    in.lead.address_region = region_code(addresses[rng() % 6]);
    in.campaign.purpose = static_cast<Purpose>(rng() % 6);
    in.at = from_unix_seconds(from + static_cast<int64_t>(rng() % span));
    for (const std::string& name : engine.rules().registry_names()) {
      RegistryFact& f = in.registries[*engine.rules().registry_id(name)];
      f.as_of = floor<days>(in.at) - days{rng() % 10};
      f.member = rng() % 8 == 0;
    }
    in.internal_dnc = rng() % 20 == 0;
    if (rng() % 3 == 0) {
      in.history.attempts_24h = static_cast<uint16_t>(rng() % 5);
      for (int k = 0; k < 3; ++k) in.history.attempt_times.push_back(in.at - minutes(rng() % 1500));
    }
    if (rng() % 3 == 0) in.history.last_abandoned_at = in.at - hours(rng() % 80);
    if (rng() % 4 == 0) in.campaign.hours = LocalWindow{static_cast<uint16_t>(600 + rng() % 120), 1080, 0x3E};
    Decision d = engine.decide(in);
    ASSERT_EQ(d.reasons.empty(), d.verdict == Verdict::kCallable) << i;
    if (d.verdict == Verdict::kCallable) ++callable;
    if (d.verdict == Verdict::kBlocked) ++blocked;
    if (d.verdict != Verdict::kNotNow) continue;
    ++not_now;
    ASSERT_TRUE(d.next_allowed_at);
    for (const Reason& r : d.reasons) ASSERT_TRUE(is_temporal(r.code)) << i;
    CallIntent probe = testing::with_timed_attempts(in);
    probe.at = *d.next_allowed_at;
    Decision at_next = engine.decide(probe);
    auto why = engine.explain(at_next);
    std::string reasons;
    for (const auto& r : why.reasons) reasons += r + " ";
    for (const auto& r : why.local_times) reasons += "[" + r + "] ";
    ASSERT_EQ(at_next.verdict, Verdict::kCallable)
        << i << " from " << format_iso8601(in.at) << " next " << format_iso8601(probe.at) << ": " << reasons
        << " purpose " << to_string(in.campaign.purpose) << " region " << region_string(in.number.region) << "/"
        << region_string(in.lead.address_region);
    probe.at = *d.next_allowed_at - Duration(1);
    ASSERT_NE(engine.decide(probe).verdict, Verdict::kCallable) << i;
    for (probe.at = in.at; probe.at < *d.next_allowed_at; probe.at += minutes(5))
      ASSERT_NE(engine.decide(probe).verdict, Verdict::kCallable) << i << " at " << format_iso8601(probe.at);
  }
  // The mix must exercise all three verdicts.
  EXPECT_GT(not_now, 50);
  EXPECT_GT(callable, 20);
  EXPECT_GT(blocked, 5);
}

TEST(Engine, ConcurrentDecisionsAndZoneInterning) {
  Engine engine(shipped_rules());
  CallIntent in = base_intent(engine, "US", "NY", {"America/New_York"});
  in.at = at("2026-03-10T15:00:00Z");
  Decision expected = engine.decide(in);
  std::atomic<int> mismatches{0};
  auto work = [&](int seed) {
    const char* zones[] = {"Europe/Paris", "Asia/Tokyo", "America/Denver", "Africa/Cairo"};
    for (int i = 0; i < 2000; ++i) {
      if (i % 100 == 0) (void)engine.zone_id(zones[(seed + i / 100) % 4]);
      Decision d = engine.decide(in);
      if (d.verdict != expected.verdict || !(d.reasons == expected.reasons)) ++mismatches;
    }
  };
  std::thread a(work, 0), b(work, 1);
  a.join();
  b.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace telemark::compliance

namespace telemark::compliance {
namespace {

TEST(Engine, ZoneIdsItNeverIssuedFailClosed) {
  Engine engine(shipped_rules());
  CallIntent in = base_intent(engine, "US", "NY", {"America/New_York"});
  in.at = at("2026-03-10T15:00:00Z");
  EXPECT_EQ(engine.decide(in).verdict, Verdict::kCallable);
  in.number.zones.push_back(999);
  Decision d = engine.decide(in);
  EXPECT_EQ(d.verdict, Verdict::kBlocked);
  EXPECT_TRUE(d.has(ReasonCode::kUnknownTimeZone));
  EXPECT_TRUE(d.local_times.empty());
}

}  // namespace
}  // namespace telemark::compliance
