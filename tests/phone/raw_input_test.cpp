#include "phone/raw_input.h"

#include <gtest/gtest.h>

#include <optional>

using telemark::phone::PhoneReject;
using telemark::phone::detail::Lexed;
using telemark::phone::detail::lex_common;
using telemark::phone::detail::screen;

namespace {

TEST(Screen, TrimsAndDropsTheSpreadsheetApostrophe) {
  EXPECT_EQ(screen("  '+1 212 555 0123\t").text, "+1 212 555 0123");
  EXPECT_EQ(screen("' 0212345678").text, "0212345678");
  EXPECT_FALSE(screen("(212) 555-0123").reject);
  EXPECT_FALSE(screen("212 555 0123 ext. 45").reject);
  EXPECT_FALSE(screen("212 555 0123x45").reject);
  EXPECT_FALSE(screen("+1\xC2\xA0" "212").reject);  // non-ASCII is libphonenumber's business
}

TEST(Screen, RejectsWithReasons) {
  struct Case {
    const char* raw;
    PhoneReject why;
  };
  for (const Case& c : {Case{"", PhoneReject::kEmpty}, Case{" \t ", PhoneReject::kEmpty},
                        Case{"'", PhoneReject::kEmpty}, Case{"()-", PhoneReject::kEmpty},
                        Case{"2.12555E+09", PhoneReject::kSpreadsheetMangled},
                        Case{"2,12555E+09", PhoneReject::kSpreadsheetMangled},
                        Case{"1.2125550123e10", PhoneReject::kSpreadsheetMangled},
                        Case{"-4.4E+11", PhoneReject::kSpreadsheetMangled},
                        Case{"1-800-FLOWERS", PhoneReject::kLetters},
                        Case{"x45", PhoneReject::kLetters},
                        Case{"212 555 0123 ext", PhoneReject::kLetters},
                        Case{"212 555 0123 ext 4 x 5", PhoneReject::kLetters},
                        Case{"212 555 0123 ext 45 please", PhoneReject::kLetters},
                        Case{"Tel 2125550123", PhoneReject::kLetters}}) {
    auto s = screen(c.raw);
    ASSERT_TRUE(s.reject) << c.raw;
    EXPECT_EQ(*s.reject, c.why) << c.raw;
  }
  // Scientific notation needs digits on both sides of the E.
  EXPECT_EQ(screen("2.E+09").reject, std::optional(PhoneReject::kLetters));
}

struct Lex {
  bool ok;
  bool plus;
  std::string digits;
  std::string extension;
};

Lex lex(const char* text) {
  Lexed l;
  bool ok = lex_common(text, &l);
  return {ok, l.plus, ok ? std::string(l.digit_view()) : "", ok ? std::string(l.extension_view()) : ""};
}

TEST(LexCommon, TheEverydayNotations) {
  auto a = lex("(212) 555-0123");
  EXPECT_TRUE(a.ok);
  EXPECT_FALSE(a.plus);
  EXPECT_EQ(a.digits, "2125550123");
  auto b = lex("+44 (0) 20 7946 0018 ext. 45");
  EXPECT_TRUE(b.ok);
  EXPECT_TRUE(b.plus);
  EXPECT_EQ(b.digits, "4402079460018");
  EXPECT_EQ(b.extension, "45");
  EXPECT_EQ(lex("02/12345678").digits, "0212345678");
  EXPECT_EQ(lex("212.555.0123 x123").extension, "123");
  EXPECT_EQ(lex("212-555-0123 #7").extension, "7");
  EXPECT_EQ(lex("212-555-0123 EXTENSION 12").extension, "12");
  EXPECT_EQ(lex("212-555-0123ext45").extension, "45");
}

TEST(LexCommon, LeavesTheRestToLibphonenumber) {
  for (const char* text : {"12", "+1 2", "212 555 0123 ext: 45", "212 555 0123;ext=45", "212 555 0123 x1234567",
                           "212 555 0123 / x 12", "212 555 0123/x12", "1+212 555 0123", "++1 212 555 0123",
                           "212\t555 0123", "212,555,0123", "+1\xC2\xA0" "212 555 0123", "212 555 0123 x 12#",
                           "212 555 0123 - x12", "212 555 0123 int 12", "1234567890123456789012345"}) {
    EXPECT_FALSE(lex(text).ok) << text;
  }
}

}  // namespace
