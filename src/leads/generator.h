// A generator of realistic, messy prospect lists for the demo, tests and
// benchmarks: US, Canadian, Italian and UK numbers in every notation people
// type, spreadsheet-mangled and invalid numbers, duplicates written
// differently, accented names, ';' delimiters, Latin-1 if asked.
// Deterministic for a seed. Not thread-safe; one generator per thread.
//
// Prospect profile columns (with_profile), custom attributes once
// imported: age, segment (consumer, family, business, premium, student),
// channel (web, referral, event, cold list), months_since_purchase and
// prior_orders, with missing values as real lists have them (no age for
// about one in seven, no purchase history for prospects who never bought).
// They are drawn from a random stream of their own, so the other columns
// are the same with or without them. The simulated campaign day's ground
// truth (sim/prospect.h) makes success depend on them.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace telemark::leads {

struct GeneratorOptions {
  uint64_t rows = 1000;
  uint64_t seed = 1;
  char delimiter = ';';
  bool latin1 = false;        // write names in Latin-1 instead of UTF-8
  double invalid_share = 0.04;
  double duplicate_share = 0.03;
  bool with_facts = true;     // consent / purchase / inquiry / contract columns
  bool with_profile = true;   // age, segment, channel, months_since_purchase, prior_orders
  bool ragged = true;         // some rows end with extra empty columns, as spreadsheets write
};

struct GeneratorStats {
  uint64_t rows = 0, invalid = 0, duplicates = 0;
};

// Writes the list to `path` (header + rows). Errors name the path.
Result<GeneratorStats> generate_leads_csv(const std::string& path, const GeneratorOptions& options);

}  // namespace telemark::leads
