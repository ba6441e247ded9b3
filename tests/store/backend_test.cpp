// What only one backend has: SQLite paths and files, PostgreSQL URLs and
// connection failures.
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "postgres_server.h"
#include "store/store.h"
#include "store_fixture.h"

namespace telemark::store::testing {
namespace {

class TempDir {
 public:
  TempDir() {
    char dir[] = "/tmp/telemark-store-XXXXXX";
    path_ = mkdtemp(dir) ? dir : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void expect_open_fails(const std::string& location, const std::string& code,
                       const std::vector<std::string>& mentions) {
  auto opened = Store::open(location);
  ASSERT_FALSE(opened.ok()) << location << " opened";
  EXPECT_EQ(opened.error().code, code);
  for (const auto& m : mentions)
    EXPECT_NE(opened.error().message.find(m), std::string::npos)
        << "message should name '" << m << "': " << opened.error().message;
}

TEST(SqliteStore, CreatesTheFileInWalMode) {
  TempDir dir;
  std::string path = dir.path() + "/new.db";
  ASSERT_FALSE(std::filesystem::exists(path));
  auto opened = Store::open(path);
  ASSERT_OK(opened);
  EXPECT_EQ((*opened)->backend(), "sqlite");
  EXPECT_EQ((*opened)->describe(), path);
  ASSERT_OK((*opened)->migrate());
  EXPECT_TRUE(std::filesystem::exists(path));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(SqliteStore, UnwritablePathsNameThePath) {
  TempDir dir;
  expect_open_fails("/proc/telemark-test.db", "store_open_failed", {"/proc/telemark-test.db"});
  std::string missing_folder = dir.path() + "/no/such/folder/leads.db";
  expect_open_fails(missing_folder, "store_open_failed", {missing_folder, "does not exist"});
  // A folder where the file should be.
  expect_open_fails(dir.path(), "store_open_failed", {dir.path(), "is a folder"});
  if (geteuid() != 0) {  // root writes into read-only folders anyway
    std::string ro = dir.path() + "/ro";
    std::filesystem::create_directory(ro);
    std::filesystem::permissions(
        ro, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    expect_open_fails(ro + "/leads.db", "store_open_failed", {ro + "/leads.db", "not writable"});
    std::filesystem::permissions(ro, std::filesystem::perms::owner_all);
    std::string ro_file = dir.path() + "/ro.db";
    ASSERT_OK(Store::open(ro_file));
    std::filesystem::permissions(ro_file, std::filesystem::perms::owner_read);
    expect_open_fails(ro_file, "store_open_failed", {ro_file, "read-only"});
  }
}

TEST(SqliteStore, NotADatabaseNamesThePath) {
  TempDir dir;
  std::string path = dir.path() + "/leads.csv";
  std::ofstream(path) << "phone,name\n+12125550123,Ann\n" << std::string(8192, 'x');
  expect_open_fails(path, "store_open_failed", {path});
}

TEST(SqliteStore, EmptyLocationIsAnError) {
  expect_open_fails("", "store_open_failed", {"postgresql://"});
}

TEST(PostgresStore, ClosedPortFailsFastNamingTheHost) {
  expect_open_fails("postgresql://127.0.0.1:1/x", "store_connect_failed",
                    {"postgresql://127.0.0.1:1/x", "127.0.0.1"});
}

TEST(PostgresStore, ConnectionErrorsHideThePassword) {
  auto opened =
      Store::open("postgres://alice:s3cret@127.0.0.1:1/x?password=hunter2&sslmode=disable");
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "store_connect_failed");
  const std::string& m = opened.error().message;
  EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  EXPECT_NE(m.find("postgres://alice@127.0.0.1:1/x?sslmode=disable"), std::string::npos) << m;
}

TEST(PostgresStore, BadUrlIsAnError) {
  expect_open_fails("postgresql://[::1", "store_connect_failed", {"postgresql://[::1"});
}

TEST(PostgresStore, DescribeNamesTheServerWithoutPassword) {
  auto& pg = PostgresServer::get();
  ASSERT_TRUE(pg.ready()) << pg.error();
  auto opened = Store::open(pg.url() + "&password=unused");
  ASSERT_OK(opened);
  EXPECT_EQ((*opened)->backend(), "postgresql");
  EXPECT_EQ((*opened)->describe(), pg.url());
}

TEST(PostgresStore, UnknownDatabaseNamesItAndTheServerMessage) {
  auto& pg = PostgresServer::get();
  ASSERT_TRUE(pg.ready()) << pg.error();
  std::string url = pg.url();
  url.replace(url.find("/postgres?"), 10, "/no_such_db?");
  expect_open_fails(url, "store_connect_failed", {url, "no_such_db\" does not exist"});
}

}  // namespace
}  // namespace telemark::store::testing
