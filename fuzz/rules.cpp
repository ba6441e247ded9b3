// Fuzz target: arbitrary bytes into the rule-pack parser and the campaign
// definition parser. Neither may crash, hang or throw; a pack that parses
// is also compiled into an Engine and asked one decision per country it
// covers, so the compiled rules are exercised too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "campaign/definition.h"
#include "compliance/engine.h"
#include "compliance/rules.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telemark;
  std::string text(reinterpret_cast<const char*>(data), size);

  auto campaign = campaign::parse_campaign_definition(text, "fuzz.toml");
  if (campaign.ok()) (void)campaign::to_toml(*campaign);

  auto rules = compliance::RuleSet::parse({compliance::RuleSource{"fuzz.toml", text}});
  if (!rules.ok()) return 0;
  compliance::Engine engine(*rules);
  compliance::CallIntent in;
  in.number.valid = true;
  in.number.zones.push_back(*engine.zone_id("America/New_York"));
  in.at = Instant(std::chrono::seconds(1773151200));  // 2026-03-10T14:00:00Z
  for (const compliance::PackInfo& p : (*rules)->packs()) {
    in.number.country = compliance::country_code(p.country);
    in.campaign.countries.clear();
    in.campaign.countries.push_back(in.number.country);
    in.campaign.extra_registries = ~uint64_t{0};
    in.history.attempts_24h = 5;
    in.history.last_abandoned_at = in.at;
    compliance::Decision d = engine.decide(in);
    (void)engine.explain(d);
  }
  return 0;
}
