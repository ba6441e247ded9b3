// telemark init: create or migrate the schema.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/common.h"

namespace telemark::cli {
namespace {

const CommandRegistration reg(10, [](CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init", "Create or migrate the database schema (idempotent)");
  cmd->callback([&global] {
    auto store = open_store(global);
    auto v = store->schema_version();
    if (!v.ok()) throw CliError(v.error().message, kExitStore);
    std::printf("%s database %s is at schema version %lld\n", store->backend().c_str(),
                redact_location(global.db).c_str(), static_cast<long long>(*v));
  });
});

}  // namespace
}  // namespace telemark::cli
