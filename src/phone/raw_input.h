// Raw phone input: the screening both normalization paths share, and the
// lexer of the fast path.
//
// Internal to src/phone/. screen() decides what libphonenumber is never
// asked about (empty cells, spreadsheet scientific notation, letters where
// digits belong); both paths call it, so they agree on those by
// construction. lex_common() accepts only the notations whose treatment by
// libphonenumber's parser the fast path replays exactly (ASCII digits,
// an optional leading '+', the separators " .-/()", and a trailing
// extension "x12", "ext. 12", "ext 12", "extn12", "extension 12", "#12");
// anything else is left to libphonenumber.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "phone/phone.h"

namespace telemark::phone::detail {

struct Screened {
  std::string_view text;  // trimmed, spreadsheet apostrophe removed
  std::optional<PhoneReject> reject;
};
Screened screen(std::string_view raw);

struct Lexed {
  static constexpr size_t kMaxDigits = 24;
  static constexpr size_t kMaxExtension = 6;
  bool plus = false;
  uint8_t digit_count = 0;
  uint8_t extension_length = 0;
  char digits[kMaxDigits];
  char extension[kMaxExtension];
  std::string_view digit_view() const { return {digits, digit_count}; }
  std::string_view extension_view() const { return {extension, extension_length}; }
};
// False when `text` (a screened text) is outside the common notations.
bool lex_common(std::string_view text, Lexed* out);

}  // namespace telemark::phone::detail
