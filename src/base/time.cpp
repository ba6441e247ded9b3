#include "base/time.h"

#include <cstdio>

namespace telemark {
namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

Error bad(std::string_view text, const char* why) {
  // Built with append: GCC 12 at -O3 warns falsely (-Wrestrict) on "lit" + string.
  std::string m = "'";
  m.append(text);
  m.append("' is not an ISO 8601 date or date-time (");
  m.append(why);
  m.append("); expected e.g. 2026-03-08 or 2026-03-08T14:30:00-05:00");
  return make_error("bad_time", std::move(m));
}

}  // namespace

Result<Instant> parse_iso8601(std::string_view text) {
  using namespace std::chrono;
  std::string_view s = text;
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  int y, mo, d;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return bad(text, "date must be YYYY-MM-DD");
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad(text, "no such calendar date");
  sys_days days{ymd};
  if (s.size() == 10) return Instant(days);
  if (s[10] != 'T' && s[10] != ' ' && s[10] != 't') return bad(text, "expected T between date and time");
  int hh, mm, ss = 0;
  size_t p = 11;
  if (!digits(s, p, 2, hh) || p + 2 >= s.size() + 0 || s[p + 2] != ':' || !digits(s, p + 3, 2, mm))
    return bad(text, "time must be HH:MM[:SS]");
  p += 5;
  int64_t micros = 0;
  if (p < s.size() && s[p] == ':') {
    if (!digits(s, p + 1, 2, ss)) return bad(text, "seconds must be two digits");
    p += 3;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      int64_t scale = 100000;
      size_t start = p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
        if (scale > 0) micros += (s[p] - '0') * scale;
        scale /= 10;
        ++p;
      }
      if (p == start) return bad(text, "empty fraction of a second");
    }
  }
  if (hh > 24 || mm > 59 || ss > 60 || (hh == 24 && (mm || ss))) return bad(text, "time out of range");
  int64_t offset_min = 0;
  if (p < s.size()) {
    char c = s[p];
    if ((c == 'Z' || c == 'z') && p + 1 == s.size()) {
      // UTC
    } else if (c == '+' || c == '-') {
      int oh, om = 0;
      if (!digits(s, p + 1, 2, oh)) return bad(text, "offset must be +HH:MM");
      size_t q = p + 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (q < s.size()) {
        if (!digits(s, q, 2, om) || q + 2 != s.size()) return bad(text, "offset must be +HH:MM");
      }
      if (oh > 18 || om > 59) return bad(text, "offset out of range");
      offset_min = (oh * 60 + om) * (c == '-' ? -1 : 1);
    } else {
      return bad(text, "unexpected text after the time");
    }
  }
  Instant t = Instant(days) + hours(hh) + minutes(mm) + seconds(ss) + microseconds(micros) -
              minutes(offset_min);
  return t;
}

std::string format_iso8601(Instant t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss<seconds> hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long long>(hms.hours().count()),
                static_cast<long long>(hms.minutes().count()),
                static_cast<long long>(hms.seconds().count()));
  return buf;
}

std::string format_date(Instant t) { return format_iso8601(t).substr(0, 10); }

}  // namespace telemark
