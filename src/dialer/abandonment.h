// AbandonmentLedger: a campaign's live answers and abandoned calls over its
// jurisdiction's window, the measure the law caps:
//   US (FTC TSR / FCC): abandoned / live answers per campaign over a rolling
//                       30 days, at most 3%;
//   UK (Ofcom):         over a rolling 24 hours, at most 3%;
//   Canada (CRTC):      over the calendar month (in the campaign's time
//                       zone), at most 5%.
//
// Counts are kept in buckets (an hour for 30 days, a minute for 24 hours, a
// local day for the month), so the state stays small and can be saved and
// restored as text (save()/restore()): a restart keeps the window. A
// rolling window's oldest bucket is usually only partly inside the window;
// its abandoned calls are counted and its live answers are not, so the rate
// the ledger reports is never below the true rate.
//
// Value type; not thread-safe (owned by one dialer).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/result.h"

namespace date {
class time_zone;
}

namespace telemark::dialer {

enum class AbandonmentWindow : uint8_t {
  kUsRolling30Days = 0,
  kUkRolling24Hours,
  kCaCalendarMonth,
};

// "us" | "uk" | "ca", or the long names to_string() prints.
Result<AbandonmentWindow> parse_abandonment_window(std::string_view text);
const char* to_string(AbandonmentWindow window);
// The legal ceiling on abandoned / live answers for the window's jurisdiction.
double abandonment_limit(AbandonmentWindow window);

struct AbandonmentTotals {
  uint64_t live_answers = 0;
  uint64_t abandoned = 0;
  double rate() const {
    return live_answers == 0 ? 0.0 : static_cast<double>(abandoned) / static_cast<double>(live_answers);
  }
};

class AbandonmentLedger {
 public:
  // time_zone: IANA name; only the calendar-month window uses it.
  static Result<AbandonmentLedger> create(AbandonmentWindow window,
                                          std::string_view time_zone = "UTC");
  // The text save() wrote; `source` names it in error messages.
  static Result<AbandonmentLedger> restore(std::string_view text, std::string_view source);

  void record_live_answer(Instant at) { add(at, 1, 0); }
  void record_abandoned(Instant at) { add(at, 0, 1); }

  // Totals over the window that ends at `now` (drops buckets that left it).
  AbandonmentTotals totals(Instant now);

  AbandonmentWindow window() const { return window_; }
  double limit() const { return abandonment_limit(window_); }
  const std::string& time_zone() const { return zone_name_; }
  size_t bucket_count() const { return buckets_.size(); }
  std::string save() const;

 private:
  struct Bucket {
    int64_t key = 0;
    uint64_t live_answers = 0;
    uint64_t abandoned = 0;
  };
  AbandonmentLedger(AbandonmentWindow window, std::string zone_name, const date::time_zone* zone);
  int64_t key_of(Instant t) const;
  void add(Instant at, uint64_t answers, uint64_t abandoned);

  AbandonmentWindow window_;
  std::string zone_name_;
  const date::time_zone* zone_ = nullptr;
  std::deque<Bucket> buckets_;  // ascending keys
  uint64_t sum_answers_ = 0;
  uint64_t sum_abandoned_ = 0;
};

}  // namespace telemark::dialer
