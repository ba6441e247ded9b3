// The decision procedure. Kept allocation-free: applicable rules and zones
// are gathered into fixed-capacity arrays of pointers, reasons into the
// Decision's inline vector (bench/decide_bench.cpp measures the cost).
#include "compliance/engine.h"

#include <algorithm>
#include <climits>
#include <cstdio>

#include "base/time.h"
#include "compliance/rules_internal.h"

namespace telemark::compliance {

using namespace detail;
using namespace std::chrono;

namespace {

constexpr int64_t kDaySec = 86400;
constexpr int64_t kMicros = 1000000;
constexpr int64_t kNever = INT64_MAX;

int64_t floordiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t us(Instant t) { return t.time_since_epoch().count(); }
Instant from_us(int64_t v) { return Instant(microseconds(v)); }
unsigned weekday_of(int64_t day) { return static_cast<unsigned>(((day % 7) + 11) % 7); }  // 1970-01-01: Thursday
int64_t day_of(sys_days d) { return d.time_since_epoch().count(); }

// Calendar months after `t`, same wall-clock UTC time, the day clamped to
// the month's end (Aug 31 + 6 months = Feb 28/29).
int64_t add_months_us(int64_t t_us, int months) {
  int64_t day = floordiv(t_us, kDaySec * kMicros);
  int64_t rest = t_us - day * kDaySec * kMicros;
  year_month_day ymd{sys_days{days{day}}};
  year_month ym = year_month{ymd.year(), ymd.month()} + std::chrono::months{months};
  unsigned last = static_cast<unsigned>((ym / std::chrono::last).day());
  unsigned d = std::min(static_cast<unsigned>(ymd.day()), last);
  return day_of(sys_days{ym / std::chrono::day{d}}) * kDaySec * kMicros + rest;
}

struct DayWindow {
  Window w;
  bool restricted = false;
  bool open() const { return !restricted && !w.empty(); }
};

// Everything decide() needs, gathered once per call.
struct Applicable {
  const CompiledRules* rules = nullptr;
  const CountryRules* cr = nullptr;
  const CallIntent* in = nullptr;
  int64_t now = 0;  // µs
  InlineVector<const HoursRule*, kMaxRulesPerKind> hours;
  InlineVector<const RegistryRule*, kMaxRulesPerKind> registries;
  InlineVector<const CapRule*, kMaxRulesPerKind> caps;
  InlineVector<const LockoutRule*, kMaxRulesPerKind> lockouts;
  InlineVector<const ConsentRule*, kMaxRulesPerKind> consents;
  InlineVector<const ZoneTable*, kMaxCandidateZones> zones;
  bool hours_apply = false;
  // Attempts for frequency caps: known times (≤ now) sorted newest first,
  // plus `unknown` attempts counted as if made at `now`.
  InlineVector<int64_t, kMaxAttemptTimes> attempts;
  int unknown_attempts = 0;

  DayWindow day_window(int64_t day) const {
    DayWindow dw;
    unsigned wd = weekday_of(day);
    for (const HoursRule* r : hours) {
      if (day < r->h.effective_day()) continue;
      Window rw = r->by_weekday[wd];
      if (rw.empty()) dw.restricted = true;
      if (r->calendar >= 0) {
        const Calendar& cal = rules->calendars[static_cast<size_t>(r->calendar)];
        if (r->holidays_closed && cal.is_holiday(day)) dw.restricted = true;
        if (r->eve_window && cal.is_eve(day)) rw = intersect(rw, *r->eve_window);
      }
      dw.w = intersect(dw.w, rw);
    }
    if (const auto& company = in->campaign.hours) {
      if (!(company->days & (1u << wd))) dw.restricted = true;
      dw.w = intersect(dw.w, Window{static_cast<int16_t>(company->start_minute),
                                    static_cast<int16_t>(company->end_minute)});
    }
    return dw;
  }

