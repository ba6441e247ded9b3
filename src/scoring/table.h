// Table: the generic columnar input of lead scoring.
//
// A Table holds rows of text cells under named columns, as read from an
// outcomes CSV file (read_table, TableChunkReader) or built by a caller from
// stored leads (append_row). Each column is dictionary-encoded: every
// distinct cell text is stored, trimmed and classified (missing, number,
// text) once, and rows hold 32-bit codes. Feature encoding then works per
// distinct value rather than per cell, which is what makes scoring a million
// rows a second possible; see features.h.
//
// Missing cells: empty, or one of the usual spreadsheet markers (NA, N/A,
// null, None, NaN, ?, -, #N/A), case-insensitive. "unknown" is NOT missing:
// in outcome tables it is a real, often informative category.
//
// Numbers: optional sign, decimal point, exponent; a single decimal comma
// ("1,5") is accepted as well, since ';'-separated files from Europe use it.
//
// Ownership: a Table owns its cells; string_views returned by text() stay
// valid while the Table lives (moving the Table keeps them valid). Copying is
// disabled (tables can be large). Thread-safety: const methods may be called
// from several threads; appending needs exclusive access.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "leads/csv.h"

namespace telemark::scoring {

enum class CellKind : uint8_t { kMissing, kNumber, kText };

// Trims ASCII spaces and tabs.
std::string_view trim(std::string_view s);
// True for the missing-value markers listed above (after trimming).
bool is_missing_token(std::string_view s);
// A number as written in CSV files (see above), or nullopt. inf/nan are not numbers.
std::optional<double> parse_number(std::string_view s);

class Column {
 public:
  explicit Column(std::string name);
  Column(Column&&) noexcept = default;
  Column& operator=(Column&&) noexcept = default;
  Column(const Column&) = delete;
  Column& operator=(const Column&) = delete;

  const std::string& name() const { return name_; }
  size_t size() const { return codes_.size(); }
  uint32_t code(size_t row) const { return codes_[row]; }
  const std::vector<uint32_t>& codes() const { return codes_; }

  // The dictionary: distinct trimmed cell texts, in order of first appearance.
  size_t distinct() const { return kinds_.size(); }
  std::string_view text(uint32_t code) const { return dict_[code]; }
  CellKind kind(uint32_t code) const { return kinds_[code]; }
  double number(uint32_t code) const { return numbers_[code]; }  // NaN unless kNumber

  // Appends one cell (trimmed before lookup).
  void append(std::string_view cell);
  // Rows per dictionary code.
  std::vector<uint64_t> code_counts() const;

 private:
  std::string name_;
  std::vector<uint32_t> codes_;
  std::deque<std::string> dict_;  // deque: element addresses are stable, index_ keys view them
  std::vector<CellKind> kinds_;
  std::vector<double> numbers_;
  std::unordered_map<std::string_view, uint32_t> index_;
};

class Table {
 public:
  Table() = default;
  // Column names must be distinct (see make_table for checked construction).
  explicit Table(const std::vector<std::string>& column_names);
  Table(Table&&) noexcept = default;
  Table& operator=(Table&&) noexcept = default;

  size_t rows() const { return rows_; }
  size_t columns() const { return columns_.size(); }
  const Column& column(size_t i) const { return columns_[i]; }
  std::optional<size_t> find(std::string_view name) const;
  std::vector<std::string> column_names() const;

  // One cell per column (asserted). `line` is the source line for messages
  // (0 when the row has none).
  void append_row(std::span<const std::string_view> cells, uint64_t line = 0);
  void append_row(std::span<const std::string> cells, uint64_t line = 0);
  uint64_t line(size_t row) const { return row < lines_.size() ? lines_[row] : 0; }

  // Where the rows came from ("leads.csv"), for messages.
  const std::string& source() const { return source_; }
  void set_source(std::string source) { source_ = std::move(source); }

 private:
  std::vector<Column> columns_;
  std::vector<uint64_t> lines_;
  size_t rows_ = 0;
  std::string source_;
};

// A table with these columns, or "bad_header" when a name repeats.
Result<Table> make_table(const std::vector<std::string>& column_names, const std::string& source);

struct TableReadOptions {
  leads::CsvOptions csv;
};

// Reads a CSV file with a header line in chunks of rows, keeping each row's
// text for writers that copy input rows to their output (score apply).
//
// Row shape policy: a row with fewer fields than the header gets empty cells
// for the missing ones; a row with more fields is accepted when the extra
// fields are empty (a trailing delimiter) and is an error naming the line
// otherwise. Header names are trimmed; an empty name becomes "column_N"; a
// repeated name is an error naming both positions.
class TableChunkReader {
 public:
  static Result<std::unique_ptr<TableChunkReader>> open(const std::string& path, const TableReadOptions& options);
  static Result<std::unique_ptr<TableChunkReader>> open(std::unique_ptr<leads::CsvReader> reader);

  const std::vector<std::string>& header() const { return header_; }
  char delimiter() const { return reader_->delimiter(); }
  const std::string& name() const { return reader_->name(); }

  // A row as it should be written out: the record's own text when it has
  // exactly the header's fields, else re-serialized to the header's width.
  struct RawRows {
    std::string text;              // rows back to back
    std::vector<size_t> offsets;   // row i is text[offsets[i], offsets[i+1])
    void clear() { text.clear(); offsets.assign(1, 0); }
    size_t size() const { return offsets.empty() ? 0 : offsets.size() - 1; }
    std::string_view row(size_t i) const { return std::string_view(text).substr(offsets[i], offsets[i + 1] - offsets[i]); }
  };

  // Replaces `out` with up to `max_rows` next rows (a new Table named after
  // the file); fills `raw` when given. Returns the number of rows read (0 at
  // the end).
  Result<size_t> next_chunk(Table& out, size_t max_rows, RawRows* raw);

  // The header's text as in the file (for writers).
  const std::string& raw_header() const { return raw_header_; }

 private:
  explicit TableChunkReader(std::unique_ptr<leads::CsvReader> reader) : reader_(std::move(reader)) {}
  Status read_header();

  std::unique_ptr<leads::CsvReader> reader_;
  std::vector<std::string> header_;
  std::string raw_header_;
  leads::CsvRecord record_;
  std::vector<std::string_view> cells_;
};

// Reads a whole CSV file: errors for an empty file, a header without rows,
// and the reader's own errors (each naming the file and line).
Result<Table> read_table(const std::string& path, const TableReadOptions& options);
Result<Table> read_table(std::unique_ptr<leads::CsvReader> reader);

using leads::append_csv_field;  // quoting for the CSV files scoring writes

}  // namespace telemark::scoring
