#include "cli/common.h"

#include "base/paths.h"
#include "phone/phone.h"
#include "phone/regions.h"
#include "store/campaign_store.h"

namespace telemark::cli {

std::string redact_location(const std::string& location) {
  auto scheme = location.find("://");
  auto at = location.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return location;
  auto colon = location.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return location;
  return location.substr(0, colon) + ":***" + location.substr(at);
}

std::unique_ptr<store::Store> open_store(const GlobalOptions& global) {
  auto store = store::Store::open(global.db);
  if (!store.ok())
    throw CliError("--db " + redact_location(global.db) + ": " + store.error().message, kExitStore);
  if (auto s = (*store)->migrate(); !s.ok())
    throw CliError("--db " + redact_location(global.db) + ": " + s.error().message, kExitStore);
  return std::move(*store);
}

std::unique_ptr<store::CampaignStore> open_campaign_store(const GlobalOptions& global) {
  auto campaigns = store::CampaignStore::open(global.db);
  if (!campaigns.ok())
    throw CliError("--db " + redact_location(global.db) + ": " + campaigns.error().message, kExitStore);
  return std::move(*campaigns);
}

const phone::PhoneNormalizer& normalizer() {
  static const phone::PhoneNormalizer instance;
  return instance;
}

const phone::TimeZoneTable& time_zones() {
  static const std::shared_ptr<const phone::TimeZoneTable> table = [] {
    auto t = phone::TimeZoneTable::load(home_path("data/phone-prefix-timezones.txt"));
    if (!t.ok()) throw CliError(t.error().message + " (set TELEMARK_HOME to the folder holding data/)");
    return *t;
  }();
  return *table;
}

const phone::NanpRegions& nanp_regions() {
  static const std::shared_ptr<const phone::NanpRegions> table = [] {
    auto t = phone::NanpRegions::load(home_path("data/nanp-area-code-regions.tsv"));
    if (!t.ok()) throw CliError(t.error().message + " (set TELEMARK_HOME to the folder holding data/)");
    return *t;
  }();
  return *table;
}

// Pads or cuts to `width` characters (UTF-8 code points, not bytes), so
// accented names keep the table's columns straight.
std::string cell(std::string_view s, size_t width) {
  std::string out;
  size_t chars = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts_char && chars == width) break;
    if (starts_char) ++chars;
    out.push_back(s[i]);
  }
  out.append(width - chars, ' ');
  return out;
}

}  // namespace telemark::cli
