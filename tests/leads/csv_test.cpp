// Tests of the streaming CSV reader: the data-driven cases in csv_cases/
// (format in csv_cases/README.md), each run at every small block size so
// that every record, quote, CRLF and multi-byte character straddles a
// refill somewhere; then what files cannot express: open() errors, big
// generated inputs, and a comparison with a slow reference parser.
#include "leads/csv.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "leads/csv_internal.h"

namespace telemark::leads {
namespace {

namespace fs = std::filesystem;
using csv_detail::open_reader;
using csv_detail::reader_from_string;

// ---------------------------------------------------------------------------
// Case files

struct Row {
  uint64_t line = 0;
  std::vector<std::string> fields;
  std::optional<std::string> raw;  // checked only when the case gives it
  bool operator==(const Row& o) const {
    return line == o.line && fields == o.fields && (!raw || !o.raw || *raw == *o.raw);
  }
};

struct Outcome {
  std::vector<Row> rows;
  std::string error_code;  // empty: the input ended normally
  std::string error_message;
  char delimiter = 0;
};

struct Case {
  std::string name;
  std::string path;
  CsvOptions options;
  char detected = 0;  // expected delimiter(), 0: not checked
  std::string input;
  std::vector<Row> rows;
  std::string error_code;
  uint64_t error_line = 0;
  std::vector<std::string> message_parts;
};

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes \r \n \t \0 \\ \| \xHH. A lone backslash at the very end sets
// `joined` (the line continues with no line end).
std::string unescape(std::string_view s, bool* joined = nullptr) {
  std::string out;
  if (joined) *joined = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 1 == s.size()) {
      if (joined) *joined = true;
      break;
    }
    char c = s[++i];
    switch (c) {
      case 'r':
        out += '\r';
        break;
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case 'x': {
        int hi = i + 1 < s.size() ? hex_digit(s[i + 1]) : -1;
        int lo = i + 2 < s.size() ? hex_digit(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) throw std::runtime_error("bad \\x escape in: " + std::string(s));
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        out += c;  // \\ and \| and anything else: the character itself
    }
  }
  return out;
}

std::string escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '|':
        out += "\\|";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          static const char* kHex = "0123456789ABCDEF";
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

std::vector<std::string> split_fields(std::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      cur += s[i];
      cur += s[++i];
    } else if (s[i] == '|') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += s[i];
    }
  }
  parts.push_back(cur);
  for (auto& p : parts) p = unescape(p);
  return parts;
}

