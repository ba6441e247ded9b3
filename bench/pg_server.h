// A throwaway PostgreSQL server for benchmarks, started with
// scripts/pg-test-server in its own folder under /tmp (the server may run
// as another user, e.g. postgres under root, who cannot enter a 0700
// folder of ours) and stopped when the object goes away. url() is empty
// when the server could not be started.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/paths.h"

namespace telemark::bench {

class PgServer {
 public:
  PgServer() {
    dir_ = "/tmp/telemark-bench-pg-XXXXXX";
    if (!mkdtemp(dir_.data())) {
      dir_.clear();
      return;
    }
    std::string cmd = "'" + telemark::home_path("scripts/pg-test-server") + "' start '" + dir_ +
                      "' --watch " + std::to_string(getpid());
    FILE* f = popen(cmd.c_str(), "r");
    char buf[1024];
    while (f && std::fgets(buf, sizeof buf, f)) url_ = buf;
    if (!f || pclose(f) != 0) url_.clear();
    while (!url_.empty() && url_.back() == '\n') url_.pop_back();
  }
  ~PgServer() {
    if (dir_.empty()) return;
    std::string cmd = "'" + telemark::home_path("scripts/pg-test-server") + "' stop '" + dir_ + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "stopping the server in %s failed\n", dir_.c_str());
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;
  const std::string& url() const { return url_; }

 private:
  std::string dir_, url_;
};

}  // namespace telemark::bench
