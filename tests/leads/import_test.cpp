// The import pipeline against a real SQLite store: counts, deduplication
// across imports, and atomicity when the disk fills up or the file turns out
// bad halfway through.
#include "leads/import.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/paths.h"
#include "leads/generator.h"
#include "phone/phone.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace telemark;

namespace {

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("telemark-import-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = store::Store::open((dir_ / "t.db").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    ASSERT_TRUE(store_->migrate().ok());
    auto z = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    ASSERT_TRUE(z.ok()) << z.error().message;
    zones_ = *z;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  std::string generate(const std::string& name, uint64_t rows, uint64_t seed) {
    leads::GeneratorOptions g;
    g.rows = rows;
    g.seed = seed;
    auto path = (dir_ / name).string();
    auto stats = leads::generate_leads_csv(path, g);
    EXPECT_TRUE(stats.ok());
    return path;
  }

  Result<leads::ImportSummary> run(const std::string& file, const std::string& list,
                                   const std::string& rejects = "") {
    leads::ImportOptions o;
    o.file = file;
    o.list = list;
    o.default_region = "US";
    o.rejects_path = rejects;
    o.batch_rows = 512;  // several batches even for small files
    return leads::import_leads(*store_, normalizer_, *zones_, o);
  }

  // Everything the database holds, as text.
  std::string snapshot() {
    std::string out;
    auto lists = store_->lists();
    EXPECT_TRUE(lists.ok());
    for (const auto& l : *lists) {
      out += l.tenant + "/" + l.name + ":" + std::to_string(l.lead_count) + "\n";
      auto runs = store_->import_runs(l.id);
      EXPECT_TRUE(runs.ok());
      out += "runs:" + std::to_string(runs->size()) + "\n";
    }
    auto s = store_->scan_leads({}, [&](const store::Lead& l) {
      out += std::to_string(l.id) + "," + std::to_string(l.phone) + "\n";
      return true;
    });
    EXPECT_TRUE(s.ok());
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  phone::PhoneNormalizer normalizer_;
  std::shared_ptr<const phone::TimeZoneTable> zones_;
};

TEST_F(ImportTest, CountsAddUpAndASecondImportAddsNothing) {
  auto file = generate("a.csv", 3000, 1);
  auto first = run(file, "spring");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->rows, 3000u);
  EXPECT_EQ(first->imported + first->duplicates + first->rejected, first->rows);
  EXPECT_GT(first->imported, 2500u);
  EXPECT_GT(first->duplicates, 0u);
  EXPECT_GT(first->rejected, 0u);
  uint64_t by_reason = 0;
  for (const auto& [reason, n] : first->rejected_by_reason) by_reason += n;
  EXPECT_EQ(by_reason, first->rejected);
  auto count = store_->count_leads({});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(static_cast<uint64_t>(*count), first->imported);

  auto second = run(file, "spring");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->imported, 0u);
  EXPECT_EQ(second->duplicates, first->imported + first->duplicates);
  count = store_->count_leads({});
  EXPECT_EQ(static_cast<uint64_t>(*count), first->imported);

  // Another list is independent: the same numbers are new there.
  auto other = run(file, "autumn");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->imported, first->imported);
}

TEST_F(ImportTest, DiskFullHalfwayLeavesTheDatabaseAsItWas) {
  ASSERT_TRUE(run(generate("small.csv", 200, 2), "kept").ok());
  std::string before = snapshot();
  // Fail the writes once the file has grown a little: the import's batches
  // hit "database or disk is full" after some of them were written.
  ASSERT_TRUE(store_->execute("PRAGMA max_page_count = 80").ok());
  auto rejects = (dir_ / "rejects.csv").string();
  auto r = run(generate("big.csv", 20000, 3), "lost", rejects);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("full"), std::string::npos) << r.error().message;
  ASSERT_TRUE(store_->execute("PRAGMA max_page_count = 1073741823").ok());
  EXPECT_EQ(snapshot(), before);
  EXPECT_FALSE(fs::exists(rejects)) << "a failed import leaves no reject file behind";
}

TEST_F(ImportTest, BadFileHalfwayLeavesTheDatabaseAsItWas) {
  ASSERT_TRUE(run(generate("small.csv", 200, 4), "kept").ok());
  std::string before = snapshot();
  auto path = generate("broken.csv", 5000, 5);
  std::ofstream(path, std::ios::app) << "2125550199;\"never closed\n";
  auto r = run(path, "kept");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "unterminated_quote");
  EXPECT_EQ(snapshot(), before);
}

TEST_F(ImportTest, RejectFileNamesLineColumnAndReason) {
  std::string path = (dir_ / "few.csv").string();
  std::ofstream(path) << "phone,name\n2125550100,Ann\n2.12555E+09,Bob\n,Cy\n2125550100,Ann again\n";
  auto rejects = (dir_ / "rejects.csv").string();
  auto r = run(path, "few", rejects);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->imported, 1u);
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_EQ(r->rejected, 2u);
  EXPECT_EQ(r->file_sha256, "1f93232c21d92be6230b6e62977087518b135a2ed99816bd619c19f6e0d12ab8");  // sha256sum of the file
  std::ifstream in(rejects);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "line,column,reason,value,raw\n"
            "3,phone,phone_mangled,2.12555E+09,\"2.12555E+09,Bob\"\n"
            "4,phone,phone_empty,,\",Cy\"\n");
}

}  // namespace
