// Holiday calendars: holidays described by rules (a fixed date, the nth or
// last weekday of a month, an offset from Western Easter, optionally with an
// observed day when the date falls on a weekend) and compiled into per-day
// bitsets for the years kFirstYear..kLastYear, so the engine asks "is this
// local date a holiday / the eve of one" with two bit tests.
//
// Days outside the compiled years count as holidays (fail closed).
// Thread-safety: a compiled Calendar is immutable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace telemark::compliance {

enum class Observed : uint8_t {
  kNone,            // only the date itself
  kNearestWeekday,  // also Friday for a Saturday date, Monday for a Sunday date (US style)
  kNextMonday,      // also the following Monday for a Saturday or Sunday date (UK style)
};

struct HolidayRule {
  enum class Kind : uint8_t { kFixed, kNthWeekday, kEaster };
  std::string name;
  Kind kind = Kind::kFixed;
  unsigned month = 1;   // kFixed, kNthWeekday
  unsigned day = 1;     // kFixed
  unsigned weekday = 0; // kNthWeekday, 0 = Sunday
  int nth = 1;          // kNthWeekday: 1..5, or -1 for the last
  int easter_offset = 0;  // kEaster: days after Easter Sunday (negative: before)
  Observed observed = Observed::kNone;
  int from_year = 0;      // inclusive; 0 = always
  int until_year = 9999;  // inclusive
};

// Western (Gregorian) Easter Sunday of `year`.
std::chrono::year_month_day easter_sunday(int year);
// The dates a rule yields in `year` (the date, plus its observed day if any).
std::vector<std::chrono::sys_days> holiday_dates(const HolidayRule& rule, int year);

class Calendar {
 public:
  static constexpr int kFirstYear = 1970;
  static constexpr int kLastYear = 2199;

  Calendar() = default;
  Calendar(std::string id, std::vector<HolidayRule> rules);

  const std::string& id() const { return id_; }
  const std::vector<HolidayRule>& rules() const { return rules_; }
  bool is_holiday(std::chrono::sys_days d) const { return test(holiday_, d.time_since_epoch().count()); }
  bool is_eve(std::chrono::sys_days d) const { return test(holiday_, d.time_since_epoch().count() + 1); }
  bool is_holiday(int64_t day) const { return test(holiday_, day); }
  bool is_eve(int64_t day) const { return test(holiday_, day + 1); }

 private:
  bool test(const std::vector<uint64_t>& bits, int64_t day) const {
    int64_t i = day - first_day_;
    if (i < 0 || i >= num_days_) return true;
    return (bits[static_cast<size_t>(i) >> 6] >> (i & 63)) & 1u;
  }

  std::string id_;
  std::vector<HolidayRule> rules_;
  int64_t first_day_ = 0;
  int64_t num_days_ = 0;
  std::vector<uint64_t> holiday_;
};

}  // namespace telemark::compliance
