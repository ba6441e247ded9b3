// Fuzz target for the abandonment ledger's saved state
// (AbandonmentLedger::restore, src/dialer/abandonment.h), which comes back
// from the database. Restoring either fails with "bad_ledger" and a message
// that starts with the source name and a line, or yields a ledger that
//   - saves to text that restores to an equal ledger (same text again),
//   - reports, at any moment, totals no larger than the sums of its saved
//     buckets (no count wrapped around) and a finite, non-negative rate,
//   - counts one more live answer and one more abandoned call when one of
//     each is recorded at the moment its totals were just taken.
// Abandoned calls may exceed live answers, per bucket and in a window: an
// answer and its abandonment can fall in different buckets, and a rolling
// window leaves out its oldest bucket's answers but not its abandoned calls.
#include "dialer/abandonment.h"

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace {

using telemark::Instant;
using telemark::dialer::AbandonmentLedger;
using telemark::dialer::AbandonmentTotals;
using telemark::dialer::AbandonmentWindow;

constexpr std::string_view kSource = "fuzz ledger";

void check(bool ok) {
  if (!ok) std::abort();
}

struct Saved {
  std::vector<int64_t> keys;
  unsigned __int128 answers = 0, abandoned = 0;  // cannot wrap
};

// Reads back the text save() wrote (one bucket per line: key, answers,
// abandoned), to know what the ledger holds.
Saved read_saved(const std::string& text) {
  Saved out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word != "bucket") continue;
    int64_t key = 0;
    uint64_t answers = 0, abandoned = 0;
    check(static_cast<bool>(in >> key >> answers >> abandoned));
    out.keys.push_back(key);
    out.answers += answers;
    out.abandoned += abandoned;
  }
  return out;
}

// Instants around the buckets a ledger holds, in seconds since the epoch.
std::vector<int64_t> moments(const Saved& saved, AbandonmentWindow window) {
  const int64_t unit = window == AbandonmentWindow::kUsRolling30Days ? 3600
                       : window == AbandonmentWindow::kUkRolling24Hours ? 60
                                                                          : 86400;
  std::vector<int64_t> out{1772409600};  // 2026-03-02
  for (size_t i : {size_t{0}, saved.keys.size() / 2, saved.keys.size() - 1}) {
    if (i >= saved.keys.size()) continue;
    // Keys of a restored ledger keep these far from overflow; a key that
    // does not is itself a failure of restore()'s checks.
    int64_t base = 0;
    check(!__builtin_mul_overflow(saved.keys[i], unit, &base));
    for (int64_t d : {int64_t{0}, unit / 2, int64_t{86400 - 1}, int64_t{86400 * 30}, int64_t{86400 * 31 + 7}})
      out.push_back(base + d);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ledger = AbandonmentLedger::restore(text, kSource);
  if (!ledger.ok()) {
    const std::string& m = ledger.error().message;
    check(ledger.error().code == "bad_ledger");
    check(m.compare(0, kSource.size() + 1, std::string(kSource) + ":") == 0);
    check(m.size() > kSource.size() + 1 && m[kSource.size() + 1] >= '0' &&
          m[kSource.size() + 1] <= '9');
    return 0;
  }
  const std::string saved = ledger->save();
  auto again = AbandonmentLedger::restore(saved, "saved");
  check(again.ok());
  check(again->save() == saved);
  check(again->window() == ledger->window() && again->time_zone() == ledger->time_zone());
  check(again->bucket_count() == ledger->bucket_count());

  const Saved held = read_saved(saved);
  check(held.keys.size() == ledger->bucket_count());
  uint64_t recorded = 0;  // events of each kind recorded below
  for (int64_t s : moments(held, ledger->window())) {
    Instant now = telemark::from_unix_seconds(s);
    AbandonmentTotals a = ledger->totals(now);
    AbandonmentTotals b = again->totals(now);
    check(a.live_answers == b.live_answers && a.abandoned == b.abandoned);
    check(a.live_answers <= held.answers + recorded && a.abandoned <= held.abandoned + recorded);
    check(std::isfinite(a.rate()) && a.rate() >= 0);
    check(ledger->save() == again->save());
    again->record_live_answer(now);
    again->record_abandoned(now);
    AbandonmentTotals c = again->totals(now);
    check(c.live_answers > a.live_answers && c.abandoned > a.abandoned);  // no wrap-around
    check(c.live_answers == a.live_answers + 1 && c.abandoned == a.abandoned + 1);
    ledger->record_live_answer(now);
    ledger->record_abandoned(now);
    ++recorded;
  }
  return 0;
}
