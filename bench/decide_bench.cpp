// bench_decide: what one compliance decision costs.
//
// Builds a realistic mix of call intents in memory (US numbers of many
// states, split-zone area codes, unknown area codes, Canada, Italy, the UK;
// ~8% on a registry, some with a business relationship or consent; times
// spread over the day so most calls are callable and some must wait) and
// times Engine::decide() per call: thread CPU time of batches of 1,000
// decisions, median over the batches, median of several runs. Reported for
// the whole mix, for callable leads only (the target: median <= 1 us), and
// for not_now leads (which also search for the next lawful instant).
//
// Baselines measured in the same run on the same data: one
// date::zoned_time conversion (UTC -> local time through the tz database,
// what a naive engine would do per candidate zone) and one
// std::unordered_map lookup of the number (the cheapest membership test).
//
//   bench_decide [--leads N] [--runs R]     defaults: N = 200,000, R = 5
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include <date/tz.h>

#include "base/paths.h"
#include "compliance/engine.h"

using namespace telemark;
using namespace telemark::compliance;

namespace {

// Thread CPU time: the machines are shared; time spent descheduled says
// nothing about the code.
double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Place {
  const char* country;
  const char* region;  // "" = unknown area code
  std::vector<const char*> zones;
  int weight;
};

// Per-call time of `fn(i)` over items [0, n): median over batches.
template <class F>
double per_call_ns(size_t n, F&& fn, uint64_t* sink) {
  constexpr size_t kBatch = 1000;
  std::vector<double> batches;
  uint64_t s = 0;
  for (size_t start = 0; start + kBatch <= n; start += kBatch) {
    double t0 = cpu_ns();
    for (size_t i = start; i < start + kBatch; ++i) s += fn(i);
    batches.push_back((cpu_ns() - t0) / kBatch);
  }
  *sink += s;
  return median(batches);
}

}  // namespace