char parse_delimiter(const std::string& v) {
  if (v == "auto") return 0;
  if (v == "comma") return ',';
  if (v == "semicolon") return ';';
  if (v == "tab") return '\t';
  if (v == "pipe") return '|';
  if (v == "space") return ' ';
  if (v.size() == 1) return v[0];
  throw std::runtime_error("bad delimiter: " + v);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

Case load_case(const fs::path& path) {
  Case c;
  c.name = path.stem().string();
  c.path = path.string();
  std::ifstream in(path, std::ios::binary);
  std::string line;
  enum { kHeader, kInput, kExpect } section = kHeader;
  bool prev_joined = false;
  while (std::getline(in, line)) {
    if (section != kInput && !line.empty() && line[0] == '#') continue;
    if (line == "--- input") {
      section = kInput;
      continue;
    }
    if (line == "--- expect") {
      section = kExpect;
      continue;
    }
    if (section == kInput) {
      c.input += unescape(line, &prev_joined);
      if (!prev_joined) c.input += '\n';
      continue;
    }
    if (trim(line).empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error(c.path + ": no ':' in: " + line);
    std::string key = line.substr(0, colon);
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (section == kHeader) {
      value = trim(value);
      if (key == "delimiter")
        c.options.delimiter = parse_delimiter(value);
      else if (key == "detected")
        c.detected = parse_delimiter(value);
      else if (key == "encoding")
        c.options.encoding = *parse_encoding(value);
      else if (key == "max_field_bytes")
        c.options.max_field_bytes = std::stoull(value);
      else if (key == "max_record_bytes")
        c.options.max_record_bytes = std::stoull(value);
      else
        throw std::runtime_error(c.path + ": unknown setting: " + key);
    } else if (key == "raw") {
      if (c.rows.empty()) throw std::runtime_error(c.path + ": raw: before any record");
      c.rows.back().raw = unescape(value);
    } else if (key == "error") {
      std::istringstream ss(value);
      std::string word;
      ss >> c.error_code >> word >> c.error_line;
      if (word != "line" || c.error_line == 0)
        throw std::runtime_error(c.path + ": expected 'error: CODE line N': " + line);
    } else if (key == "message") {
      c.message_parts.push_back(unescape(trim(value)));
    } else {
      Row r;
      r.line = std::stoull(key);
      r.fields = split_fields(value);
      c.rows.push_back(std::move(r));
    }
  }
  if (section != kExpect) throw std::runtime_error(c.path + ": needs '--- input' and '--- expect'");
  return c;
}

Outcome read_all(CsvReader& reader) {
  Outcome out;
  CsvRecord rec;
  for (int guard = 0; guard < 10'000'000; ++guard) {
    Result<bool> r = reader.next(rec);
    if (!r.ok()) {
      out.error_code = r.error().code;
      out.error_message = r.error().message;
      break;
    }
    if (!*r) break;
    Row row;
    row.line = rec.line;
    for (auto f : rec.fields) row.fields.emplace_back(f);
    row.raw = std::string(rec.raw);
    out.rows.push_back(std::move(row));
  }
  out.delimiter = reader.delimiter();
  return out;
}

std::string render(const std::vector<Row>& rows) {
  std::string s;
  for (const auto& r : rows) {
    s += std::to_string(r.line) + ": ";
    for (size_t i = 0; i < r.fields.size(); ++i) s += (i ? "|" : "") + escape(r.fields[i]);
    if (r.raw) s += "\n   raw: " + escape(*r.raw);
    s += "\n";
  }
  return s;
}

bool names_line(const std::string& message, uint64_t line) {
  std::string needle = "line " + std::to_string(line);
  for (size_t at = message.find(needle); at != std::string::npos;
       at = message.find(needle, at + 1)) {
    size_t after = at + needle.size();
    if (after == message.size() || !std::isdigit(static_cast<unsigned char>(message[after])))
      return true;
  }
  return false;
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(TELEMARK_CSV_CASES_DIR))
    if (e.path().extension() == ".case") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

class CsvCase : public ::testing::TestWithParam<fs::path> {};

TEST_P(CsvCase, MatchesAtEveryBlockSize) {
  Case c = load_case(GetParam());
  const std::string file_name = c.name + ".csv";
  std::vector<size_t> blocks = {csv_detail::kDefaultBlockBytes};
  for (size_t b = 1; b <= std::min<size_t>(c.input.size() + 1, 80); ++b) blocks.push_back(b);
  for (size_t block : blocks) {
    SCOPED_TRACE("block size " + std::to_string(block) + ", case " + c.path);
    auto reader = reader_from_string(c.input, c.options, file_name, block);
    Outcome got = read_all(*reader);
    for (size_t k = 0; k < std::min(got.rows.size(), c.rows.size()); ++k)
      if (!c.rows[k].raw) got.rows[k].raw.reset();  // raw is checked where the case gives it
    EXPECT_EQ(render(got.rows), render(c.rows));
    EXPECT_EQ(got.error_code, c.error_code) << got.error_message;
    if (!c.error_code.empty()) {
      EXPECT_TRUE(names_line(got.error_message, c.error_line))
          << "expected line " << c.error_line << " in: " << got.error_message;
      EXPECT_NE(got.error_message.find(file_name), std::string::npos) << got.error_message;
      for (const auto& part : c.message_parts)
        EXPECT_NE(got.error_message.find(part), std::string::npos)
            << "expected '" << part << "' in: " << got.error_message;
    }
    if (c.detected) {
      EXPECT_EQ(got.delimiter, c.detected);
    }
    if (::testing::Test::HasFailure()) break;  // one block size is enough to read the failure
  }
}

std::string case_test_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string s = info.param.stem().string();
  for (char& ch : s)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return s;
}

INSTANTIATE_TEST_SUITE_P(Cases, CsvCase, ::testing::ValuesIn(case_files()), case_test_name);

TEST(CsvCases, ThereAreEnough) { EXPECT_GE(case_files().size(), 40u); }

// ---------------------------------------------------------------------------
// Encodings

TEST(ParseEncoding, AcceptsTheUsualNamesInAnyCase) {
  for (const char* n : {"utf-8", "UTF-8", "utf8", "Utf8"})
    EXPECT_EQ(*parse_encoding(n), Encoding::kUtf8) << n;
  for (const char* n : {"latin1", "LATIN-1", "latin-1", "ISO-8859-1", "iso-8859-1"})
    EXPECT_EQ(*parse_encoding(n), Encoding::kLatin1) << n;
  for (const char* n : {"windows-1252", "Windows-1252", "CP1252", "cp1252"})
    EXPECT_EQ(*parse_encoding(n), Encoding::kWindows1252) << n;
}

TEST(ParseEncoding, RejectsOthersNamingTheAcceptedValues) {
  for (const char* n : {"", "utf-16", "ascii", "latin 1", "1252"}) {
    auto r = parse_encoding(n);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error().code, "bad_encoding");
    for (const char* accepted : {"utf-8", "latin1", "windows-1252"})
      EXPECT_NE(r.error().message.find(accepted), std::string::npos) << r.error().message;
  }
}

