#include "compliance/calendar.h"

namespace telemark::compliance {

using namespace std::chrono;

year_month_day easter_sunday(int y) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4;
  int f = (b + 8) / 25, g = (b - f + 1) / 3;
  int h = (19 * a + b - d - g + 15) % 30;
  int i = c / 4, k = c % 4;
  int l = (32 + 2 * e + 2 * i - h - k) % 7;
  int m = (a + 11 * h + 22 * l) / 451;
  int month = (h + l - 7 * m + 114) / 31;
  int day = ((h + l - 7 * m + 114) % 31) + 1;
  return year{y} / static_cast<unsigned>(month) / static_cast<unsigned>(day);
}

std::vector<sys_days> holiday_dates(const HolidayRule& rule, int y) {
  std::vector<sys_days> out;
  if (y < rule.from_year || y > rule.until_year) return out;
  sys_days d;
  switch (rule.kind) {
    case HolidayRule::Kind::kFixed: {
      year_month_day ymd{year{y}, month{rule.month}, day{rule.day}};
      if (!ymd.ok()) return out;  // Feb 29 in a common year
      d = sys_days{ymd};
      break;
    }
    case HolidayRule::Kind::kNthWeekday: {
      weekday wd{rule.weekday};
      if (rule.nth < 0) {
        d = sys_days{year{y} / month{rule.month} / weekday_last{wd}};
      } else {
        year_month_weekday ymw{year{y}, month{rule.month},
                               weekday_indexed{wd, static_cast<unsigned>(rule.nth)}};
        if (!ymw.ok()) return out;  // no 5th Monday this month
        d = sys_days{ymw};
      }
      break;
    }
    case HolidayRule::Kind::kEaster:
      d = sys_days{easter_sunday(y)} + days{rule.easter_offset};
      break;
  }
  out.push_back(d);
  weekday wd{d};
  switch (rule.observed) {
    case Observed::kNone:
      break;
    case Observed::kNearestWeekday:
      if (wd == Saturday) out.push_back(d - days{1});
      if (wd == Sunday) out.push_back(d + days{1});
      break;
    case Observed::kNextMonday:
      if (wd == Saturday) out.push_back(d + days{2});
      if (wd == Sunday) out.push_back(d + days{1});
      break;
  }
  return out;
}

Calendar::Calendar(std::string id, std::vector<HolidayRule> rules)
    : id_(std::move(id)), rules_(std::move(rules)) {
  first_day_ = sys_days{year{kFirstYear} / January / 1}.time_since_epoch().count();
  int64_t end = sys_days{year{kLastYear + 1} / January / 1}.time_since_epoch().count();
  num_days_ = end - first_day_;
  holiday_.assign(static_cast<size_t>((num_days_ + 63) / 64), 0);
  // One year either side so observed days that cross a year boundary land.
  for (int y = kFirstYear - 1; y <= kLastYear + 1; ++y) {
    for (const HolidayRule& r : rules_) {
      for (sys_days d : holiday_dates(r, y)) {
        int64_t i = d.time_since_epoch().count() - first_day_;
        if (i < 0 || i >= num_days_) continue;
        holiday_[static_cast<size_t>(i) >> 6] |= uint64_t{1} << (i & 63);
      }
    }
  }
}

}  // namespace telemark::compliance
