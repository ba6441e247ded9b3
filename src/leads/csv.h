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
// Choices where files disagree (see tests/leads/csv_cases/ for each one):
// - only truly empty lines are skipped; a line of spaces is a record of one
//   field, and a line of delimiters a record of empty fields, so the caller
//   can reject it with its line number;
// - spaces around a quoted field are dropped (`a, "b" ,c` -> a|b|c); spaces
//   in an unquoted field are kept (the caller trims);
// - a quote inside an unquoted field is a literal character; text after a
//   closing quote is appended literally (`"a"b` -> ab), as spreadsheets do;
// - delimiter detection counts ',', ';' and TAB outside quotes in the first
//   record; the most frequent wins, ties go to TAB, then ';', then ','
//   (fields of ';' and TAB files contain unquoted commas far more often than
//   the reverse); none at all means ','.
//
// Memory: streams the file in blocks (1 MiB); the buffer grows only to hold
// one record, up to max_record_bytes. The string_views of a record stay
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
  size_t max_field_bytes = 1 << 20;  // a longer field (in UTF-8 bytes) is an error
  // A longer record is an error ("record_too_long"): bounds memory when a
  // file has no line ends. Raised to max_field_bytes if smaller.
  size_t max_record_bytes = 16 << 20;
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
  // at the end of input, or an error (which ends the reading: later calls
  // return the same error). Error codes: "file_not_found", "is_directory",
  // "io_error", "unterminated_quote", "nul_byte", "field_too_long",
  // "record_too_long", "invalid_utf8", "bad_option" (a delimiter that is
  // '"', CR, LF, NUL or not ASCII).
  virtual Result<bool> next(CsvRecord& record) = 0;

  virtual char delimiter() const = 0;       // detected or given; valid after the first next()
  virtual uint64_t bytes_read() const = 0;  // bytes taken from the file so far, for progress
  virtual uint64_t total_bytes() const = 0; // 0 when unknown
  virtual const std::string& name() const = 0;
};

// The writer's side: appends `field` to `out`, quoted (with doubled quotes)
// when it holds the delimiter, a quote, CR or LF. Used by every CSV file
// Telemark writes (reject files, exports, scrub and score outputs).
void append_csv_field(std::string& out, std::string_view field, char delimiter = ',');

}  // namespace telemark::leads
