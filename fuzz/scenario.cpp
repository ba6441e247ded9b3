// Fuzz target for simulation scenario files (src/sim/scenario.h). A parse
// either fails with "bad_scenario" and a message that starts with the source
// name and the line ("fuzz.toml:LINE: "), or yields a Scenario that is
// valid by the format's own rules (bench/scenarios/README.md): shares in
// [0, 1] summing to at most 1, positive means, non-negative sds, drift in
// ascending order, and every moment of the run, drift applied, a valid
// world. The module has no serializer, so there is no round trip to check.
#include "sim/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"
#include "dialer/abandonment.h"

namespace {

using telemark::sim::DurationSpec;
using telemark::sim::Scenario;
using telemark::sim::WorldMoment;

constexpr std::string_view kSource = "fuzz.toml";

void check(bool ok) {
  if (!ok) std::abort();
}

// Drift interpolates, so a share may miss [0, 1] by a rounding error.
bool share(double v) { return v >= -1e-9 && v <= 1 + 1e-9; }

void check_duration(const DurationSpec& d) {
  check(d.mean > 0 && std::isfinite(d.mean));
  check(d.sd >= 0 && std::isfinite(d.sd));
  check(d.cap >= 0 && std::isfinite(d.cap));
}

void check_moment(const WorldMoment& m) {
  check(share(m.human) && share(m.machine) && share(m.busy) && share(m.failed));
  check(m.human + m.machine + m.busy + m.failed <= 1.0 + 1e-9);
  check_duration(m.ring);
  check_duration(m.talk);
  check_duration(m.wrap);
}

// "fuzz.toml:LINE: something": every node of a parsed TOML document has a
// line, so every error the parser reports can name one.
bool names_source_and_line(const std::string& message) {
  if (message.compare(0, kSource.size(), kSource) != 0) return false;
  size_t i = kSource.size();
  if (i >= message.size() || message[i] != ':') return false;
  size_t digits = ++i;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') ++i;
  if (i == digits || message[digits] == '0') return false;
  return message.compare(i, 2, ": ") == 0 && message.size() > i + 2;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = telemark::sim::parse_scenario(text, kSource);
  if (!parsed.ok()) {
    check(parsed.error().code == "bad_scenario");
    check(names_source_and_line(parsed.error().message));
    return 0;
  }
  const Scenario& s = *parsed;
  check(s.source == kSource);
  check(telemark::parse_iso8601(s.start).ok());
  check(s.agents >= 1);
  check(s.hours > 0 && std::isfinite(s.hours));
  check(s.patience_s > 0 && s.ring_timeout_s > 0 && s.grace_s >= 0 && s.message_s >= 0);
  check(share(s.preview_skip) && s.login_stagger_s >= 0);
  check_duration(s.machine_detect);
  check_duration(s.busy_signal);
  check_duration(s.preview_think);
  for (const auto& b : s.breaks)
    check(b.at_s >= 0 && b.duration_s > 0 && b.stagger_s >= 0 && share(b.share));
  for (const auto& [reason, p] : s.deny) check(share(p));
  auto window = telemark::dialer::parse_abandonment_window(s.window);
  check(window.ok());
  check(telemark::dialer::AbandonmentLedger::create(*window, s.time_zone).ok());

  // Drift: ascending steps, and a valid world at the start, at every step's
  // start and end, and at points in between (ramps may overlap).
  std::vector<double> times{0};
  for (size_t i = 0; i < s.drift.size(); ++i) {
    const auto& d = s.drift[i];
    check(d.at_s >= 0 && d.ramp_s >= 0);
    if (i > 0) check(d.at_s >= s.drift[i - 1].at_s);
    times.push_back(d.at_s);
    times.push_back(d.at_s + d.ramp_s);
  }
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  check_moment(s.at(0));
  for (size_t i = 0; i < times.size(); ++i) {
    check_moment(s.at(times[i]));
    if (i + 1 == times.size()) break;
    constexpr int kBetween = 8;
    for (int k = 1; k < kBetween; ++k)
      check_moment(s.at(times[i] + (times[i + 1] - times[i]) * k / kBetween));
  }
  check_moment(s.at(times.back() + 1));
  return 0;
}
