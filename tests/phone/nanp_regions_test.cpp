#include <gtest/gtest.h>

#include <fstream>

#include "base/paths.h"
#include "phone/regions.h"

using telemark::phone::NanpRegions;

namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  std::string path = testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(NanpRegions, LoadsTheTable) {
  auto r = NanpRegions::load(telemark::home_path("data/nanp-area-code-regions.tsv"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto ny = (*r)->lookup(12125550123);
  ASSERT_TRUE(ny);
  EXPECT_EQ(ny->country, "US");
  EXPECT_EQ(ny->region, "NY");
  auto on = (*r)->lookup(16135550123);
  ASSERT_TRUE(on);
  EXPECT_EQ(on->country, "CA");
  EXPECT_EQ(on->region, "ON");
  auto id = (*r)->lookup_npa(208);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->region, "ID");
  auto maritimes = (*r)->lookup(19025550123);
  ASSERT_TRUE(maritimes);
  EXPECT_EQ(maritimes->region, "NS/PE");
}

TEST(NanpRegions, UnknownOrNonNanpIsNullopt) {
  auto r = NanpRegions::load(telemark::home_path("data/nanp-area-code-regions.tsv"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE((*r)->lookup_npa(999));          // not assigned
  EXPECT_FALSE((*r)->lookup_npa(1000));         // out of range
  EXPECT_FALSE((*r)->lookup_npa(-1));
  EXPECT_FALSE((*r)->lookup(442079460018));     // not +1
  EXPECT_FALSE((*r)->lookup(1212555012));       // +1 but 10 digits
  EXPECT_FALSE((*r)->lookup(121255501234));     // +1 but 12 digits
}

TEST(NanpRegions, ErrorsNameFileAndLine) {
  for (const char* text : {"# c\n212\tUS\n", "212\tUSA\tNY\n", "21\tUS\tNY\n", "212\tUS\tNY\n212\tUS\tNY\n",
                           "212\tUS\tny\n", "112\tUS\tNY\n",
                           "212\tUS\tNY/\n"}) {
    std::string path = write_temp("nanp.tsv", text);
    auto r = NanpRegions::load(path);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, "bad_nanp_table");
    EXPECT_NE(r.error().message.find(path + ":"), std::string::npos) << r.error().message;
  }
  auto missing = NanpRegions::load("/nonexistent/nanp.tsv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io_error");
}

}  // namespace
