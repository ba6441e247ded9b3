#include "store/store.h"

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

}  // namespace internal
}  // namespace telemark::store
