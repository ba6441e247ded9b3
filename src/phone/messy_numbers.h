// MessyNumberGenerator: phone numbers as people and spreadsheets write
// them, for tests that compare the two normalization paths, benchmarks and
// demo data. Deterministic for a given seed (its own PRNG, no
// std::*_distribution), so a failing case can be replayed.
//
// kRealistic: what a lead list looks like: mostly clean or lightly
// formatted numbers of US, CA, IT and GB (some FR, DE, ES), each with its
// own default region, about 5% broken (wrong length, letters, spreadsheet
// notation).
// kAdversarial: every notation the parser has a branch for, across ~60
// regions and the non-geographic codes: national and international forms,
// IDDs of the wrong region, trunk prefixes, extensions of every label,
// stray characters, non-ASCII digits and spaces, wrong lengths, garbage.
//
// Starting points are libphonenumber's example numbers, mutated.
//
// Thread-safety: one generator per thread (next() mutates its state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace telemark::phone {

struct MessyNumber {
  std::string raw;
  std::string region;  // the default region to normalize with (may be "" or bogus)
};

enum class MessyMix : uint8_t { kRealistic, kAdversarial };

class MessyNumberGenerator {
 public:
  MessyNumberGenerator(uint64_t seed, MessyMix mix);
  MessyNumber next();

 private:
  struct Region {
    std::string code;        // "US"; "001" for a non-geographic entity
    int country_code = 0;
    std::string national_prefix;         // "0", "1", "" ...
    std::vector<std::string> examples;   // national significant numbers, by type
    uint32_t weight = 1;
  };

  uint64_t rand();
  uint64_t below(uint64_t n) { return rand() % n; }
  bool chance(uint32_t percent) { return below(100) < percent; }
  char digit() { return static_cast<char>('0' + below(10)); }
  const Region& pick_region(const std::vector<Region>& pool, uint64_t total);

  std::string mutate(const std::string& nsn, bool keep_valid_shape);
  std::string group(const std::string& digits, bool light);
  std::string spreadsheet_form(const std::string& digits);
  MessyNumber realistic();
  MessyNumber adversarial();
  MessyNumber garbage();

  uint64_t state_;
  MessyMix mix_;
  std::vector<Region> realistic_;
  std::vector<Region> adversarial_;
  uint64_t realistic_weight_ = 0;
  uint64_t adversarial_weight_ = 0;
};

}  // namespace telemark::phone
