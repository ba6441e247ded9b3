// telemark lists / telemark leads: what the database holds.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/time.h"
#include "cli/common.h"
#include "leads/csv.h"
#include "leads/lead_text.h"
#include "leads/segment.h"

namespace telemark::cli {
namespace {

void print_lead_row(const store::Lead& l) {
  std::printf("%-8lld %-16s %-20s %s %s %-3s %s %s\n", static_cast<long long>(l.id),
              ("+" + std::to_string(l.phone)).c_str(), l.number_type.c_str(), cell(l.first_name, 18).c_str(),
              cell(l.last_name, 18).c_str(), l.country.c_str(), cell(l.region, 6).c_str(), l.time_zones.c_str());
}

std::string opt_time(const std::optional<Instant>& t) { return t ? format_iso8601(*t) : ""; }

// The export's columns: the lead's text fields (leads/lead_text.h), then
// its score and its custom attributes as JSON.
std::string export_header() {
  std::string h;
  for (std::string_view f : leads::lead_text_fields()) (h += f) += ',';
  return h + "score,attributes\n";
}

std::string export_row(const store::Lead& l) {
  std::string row;
  for (size_t i = 0; i < leads::lead_text_fields().size(); ++i) {
    leads::append_csv_field(row, leads::lead_field_text(l, i));
    row.push_back(',');
  }
  leads::append_csv_field(row, l.score ? std::to_string(*l.score) : "");
  row.push_back(',');
  leads::append_csv_field(row, l.attributes_json);
  row.push_back('\n');
  return row;
}

nlohmann::json lead_json(const store::Lead& l) {
  nlohmann::json j;
  j["id"] = l.id;
  j["list_id"] = l.list_id;
  j["phone"] = "+" + std::to_string(l.phone);
  j["phone_raw"] = l.phone_raw;
  j["extension"] = l.extension;
  j["number_type"] = l.number_type;
  j["time_zones"] = l.time_zones;
  j["first_name"] = l.first_name;
  j["last_name"] = l.last_name;
  j["email"] = l.email;
  j["address"] = l.address;
  j["city"] = l.city;
  j["region"] = l.region;
  j["postal_code"] = l.postal_code;
  j["country"] = l.country;
  j["consent_at"] = opt_time(l.facts.consent_at);
  j["consent_revoked_at"] = opt_time(l.facts.consent_revoked_at);
  j["last_purchase_at"] = opt_time(l.facts.last_purchase_at);
  j["last_inquiry_at"] = opt_time(l.facts.last_inquiry_at);
  j["contract_active"] = l.facts.contract_active;
  j["contract_ended_at"] = opt_time(l.facts.contract_ended_at);
  j["score"] = l.score ? nlohmann::json(*l.score) : nlohmann::json(nullptr);
  j["source_line"] = l.source_line;
  j["attributes"] = nlohmann::json::parse(l.attributes_json, nullptr, false);
  return j;
}

struct LeadsArgs {
  std::string tenant, list, country, region, export_path, where, into;
  int64_t limit = 20;
  int64_t show = 0;
  bool count = false, json = false;
};

// Streams the leads of `filter` that the segment (if any) matches, at most
// `limit` (0: all) of them, to `sink`; returns how many matched. Every
// scanned lead feeds the attribute census; a name no scanned lead has is
// reported on stderr as a likely typo (unless the scan stopped early).
int64_t scan_matching(store::Store& store, const store::LeadFilter& filter, const leads::Segment* where,
                      int64_t limit, const std::function<void(const store::Lead&)>& sink) {
  if (!where) {
    int64_t n = 0;
    auto s = store.scan_leads(filter, [&](const store::Lead& l) {
      sink(l);
      ++n;
      return true;
    });
    if (!s.ok()) throw CliError(s.error().message, kExitStore);
    return n;
  }
  leads::AttributeCensus census(*where);
  int64_t n = 0;
  bool stopped = false;
  auto s = store.scan_leads(filter, [&](const store::Lead& l) {
    census.add(l);
    if (!where->matches(l)) return true;
    sink(l);
    ++n;
    stopped = limit > 0 && n >= limit;
    return !stopped;
  });
  if (!s.ok()) throw CliError(s.error().message, kExitStore);
  if (!stopped)
    for (const auto& w : census.unknown()) std::fprintf(stderr, "warning: --where: %s\n", w.c_str());
  return n;
}

// --into: copies the tenant's leads the segment matches into a new list,
// in one import transaction; nothing changes on any error. The leads are
// read on a second connection while the import's writer appends them, so
// memory holds a batch and the set of numbers copied, not the segment.
void copy_into(store::Store& store, const GlobalOptions& global, const LeadsArgs& a, const leads::Segment& where,
               store::LeadFilter filter) {
  const std::string tenant = a.tenant.empty() ? "default" : a.tenant;
  filter.tenant = tenant;
  filter.limit.reset();
  auto exists = store.find_list(tenant, a.into);
  if (!exists.ok()) throw CliError(exists.error().message, kExitStore);
  if (exists->has_value())
    throw CliError("--into " + a.into + ": tenant " + tenant +
                       " already has a list of that name; name a new list (nothing copied)",
                   kExitUsage);
  auto reader = open_store(global);
  store::ImportRun run;
  run.file_name = "segment: " + where.text() + " from " + (a.list.empty() ? "tenant " + tenant : a.list);
  auto writer = store.begin_import(tenant, a.into, run);
  if (!writer.ok()) throw CliError("--into " + a.into + ": " + writer.error().message, kExitStore);
  leads::AttributeCensus census(where);
  std::vector<store::Lead> batch;
  std::unordered_set<uint64_t> phones;
  int64_t matched = 0, copied = 0;
  Status appended;
  constexpr size_t kBatch = 4096;
  auto flush = [&] {
    if (batch.empty() || !appended.ok()) return;
    appended = (*writer)->append(batch);
    copied += static_cast<int64_t>(batch.size());
    batch.clear();
  };
  auto s = reader->scan_leads(filter, [&](const store::Lead& l) {
    census.add(l);
    if (!where.matches(l)) return true;
    ++matched;
    if (!phones.insert(l.phone).second) return true;  // a number once per list
    batch.push_back(l);
    batch.back().id = 0;
    if (batch.size() == kBatch) flush();
    return appended.ok();
  });
  flush();
  // On any error below, the writer goes away uncommitted: rolled back.
  if (!s.ok()) throw CliError(s.error().message + " (nothing copied)", kExitStore);
  if (!appended.ok())
    throw CliError("--into " + a.into + ": " + appended.error().message + " (nothing copied)", kExitStore);
  auto unknown = census.unknown();
  if (!unknown.empty()) {
    std::string msg = "--where: ";
    for (size_t i = 0; i < unknown.size(); ++i) msg += (i ? "; " : "") + unknown[i];
    throw CliError(msg + " (nothing copied)", kExitUsage);
  }
  store::ImportRun counts;
  counts.rows = matched;
  counts.imported = copied;
  counts.duplicates = matched - counts.imported;
  auto done = (*writer)->commit(counts);
  if (!done.ok()) throw CliError("--into " + a.into + ": " + done.error().message + " (nothing copied)", kExitStore);
  if (a.json) {
    nlohmann::json out{{"tenant", tenant},         {"list", a.into},
                       {"list_id", done->list_id}, {"import_id", done->id},
                       {"matched", matched},       {"copied", counts.imported},
                       {"duplicates", counts.duplicates}, {"import", done->file_name}};
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  std::printf("copied %lld leads into list %s (tenant %s)", static_cast<long long>(counts.imported),
              a.into.c_str(), tenant.c_str());
  if (counts.duplicates)
    std::printf("; %lld matching leads skipped: their number was already copied from another list",
                static_cast<long long>(counts.duplicates));
  std::printf("\n");
}

const CommandRegistration lists_reg(30, [](CLI::App& app, GlobalOptions& global) {
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("lists", "Show the lead lists and how many leads each holds");
  cmd->add_flag("--json", *json, "Machine-readable output");
  cmd->callback([json, &global] {
    auto store = open_store(global);
    auto lists = store->lists();
    if (!lists.ok()) throw CliError(lists.error().message, kExitStore);
    if (*json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& l : *lists)
        out.push_back({{"id", l.id}, {"tenant", l.tenant}, {"name", l.name}, {"leads", l.lead_count},
                       {"created_at", format_iso8601(l.created_at)}});
      std::printf("%s\n", out.dump().c_str());
      return;
    }
    if (lists->empty()) {
      std::printf("No lists yet: add one with `telemark import FILE --list NAME`.\n");
      return;
    }
    std::printf("%-6s %-12s %-28s %12s  %s\n", "id", "tenant", "list", "leads", "created");
    for (const auto& l : *lists)
      std::printf("%-6lld %-12s %-28s %12lld  %s\n", static_cast<long long>(l.id), l.tenant.c_str(),
                  l.name.c_str(), static_cast<long long>(l.lead_count),
                  format_iso8601(l.created_at).c_str());
  });
});

const CommandRegistration leads_reg(31, [](CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<LeadsArgs>();
  auto* cmd = app.add_subcommand("leads", "Count, show or export leads, filtered by list, country, region or a --where segment; "
      "--into copies a segment into a new list");
  cmd->add_option("--tenant", a->tenant, "Only this tenant's lists");
  cmd->add_option("--list", a->list, "Only this list");
  cmd->add_option("--country", a->country, "Only numbers of this country (ISO code, e.g. US)");
  cmd->add_option("--region", a->region, "Only leads whose address region (state, province) is this");
  cmd->add_flag("--count", a->count, "Print only the number of matching leads");
  cmd->add_option("--show", a->show, "Show one lead in full, by id");
  cmd->add_option("--export", a->export_path, "Write matching leads as CSV to FILE ('-' for stdout)");
  cmd->add_option("--limit", a->limit, "At most this many leads listed (0: all; export ignores it unless given)")
      ->capture_default_str();
  cmd->add_option("--where", a->where,
                  "Only leads matching this segment, e.g. \"score >= 0.3 and region in ('CA','NY') and age < 65\" "
                  "(language: src/leads/README.md)");
  cmd->add_option("--into", a->into, "Copy the leads --where matches into this new list of the tenant");
  cmd->add_flag("--json", a->json, "Machine-readable output");
  cmd->callback([a, cmd, &global] {
    std::optional<leads::Segment> where;
    if (cmd->count("--where")) {
      auto parsed = leads::Segment::parse(a->where);
      if (!parsed.ok()) throw CliError("--where: " + parsed.error().message, kExitUsage);
      where = std::move(*parsed);
    }
    if (!a->into.empty() && !where) throw CliError("--into needs --where: the segment to copy", kExitUsage);
    auto store = open_store(global);
    if (a->show) {
      auto lead = store->get_lead(a->show);
      if (!lead.ok()) throw CliError(lead.error().message, kExitStore);
      if (!lead->has_value()) throw CliError("--show " + std::to_string(a->show) + ": no such lead", kExitUsage);
      std::printf("%s\n", lead_json(**lead).dump(2).c_str());
      return;
    }
    store::LeadFilter filter;
    if (!a->tenant.empty()) filter.tenant = a->tenant;
    if (!a->list.empty()) {
      filter.list = a->list;
      auto found = store->find_list(a->tenant.empty() ? "default" : a->tenant, a->list);
      if (!found.ok()) throw CliError(found.error().message, kExitStore);
      if (!found->has_value() && (!a->tenant.empty() || !a->into.empty()))
        throw CliError("--list " + a->list + ": no such list for tenant " +
                           (a->tenant.empty() ? "default" : a->tenant),
                       kExitUsage);
    }
    if (!a->country.empty()) {
      std::string c = a->country;
      for (char& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      filter.country = c;
    }
    if (!a->region.empty()) filter.region = a->region;
    // Narrow the store's scan with what the segment requires; the segment
    // still decides every lead.
    if (where && !filter.country) filter.country = where->required_country();
    if (where && !filter.region) filter.region = where->required_region();
    const leads::Segment* segment = where ? &*where : nullptr;
    if (!a->into.empty()) {
      copy_into(*store, global, *a, *where, filter);
      return;
    }
    if (a->count && segment) {
      int64_t n = scan_matching(*store, filter, segment, 0, [](const store::Lead&) {});
      if (a->json) std::printf("{\"count\":%lld}\n", static_cast<long long>(n));
      else std::printf("%lld\n", static_cast<long long>(n));
      return;
    }
    if (a->count) {
      auto n = store->count_leads(filter);
      if (!n.ok()) throw CliError(n.error().message, kExitStore);
      if (a->json) std::printf("{\"count\":%lld}\n", static_cast<long long>(*n));
      else std::printf("%lld\n", static_cast<long long>(*n));
      return;
    }
    if (!a->export_path.empty()) {
      int64_t limit = cmd->count("--limit") && a->limit > 0 ? a->limit : 0;
      if (!segment && limit > 0) filter.limit = limit;
      std::FILE* out = a->export_path == "-" ? stdout : std::fopen(a->export_path.c_str(), "wb");
      if (!out) throw CliError("--export " + a->export_path + ": cannot create the file", kExitUsage);
      std::fputs(export_header().c_str(), out);
      int64_t n = 0;
      try {
        n = scan_matching(*store, filter, segment, limit, [&](const store::Lead& l) {
          auto row = export_row(l);
          std::fwrite(row.data(), 1, row.size(), out);
        });
      } catch (...) {
        if (out != stdout) std::fclose(out);
        throw;
      }
      bool write_failed = std::ferror(out) != 0;
      if (out != stdout) write_failed |= std::fclose(out) != 0;
      if (write_failed) throw CliError("--export " + a->export_path + ": write failed", kExitUsage);
      if (out != stdout) std::fprintf(stderr, "exported %lld leads to %s\n", static_cast<long long>(n), a->export_path.c_str());
      return;
    }
    if (a->limit > 0 && !segment) filter.limit = a->limit;
    if (a->json) {
      nlohmann::json arr = nlohmann::json::array();
      scan_matching(*store, filter, segment, a->limit, [&](const store::Lead& l) { arr.push_back(lead_json(l)); });
      std::printf("%s\n", arr.dump().c_str());
      return;
    }
    if (segment) {
      // One scan: the first --limit matches listed, all of them counted.
      std::printf("%-8s %-16s %-20s %-18s %-18s %-3s %-6s %s\n", "id", "phone", "type", "first name",
                  "last name", "cc", "region", "time zones");
      int64_t listed = 0;
      int64_t total = scan_matching(*store, filter, segment, 0, [&](const store::Lead& l) {
        if (a->limit > 0 && listed >= a->limit) return;
        ++listed;
        print_lead_row(l);
      });
      std::printf("(%lld matching leads%s)\n", static_cast<long long>(total),
                  a->limit > 0 && total > a->limit ? "; --limit 0 lists all, --export FILE writes CSV" : "");
      return;
    }
    auto total = store->count_leads(store::LeadFilter{filter.tenant, filter.list, filter.country, filter.region, std::nullopt});
    if (!total.ok()) throw CliError(total.error().message, kExitStore);
    std::printf("%-8s %-16s %-20s %-18s %-18s %-3s %-6s %s\n", "id", "phone", "type", "first name",
                "last name", "cc", "region", "time zones");
    auto s = store->scan_leads(filter, [&](const store::Lead& l) {
      print_lead_row(l);
      return true;
    });
    if (!s.ok()) throw CliError(s.error().message, kExitStore);
    std::printf("(%lld matching leads%s)\n", static_cast<long long>(*total),
                filter.limit && *total > *filter.limit ? "; --limit 0 lists all, --export FILE writes CSV" : "");
  });
});

}  // namespace
}  // namespace telemark::cli
