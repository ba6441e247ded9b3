// Segment: a filter expression over leads, compiled once and evaluated on
// in-memory store::Lead values (`telemark leads --where`, `--into`, and a
// campaign's `where` key).
//
//   score >= 0.3 and region in ('CA', 'NY') and age < 65
//
// Grammar (keywords are case-insensitive):
//   expr      := and_expr { OR and_expr }
//   and_expr  := not_expr { AND not_expr }
//   not_expr  := NOT not_expr | '(' expr ')' | predicate
//   predicate := name op value
//              | name [NOT] IN '(' value { ',' value } ')'
//              | name IS [NOT] NULL
//              | name [NOT] LIKE 'pattern'
//   op        := '=' | '!=' | '<>' | '<' | '<=' | '>' | '>='
//   value     := 'text' ('' is a quote) | number | TRUE | FALSE
//   name      := a built-in field | attr.NAME | "NAME" ("" is a quote) | any other word
//
// Built-in fields (case-insensitive): id, list / list_id (numbers), phone
// (E.164: compare with '+12125550100', digits or a number), number_type,
// country, region, city, postal_code, first_name, last_name, email,
// address, extension, phone_raw, time_zones (text), score (a number, may
// be missing), consent_at, consent_revoked_at, last_purchase_at,
// last_inquiry_at, contract_ended_at (instants: compare with
// 'YYYY-MM-DD' (midnight UTC) or 'YYYY-MM-DDTHH:MM:SSZ'), contract_active
// (true/false). Any other word, attr.NAME or "NAME" is a custom attribute
// from the lead's attributes_json (attr.NAME and "NAME" are attributes even
// when NAME is a built-in). An attribute name matches its key exactly, else
// the one key equal to it ignoring ASCII case.
//
// Semantics:
// - NULL, as in SQL's three-valued logic: an empty text field, a missing
//   score or date, a missing attribute, a JSON null or an empty string is
//   NULL; any comparison, IN, NOT IN or LIKE with NULL is UNKNOWN; NOT
//   UNKNOWN is UNKNOWN; AND/OR follow Kleene (false AND unknown = false,
//   true OR unknown = true). A lead matches only when the whole expression
//   is TRUE. So `region != 'CA'` and `not (score >= 0.3)` do not match leads
//   without a region or a score: add `or region is null`.
// - Text compares case-sensitively, byte for byte (UTF-8 order); `country`
//   literals are upper-cased (the store keeps ISO codes upper-case). LIKE
//   ignores ASCII case; '%' matches any run of characters, '_' one
//   character (code point); no escape character.
// - Attributes: a number literal compares numerically with a JSON number
//   or with a text value that reads entirely as a number (" 42 " does);
//   otherwise both compare as text, the literal as written (`age < 65`
//   against 'unknown' compares 'unknown' < '65'). A text literal compares
//   as text (a JSON number as its JSON spelling). true/false compare with
//   JSON booleans and with the text 'true'/'false' in any case.
// - Type errors detectable while parsing are errors: a built-in number,
//   date, phone or true/false field against a literal of another type,
//   ordering or LIKE on contract_active, LIKE on a number or date, `= null`.
//
// Errors: code "bad_segment"; the message names the offending token and its
// 1-based column (in characters) and shows the expression with carets
// under the token:
//     expected a value after '>=' at column 10
//       score >= and region = 'CA'
//                ^^^
// Callers prefix where the expression came from ("--where: ", a file and
// line).
//
// Why hand-written: no Debian-packaged library parses a SQL-like predicate
// into something we can evaluate on in-memory leads (SQLite would need the
// leads in a table and cannot point at a token; a general parser generator
// would add a build step for a forty-line grammar).
//
// A Segment is immutable after parse(): matches() is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace telemark::leads {

struct SegmentNode;  // segment.cpp

class Segment {
 public:
  // Never throws, whatever the bytes.
  static Result<Segment> parse(std::string_view text);

  Segment(Segment&&) noexcept;
  Segment& operator=(Segment&&) noexcept;
  ~Segment();

  bool matches(const store::Lead& lead) const;

  const std::string& text() const { return text_; }
  // The custom attribute names the expression reads, as written.
  const std::vector<std::string>& attributes() const { return attributes_; }
  // When the whole expression requires `country = 'X'` (or region), X: a
  // store-side filter may narrow the scan with it (matches() still decides).
  std::optional<std::string> required_country() const;
  std::optional<std::string> required_region() const;

 private:
  Segment();
  std::string text_;
  std::unique_ptr<SegmentNode> root_;
  std::vector<std::string> attributes_;
};

// Attribute names that no lead has are most likely typos. Feed the scanned
// leads to add() (cheap once every referenced attribute has been seen),
// then ask unknown(): one message per name no lead has, e.g.
// "no lead has an attribute 'agee'; did you mean 'age'?" (the suggestion
// is the closest attribute seen or built-in field, when one is close).
class AttributeCensus {
 public:
  explicit AttributeCensus(const Segment& segment);
  void add(const store::Lead& lead);
  std::vector<std::string> unknown() const;

 private:
  std::vector<std::pair<std::string, std::string>> wanted_;  // (lower-cased, as written), not yet seen
  std::set<std::string> seen_;       // every key seen while something is missing
};

}  // namespace telemark::leads
