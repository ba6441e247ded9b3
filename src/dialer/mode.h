// DialMode: how a campaign dials.
//   preview      an agent sees the lead and chooses to dial it or skip it;
//   progressive  one call per idle agent (never abandons);
//   power:K      K lines per idle agent, K a fixed ratio (may be fractional);
//   predictive   as many calls as the learned model says will find agents,
//                within the abandonment budget (see pacing.h).
// Value type.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace telemark::dialer {

struct DialMode {
  enum class Kind : uint8_t { kPreview = 0, kProgressive, kPower, kPredictive };
  Kind kind = Kind::kPredictive;
  double lines_per_agent = 1.0;  // kPower only

  static DialMode preview() { return {Kind::kPreview, 1.0}; }
  static DialMode progressive() { return {Kind::kProgressive, 1.0}; }
  static DialMode power(double k) { return {Kind::kPower, k}; }
  static DialMode predictive() { return {Kind::kPredictive, 1.0}; }

  // "preview", "progressive", "power:2.5", "predictive".
  static Result<DialMode> parse(std::string_view text);
  std::string to_string() const;
};

}  // namespace telemark::dialer