std::string utf8_of(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Every byte that is not syntax, one per field, against the code page.
void check_single_byte_encoding(Encoding enc, const std::u32string& high_0x80_to_0x9f) {
  std::string input, expected;
  for (unsigned b = 1; b < 256; ++b) {
    if (b == '"' || b == '\r' || b == '\n' || b == ';') continue;
    if (!input.empty()) input += ';';
    input += static_cast<char>(b);
    char32_t cp = b >= 0x80 && b < 0xA0 ? high_0x80_to_0x9f[b - 0x80] : b;
    expected += (expected.empty() ? "" : ";") + utf8_of(cp);
  }
  CsvOptions o;
  o.delimiter = ';';
  o.encoding = enc;
  for (size_t block : {size_t{1}, size_t{7}, csv_detail::kDefaultBlockBytes}) {
    auto reader = reader_from_string(input, o, "enc.csv", block);
    CsvRecord rec;
    auto r = reader->next(rec);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_TRUE(*r);
    EXPECT_EQ(rec.raw, expected);
    ASSERT_EQ(rec.fields.size(), 251u);
    EXPECT_EQ(rec.fields[0], "\x01");
    EXPECT_EQ(rec.fields.back(), "\xC3\xBF");  // ÿ
  }
}

TEST(Encodings, Latin1IsTheFirst256CodePoints) {
  std::u32string c1;
  for (char32_t cp = 0x80; cp < 0xA0; ++cp) c1 += cp;
  check_single_byte_encoding(Encoding::kLatin1, c1);
}

TEST(Encodings, Windows1252HasItsOwn0x80To0x9F) {
  // The brief's list: € ‚ ƒ „ … † ‡ ˆ ‰ Š ‹ Œ Ž ‘ ’ “ ” • – — ˜ ™ š › œ ž Ÿ,
  // with 0x81 0x8D 0x8F 0x90 0x9D (undefined) as in Latin-1.
  std::u32string high = U"€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ";
  ASSERT_EQ(high.size(), 32u);
  check_single_byte_encoding(Encoding::kWindows1252, high);
}

struct Utf8Sample {
  const char* bytes;
  bool valid;
};

TEST(Encodings, Utf8ValidationFindsTheFirstBadByte) {
  const Utf8Sample samples[] = {
      {"caf\xC3\xA9", true},
      {"\xE2\x82\xAC", true},
      {"\xF0\x9F\x98\x80", true},
      {"\xF4\x8F\xBF\xBF", true},
      {"\xEF\xBF\xBF", true},
      {"\xED\x9F\xBF", true},
      {"\xC2\x80", true},
      {"\xE0\xA0\x80", true},
      {"\xF0\x90\x80\x80", true},
      {"caf\xE9", false},
      {"\x80", false},
      {"\xC0\xAF", false},
      {"\xC1\xBF", false},
      {"\xE0\x80\x80", false},
      {"\xED\xA0\x80", false},
      {"\xF4\x90\x80\x80", false},
      {"\xF5\x80\x80\x80", false},
      {"\xFF", false},
      {"\xE2\x82", false},
      {"\xF0\x9F\x98", false},
      {"\xC3", false},
      {"\xC3\x28", false},
  };
  for (const auto& s : samples) {
    // Long ASCII on both sides exercises the 16-byte fast path.
    std::string field = std::string(37, 'x') + s.bytes + std::string(21, 'y');
    std::string input = "a,b\nxx," + field + "\n";
    auto reader = CsvReader::from_string(input, {}, "u.csv");
    CsvRecord rec;
    ASSERT_TRUE(reader->next(rec).value());
    auto r = reader->next(rec);
    if (s.valid) {
      ASSERT_TRUE(r.ok()) << escape(s.bytes) << ": " << r.error().message;
      EXPECT_EQ(rec.fields[1], field);
    } else {
      ASSERT_FALSE(r.ok()) << escape(s.bytes);
      EXPECT_EQ(r.error().code, "invalid_utf8");
      // "xx," is 3 bytes, then 37 x: the sample starts at byte 41 of line 2.
      EXPECT_NE(r.error().message.find("u.csv: line 2, byte "), std::string::npos)
          << r.error().message;
      EXPECT_NE(r.error().message.find("--encoding latin1"), std::string::npos);
      EXPECT_NE(r.error().message.find("--encoding windows-1252"), std::string::npos);
    }
  }
}

TEST(Encodings, Utf8ErrorNamesTheExactByteColumn) {
  auto reader = CsvReader::from_string("name,city\nJos\xE9,Paris\n", {}, "people.csv");
  CsvRecord rec;
  ASSERT_TRUE(reader->next(rec).value());
  auto r = reader->next(rec);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.substr(0, 30), "people.csv: line 2, byte 4: in");
}

