// The abandonment ledger: the jurisdictions' windows (data-driven cases in
// abandonment_cases.txt), save/restore, and refusal of damaged state.
#include "dialer/abandonment.h"

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "base/paths.h"
#include "base/time.h"

using namespace telemark;
using namespace telemark::dialer;

TEST(AbandonmentLedger, WindowCasesFromFile) {
  std::ifstream in(home_path("tests/dialer/abandonment_cases.txt"));
  ASSERT_TRUE(in.good());
  std::optional<AbandonmentLedger> ledger;
  std::string line;
  int n = 0, cases = 0, checks = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    SCOPED_TRACE("tests/dialer/abandonment_cases.txt:" + std::to_string(n));
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    if (verb == "window") {
      std::string kind, zone;
      words >> kind >> zone;
      auto w = parse_abandonment_window(kind);
      ASSERT_TRUE(w.ok()) << w.error().message;
      auto l = AbandonmentLedger::create(*w, zone);
      ASSERT_TRUE(l.ok()) << l.error().message;
      ledger.emplace(std::move(*l));
      ++cases;
    } else if (verb == "at") {
      std::string when, what;
      int count = 0;
      words >> when >> what >> count;
      auto t = parse_iso8601(when);
      ASSERT_TRUE(t.ok());
      for (int i = 0; i < count; ++i) {
        if (what == "answer") ledger->record_live_answer(*t);
        else if (what == "abandon") ledger->record_abandoned(*t);
        else FAIL() << "unknown event " << what;
      }
    } else if (verb == "expect") {
      std::string when;
      uint64_t answers = 0, abandoned = 0;
      words >> when >> answers >> abandoned;
      auto t = parse_iso8601(when);
      ASSERT_TRUE(t.ok());
      AbandonmentTotals got = ledger->totals(*t);
      EXPECT_EQ(got.live_answers, answers) << when;
      EXPECT_EQ(got.abandoned, abandoned) << when;
      ++checks;
    } else if (verb == "roundtrip") {
      auto restored = AbandonmentLedger::restore(ledger->save(), "saved ledger");
      ASSERT_TRUE(restored.ok()) << restored.error().message;
      EXPECT_EQ(restored->save(), ledger->save());
      ledger.emplace(std::move(*restored));
    } else {
      FAIL() << "unknown verb " << verb;
    }
  }
  EXPECT_GE(cases, 5);
  EXPECT_GE(checks, 18);
}

TEST(AbandonmentLedger, LimitsAndNamesByJurisdiction) {
  EXPECT_DOUBLE_EQ(abandonment_limit(AbandonmentWindow::kUsRolling30Days), 0.03);
  EXPECT_DOUBLE_EQ(abandonment_limit(AbandonmentWindow::kUkRolling24Hours), 0.03);
  EXPECT_DOUBLE_EQ(abandonment_limit(AbandonmentWindow::kCaCalendarMonth), 0.05);
  for (auto w : {AbandonmentWindow::kUsRolling30Days, AbandonmentWindow::kUkRolling24Hours,
                 AbandonmentWindow::kCaCalendarMonth}) {
    auto back = parse_abandonment_window(to_string(w));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, w);
  }
  EXPECT_FALSE(parse_abandonment_window("eu").ok());
}

TEST(AbandonmentLedger, StateStaysSmall) {
  auto l = AbandonmentLedger::create(AbandonmentWindow::kUkRolling24Hours);
  ASSERT_TRUE(l.ok());
  Instant t = *parse_iso8601("2026-03-01T00:00:00Z");
  for (int i = 0; i < 3 * 24 * 60; ++i) l->record_live_answer(t + std::chrono::minutes(i));
  l->totals(t + std::chrono::minutes(3 * 24 * 60));
  EXPECT_LE(l->bucket_count(), 24u * 60u + 1u);
}

TEST(AbandonmentLedger, UnknownZoneIsRefused) {
  auto l = AbandonmentLedger::create(AbandonmentWindow::kCaCalendarMonth, "America/Nowhere");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message.find("America/Nowhere"), std::string::npos);
}

