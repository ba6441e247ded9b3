// telemark dnc add / remove / import / list / check: each tenant's internal
// (entity-specific) do-not-call list. It applies to every campaign of the
// tenant whatever its purpose or exemptions. An add or a removal is
// committed and synced to disk before the command reports success; a
// removal needs a reason and keeps the entry (audited, never deleted).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/time.h"
#include "cli/common.h"
#include "cli/compliance_context.h"
#include "leads/csv.h"
#include "leads/fields.h"
#include "phone/phone.h"

namespace telemark::cli {
namespace {

std::string upper_region(std::string r) {
  for (char& c : r) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return r == "UK" ? "GB" : r;
}

// The number in E.164, or a CliError naming it and what is wrong.
uint64_t normalize_number(const std::string& raw, const std::string& region) {
  auto out = normalizer().normalize(raw, region);
  if (out.ok) return out.phone.e164;
  std::string why(phone::to_string(out.reject));
  std::string hint = region.empty() && out.reject == phone::PhoneReject::kUnknownCountry
                         ? " (write it with its country code, e.g. +1..., or add --region US)"
                         : "";
  throw CliError("number " + raw + ": not a valid phone number (" + why + ")" + hint, kExitUsage);
}

std::string describe(const store::DncEntry& e) {
  std::string s = "added " + format_iso8601(e.added_at);
  if (!e.reason.empty()) s += ", reason: " + e.reason;
  if (!e.source.empty()) s += ", source: " + e.source;
  if (e.removed_at) s += "; removed " + format_iso8601(*e.removed_at) + ", reason: " + e.removed_reason;
  return s;
}

nlohmann::json entry_json(const store::DncEntry& e) {
  return {{"phone", plus(e.phone)},
          {"tenant", e.tenant},
          {"reason", e.reason},
          {"source", e.source},
          {"added_at", format_iso8601(e.added_at)},
          {"removed_at", e.removed_at ? nlohmann::json(format_iso8601(*e.removed_at)) : nlohmann::json(nullptr)},
          {"removed_reason", e.removed_reason}};
}

struct DncArgs {
  std::vector<std::string> numbers;
  std::string number, file, tenant = "default", reason, source, region, column, encoding = "utf-8";
  bool all = false, json = false, skip_bad = false;
};

void add_common(CLI::App* c, DncArgs& a, bool with_region = true) {
  c->add_option("--tenant", a.tenant, "Tenant whose list it is")->capture_default_str();
  if (with_region)
    c->add_option("--region", a.region, "Country (ISO code) of numbers written without a country code");
}

const CommandRegistration reg(50, [](CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("dnc", "The tenant's internal do-not-call list: add, remove (audited), import, list, check");
  cmd->require_subcommand(1);

  auto add_args = std::make_shared<DncArgs>();
  add_args->source = "cli";
  auto* add = cmd->add_subcommand("add", "Put numbers on the list (synced to disk before it reports success)");
  add->add_option("numbers", add_args->numbers, "Phone numbers")->required();
  add_common(add, *add_args);
  add->add_option("--reason", add_args->reason, "Why (e.g. \"asked on the call of 2026-05-01\")");
  add->add_option("--source", add_args->source, "Where the request came from")->capture_default_str();
  add->callback([add_args, &global] {
    std::string region = upper_region(add_args->region);
    std::vector<store::DncAdd> adds;
    for (const auto& raw : add_args->numbers)
      adds.push_back({normalize_number(raw, region), add_args->reason, add_args->source});
    auto store = open_store(global);
    auto r = store->add_dnc(add_args->tenant, adds);
    if (!r.ok()) throw CliError(r.error().message + " (nothing was added)", kExitStore);
    std::printf("Added %lld number%s to the internal do-not-call list of tenant %s",
                static_cast<long long>(r->added), r->added == 1 ? "" : "s", add_args->tenant.c_str());
    if (r->already) std::printf(" (%lld already on it)", static_cast<long long>(r->already));
    std::printf("; committed and synced.\n");
    for (const auto& a : adds) std::printf("  %s\n", plus(a.phone).c_str());
  });

  auto rm_args = std::make_shared<DncArgs>();
  auto* rm = cmd->add_subcommand("remove", "Take a number off the list; the entry is kept with the reason and time");
  rm->add_option("number", rm_args->number, "Phone number")->required();
  add_common(rm, *rm_args);
  rm->add_option("--reason", rm_args->reason, "Why it is removed (required, kept for audit)")->required();
  rm->callback([rm_args, &global] {
    if (rm_args->reason.empty()) throw CliError("--reason: a removal needs a reason (it is kept for audit)", kExitUsage);
    uint64_t phone = normalize_number(rm_args->number, upper_region(rm_args->region));
    auto store = open_store(global);
    auto r = store->remove_dnc(rm_args->tenant, phone, rm_args->reason);
    if (!r.ok()) {
      if (r.error().code == "not_on_list")
        throw CliError(plus(phone) + " is not on the internal do-not-call list of tenant " + rm_args->tenant,
                       kExitUsage);
      throw CliError(r.error().message, kExitStore);
    }
    std::printf("Removed %s from the internal do-not-call list of tenant %s (%s); committed and synced.\n",
                plus(phone).c_str(), rm_args->tenant.c_str(), describe(*r).c_str());
  });

  auto imp_args = std::make_shared<DncArgs>();
  auto* imp = cmd->add_subcommand("import", "Put every number of a file on the list (CSV with a phone column, or one number a line)");
  imp->add_option("file", imp_args->file, "CSV file (optional columns: reason, source)")->required();
  add_common(imp, *imp_args);
  imp->add_option("--column", imp_args->column, "The phone column's header (default: recognized by name)");
  imp->add_option("--reason", imp_args->reason, "Reason for rows without a reason column");
  imp->add_option("--source", imp_args->source, "Source for rows without a source column (default: the file name)");
  imp->add_option("--encoding", imp_args->encoding, "utf-8, latin1 or windows-1252")->capture_default_str();
  imp->add_flag("--skip-bad", imp_args->skip_bad, "Add the good rows even if some numbers are invalid");
  imp->callback([imp_args, &global] {
    const DncArgs& a = *imp_args;
    std::string region = upper_region(a.region);
    leads::CsvOptions opt;
    auto enc = leads::parse_encoding(a.encoding);
    if (!enc.ok()) throw CliError("--encoding " + a.encoding + ": " + enc.error().message, kExitUsage);
    opt.encoding = *enc;
    auto reader = leads::CsvReader::open(a.file, opt);
    if (!reader.ok()) throw CliError(reader.error().message, kExitInput);
    leads::CsvRecord rec;
    auto first = (*reader)->next(rec);
    if (!first.ok()) throw CliError(first.error().message, kExitInput);
    if (!*first) throw CliError(a.file + ": the file is empty", kExitInput);
    // A header names the columns; a first line that is itself a number
    // means a plain list of numbers.
    int phone_col = -1, reason_col = -1, source_col = -1;
    std::vector<store::DncAdd> adds;
    std::vector<std::string> bad;
    uint64_t bad_count = 0, rows = 0;
    std::string default_source = a.source.empty() ? std::filesystem::path(a.file).filename().string() : a.source;
    auto take = [&](const leads::CsvRecord& r) {
      ++rows;
      if (static_cast<int>(r.fields.size()) <= phone_col) {
        ++bad_count;
        if (bad.size() < 5) bad.push_back(a.file + ":" + std::to_string(r.line) + ": no phone column");
        return;
      }
      std::string_view raw = r.fields[static_cast<size_t>(phone_col)];
      auto out = normalizer().normalize(raw, region);
      if (!out.ok) {
        ++bad_count;
        if (bad.size() < 5)
          bad.push_back(a.file + ":" + std::to_string(r.line) + ": " + std::string(raw) + ": " +
                        std::string(phone::to_string(out.reject)));
        return;
      }
      store::DncAdd add{out.phone.e164, a.reason, default_source};
      if (reason_col >= 0 && static_cast<size_t>(reason_col) < r.fields.size() && !r.fields[static_cast<size_t>(reason_col)].empty())
        add.reason = std::string(r.fields[static_cast<size_t>(reason_col)]);
      if (source_col >= 0 && static_cast<size_t>(source_col) < r.fields.size() && !r.fields[static_cast<size_t>(source_col)].empty())
        add.source = std::string(r.fields[static_cast<size_t>(source_col)]);
      adds.push_back(std::move(add));
    };
    for (size_t i = 0; i < rec.fields.size(); ++i) {
      std::string folded = leads::fold_header(rec.fields[i]);
      bool is_phone = a.column.empty() ? leads::recognize_header(rec.fields[i]) == leads::Field::kPhone
                                       : folded == leads::fold_header(a.column);
      if (is_phone && phone_col < 0) phone_col = static_cast<int>(i);
      if (folded == "reason" && reason_col < 0) reason_col = static_cast<int>(i);
      if (folded == "source" && source_col < 0) source_col = static_cast<int>(i);
    }
    if (phone_col < 0) {
      bool number_line = !rec.fields.empty() && normalizer().normalize(rec.fields[0], region).ok;
      if (!a.column.empty() || !number_line)
        throw CliError(a.file + ":" + std::to_string(rec.line) + ": no phone column" +
                           (a.column.empty() ? " (name it phone, or give --column)" : " named " + a.column),
                       kExitInput);
      phone_col = 0;
      take(rec);
    }
    while (true) {
      auto more = (*reader)->next(rec);
      if (!more.ok()) throw CliError(more.error().message + " (nothing was added)", kExitInput);
      if (!*more) break;
      take(rec);
    }
    if (bad_count && !a.skip_bad) {
      std::string list;
      for (const auto& b : bad) list += "\n  " + b;
      throw CliError(std::to_string(bad_count) + " of " + std::to_string(rows) +
                         " rows have no valid number; nothing was added (fix them or add --skip-bad):" + list,
                     kExitInput);
    }
    auto store = open_store(global);
    auto r = store->add_dnc(a.tenant, adds);
    if (!r.ok()) throw CliError(r.error().message + " (nothing was added)", kExitStore);
    std::printf("Imported %s into the internal do-not-call list of tenant %s: %lld added, %lld already on it",
                a.file.c_str(), a.tenant.c_str(), static_cast<long long>(r->added),
                static_cast<long long>(r->already));
    if (bad_count) std::printf(", %llu rows skipped", static_cast<unsigned long long>(bad_count));
    std::printf("; committed and synced.\n");
    for (const auto& b : bad) std::printf("  skipped %s\n", b.c_str());
  });

  auto ls_args = std::make_shared<DncArgs>();
  auto* ls = cmd->add_subcommand("list", "Show the numbers on the list");
  add_common(ls, *ls_args, false);
  ls->add_flag("--all", ls_args->all, "Also show removed entries");
  ls->add_flag("--json", ls_args->json, "Machine-readable output");
  ls->callback([ls_args, &global] {
    auto store = open_store(global);
    nlohmann::json out = nlohmann::json::array();
    int64_t n = 0;
    auto s = store->scan_dnc(ls_args->tenant, ls_args->all, [&](const store::DncEntry& e) {
      ++n;
      if (ls_args->json) {
        out.push_back(entry_json(e));
      } else {
        std::printf("%-16s %s%s\n", plus(e.phone).c_str(), e.removed_at ? "[removed] " : "", describe(e).c_str());
      }
      return true;
    });
    if (!s.ok()) throw CliError(s.error().message, kExitStore);
    if (ls_args->json) {
      std::printf("%s\n", out.dump().c_str());
      return;
    }
    auto count = store->count_dnc(ls_args->tenant);
    if (!count.ok()) throw CliError(count.error().message, kExitStore);
    std::printf("(%lld numbers on the internal do-not-call list of tenant %s)\n", static_cast<long long>(*count),
                ls_args->tenant.c_str());
  });

  auto ck_args = std::make_shared<DncArgs>();
  auto* ck = cmd->add_subcommand("check", "Is a number on the list? With its history");
  ck->add_option("number", ck_args->number, "Phone number")->required();
  add_common(ck, *ck_args);
  ck->add_flag("--json", ck_args->json, "Machine-readable output");
  ck->callback([ck_args, &global] {
    uint64_t phone = normalize_number(ck_args->number, upper_region(ck_args->region));
    auto store = open_store(global);
    auto history = store->dnc_history(ck_args->tenant, phone);
    if (!history.ok()) throw CliError(history.error().message, kExitStore);
    bool on = !history->empty() && !history->front().removed_at;
    if (ck_args->json) {
      nlohmann::json h = nlohmann::json::array();
      for (const auto& e : *history) h.push_back(entry_json(e));
      nlohmann::json j = {{"phone", plus(phone)}, {"tenant", ck_args->tenant}, {"on_list", on}, {"history", h}};
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("%s is %s the internal do-not-call list of tenant %s\n", plus(phone).c_str(),
                on ? "on" : "not on", ck_args->tenant.c_str());
    for (const auto& e : *history) std::printf("  %s\n", describe(e).c_str());
  });
});

}  // namespace
}  // namespace telemark::cli