  // Is the call within hours in `zone` at t? If not, why, and (when `next`
  // is given) the earliest instant > t at which it is.
  bool zone_ok(const ZoneTable& zone, int64_t t, ReasonCode* why, int64_t* next) const {
    int64_t ts = floordiv(t, kMicros);
    int64_t local = ts + zone.offset_at(ts);
    int64_t day = floordiv(local, kDaySec);
    int64_t sod = local - day * kDaySec;
    DayWindow dw = day_window(day);
    if (dw.open() && sod >= dw.w.start * 60 && sod < dw.w.end * 60) return true;
    if (why) *why = dw.restricted ? ReasonCode::kRestrictedDay : ReasonCode::kOutsideCallingHours;
    if (!next) return false;
    *next = kNever;
    if (dw.open() && sod < dw.w.start * 60) {
      int64_t u = zone.first_utc_at_or_after(day * kDaySec + dw.w.start * 60, ts);
      if (u != kNever && u * kMicros > t) {
        *next = u * kMicros;
        return false;
      }
    }
    for (int64_t d = day + 1; d <= day + Engine::kSearchDays + 1; ++d) {
      DayWindow w = day_window(d);
      if (!w.open()) continue;
      int64_t u = zone.first_utc_at_or_after(d * kDaySec + w.w.start * 60, ts);
      if (u != kNever && u * kMicros > t) {
        *next = u * kMicros;
        return false;
      }
    }
    return false;
  }

  // Earliest instant >= t at which rule `r`'s cap is not reached.
  int64_t cap_next(const CapRule& r, int64_t t) const {
    int64_t t_day = floordiv(t, kDaySec * kMicros);
    if (t_day < r.h.effective_day()) return t;
    size_t k = static_cast<size_t>(r.max_calls);  // the k-th most recent attempt decides
    int64_t kth;
    if (k <= static_cast<size_t>(unknown_attempts)) {
      kth = now;
    } else {
      size_t i = k - static_cast<size_t>(unknown_attempts) - 1;
      if (i >= attempts.size()) return t;
      kth = attempts[i];
    }
    // Attempts count while in (t - window, t]: the k-th most recent one
    // stops counting at kth + window.
    int64_t free_at = kth + r.window_seconds * kMicros;
    return free_at > t ? free_at : t;
  }

