// Scenario: the synthetic world a simulation runs in, read from a TOML file
// (format: bench/scenarios/README.md): how callees answer
// (person / machine / busy / failed / no answer, ring and detection times),
// how long agents talk and wrap up (log-normal by mean and standard
// deviation), their breaks, the dialer's legal settings, the share of leads
// the stand-in compliance gate denies, and drift (parameters that change at
// given times, at once or along a linear ramp).
//
// Value type; immutable once parsed, safe to share between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace telemark::sim {

// A log-normal duration in seconds, by its own mean and sd; cap > 0 clips
// samples to at most cap.
struct DurationSpec {
  double mean = 0;
  double sd = 0;
  double cap = 0;
};

struct DriftStep {
  double at_s = 0;    // seconds from the start of the run
  double ramp_s = 0;  // 0: a step; else linear from at_s to at_s + ramp_s
  std::optional<double> human, machine, busy, failed;
  std::optional<double> ring_mean, ring_sd, talk_mean, talk_sd, wrap_mean, wrap_sd;
};

struct BreakPlan {
  double at_s = 0;        // first agent's break, seconds from the start
  double duration_s = 0;
  double stagger_s = 0;   // agent i of n goes at at_s + stagger_s * i / n
  double share = 1.0;     // share of agents who take it
};

// The world's parameters at one moment, drift applied.
struct WorldMoment {
  double human = 0, machine = 0, busy = 0, failed = 0;
  DurationSpec ring, talk, wrap;
};

struct Scenario {
  std::string name = "unnamed";
  std::string source = "<defaults>";  // file it came from, for messages
  std::string start = "2026-03-02T14:00:00Z";
  int agents = 10;
  double hours = 3.0;

  // Callees: shares of dials (no answer is the rest).
  double human = 0.20, machine = 0.15, busy = 0.10, failed = 0.0;
  DurationSpec ring{8, 4, 25};          // to pick-up (person or machine)
  DurationSpec machine_detect{3, 1, 0}; // answering-machine detection after pick-up
  DurationSpec busy_signal{3, 1, 0};    // busy or failure signal after dialing
  double patience_s = 30;               // an answered callee left alone hangs up

  // Agents.
  DurationSpec talk{120, 90, 0};
  DurationSpec wrap{20, 10, 0};
  DurationSpec preview_think{5, 2, 0};
  double preview_skip = 0.05;
  double login_stagger_s = 0;
  std::vector<BreakPlan> breaks;

  // Dialer settings the law or the site fixes.
  double ring_timeout_s = 25;
  double grace_s = 2;
  double message_s = 6;
  std::string window = "us";
  std::string time_zone = "UTC";

  std::vector<std::pair<std::string, double>> deny;  // gate denials by reason: share of leads
  std::vector<DriftStep> drift;                       // ascending at_s

  WorldMoment at(double t_s) const;
};

// `source` names the text in error messages (file name).
Result<Scenario> parse_scenario(std::string_view toml, std::string_view source);
Result<Scenario> load_scenario(const std::string& path);

}  // namespace telemark::sim
