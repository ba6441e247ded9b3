#include "postgres_server.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "base/paths.h"
#include "store/store.h"

namespace telemark::store::testing {
namespace {

PostgresServer* g_server = nullptr;

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs a shell command; its stdout and stderr, and the exit status.
int run(const std::string& command, std::string& output) {
  output.clear();
  FILE* f = popen((command + " 2>&1").c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) output.append(buf, n);
  int status = pclose(f);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

PostgresServer::PostgresServer() { g_server = this; }
PostgresServer::~PostgresServer() {
  if (g_server == this) g_server = nullptr;
}

PostgresServer& PostgresServer::get() { return *g_server; }

bool PostgresServer::ready() {
  if (attempted_) return error_.empty();
  attempted_ = true;
  if (const char* url = std::getenv("TELEMARK_TEST_POSTGRES_URL"); url && *url) {
    url_ = url;
    return true;
  }
  char dir[] = "/tmp/telemark-pg-XXXXXX";
  if (!mkdtemp(dir)) {
    error_ = "PostgreSQL tests: cannot create a temporary folder under /tmp";
    return false;
  }
  dir_ = dir;
  const std::string script = telemark::home_path("scripts/pg-test-server");
  std::string output;
  int rc =
      run(quote(script) + " start " + quote(dir_) + " --watch " + std::to_string(getpid()), output);
  if (rc != 0) {
    error_ = "PostgreSQL tests need a server, and " + script + " start " + dir_ + " failed (exit " +
             std::to_string(rc) + "): " + output;
    std::string ignored;
    (void)run(quote(script) + " stop " + quote(dir_), ignored);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    return false;
  }
  url_ = last_line(output);
  return true;
}

std::string PostgresServer::fresh_location(std::string& schema) {
  schema = "telemark_test_" + std::to_string(getpid()) + "_" + std::to_string(++next_schema_);
  auto admin = Store::open(url_);
  if (!admin) return {};
  if (!(*admin)->execute("CREATE SCHEMA " + schema)) return {};
  // libpq decodes %XX in URL parameters: this is "-c search_path=<schema>".
  return url_ + (url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         schema;
}

void PostgresServer::drop(const std::string& schema) {
  auto admin = Store::open(url_);
  if (admin) (void)(*admin)->execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
}

void PostgresServer::TearDown() {
  // --gtest_repeat runs SetUp/TearDown per repetition: start afresh.
  attempted_ = false;
  url_.clear();
  error_.clear();
  if (dir_.empty()) return;
  std::string output;
  if (run(quote(telemark::home_path("scripts/pg-test-server")) + " stop " + quote(dir_), output) !=
      0)
    std::fprintf(stderr, "warning: could not stop the PostgreSQL test server in %s: %s\n",
                 dir_.c_str(), output.c_str());
  dir_.clear();
}

}  // namespace telemark::store::testing
