#include "leads/fields.h"

#include <array>
#include <cstring>
#include <unordered_map>

namespace telemark::leads {
namespace {

constexpr std::array<std::string_view, kFieldCount> kNames = {
    "phone",           "extension",      "first_name",  "last_name",       "full_name",
    "email",           "address",        "city",        "region",          "postal_code",
    "country",         "consent_at",     "consent_revoked_at", "last_purchase_at",
    "last_inquiry_at", "contract_active", "contract_ended_at", "attribute", "ignore"};

// Folded synonyms (see fold_header) -> field.
const std::unordered_map<std::string, Field>& synonyms() {
  static const std::unordered_map<std::string, Field> table = [] {
    std::unordered_map<std::string, Field> t;
    auto add = [&](Field f, std::initializer_list<const char*> names) {
      for (const char* n : names) t.emplace(fold_header(n), f);
    };
    add(Field::kPhone, {"phone", "phone number", "phonenumber", "phone no", "telephone", "tel",
                        "telephone number", "mobile", "mobile phone", "mobile number", "cell",
                        "cell phone", "cellphone", "number", "phone1", "telefono", "cellulare",
                        "numero", "numero di telefono", "recapito", "telefono1", "msisdn"});
    add(Field::kExtension, {"extension", "ext", "phone extension", "interno", "estensione"});
    add(Field::kFirstName, {"first_name", "first name", "firstname", "first", "given name",
                            "forename", "nome"});
    add(Field::kLastName, {"last_name", "last name", "lastname", "last", "surname",
                           "family name", "cognome"});
    add(Field::kFullName, {"name", "full name", "fullname", "contact", "contact name",
                           "nominativo", "nome e cognome", "nome cognome"});
    add(Field::kEmail, {"email", "e-mail", "email address", "mail", "posta elettronica"});
    add(Field::kAddress, {"address", "street", "street address", "address1", "address line 1",
                          "indirizzo", "via"});
    add(Field::kCity, {"city", "town", "citta", "comune", "localita"});
    add(Field::kRegion, {"region", "state", "province", "provincia", "prov", "regione",
                         "state/province", "st"});
    add(Field::kPostalCode, {"postal_code", "postal code", "postcode", "zip", "zip code",
                             "zipcode", "cap", "codice postale"});
    add(Field::kCountry, {"country", "country code", "paese", "nazione", "stato"});
    add(Field::kConsentAt, {"consent_at", "consent date", "consented at"});
    add(Field::kConsentRevokedAt, {"consent_revoked_at", "consent revoked", "revoked_at"});
    add(Field::kLastPurchaseAt, {"last_purchase_at", "last purchase", "last purchase date"});
    add(Field::kLastInquiryAt, {"last_inquiry_at", "last inquiry", "last inquiry date"});
    add(Field::kContractActive, {"contract_active", "active contract"});
    add(Field::kContractEndedAt, {"contract_ended_at", "contract end", "contract end date"});
    return t;
  }();
  return table;
}

}  // namespace

std::string_view field_name(Field f) { return kNames[static_cast<size_t>(f)]; }

std::optional<Field> field_from_name(std::string_view name) {
  std::string folded = fold_header(name);
  for (size_t i = 0; i < kFieldCount; ++i) {
    if (fold_header(kNames[i]) == folded && static_cast<Field>(i) != Field::kAttribute)
      return static_cast<Field>(i);
  }
  return std::nullopt;
}

std::string fold_header(std::string_view header) {
  std::string out;
  out.reserve(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(header[i]);
    if (c < 0x80) {
      if (c >= 'A' && c <= 'Z') out.push_back(static_cast<char>(c - 'A' + 'a'));
      else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out.push_back(static_cast<char>(c));
      continue;
    }
    // Two-byte UTF-8 Latin-1 supplement letters: fold the common accents.
    if (c == 0xC3 && i + 1 < header.size()) {
      unsigned char d = static_cast<unsigned char>(header[++i]);
      unsigned cp = 0xC0 + (d & 0x3F);
      char base = 0;
      if ((cp >= 0xC0 && cp <= 0xC5) || (cp >= 0xE0 && cp <= 0xE5)) base = 'a';
      else if ((cp >= 0xC8 && cp <= 0xCB) || (cp >= 0xE8 && cp <= 0xEB)) base = 'e';
      else if ((cp >= 0xCC && cp <= 0xCF) || (cp >= 0xEC && cp <= 0xEF)) base = 'i';
      else if ((cp >= 0xD2 && cp <= 0xD6) || (cp >= 0xF2 && cp <= 0xF6)) base = 'o';
      else if ((cp >= 0xD9 && cp <= 0xDC) || (cp >= 0xF9 && cp <= 0xFC)) base = 'u';
      else if (cp == 0xC7 || cp == 0xE7) base = 'c';
      else if (cp == 0xD1 || cp == 0xF1) base = 'n';
      if (base) out.push_back(base);
    }
  }
  return out;
}

std::optional<Field> recognize_header(std::string_view header) {
  const auto& t = synonyms();
  auto it = t.find(fold_header(header));
  if (it == t.end()) return std::nullopt;
  return it->second;
}

std::optional<size_t> ColumnMapping::column_of(Field f) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == f) return i;
  return std::nullopt;
}