int main(int argc, char** argv) {
  size_t leads = 200000;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--leads")) leads = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
  }
  leads = std::max<size_t>(leads, 10000);

  auto rules = RuleSet::load_directory(home_path("rules"));
  if (!rules.ok()) {
    std::fprintf(stderr, "%s\n", rules.error().message.c_str());
    return 1;
  }
  Engine engine(*rules);
  const RuleSet& rs = **rules;

  std::vector<Place> places = {
      {"US", "NY", {"America/New_York"}, 12},
      {"US", "CA", {"America/Los_Angeles"}, 12},
      {"US", "TX", {"America/Chicago"}, 10},
      {"US", "FL", {"America/New_York"}, 8},
      {"US", "FL", {"America/New_York", "America/Chicago"}, 2},
      {"US", "IL", {"America/Chicago"}, 5},
      {"US", "PA", {"America/New_York"}, 5},
      {"US", "OH", {"America/New_York"}, 4},
      {"US", "GA", {"America/New_York"}, 4},
      {"US", "AZ", {"America/Phoenix"}, 3},
      {"US", "ID", {"America/Boise", "America/Los_Angeles"}, 1},
      {"US", "KY", {"America/New_York", "America/Chicago"}, 1},
      {"US", "AL", {"America/Chicago"}, 2},
      {"US", "MD", {"America/New_York"}, 2},
      {"US", "", {"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"}, 2},
      {"CA", "ON", {"America/Toronto"}, 5},
      {"CA", "BC", {"America/Vancouver"}, 3},
      {"IT", "", {"Europe/Rome", "Europe/Vatican"}, 9},
      {"GB", "", {"Europe/London"}, 9},
  };
  std::vector<int> pick;
  for (size_t p = 0; p < places.size(); ++p)
    for (int w = 0; w < places[p].weight; ++w) pick.push_back(static_cast<int>(p));

  Campaign campaign;
  for (const char* c : {"US", "CA", "IT", "GB"}) campaign.countries.push_back(country_code(c));
  campaign.extra_registries = uint64_t{1} << *rs.registry_id("us-fl-dnc");

  // A Tuesday, 2026-03-10, at random times between 12:00Z and 23:00Z:
  // mostly within hours across the four countries, some before or after.
  const Instant day = Instant(std::chrono::seconds(1773100800));
  std::mt19937_64 rng(2026);
  std::vector<CallIntent> intents(leads);
  std::vector<const date::time_zone*> first_zone(leads);
  std::unordered_map<uint64_t, uint32_t> registry_set;
  for (size_t i = 0; i < leads; ++i) {
    const Place& p = places[static_cast<size_t>(pick[rng() % pick.size()])];
    CallIntent& in = intents[i];
    in.number.valid = true;
    in.number.e164 = 10000000000ULL + rng() % 9000000000ULL;
    in.number.country = country_code(p.country);
    in.number.region = region_code(p.region);
    in.number.type = phone::NumberType::kFixedLineOrMobile;
    for (const char* z : p.zones) in.number.zones.push_back(*engine.zone_id(z));
    first_zone[i] = date::locate_zone(p.zones[0]);
    in.campaign = campaign;
    for (size_t r = 0; r < rs.registry_names().size(); ++r) {
      RegistryFact& f = in.registries[r];
      f.present = true;
      f.as_of = std::chrono::floor<std::chrono::days>(day) - std::chrono::days{5};
      f.member = rng() % 100 < 8;
      if (f.member) registry_set.emplace(in.number.e164, static_cast<uint32_t>(i));
    }
    if (rng() % 10 == 0) in.lead.last_purchase_at = day - std::chrono::hours(24 * (rng() % 700));
    if (rng() % 10 == 0) in.lead.consent_at = day - std::chrono::hours(24 * (rng() % 300));
    if (rng() % 20 == 0) in.history.attempts_24h = static_cast<uint16_t>(rng() % 4);
    in.internal_dnc = rng() % 200 == 0;
    in.at = day + std::chrono::seconds(12 * 3600 + static_cast<int64_t>(rng() % (11 * 3600)));
  }

  // Split by verdict, for the per-verdict figures.
  std::vector<size_t> callable, not_now;
  size_t blocked = 0;
  for (size_t i = 0; i < leads; ++i) {
    Verdict v = engine.decide(intents[i]).verdict;
    if (v == Verdict::kCallable) callable.push_back(i);
    else if (v == Verdict::kNotNow) not_now.push_back(i);
    else ++blocked;
  }

  uint64_t sink = 0;
  std::vector<double> mix_ns, callable_ns, not_now_ns, zoned_ns, hash_ns;
  for (int r = 0; r < runs; ++r) {
    mix_ns.push_back(per_call_ns(leads, [&](size_t i) {
      return static_cast<uint64_t>(engine.decide(intents[i]).verdict);
    }, &sink));
    callable_ns.push_back(per_call_ns(callable.size(), [&](size_t i) {
      return static_cast<uint64_t>(engine.decide(intents[callable[i]]).reasons.size());
    }, &sink));
    not_now_ns.push_back(per_call_ns(not_now.size(), [&](size_t i) {
      Decision d = engine.decide(intents[not_now[i]]);
      return static_cast<uint64_t>(d.next_allowed_at->time_since_epoch().count());
    }, &sink));
    zoned_ns.push_back(per_call_ns(leads, [&](size_t i) {
      auto zt = date::make_zoned(first_zone[i], std::chrono::floor<std::chrono::seconds>(intents[i].at));
      return static_cast<uint64_t>(zt.get_local_time().time_since_epoch().count());
    }, &sink));
    hash_ns.push_back(per_call_ns(leads, [&](size_t i) {
      auto it = registry_set.find(intents[i].number.e164);
      return static_cast<uint64_t>(it == registry_set.end() ? 0 : it->second);
    }, &sink));
  }

  double mix = median(mix_ns), call = median(callable_ns), wait = median(not_now_ns);
  double zoned = median(zoned_ns), hash = median(hash_ns);
  std::printf("leads %zu (callable %zu, not_now %zu, blocked %zu), %d runs, median per call of 1000-call batches\n",
              leads, callable.size(), not_now.size(), blocked, runs);
  std::printf("decide(), whole mix:         %8.1f ns\n", mix);
  std::printf("decide(), callable leads:    %8.1f ns   (target <= 1000 ns: %s)\n", call,
              call <= 1000 ? "met" : "NOT MET");
  std::printf("decide(), not_now leads:     %8.1f ns   (includes the next-lawful-instant search)\n", wait);
  std::printf("baseline date::zoned_time:   %8.1f ns   decide(callable) / zoned_time = %.2f\n", zoned, call / zoned);
  std::printf("baseline unordered_map find: %8.1f ns   decide(callable) / hash lookup = %.2f\n", hash, call / hash);
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(sink));
  return call <= 1000 ? 0 : 1;
}