// ---------------------------------------------------------------------------
// open()

class TempDir : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("csv_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  fs::path dir_;
};

using CsvOpen = TempDir;

TEST_F(CsvOpen, MissingFileIsNotFound) {
  std::string p = (dir_ / "nope.csv").string();
  auto r = CsvReader::open(p, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "file_not_found");
  EXPECT_NE(r.error().message.find(p), std::string::npos) << r.error().message;
  // A path through a file, not a folder, is missing too.
  std::string f = write("file.csv", "a\n");
  auto r2 = CsvReader::open(f + "/x.csv", {});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().code, "file_not_found");
}

TEST_F(CsvOpen, FolderIsRejected) {
  auto r = CsvReader::open(dir_.string(), {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "is_directory");
  EXPECT_NE(r.error().message.find(dir_.string()), std::string::npos) << r.error().message;
}

TEST_F(CsvOpen, UnreadableFileIsAnIoError) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  std::string p = write("secret.csv", "a,b\n");
  fs::permissions(p, fs::perms::none);
  auto r = CsvReader::open(p, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "io_error");
  EXPECT_NE(r.error().message.find(p), std::string::npos) << r.error().message;
}

TEST_F(CsvOpen, ReadFailureIsAnIoError) {
  // Reading /proc/self/mem at offset 0 (an unmapped page) fails with EIO:
  // a real read(2) error without special privileges.
  auto r = CsvReader::open("/proc/self/mem", {});
  if (!r.ok()) GTEST_SKIP() << r.error().message;
  CsvRecord rec;
  auto n = (*r)->next(rec);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().code, "io_error");
  EXPECT_NE(n.error().message.find("/proc/self/mem: read error"), std::string::npos)
      << n.error().message;
}

TEST_F(CsvOpen, BadDelimiterIsRejected) {
  std::string p = write("a.csv", "a,b\n");
  for (char d : {'"', '\r', '\n', static_cast<char>(0xE9)}) {
    CsvOptions o;
    o.delimiter = d;
    auto r = CsvReader::open(p, o);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "bad_option");
    auto s = CsvReader::from_string("a,b\n", o, "s.csv");
    CsvRecord rec;
    auto n = s->next(rec);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().code, "bad_option");
  }
}

TEST_F(CsvOpen, ReadsAFileAndReportsProgress) {
  std::string content =
      "\xEF\xBB\xBFname;phone\r\n\"Dupont; Jean\";+33 1 23\r\n\r\nMüller;+49 30\r\n";
  std::string p = write("leads.csv", content);
  auto r = CsvReader::open(p, {});
  ASSERT_TRUE(r.ok()) << r.error().message;
  CsvReader& reader = **r;
  EXPECT_EQ(reader.name(), p);
  EXPECT_EQ(reader.total_bytes(), content.size());
  Outcome got = read_all(reader);
  EXPECT_EQ(got.error_code, "") << got.error_message;
  EXPECT_EQ(render(got.rows),
            "1: name|phone\n   raw: name;phone\n"
            "2: Dupont; Jean|+33 1 23\n   raw: \"Dupont; Jean\";+33 1 23\n"
            "4: Müller|+49 30\n   raw: Müller;+49 30\n");
  EXPECT_EQ(reader.delimiter(), ';');
  EXPECT_EQ(reader.bytes_read(), content.size());
}