  int64_t lockout_next(const LockoutRule& r, int64_t t) const {
    int64_t t_day = floordiv(t, kDaySec * kMicros);
    if (t_day < r.h.effective_day()) return t;
    const auto& last = in->history.last_abandoned_at;
    if (!last || us(*last) > now) return t;
    int64_t until = us(*last) + r.lockout_seconds * kMicros;
    return until > t ? until : t;
  }
};

bool known(const std::optional<Instant>& v, int64_t now) { return v && us(*v) <= now; }

bool consent_in_force(const LeadFacts& l, int64_t now) {
  if (!known(l.consent_at, now)) return false;
  return !(known(l.consent_revoked_at, now) && us(*l.consent_revoked_at) >= us(*l.consent_at));
}

bool revocation_in_force(const LeadFacts& l, int64_t now) {
  if (!known(l.consent_revoked_at, now)) return false;
  return !known(l.consent_at, now) || us(*l.consent_revoked_at) >= us(*l.consent_at);
}

bool ebr_holds(const EbrTerms& e, const LeadFacts& l, int64_t now, int64_t t) {
  if (e.purchase_months > 0 && known(l.last_purchase_at, now) &&
      t <= add_months_us(us(*l.last_purchase_at), e.purchase_months))
    return true;
  if (e.inquiry_months > 0 && known(l.last_inquiry_at, now) &&
      t <= add_months_us(us(*l.last_inquiry_at), e.inquiry_months))
    return true;
  if (e.contract_active && l.contract_active) return true;
  if (e.contract_ended_months > 0 && known(l.contract_ended_at, now) &&
      t <= add_months_us(us(*l.contract_ended_at), e.contract_ended_months))
    return true;
  return false;
}

// Exemptions that hold without looking at the registry.
bool exempt_without_registry(uint8_t exemptions, const EbrTerms& ebr, bool consent_needs_registry,
                             const LeadFacts& l, int64_t now, int64_t t) {
  if ((exemptions & kExemptConsent) && !consent_needs_registry && consent_in_force(l, now)) return true;
  if ((exemptions & kExemptEbr) && ebr_holds(ebr, l, now, t)) return true;
  if ((exemptions & kExemptPriorPurchase) && known(l.last_purchase_at, now)) return true;
  return false;
}

void add_reason(Decision& d, ReasonCode c, RegistryId reg = kNoRegistry) {
  Reason r{c, names_registry(c) ? reg : kNoRegistry};
  for (const Reason& x : d.reasons)
    if (x == r) return;
  d.reasons.try_push_back(r);
}

// Reasons that time cannot cure, evaluated as if the call happened at t.
// Once one holds it holds at every later t too: registry copies only age,
// relationship windows only close, rules only come into force.
void static_reasons(const Applicable& a, int64_t t, Decision& d) {
  const CallIntent& in = *a.in;
  const LeadFacts& lead = in.lead;
  int64_t t_day = floordiv(t, kDaySec * kMicros);
  for (const RegistryRule* r : a.registries) {
    if (t_day < r->h.effective_day()) continue;
    const RegistryFact& f = in.registries[r->registry];
    // Age in whole days between the copy's date and the call's UTC date.
    bool stale = r->max_age_days >= 0 && t_day - day_of(f.as_of) > r->max_age_days;
    // A fresh copy without the number needs no exemption; checking that
    // first spares most calls the calendar arithmetic below.
    if (f.present && !stale && !f.member) continue;
    if (exempt_without_registry(r->exemptions, r->ebr, r->consent_cancelled_by_registration, lead, a.now, t))
      continue;
    if (!f.present) {
      add_reason(d, ReasonCode::kRegistryMissing, r->registry);
      continue;
    }
    if (stale) {
      add_reason(d, ReasonCode::kRegistryStale, r->registry);
      continue;
    }
    if (!f.member) continue;
    if (r->consent_cancelled_by_registration && consent_in_force(lead, a.now)) {
      // A consent survives registration if given after it (strictly later
      // day: the registration date carries no time), or while a contract is
      // in force or ended less than contract_keeps_consent_days ago.
      int64_t consent_day = floordiv(us(*lead.consent_at), kDaySec * kMicros);
      bool after_registration = f.registered_on && consent_day > day_of(*f.registered_on);
      bool contract = lead.contract_active ||
                      (known(lead.contract_ended_at, a.now) &&
                       t < us(*lead.contract_ended_at) + r->contract_keeps_consent_days * kDaySec * kMicros);
      if (after_registration || contract) continue;
    }
    add_reason(d, ReasonCode::kRegistry, r->registry);
  }
  for (const ConsentRule* r : a.consents) {
    if (t_day < r->h.effective_day()) continue;
    if (exempt_without_registry(r->exemptions, r->ebr, false, lead, a.now, t)) continue;
    // A revocation is already its own (blocking) reason.
    if (!revocation_in_force(lead, a.now)) add_reason(d, ReasonCode::kConsentRequired);
  }
}

// The earliest instant >= start at which every temporal rule holds, or
// kNever within the search horizon. Each step jumps to the latest of the
// rules' own "earliest instant I hold"; that never passes the true answer,
// and a fixed point is an instant where all hold.
int64_t search(const Applicable& a, int64_t start) {
  const int64_t limit = start + int64_t{Engine::kSearchDays} * kDaySec * kMicros;
  int64_t t = start;
  for (int iter = 0; iter < 100000; ++iter) {
    int64_t target = t;
    if (a.hours_apply) {
      for (const ZoneTable* z : a.zones) {
        int64_t next = t;
        if (!a.zone_ok(*z, t, nullptr, &next)) {
          if (next == kNever) return kNever;
          target = std::max(target, next);
        }
      }
    }
    for (const CapRule* r : a.caps) target = std::max(target, a.cap_next(*r, t));
    for (const LockoutRule* r : a.lockouts) target = std::max(target, a.lockout_next(*r, t));
    if (target == t) return t;
    if (target > limit) return kNever;
    t = target;
  }
  return kNever;
}

void sort_reasons(Decision& d) { std::sort(d.reasons.begin(), d.reasons.end()); }

}  // namespace

Engine::Engine(std::shared_ptr<const RuleSet> rules)
    : rules_(std::move(rules)), zones_(std::make_unique<ZoneCatalog>()) {}
Engine::~Engine() = default;

Result<ZoneId> Engine::zone_id(std::string_view iana_name) const { return zones_->intern(iana_name); }

Decision Engine::decide(const CallIntent& in) const {
  Decision d;
  d.evaluated_at = in.at;
  const CompiledRules& rules = rules_->compiled();
  const NumberFacts& num = in.number;
  const Campaign& camp = in.campaign;

  if (!num.valid) {
    add_reason(d, ReasonCode::kInvalidNumber);
    d.verdict = Verdict::kBlocked;
    return d;
  }
  bool enabled = false;
  for (CountryCode c : camp.countries) enabled = enabled || c == num.country;
  if (!enabled) {
    add_reason(d, ReasonCode::kCountryNotEnabled);
    d.verdict = Verdict::kBlocked;
    return d;
  }
  const CountryRules* cr = rules.country(num.country);
  if (!cr) {
    add_reason(d, ReasonCode::kNoRulePack);
    d.verdict = Verdict::kBlocked;
    return d;
  }
  d.packs = cr->packs;

  Applicable a;
  a.rules = &rules;
  a.cr = cr;
  a.in = &in;
  a.now = us(in.at);

  // Where the callee may be: the area code's region and the address's; an
  // unknown area code could be anywhere in the country.
  uint64_t regions = num.region == 0 ? cr->all_region_bits()
                                     : cr->region_bit(num.region) | cr->region_bit(in.lead.address_region);
  auto applies = [&](const RuleHeader& h) {
    return (h.purposes & bit(camp.purpose)) && (h.all_regions || (h.region_mask & regions));
  };
  for (const HoursRule& r : cr->hours)
    if (applies(r.h)) a.hours.push_back(&r);
  for (const RegistryRule& r : cr->registries)
    if (applies(r.h) && (!r.optional || (camp.extra_registries >> r.registry) & 1u)) a.registries.push_back(&r);
  for (const CapRule& r : cr->caps)
    if (applies(r.h)) a.caps.push_back(&r);
  for (const LockoutRule& r : cr->lockouts)
    if (applies(r.h)) a.lockouts.push_back(&r);
  for (const ConsentRule& r : cr->consents)
    if (applies(r.h) && (r.callers & bit(camp.caller)) && (r.call_types & bit(camp.call_type)) &&
        (r.number_types & bit(num.type)))
      a.consents.push_back(&r);
  a.hours_apply = !a.hours.empty() || camp.hours.has_value();

  // An id this engine never issued cannot be trusted: treat the zones as
  // unknown (fail closed) rather than read a table that is not there.
  bool zones_valid = !num.zones_overflow;
  for (ZoneId z : num.zones) zones_valid = zones_valid && z < zones_->size();
  if (zones_valid) {
    for (ZoneId z : num.zones) {
      a.zones.push_back(&zones_->table(z));
      int64_t ts = floordiv(a.now, kMicros);
      d.local_times.push_back(LocalTime{z, zones_->table(z).offset_at(ts)});
    }
  }
  bool zones_unknown = a.hours_apply && a.zones.empty();

  if (!a.caps.empty()) {
    int in_window = 0;
    for (Instant t : in.history.attempt_times) {
      int64_t v = us(t);
      if (v > a.now) continue;
      a.attempts.push_back(v);
      if (v > a.now - 24 * 3600 * kMicros) ++in_window;
    }
    std::sort(a.attempts.begin(), a.attempts.end(), std::greater<int64_t>());
    a.unknown_attempts = std::max(0, static_cast<int>(in.history.attempts_24h) - in_window);
  }

  // Reasons no wait can cure.
  if (in.internal_dnc) add_reason(d, ReasonCode::kInternalDnc);
  if (revocation_in_force(in.lead, a.now)) add_reason(d, ReasonCode::kConsentRevoked);
  if (zones_unknown) add_reason(d, ReasonCode::kUnknownTimeZone);
  static_reasons(a, a.now, d);
  bool blocked = !d.reasons.empty();

  // Reasons time cures.
  bool temporal = false;
  if (a.hours_apply && !zones_unknown) {
    for (const ZoneTable* z : a.zones) {
      ReasonCode why{};
      if (!a.zone_ok(*z, a.now, &why, nullptr)) {
        add_reason(d, why);
        temporal = true;
      }
    }
  }
  for (const CapRule* r : a.caps) {
    if (a.cap_next(*r, a.now) > a.now) {
      add_reason(d, ReasonCode::kFrequencyCap);
      temporal = true;
    }
  }
  for (const LockoutRule* r : a.lockouts) {
    if (a.lockout_next(*r, a.now) > a.now) {
      add_reason(d, ReasonCode::kAbandonLockout);
      temporal = true;
    }
  }

  if (blocked) {
    d.verdict = Verdict::kBlocked;
  } else if (!temporal) {
    d.verdict = Verdict::kCallable;
  } else {
    int64_t next = search(a, a.now);
    if (next == kNever) {
      // No lawful instant within the horizon (e.g. candidate zones whose
      // windows never overlap): waiting does not help.
      d.verdict = Verdict::kBlocked;
    } else {
      size_t before = d.reasons.size();
      static_reasons(a, next, d);
      if (d.reasons.size() != before) {
        // By the time the window opens the registry copy is stale or the
        // exemption has lapsed: report that, since waiting will not help.
        d.verdict = Verdict::kBlocked;
      } else {
        d.verdict = Verdict::kNotNow;
        d.next_allowed_at = from_us(next);
      }
    }
  }
  sort_reasons(d);
  return d;
}

uint64_t Engine::registries_needed(const Campaign& camp, CountryCode country) const {
  const CountryRules* cr = rules_->compiled().country(country);
  if (!cr) return 0;
  uint64_t mask = 0;
  for (const RegistryRule& r : cr->registries)
    if ((r.h.purposes & bit(camp.purpose)) && (!r.optional || (camp.extra_registries >> r.registry) & 1u))
      mask |= uint64_t{1} << r.registry;
  return mask;
}

Status Engine::validate(const Campaign& camp) const {
  if (camp.countries.empty()) return make_error("bad_campaign", "the campaign enables no country");
  for (CountryCode c : camp.countries)
    if (!rules_->covers_country(c))
      return make_error("bad_campaign", "no rule pack covers country " + country_string(c));
  const auto& names = rules_->registry_names();
  for (size_t i = 0; i < kMaxRegistries; ++i) {
    if (!((camp.extra_registries >> i) & 1u)) continue;
    if (i >= names.size()) return make_error("bad_campaign", "extra registry id " + std::to_string(i) + " is unknown");
    if (!rules_->registry_is_optional(static_cast<RegistryId>(i)))
      return make_error("bad_campaign", "registry " + names[i] + " is always consulted; it is not an extra registry");
  }
  if (camp.hours && (camp.hours->start_minute >= camp.hours->end_minute || camp.hours->end_minute > 24 * 60))
    return make_error("bad_campaign", "company hours: end must be after start");
  return Status::Ok();
}

std::string Engine::reason_string(const Reason& r) const {
  std::string s(to_string(r.code));
  if (names_registry(r.code)) {
    const auto& names = rules_->registry_names();
    s += ":";
    s += r.registry < names.size() ? names[r.registry] : std::string("?");
  }
  return s;
}

std::string Engine::local_time_string(const LocalTime& t, Instant at) const {
  int64_t ts = floordiv(us(at), kMicros) + t.utc_offset_seconds;
  std::string local = format_iso8601(from_us(ts * kMicros));  // "...Z"
  local.pop_back();
  int off = t.utc_offset_seconds;
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, off / 3600, (off / 60) % 60);
  return zone_name(t.zone) + " " + local + buf;
}

Engine::Explanation Engine::explain(const Decision& d) const {
  Explanation e;
  e.verdict = std::string(to_string(d.verdict));
  for (const Reason& r : d.reasons) e.reasons.push_back(reason_string(r));
  if (d.next_allowed_at) e.next_allowed_at = format_iso8601(*d.next_allowed_at);
  for (const LocalTime& t : d.local_times) e.local_times.push_back(local_time_string(t, d.evaluated_at));
  const auto& packs = rules_->packs();
  for (size_t i = 0; i < packs.size() && i < 64; ++i)
    if ((d.packs >> i) & 1u) e.packs.push_back(packs[i].id + "@" + packs[i].version);
  return e;
}

}  // namespace telemark::compliance