TEST(AbandonmentLedger, DamagedStateIsRefusedNamingTheLine) {
  struct Bad {
    const char* text;
    const char* expect;
  };
  for (const Bad& b : {
           Bad{"", "empty ledger"},
           Bad{"hello 1\n", "ledger.txt:1: not an abandonment ledger"},
           Bad{"telemark-abandonment-ledger 2\n", "ledger.txt:1: unsupported ledger version 2"},
           Bad{"telemark-abandonment-ledger 1\nbucket 1 2 3\n", "missing 'window' line"},
           Bad{"telemark-abandonment-ledger 1\nwindow us\nbucket 5 x 1\n", "ledger.txt:3: bucket needs three"},
           Bad{"telemark-abandonment-ledger 1\nwindow us\nbucket 5 1 1\nbucket 4 1 1\n",
               "ledger.txt:4: buckets must be in ascending order"},
           Bad{"telemark-abandonment-ledger 1\nwindow mars\n", "ledger.txt:2: unknown abandonment window"},
           Bad{"telemark-abandonment-ledger 1\nwindow ca\nzone Mars/Base\n", "Mars/Base"},
           Bad{"telemark-abandonment-ledger 1\nwindow us\nsurprise\n", "ledger.txt:3: unexpected line"},
           // Keys and counts that overflowed totals() (fuzz/abandonment.cpp found a huge key).
           Bad{"telemark-abandonment-ledger 1\nwindow us\nbucket 9223372036854775807 1 1\n",
               "ledger.txt:3: bucket 9223372036854775807 is not between 1970 and 9999"},
           Bad{"telemark-abandonment-ledger 1\nbucket -5 1 0\nwindow uk\n", "ledger.txt:2: bucket -5 is not"},
           Bad{"telemark-abandonment-ledger 1\nwindow ca\nbucket 2932897 1 0\n", "ledger.txt:3: bucket 2932897"},
           Bad{"telemark-abandonment-ledger 1\nwindow us\nbucket 1 0 18446744073709551615\n",
               "ledger.txt:3: counts add up to more than 2^53"},
           Bad{"telemark-abandonment-ledger 1\nwindow us\nbucket 1 9007199254740992 0\nbucket 2 1 0\n",
               "ledger.txt:4: counts add up to more than 2^53"},
       }) {
    auto l = AbandonmentLedger::restore(b.text, "ledger.txt");
    ASSERT_FALSE(l.ok()) << b.text;
    EXPECT_EQ(l.error().code, "bad_ledger");
    EXPECT_NE(l.error().message.find(b.expect), std::string::npos) << l.error().message;
  }
}

// A line of spaces was read as a line with no fields, and its first field
// read past the end (undefined behaviour under the fuzz target).
TEST(AbandonmentLedger, LineOfSpacesIsBlank) {
  auto l = AbandonmentLedger::restore("telemark-abandonment-ledger 1\n   \nwindow uk\n \r\nbucket 5 1 0\n",
                                      "ledger.txt");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->window(), AbandonmentWindow::kUkRolling24Hours);
  EXPECT_EQ(l->save(), "telemark-abandonment-ledger 1\nwindow uk_rolling_24h\nzone UTC\nbucket 5 1 0\n");
}

TEST(AbandonmentLedger, BucketsAtTheEdgesOfTheYearsAreKept) {
  // 2932896 days after 1970-01-01 is 9999-12-31.
  auto l = AbandonmentLedger::restore(
      "telemark-abandonment-ledger 1\nwindow ca\nzone America/Toronto\nbucket 0 2 1\nbucket 2932896 3 1\n",
      "ledger.txt");
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->bucket_count(), 2u);
  AbandonmentTotals t = l->totals(from_unix_seconds(253402300799));
  EXPECT_EQ(t.live_answers, 3u);
  EXPECT_EQ(t.abandoned, 1u);
}
