// The `telemark` command: global options and the subcommands registered by
// the cmd_*.cpp files.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "cli/command.h"

namespace telemark::cli {

std::vector<std::pair<int, CommandSetup>>& command_registry() {
  static std::vector<std::pair<int, CommandSetup>> registry;
  return registry;
}

CommandRegistration::CommandRegistration(int order, CommandSetup setup) {
  command_registry().emplace_back(order, std::move(setup));
}

}  // namespace telemark::cli

#ifndef TELEMARK_VERSION
#define TELEMARK_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  using namespace telemark::cli;
  CLI::App app{"Telemark: lawful, efficient telemarketing (leads, compliance, dialer)", "telemark"};
  app.set_version_flag("--version", std::string("telemark ") + TELEMARK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  const char* env_db = std::getenv("TELEMARK_DB");
  global.db = env_db && *env_db ? env_db : "telemark.db";
  app.add_option("--db", global.db,
                 "Database: a SQLite file path or a postgresql:// URL (env TELEMARK_DB)")
      ->capture_default_str();

  auto& registry = command_registry();
  std::stable_sort(registry.begin(), registry.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : registry) setup(app, global);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliError& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "telemark: %s\n", e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "telemark: internal error: %s\n", e.what());
    return 70;
  }
  return 0;
}
