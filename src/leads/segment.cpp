#include "leads/segment.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "base/time.h"

namespace telemark::leads {

namespace {

// --- tokens ---

enum class Tok { kEnd, kWord, kAttr, kString, kNumber, kLParen, kRParen, kComma, kOp };

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;  // byte offset in the expression
  size_t len = 0;  // bytes
  std::string text;  // words: as written; strings and quoted names: unescaped; ops: the operator
  double number = 0;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool word_start(unsigned char c) { return std::isalpha(c) || c == '_' || c >= 0x80; }
bool word_char(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

size_t code_points(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

struct ParseFail {
  size_t pos, len;
  std::string what;
};

[[noreturn]] void fail(size_t pos, size_t len, std::string what) { throw ParseFail{pos, len, std::move(what)}; }
[[noreturn]] void fail(const Token& t, std::string what) { fail(t.pos, t.len, std::move(what)); }

std::optional<double> read_number(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (s.empty()) return std::nullopt;
  if (s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (c == '\'' || c == '"') {
      t.kind = c == '\'' ? Tok::kString : Tok::kAttr;
      size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == static_cast<char>(c)) {
          if (j + 1 < s.size() && s[j + 1] == static_cast<char>(c)) {
            t.text.push_back(static_cast<char>(c));
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        t.text.push_back(s[j++]);
      }
      if (!closed)
        fail(i, 1, c == '\'' ? "unterminated text: no closing quote (write '' for a quote inside)"
                             : "unterminated quoted name: no closing '\"'");
      if (t.kind == Tok::kAttr && t.text.empty()) fail(i, j - i, "empty attribute name \"\"");
      t.len = j - i;
      i = j;
    } else if (std::isdigit(c) || ((c == '-' || c == '.' || c == '+') && i + 1 < s.size() &&
                                   (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '.'))) {
      size_t j = i + 1;
      while (j < s.size()) {
        char d = s[j];
        bool exp_sign = (d == '+' || d == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E');
        if (!(std::isalnum(static_cast<unsigned char>(d)) || d == '.' || d == '_' || exp_sign ||
              static_cast<unsigned char>(d) >= 0x80))
          break;
        ++j;
      }
      t.kind = Tok::kNumber;
      t.text = std::string(s.substr(i, j - i));
      t.len = j - i;
      auto v = read_number(t.text);
      if (!v) fail(t, "'" + t.text + "' is not a number");
      t.number = *v;
      i = j;
    } else if (word_start(c)) {
      size_t j = i + 1;
      while (j < s.size() && word_char(static_cast<unsigned char>(s[j]))) ++j;
      t.text = std::string(s.substr(i, j - i));
      t.kind = Tok::kWord;
      if (lower(t.text) == "attr" && j < s.size() && s[j] == '.') {
        size_t k = j + 1;
        while (k < s.size() && (word_char(static_cast<unsigned char>(s[k])) || s[k] == '-' || s[k] == '.')) ++k;
        if (k == j + 1) fail(i, k - i, "expected an attribute name after 'attr.'");
        t.kind = Tok::kAttr;
        t.text = std::string(s.substr(j + 1, k - j - 1));
        j = k;
      }
      t.len = j - i;
      i = j;
    } else if (c == '(' || c == ')' || c == ',') {
      t.kind = c == '(' ? Tok::kLParen : c == ')' ? Tok::kRParen : Tok::kComma;
      t.text = std::string(1, static_cast<char>(c));
      t.len = 1;
      ++i;
    } else if (c == '=' || c == '<' || c == '>' || c == '!') {
      size_t len = 1;
      if (i + 1 < s.size() && (s[i + 1] == '=' || (c == '<' && s[i + 1] == '>'))) len = 2;
      t.text = std::string(s.substr(i, len));
      if (t.text == "!") fail(i, 1, "unexpected '!': write '!=' or 'not'");
      if (t.text == "==") t.text = "=";
      if (t.text == "<>") t.text = "!=";
      t.kind = Tok::kOp;
      t.len = len;
      i += len;
    } else {
      size_t len = 1;
      while (i + len < s.size() && (static_cast<unsigned char>(s[i + len]) & 0xC0) == 0x80) ++len;
      fail(i, len, "unexpected character '" + std::string(s.substr(i, len)) + "'");
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

// --- the compiled expression ---

enum class Field {
  kAttribute,
  kId, kListId, kScore,                                  // numbers
  kPhone,                                                // E.164
  kNumberType, kCountry, kRegion, kCity, kPostalCode,    // text
  kFirstName, kLastName, kEmail, kAddress, kExtension, kPhoneRaw, kTimeZones,
  kConsentAt, kConsentRevokedAt, kLastPurchaseAt, kLastInquiryAt, kContractEndedAt,  // instants
  kContractActive,                                       // bool
};

enum class FieldType { kAttribute, kNumber, kPhone, kText, kTime, kBool };

struct BuiltIn {
  const char* name;
  Field field;
  FieldType type;
};

constexpr BuiltIn kBuiltIns[] = {
    {"id", Field::kId, FieldType::kNumber},
    {"list", Field::kListId, FieldType::kNumber},
    {"list_id", Field::kListId, FieldType::kNumber},
    {"score", Field::kScore, FieldType::kNumber},
    {"phone", Field::kPhone, FieldType::kPhone},
    {"number_type", Field::kNumberType, FieldType::kText},
    {"country", Field::kCountry, FieldType::kText},
    {"region", Field::kRegion, FieldType::kText},
    {"city", Field::kCity, FieldType::kText},
    {"postal_code", Field::kPostalCode, FieldType::kText},
    {"first_name", Field::kFirstName, FieldType::kText},
    {"last_name", Field::kLastName, FieldType::kText},
    {"email", Field::kEmail, FieldType::kText},
    {"address", Field::kAddress, FieldType::kText},
    {"extension", Field::kExtension, FieldType::kText},
    {"phone_raw", Field::kPhoneRaw, FieldType::kText},
    {"time_zones", Field::kTimeZones, FieldType::kText},
    {"consent_at", Field::kConsentAt, FieldType::kTime},
    {"consent_revoked_at", Field::kConsentRevokedAt, FieldType::kTime},
    {"last_purchase_at", Field::kLastPurchaseAt, FieldType::kTime},
    {"last_inquiry_at", Field::kLastInquiryAt, FieldType::kTime},
    {"contract_ended_at", Field::kContractEndedAt, FieldType::kTime},
    {"contract_active", Field::kContractActive, FieldType::kBool},
};

const char* type_name(FieldType t) {
  switch (t) {
    case FieldType::kNumber: return "a number";
    case FieldType::kPhone: return "a phone number";
    case FieldType::kText: return "text";
    case FieldType::kTime: return "a date";
    case FieldType::kBool: return "true or false";
    case FieldType::kAttribute: return "an attribute";
  }
  return "";
}

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };

Op parse_op(const std::string& s) {
  if (s == "=") return Op::kEq;
  if (s == "!=") return Op::kNe;
  if (s == "<") return Op::kLt;
  if (s == "<=") return Op::kLe;
  if (s == ">") return Op::kGt;
  return Op::kGe;
}

enum class Tri { kFalse, kTrue, kUnknown };

Tri tri(bool b) { return b ? Tri::kTrue : Tri::kFalse; }

Tri apply(Op op, int cmp) {
  switch (op) {
    case Op::kEq: return tri(cmp == 0);
    case Op::kNe: return tri(cmp != 0);
    case Op::kLt: return tri(cmp < 0);
    case Op::kLe: return tri(cmp <= 0);
    case Op::kGt: return tri(cmp > 0);
    case Op::kGe: return tri(cmp >= 0);
  }
  return Tri::kUnknown;
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// A literal, converted for the field it is compared with.
struct Literal {
  enum class Kind { kText, kNumber, kBool } kind = Kind::kText;
  std::string text;  // strings: the value; numbers and booleans: as written
  double number = 0;
  bool boolean = false;
  uint64_t phone = 0;
  Instant time{};
};

// '%' any run, '_' one code point; ASCII case ignored.
bool like_match(std::string_view s, std::string_view p) {
  auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
  auto next_cp = [](std::string_view v, size_t i) {
    ++i;
    while (i < v.size() && (static_cast<unsigned char>(v[i]) & 0xC0) == 0x80) ++i;
    return i;
  };
  size_t si = 0, pi = 0, star_p = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star_p = ++pi;
      star_s = si;
    } else if (pi < p.size() && p[pi] == '_') {
      si = next_cp(s, si);
      ++pi;
    } else if (pi < p.size() && fold(p[pi]) == fold(s[si])) {
      ++si;
      ++pi;
    } else if (star_p != std::string_view::npos) {
      pi = star_p;
      star_s = next_cp(s, star_s);
      si = star_s;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

}  // namespace

struct SegmentNode {
  enum class Kind { kAnd, kOr, kNot, kCompare, kIn, kIsNull, kLike } kind = Kind::kCompare;
  bool negated = false;  // NOT IN, IS NOT NULL, NOT LIKE
  std::vector<std::unique_ptr<SegmentNode>> children;
  Field field = Field::kAttribute;
  FieldType type = FieldType::kAttribute;
  std::string attribute;  // kAttribute: the name as written
  Op op = Op::kEq;
  std::vector<Literal> values;  // kCompare: one; kIn: the list; kLike: the pattern
};

namespace {

// The value of a field on one lead, with the attributes parsed lazily.
class LeadView {
 public:
  explicit LeadView(const store::Lead& l) : lead(l) {}
  const store::Lead& lead;

  const nlohmann::json* attribute(const std::string& name) {
    if (!parsed_) {
      parsed_ = true;
      attrs_ = nlohmann::json::parse(lead.attributes_json, nullptr, false);
      if (!attrs_.is_object()) attrs_ = nlohmann::json::object();
    }
    auto it = attrs_.find(name);
    if (it != attrs_.end()) return &*it;
    const nlohmann::json* found = nullptr;
    std::string want = lower(name);
    for (auto i = attrs_.begin(); i != attrs_.end(); ++i)
      if (lower(i.key()) == want) {
        if (found) return nullptr;  // ambiguous: only an exact match decides
        found = &*i;
      }
    return found;
  }

 private:
  bool parsed_ = false;
  nlohmann::json attrs_;
};

std::string_view text_of(const store::Lead& l, Field f) {
  switch (f) {
    case Field::kNumberType: return l.number_type;
    case Field::kCountry: return l.country;
    case Field::kRegion: return l.region;
    case Field::kCity: return l.city;
    case Field::kPostalCode: return l.postal_code;
    case Field::kFirstName: return l.first_name;
    case Field::kLastName: return l.last_name;
    case Field::kEmail: return l.email;
    case Field::kAddress: return l.address;
    case Field::kExtension: return l.extension;
    case Field::kPhoneRaw: return l.phone_raw;
    case Field::kTimeZones: return l.time_zones;
    default: return {};
  }
}

std::optional<double> number_of(const store::Lead& l, Field f) {
  switch (f) {
    case Field::kId: return static_cast<double>(l.id);
    case Field::kListId: return static_cast<double>(l.list_id);
    case Field::kScore: return l.score;
    default: return std::nullopt;
  }
}

std::optional<Instant> time_of(const store::Lead& l, Field f) {
  switch (f) {
    case Field::kConsentAt: return l.facts.consent_at;
    case Field::kConsentRevokedAt: return l.facts.consent_revoked_at;
    case Field::kLastPurchaseAt: return l.facts.last_purchase_at;
    case Field::kLastInquiryAt: return l.facts.last_inquiry_at;
    case Field::kContractEndedAt: return l.facts.contract_ended_at;
    default: return std::nullopt;
  }
}

// An attribute as text (NULL: nullopt) and, when it reads as one, a number.
struct AttrValue {
  std::optional<std::string> text;
  std::optional<double> number;
  std::optional<bool> boolean;
};

AttrValue attr_value(const nlohmann::json* j) {
  AttrValue v;
  if (!j || j->is_null()) return v;
  if (j->is_string()) {
    const auto& s = j->get_ref<const std::string&>();
    if (s.empty()) return v;
    v.text = s;
    v.number = read_number(s);
    std::string l = lower(s);
    if (l == "true" || l == "false") v.boolean = l == "true";
  } else if (j->is_boolean()) {
    v.boolean = j->get<bool>();
    v.text = *v.boolean ? "true" : "false";
  } else if (j->is_number()) {
    v.number = j->get<double>();
    v.text = j->dump();
  } else {
    v.text = j->dump();
  }
  return v;
}

// Compares a lead's field with one literal: <0, 0, >0, or nullopt (NULL).
std::optional<int> compare(LeadView& view, const SegmentNode& n, const Literal& lit) {
  const store::Lead& l = view.lead;
  switch (n.type) {
    case FieldType::kNumber: {
      auto v = number_of(l, n.field);
      if (!v) return std::nullopt;
      return three_way(*v, lit.number);
    }
    case FieldType::kPhone:
      if (l.phone == 0) return std::nullopt;
      return three_way(l.phone, lit.phone);
    case FieldType::kText: {
      auto v = text_of(l, n.field);
      if (v.empty()) return std::nullopt;
      return three_way(v, std::string_view(lit.text));
    }
    case FieldType::kTime: {
      auto v = time_of(l, n.field);
      if (!v) return std::nullopt;
      return three_way(*v, lit.time);
    }
    case FieldType::kBool:
      return three_way(l.facts.contract_active, lit.boolean);
    case FieldType::kAttribute: {
      AttrValue v = attr_value(view.attribute(n.attribute));
      if (!v.text) return std::nullopt;
      if (lit.kind == Literal::Kind::kNumber && v.number) return three_way(*v.number, lit.number);
      if (lit.kind == Literal::Kind::kBool && v.boolean) return three_way(*v.boolean, lit.boolean);
      return three_way(std::string_view(*v.text), std::string_view(lit.text));
    }
  }
  return std::nullopt;
}

bool is_null(LeadView& view, const SegmentNode& n) {
  const store::Lead& l = view.lead;
  switch (n.type) {
    case FieldType::kNumber: return !number_of(l, n.field).has_value();
    case FieldType::kPhone: return l.phone == 0;
    case FieldType::kText: return text_of(l, n.field).empty();
    case FieldType::kTime: return !time_of(l, n.field).has_value();
    case FieldType::kBool: return false;
    case FieldType::kAttribute: return !attr_value(view.attribute(n.attribute)).text.has_value();
  }
  return true;
}

std::optional<std::string> like_text(LeadView& view, const SegmentNode& n) {
  switch (n.type) {
    case FieldType::kText: {
      auto v = text_of(view.lead, n.field);
      if (v.empty()) return std::nullopt;
      return std::string(v);
    }
    case FieldType::kPhone:
      if (view.lead.phone == 0) return std::nullopt;
      return "+" + std::to_string(view.lead.phone);
    case FieldType::kAttribute: return attr_value(view.attribute(n.attribute)).text;
    default: return std::nullopt;
  }
}

Tri eval(LeadView& view, const SegmentNode& n) {
  switch (n.kind) {
    case SegmentNode::Kind::kAnd: {
      Tri out = Tri::kTrue;
      for (const auto& c : n.children) {
        Tri t = eval(view, *c);
        if (t == Tri::kFalse) return Tri::kFalse;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case SegmentNode::Kind::kOr: {
      Tri out = Tri::kFalse;
      for (const auto& c : n.children) {
        Tri t = eval(view, *c);
        if (t == Tri::kTrue) return Tri::kTrue;
        if (t == Tri::kUnknown) out = Tri::kUnknown;
      }
      return out;
    }
    case SegmentNode::Kind::kNot: {
      Tri t = eval(view, *n.children.front());
      return t == Tri::kUnknown ? t : tri(t == Tri::kFalse);
    }
    case SegmentNode::Kind::kCompare: {
      auto c = compare(view, n, n.values.front());
      return c ? apply(n.op, *c) : Tri::kUnknown;
    }
    case SegmentNode::Kind::kIn: {
      for (const auto& v : n.values) {
        auto c = compare(view, n, v);
        if (!c) return Tri::kUnknown;
        if (*c == 0) return tri(!n.negated);
      }
      return tri(n.negated);
    }
    case SegmentNode::Kind::kIsNull:
      return tri(is_null(view, n) != n.negated);
    case SegmentNode::Kind::kLike: {
      auto s = like_text(view, n);
      if (!s) return Tri::kUnknown;
      return tri(like_match(*s, n.values.front().text) != n.negated);
    }
  }
  return Tri::kUnknown;
}

constexpr int kMaxDepth = 100;

class Parser {
 public:
  Parser(std::string_view text, std::vector<std::string>& attributes)
      : text_(text), t_(tokenize(text)), attributes_(attributes) {}

  std::unique_ptr<SegmentNode> parse() {
    if (t_.front().kind == Tok::kEnd) fail(0, 0, "empty expression: expected a condition such as score >= 0.3");
    auto n = parse_or(0);
    const Token& t = peek();
    if (t.kind == Tok::kRParen) fail(t, "unexpected ')' without a matching '('");
    if (t.kind != Tok::kEnd)
      fail(t, "expected 'and' or 'or' before " + quoted(t) + " (the condition before it is complete)");
    return n;
  }

 private:
  const Token& peek() const { return t_[i_]; }
  const Token& take() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  bool is_kw(const Token& t, const char* kw) const { return t.kind == Tok::kWord && lower(t.text) == kw; }

  static std::string quoted(const Token& t) {
    switch (t.kind) {
      case Tok::kEnd: return "the end";
      case Tok::kString: return "'" + t.text + "'";
      case Tok::kAttr: return "\"" + t.text + "\"";
      default: return "'" + t.text + "'";
    }
  }

  std::unique_ptr<SegmentNode> parse_or(int depth) {
    auto first = parse_and(depth);
    if (!is_kw(peek(), "or")) return first;
    auto n = std::make_unique<SegmentNode>();
    n->kind = SegmentNode::Kind::kOr;
    n->children.push_back(std::move(first));
    while (is_kw(peek(), "or")) {
      take();
      n->children.push_back(parse_and(depth));
    }
    return n;
  }

  std::unique_ptr<SegmentNode> parse_and(int depth) {
    auto first = parse_not(depth);
    if (!is_kw(peek(), "and")) return first;
    auto n = std::make_unique<SegmentNode>();
    n->kind = SegmentNode::Kind::kAnd;
    n->children.push_back(std::move(first));
    while (is_kw(peek(), "and")) {
      take();
      n->children.push_back(parse_not(depth));
    }
    return n;
  }

  std::unique_ptr<SegmentNode> parse_not(int depth) {
    const Token& t = peek();
    if (depth > kMaxDepth) fail(t, "the expression nests too deeply (more than 100 levels)");
    if (is_kw(t, "not")) {
      take();
      auto n = std::make_unique<SegmentNode>();
      n->kind = SegmentNode::Kind::kNot;
      n->children.push_back(parse_not(depth + 1));
      return n;
    }
    if (t.kind == Tok::kLParen) {
      const Token& open = take();
      auto n = parse_or(depth + 1);
      const Token& close = peek();
      if (close.kind != Tok::kRParen)
        fail(close, "expected ')' to close the '(' at column " + std::to_string(column_of(open.pos)) +
                        ", found " + quoted(close));
      take();
      return n;
    }
    return parse_predicate();
  }

  size_t column_of(size_t pos) const { return code_points(text_.substr(0, pos)) + 1; }

  static bool reserved(const std::string& w) {
    static const char* kw[] = {"and", "or", "not", "in", "is", "null", "like", "true", "false"};
    std::string l = lower(w);
    return std::any_of(std::begin(kw), std::end(kw), [&](const char* k) { return l == k; });
  }

  std::unique_ptr<SegmentNode> parse_predicate() {
    const Token& name = take();
    auto n = std::make_unique<SegmentNode>();
    if (name.kind == Tok::kAttr) {
      n->attribute = name.text;
    } else if (name.kind == Tok::kWord && !reserved(name.text)) {
      std::string l = lower(name.text);
      for (const auto& b : kBuiltIns)
        if (l == b.name) {
          n->field = b.field;
          n->type = b.type;
        }
      if (n->type == FieldType::kAttribute) n->attribute = name.text;
    } else if (name.kind == Tok::kEnd) {
      fail(name, "expected a condition at the end, such as score >= 0.3");
    } else {
      fail(name, "expected a field or attribute name, found " + quoted(name));
    }
    if (n->type == FieldType::kAttribute &&
        std::find(attributes_.begin(), attributes_.end(), n->attribute) == attributes_.end())
      attributes_.push_back(n->attribute);
    const std::string shown = name.kind == Tok::kAttr ? n->attribute : name.text;

    const Token& op = take();
    if (op.kind == Tok::kOp) {
      n->kind = SegmentNode::Kind::kCompare;
      n->op = parse_op(op.text);
      if (n->type == FieldType::kBool && n->op != Op::kEq && n->op != Op::kNe)
        fail(op, shown + " is true or false: compare it with = or !=");
      const Token& v = take();
      if (is_kw(v, "null"))
        fail(v, "use '" + shown + " is null' (or 'is not null') to test for a missing value");
      if (v.kind == Tok::kAttr)
        fail(v, "expected a value after '" + op.text + "', found the name " + quoted(v) +
                    ": text goes in single quotes ('" + v.text + "')");
      if (!is_value(v)) fail(v, "expected a value after '" + op.text + "', found " + quoted(v));
      n->values.push_back(literal(*n, shown, v));
      return n;
    }
    bool negated = false;
    const Token* kw = &op;
    if (is_kw(op, "not")) {
      negated = true;
      kw = &take();
      if (!is_kw(*kw, "in") && !is_kw(*kw, "like"))
        fail(*kw, "expected 'in' or 'like' after 'not', found " + quoted(*kw));
    }
    n->negated = negated;
    if (is_kw(*kw, "in")) {
      n->kind = SegmentNode::Kind::kIn;
      const Token& open = take();
      if (open.kind != Tok::kLParen) fail(open, "expected '(' after 'in', found " + quoted(open));
      for (;;) {
        const Token& v = take();
        if (is_kw(v, "null")) fail(v, "null never matches in a list: test it with '" + shown + " is null'");
        if (!is_value(v)) fail(v, "expected a value in the list, found " + quoted(v));
        n->values.push_back(literal(*n, shown, v));
        const Token& sep = take();
        if (sep.kind == Tok::kRParen) break;
        if (sep.kind != Tok::kComma) fail(sep, "expected ',' or ')' in the list, found " + quoted(sep));
      }
      return n;
    }
    if (is_kw(*kw, "like")) {
      n->kind = SegmentNode::Kind::kLike;
      if (n->type != FieldType::kText && n->type != FieldType::kAttribute && n->type != FieldType::kPhone)
        fail(*kw, "like needs text: " + shown + " is " + type_name(n->type));
      const Token& p = take();
      if (p.kind != Tok::kString) fail(p, "expected a quoted pattern after 'like', found " + quoted(p));
      Literal lit;
      lit.text = p.text;
      n->values.push_back(lit);
      return n;
    }
    if (is_kw(*kw, "is")) {
      n->kind = SegmentNode::Kind::kIsNull;
      const Token* t = &take();
      if (is_kw(*t, "not")) {
        n->negated = true;
        t = &take();
      }
      if (!is_kw(*t, "null")) fail(*t, "expected 'null' or 'not null' after 'is', found " + quoted(*t));
      return n;
    }
    fail(*kw, "expected a comparison (=, !=, <, <=, >, >=, in, not in, is null, like) after '" + shown +
                  "', found " + quoted(*kw));
  }

  bool is_value(const Token& t) const {
    return t.kind == Tok::kString || t.kind == Tok::kNumber || is_kw(t, "true") || is_kw(t, "false");
  }

  Literal literal(const SegmentNode& n, const std::string& shown, const Token& v) {
    Literal lit;
    lit.text = v.text;
    if (v.kind == Tok::kNumber) {
      lit.kind = Literal::Kind::kNumber;
      lit.number = v.number;
    } else if (v.kind == Tok::kWord) {
      lit.kind = Literal::Kind::kBool;
      lit.boolean = lower(v.text) == "true";
      lit.text = lit.boolean ? "true" : "false";
    }
    auto wrong = [&](const std::string& expected) {
      fail(v, shown + " is " + type_name(n.type) + ": expected " + expected + ", found " + quoted(v));
    };
    switch (n.type) {
      case FieldType::kNumber:
        if (lit.kind != Literal::Kind::kNumber && n.field == Field::kListId)
          wrong("the list's id (a number); to pick a list by name use --list NAME");
        if (lit.kind != Literal::Kind::kNumber) wrong("a number");
        break;
      case FieldType::kBool:
        if (lit.kind != Literal::Kind::kBool) wrong("true or false");
        break;
      case FieldType::kText:
        if (lit.kind == Literal::Kind::kBool) wrong("quoted text");
        if (n.field == Field::kCountry)
          for (char& c : lit.text)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        break;
      case FieldType::kTime: {
        if (lit.kind != Literal::Kind::kText) wrong("a quoted date 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ'");
        auto t = parse_iso8601(lit.text);
        if (!t) wrong("a date 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ'");
        lit.time = *t;
        break;
      }
      case FieldType::kPhone: {
        if (lit.kind == Literal::Kind::kBool) wrong("'+' and digits in E.164, e.g. '+12125550100'");
        std::string_view s = lit.text;
        if (!s.empty() && s.front() == '+') s.remove_prefix(1);
        bool ok = !s.empty() && s.size() <= 15 && s.front() != '0' &&
                  std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!ok) wrong("'+' and up to 15 digits in E.164, e.g. '+12125550100'");
        lit.phone = std::stoull(std::string(s));
        break;
      }
      case FieldType::kAttribute:
        break;
    }
    return lit;
  }

  std::string_view text_;
  std::vector<Token> t_;
  size_t i_ = 0;
  std::vector<std::string>& attributes_;
};

std::string caret_message(std::string_view text, size_t pos, size_t len, const std::string& what) {
  pos = std::min(pos, text.size());
  len = std::min(len, text.size() - pos);
  size_t col = code_points(text.substr(0, pos)) + 1;
  std::string shown(text);
  for (char& c : shown)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  std::string msg = what;
  msg += " at column " + std::to_string(col);
  msg += "\n  " + shown + "\n  " + std::string(col - 1, ' ') +
         std::string(std::max<size_t>(1, code_points(text.substr(pos, len))), '^');
  return msg;
}

std::optional<std::string> required_equal(const SegmentNode* root, Field f) {
  if (!root) return std::nullopt;
  auto direct = [f](const SegmentNode& n) -> std::optional<std::string> {
    if (n.kind == SegmentNode::Kind::kCompare && n.op == Op::kEq && n.field == f &&
        n.type == FieldType::kText)
      return n.values.front().text;
    return std::nullopt;
  };
  if (auto v = direct(*root)) return v;
  if (root->kind == SegmentNode::Kind::kAnd)
    for (const auto& c : root->children)
      if (auto v = direct(*c)) return v;
  return std::nullopt;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

Segment::Segment() = default;
Segment::Segment(Segment&&) noexcept = default;
Segment& Segment::operator=(Segment&&) noexcept = default;
Segment::~Segment() = default;

Result<Segment> Segment::parse(std::string_view text) {
  Segment s;
  s.text_ = std::string(text);
  try {
    Parser p(text, s.attributes_);
    s.root_ = p.parse();
  } catch (const ParseFail& f) {
    return make_error("bad_segment", caret_message(text, f.pos, f.len, f.what));
  } catch (const std::exception& e) {
    return make_error("bad_segment", std::string("cannot read the expression: ") + e.what());
  }
  return s;
}

bool Segment::matches(const store::Lead& lead) const {
  if (!root_) return false;
  LeadView view(lead);
  return eval(view, *root_) == Tri::kTrue;
}

std::optional<std::string> Segment::required_country() const { return required_equal(root_.get(), Field::kCountry); }
std::optional<std::string> Segment::required_region() const { return required_equal(root_.get(), Field::kRegion); }

AttributeCensus::AttributeCensus(const Segment& segment) {
  for (const auto& a : segment.attributes()) wanted_.emplace_back(lower(a), a);
}

void AttributeCensus::add(const store::Lead& lead) {
  if (wanted_.empty()) return;
  auto j = nlohmann::json::parse(lead.attributes_json, nullptr, false);
  if (!j.is_object()) return;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string k = lower(it.key());
    seen_.insert(it.key());
    wanted_.erase(std::remove_if(wanted_.begin(), wanted_.end(), [&](const auto& w) { return w.first == k; }),
                  wanted_.end());
  }
}

std::vector<std::string> AttributeCensus::unknown() const {
  std::vector<std::string> out;
  for (const auto& wanted : wanted_) {
    const std::string& w = wanted.first;
    std::string msg = "no lead has an attribute '" + wanted.second + "'";
    std::string best;
    size_t best_d = std::max<size_t>(1, w.size() / 3) + 1;
    auto consider = [&](const std::string& cand) {
      size_t d = edit_distance(w, lower(cand));
      if (d < best_d) {
        best_d = d;
        best = cand;
      }
    };
    for (const auto& k : seen_) consider(k);
    for (const auto& b : kBuiltIns) consider(b.name);
    if (!best.empty()) msg += "; did you mean '" + best + "'?";
    out.push_back(msg);
  }
  return out;
}

}  // namespace telemark::leads
