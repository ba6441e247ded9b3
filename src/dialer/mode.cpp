#include "dialer/mode.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace telemark::dialer {

Result<DialMode> DialMode::parse(std::string_view text) {
  if (text == "preview") return preview();
  if (text == "progressive") return progressive();
  if (text == "predictive") return predictive();
  if (text.substr(0, 6) == "power:") {
    std::string_view num = text.substr(6);
    double k = 0;
    auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), k);
    if (ec == std::errc() && p == num.data() + num.size() && std::isfinite(k) && k >= 1.0 &&
        k <= 100.0)
      return power(k);
    return make_error("bad_mode", "dial mode '" + std::string(text) +
                                      "': the power ratio must be a number from 1 to 100");
  }
  return make_error("bad_mode", "unknown dial mode '" + std::string(text) +
                                    "' (expected preview, progressive, power:K or predictive)");
}

std::string DialMode::to_string() const {
  switch (kind) {
    case Kind::kPreview: return "preview";
    case Kind::kProgressive: return "progressive";
    case Kind::kPredictive: return "predictive";
    case Kind::kPower: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "power:%g", lines_per_agent);
      return buf;
    }
  }
  return "unknown";
}

}  // namespace telemark::dialer
