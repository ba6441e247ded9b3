// The fixture of the store conformance suite: one fresh, empty database
// per test on the backend named by the test parameter (a SQLite file in a
// temporary folder, or a schema of its own on the test PostgreSQL server),
// a VirtualClock, and helpers to build and import leads.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "store/store.h"

namespace telemark::store::testing {

enum class Backend { kSqlite, kPostgres };
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);
inline void PrintTo(Backend b, std::ostream* os) {
  *os << (b == Backend::kSqlite ? "sqlite" : "postgresql");
}

#define ASSERT_OK(expr)                                            \
  do {                                                             \
    const auto& ok_ = (expr);                                      \
    ASSERT_TRUE(ok_.ok()) << #expr << ": " << ok_.error().message; \
  } while (0)

// 2026-05-28T20:26:40Z: whole seconds, as the store keeps them.
inline Instant test_epoch() { return Instant(std::chrono::seconds(1'780'000'000)); }

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Another connection to the same database.
  std::unique_ptr<Store> open_again();
  // Migrates, then ensures list `name` of `tenant`; returns its id.
  int64_t make_list(const std::string& tenant, const std::string& name);
  // Imports `leads` into a list in batches and commits.
  ImportRun import(int64_t list_id, const std::vector<Lead>& leads, size_t batch = 1000);
  std::vector<Lead> scan(const LeadFilter& filter);

  VirtualClock clock_{test_epoch()};
  std::string location_;
  std::unique_ptr<Store> store_;

 private:
  std::string temp_dir_;
  std::string schema_;
};

// A lead with a phone, its source line and a few plain fields.
Lead make_lead(uint64_t phone, uint64_t line, std::string country = "US",
               std::string region = "NY");

}  // namespace telemark::store::testing
