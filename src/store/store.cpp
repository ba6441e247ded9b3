#include "store/store.h"

#include <algorithm>
#include <cmath>

#include "base/time.h"
#include "store/internal.h"

namespace telemark::store {

Result<std::unique_ptr<Store>> Store::open(const std::string& location) {
  // Stateless, so sharing one across stores and threads is safe.
  static const SystemClock system_clock;
  return open(location, system_clock);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& location, const Clock& clock) {
  if (location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0)
    return internal::open_postgres(location, clock);
  if (location.empty())
    return make_error("store_open_failed",
                      "no database given: expected a SQLite file path or a postgresql:// URL");
  return internal::open_sqlite(location, clock);
}

namespace internal {

std::string placeholder(char style, size_t index) {
  std::string out(1, style);
  out += std::to_string(index);
  return out;
}

std::string join_where(const std::vector<std::string>& conditions) {
  std::string out;
  for (const auto& c : conditions) {
    out += out.empty() ? " WHERE " : " AND ";
    out += c;
  }
  return out;
}

FilterSql filter_sql(const LeadFilter& filter, char style) {
  FilterSql f;
  f.from = "leads l";
  if (filter.tenant || filter.list) f.from += " JOIN lists li ON li.id = l.list_id";
  if (filter.tenant) f.from += " JOIN tenants t ON t.id = li.tenant_id";
  auto add = [&](const char* column, const std::string& value) {
    f.params.push_back(value);
    f.where.push_back(std::string(column) + " = " + placeholder(style, f.params.size()));
  };
  if (filter.tenant) add("t.name", *filter.tenant);
  if (filter.list) add("li.name", *filter.list);
  if (filter.country) add("l.country", *filter.country);
  if (filter.region) add("l.region", *filter.region);
  return f;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  size_t start = scheme + 3;
  size_t end = out.find_first_of("/?#", start);
  if (end == std::string::npos) end = out.size();
  size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= start) {
    size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
  }
  size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string kept;
  size_t pos = query + 1;
  while (pos <= out.size()) {
    size_t amp = out.find('&', pos);
    if (amp == std::string::npos) amp = out.size();
    std::string_view param(out.data() + pos, amp - pos);
    if (!param.empty() && param.rfind("password=", 0) != 0) {
      kept += kept.empty() ? "" : "&";
      kept += param;
    }
    pos = amp + 1;
  }
  out.erase(query);
  if (!kept.empty()) out += "?" + kept;
  return out;
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  auto t = parse_iso8601(s);
  return t.ok() && format_date(*t) == s;
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ';';
    out += item;
  }
  return out;
}

std::vector<std::string> split_list(std::string_view joined) {
  std::vector<std::string> out;
  if (joined.empty()) return out;
  size_t start = 0;
  while (true) {
    size_t semi = joined.find(';', start);
    out.emplace_back(joined.substr(start, semi - start));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  return out;
}

std::string plus_phone(uint64_t phone) {
  std::string s = std::to_string(phone);
  s.insert(s.begin(), '+');
  return s;
}

Status check_registry_load(const RegistryLoad& load, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return make_error("invalid_argument", where + ": registry load of '" + load.name + "': " + what);
  };
  if (load.name.empty()) return bad("a registry load needs a name");
  if (!valid_date(load.as_of)) return bad("as_of '" + load.as_of + "' is not a YYYY-MM-DD date");
  if (load.snapshot_id.empty()) return bad("no snapshot id");
  if (load.kind != "load" && load.kind != "update")
    return bad("kind '" + load.kind + "' is neither 'load' nor 'update'");
  return {};
}

Status check_receipt(const DecisionReceipt& r, size_t index, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return make_error("invalid_argument",
                      where + ": receipt " + std::to_string(index + 1) + ": " + what);
  };
  if (r.tenant.empty()) return bad("no tenant");
  if (r.campaign.empty()) return bad("no campaign");
  if (r.verdict != "callable" && r.verdict != "not_now" && r.verdict != "blocked")
    return bad("verdict '" + r.verdict + "' is not callable, not_now or blocked");
  if (r.phone != 0 && !valid_phone(r.phone))
    return bad("phone " + std::to_string(r.phone) + " is not an E.164 number (1 to 15 digits)");
  for (const auto* list : {&r.reasons, &r.rule_packs, &r.registry_snapshots, &r.local_times})
    for (const auto& item : *list)
      if (item.empty() || item.find(';') != std::string::npos)
        return bad("list item '" + item + "' is empty or contains ';'");
  return {};
}

std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

Status check_lead_scores(std::span<const LeadScore> scores, const std::string& where) {
  bool ascending = true;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i].score))
      return make_error("invalid_argument", where + ": set lead scores: lead " +
                                                std::to_string(scores[i].lead_id) + ": the score is not a number");
    if (i > 0 && scores[i].lead_id <= scores[i - 1].lead_id) ascending = false;
  }
  if (ascending) return {};  // the usual case (scores in scan order): no copy needed
  std::vector<int64_t> ids;
  ids.reserve(scores.size());
  for (const auto& s : scores) ids.push_back(s.lead_id);
  std::sort(ids.begin(), ids.end());
  auto dup = std::adjacent_find(ids.begin(), ids.end());
  if (dup != ids.end())
    return make_error("invalid_argument",
                      where + ": set lead scores: lead " + std::to_string(*dup) + " is given twice");
  return {};
}

}  // namespace internal
}  // namespace telemark::store
