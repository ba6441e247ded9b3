// The compliance engine's input (CallIntent: every fact about one proposed
// call) and output (Decision: verdict, reason codes, rule packs applied,
// local times evaluated, earliest lawful instant).
//
// The engine never reads files, databases or clocks: its caller resolves
// the facts (registry membership and as-of dates, internal-list membership,
// call history, the number's candidate time zones) and hands them over here.
// Everything is a fixed-size value with no heap allocation, so building an
// intent and deciding it costs no malloc on the hot path. Names that need
// strings (zones, registries, rule packs) travel as small ids issued by the
// Engine and RuleSet; Engine::explain() turns a Decision into strings.
//
// Value types: not synchronized; safe to copy between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "compliance/inline_vector.h"
#include "phone/phone.h"

namespace telemark::compliance {

// ---- Enumerations (stable spellings in to_string/parse) --------------------

enum class Purpose : uint8_t { kSales, kCharity, kPolitical, kSurvey, kDebtCollection, kInformational };
enum class Caller : uint8_t { kSelf, kTelemarketer };
enum class CallType : uint8_t { kLive, kPrerecorded };
enum class Verdict : uint8_t { kCallable, kNotNow, kBlocked };

// Stable reason codes: extend at the end, never rename or renumber (they are
// stored in receipts and scrub outputs).
enum class ReasonCode : uint8_t {
  kInvalidNumber,         // "invalid_number"
  kCountryNotEnabled,     // "country_not_enabled"
  kInternalDnc,           // "internal_dnc"
  kRegistry,              // "registry:NAME": on the registry, no exemption
  kRegistryStale,         // "registry_stale:NAME": copy older than the rule's maximum age
  kRegistryMissing,       // "registry_missing:NAME": the rule needs it, no copy loaded
  kConsentRevoked,        // "consent_revoked"
  kConsentRequired,       // "consent_required"
  kOutsideCallingHours,   // "outside_calling_hours"
  kRestrictedDay,         // "restricted_day": Sunday, holiday, or a day with no window
  kFrequencyCap,          // "frequency_cap"
  kAbandonLockout,        // "abandon_lockout"
  kNoRulePack,            // "no_rule_pack": enabled country that no rule pack covers
  kUnknownTimeZone,       // "unknown_time_zone": hours apply but no candidate zone is known
};
inline constexpr int kReasonCodeCount = 14;

std::string_view to_string(Purpose p);
std::string_view to_string(Caller c);
std::string_view to_string(CallType t);
std::string_view to_string(Verdict v);
// The bare code ("registry", "registry_stale", ...), without a registry name.
std::string_view to_string(ReasonCode r);
std::optional<Purpose> parse_purpose(std::string_view s);
std::optional<Caller> parse_caller(std::string_view s);
std::optional<CallType> parse_call_type(std::string_view s);
std::optional<Verdict> parse_verdict(std::string_view s);
std::optional<ReasonCode> parse_reason_code(std::string_view s);
// A reason code that depends on a registry (registry, registry_stale, registry_missing).
constexpr bool names_registry(ReasonCode r) {
  return r == ReasonCode::kRegistry || r == ReasonCode::kRegistryStale ||
         r == ReasonCode::kRegistryMissing;
}
// Reasons that time alone cures (the verdict is not_now when only these hold).
constexpr bool is_temporal(ReasonCode r) {
  return r == ReasonCode::kOutsideCallingHours || r == ReasonCode::kRestrictedDay ||
         r == ReasonCode::kFrequencyCap || r == ReasonCode::kAbandonLockout;
}

// ---- Small codes ----------------------------------------------------------

// ISO 3166 alpha-2 country, packed as two upper-case ASCII letters ('U'<<8|'S').
// 0 means unknown. "UK" is accepted as an alias of "GB".
using CountryCode = uint16_t;
// State / province code ("FL", "ON"), up to 4 upper-case ASCII letters or
// digits packed big-endian. 0 means unknown.
using RegionCode = uint32_t;
CountryCode country_code(std::string_view s);  // 0 if not two letters
RegionCode region_code(std::string_view s);    // 0 if empty, too long or not alphanumeric
std::string country_string(CountryCode c);
std::string region_string(RegionCode r);

// Issued by Engine::zone_id() for an IANA zone name.
using ZoneId = uint16_t;
// Issued by RuleSet::registry_id() for a registry name the rule packs use.
using RegistryId = uint8_t;
inline constexpr RegistryId kNoRegistry = 0xFF;
inline constexpr size_t kMaxRegistries = 64;
// The NANP "1" prefix alone lists 42 zones; a number with more candidates
// than this is treated as having no usable zone (fail closed).
inline constexpr size_t kMaxCandidateZones = 48;
inline constexpr size_t kMaxCampaignCountries = 16;
inline constexpr size_t kMaxAttemptTimes = 16;

// A daily window in the callee's local time, minutes after midnight,
// [start, end); `days` bit d set = weekday d allowed (0 = Sunday).
struct LocalWindow {
  uint16_t start_minute = 0;
  uint16_t end_minute = 24 * 60;
  uint8_t days = 0x7F;
  friend bool operator==(const LocalWindow&, const LocalWindow&) = default;
};

// "mon".."sun" (any case) -> 0 (Sunday)..6.
std::optional<unsigned> parse_weekday(std::string_view s);
// "mon-fri", "sat", "sat-sun", "mon,wed,fri", "fri-mon" (wraps) -> bit d = weekday d.
std::optional<uint8_t> parse_day_set(std::string_view spec);
// "HH:MM" between 00:00 and 24:00 -> minutes after midnight.
std::optional<uint16_t> parse_clock_minutes(std::string_view s);

// ---- The intent -----------------------------------------------------------

struct NumberFacts {
  uint64_t e164 = 0;            // digits without '+'
  bool valid = false;           // false: decided as invalid_number, nothing else evaluated
  CountryCode country = 0;      // of the number (libphonenumber's region: "US", "CA", "IT", "GB")
  RegionCode region = 0;        // state/province of the NANP area code; 0 = unknown
  phone::NumberType type = phone::NumberType::kUnknown;
  InlineVector<ZoneId, kMaxCandidateZones> zones;  // every zone the callee may be in
  bool zones_overflow = false;  // more candidates than fit: treated as unknown
};

struct LeadFacts {
  RegionCode address_region = 0;  // state/province of the postal address; 0 = unknown
  std::array<char, 12> postal_code{};  // carried for receipts; no current rule reads it
  std::optional<Instant> consent_at;          // express (written where the law says so) consent to this caller
  std::optional<Instant> consent_revoked_at;  // latest revocation
  std::optional<Instant> last_purchase_at;    // purchase, payment or donation
  std::optional<Instant> last_inquiry_at;     // inquiry or application
  bool contract_active = false;
  std::optional<Instant> contract_ended_at;
};

struct Campaign {
  Purpose purpose = Purpose::kSales;
  Caller caller = Caller::kSelf;
  CallType call_type = CallType::kLive;
  InlineVector<CountryCode, kMaxCampaignCountries> countries;
  uint64_t extra_registries = 0;  // bit RegistryId: optional registries the campaign enables
  std::optional<LocalWindow> hours;  // company window, stricter than the law, callee's local time
};

struct RegistryFact {
  bool present = false;  // a copy of this registry is loaded
  bool member = false;   // the number is on it
  std::chrono::sys_days as_of{};  // date of the copy
  // Date the number was registered, when the registry says (Italy's RPO
  // cancels consents given before it). Unknown = fail closed.
  std::optional<std::chrono::sys_days> registered_on;
};

struct CallHistory {
  // Attempts in the 24 hours before `at` for this campaign / subject whose
  // times are unknown or not listed below. Counted as if made at `at`.
  uint16_t attempts_24h = 0;
  // Times of recent attempts, when known (any order, at most kMaxAttemptTimes).
  InlineVector<Instant, kMaxAttemptTimes> attempt_times;
  std::optional<Instant> last_abandoned_at;
};

struct CallIntent {
  NumberFacts number;
  LeadFacts lead;
  Campaign campaign;
  std::array<RegistryFact, kMaxRegistries> registries{};  // indexed by RegistryId
  bool internal_dnc = false;  // on the tenant's (and, for a telemarketer, the client's) internal list
  CallHistory history;
  Instant at{};  // the moment of the call, UTC
};

// ---- The decision ---------------------------------------------------------

struct Reason {
  ReasonCode code{};
  RegistryId registry = kNoRegistry;  // for names_registry(code)
  friend bool operator==(const Reason&, const Reason&) = default;
  friend auto operator<=>(const Reason&, const Reason&) = default;
};

struct LocalTime {
  ZoneId zone = 0;
  int32_t utc_offset_seconds = 0;
  friend bool operator==(const LocalTime&, const LocalTime&) = default;
};

struct Decision {
  Verdict verdict = Verdict::kBlocked;
  InlineVector<Reason, 32> reasons;      // sorted, no duplicates
  std::optional<Instant> next_allowed_at;  // set only when verdict == kNotNow
  uint64_t packs = 0;                    // bit i: RuleSet::packs()[i] was applied
  Instant evaluated_at{};
  InlineVector<LocalTime, kMaxCandidateZones> local_times;  // at evaluated_at, per candidate zone

  bool has(ReasonCode c) const {
    for (const Reason& r : reasons)
      if (r.code == c) return true;
    return false;
  }
};

}  // namespace telemark::compliance
