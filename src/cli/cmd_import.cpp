// telemark import: load a CSV list of prospects.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cli/common.h"
#include "leads/import.h"
#include "phone/phone.h"

namespace telemark::cli {
namespace {

struct ImportArgs {
  std::string file, list, tenant = "default", region, delimiter, encoding = "utf-8", rejects;
  std::vector<std::string> maps;
  bool json = false;
};

// Progress on stderr: a redrawn bar on a terminal, a plain line every few
// seconds otherwise. Wall-clock time here is presentation only.
class ProgressView {
 public:
  ProgressView() : tty_(::isatty(2) != 0), start_(std::chrono::steady_clock::now()) {}
  void update(const leads::ImportProgress& p, bool final) {
    auto now = std::chrono::steady_clock::now();
    double secs = std::chrono::duration<double>(now - start_).count();
    if (!final && now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5)))
      return;
    if (!final && secs < 1.0) return;  // short imports print no progress
    last_ = now;
    shown_ = true;
    double rate = secs > 0 ? static_cast<double>(p.rows) / secs : 0;
    double frac = p.total_bytes ? static_cast<double>(p.bytes_read) / static_cast<double>(p.total_bytes) : 0;
    double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
    if (tty_) {
      int width = 30, filled = static_cast<int>(frac * width);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(static_cast<size_t>(width), '.');
      std::fprintf(stderr, "\r[%s] %5.1f%%  %llu rows  %.0f rows/s  ETA %.0fs   ", bar.c_str(),
                   frac * 100, static_cast<unsigned long long>(p.rows), rate, eta);
    } else {
      std::fprintf(stderr, "import: %.0f%%, %llu rows, %.0f rows/s, ETA %.0fs\n", frac * 100,
                   static_cast<unsigned long long>(p.rows), rate, eta);
    }
  }
  // Ends a redrawn bar's line.
  void finish() {
    if (shown_ && tty_) std::fputc('\n', stderr);
  }

 private:
  bool tty_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_{};
};

const CommandRegistration reg(20, [](CLI::App& app, GlobalOptions& global) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand("import", "Import a CSV list of prospects: normalize, validate, dedupe, store");
  cmd->add_option("file", args->file, "CSV file (',', ';' or tab separated)")->required();
  cmd->add_option("--list", args->list, "List to import into (created if missing)")->required();
  cmd->add_option("--tenant", args->tenant, "Tenant owning the list")->capture_default_str();
  cmd->add_option("--region", args->region,
                  "Default country (ISO code, e.g. US, IT, GB) for numbers without a country code");
  cmd->add_option("--map", args->maps, "COLUMN=FIELD: map a column to a lead field (repeatable)");
  cmd->add_option("--delimiter", args->delimiter, "Field delimiter (default: detected; 'tab' for tab)");
  cmd->add_option("--encoding", args->encoding, "utf-8, latin1 or windows-1252")->capture_default_str();
  cmd->add_option("--rejects", args->rejects, "Write rejected rows (line, column, reason, raw row) to this CSV");
  cmd->add_flag("--json", args->json, "Print a machine-readable summary");
  cmd->callback([args, &global] {
    leads::ImportOptions opt;
    opt.file = args->file;
    opt.list = args->list;
    opt.tenant = args->tenant;
    opt.default_region = args->region;
    opt.rejects_path = args->rejects;
    for (const auto& m : args->maps) {
      auto eq = m.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
        throw CliError("--map " + m + ": expected COLUMN=FIELD, e.g. --map Cellulare=phone", kExitUsage);
      opt.map.emplace_back(m.substr(0, eq), m.substr(eq + 1));
    }
    if (!args->delimiter.empty()) {
      const std::string& d = args->delimiter;
      if (d == "tab" || d == "\\t" || d == "\t") opt.csv.delimiter = '\t';
      else if (d.size() == 1 && d != "\"" && d != "\n" && d != "\r") opt.csv.delimiter = d[0];
      else throw CliError("--delimiter " + d + ": expected one character such as , ; | or 'tab'", kExitUsage);
    }
    auto enc = leads::parse_encoding(args->encoding);
    if (!enc.ok()) throw CliError("--encoding " + args->encoding + ": " + enc.error().message, kExitUsage);
    opt.csv.encoding = *enc;

    auto store = open_store(global);
    ProgressView view;
    opt.progress = [&view](const leads::ImportProgress& p) { view.update(p, false); };
    auto result = leads::import_leads(*store, normalizer(), time_zones(), opt);
    view.finish();
    if (!result.ok()) {
      const auto& code = result.error().code;
      int exit = (code == "bad_region" || code == "bad_mapping" || code == "bad_list") ? kExitUsage
                 : (code == "store_error" || code == "io_error_db") ? kExitStore
                                                                    : kExitInput;
      throw CliError(result.error().message + " (nothing was imported)", exit);
    }
    const auto& s = *result;
    if (args->json) {
      nlohmann::json j;
      j["imported"] = s.imported;
      j["duplicates"] = s.duplicates;
      j["rejected"] = s.rejected;
      j["rejected_by_reason"] = s.rejected_by_reason;
      j["rows"] = s.rows;
      j["list"] = args->list;
      j["import_id"] = s.import_id;
      j["sha256"] = s.file_sha256;
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("Imported %s into list '%s' (tenant %s):\n", args->file.c_str(), args->list.c_str(),
                args->tenant.c_str());
    std::printf("  rows        %10llu\n", static_cast<unsigned long long>(s.rows));
    std::printf("  imported    %10llu\n", static_cast<unsigned long long>(s.imported));
    std::printf("  duplicates  %10llu\n", static_cast<unsigned long long>(s.duplicates));
    std::printf("  rejected    %10llu\n", static_cast<unsigned long long>(s.rejected));
    for (const auto& [reason, n] : s.rejected_by_reason)
      std::printf("    %-22s %8llu\n", reason.c_str(), static_cast<unsigned long long>(n));
    if (!s.attribute_columns.empty()) {
      std::string cols;
      for (const auto& c : s.attribute_columns) cols += (cols.empty() ? "" : ", ") + c;
      std::printf("  kept as custom attributes: %s\n", cols.c_str());
    }
    if (s.rejected && args->rejects.empty())
      std::printf("  (add --rejects FILE to see every rejected row with its line and reason)\n");
    else if (s.rejected)
      std::printf("  rejected rows written to %s\n", args->rejects.c_str());
  });
});

}  // namespace
}  // namespace telemark::cli
