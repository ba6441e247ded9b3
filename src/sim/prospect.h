// The simulated world's ground truth about who says yes: a prospect's
// chance of a success disposition, once connected to an agent, as a
// logistic function of the profile columns that `telemark generate leads`
// writes (leads/generator.h) and the import keeps as custom attributes.
//
// log-odds = intercept + f(profile), with f the sum of:
//   prior_orders            +0.45 per order, up to 5
//   months_since_purchase   -0.06 per month (missing: never bought, -1.0)
//   age                     +0.8 * exp(-((age - 45) / 12)^2)  (missing: 0)
//   segment                 premium +0.9, business +0.5, family +0.2,
//                           consumer 0, student -0.8, missing 0
//   channel                 referral +0.9, web +0.2, event 0,
//                           cold list -0.8, other or missing 0
// The intercept is chosen per list so that the mean chance over its
// prospects is the configured success share (calibrate_intercept), so the
// campaign's overall success rate stays where it was before the profile
// mattered. A scoring model that learns from the campaign's history should
// approach the AUC of these true chances (and cannot beat it on average).
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace telemark::sim {

struct Prospect {
  std::optional<double> age;
  std::optional<double> months_since_purchase;
  std::optional<double> prior_orders;
  std::string segment;
  std::string channel;
};

// f(profile) above, without the intercept.
double prospect_log_odds(const Prospect& p);

// The chance for log-odds x: 1 / (1 + e^-x).
double logistic(double x);

// The intercept b such that the mean of logistic(b + x) over `log_odds` is
// `share` (0 < share < 1); 0 for an empty span.
double calibrate_intercept(std::span<const double> log_odds, double share);

// A number from a profile cell ("42", "3.5"); nullopt when empty or not a number.
std::optional<double> profile_number(std::string_view text);

}  // namespace telemark::sim
