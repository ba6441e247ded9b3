#include "sim/run.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "dialer/dialer.h"
#include "dialer/memory_ports.h"
#include "sim/event_loop.h"
#include "sim/world.h"
#include "telephony/sim/sim_telephony.h"

namespace telemark::sim {
namespace {
Duration secs(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}
}  // namespace

Report run(const Scenario& scenario, const dialer::DialMode& mode, int agents, double hours,
           uint64_t seed, const RunOptions& options) {
  Instant start = Instant(std::chrono::hours(0));
  if (auto t = parse_iso8601(scenario.start)) start = *t;  // validated when parsed
  const Instant end = start + secs(hours * 3600.0);

  VirtualClock clock(start);
  EventLoop loop(clock);
  World world(scenario, loop, start, seed);
  telephony::sim::SimOptions sim_options;
  sim_options.message_length = secs(scenario.message_s);
  sim_options.far_end_patience = secs(scenario.patience_s);
  telephony::sim::SimTelephony telephony(clock, loop, world, sim_options);

  dialer::SyntheticLeadSource leads;
  dialer::ShareDenyGate gate(scenario.deny, seed ^ 0x5eedull);
  dialer::MemoryAttemptSink sink(/*keep_records=*/false);
  auto window = dialer::parse_abandonment_window(scenario.window);
  auto ledger = dialer::AbandonmentLedger::create(
      window ? *window : dialer::AbandonmentWindow::kUsRolling30Days, scenario.time_zone);
  if (!ledger) ledger = dialer::AbandonmentLedger::create(dialer::AbandonmentWindow::kUsRolling30Days);

  dialer::DialerConfig config;
  config.campaign_id = 1;
  config.mode = mode;
  config.caller_id = 12025550100ull;
  config.ring_timeout = secs(scenario.ring_timeout_s);
  config.grace = secs(scenario.grace_s);
  config.pacing_interval = secs(options.pacing_interval_s);
  config.peak_rate_warmup_answers = options.peak_after_answers;
  config.predictive = options.predictive;
  dialer::Dialer dialer(config, clock, loop, telephony, leads, gate, sink, world,
                        std::move(*ledger));
  world.set_dialer(&dialer);
  world.staff(agents);
  dialer.start();

  Report report;
  if (options.series_interval_s > 0) {
    for (double t = options.series_interval_s; t <= hours * 3600.0 + 1e-9; t += options.series_interval_s) {
      loop.schedule_at(start + secs(t), [&report, &dialer, &world, &options, &clock, t] {
        const dialer::DialerStats& s = dialer.stats();
        double rate = s.live_answers ? static_cast<double>(s.abandoned) / s.live_answers : 0.0;
        report.series.push_back(RatePoint{t, s.live_answers, s.abandoned, rate});
        if (options.trace) {
          AgentTime at = world.agent_time(clock.now());
          double busy = at.logged_in_s > 0 ? (at.talk_s + at.wrap_s) / at.logged_in_s : 0.0;
          options.trace(report.series.back(), dialer.pacing_diagnostics(), busy);
        }
      });
    }
  }
  loop.run_until(end);
  dialer.stop();

  const dialer::DialerStats& s = dialer.stats();
  report.scenario = scenario.name;
  report.mode = mode.to_string();
  report.agents = agents;
  report.hours = hours;
  report.seed = seed;
  report.dials = s.dials;
  report.live_answers = s.live_answers;
  report.abandoned = s.abandoned;
  report.contacts = s.connected;
  report.machines = s.machines;
  report.busy = s.busy;
  report.no_answers = s.no_answer;
  report.failed = s.failed;
  report.abandonment_rate = s.live_answers ? static_cast<double>(s.abandoned) / s.live_answers : 0.0;
  report.peak_abandonment_rate = s.peak_rate_after_warmup;
  report.peak_after_answers = options.peak_after_answers;
  AgentTime t = world.agent_time(end);
  report.agent_hours = t.logged_in_s / 3600.0;
  report.utilization_busy = t.logged_in_s > 0 ? (t.talk_s + t.wrap_s) / t.logged_in_s : 0.0;
  report.utilization_talk = t.logged_in_s > 0 ? t.talk_s / t.logged_in_s : 0.0;
  report.mean_answer_wait_s = s.connected ? s.total_answer_wait_s / s.connected : 0.0;
  report.blocked_by_reason = s.blocked_by_reason;
  report.predicted_abandons = s.predicted_abandons;
  report.events = loop.executed();
  return report;
}

std::string format_text(const Report& r) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "scenario %s, mode %s, %d agents, %.2f h, seed %llu\n"
                "dials %llu, live answers %llu, contacts %llu, abandoned %llu (%.2f%%, peak %.2f%% "
                "after %llu live answers)\n"
                "machines %llu, busy %llu, no answer %llu, failed %llu\n"
                "utilization: busy %.1f%%, talk %.1f%% of %.1f agent-hours\n"
                "predicted abandoned %.1f, mean answer-to-agent wait %.2f s\n",
                r.scenario.c_str(), r.mode.c_str(), r.agents, r.hours,
                static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.dials),
                static_cast<unsigned long long>(r.live_answers),
                static_cast<unsigned long long>(r.contacts),
                static_cast<unsigned long long>(r.abandoned), 100 * r.abandonment_rate,
                100 * r.peak_abandonment_rate, static_cast<unsigned long long>(r.peak_after_answers),
                static_cast<unsigned long long>(r.machines), static_cast<unsigned long long>(r.busy),
                static_cast<unsigned long long>(r.no_answers),
                static_cast<unsigned long long>(r.failed), 100 * r.utilization_busy,
                100 * r.utilization_talk, r.agent_hours, r.predicted_abandons, r.mean_answer_wait_s);
  std::string out = buf;
  if (!r.blocked_by_reason.empty()) {
    out += "blocked:";
    for (const auto& [reason, n] : r.blocked_by_reason)
      out += " " + reason + " " + std::to_string(n);
    out += "\n";
  }
  return out;
}

std::string format_json(const Report& r) {
  nlohmann::json j;
  j["scenario"] = r.scenario;
  j["mode"] = r.mode;
  j["agents"] = r.agents;
  j["hours"] = r.hours;
  j["seed"] = r.seed;
  j["dials"] = r.dials;
  j["live_answers"] = r.live_answers;
  j["abandoned"] = r.abandoned;
  j["abandonment_rate"] = r.abandonment_rate;
  j["peak_abandonment_rate"] = r.peak_abandonment_rate;
  j["peak_after_answers"] = r.peak_after_answers;
  j["contacts"] = r.contacts;
  j["machines"] = r.machines;
  j["busy"] = r.busy;
  j["no_answers"] = r.no_answers;
  j["failed"] = r.failed;
  j["utilization_busy"] = r.utilization_busy;
  j["utilization_talk"] = r.utilization_talk;
  j["agent_hours"] = r.agent_hours;
  j["mean_answer_wait_s"] = r.mean_answer_wait_s;
  j["predicted_abandons"] = r.predicted_abandons;
  j["blocked_by_reason"] = r.blocked_by_reason;
  nlohmann::json series = nlohmann::json::array();
  for (const RatePoint& p : r.series)
    series.push_back({{"t_s", p.t_s}, {"live_answers", p.live_answers}, {"abandoned", p.abandoned},
                      {"rate", p.rate}});
  j["abandonment_series"] = series;
  return j.dump(2);
}

}  // namespace telemark::sim
