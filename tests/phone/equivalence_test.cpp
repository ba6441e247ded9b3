// normalize() must give exactly libphonenumber's answers. Generated numbers
// (a fixed seed, so failures replay) go through both paths.
//
// libphonenumber costs about 30 us a number here, so the default run is
// 200,000 numbers (about 7 s); TELEMARK_PHONE_EQUIVALENCE_COUNT raises it,
// and bench_phone --equivalence runs 2,000,000 in a Release build.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "phone/messy_numbers.h"
#include "phone/phone.h"

using namespace telemark::phone;

namespace {

size_t total_count() {
  const char* env = std::getenv("TELEMARK_PHONE_EQUIVALENCE_COUNT");
  return env && *env ? std::strtoull(env, nullptr, 10) : 200000;
}

std::string describe(const PhoneNormalizer::Outcome& o) {
  if (!o.ok) return std::string(to_string(o.reject));
  return o.phone.e164_string() + " cc=" + std::to_string(o.phone.country_code) + " " + o.phone.region + " " +
         std::string(to_string(o.phone.type)) + " ext=" + o.phone.extension;
}

struct Tally {
  size_t mismatches = 0;
  size_t valid = 0;
  size_t fast = 0;
};

Tally compare(MessyMix mix, uint64_t seed, size_t count) {
  static const PhoneNormalizer normalizer;
  MessyNumberGenerator gen(seed, mix);
  Tally t;
  for (size_t i = 0; i < count; ++i) {
    MessyNumber m = gen.next();
    PhoneNormalizer::Outcome fast = normalizer.normalize(m.raw, m.region);
    PhoneNormalizer::Outcome slow = normalizer.normalize_slow(m.raw, m.region);
    PhoneNormalizer::Outcome only_fast;
    if (normalizer.try_fast(m.raw, m.region, &only_fast)) {
      ++t.fast;
      if (describe(only_fast) != describe(slow)) ++t.mismatches;
    }
    t.valid += slow.ok ? 1 : 0;
    if (describe(fast) != describe(slow)) {
      if (++t.mismatches <= 20)
        ADD_FAILURE() << "#" << i << " \"" << m.raw << "\" region \"" << m.region << "\": normalize() "
                      << describe(fast) << ", libphonenumber " << describe(slow);
    }
  }
  return t;
}

TEST(PhoneEquivalence, AdversarialNumbersAcrossSixtyRegions) {
  size_t n = total_count() * 4 / 5;
  Tally t = compare(MessyMix::kAdversarial, 20261129, n);
  EXPECT_EQ(t.mismatches, 0u);
  // The mix must exercise both outcomes and both paths.
  EXPECT_GT(t.valid, n / 4);
  EXPECT_LT(t.valid, n * 3 / 4);
  EXPECT_GT(t.fast, n / 2);
  std::printf("adversarial: %zu numbers, %zu valid, %zu answered by the fast path\n", n, t.valid, t.fast);
}

TEST(PhoneEquivalence, RealisticLeadListNumbers) {
  size_t n = total_count() - total_count() * 4 / 5;
  Tally t = compare(MessyMix::kRealistic, 42, n);
  EXPECT_EQ(t.mismatches, 0u);
  EXPECT_GT(t.valid, n * 9 / 10);
  // What makes the import budget: libphonenumber must see almost none of them.
  EXPECT_GT(t.fast, n * 97 / 100);
  std::printf("realistic: %zu numbers, %zu valid, %zu answered by the fast path\n", n, t.valid, t.fast);
}

TEST(PhoneEquivalence, ThreadsShareOneNormalizerFromFirstUse) {
  // Regions compile lazily on first use: several threads racing through a
  // fresh normalizer must see the same answers as one thread alone.
  std::vector<MessyNumber> numbers;
  MessyNumberGenerator gen(7, MessyMix::kAdversarial);
  for (int i = 0; i < 4000; ++i) numbers.push_back(gen.next());
  std::vector<std::string> expected;
  {
    PhoneNormalizer alone;
    for (const auto& m : numbers) expected.push_back(describe(alone.normalize(m.raw, m.region)));
  }
  PhoneNormalizer shared;
  std::vector<size_t> wrong(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < wrong.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < numbers.size(); ++i) {
        size_t k = (i + t * 997) % numbers.size();  // different orders, same regions
        if (describe(shared.normalize(numbers[k].raw, numbers[k].region)) != expected[k]) ++wrong[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (size_t t = 0; t < wrong.size(); ++t) EXPECT_EQ(wrong[t], 0u) << "thread " << t;
}

}  // namespace
