// Deterministic randomness for the simulated world: xoshiro256** seeded by
// splitmix64, and the distributions scenarios are written in (log-normal by
// mean and standard deviation, Bernoulli, categorical). Hand-written rather
// than <random> distributions because the standard leaves their algorithms
// to the library, and a seed must give the same day on every build.
//
// Value types; not thread-safe (one stream per simulated component).
#pragma once

#include <cmath>
#include <cstdint>

namespace telemark::sim {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (uint64_t& s : s_) s = splitmix(seed);
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  bool bernoulli(double p) { return uniform() < p; }
  // Standard normal (Marsaglia's polar method; the spare value is kept).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
  // A new independent stream derived from this one (for sub-components).
  Rng fork() { return Rng(next()); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Log-normal given by the mean and standard deviation of the variable
// itself (not of its logarithm), as scenarios state them. sd == 0 means the
// constant `mean`.
struct LogNormal {
  double mean = 0.0;
  double sd = 0.0;

  double sigma() const { return mean > 0 ? std::sqrt(std::log1p((sd * sd) / (mean * mean))) : 0.0; }
  double mu() const { double s = sigma(); return mean > 0 ? std::log(mean) - 0.5 * s * s : 0.0; }
  double sample(Rng& rng) const {
    if (mean <= 0) return 0.0;
    if (sd <= 0) return mean;
    return std::exp(mu() + sigma() * rng.normal());
  }
};

}  // namespace telemark::sim
