// Header mapping for lead imports: which CSV column feeds which lead field.
//
// Canonical fields are recognized case-insensitively, ignoring spaces,
// punctuation and accents, with common English and Italian synonyms
// ("Telefono", "Cellulare", "CAP", "Città", "Zip Code", ...). `--map
// column=field` overrides; `field` may also be "ignore". Columns that map
// to no field become custom attributes (stored as JSON).
//
// Pure functions over the header; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace telemark::leads {

enum class Field : uint8_t {
  kPhone,
  kExtension,
  kFirstName,
  kLastName,
  kFullName,  // split into first and last name
  kEmail,
  kAddress,
  kCity,
  kRegion,
  kPostalCode,
  kCountry,
  kConsentAt,
  kConsentRevokedAt,
  kLastPurchaseAt,
  kLastInquiryAt,
  kContractActive,
  kContractEndedAt,
  kAttribute,  // custom attribute under the column's own name
  kIgnore,
};
inline constexpr size_t kFieldCount = static_cast<size_t>(Field::kIgnore) + 1;

std::string_view field_name(Field f);                       // "phone", "first_name", ...
std::optional<Field> field_from_name(std::string_view name);  // canonical names only
// Lower-cased ASCII letters and digits only, common accented letters folded
// ("Città" -> "citta", "E-mail" -> "email", "Postal Code" -> "postalcode").
std::string fold_header(std::string_view header);
// The field a header names by itself (synonyms), or nullopt.
std::optional<Field> recognize_header(std::string_view header);

struct ColumnMapping {
  std::vector<Field> columns;            // one per header column
  std::vector<std::string> headers;      // the header names as given
  std::optional<size_t> column_of(Field f) const;
};

// Builds the mapping. `overrides` are "column=field" pairs from --map; a
// column named there must exist in the header (case-insensitive) and the
// field must be canonical or "ignore". A field claimed by two columns goes
// to the first; the second becomes an attribute. The mapping must have a
// phone column. Errors name `file` and the offending setting.
Result<ColumnMapping> map_columns(const std::vector<std::string>& headers,
                                  const std::vector<std::pair<std::string, std::string>>& overrides,
                                  const std::string& file);

}  // namespace telemark::leads
