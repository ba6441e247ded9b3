// Fuzz target for segment expressions (src/leads/segment.h). The input up
// to the first NUL byte is the expression, the rest a lead's attributes
// JSON. A parse either fails with "bad_segment" and a message that points
// at a column, or yields a Segment that is evaluated on fixed leads and on
// the fuzzed one, with checks that must hold in three-valued logic:
// evaluating twice agrees, `(E) or (E)` matches exactly when E does, and
// `not (E)` never matches a lead E matches.
#include "leads/segment.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/time.h"

namespace {

using telemark::leads::AttributeCensus;
using telemark::leads::Segment;
using telemark::store::Lead;

std::vector<Lead> leads_for(const std::string& attributes) {
  std::vector<Lead> out(3);
  out[0].id = 1;
  out[0].list_id = 1;
  out[0].phone = 12125550100ull;
  out[0].country = "US";
  out[0].region = "NY";
  out[0].first_name = "Zoë";
  out[0].score = 0.5;
  out[0].facts.contract_active = true;
  out[0].facts.consent_at = telemark::from_unix_seconds(1767225600);
  out[0].attributes_json = R"({"age":"40","plan":"gold","n":12,"vip":true,"note":null,"list":[1,2]})";
  out[1].attributes_json = "not json";
  out[2].id = 3;
  out[2].attributes_json = attributes;
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string expr = input.substr(0, nul);
  std::string attributes = nul == std::string::npos ? "{}" : input.substr(nul + 1);

  auto s = Segment::parse(expr);
  if (!s.ok()) {
    if (s.error().code != "bad_segment" || s.error().message.find(" at column ") == std::string::npos) std::abort();
    return 0;
  }
  auto both = Segment::parse("(" + expr + ") or (" + expr + ")");
  auto negated = Segment::parse("not (" + expr + ")");
  for (const Lead& l : leads_for(attributes)) {
    bool m = s->matches(l);
    if (m != s->matches(l)) std::abort();
    if (both.ok() && both->matches(l) != m) std::abort();
    if (negated.ok() && m && negated->matches(l)) std::abort();
  }
  AttributeCensus census(*s);
  for (const Lead& l : leads_for(attributes)) census.add(l);
  (void)census.unknown();
  (void)s->required_country();
  (void)s->required_region();
  return 0;
}
