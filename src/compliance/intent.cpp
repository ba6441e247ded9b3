#include "compliance/intent.h"

#include <array>

namespace telemark::compliance {

namespace {

constexpr std::array<std::string_view, 6> kPurposes = {"sales",  "charity",         "political",
                                                       "survey", "debt_collection", "informational"};
constexpr std::array<std::string_view, 2> kCallers = {"self", "telemarketer"};
constexpr std::array<std::string_view, 2> kCallTypes = {"live", "prerecorded"};
constexpr std::array<std::string_view, 3> kVerdicts = {"callable", "not_now", "blocked"};
constexpr std::array<std::string_view, kReasonCodeCount> kReasons = {
    "invalid_number",        "country_not_enabled", "internal_dnc",   "registry",
    "registry_stale",        "registry_missing",    "consent_revoked", "consent_required",
    "outside_calling_hours", "restricted_day",      "frequency_cap",  "abandon_lockout",
    "no_rule_pack",          "unknown_time_zone"};

template <class E, size_t N>
std::optional<E> find(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool alnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

std::string_view to_string(Purpose p) { return kPurposes[static_cast<size_t>(p)]; }
std::string_view to_string(Caller c) { return kCallers[static_cast<size_t>(c)]; }
std::string_view to_string(CallType t) { return kCallTypes[static_cast<size_t>(t)]; }
std::string_view to_string(Verdict v) { return kVerdicts[static_cast<size_t>(v)]; }
std::string_view to_string(ReasonCode r) { return kReasons[static_cast<size_t>(r)]; }

std::optional<Purpose> parse_purpose(std::string_view s) { return find<Purpose>(kPurposes, s); }
std::optional<Caller> parse_caller(std::string_view s) { return find<Caller>(kCallers, s); }
std::optional<CallType> parse_call_type(std::string_view s) { return find<CallType>(kCallTypes, s); }
std::optional<Verdict> parse_verdict(std::string_view s) { return find<Verdict>(kVerdicts, s); }
std::optional<ReasonCode> parse_reason_code(std::string_view s) {
  return find<ReasonCode>(kReasons, s);
}

CountryCode country_code(std::string_view s) {
  if (s.size() != 2) return 0;
  char a = upper(s[0]), b = upper(s[1]);
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return 0;
  if (a == 'U' && b == 'K') b = 'B', a = 'G';
  return static_cast<CountryCode>((a << 8) | b);
}

RegionCode region_code(std::string_view s) {
  if (s.empty() || s.size() > 4) return 0;
  RegionCode r = 0;
  for (char c : s) {
    if (!alnum(c)) return 0;
    r = (r << 8) | static_cast<unsigned char>(upper(c));
  }
  return r;
}

std::optional<unsigned> parse_weekday(std::string_view s) {
  static constexpr std::string_view names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  if (s.size() != 3) return std::nullopt;
  char lower[3];
  for (int i = 0; i < 3; ++i)
    lower[i] = static_cast<char>(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
  for (unsigned i = 0; i < 7; ++i)
    if (std::string_view(lower, 3) == names[i]) return i;
  return std::nullopt;
}

std::optional<uint8_t> parse_day_set(std::string_view spec) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    return v;
  };
  uint8_t mask = 0;
  if (trim(spec).empty()) return std::nullopt;
  size_t pos = 0;
  while (true) {
    size_t comma = spec.find(',', pos);
    std::string_view item =
        trim(spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      auto d = parse_weekday(item);
      if (!d) return std::nullopt;
      mask |= static_cast<uint8_t>(1u << *d);
    } else {
      auto a = parse_weekday(trim(item.substr(0, dash)));
      auto b = parse_weekday(trim(item.substr(dash + 1)));
      if (!a || !b) return std::nullopt;
      for (unsigned d = *a;; d = (d + 1) % 7) {
        mask |= static_cast<uint8_t>(1u << d);
        if (d == *b) break;
      }
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return mask;
}

std::optional<uint16_t> parse_clock_minutes(std::string_view s) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.size() != 5 || !digit(s[0]) || !digit(s[1]) || s[2] != ':' || !digit(s[3]) || !digit(s[4]))
    return std::nullopt;
  int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h > 24 || m > 59 || (h == 24 && m != 0)) return std::nullopt;
  return static_cast<uint16_t>(h * 60 + m);
}

std::string country_string(CountryCode c) {
  if (c == 0) return "";
  return std::string{static_cast<char>(c >> 8), static_cast<char>(c & 0xFF)};
}

std::string region_string(RegionCode r) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((r >> shift) & 0xFF);
    if (c) out.push_back(c);
  }
  return out;
}

}  // namespace telemark::compliance
