// Runs the data-driven cases in tests/phone/cases/*.txt (format in the
// README there) through both normalize() and normalize_slow().
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "phone/phone.h"

using telemark::phone::NumberType;
using telemark::phone::PhoneNormalizer;

namespace {

struct Case {
  std::string where;  // file:line
  std::string raw;
  std::string region;
  std::string expected;  // "+12125550123" or a reject code
  std::string type;      // "" or "-": not checked
  std::string extension;
  std::string owner;  // flag owner=XX
  std::string path;   // flag path=fast|slow
};

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// A raw field in double quotes keeps its spaces and understands \t \\ \" \xHH.
bool unquote(const std::string& field, std::string* out, std::string* error) {
  if (field.size() < 2 || field.front() != '"' || field.back() != '"') {
    *out = field;
    return true;
  }
  out->clear();
  for (size_t i = 1; i + 1 < field.size(); ++i) {
    char c = field[i];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (++i + 1 > field.size() - 1) return *error = "dangling backslash", false;
    char e = field[i];
    if (e == 't') {
      out->push_back('\t');
    } else if (e == '\\' || e == '"') {
      out->push_back(e);
    } else if (e == 'x' && i + 2 < field.size() - 1) {
      out->push_back(static_cast<char>(std::stoi(field.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      return *error = std::string("unknown escape \\") + e, false;
    }
  }
  return true;
}

std::vector<Case> load_cases(std::vector<std::string>* errors) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(TELEMARK_PHONE_CASES))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<Case> cases;
  for (const auto& file : files) {
    std::ifstream in(file);
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      std::string t = trim(line);
      if (t.empty() || t[0] == '#') continue;
      std::string where = file.filename().string() + ":" + std::to_string(line_no);
      std::vector<std::string> fields;
      std::stringstream ss(line);
      std::string f;
      while (std::getline(ss, f, '|')) fields.push_back(trim(f));
      if (fields.size() < 3 || fields.size() > 6) {
        errors->push_back(where + ": expected 3 to 6 '|'-separated fields");
        continue;
      }
      fields.resize(6);
      Case c;
      c.where = where;
      std::string error;
      if (!unquote(fields[0], &c.raw, &error)) {
        errors->push_back(where + ": " + error);
        continue;
      }
      c.region = fields[1];
      c.expected = fields[2];
      c.type = fields[3] == "-" ? "" : fields[3];
      c.extension = fields[4] == "-" ? "" : fields[4];
      std::stringstream flags(fields[5]);
      std::string flag;
      while (flags >> flag) {
        if (flag.rfind("owner=", 0) == 0) {
          c.owner = flag.substr(6);
        } else if (flag == "path=fast" || flag == "path=slow") {
          c.path = flag.substr(5);
        } else {
          errors->push_back(where + ": unknown flag " + flag);
        }
      }
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

std::string describe(const PhoneNormalizer::Outcome& o) {
  if (!o.ok) return std::string(to_string(o.reject));
  return o.phone.e164_string() + " " + o.phone.region + " " + std::string(to_string(o.phone.type)) +
         " ext=" + o.phone.extension;
}

const PhoneNormalizer& normalizer() {
  static const PhoneNormalizer n;
  return n;
}

TEST(PhoneCases, FilesParseAndAreNumerous) {
  std::vector<std::string> errors;
  auto cases = load_cases(&errors);
  for (const auto& e : errors) ADD_FAILURE() << e;
  EXPECT_GE(cases.size(), 80u);
}

TEST(PhoneCases, LibphonenumberGivesTheExpectedAnswer) {
  std::vector<std::string> errors;
  for (const Case& c : load_cases(&errors)) {
    auto got = normalizer().normalize_slow(c.raw, c.region);
    std::string actual = got.ok ? got.phone.e164_string() : std::string(to_string(got.reject));
    EXPECT_EQ(actual, c.expected) << c.where << ": \"" << c.raw << "\" region \"" << c.region << "\"";
    if (!got.ok) continue;
    if (!c.type.empty()) {
      EXPECT_EQ(to_string(got.phone.type), c.type) << c.where << ": type of \"" << c.raw << "\"";
    }
    EXPECT_EQ(got.phone.extension, c.extension) << c.where << ": extension of \"" << c.raw << "\"";
    if (!c.owner.empty()) {
      EXPECT_EQ(got.phone.region, c.owner) << c.where << ": region of \"" << c.raw << "\"";
    }
    EXPECT_EQ(c.expected.rfind("+" + std::to_string(got.phone.country_code), 0), 0u)
        << c.where << ": country code " << got.phone.country_code;
  }
}

TEST(PhoneCases, FastPathAgreesAndTakesTheNotedPath) {
  std::vector<std::string> errors;
  for (const Case& c : load_cases(&errors)) {
    auto fast = normalizer().normalize(c.raw, c.region);
    auto slow = normalizer().normalize_slow(c.raw, c.region);
    EXPECT_EQ(describe(fast), describe(slow)) << c.where << ": \"" << c.raw << "\"";
    PhoneNormalizer::Outcome out;
    bool handled = normalizer().try_fast(c.raw, c.region, &out);
    if (handled) {
      EXPECT_EQ(describe(out), describe(slow)) << c.where;
    }
    if (c.path == "fast") {
      EXPECT_TRUE(handled) << c.where << ": \"" << c.raw << "\" left the fast path";
    }
    if (c.path == "slow") {
      EXPECT_FALSE(handled) << c.where << ": \"" << c.raw << "\" took the fast path";
    }
  }
}

}  // namespace
