#include "leads/lead_text.h"

#include <iterator>

#include "base/time.h"

namespace telemark::leads {
namespace {

constexpr std::string_view kFields[] = {
    "lead_id",         "list_id",         "phone",      "phone_raw",   "extension",
    "number_type",     "time_zones",      "first_name", "last_name",   "email",
    "address",         "city",            "region",     "postal_code", "country",
    "consent_at",      "consent_revoked_at", "last_purchase_at", "last_inquiry_at", "contract_active",
    "contract_ended_at"};

std::string opt_time(const std::optional<Instant>& t) { return t ? format_iso8601(*t) : ""; }

}  // namespace

std::span<const std::string_view> lead_text_fields() { return kFields; }

int lead_text_field_index(std::string_view name) {
  for (size_t i = 0; i < std::size(kFields); ++i)
    if (kFields[i] == name) return static_cast<int>(i);
  return -1;
}

std::string lead_field_text(const store::Lead& l, size_t field) {
  switch (field) {
    case 0: return std::to_string(l.id);
    case 1: return std::to_string(l.list_id);
    case 2: return "+" + std::to_string(l.phone);
    case 3: return l.phone_raw;
    case 4: return l.extension;
    case 5: return l.number_type;
    case 6: return l.time_zones;
    case 7: return l.first_name;
    case 8: return l.last_name;
    case 9: return l.email;
    case 10: return l.address;
    case 11: return l.city;
    case 12: return l.region;
    case 13: return l.postal_code;
    case 14: return l.country;
    case 15: return opt_time(l.facts.consent_at);
    case 16: return opt_time(l.facts.consent_revoked_at);
    case 17: return opt_time(l.facts.last_purchase_at);
    case 18: return opt_time(l.facts.last_inquiry_at);
    case 19: return l.facts.contract_active ? "true" : "false";
    case 20: return opt_time(l.facts.contract_ended_at);
  }
  return {};
}

}  // namespace telemark::leads
