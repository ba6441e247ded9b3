// telemark registry load / update / list / show / check / drop: do-not-call
// registries (us-dnc, us-XX-dnc, ca-dncl, it-rpo, uk-tps, uk-ctps) as
// versioned, memory-mapped snapshots in the registry folder, with their
// provenance (as-of date, source files and SHA-256, counts) recorded in the
// database.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "cli/common.h"
#include "cli/compliance_context.h"
#include "registry/phone_adapter.h"

namespace telemark::cli {
namespace {

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string upper_region(std::string r) {
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r == "UK" ? "GB" : r;
}

void check_name(const std::string& name) {
  if (!registry::valid_registry_name(name))
    throw CliError("registry name " + name +
                       ": expected lowercase letters, digits and '-', starting with a letter "
                       "(e.g. us-dnc, us-fl-dnc, ca-dncl, it-rpo, uk-tps, uk-ctps)",
                   kExitUsage);
}

int exit_code_for(const Error& e) {
  if (e.code == "invalid_argument" || e.code == "registry_missing") return kExitUsage;
  return kExitInput;
}

std::string with_commas(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), 1, ',');
  return s;
}

std::string loaded_names(const registry::RegistryDirectory& dir) {
  auto names = dir.names();
  if (!names.ok() || names->empty()) return "none";
  std::string s;
  for (const auto& n : *names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

registry::RegistryInfo require_info(const registry::RegistryDirectory& dir, const std::string& name) {
  auto info = dir.info(name);
  if (info.ok()) return std::move(*info);
  if (info.error().code == "registry_missing")
    throw CliError("registry " + name + " is not loaded in " + dir.root() + " (loaded: " + loaded_names(dir) +
                       "; load it with `telemark registry load " + name + " FILE --as-of DATE`)",
                   kExitUsage);
  throw CliError("registry " + name + ": " + info.error().message, kExitInput);
}

struct LoadArgs {
  std::string name, as_of, format = "auto", column, flag_column, region, registries;
  std::vector<std::string> files;
  double max_bad_share = 0.01;
  bool json = false;
};

void add_parse_options(CLI::App* c, LoadArgs& a, bool changes) {
  c->add_option("name", a.name, "Registry name (us-dnc, us-fl-dnc, ca-dncl, it-rpo, uk-tps, uk-ctps, ...)")->required();
  c->add_option("files", a.files, changes ? "Change files (a number and an add/delete flag a line)" : "Registry files")
      ->required();
  c->add_option("--as-of", a.as_of, "Date of the registry data, YYYY-MM-DD")->required();
  c->add_option("--format", a.format, "auto, lines, ftc or csv")->capture_default_str();
  c->add_option("--column", a.column, "csv: the number column (header name, or #N)");
  if (changes) c->add_option("--flag-column", a.flag_column, "csv: the add/delete column");
  c->add_option("--region", a.region, "Country of numbers written without a country code (default: from the name)");
  c->add_option("--max-bad-share", a.max_bad_share, "Fail, changing nothing, above this share of bad lines")
      ->capture_default_str();
  c->add_flag("--json", a.json, "Machine-readable summary");
  add_registries_option(c, a.registries);
}

registry::LoadRequest make_request(const LoadArgs& a) {
  parse_day(a.as_of, "--as-of");
  auto format = registry::parse_format(a.format);
  if (!format.ok()) throw CliError("--format " + a.format + ": " + format.error().message, kExitUsage);
  if (a.max_bad_share < 0 || a.max_bad_share > 1)
    throw CliError("--max-bad-share " + std::to_string(a.max_bad_share) + ": expected a share between 0 and 1",
                   kExitUsage);
  registry::LoadRequest req;
  req.as_of = a.as_of;
  req.clock = &system_clock();
  req.parse.format = *format;
  req.parse.column = a.column;
  req.parse.flag_column = a.flag_column;
  req.parse.region = a.region.empty() ? registry::default_region(a.name) : upper_region(a.region);
  req.parse.normalize = registry::phone_normalize_fn(normalizer(), req.parse.region);
  req.parse.max_bad_share = a.max_bad_share;
  return req;
}

store::RegistryLoad provenance_row(const registry::RegistryInfo& info) {
  store::RegistryLoad row;
  row.name = info.name;
  row.version = static_cast<int64_t>(info.version);
  row.snapshot_id = info.id;
  row.kind = info.provenance.kind;
  row.as_of = info.provenance.as_of;
  row.count = static_cast<int64_t>(info.provenance.count);
  row.bad_lines = static_cast<int64_t>(info.provenance.bad_lines);
  row.checksum = info.checksum;
  row.snapshot_path = info.path;
  for (const auto& s : info.provenance.sources)
    row.sources.push_back({s.name, s.sha256, static_cast<int64_t>(s.bytes), static_cast<int64_t>(s.lines),
                           static_cast<int64_t>(s.bad_lines)});
  return row;
}

// Loads or updates, then records the provenance. The store is opened
// first so that an unreachable database fails before anything changes.
void run_load(const LoadArgs& a, GlobalOptions& global, bool update) {
  check_name(a.name);
  auto request = make_request(a);
  auto store = open_store(global);
  auto dir = open_registry_directory(registries_dir(global, a.registries));
  if (update && !dir.info(a.name).ok())
    throw CliError("registry " + a.name + " is not loaded in " + dir.root() +
                       ": load it first with `telemark registry load " + a.name + " FILE... --as-of DATE`",
                   kExitUsage);
  auto outcome = update ? dir.update(a.name, a.files, request) : dir.load(a.name, a.files, request);
  if (!outcome.ok()) {
    const Error& e = outcome.error();
    if (e.code == "registry_missing")
      throw CliError("registry " + a.name + " is not loaded in " + dir.root() +
                         ": load it first with `telemark registry load " + a.name + " FILE... --as-of DATE`",
                     kExitUsage);
    throw CliError(e.message + (e.code == "too_many_bad_lines" ? "" : " (nothing was changed)"), exit_code_for(e));
  }
  const registry::RegistryInfo& info = outcome->installed;
  auto recorded = store->record_registry_load(provenance_row(info));
  if (!recorded.ok())
    throw CliError("registry " + a.name + " version " + std::to_string(info.version) + " is installed in " +
                       dir.root() + " but its provenance was not recorded: " + recorded.error().message,
                   kExitStore);
  const auto& p = info.provenance;
  const auto& report = outcome->report;
  if (a.json) {
    nlohmann::json sources = nlohmann::json::array();
    for (const auto& s : p.sources)
      sources.push_back({{"file", s.name}, {"sha256", s.sha256}, {"format", s.format}, {"lines", s.lines},
                         {"numbers", s.numbers}, {"bad_lines", s.bad_lines}});
    nlohmann::json j = {{"name", info.name},       {"version", info.version},    {"as_of", p.as_of},
                        {"count", p.count},        {"bad_lines", p.bad_lines},   {"duplicates", p.duplicates},
                        {"snapshot_id", info.id},  {"checksum", info.checksum},  {"path", info.path},
                        {"bytes", info.file_bytes}, {"sources", sources}};
    if (update)
      j["changes"] = {{"added", p.changes.added},
                      {"deleted", p.changes.deleted},
                      {"missing_deletes", p.changes.missing_deletes},
                      {"redundant_adds", p.changes.redundant_adds}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%s %s version %llu, as of %s: %s numbers from %zu file%s\n", update ? "Updated" : "Loaded",
              info.name.c_str(), static_cast<unsigned long long>(info.version), p.as_of.c_str(),
              with_commas(p.count).c_str(), p.sources.size(), p.sources.size() == 1 ? "" : "s");
  for (const auto& s : p.sources)
    std::printf("  %s (%s, %s lines, sha256 %s)\n", s.name.c_str(), s.format.c_str(), with_commas(s.lines).c_str(),
                s.sha256.c_str());
  if (update)
    std::printf("  changes: %llu added, %llu deleted (%llu deletes of absent numbers, %llu adds already present)\n",
                static_cast<unsigned long long>(p.changes.added), static_cast<unsigned long long>(p.changes.deleted),
                static_cast<unsigned long long>(p.changes.missing_deletes),
                static_cast<unsigned long long>(p.changes.redundant_adds));
  if (report.bad_lines) std::printf("  %s\n", report.summary().c_str());
  if (p.duplicates) std::printf("  %s repeated numbers counted once\n", with_commas(p.duplicates).c_str());
  double per = p.count ? static_cast<double>(info.file_bytes) / static_cast<double>(p.count) : 0;
  std::printf("  snapshot %s: %s bytes (%.2f bytes a number), id %s\n", info.path.c_str(),
              with_commas(info.file_bytes).c_str(), per, info.id.c_str());
  if (!registry::known_registry(info.name))
    std::printf("  note: no rule pack consults a registry named %s\n", info.name.c_str());
}

const CommandRegistration reg(45, [](CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("registry", "Do-not-call registries: load, update, list, show, check, drop");
  cmd->require_subcommand(1);

  auto load_args = std::make_shared<LoadArgs>();
  auto* load = cmd->add_subcommand("load", "Build a new snapshot of a registry from its files (bad lines over the limit: nothing changes)");
  add_parse_options(load, *load_args, false);
  load->callback([load_args, &global] { run_load(*load_args, global, false); });

  auto upd_args = std::make_shared<LoadArgs>();
  auto* upd = cmd->add_subcommand("update", "Apply change files (additions, deletions) to the current snapshot");
  add_parse_options(upd, *upd_args, true);
  upd->callback([upd_args, &global] { run_load(*upd_args, global, true); });

  struct ListArgs {
    std::string at, registries;
    bool json = false;
  };
  auto list_args = std::make_shared<ListArgs>();
  auto* list = cmd->add_subcommand("list", "Show the loaded registries: as-of date, age in days, count, checksum");
  list->add_option("--at", list_args->at, "Age relative to this date, YYYY-MM-DD (default: today, UTC)");
  list->add_flag("--json", list_args->json, "Machine-readable output");
  add_registries_option(list, list_args->registries);
  list->callback([list_args, &global] {
    auto today = list_args->at.empty() ? std::chrono::floor<std::chrono::days>(system_clock().now())
                                       : parse_day(list_args->at, "--at");
    auto dir = open_registry_directory(registries_dir(global, list_args->registries));
    auto names = dir.names();
    if (!names.ok()) throw CliError(names.error().message, kExitInput);
    auto rules = load_rules();
    nlohmann::json out = nlohmann::json::array();
    if (!list_args->json) {
      if (names->empty()) {
        std::printf("No registries loaded in %s: load one with `telemark registry load NAME FILE... --as-of DATE`.\n",
                    dir.root().c_str());
        return;
      }
      std::printf("%-12s %-10s %5s %14s %4s  %-16s  %s\n", "registry", "as of", "age", "numbers", "ver",
                  "checksum", "status");
    }
    for (const auto& name : *names) {
      auto info = require_info(dir, name);
      auto as_of = parse_day(info.provenance.as_of, "registry " + name + " as-of date");
      long age = static_cast<long>((today - as_of).count());
      std::optional<int> max_age;
      if (auto id = rules->registry_id(name)) max_age = rules->registry_max_age_days(*id);
      std::string status = !rules->registry_id(name) ? "not used by the rule packs"
                           : !max_age                ? "no age limit"
                           : age > *max_age ? "STALE (over " + std::to_string(*max_age) + " days: calls are blocked)"
                                            : "fresh (limit " + std::to_string(*max_age) + " days)";
      if (list_args->json) {
        out.push_back({{"name", name},
                       {"as_of", info.provenance.as_of},
                       {"age_days", age},
                       {"count", info.provenance.count},
                       {"version", info.version},
                       {"checksum", info.checksum},
                       {"snapshot_id", info.id},
                       {"path", info.path},
                       {"max_age_days", max_age ? nlohmann::json(*max_age) : nlohmann::json(nullptr)},
                       {"stale", max_age && age > *max_age}});
      } else {
        std::printf("%-12s %-10s %5ld %14s %4llu  %-16.16s  %s\n", name.c_str(), info.provenance.as_of.c_str(), age,
                    with_commas(info.provenance.count).c_str(), static_cast<unsigned long long>(info.version),
                    info.checksum.c_str(), status.c_str());
      }
    }
    if (list_args->json) std::printf("%s\n", out.dump().c_str());
  });

  struct ShowArgs {
    std::string name, registries;
  };
  auto show_args = std::make_shared<ShowArgs>();
  auto* show = cmd->add_subcommand("show", "Show a registry's provenance: source files, checksums, load history");
  show->add_option("name", show_args->name, "Registry name")->required();
  add_registries_option(show, show_args->registries);
  show->callback([show_args, &global] {
    check_name(show_args->name);
    auto store = open_store(global);
    auto dir = open_registry_directory(registries_dir(global, show_args->registries));
    auto info = require_info(dir, show_args->name);
    const auto& p = info.provenance;
    std::printf("registry %s, version %llu (%s), as of %s\n", info.name.c_str(),
                static_cast<unsigned long long>(info.version), p.kind.c_str(), p.as_of.c_str());
    std::printf("  numbers     %s (%s bad lines, %s repeated)\n", with_commas(p.count).c_str(),
                with_commas(p.bad_lines).c_str(), with_commas(p.duplicates).c_str());
    std::printf("  snapshot    %s (%s bytes, id %s)\n", info.path.c_str(), with_commas(info.file_bytes).c_str(),
                info.id.c_str());
    std::printf("  checksum    sha256 %s\n", info.checksum.c_str());
    std::printf("  built       %s in %lld ms\n", format_iso8601(p.built_at).c_str(),
                static_cast<long long>(p.build_millis));
    if (!p.parent_id.empty())
      std::printf("  applied to  %s (as of %s): +%llu -%llu\n", p.parent_id.c_str(), p.parent_as_of.c_str(),
                  static_cast<unsigned long long>(p.changes.added), static_cast<unsigned long long>(p.changes.deleted));
    for (const auto& s : p.sources)
      std::printf("  source      %s (%s, %s lines, %s bad, sha256 %s)\n", s.name.c_str(), s.format.c_str(),
                  with_commas(s.lines).c_str(), with_commas(s.bad_lines).c_str(), s.sha256.c_str());
    auto loads = store->registry_loads(show_args->name);
    if (!loads.ok()) throw CliError(loads.error().message, kExitStore);
    if (!loads->empty()) std::printf("  history (database %s):\n", redact_location(global.db).c_str());
    for (const auto& l : *loads)
      std::printf("    %s  v%lld %-6s as of %s, %s numbers, snapshot %s%s%s\n", format_iso8601(l.loaded_at).c_str(),
                  static_cast<long long>(l.version), l.kind.c_str(), l.as_of.c_str(),
                  with_commas(static_cast<uint64_t>(l.count)).c_str(), l.snapshot_id.c_str(),
                  l.current ? "  (current)" : "",
                  l.dropped_at ? ("  (dropped " + format_iso8601(*l.dropped_at) + ")").c_str() : "");
  });

  struct CheckArgs {
    std::string name, number, region, registries;
    bool json = false;
  };
  auto check_args = std::make_shared<CheckArgs>();
  auto* check = cmd->add_subcommand("check", "Is a number on a registry?");
  check->add_option("name", check_args->name, "Registry name")->required();
  check->add_option("number", check_args->number, "Phone number")->required();
  check->add_option("--region", check_args->region, "Country of a number written without a country code (default: the registry's)");
  check->add_flag("--json", check_args->json, "Machine-readable output");
  add_registries_option(check, check_args->registries);
  check->callback([check_args, &global] {
    check_name(check_args->name);
    auto dir = open_registry_directory(registries_dir(global, check_args->registries));
    require_info(dir, check_args->name);
    auto snap = dir.open_current(check_args->name);
    if (!snap.ok()) throw CliError("registry " + check_args->name + ": " + snap.error().message, kExitInput);
    std::string region =
        check_args->region.empty() ? registry::default_region(check_args->name) : upper_region(check_args->region);
    auto n = normalizer().normalize(check_args->number, region);
    if (!n.ok)
      throw CliError("number " + check_args->number + ": not a valid phone number (" +
                         std::string(phone::to_string(n.reject)) + ")",
                     kExitUsage);
    bool on = (*snap)->contains(n.phone.e164);
    const auto& p = (*snap)->provenance();
    if (check_args->json) {
      nlohmann::json j = {{"registry", check_args->name}, {"phone", plus(n.phone.e164)}, {"listed", on},
                          {"as_of", p.as_of}, {"snapshot_id", (*snap)->id()}};
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("%s is %s %s (as of %s, snapshot %s)\n", plus(n.phone.e164).c_str(), on ? "on" : "not on",
                check_args->name.c_str(), p.as_of.c_str(), (*snap)->id().c_str());
  });

  struct DropArgs {
    std::string name, registries;
  };
  auto drop_args = std::make_shared<DropArgs>();
  auto* drop = cmd->add_subcommand("drop", "Remove a registry and its snapshots (its provenance stays in the database)");
  drop->add_option("name", drop_args->name, "Registry name")->required();
  add_registries_option(drop, drop_args->registries);
  drop->callback([drop_args, &global] {
    check_name(drop_args->name);
    auto store = open_store(global);
    auto dir = open_registry_directory(registries_dir(global, drop_args->registries));
    require_info(dir, drop_args->name);
    if (auto s = dir.drop(drop_args->name); !s.ok())
      throw CliError("registry " + drop_args->name + ": " + s.error().message, exit_code_for(s.error()));
    auto recorded = store->record_registry_drop(drop_args->name);
    if (!recorded.ok())
      throw CliError("registry " + drop_args->name + " was dropped from " + dir.root() +
                         " but the drop was not recorded: " + recorded.error().message,
                     kExitStore);
    std::printf("Dropped registry %s from %s. Calls its rules govern are blocked (registry_missing:%s) until it is "
                "loaded again.\n",
                drop_args->name.c_str(), dir.root().c_str(), drop_args->name.c_str());
  });
});

}  // namespace
}  // namespace telemark::cli
