#include "dialer/abandonment.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <vector>
#include <date/tz.h>

#include "base/time.h"

namespace telemark::dialer {
namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kMinute = 60;

int64_t bucket_seconds(AbandonmentWindow w) {
  return w == AbandonmentWindow::kUsRolling30Days ? kHour : kMinute;
}
int64_t window_seconds(AbandonmentWindow w) {
  return w == AbandonmentWindow::kUsRolling30Days ? 30 * 24 * kHour : 24 * kHour;
}
int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Restored state is checked against bounds no real ledger reaches, so that
// the arithmetic on it cannot overflow: bucket starts from 1970 through the
// year 9999, and totals exact in a double (rate()).
constexpr int64_t kLastSecond = 253402300799;  // 9999-12-31T23:59:59Z
constexpr uint64_t kMaxTotal = uint64_t{1} << 53;

Result<const date::time_zone*> find_zone(std::string_view name) {
  try {
    return date::locate_zone(std::string(name));
  } catch (const std::exception&) {
    return make_error("bad_time_zone", "abandonment ledger: unknown time zone '" +
                                           std::string(name) + "' (expected an IANA name)");
  }
}

}  // namespace

Result<AbandonmentWindow> parse_abandonment_window(std::string_view text) {
  if (text == "us" || text == "us_rolling_30d") return AbandonmentWindow::kUsRolling30Days;
  if (text == "uk" || text == "uk_rolling_24h") return AbandonmentWindow::kUkRolling24Hours;
  if (text == "ca" || text == "ca_calendar_month") return AbandonmentWindow::kCaCalendarMonth;
  return make_error("bad_window", "unknown abandonment window '" + std::string(text) +
                                      "' (expected us, uk or ca)");
}

const char* to_string(AbandonmentWindow window) {
  switch (window) {
    case AbandonmentWindow::kUsRolling30Days: return "us_rolling_30d";
    case AbandonmentWindow::kUkRolling24Hours: return "uk_rolling_24h";
    case AbandonmentWindow::kCaCalendarMonth: return "ca_calendar_month";
  }
  return "unknown";
}

double abandonment_limit(AbandonmentWindow window) {
  return window == AbandonmentWindow::kCaCalendarMonth ? 0.05 : 0.03;
}

AbandonmentLedger::AbandonmentLedger(AbandonmentWindow window, std::string zone_name,
                                     const date::time_zone* zone)
    : window_(window), zone_name_(std::move(zone_name)), zone_(zone) {}

Result<AbandonmentLedger> AbandonmentLedger::create(AbandonmentWindow window,
                                                    std::string_view time_zone) {
  const date::time_zone* zone = nullptr;
  if (window == AbandonmentWindow::kCaCalendarMonth) {
    auto z = find_zone(time_zone);
    if (!z) return z.error();
    zone = *z;
  }
  return AbandonmentLedger(window, std::string(time_zone), zone);
}

int64_t AbandonmentLedger::key_of(Instant t) const {
  if (window_ == AbandonmentWindow::kCaCalendarMonth) {
    auto local = zone_->to_local(std::chrono::time_point_cast<std::chrono::seconds>(t));
    return date::floor<date::days>(local).time_since_epoch().count();
  }
  return floor_div(to_unix_seconds(t), bucket_seconds(window_));
}

void AbandonmentLedger::add(Instant at, uint64_t answers, uint64_t abandoned) {
  int64_t key = key_of(at);
  sum_answers_ += answers;
  sum_abandoned_ += abandoned;
  if (buckets_.empty() || buckets_.back().key < key) {
    buckets_.push_back(Bucket{key, answers, abandoned});
    return;
  }
  if (buckets_.back().key == key) {
    buckets_.back().live_answers += answers;
    buckets_.back().abandoned += abandoned;
    return;
  }
  // Late record (an older event reported after a newer one): rare.
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), key,
                             [](const Bucket& b, int64_t k) { return b.key < k; });
  if (it != buckets_.end() && it->key == key) {
    it->live_answers += answers;
    it->abandoned += abandoned;
  } else {
    buckets_.insert(it, Bucket{key, answers, abandoned});
  }
}

