// How a subcommand plugs into the `telemark` command.
//
// Each cmd_*.cpp file defines its subcommands and registers them with a
// static CommandRegistration; main.cpp builds the CLI11 app from the
// registry. A command reports a user-facing failure by throwing CliError
// with one clear message (naming the file, line, field or setting) and an
// exit code; main prints "telemark: <message>" and exits with it.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace telemark::cli {

struct GlobalOptions {
  std::string db;  // --db or TELEMARK_DB or ./telemark.db
};

class CliError : public std::runtime_error {
 public:
  explicit CliError(const std::string& message, int exit_code = 1)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Exit codes.
inline constexpr int kExitUsage = 2;     // bad arguments or settings
inline constexpr int kExitInput = 3;     // bad input file
inline constexpr int kExitStore = 4;     // database unreachable / not writable / schema

using CommandSetup = std::function<void(CLI::App& app, GlobalOptions& global)>;

struct CommandRegistration {
  CommandRegistration(int order, CommandSetup setup);
};

std::vector<std::pair<int, CommandSetup>>& command_registry();

}  // namespace telemark::cli
