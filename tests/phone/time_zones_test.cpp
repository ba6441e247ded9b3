#include <gtest/gtest.h>

#include <fstream>

#include "base/paths.h"
#include "phone/phone.h"

using telemark::phone::TimeZoneTable;

namespace {

std::shared_ptr<const TimeZoneTable> real_table() {
  static auto table = [] {
    auto t = TimeZoneTable::load(telemark::home_path("data/phone-prefix-timezones.txt"));
    EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
    return t.ok() ? *t : nullptr;
  }();
  return table;
}

TEST(TimeZoneTable, SingleZoneCountriesAndAreaCodes) {
  auto t = real_table();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lookup_joined(393331234567), "Europe/Rome&Europe/Vatican");
  EXPECT_EQ(t->lookup_joined(390212345678), "Europe/Rome");
  EXPECT_EQ(t->lookup_joined(390669812345), "Europe/Vatican");
  EXPECT_EQ(t->lookup_joined(33123456789), "Europe/Paris");
  EXPECT_EQ(t->lookup_joined(12125550123), "America/New_York");
  EXPECT_EQ(t->lookup_joined(16135550123), "America/Toronto");
  // Arizona keeps standard time all year: its own zone, not Denver's.
  EXPECT_EQ(t->lookup_joined(16025550123), "America/Phoenix");
}

TEST(TimeZoneTable, FloridaPanhandleSplitsByExchange) {
  auto t = real_table();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lookup_joined(18502001234), "America/Chicago");   // 1850200
  EXPECT_EQ(t->lookup_joined(18502351234), "America/Chicago");   // 185023
  EXPECT_EQ(t->lookup_joined(18502011234), "America/New_York");  // only 1850 matches
}

TEST(TimeZoneTable, KentuckyAndIndianaSplit) {
  auto t = real_table();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lookup_joined(12702021234), "America/Chicago");
  EXPECT_EQ(t->lookup_joined(12702031234), "America/New_York");
  EXPECT_EQ(t->lookup_joined(12192261234), "America/Chicago");
  EXPECT_EQ(t->lookup_joined(12192001234), "America/New_York");
}

TEST(TimeZoneTable, IdahoHasPrefixesWithTwoZones) {
  auto t = real_table();
  ASSERT_TRUE(t);
  EXPECT_EQ(t->lookup_joined(12082011234), "America/Denver");       // 1208201
  EXPECT_EQ(t->lookup_joined(12082151234), "America/Los_Angeles");  // 1208215
  const auto& both = t->lookup(12082991234);                        // only 12082
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0], "America/Boise");
  EXPECT_EQ(both[1], "America/Los_Angeles");
  EXPECT_EQ(t->lookup_joined(12084561234), "America/Boise&America/Los_Angeles");  // 1208456
  // No entry below "1" covers the unassigned area code 999: the caller
  // gets every NANP zone and must satisfy all of them.
  EXPECT_GT(t->lookup(19995550123).size(), 30u);
}

TEST(TimeZoneTable, UnknownPrefixIsEmpty) {
  auto t = real_table();
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->lookup(0).empty());
  EXPECT_TRUE(t->lookup(99912345).empty());
  EXPECT_EQ(t->lookup_joined(99912345), "");
}

TEST(TimeZoneTable, LongestPrefixWins) {
  auto t = TimeZoneTable::parse("# comment\n\n1|A/One\n12|A/Two&B/Two\n1234|A/Four\n", "inline");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ((*t)->lookup_joined(1999), "A/One");
  EXPECT_EQ((*t)->lookup_joined(1299), "A/Two&B/Two");
  EXPECT_EQ((*t)->lookup_joined(1239), "A/Two&B/Two");
  EXPECT_EQ((*t)->lookup_joined(12345), "A/Four");
  EXPECT_EQ((*t)->lookup_joined(1234), "A/Four");
  EXPECT_TRUE((*t)->lookup(2).empty());
}

TEST(TimeZoneTable, ParseErrorsNameFileAndLine) {
  struct Bad {
    const char* text;
    const char* needle;
  };
  for (const Bad& b : {Bad{"1|A/B\nnot a line\n", "tz.txt:2:"}, Bad{"1|A/B\n12x|A/B\n", "tz.txt:2:"},
                       Bad{"# c\n1|A/B\n1|C/D\n", "tz.txt:3:"}, Bad{"1|\n", "tz.txt:1:"},
                       Bad{"1|A/B&&C/D\n", "tz.txt:1:"}, Bad{"|A/B\n", "tz.txt:1:"},
                       Bad{"01|A/B\n", "tz.txt:1:"}, Bad{"1|A B\n", "tz.txt:1:"},
                       Bad{"# only comments\n", "tz.txt"}}) {
    auto t = TimeZoneTable::parse(b.text, "tz.txt");
    ASSERT_FALSE(t.ok()) << b.text;
    EXPECT_EQ(t.error().code, "bad_timezone_table");
    EXPECT_NE(t.error().message.find(b.needle), std::string::npos) << t.error().message;
  }
}

TEST(TimeZoneTable, MissingFileIsAnError) {
  auto t = TimeZoneTable::load("/nonexistent/phone-prefix-timezones.txt");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().code, "io_error");
  EXPECT_NE(t.error().message.find("/nonexistent/phone-prefix-timezones.txt"), std::string::npos);
}

}  // namespace
