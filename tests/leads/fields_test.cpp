#include "leads/fields.h"

#include <gtest/gtest.h>

using namespace telemark::leads;

TEST(Fields, HeadersAreFoldedIgnoringCaseAccentsAndPunctuation) {
  EXPECT_EQ(fold_header("Città"), "citta");
  EXPECT_EQ(fold_header(" E-Mail "), "email");
  EXPECT_EQ(fold_header("Postal_Code"), "postalcode");
  EXPECT_EQ(fold_header("TELÉFONO"), "telefono");
}

TEST(Fields, SynonymsInEnglishAndItalian) {
  struct Case {
    const char* header;
    Field field;
  } cases[] = {
      {"Phone", Field::kPhone},          {"Telephone", Field::kPhone},
      {"Tel.", Field::kPhone},           {"Mobile", Field::kPhone},
      {"Cell Phone", Field::kPhone},     {"Telefono", Field::kPhone},
      {"Cellulare", Field::kPhone},      {"First Name", Field::kFirstName},
      {"nome", Field::kFirstName},       {"Cognome", Field::kLastName},
      {"Surname", Field::kLastName},     {"Nominativo", Field::kFullName},
      {"E-mail", Field::kEmail},         {"Indirizzo", Field::kAddress},
      {"Città", Field::kCity},           {"Provincia", Field::kRegion},
      {"State", Field::kRegion},         {"ZIP", Field::kPostalCode},
      {"CAP", Field::kPostalCode},       {"Paese", Field::kCountry},
      {"consent_at", Field::kConsentAt}, {"contract_active", Field::kContractActive},
  };
  for (const auto& c : cases) {
    auto f = recognize_header(c.header);
    ASSERT_TRUE(f.has_value()) << c.header;
    EXPECT_EQ(*f, c.field) << c.header;
  }
  EXPECT_FALSE(recognize_header("Favourite colour").has_value());
}

TEST(Fields, FirstColumnClaimingAFieldWinsTheRestBecomeAttributes) {
  auto m = map_columns({"Mobile", "Phone", "Notes"}, {}, "f.csv");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->columns[0], Field::kPhone);
  EXPECT_EQ(m->columns[1], Field::kAttribute);
  EXPECT_EQ(m->columns[2], Field::kAttribute);
}

TEST(Fields, OverridesWinAndAreChecked) {
  auto m = map_columns({"Mobile", "Phone"}, {{"phone", "phone"}, {"Mobile", "ignore"}}, "f.csv");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->columns[0], Field::kIgnore);
  EXPECT_EQ(m->columns[1], Field::kPhone);

  auto missing = map_columns({"Mobile"}, {{"Cellulare", "phone"}}, "f.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "bad_mapping");
  EXPECT_NE(missing.error().message.find("no column 'Cellulare'"), std::string::npos);
  EXPECT_NE(missing.error().message.find("Mobile"), std::string::npos);

  auto unknown = map_columns({"Mobile"}, {{"Mobile", "telephone"}}, "f.csv");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown field 'telephone'"), std::string::npos);

  auto twice = map_columns({"A", "B"}, {{"A", "phone"}, {"B", "phone"}}, "f.csv");
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("mapped twice"), std::string::npos);
}

TEST(Fields, NoPhoneColumnNamesTheFileAndColumns) {
  auto m = map_columns({"name", "email"}, {}, "people.csv");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, "no_phone_column");
  EXPECT_NE(m.error().message.find("people.csv: line 1"), std::string::npos);
  EXPECT_NE(m.error().message.find("name, email"), std::string::npos);
}
