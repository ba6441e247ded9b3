#include "sim/scenario.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "base/time.h"
#include "dialer/abandonment.h"

namespace telemark::sim {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  Error error(const toml::node* where, const std::string& key, const std::string& why) const {
    // append() rather than "literal" + string: GCC 12 warns (-Wrestrict,
    // a false positive) on the latter in optimized builds.
    std::string text(source_);
    if (where != nullptr && where->source().begin.line > 0)
      text.append(":").append(std::to_string(where->source().begin.line));
    text.append(": ").append(key).append(": ").append(why);
    return make_error("bad_scenario", std::move(text));
  }

  // Unknown keys are errors: a typo must not silently fall back to a default.
  std::optional<Error> check_keys(const toml::table& t, const std::string& prefix,
                                  std::initializer_list<std::string_view> allowed) const {
    std::set<std::string_view> ok(allowed);
    for (const auto& [k, v] : t) {
      if (!ok.count(k.str()))
        return error(&v, prefix + std::string(k.str()), "unknown key");
    }
    return std::nullopt;
  }

  std::optional<Error> number(const toml::table& t, const std::string& prefix, std::string_view key,
                              double& out, double lo, double hi) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    std::optional<double> v = n->value<double>();
    std::string name = prefix + std::string(key);
    if (!v) return error(n, name, "expected a number");
    if (!(*v >= lo && *v <= hi))
      return error(n, name, "must be between " + fmt(lo) + " and " + fmt(hi));
    out = *v;
    return std::nullopt;
  }

  std::optional<Error> opt_number(const toml::table& t, const std::string& prefix,
                                  std::string_view key, std::optional<double>& out, double lo,
                                  double hi) const {
    if (t.get(key) == nullptr) return std::nullopt;
    double v = 0;
    if (auto e = number(t, prefix, key, v, lo, hi)) return e;
    out = v;
    return std::nullopt;
  }

  std::optional<Error> text(const toml::table& t, const std::string& prefix, std::string_view key,
                            std::string& out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    std::optional<std::string> v = n->value<std::string>();
    if (!v) return error(n, prefix + std::string(key), "expected a string");
    out = *v;
    return std::nullopt;
  }

  std::optional<Error> duration(const toml::table& t, const std::string& prefix,
                                std::string_view key, DurationSpec& out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return std::nullopt;
    std::string name = prefix + std::string(key);
    const toml::table* d = n->as_table();
    if (d == nullptr) return error(n, name, "expected { mean = S, sd = S[, cap = S] } in seconds");
    if (auto e = check_keys(*d, name + ".", {"mean", "sd", "cap"})) return e;
    if (d->get("mean") == nullptr) return error(n, name, "needs a mean");
    DurationSpec s;
    if (auto e = number(*d, name + ".", "mean", s.mean, 0.001, 1e6)) return e;
    if (auto e = number(*d, name + ".", "sd", s.sd, 0, 1e6)) return e;
    if (auto e = number(*d, name + ".", "cap", s.cap, 0, 1e6)) return e;
    out = s;
    return std::nullopt;
  }

  static std::string fmt(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }

 private:
  std::string_view source_;
};

double lerp(double a, double b, double f) { return a + (b - a) * f; }

// The fields two drift steps set, side by side.
struct DriftField {
  const char* name;
  bool mine;
  bool theirs;
};
std::vector<DriftField> drift_fields(const DriftStep& a, const DriftStep& b) {
  return {{"human", a.human.has_value(), b.human.has_value()},
          {"machine", a.machine.has_value(), b.machine.has_value()},
          {"busy", a.busy.has_value(), b.busy.has_value()},
          {"failed", a.failed.has_value(), b.failed.has_value()},
          {"ring_mean", a.ring_mean.has_value(), b.ring_mean.has_value()},
          {"ring_sd", a.ring_sd.has_value(), b.ring_sd.has_value()},
          {"talk_mean", a.talk_mean.has_value(), b.talk_mean.has_value()},
          {"talk_sd", a.talk_sd.has_value(), b.talk_sd.has_value()},
          {"wrap_mean", a.wrap_mean.has_value(), b.wrap_mean.has_value()},
          {"wrap_sd", a.wrap_sd.has_value(), b.wrap_sd.has_value()}};
}

}  // namespace

WorldMoment Scenario::at(double t_s) const {
  WorldMoment m{human, machine, busy, failed, ring, talk, wrap};
  for (const DriftStep& d : drift) {
    if (t_s < d.at_s) break;
    double f = d.ramp_s > 0 ? std::min(1.0, (t_s - d.at_s) / d.ramp_s) : 1.0;
    auto apply = [f](double& field, const std::optional<double>& target) {
      if (target) field = lerp(field, *target, f);
    };
    apply(m.human, d.human);
    apply(m.machine, d.machine);
    apply(m.busy, d.busy);
    apply(m.failed, d.failed);
    apply(m.ring.mean, d.ring_mean);
    apply(m.ring.sd, d.ring_sd);
    apply(m.talk.mean, d.talk_mean);
    apply(m.talk.sd, d.talk_sd);
    apply(m.wrap.mean, d.wrap_mean);
    apply(m.wrap.sd, d.wrap_sd);
  }
  return m;
}

