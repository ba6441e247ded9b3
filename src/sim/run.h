// sim::run: one simulated campaign day through the production dialer code.
// Builds a VirtualClock and EventLoop, the World of the scenario, the
// simulated telephony backend, in-memory leads, a stand-in gate (denying
// the scenario's shares of leads by reason) and sink, and a Dialer in the
// given mode; runs `hours` of virtual time; reports what happened.
// `telemark simulate` is meant to be a thin wrapper over run() and
// format_text()/format_json().
//
// Pure function of its arguments (deterministic for a seed); thread-safe
// (each call builds its own world).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "dialer/mode.h"
#include "dialer/pacing.h"
#include "sim/scenario.h"

namespace telemark::sim {

struct RatePoint {
  double t_s = 0;  // seconds from the start
  uint64_t live_answers = 0;
  uint64_t abandoned = 0;
  double rate = 0;  // running abandonment rate since the start
};

struct Report {
  std::string scenario;
  std::string mode;
  int agents = 0;
  double hours = 0;
  uint64_t seed = 0;

  uint64_t dials = 0;
  uint64_t live_answers = 0;
  uint64_t abandoned = 0;
  uint64_t contacts = 0;  // live answers connected to an agent
  uint64_t machines = 0, busy = 0, no_answers = 0, failed = 0;
  double abandonment_rate = 0;  // abandoned / live answers
  // Running abandonment rate's highest value once `peak_after_answers` live
  // answers were in.
  double peak_abandonment_rate = 0;
  uint64_t peak_after_answers = 0;
  double utilization_busy = 0;  // (talk + wrap-up) / logged-in time, breaks excluded
  double utilization_talk = 0;  // talk / logged-in time, breaks excluded
  double agent_hours = 0;       // logged in, breaks excluded
  double mean_answer_wait_s = 0;
  double predicted_abandons = 0;  // what the pacing predicted for these live answers
  std::map<std::string, uint64_t> blocked_by_reason;
  std::vector<RatePoint> series;  // every RunOptions::series_interval_s
  uint64_t events = 0;            // timers the loop ran
};

struct RunOptions {
  double series_interval_s = 60;  // 0: no series
  uint64_t peak_after_answers = 200;
  dialer::PredictiveConfig predictive;
  double pacing_interval_s = 1.0;
  // Called at every series point with the seconds since the start, the
  // running report's series point and the pacing's state (for tracing).
  std::function<void(const RatePoint&, const dialer::PacingDiagnostics&, double busy_share)> trace;
};

Report run(const Scenario& scenario, const dialer::DialMode& mode, int agents, double hours,
           uint64_t seed, const RunOptions& options = {});

std::string format_text(const Report& report);
std::string format_json(const Report& report);  // keys as in the Report fields

}  // namespace telemark::sim
