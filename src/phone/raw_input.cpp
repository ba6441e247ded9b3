#include "phone/raw_input.h"

#include <array>

namespace telemark::phone::detail {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool equals_lower(std::string_view s, std::string_view lower_word) {
  if (s.size() != lower_word.size()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (lower(s[i]) != lower_word[i]) return false;
  return true;
}

// What a spreadsheet makes of a long number stored as a float:
// 2.12555E+09, 2,12555E+09 (decimal comma), 1.2125550123e10.
bool is_scientific(std::string_view s) {
  size_t i = 0, n = s.size();
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t start = i;
  while (i < n && is_digit(s[i])) ++i;
  if (i == start) return false;
  if (i < n && (s[i] == '.' || s[i] == ',')) {
    ++i;
    size_t frac = i;
    while (i < n && is_digit(s[i])) ++i;
    if (i == frac) return false;
  }
  if (i >= n || (s[i] != 'e' && s[i] != 'E')) return false;
  ++i;
  if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
  size_t exp = i;
  while (i < n && is_digit(s[i])) ++i;
  return i > exp && i == n;
}

// Extension labels libphonenumber recognizes (ASCII ones; case-insensitive).
constexpr std::array<std::string_view, 8> kExtensionLabels = {
    "x", "ext", "extn", "extension", "xt", "xtn", "anexo", "int"};

// Letters are allowed only as one extension label between the number and
// the extension digits ("... ext. 45"); any other letter is a vanity number
// or text, which we refuse rather than let libphonenumber turn into digits.
bool has_stray_letters(std::string_view s) {
  size_t a = 0, n = s.size();
  while (a < n && !is_alpha(s[a])) ++a;
  if (a == n) return false;
  size_t b = a;
  while (b < n && is_alpha(s[b])) ++b;
  bool known = false;
  for (std::string_view label : kExtensionLabels) known = known || equals_lower(s.substr(a, b - a), label);
  if (!known) return true;
  bool digit_before = false;
  for (size_t i = 0; i < a; ++i) digit_before = digit_before || is_digit(s[i]);
  if (!digit_before) return true;
  bool digit_after = false;
  for (size_t i = b; i < n; ++i) {
    char c = s[i];
    if (is_digit(c)) {
      digit_after = true;
    } else if (!(c == ' ' || c == '.' || c == ':' || c == '-' || c == '#' || c == ',' || c == '\t' ||
                 c == '=')) {  // '=' for RFC 3966 ";ext=45"
      return true;
    }
  }
  return !digit_after;
}

}  // namespace

Screened screen(std::string_view raw) {
  Screened out;
  std::string_view s = trim(raw);
  // A leading apostrophe is how spreadsheets mark a cell as text.
  if (!s.empty() && s.front() == '\'') s = trim(s.substr(1));
  out.text = s;
  if (s.empty()) {
    out.reject = PhoneReject::kEmpty;
    return out;
  }
  if (is_scientific(s)) {
    out.reject = PhoneReject::kSpreadsheetMangled;
    return out;
  }
  if (has_stray_letters(s)) {
    out.reject = PhoneReject::kLetters;
    return out;
  }
  bool something = false;  // a digit, or a non-ASCII byte that may be one
  for (char c : s) something = something || is_digit(c) || static_cast<unsigned char>(c) >= 0x80;
  if (!something) out.reject = PhoneReject::kEmpty;
  return out;
}

bool lex_common(std::string_view t, Lexed* out) {
  const size_t n = t.size();
  if (n > 64) return false;
  size_t i = 0;
  // libphonenumber drops everything before the first '+' or digit.
  while (i < n && (t[i] == '(' || t[i] == ' ')) ++i;
  out->plus = false;
  out->digit_count = 0;
  out->extension_length = 0;
  if (i < n && t[i] == '+') {
    out->plus = true;
    ++i;
  }
  for (; i < n; ++i) {
    char c = t[i];
    if (is_digit(c)) {
      if (out->digit_count == Lexed::kMaxDigits) return false;
      out->digits[out->digit_count++] = c;
      continue;
    }
    if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')') continue;
    if (c == '/') {
      // "/ x" starts a second number for libphonenumber (kCaptureUpToSecondNumberStart).
      size_t j = i + 1;
      while (j < n && t[j] == ' ') ++j;
      if (j < n && (t[j] == 'x' || t[j] == 'X')) return false;
      continue;
    }
    break;
  }
  // Fewer than 3 digits is libphonenumber's "not a viable number" ground.
  if (out->digit_count < 3) return false;
  if (i == n) return true;

  // The extension: the number must end with a digit right before it.
  {
    size_t j = i;
    while (j > 0 && t[j - 1] == ' ') --j;
    if (j == 0 || !is_digit(t[j - 1])) return false;
  }
  bool explicit_label = false;
  if (t[i] == '#') {
    ++i;
  } else {
    size_t s = i;
    while (i < n && is_alpha(t[i])) ++i;
    std::string_view label = t.substr(s, i - s);
    if (equals_lower(label, "x")) {
      explicit_label = false;
    } else if (equals_lower(label, "ext") || equals_lower(label, "extn") ||
               equals_lower(label, "extension")) {
      explicit_label = true;
    } else {
      return false;
    }
    if (explicit_label && i < n && t[i] == '.') ++i;
  }
  while (i < n && t[i] == ' ') ++i;
  size_t s = i;
  while (i < n && is_digit(t[i])) ++i;
  size_t len = i - s;
  // libphonenumber caps extensions at 9 digits after "x"/"#" and 20 after
  // "ext"; stay well inside both.
  if (len == 0 || len > Lexed::kMaxExtension || i != n) return false;
  for (size_t k = 0; k < len; ++k) out->extension[k] = t[s + k];
  out->extension_length = static_cast<uint8_t>(len);
  return true;
}

}  // namespace telemark::phone::detail