TEST_F(CsvOpen, ProgressGrowsBlockByBlock) {
  std::string content;
  for (int i = 0; i < 1000; ++i) content += "row" + std::to_string(i) + ",x\n";
  std::string p = write("big.csv", content);
  auto r = open_reader(p, {}, 512);
  ASSERT_TRUE(r.ok());
  CsvRecord rec;
  uint64_t last = 0;
  int rows = 0;
  while (true) {
    auto n = (*r)->next(rec);
    ASSERT_TRUE(n.ok());
    if (!*n) break;
    ++rows;
    EXPECT_GE((*r)->bytes_read(), last);
    EXPECT_LE((*r)->bytes_read(), last + 512);
    EXPECT_LE((*r)->bytes_read(), content.size());
    last = (*r)->bytes_read();
  }
  EXPECT_EQ(rows, 1000);
  EXPECT_EQ(last, content.size());
}

TEST_F(CsvOpen, Windows1252FileIsTranscoded) {
  std::string p = write("w.csv", "nom,note\r\nL\xE9on,\x93super\x94 \x80\r\n");
  CsvOptions o;
  o.encoding = Encoding::kWindows1252;
  auto r = CsvReader::open(p, o);
  ASSERT_TRUE(r.ok());
  Outcome got = read_all(**r);
  ASSERT_EQ(got.rows.size(), 2u);
  EXPECT_EQ(got.rows[1].fields, (std::vector<std::string>{"Léon", "“super” €"}));
}

// ---------------------------------------------------------------------------
// Limits

TEST(CsvLimits, TwoMegabyteFieldExceedsOneMebibyte) {
  const std::string big(2'000'000, 'z');
  for (bool quoted : {false, true}) {
    std::string input = "id,notes\n1," + (quoted ? "\"" + big + "\"" : big) + "\n2,ok\n";
    for (size_t block : {size_t{4096}, csv_detail::kDefaultBlockBytes}) {
      auto reader = reader_from_string(input, {}, "big.csv", block);
      CsvRecord rec;
      ASSERT_TRUE(reader->next(rec).value());
      auto r = reader->next(rec);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.error().code, "field_too_long");
      EXPECT_NE(
          r.error().message.find("big.csv: line 2, column 2: field longer than 1048576 bytes"),
          std::string::npos)
          << r.error().message;
      // The error ends the reading.
      auto again = reader->next(rec);
      ASSERT_FALSE(again.ok());
      EXPECT_EQ(again.error().code, "field_too_long");
    }
  }
}

TEST(CsvLimits, FieldOfExactlyTheLimitIsRead) {
  const std::string big(1 << 20, 'z');
  auto reader = reader_from_string("a,\"" + big + "\",c\n" + big + "\n", {}, "edge.csv", 65536);
  CsvRecord rec;
  ASSERT_TRUE(reader->next(rec).value());
  EXPECT_EQ(rec.fields[1].size(), big.size());
  EXPECT_EQ(rec.fields[2], "c");
  ASSERT_TRUE(reader->next(rec).value());
  EXPECT_EQ(rec.fields[0].size(), big.size());
  EXPECT_EQ(rec.line, 2u);
  EXPECT_FALSE(reader->next(rec).value());
}

TEST(CsvLimits, LongRecordWithSmallBlocks) {
  // 8 MB in 4 KiB blocks: re-parsing the record after every block would
  // scan terabytes; reads grow with the record instead.
  CsvOptions o;
  o.max_field_bytes = 16 << 20;
  o.encoding = Encoding::kLatin1;
  std::string big(8'000'000, 'x');
  auto reader = reader_from_string("\"" + big + "\",y\nz\n", o, "long.csv", 4096);
  CsvRecord rec;
  ASSERT_TRUE(reader->next(rec).value());
  EXPECT_EQ(rec.fields[0].size(), big.size());
  EXPECT_EQ(rec.fields[1], "y");
  ASSERT_TRUE(reader->next(rec).value());
  EXPECT_EQ(rec.line, 2u);
}

