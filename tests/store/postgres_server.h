// PostgresServer: the one throwaway PostgreSQL server of a test run, a
// gtest Environment. Started on first use (so a run filtered to SQLite
// tests starts none) with scripts/pg-test-server in a fresh folder under
// /tmp, stopped and removed at the end of the run; a watchdog in the
// script removes it if the test binary dies first. TELEMARK_TEST_POSTGRES_URL
// points the tests at an existing server instead.
//
// Not thread-safe: gtest runs tests on one thread.
#pragma once

#include <gtest/gtest.h>

#include <string>

namespace telemark::store::testing {

class PostgresServer final : public ::testing::Environment {
 public:
  PostgresServer();
  ~PostgresServer() override;
  static PostgresServer& get();

  // Starts the server if needed; false with error() when it cannot.
  bool ready();
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }

  // A location for a fresh, empty database: a schema of its own on the
  // server, selected through the URL's search_path.
  std::string fresh_location(std::string& schema);
  void drop(const std::string& schema);

  void TearDown() override;

 private:
  bool attempted_ = false;
  std::string dir_, url_, error_;
  int next_schema_ = 0;
};

}  // namespace telemark::store::testing
