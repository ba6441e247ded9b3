#include "campaign/lifecycle.h"

#include <array>
#include <cstdio>

#include <date/tz.h>

#include "base/time.h"

namespace telemark::campaign {

namespace {

using compliance::Verdict;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::array<std::string_view, 8> kStateNames = {"new",  "in_progress", "contacted",   "follow_up",
                                                         "won",  "lost",        "do_not_call", "exhausted"};
constexpr std::array<std::string_view, 7> kFlagNames = {"human_answered", "contact", "success", "callback",
                                                        "do_not_call",    "final",   "bad_number"};
constexpr std::array<std::string_view, 4> kPresetNames = {"sales", "survey", "charity", "appointment"};
constexpr std::array<std::string_view, 6> kOutcomeNames = {"busy",      "no_answer",  "machine",
                                                           "abandoned", "bad_number", "failed"};

constexpr uint8_t F(DispositionFlag f) { return static_cast<uint8_t>(f); }
constexpr uint8_t kHuman = F(DispositionFlag::kHumanAnswered);
constexpr uint8_t kContact = F(DispositionFlag::kContact) | kHuman;
constexpr uint8_t kWon = kContact | F(DispositionFlag::kSuccess) | F(DispositionFlag::kFinal);
constexpr uint8_t kLostFinal = kContact | F(DispositionFlag::kFinal);
constexpr uint8_t kCallback = kContact | F(DispositionFlag::kCallback);
constexpr uint8_t kDnc = kHuman | F(DispositionFlag::kDoNotCall) | F(DispositionFlag::kFinal);
constexpr uint8_t kBad = kHuman | F(DispositionFlag::kBadNumber) | F(DispositionFlag::kFinal);

template <size_t N>
std::optional<size_t> find_name(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return i;
  return std::nullopt;
}

std::string reasons_text(const std::vector<compliance::Reason>& reasons) {
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : ",") + std::string(compliance::to_string(r.code));
  return out;
}

}  // namespace

std::string_view to_string(LeadState s) { return kStateNames[static_cast<size_t>(s)]; }
std::optional<LeadState> parse_lead_state(std::string_view s) {
  auto i = find_name(kStateNames, s);
  if (!i) return std::nullopt;
  return static_cast<LeadState>(*i);
}

std::optional<DispositionFlag> parse_disposition_flag(std::string_view s) {
  auto i = find_name(kFlagNames, s);
  if (!i) return std::nullopt;
  return static_cast<DispositionFlag>(1u << *i);
}
std::string_view to_string(DispositionFlag f) {
  for (size_t i = 0; i < kFlagNames.size(); ++i)
    if (static_cast<uint8_t>(f) == (1u << i)) return kFlagNames[i];
  return "?";
}

std::string_view to_string(DispositionPreset p) { return kPresetNames[static_cast<size_t>(p)]; }
std::optional<DispositionPreset> parse_disposition_preset(std::string_view s) {
  auto i = find_name(kPresetNames, s);
  if (!i) return std::nullopt;
  return static_cast<DispositionPreset>(*i);
}

DispositionPreset default_preset(compliance::Purpose purpose) {
  switch (purpose) {
    case compliance::Purpose::kSurvey: return DispositionPreset::kSurvey;
    case compliance::Purpose::kCharity:
    case compliance::Purpose::kPolitical: return DispositionPreset::kCharity;
    default: return DispositionPreset::kSales;
  }
}

std::vector<Disposition> preset_dispositions(DispositionPreset p) {
  // Shared by every preset: what any call can end with.
  std::vector<Disposition> common = {
      {"callback", kCallback},          {"do_not_call", kDnc},      {"wrong_number", kBad},
      {"not_available", kHuman},  // someone answered, not the person: try again later
      {"hung_up", kHuman},
  };
  std::vector<Disposition> own;
  switch (p) {
    case DispositionPreset::kSales:
      own = {{"sale", kWon}, {"not_interested", kLostFinal}, {"send_info", kContact}};
      break;
    case DispositionPreset::kSurvey:
      own = {{"completed", kWon}, {"refused", kLostFinal}, {"not_eligible", kLostFinal}, {"partial", kCallback}};
      break;
    case DispositionPreset::kCharity:
      own = {{"pledge", kWon}, {"declined", kLostFinal}, {"already_gave", kLostFinal}, {"send_info", kContact}};
      break;
    case DispositionPreset::kAppointment:
      own = {{"appointment_set", kWon}, {"not_interested", kLostFinal}, {"already_customer", kLostFinal}};
      break;
  }
  own.insert(own.end(), common.begin(), common.end());
  return own;
}

