// CsvReader: a streaming reader for the CSV files people really have.
//
// RFC 4180 plus what spreadsheets write: ',' ';' or TAB delimiters
// (auto-detected from the header line unless given), a UTF-8 byte order
// mark, CRLF / LF / CR line ends, quoted fields with embedded newlines and
// doubled quotes, blank lines (skipped), trailing empty columns. Input is
// UTF-8 by default (invalid UTF-8 is an error that suggests --encoding);
// Latin-1 and Windows-1252 are transcoded to UTF-8.
//
// Errors name the file and the physical line: an unterminated quote, a NUL
// byte, a field longer than the limit, invalid UTF-8, a path that does not
// exist or is a folder.
//
// Memory: streams the file in blocks; the string_views of a record stay
// valid until the next call to next(). Thread-safety: one reader, one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace telemark::leads {

enum class Encoding : uint8_t { kUtf8, kLatin1, kWindows1252 };
Result<Encoding> parse_encoding(std::string_view name);  // "utf-8", "latin1", "windows-1252", ...

struct CsvOptions {
  char delimiter = 0;  // 0: detect from the first record (',', ';', '\t')
  Encoding encoding = Encoding::kUtf8;
  size_t max_field_bytes = 1 << 20;  // a longer field is an error
};

struct CsvRecord {
  uint64_t line = 0;                    // physical line (1-based) where the record starts
  std::vector<std::string_view> fields; // unquoted, UTF-8
  std::string_view raw;                 // the record's text as in the file (UTF-8), without the line end
};

class CsvReader {
 public:
  static Result<std::unique_ptr<CsvReader>> open(const std::string& path, const CsvOptions& options);
  // Reads from memory (tests, fuzzers); `name` is used in messages.
  static std::unique_ptr<CsvReader> from_string(std::string data, const CsvOptions& options,
                                                std::string name = "<input>");
  virtual ~CsvReader() = default;

  // Reads the next non-blank record. Returns true and fills `record`, false
  // at the end of input, or an error (which ends the reading).
  virtual Result<bool> next(CsvRecord& record) = 0;

  virtual char delimiter() const = 0;       // detected or given; valid after the first next()
  virtual uint64_t bytes_read() const = 0;  // for progress
  virtual uint64_t total_bytes() const = 0; // 0 when unknown
  virtual const std::string& name() const = 0;
};

}  // namespace telemark::leads