TEST(CsvLimits, UnterminatedQuoteInALongFileStopsAtTheFieldLimit) {
  // The quote on line 2 never closes: the reader must not buffer the whole
  // rest of the file before saying so.
  std::string input = "a,b\nx,\"oops\n";
  for (int i = 0; i < 200'000; ++i) input += "filler,row\n";
  CsvOptions o;
  o.max_field_bytes = 100'000;
  auto reader = reader_from_string(input, o, "q.csv", 4096);
  Outcome got = read_all(*reader);
  EXPECT_EQ(got.error_code, "field_too_long");
  EXPECT_NE(got.error_message.find("line 2, column 2"), std::string::npos) << got.error_message;
  EXPECT_NE(got.error_message.find("closing quote"), std::string::npos) << got.error_message;
  EXPECT_LT(reader->bytes_read(), 200'000u);
}

TEST(CsvLimits, LineWithoutLineEndsStopsAtTheRecordLimit) {
  std::string input(10'000'000, ',');
  CsvOptions o;
  o.max_record_bytes = 1 << 20;
  auto reader = reader_from_string(input, o, "commas.csv", 65536);
  Outcome got = read_all(*reader);
  EXPECT_EQ(got.error_code, "record_too_long");
  EXPECT_NE(got.error_message.find("commas.csv: line 1"), std::string::npos) << got.error_message;
  // Reads double while a record grows: at most about twice the limit.
  EXPECT_LE(reader->bytes_read(), 2u * (1 << 20) + 65536);
}

// ---------------------------------------------------------------------------
// Generated inputs against a slow reference parser that spells out the rules
// of the header one byte at a time.

struct Reference {
  char delim;
  Outcome run(const std::string& s) {
    Outcome out;
    size_t i = 0, n = s.size();
    uint64_t line = 1;
    auto is_pad = [&](char c) {
      return (c == ' ' && delim != ' ') || (c == '\t' && delim != '\t');
    };
    auto line_end_len = [&](size_t k) -> size_t {
      if (s[k] == '\n') return 1;
      return k + 1 < n && s[k + 1] == '\n' ? 2 : 1;
    };
    while (true) {
      while (i < n && (s[i] == '\r' || s[i] == '\n')) {
        i += line_end_len(i);
        ++line;
      }
      if (i == n) return out;
      Row row;
      row.line = line;
      size_t start = i;
      uint64_t inner = 0;
      while (true) {  // one field
        size_t q = i;
        while (q < n && is_pad(s[q])) ++q;
        std::string field;
        if (q < n && s[q] == '"') {
          size_t k = q + 1;
          while (true) {
            if (k == n) {
              out.error_code = "unterminated_quote";
              return out;
            }
            if (s[k] == '"') {
              if (k + 1 < n && s[k + 1] == '"') {
                field += '"';
                k += 2;
                continue;
              }
              break;
            }
            if (s[k] == '\0') {
              out.error_code = "nul_byte";
              return out;
            }
            if (s[k] == '\n' || s[k] == '\r') {
              size_t len = line_end_len(k);
              field.append(s, k, len);
              k += len;
              ++inner;
              continue;
            }
            field += s[k++];
          }
          size_t t = k + 1;
          while (t < n && is_pad(s[t])) ++t;
          if (t < n && s[t] != delim && s[t] != '\r' && s[t] != '\n') {
            t = k + 1;
            while (t < n && s[t] != delim && s[t] != '\r' && s[t] != '\n') {
              if (s[t] == '\0') {
                out.error_code = "nul_byte";
                return out;
              }
              field += s[t++];
            }
          }
          i = t;
        } else {
          while (i < n && s[i] != delim && s[i] != '\r' && s[i] != '\n') {
            if (s[i] == '\0') {
              out.error_code = "nul_byte";
              return out;
            }
            field += s[i++];
          }
        }
        row.fields.push_back(field);
        if (i < n && s[i] == delim) {
          ++i;
          continue;
        }
        break;
      }
      row.raw = s.substr(start, i - start);
      out.rows.push_back(std::move(row));
      if (i == n) return out;
      i += line_end_len(i);
      line += 1 + inner;
    }
  }
};

// A deterministic generator (a fixed-seed LCG: no randomness between runs).
struct Lcg {
  uint64_t state;
  uint32_t next(uint32_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>((state >> 33) % bound);
  }
};

TEST(CsvGenerated, MatchesTheReferenceOnNastyInputs) {
  static const char* kPieces[] = {"a",  "bc", ",",    ",", ";", "\t",  " ",      "\"",      "\"\"",
                                  "\r", "\n", "\r\n", "é", "€", "x y", "\"q,\"", "  \"s\" "};
  Lcg rng{42};
  for (int round = 0; round < 3000; ++round) {
    std::string input;
    int len = 1 + static_cast<int>(rng.next(40));
    for (int k = 0; k < len; ++k) input += kPieces[rng.next(std::size(kPieces))];
    if (rng.next(50) == 0) input.insert(rng.next(static_cast<uint32_t>(input.size())), 1, '\0');
    CsvOptions o;
    o.delimiter = ",;\t|"[rng.next(4)];
    Outcome want = Reference{o.delimiter}.run(input);
    size_t block = 1 + rng.next(70);
    auto reader = reader_from_string(input, o, "gen.csv", block);
    Outcome got = read_all(*reader);
    ASSERT_EQ(render(got.rows), render(want.rows))
        << "input: " << escape(input) << " block " << block;
    ASSERT_EQ(got.error_code, want.error_code)
        << "input: " << escape(input) << " " << got.error_message;
  }
}

TEST(CsvGenerated, ManyRecordsAcrossBlockBoundaries) {
  // 30,000 records mixing plain, quoted, doubled-quote and multi-line fields
  // and all three line ends; the expected records are built alongside.
  Lcg rng{7};
  std::string input;
  std::vector<Row> want;
  uint64_t line = 1;
  for (int i = 0; i < 30000; ++i) {
    Row row;
    row.line = line;
    std::string raw;
    uint64_t inner = 0;
    int nfields = 1 + static_cast<int>(rng.next(6));
    for (int f = 0; f < nfields; ++f) {
      if (f) raw += ';';
      std::string value = "r" + std::to_string(i) + "f" + std::to_string(f);
      switch (rng.next(5)) {
        case 0:
          raw += value;
          break;
        case 1:
          raw += "\"" + value + ";x\"";
          value += ";x";
          break;
        case 2:
          raw += "\"say \"\"" + value + "\"\"\"";
          value = "say \"" + value + "\"";
          break;
        case 3:
          raw += "\"" + value + "\r\nnext\"";
          value += "\r\nnext";
          ++inner;
          break;
        default:
          if (nfields == 1) {  // a lone empty field would be a blank line
            raw += value;
          } else {
            value.clear();
          }
      }
      row.fields.push_back(value);
    }
    row.raw = raw;
    input += raw;
    const char* end = i % 3 == 0 ? "\r\n" : i % 3 == 1 ? "\n" : "\r";
    input += end;
    line += 1 + inner;
    if (rng.next(10) == 0) {  // a blank line (after a CR, a lone LF would make it a CRLF)
      input += end[0] == '\r' && end[1] == 0 ? "\r\n" : "\n";
      ++line;
    }
    want.push_back(std::move(row));
  }
  for (size_t block : {size_t{61}, size_t{4096}, size_t{65537}, csv_detail::kDefaultBlockBytes}) {
    CsvOptions o;
    o.delimiter = ';';
    auto reader = reader_from_string(input, o, "many.csv", block);
    Outcome got = read_all(*reader);
    ASSERT_EQ(got.error_code, "") << got.error_message;
    ASSERT_EQ(got.rows.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k)
      ASSERT_EQ(render({got.rows[k]}), render({want[k]})) << "record " << k << " block " << block;
  }
}

TEST(CsvReaderApi, DelimiterIsKnownAfterTheFirstRecord) {
  auto reader = CsvReader::from_string("a\tb\n", {}, "t.csv");
  CsvRecord rec;
  ASSERT_TRUE(reader->next(rec).value());
  EXPECT_EQ(reader->delimiter(), '\t');
  EXPECT_EQ(reader->name(), "t.csv");
  EXPECT_EQ(reader->total_bytes(), 4u);
  CsvOptions o;
  o.delimiter = '|';
  EXPECT_EQ(CsvReader::from_string("a|b", o)->delimiter(), '|');
  EXPECT_EQ(CsvReader::from_string("a|b", o)->name(), "<input>");
}

TEST(CsvReaderApi, ViewsStayValidUntilTheNextCall) {
  auto reader = reader_from_string("\"a\"\"b\",c\nd,e\n", {}, "v.csv", 3);
  CsvRecord rec;
  ASSERT_TRUE(reader->next(rec).value());
  std::string copy0(rec.fields[0]), copy1(rec.fields[1]), raw(rec.raw);
  EXPECT_EQ(copy0, "a\"b");
  EXPECT_EQ(copy1, "c");
  EXPECT_EQ(raw, "\"a\"\"b\",c");
}

}  // namespace
}  // namespace telemark::leads
