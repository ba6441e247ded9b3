// World: the simulated people. As the telephony backend's CallScripter it
// decides what each callee does (pick up after how long, be a machine, be
// busy, never answer, talk for how long), from the Scenario's parameters at
// that moment (drift applied). As the dialer's AgentDesk it plays the
// agents: logs them in, wraps up after each call, takes the scenario's
// breaks, decides on preview leads; and it keeps each agent's time by state
// (logged in, on a break, talking, wrapping up) for the utilization figures.
//
// All randomness comes from the seed: the same scenario, seed and dialer
// give the same day. Ownership: borrows the scenario, the loop and the
// dialer (set_dialer before staff()). Thread-safety: none.
#pragma once

#include <cstdint>
#include <vector>

#include "dialer/dialer.h"
#include "sim/event_loop.h"
#include "sim/random.h"
#include "sim/scenario.h"
#include "telephony/sim/sim_telephony.h"

namespace telemark::sim {

struct AgentTime {
  double logged_in_s = 0;  // logged in and not on a break
  double break_s = 0;
  double talk_s = 0;
  double wrap_s = 0;
};

class World final : public telephony::sim::CallScripter, public dialer::AgentDesk {
 public:
  World(const Scenario& scenario, EventLoop& loop, Instant start, uint64_t seed);

  void set_dialer(dialer::Dialer* dialer) { dialer_ = dialer; }
  // Schedules `agents` agents' logins (from the start, staggered as the
  // scenario says) and their breaks.
  void staff(int agents);

  telephony::sim::CallScript script(const telephony::OriginateRequest& request, Instant now) override;

  void on_connected(dialer::AgentId agent, const dialer::ConnectedCall& call) override {}
  void on_call_ended(dialer::AgentId agent, uint64_t attempt_id) override;
  void on_preview(dialer::AgentId agent, const dialer::DialLead& lead) override;
  void on_agent_state(dialer::AgentId agent, dialer::AgentState state, Instant at) override;

  // Totals over all agents up to `now`.
  AgentTime agent_time(Instant now) const;

 private:
  struct SimAgent {
    dialer::AgentState state = dialer::AgentState::kOffline;
    Instant since{};
    AgentTime time;
    double break_due_s = -1;  // a break waiting for the agent to be free; its length
  };
  SimAgent& agent(dialer::AgentId id) { return agents_[id - 1]; }
  void start_break_if_due(dialer::AgentId id);
  double seconds_since_start(Instant t) const;

  const Scenario& scenario_;
  EventLoop& loop_;
  Instant start_;
  Rng callees_;
  Rng people_;
  dialer::Dialer* dialer_ = nullptr;
  std::vector<SimAgent> agents_;
};

}  // namespace telemark::sim
