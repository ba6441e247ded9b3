#include "store_fixture.h"

#include <stdlib.h>

#include <charconv>
#include <filesystem>

#include "postgres_server.h"

namespace telemark::store::testing {

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kSqlite ? "Sqlite" : "Postgres";
}

void StoreTest::SetUp() {
  if (GetParam() == Backend::kPostgres) {
    auto& pg = PostgresServer::get();
    // PostgreSQL is a required backend: no server is a failure, not a skip.
    ASSERT_TRUE(pg.ready()) << pg.error();
    location_ = pg.fresh_location(schema_);
    ASSERT_FALSE(location_.empty()) << "cannot create a schema on " << pg.url();
  } else {
    char dir[] = "/tmp/telemark-store-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    temp_dir_ = dir;
    location_ = temp_dir_ + "/test.db";
  }
  auto opened = Store::open(location_, clock_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  store_ = std::move(*opened);
}

void StoreTest::TearDown() {
  store_.reset();
  if (!schema_.empty()) PostgresServer::get().drop(schema_);
  if (!temp_dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(temp_dir_, ec);
  }
}

std::unique_ptr<Store> StoreTest::open_again() {
  auto opened = Store::open(location_, clock_);
  EXPECT_TRUE(opened.ok()) << opened.error().message;
  return opened ? std::move(*opened) : nullptr;
}

int64_t StoreTest::make_list(const std::string& tenant, const std::string& name) {
  auto migrated = store_->migrate();
  EXPECT_TRUE(migrated.ok()) << migrated.error().message;
  auto id = store_->ensure_list(tenant, name);
  EXPECT_TRUE(id.ok()) << id.error().message;
  return id ? *id : 0;
}

ImportRun StoreTest::import(int64_t list_id, const std::vector<Lead>& leads, size_t batch) {
  ImportRun run;
  run.file_name = "leads.csv";
  auto writer = store_->begin_import(list_id, run);
  EXPECT_TRUE(writer.ok()) << writer.error().message;
  if (!writer) return {};
  for (size_t i = 0; i < leads.size(); i += batch) {
    size_t n = std::min(batch, leads.size() - i);
    auto s = (*writer)->append(std::span<const Lead>(leads.data() + i, n));
    EXPECT_TRUE(s.ok()) << s.error().message;
  }
  ImportRun counts;
  counts.rows = static_cast<int64_t>(leads.size());
  counts.imported = static_cast<int64_t>(leads.size());
  auto done = (*writer)->commit(counts);
  EXPECT_TRUE(done.ok()) << done.error().message;
  return done ? *done : ImportRun{};
}

std::vector<Lead> StoreTest::scan(const LeadFilter& filter) {
  std::vector<Lead> out;
  auto s = store_->scan_leads(filter, [&](const Lead& l) {
    out.push_back(l);
    return true;
  });
  EXPECT_TRUE(s.ok()) << s.error().message;
  return out;
}

Lead make_lead(uint64_t phone, uint64_t line, std::string country, std::string region) {
  Lead l;
  l.phone = phone;
  // Not "+" + std::to_string(): GCC 12 -O3 warns falsely on it (-Wrestrict).
  char raw[24] = "+";
  l.phone_raw.assign(raw, std::to_chars(raw + 1, raw + sizeof raw, phone).ptr);
  l.number_type = "mobile";
  l.time_zones = "America/New_York";
  l.first_name = "Ann";
  l.last_name = "Lee";
  l.country = std::move(country);
  l.region = std::move(region);
  l.source_line = line;
  return l;
}

}  // namespace telemark::store::testing
