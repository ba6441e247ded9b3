#include "sim/prospect.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace telemark::sim {

double prospect_log_odds(const Prospect& p) {
  double x = 0;
  if (p.prior_orders) x += 0.45 * std::clamp(*p.prior_orders, 0.0, 5.0);
  x += p.months_since_purchase ? -0.06 * std::max(*p.months_since_purchase, 0.0) : -1.0;
  if (p.age) {
    double z = (*p.age - 45.0) / 12.0;
    x += 0.8 * std::exp(-z * z);
  }
  if (p.segment == "premium") x += 0.9;
  else if (p.segment == "business") x += 0.5;
  else if (p.segment == "family") x += 0.2;
  else if (p.segment == "student") x -= 0.8;
  if (p.channel == "referral") x += 0.9;
  else if (p.channel == "web") x += 0.2;
  else if (p.channel == "cold list") x -= 0.8;
  return x;
}

double logistic(double x) { return 1.0 / (1.0 + std::exp(-x)); }

double calibrate_intercept(std::span<const double> log_odds, double share) {
  if (log_odds.empty()) return 0;
  auto mean = [&](double b) {
    double s = 0;
    for (double x : log_odds) s += logistic(b + x);
    return s / static_cast<double>(log_odds.size());
  };
  // The mean is increasing in b: bisect.
  double lo = -30, hi = 30;
  for (int i = 0; i < 80; ++i) {
    double mid = (lo + hi) / 2;
    (mean(mid) < share ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

std::optional<double> profile_number(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace telemark::sim