AbandonmentTotals AbandonmentLedger::totals(Instant now) {
  auto drop_front = [this] {
    sum_answers_ -= buckets_.front().live_answers;
    sum_abandoned_ -= buckets_.front().abandoned;
    buckets_.pop_front();
  };
  AbandonmentTotals t;
  if (window_ == AbandonmentWindow::kCaCalendarMonth) {
    int64_t today = key_of(now);
    date::year_month_day ymd{date::sys_days{date::days{today}}};
    int64_t month_start = date::sys_days{ymd.year() / ymd.month() / 1}.time_since_epoch().count();
    while (!buckets_.empty() && buckets_.front().key < month_start) drop_front();
    t.live_answers = sum_answers_;
    t.abandoned = sum_abandoned_;
    return t;
  }
  const int64_t size = bucket_seconds(window_);
  const int64_t start = to_unix_seconds(now) - window_seconds(window_);  // window is (start, now]
  while (!buckets_.empty() && (buckets_.front().key + 1) * size <= start) drop_front();
  t.live_answers = sum_answers_;
  t.abandoned = sum_abandoned_;
  if (!buckets_.empty() && buckets_.front().key * size < start)
    t.live_answers -= buckets_.front().live_answers;  // partly outside: see header
  return t;
}

std::string AbandonmentLedger::save() const {
  std::string out = "telemark-abandonment-ledger 1\n";
  out += "window ";
  out += to_string(window_);
  out += "\nzone " + zone_name_ + "\n";
  for (const Bucket& b : buckets_) {
    out += "bucket " + std::to_string(b.key) + " " + std::to_string(b.live_answers) + " " +
           std::to_string(b.abandoned) + "\n";
  }
  return out;
}

Result<AbandonmentLedger> AbandonmentLedger::restore(std::string_view text, std::string_view source) {
  auto fail = [&](size_t line, const std::string& why) {
    return make_error("bad_ledger", std::string(source) + ":" + std::to_string(line) + ": " + why);
  };
  std::optional<AbandonmentWindow> window;
  std::string zone = "UTC";
  struct Row {
    int64_t key;
    uint64_t answers, abandoned;
    size_t line;
  };
  std::vector<Row> rows;
  bool header = false;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::vector<std::string_view> f;
    size_t pos = 0;
    while (pos < line.size()) {
      size_t sp = line.find(' ', pos);
      if (sp == std::string_view::npos) sp = line.size();
      if (sp > pos) f.push_back(line.substr(pos, sp - pos));
      pos = sp + 1;
    }
    if (f.empty()) continue;  // only spaces: a blank line
    if (!header) {
      if (f.size() != 2 || f[0] != "telemark-abandonment-ledger")
        return fail(line_no, "not an abandonment ledger (expected 'telemark-abandonment-ledger 1')");
      if (f[1] != "1") return fail(line_no, "unsupported ledger version " + std::string(f[1]));
      header = true;
      continue;
    }
    if (f[0] == "window" && f.size() == 2) {
      auto w = parse_abandonment_window(f[1]);
      if (!w) return fail(line_no, w.error().message);
      window = *w;
    } else if (f[0] == "zone" && f.size() == 2) {
      zone = std::string(f[1]);
    } else if (f[0] == "bucket" && f.size() == 4) {
      Row r{};
      r.line = line_no;
      auto num = [](std::string_view s, auto& out) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
        return ec == std::errc() && p == s.data() + s.size();
      };
      if (!num(f[1], r.key) || !num(f[2], r.answers) || !num(f[3], r.abandoned))
        return fail(line_no, "bucket needs three integers: key, live answers, abandoned");
      if (!rows.empty() && rows.back().key >= r.key)
        return fail(line_no, "buckets must be in ascending order");
      rows.push_back(r);
    } else {
      return fail(line_no, "unexpected line '" + std::string(line) + "'");
    }
  }
  if (!header) return fail(line_no, "empty ledger");
  if (!window) return fail(line_no, "missing 'window' line");
  auto ledger = create(*window, zone);
  if (!ledger) return fail(line_no, ledger.error().message);
  const int64_t unit = *window == AbandonmentWindow::kCaCalendarMonth ? 86400 : bucket_seconds(*window);
  uint64_t answers = 0, abandoned = 0;
  for (const Row& r : rows) {
    if (r.key < 0 || r.key > kLastSecond / unit)
      return fail(r.line, "bucket " + std::to_string(r.key) + " is not between 1970 and 9999");
    if (r.answers > kMaxTotal - answers || r.abandoned > kMaxTotal - abandoned)
      return fail(r.line, "counts add up to more than 2^53");
    answers += r.answers;
    abandoned += r.abandoned;
  }
  for (const Row& r : rows) {
    ledger->buckets_.push_back(Bucket{r.key, r.answers, r.abandoned});
    ledger->sum_answers_ += r.answers;
    ledger->sum_abandoned_ += r.abandoned;
  }
  return ledger;
}

}  // namespace telemark::dialer
