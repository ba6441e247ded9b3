#include "sim/world.h"

#include <algorithm>
#include <cmath>

namespace telemark::sim {

using dialer::AgentId;
using dialer::AgentState;
using telephony::sim::CallScript;
using telephony::sim::Fate;

namespace {
Duration secs(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(std::max(0.0, s)));
}
double draw(const DurationSpec& d, Rng& rng) {
  double v = LogNormal{d.mean, d.sd}.sample(rng);
  return d.cap > 0 ? std::min(v, d.cap) : v;
}
}  // namespace

World::World(const Scenario& scenario, EventLoop& loop, Instant start, uint64_t seed)
    : scenario_(scenario), loop_(loop), start_(start), callees_(seed), people_(callees_.fork()) {}

double World::seconds_since_start(Instant t) const {
  return std::chrono::duration<double>(t - start_).count();
}

void World::staff(int agents) {
  agents_.assign(static_cast<size_t>(agents), SimAgent{});
  for (int i = 0; i < agents; ++i) {
    AgentId id = static_cast<AgentId>(i + 1);
    double at = agents > 1 ? scenario_.login_stagger_s * i / agents : 0.0;
    loop_.schedule_at(start_ + secs(at), [this, id] {
      Status s = dialer_->agent_login(id);
      (void)s;
    });
    for (const BreakPlan& b : scenario_.breaks) {
      // The first share·n agents take this break, staggered.
      if (i >= static_cast<int>(std::floor(b.share * agents + 1e-9))) continue;
      double when = b.at_s + b.stagger_s * i / agents;
      double length = b.duration_s;
      loop_.schedule_at(start_ + secs(when), [this, id, length] {
        agent(id).break_due_s = length;
        start_break_if_due(id);
      });
    }
  }
}

void World::start_break_if_due(AgentId id) {
  SimAgent& a = agent(id);
  if (a.break_due_s < 0) return;
  if (a.state == AgentState::kIdle || a.state == AgentState::kPreviewing) {
    Status s = dialer_->agent_pause(id);
    (void)s;
  }
  // Otherwise the break starts when the current call's wrap-up ends.
}

CallScript World::script(const telephony::OriginateRequest&, Instant now) {
  WorldMoment m = scenario_.at(seconds_since_start(now));
  CallScript s;
  double u = callees_.uniform();
  if (u < m.human) {
    s.fate = Fate::kHuman;
    s.ring = secs(draw(m.ring, callees_));
    s.talk = secs(draw(m.talk, callees_));
  } else if ((u -= m.human) < m.machine) {
    s.fate = Fate::kMachine;
    s.ring = secs(draw(m.ring, callees_));
    s.detect = secs(draw(scenario_.machine_detect, callees_));
  } else if ((u -= m.machine) < m.busy) {
    s.fate = Fate::kBusy;
    s.ring = secs(draw(scenario_.busy_signal, callees_));
  } else if ((u -= m.busy) < m.failed) {
    s.fate = Fate::kFailed;
    s.ring = secs(draw(scenario_.busy_signal, callees_));
  } else {
    s.fate = Fate::kNoAnswer;
  }
  return s;
}

void World::on_call_ended(AgentId id, uint64_t) {
  double wrap = draw(scenario_.at(seconds_since_start(loop_.clock().now())).wrap, people_);
  loop_.schedule_at(loop_.clock().now() + secs(wrap), [this, id] {
    SimAgent& a = agent(id);
    if (a.state != AgentState::kWrapUp) return;
    Status s = a.break_due_s >= 0 ? dialer_->agent_pause(id) : dialer_->agent_ready(id);
    (void)s;
  });
}

void World::on_preview(AgentId id, const dialer::DialLead&) {
  double think = draw(scenario_.preview_think, people_);
  bool dial = !people_.bernoulli(scenario_.preview_skip);
  loop_.schedule_at(loop_.clock().now() + secs(think), [this, id, dial] {
    if (agent(id).state != AgentState::kPreviewing) return;
    Status s = dialer_->preview_decision(id, dial);
    (void)s;
  });
}

void World::on_agent_state(AgentId id, AgentState state, Instant at) {
  if (id == 0 || id > agents_.size()) return;
  SimAgent& a = agent(id);
  double spent = std::chrono::duration<double>(at - a.since).count();
  switch (a.state) {
    case AgentState::kOffline: break;
    case AgentState::kPaused: a.time.break_s += spent; break;
    case AgentState::kTalking: a.time.talk_s += spent; a.time.logged_in_s += spent; break;
    case AgentState::kWrapUp: a.time.wrap_s += spent; a.time.logged_in_s += spent; break;
    default: a.time.logged_in_s += spent; break;
  }
  a.state = state;
  a.since = at;
  if (state == AgentState::kPaused && a.break_due_s >= 0) {
    double length = a.break_due_s;
    a.break_due_s = -1;
    loop_.schedule_at(at + secs(length), [this, id] {
      if (agent(id).state != AgentState::kPaused) return;
      Status s = dialer_->agent_ready(id);
      (void)s;
    });
  }
}

AgentTime World::agent_time(Instant now) const {
  AgentTime total;
  for (const SimAgent& a : agents_) {
    AgentTime t = a.time;
    double spent = std::chrono::duration<double>(now - a.since).count();
    switch (a.state) {
      case AgentState::kOffline: break;
      case AgentState::kPaused: t.break_s += spent; break;
      case AgentState::kTalking: t.talk_s += spent; t.logged_in_s += spent; break;
      case AgentState::kWrapUp: t.wrap_s += spent; t.logged_in_s += spent; break;
      default: t.logged_in_s += spent; break;
    }
    total.logged_in_s += t.logged_in_s;
    total.break_s += t.break_s;
    total.talk_s += t.talk_s;
    total.wrap_s += t.wrap_s;
  }
  return total;
}

}  // namespace telemark::sim