std::string_view to_string(NetworkOutcome o) { return kOutcomeNames[static_cast<size_t>(o)]; }
std::optional<NetworkOutcome> parse_network_outcome(std::string_view s) {
  auto i = find_name(kOutcomeNames, s);
  if (!i) return std::nullopt;
  return static_cast<NetworkOutcome>(*i);
}

std::optional<Duration> parse_delay(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    int64_t n = 0;
    size_t digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + (s[i++] - '0');
      if (++digits > 7) return std::nullopt;
    }
    if (digits == 0 || i >= s.size()) return std::nullopt;
    switch (s[i++]) {
      case 's': total += n; break;
      case 'm': total += n * 60; break;
      case 'h': total += n * 3600; break;
      case 'd': total += n * 86400; break;
      default: return std::nullopt;
    }
  }
  return std::chrono::seconds(total);
}

std::string format_delay(Duration d) {
  int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s == 0) return "0s";
  std::string out;
  for (auto [unit, len] : {std::pair{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
    if (s >= len) {
      out += std::to_string(s / len) + unit;
      s %= len;
    }
  }
  return out;
}

const Disposition* LifecyclePolicy::disposition(std::string_view code) const {
  for (const auto& d : dispositions)
    if (d.code == code) return &d;
  return nullptr;
}
const RetryRule* LifecyclePolicy::retry(std::string_view outcome) const {
  for (const auto& r : retries)
    if (r.outcome == outcome) return &r;
  return nullptr;
}

Result<LifecyclePolicy> build_policy(DispositionPreset preset, const std::vector<Disposition>& custom,
                                     const std::vector<RetryRule>& retry_overrides, uint32_t max_attempts) {
  LifecyclePolicy p;
  if (max_attempts) p.max_attempts = max_attempts;
  p.dispositions = preset_dispositions(preset);
  for (const auto& d : custom) {
    if (d.code.empty()) return make_error("bad_policy", "a disposition needs a code");
    if (auto* existing = const_cast<Disposition*>(p.disposition(d.code)))
      *existing = d;
    else
      p.dispositions.push_back(d);
  }
  // Defaults: short redials for busy lines, longer for nobody home and
  // machines (a different time of day is likelier to reach someone);
  // abandoned callees are called back soon, within the engine's lockouts.
  p.retries = {
      {"busy", minutes(15), p.max_attempts},          {"no_answer", hours(3), p.max_attempts},
      {"machine", hours(4), p.max_attempts},          {"abandoned", hours(1), p.max_attempts},
      {"failed", hours(1), std::min<uint32_t>(3, p.max_attempts)}, {"bad_number", {}, 0},
      {"not_available", hours(4), p.max_attempts},    {"hung_up", hours(24), std::min<uint32_t>(4, p.max_attempts)},
      {"send_info", hours(72), p.max_attempts},
  };
  for (const auto& r : retry_overrides) {
    if (!parse_network_outcome(r.outcome) && !p.disposition(r.outcome))
      return make_error("bad_policy", "retry." + r.outcome +
                                          ": neither a network outcome (busy, no_answer, machine, abandoned, "
                                          "bad_number, failed) nor a disposition of this campaign");
    if (auto* existing = const_cast<RetryRule*>(p.retry(r.outcome)))
      *existing = r;
    else
      p.retries.push_back(r);
  }
  return p;
}

LawfulTime next_lawful(const DecideAt& decide, Instant candidate) {
  compliance::Decision d = decide(candidate);
  LawfulTime out;
  for (const auto& r : d.reasons) out.reasons.push_back(r);
  if (d.verdict == Verdict::kCallable) out.at = candidate;
  else if (d.verdict == Verdict::kNotNow) out.at = d.next_allowed_at;
  return out;
}

BlockedStep blocked_step(const LifecyclePolicy& policy, LeadState state,
                         const std::vector<compliance::ReasonCode>& reasons, Instant now) {
  using compliance::ReasonCode;
  bool dnc = false, invalid = false;
  for (ReasonCode r : reasons) {
    dnc |= r == ReasonCode::kInternalDnc || r == ReasonCode::kRegistry || r == ReasonCode::kConsentRevoked;
    invalid |= r == ReasonCode::kInvalidNumber;
  }
  if (is_terminal(state)) return {state, std::nullopt};
  if (dnc) return {LeadState::kDoNotCall, std::nullopt};
  if (invalid) return {LeadState::kLost, std::nullopt};
  return {state, now + policy.blocked_recheck};
}

namespace {
// The next call is blocked outright: settle the step as blocked_step says.
void settle_blocked(const LifecyclePolicy& policy, NextStep& step, Instant now) {
  std::vector<compliance::ReasonCode> codes;
  for (const auto& r : step.blocked) codes.push_back(r.code);
  BlockedStep b = blocked_step(policy, step.state, codes, now);
  step.state = b.state;
  step.next_call_at = b.recheck_at;
}
}  // namespace

Result<NextStep> next_step(const LifecyclePolicy& policy, const LeadProgress& lead, const AttemptOutcome& outcome,
                           Instant now, const DecideAt& decide) {
  NextStep step;
  step.state = lead.state;
  std::string key;
  if (outcome.network) {
    key = std::string(to_string(*outcome.network));
    if (*outcome.network == NetworkOutcome::kBadNumber) step.state = LeadState::kLost;
    else if (lead.state == LeadState::kNew) step.state = LeadState::kInProgress;
    // A callback that found nobody is still the promise of the agent who made it.
    if (step.state == LeadState::kFollowUp) step.callback_agent = outcome.callback_agent;
  } else {
    const Disposition* d = policy.disposition(outcome.disposition);
    if (!d) {
      std::string known;
      for (const auto& x : policy.dispositions) known += (known.empty() ? "" : ", ") + x.code;
      return make_error("unknown_disposition",
                        "disposition \"" + outcome.disposition + "\" is not one of this campaign's (" + known + ")");
    }
    key = d->code;
    if (d->has(DispositionFlag::kDoNotCall)) {
      step.state = LeadState::kDoNotCall;
      step.add_to_internal_dnc = true;
      return step;
    }
    if (d->has(DispositionFlag::kSuccess)) {
      step.state = LeadState::kWon;
      return step;
    }
    if (d->has(DispositionFlag::kBadNumber) || d->has(DispositionFlag::kFinal)) {
      step.state = LeadState::kLost;
      return step;
    }
    if (d->has(DispositionFlag::kCallback)) {
      step.state = LeadState::kFollowUp;
      step.callback_agent = outcome.callback_agent;
      if (outcome.callback_at) {
        LawfulTime t = next_lawful(decide, *outcome.callback_at);
        if (t.at != outcome.callback_at) {
          std::string msg = "callback at " + format_iso8601(*outcome.callback_at) + " is not allowed (" +
                            reasons_text(t.reasons) + ")";
          if (t.at) msg += "; the next lawful time is " + format_iso8601(*t.at);
          return make_error("callback_not_allowed", msg);
        }
        step.next_call_at = t.at;
        return step;
      }
      LawfulTime t = next_lawful(decide, now + policy.callback_delay);
      step.next_call_at = t.at;
      if (!t.at) {
        step.blocked = t.reasons;
        settle_blocked(policy, step, now);
      }
      return step;
    }
    if (d->has(DispositionFlag::kContact)) step.state = LeadState::kContacted;
    else if (lead.state == LeadState::kNew) step.state = LeadState::kInProgress;
  }
  if (step.state == LeadState::kLost) {
    const RetryRule* bad = policy.retry(key);
    if (!bad || bad->max_attempts <= lead.attempts) return step;
    step.state = LeadState::kInProgress;  // the campaign chose to retry bad numbers
  }
  const RetryRule* rule = policy.retry(key);
  Duration delay = rule ? rule->delay : policy.callback_delay;
  uint32_t max = rule ? std::min(rule->max_attempts, policy.max_attempts) : policy.max_attempts;
  if (lead.attempts >= max) {
    step.state = LeadState::kExhausted;
    return step;
  }
  LawfulTime t = next_lawful(decide, now + delay);
  step.next_call_at = t.at;
  if (!t.at) {
    step.blocked = t.reasons;
    settle_blocked(policy, step, now);
  }
  return step;
}

Result<Instant> callback_instant(std::string_view local_time, std::string_view iana_zone) {
  // Parsed as if UTC, then reinterpreted as the zone's wall clock.
  if (local_time.find('Z') != std::string_view::npos || local_time.find('+') != std::string_view::npos ||
      (local_time.size() > 10 && local_time.substr(10).find('-') != std::string_view::npos))
    return make_error("bad_time", "callback time \"" + std::string(local_time) +
                                      "\": give the callee's local time without an offset, e.g. 2026-03-10T14:30");
  auto wall = parse_iso8601(local_time);
  if (!wall.ok()) return wall.error();
  const date::time_zone* zone = nullptr;
  try {
    zone = date::locate_zone(std::string(iana_zone));
  } catch (const std::exception&) {
    return make_error("bad_zone", "unknown time zone \"" + std::string(iana_zone) + "\"");
  }
  date::local_time<std::chrono::microseconds> local{wall->time_since_epoch()};
  // The offset in force before the wall time: an ambiguous time takes the
  // earlier instant, a time in a spring-forward gap lands after the gap.
  auto info = zone->get_info(local);
  return Instant(local.time_since_epoch() - std::chrono::duration_cast<Duration>(info.first.offset));
}

}  // namespace telemark::campaign