Result<Scenario> parse_scenario(std::string_view toml_text, std::string_view source) {
  Reader r(source);
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    return make_error("bad_scenario", std::string(source) + ":" +
                                          std::to_string(e.source().begin.line) + ": " +
                                          std::string(e.description()));
  }
  Scenario s;
  s.source = std::string(source);
  if (auto e = r.check_keys(root, "", {"name", "start", "agents", "hours", "callees", "handling",
                                       "breaks", "dialer", "gate", "drift"}))
    return *e;
  if (auto e = r.text(root, "", "name", s.name)) return *e;
  if (auto e = r.text(root, "", "start", s.start)) return *e;
  if (auto t = parse_iso8601(s.start); !t) return r.error(root.get("start"), "start", t.error().message);
  double agents = s.agents;
  if (auto e = r.number(root, "", "agents", agents, 1, 100000)) return *e;
  if (agents != static_cast<int>(agents)) return r.error(root.get("agents"), "agents", "must be a whole number");
  s.agents = static_cast<int>(agents);
  if (auto e = r.number(root, "", "hours", s.hours, 0.001, 24 * 31)) return *e;

  if (const toml::node* n = root.get("callees")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return r.error(n, "callees", "expected a table");
    if (auto e = r.check_keys(*t, "callees.", {"human", "machine", "busy", "failed", "ring",
                                               "machine_detect", "busy_signal", "patience"}))
      return *e;
    if (auto e = r.number(*t, "callees.", "human", s.human, 0, 1)) return *e;
    if (auto e = r.number(*t, "callees.", "machine", s.machine, 0, 1)) return *e;
    if (auto e = r.number(*t, "callees.", "busy", s.busy, 0, 1)) return *e;
    if (auto e = r.number(*t, "callees.", "failed", s.failed, 0, 1)) return *e;
    if (auto e = r.duration(*t, "callees.", "ring", s.ring)) return *e;
    if (auto e = r.duration(*t, "callees.", "machine_detect", s.machine_detect)) return *e;
    if (auto e = r.duration(*t, "callees.", "busy_signal", s.busy_signal)) return *e;
    if (auto e = r.number(*t, "callees.", "patience", s.patience_s, 0.1, 3600)) return *e;
    if (s.human + s.machine + s.busy + s.failed > 1.0 + 1e-9)
      return r.error(n, "callees", "human + machine + busy + failed must not exceed 1 (the rest is no answer)");
  }
  if (const toml::node* n = root.get("handling")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return r.error(n, "handling", "expected a table");
    if (auto e = r.check_keys(*t, "handling.", {"talk", "wrap", "preview_think", "preview_skip",
                                                "login_stagger"}))
      return *e;
    if (auto e = r.duration(*t, "handling.", "talk", s.talk)) return *e;
    if (auto e = r.duration(*t, "handling.", "wrap", s.wrap)) return *e;
    if (auto e = r.duration(*t, "handling.", "preview_think", s.preview_think)) return *e;
    if (auto e = r.number(*t, "handling.", "preview_skip", s.preview_skip, 0, 1)) return *e;
    if (auto e = r.number(*t, "handling.", "login_stagger", s.login_stagger_s, 0, 86400)) return *e;
  }
  if (const toml::node* n = root.get("breaks")) {
    const toml::array* a = n->as_array();
    if (a == nullptr) return r.error(n, "breaks", "expected an array of tables ([[breaks]])");
    for (const toml::node& item : *a) {
      const toml::table* t = item.as_table();
      if (t == nullptr) return r.error(&item, "breaks", "expected a table");
      if (auto e = r.check_keys(*t, "breaks.", {"at", "duration", "stagger", "share"})) return *e;
      BreakPlan b;
      if (t->get("at") == nullptr || t->get("duration") == nullptr)
        return r.error(&item, "breaks", "needs at and duration (seconds)");
      if (auto e = r.number(*t, "breaks.", "at", b.at_s, 0, 1e7)) return *e;
      if (auto e = r.number(*t, "breaks.", "duration", b.duration_s, 1, 86400)) return *e;
      if (auto e = r.number(*t, "breaks.", "stagger", b.stagger_s, 0, 86400)) return *e;
      if (auto e = r.number(*t, "breaks.", "share", b.share, 0, 1)) return *e;
      s.breaks.push_back(b);
    }
  }
  if (const toml::node* n = root.get("dialer")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return r.error(n, "dialer", "expected a table");
    if (auto e = r.check_keys(*t, "dialer.", {"ring_timeout", "grace", "message", "window", "time_zone"}))
      return *e;
    if (auto e = r.number(*t, "dialer.", "ring_timeout", s.ring_timeout_s, 1, 600)) return *e;
    if (auto e = r.number(*t, "dialer.", "grace", s.grace_s, 0, 60)) return *e;
    if (auto e = r.number(*t, "dialer.", "message", s.message_s, 0, 600)) return *e;
    if (auto e = r.text(*t, "dialer.", "window", s.window)) return *e;
    if (auto e = r.text(*t, "dialer.", "time_zone", s.time_zone)) return *e;
    auto window = dialer::parse_abandonment_window(s.window);
    if (s.window != "us" && s.window != "uk" && s.window != "ca")
      return r.error(t->get("window"), "dialer.window", "must be us, uk or ca");
    // The zone the calendar-month ledger counts in; the run would otherwise
    // fall back to the US window.
    if (auto ledger = dialer::AbandonmentLedger::create(*window, s.time_zone); !ledger) {
      std::string why = ledger.error().message;
      if (size_t colon = why.find(": "); colon != std::string::npos) why.erase(0, colon + 2);
      return r.error(t->get("time_zone"), "dialer.time_zone", why);
    }
  }
  if (const toml::node* n = root.get("gate")) {
    const toml::table* t = n->as_table();
    if (t == nullptr) return r.error(n, "gate", "expected a table");
    if (auto e = r.check_keys(*t, "gate.", {"deny"})) return *e;
    if (const toml::node* dn = t->get("deny")) {
      const toml::table* d = dn->as_table();
      if (d == nullptr) return r.error(dn, "gate.deny", "expected a table of reason = share");
      for (const auto& [k, v] : *d) {
        double share = 0;
        if (auto e = r.number(*d, "gate.deny.", k.str(), share, 0, 1)) return *e;
        s.deny.emplace_back(std::string(k.str()), share);
      }
    }
  }
  if (const toml::node* n = root.get("drift")) {
    const toml::array* a = n->as_array();
    if (a == nullptr) return r.error(n, "drift", "expected an array of tables ([[drift]])");
    for (const toml::node& item : *a) {
      const toml::table* t = item.as_table();
      if (t == nullptr) return r.error(&item, "drift", "expected a table");
      if (auto e = r.check_keys(*t, "drift.", {"at", "ramp", "human", "machine", "busy", "failed",
                                               "ring_mean", "ring_sd", "talk_mean", "talk_sd",
                                               "wrap_mean", "wrap_sd"}))
        return *e;
      DriftStep d;
      if (t->get("at") == nullptr) return r.error(&item, "drift", "needs at (seconds)");
      if (auto e = r.number(*t, "drift.", "at", d.at_s, 0, 1e7)) return *e;
      if (auto e = r.number(*t, "drift.", "ramp", d.ramp_s, 0, 1e7)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "human", d.human, 0, 1)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "machine", d.machine, 0, 1)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "busy", d.busy, 0, 1)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "failed", d.failed, 0, 1)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "ring_mean", d.ring_mean, 0.001, 1e6)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "ring_sd", d.ring_sd, 0, 1e6)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "talk_mean", d.talk_mean, 0.001, 1e6)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "talk_sd", d.talk_sd, 0, 1e6)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "wrap_mean", d.wrap_mean, 0.001, 1e6)) return *e;
      if (auto e = r.opt_number(*t, "drift.", "wrap_sd", d.wrap_sd, 0, 1e6)) return *e;
      if (!s.drift.empty() && d.at_s < s.drift.back().at_s)
        return r.error(&item, "drift", "steps must be in ascending order of at");
      // Two ramps of one field at once would make it a curve (one lerp of
      // another), which the check below could not bound by its ends.
      for (const DriftStep& o : s.drift) {
        if (o.at_s + o.ramp_s <= d.at_s) continue;
        for (const auto& [name, mine, theirs] : drift_fields(d, o)) {
          if (mine && theirs)
            return r.error(&item, "drift", std::string("changes ") + name + " while the ramp of the step at " +
                                               Reader::fmt(o.at_s) + " s is still running");
        }
      }
      s.drift.push_back(d);
    }
    // Every moment of the run must still be a valid world. Each share is a
    // line between consecutive step starts and ends, so it is enough to look
    // at those moments, both as the step takes effect and just before.
    for (const DriftStep& d : s.drift) {
      for (double t : {d.at_s, d.at_s + d.ramp_s}) {
        Scenario before = s;
        before.drift.erase(std::find_if(before.drift.begin(), before.drift.end(),
                                        [t](const DriftStep& o) { return o.at_s >= t; }),
                           before.drift.end());
        for (const WorldMoment& m : {s.at(t), before.at(t)}) {
          if (m.human + m.machine + m.busy + m.failed > 1.0 + 1e-9)
            return r.error(n, "drift", "at " + Reader::fmt(t) +
                                           " s human + machine + busy + failed would exceed 1");
        }
      }
    }
  }
  return s;
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("io_error", path + ": cannot open scenario file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_scenario(text.str(), path);
}

}  // namespace telemark::sim
