// NanpRegions: NANP area code (NPA) -> country ("US"/"CA") and state or
// province code ("NY", "ON"), from data/nanp-area-code-regions.tsv. An
// unknown NPA (the table misses some recent ones) yields std::nullopt: the
// caller treats the region as unknown and applies the country's strictest rules.
//
// Thread-safety: immutable after load; lookups from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"

namespace telemark::phone {

struct NanpRegion {
  std::string country;  // "US", "CA", or another NANP country code if the table has one
  std::string region;   // "NY", "ON", ...; "NS/PE" when the area code spans
                        // several (apply the rules of each)
};

class NanpRegions {
 public:
  static Result<std::shared_ptr<const NanpRegions>> load(const std::string& path);
  // e164: digits without '+'; must start with 1 and have 11 digits, else nullopt.
  std::optional<NanpRegion> lookup(uint64_t e164) const;
  std::optional<NanpRegion> lookup_npa(int npa) const;

 private:
  std::array<std::optional<NanpRegion>, 1000> by_npa_;
};

}  // namespace telemark::phone
