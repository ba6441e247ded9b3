// bench_phone: what one phone number costs the lead import.
//
// Times normalize() (fast path, libphonenumber only when unsure) against
// normalize_slow() (libphonenumber for every number, the baseline) on the
// same generated lead-list numbers, median of several runs, and prints the
// ratio. The import's whole budget is about 1.3 us a row.
//
// Then checks that both paths agree on every number of a larger adversarial
// mix (the unit test runs 200,000 of them in a Debug build; this runs
// millions in Release). Exits 1 on any disagreement.
//
//   bench_phone [--count N] [--runs R] [--equivalence M]
//   defaults: N = 1,000,000, R = 3, M = 2,000,000 (0 skips it)
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "phone/messy_numbers.h"
#include "phone/phone.h"

using namespace telemark::phone;
using Clock = std::chrono::steady_clock;

namespace {

std::string describe(const PhoneNormalizer::Outcome& o) {
  if (!o.ok) return std::string(to_string(o.reject));
  return o.phone.e164_string() + " cc=" + std::to_string(o.phone.country_code) + " " + o.phone.region + " " +
         std::string(to_string(o.phone.type)) + " ext=" + o.phone.extension;
}

// Thread CPU time, not wall time: the build machines are shared, and time
// spent descheduled says nothing about the code.
double cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

template <class F>
double time_per_number_ns(const std::vector<MessyNumber>& numbers, F&& normalize, uint64_t* checksum) {
  double start = cpu_ns();
  uint64_t sum = 0;
  for (const MessyNumber& m : numbers) {
    PhoneNormalizer::Outcome o = normalize(m.raw, m.region);
    sum += o.ok ? o.phone.e164 : static_cast<uint64_t>(o.reject);
  }
  double elapsed = cpu_ns() - start;
  *checksum = sum;
  return elapsed / static_cast<double>(numbers.size());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string runs_text(const std::vector<double>& v) {
  std::string s;
  for (double x : v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%.3f", s.empty() ? "" : " ", x / 1000.0);
    s += buf;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  size_t count = 1000000, runs = 3, equivalence = 2000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (!std::strcmp(argv[i], "--count")) count = v;
    else if (!std::strcmp(argv[i], "--runs")) runs = v;
    else if (!std::strcmp(argv[i], "--equivalence")) equivalence = v;
    else {
      std::fprintf(stderr, "usage: %s [--count N] [--runs R] [--equivalence M]\n", argv[0]);
      return 2;
    }
  }
  if (count == 0 || runs == 0) return 2;

  PhoneNormalizer normalizer;
  MessyNumberGenerator gen(2026, MessyMix::kRealistic);
  std::vector<MessyNumber> numbers;
  numbers.reserve(count);
  for (size_t i = 0; i < count; ++i) numbers.push_back(gen.next());

  // Agreement and coverage on the timed set; also warms both paths.
  size_t valid = 0, fast_answers = 0, agree = 0;
  for (const MessyNumber& m : numbers) {
    PhoneNormalizer::Outcome slow = normalizer.normalize_slow(m.raw, m.region);
    PhoneNormalizer::Outcome fast;
    if (normalizer.try_fast(m.raw, m.region, &fast)) {
      ++fast_answers;
    } else {
      fast = normalizer.normalize(m.raw, m.region);
    }
    valid += slow.ok;
    agree += describe(fast) == describe(slow);
  }

  std::vector<double> fast_ns, slow_ns;
  uint64_t fast_sum = 0, slow_sum = 0;
  for (size_t r = 0; r < runs; ++r) {
    fast_ns.push_back(time_per_number_ns(
        numbers, [&](std::string_view raw, std::string_view region) { return normalizer.normalize(raw, region); },
        &fast_sum));
    slow_ns.push_back(time_per_number_ns(
        numbers,
        [&](std::string_view raw, std::string_view region) { return normalizer.normalize_slow(raw, region); },
        &slow_sum));
  }
  double fast = median(fast_ns), slow = median(slow_ns);
  std::printf("phone normalization, %zu generated lead-list numbers (US/CA/IT/GB mostly; %.1f%% valid)\n", count,
              100.0 * static_cast<double>(valid) / static_cast<double>(count));
  std::printf("  normalize()       %8.3f us/number  (runs: %s)\n", fast / 1000.0, runs_text(fast_ns).c_str());
  std::printf("  normalize_slow()  %8.3f us/number  (runs: %s)  <- libphonenumber baseline\n", slow / 1000.0,
              runs_text(slow_ns).c_str());
  std::printf("  ratio             %8.1fx faster (median of %zu runs, thread CPU time); import budget ~1.3 us/row\n",
              slow / fast, runs);
  std::printf("  fast path answered %.2f%% alone; outcomes identical for %zu of %zu%s\n",
              100.0 * static_cast<double>(fast_answers) / static_cast<double>(count), agree, count,
              fast_sum == slow_sum ? "" : " (CHECKSUMS DIFFER)");
  int status = (agree == count && fast_sum == slow_sum) ? 0 : 1;

  if (equivalence > 0) {
    MessyNumberGenerator adv(20261129, MessyMix::kAdversarial);
    size_t mismatches = 0, adv_valid = 0, adv_fast = 0;
    auto start = Clock::now();
    for (size_t i = 0; i < equivalence; ++i) {
      MessyNumber m = adv.next();
      PhoneNormalizer::Outcome slow_o = normalizer.normalize_slow(m.raw, m.region);
      PhoneNormalizer::Outcome fast_o;
      if (normalizer.try_fast(m.raw, m.region, &fast_o)) {
        ++adv_fast;
      } else {
        fast_o = normalizer.normalize(m.raw, m.region);
      }
      adv_valid += slow_o.ok;
      if (describe(fast_o) != describe(slow_o) && ++mismatches <= 20)
        std::printf("  MISMATCH \"%s\" region \"%s\": normalize() %s, libphonenumber %s\n", m.raw.c_str(),
                    m.region.c_str(), describe(fast_o).c_str(), describe(slow_o).c_str());
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("equivalence, %zu adversarial numbers (~60 regions, %.1f%% valid, %.1f%% fast path): "
                "%zu mismatches (%.0f s)\n",
                equivalence, 100.0 * static_cast<double>(adv_valid) / static_cast<double>(equivalence),
                100.0 * static_cast<double>(adv_fast) / static_cast<double>(equivalence), mismatches, secs);
    if (mismatches) status = 1;
  }
  return status;
}