Result<ColumnMapping> map_columns(const std::vector<std::string>& headers,
                                  const std::vector<std::pair<std::string, std::string>>& overrides,
                                  const std::string& file) {
  ColumnMapping m;
  m.headers = headers;
  m.columns.assign(headers.size(), Field::kAttribute);
  std::vector<bool> fixed(headers.size(), false);
  std::array<bool, kFieldCount> taken{};

  for (const auto& [column, field_text] : overrides) {
    std::optional<size_t> col;
    std::string folded = fold_header(column);
    for (size_t i = 0; i < headers.size(); ++i) {
      if (headers[i] == column || fold_header(headers[i]) == folded) {
        col = i;
        break;
      }
    }
    if (!col) {
      std::string known;
      for (const auto& h : headers) known += (known.empty() ? "" : ", ") + h;
      return make_error("bad_mapping", "--map " + column + "=" + field_text + ": " + file +
                                           " has no column '" + column + "' (its columns: " +
                                           known + ")");
    }
    auto field = field_from_name(field_text);
    if (!field) {
      std::string names;
      for (size_t i = 0; i < kFieldCount; ++i)
        if (static_cast<Field>(i) != Field::kAttribute)
          names += (names.empty() ? "" : ", ") + std::string(kNames[i]);
      return make_error("bad_mapping", "--map " + column + "=" + field_text + ": unknown field '" +
                                           field_text + "' (expected one of: " + names + ")");
    }
    if (*field != Field::kIgnore && taken[static_cast<size_t>(*field)])
      return make_error("bad_mapping", "--map " + column + "=" + field_text + ": field '" +
                                           field_text + "' is mapped twice");
    m.columns[*col] = *field;
    fixed[*col] = true;
    if (*field != Field::kIgnore) taken[static_cast<size_t>(*field)] = true;
  }

  for (size_t i = 0; i < headers.size(); ++i) {
    if (fixed[i]) continue;
    auto field = recognize_header(headers[i]);
    if (field && !taken[static_cast<size_t>(*field)]) {
      m.columns[i] = *field;
      taken[static_cast<size_t>(*field)] = true;
    }
  }
  if (!taken[static_cast<size_t>(Field::kPhone)]) {
    std::string known;
    for (const auto& h : headers) known += (known.empty() ? "" : ", ") + h;
    return make_error("no_phone_column",
                      file + ": line 1: no phone column in the header (columns: " + known +
                          "); name one with --map COLUMN=phone");
  }
  return m;
}

}  // namespace telemark::leads
