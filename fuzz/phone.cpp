// Fuzz target for phone normalization. The first byte picks the default
// region, the rest is the raw number. Besides surviving any input,
// normalize() (fast path) must agree with normalize_slow() (libphonenumber
// only) on every field; a disagreement aborts with both answers.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "phone/phone.h"

namespace {

constexpr const char* kRegions[] = {
    "",   "US", "CA", "IT", "GB", "FR", "DE", "ES", "AR", "BR", "JE", "VA", "XX", "us", "AU", "JP",
    "RU", "KZ", "MX", "IN", "CH", "NL", "BS", "AG", "SM", "GA", "NF", "MG", "CC", "FI", "NO", "001"};
constexpr size_t kRegionCount = sizeof(kRegions) / sizeof(kRegions[0]);

std::string describe(const telemark::phone::PhoneNormalizer::Outcome& o) {
  if (!o.ok) return std::string(telemark::phone::to_string(o.reject));
  return o.phone.e164_string() + " cc=" + std::to_string(o.phone.country_code) + " " + o.phone.region + " " +
         std::string(telemark::phone::to_string(o.phone.type)) + " ext=" + o.phone.extension;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const telemark::phone::PhoneNormalizer normalizer;
  if (size == 0) return 0;
  const char* region = kRegions[data[0] % kRegionCount];
  std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string fast = describe(normalizer.normalize(raw, region));
  std::string slow = describe(normalizer.normalize_slow(raw, region));
  if (fast != slow) {
    std::fprintf(stderr, "phone fuzz: \"%.*s\" region \"%s\": normalize() %s, libphonenumber %s\n",
                 static_cast<int>(raw.size()), raw.data(), region, fast.c_str(), slow.c_str());
    std::abort();
  }
  return 0;
}
