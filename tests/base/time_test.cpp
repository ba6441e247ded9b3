#include "base/time.h"

#include <gtest/gtest.h>

using namespace telemark;

TEST(Iso8601, DateIsMidnightUtc) {
  auto t = parse_iso8601("2026-03-08");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(format_iso8601(*t), "2026-03-08T00:00:00Z");
}

TEST(Iso8601, OffsetsConvertToUtc) {
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-03-08T14:30:00-05:00")), "2026-03-08T19:30:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-03-08T14:30+0100")), "2026-03-08T13:30:00Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-03-08 14:30:15Z")), "2026-03-08T14:30:15Z");
  EXPECT_EQ(format_iso8601(*parse_iso8601("2026-03-08T23:30:00-02:00")), "2026-03-09T01:30:00Z");
}

TEST(Iso8601, FractionsAreKept) {
  auto t = parse_iso8601("2026-01-01T00:00:00.250Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->time_since_epoch().count() % 1000000, 250000);
}

TEST(Iso8601, RejectsNonsenseWithTheText) {
  for (const char* s : {"", "2026-13-01", "2026-02-30", "2026/01/01", "yesterday", "2026-01-01T25:00",
                        "2026-01-01T10:00:00+25:00", "2026-01-01T10:00:00 garbage"}) {
    auto t = parse_iso8601(s);
    ASSERT_FALSE(t.ok()) << s;
    EXPECT_EQ(t.error().code, "bad_time");
    EXPECT_NE(t.error().message.find(s), std::string::npos) << t.error().message;
  }
}

TEST(Iso8601, UnixSecondsRoundTrip) {
  auto t = *parse_iso8601("2000-02-29T12:00:00Z");
  EXPECT_EQ(to_unix_seconds(t), 951825600);
  EXPECT_EQ(from_unix_seconds(951825600), t);
  EXPECT_EQ(format_date(t), "2000-02-29");
}
