// Synthetic leads for the store benchmarks (bench_store, bench_scan):
// batches of realistic-looking rows that differ by phone and line, and
// the error exit they share.
#pragma once

#include <errno.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace telemark::bench {

inline constexpr size_t kLeadBatch = 10'000;

[[noreturn]] inline void die(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg.c_str());
  std::exit(1);
}

// A distinct, scattered 11-digit number per row, so the UNIQUE(list_id,
// phone) index is filled in random order as real lists do. 2654435761 is
// prime, hence a bijection modulo 9e9.
inline uint64_t phone_of(uint64_t row) { return 10'000'000'000ULL + (row * 2654435761ULL) % 9'000'000'000ULL; }

// One batch of realistic-looking leads; fill_batch() gives them their rows.
inline std::vector<store::Lead> template_batch() {
  const char* first[] = {"Ann", "Bob", "Carla", "Dmitri", "Eve", "François", "Giulia", "Hiro"};
  const char* last[] = {"Lee", "Smith", "Rossi", "García", "Nguyen", "Müller", "Kowalski"};
  const char* city[] = {"New York", "Buffalo", "Albany", "Rochester", "Syracuse"};
  std::vector<store::Lead> batch(kLeadBatch);
  for (size_t i = 0; i < kLeadBatch; ++i) {
    store::Lead& l = batch[i];
    l.number_type = i % 3 ? "mobile" : "fixed_line_or_mobile";
    l.time_zones = "America/New_York";
    l.first_name = first[i % 8];
    l.last_name = last[i % 7];
    l.email = std::string(first[i % 8]) + "." + std::to_string(i) + "@example.com";
    l.address = std::to_string(100 + i % 900) + " Main Street";
    l.city = city[i % 5];
    l.region = "NY";
    l.postal_code = std::to_string(10000 + i % 90000);
    l.country = "US";
    l.attributes_json = i % 4 ? "{}" : R"({"segment":"gold"})";
    if (i % 5 == 0) l.facts.consent_at = Instant(std::chrono::seconds(1'700'000'000 + i));
    if (i % 2 == 0) l.score = 0.001 * static_cast<double>(i % 1000);
  }
  return batch;
}

// Rows first_row, first_row + 1, ...: their phone, raw phone and line.
inline void fill_batch(std::vector<store::Lead>& batch, uint64_t first_row) {
  for (size_t i = 0; i < batch.size(); ++i) {
    uint64_t row = first_row + i;
    batch[i].phone = phone_of(row);
    // Not "+" + std::to_string(): GCC 12 -O3 warns falsely on it (-Wrestrict).
    char raw[24] = "+";
    batch[i].phone_raw.assign(raw, std::to_chars(raw + 1, raw + sizeof raw, batch[i].phone).ptr);
    batch[i].source_line = row + 2;
  }
}

}  // namespace telemark::bench
