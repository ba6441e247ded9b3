#include "scoring/table.h"

#include <fmt/format.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>

namespace telemark::scoring {

std::string_view trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return s.substr(b, e - b);
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<double> parse_plain(std::string_view s) {
  if (s.empty()) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  if (s.empty() || s[0] == '+') return std::nullopt;
  // from_chars would accept "inf", "nan" and "infinity": those are not data.
  char c0 = s[0] == '-' && s.size() > 1 ? s[1] : s[0];
  if (!((c0 >= '0' && c0 <= '9') || c0 == '.')) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

bool is_missing_token(std::string_view s) {
  s = trim(s);
  if (s.empty()) return true;
  if (s.size() > 4) return false;
  static constexpr std::string_view kTokens[] = {"na", "n/a", "nan", "null", "none", "?", "-", "--", "#n/a", "nil", "."};
  for (auto t : kTokens)
    if (iequals(s, t)) return true;
  return false;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (auto v = parse_plain(s)) return v;
  // One decimal comma and no point: "1,5" from a European spreadsheet.
  size_t comma = s.find(',');
  if (comma == std::string_view::npos || s.find(',', comma + 1) != std::string_view::npos ||
      s.find('.') != std::string_view::npos || s.size() > 64)
    return std::nullopt;
  char buf[64];
  std::copy(s.begin(), s.end(), buf);
  buf[comma] = '.';
  return parse_plain(std::string_view(buf, s.size()));
}

Column::Column(std::string name) : name_(std::move(name)) {}

void Column::append(std::string_view cell) {
  cell = trim(cell);
  auto it = index_.find(cell);
  if (it != index_.end()) {
    codes_.push_back(it->second);
    return;
  }
  uint32_t code = static_cast<uint32_t>(kinds_.size());
  dict_.emplace_back(cell);
  CellKind kind = CellKind::kText;
  double number = std::numeric_limits<double>::quiet_NaN();
  if (is_missing_token(cell)) {
    kind = CellKind::kMissing;
  } else if (auto v = parse_number(cell)) {
    kind = CellKind::kNumber;
    number = *v;
  }
  kinds_.push_back(kind);
  numbers_.push_back(number);
  index_.emplace(std::string_view(dict_.back()), code);
  codes_.push_back(code);
}

std::vector<uint64_t> Column::code_counts() const {
  std::vector<uint64_t> counts(kinds_.size(), 0);
  for (uint32_t c : codes_) ++counts[c];
  return counts;
}

Table::Table(const std::vector<std::string>& column_names) {
  columns_.reserve(column_names.size());
  for (const auto& n : column_names) columns_.emplace_back(n);
}

std::optional<size_t> Table::find(std::string_view name) const {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].name() == name) return i;
  return std::nullopt;
}

std::vector<std::string> Table::column_names() const {
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c.name());
  return names;
}

void Table::append_row(std::span<const std::string_view> cells, uint64_t line) {
  assert(cells.size() == columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) columns_[i].append(cells[i]);
  lines_.push_back(line);
  ++rows_;
}

void Table::append_row(std::span<const std::string> cells, uint64_t line) {
  assert(cells.size() == columns_.size());
  for (size_t i = 0; i < columns_.size(); ++i) columns_[i].append(cells[i]);
  lines_.push_back(line);
  ++rows_;
}

Result<Table> make_table(const std::vector<std::string>& column_names, const std::string& source) {
  for (size_t i = 0; i < column_names.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (column_names[i] == column_names[j])
        return make_error("bad_header", fmt::format("{}: column '{}' appears twice in the header (columns {} and {})",
                                                    source, column_names[i], j + 1, i + 1));
  Table t(column_names);
  t.set_source(source);
  return t;
}

Result<std::unique_ptr<TableChunkReader>> TableChunkReader::open(const std::string& path,
                                                                  const TableReadOptions& options) {
  auto reader = leads::CsvReader::open(path, options.csv);
  if (!reader.ok()) return reader.error();
  return open(std::move(*reader));
}

Result<std::unique_ptr<TableChunkReader>> TableChunkReader::open(std::unique_ptr<leads::CsvReader> reader) {
  std::unique_ptr<TableChunkReader> r(new TableChunkReader(std::move(reader)));
  Status st = r->read_header();
  if (!st.ok()) return st.error();
  return r;
}

Status TableChunkReader::read_header() {
  auto got = reader_->next(record_);
  if (!got.ok()) return got.error();
  if (!*got) return make_error("empty_file", fmt::format("{}: the file is empty (expected a header line)", reader_->name()));
  raw_header_ = std::string(record_.raw);
  for (size_t i = 0; i < record_.fields.size(); ++i) {
    std::string name(trim(record_.fields[i]));
    if (name.empty()) name = fmt::format("column_{}", i + 1);
    header_.push_back(std::move(name));
  }
  // A header ending in a delimiter has an empty last name: drop it, rows get
  // the same treatment by the shape policy.
  while (header_.size() > 1 && trim(record_.fields[header_.size() - 1]).empty()) {
    header_.pop_back();
    raw_header_.clear();  // re-serialized below
  }
  if (raw_header_.empty()) {
    for (size_t i = 0; i < header_.size(); ++i) {
      if (i) raw_header_.push_back(reader_->delimiter());
      append_csv_field(raw_header_, header_[i], reader_->delimiter());
    }
  }
  for (size_t i = 0; i < header_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (header_[i] == header_[j])
        return make_error("bad_header", fmt::format("{}: column '{}' appears twice in the header (columns {} and {})",
                                                    reader_->name(), header_[i], j + 1, i + 1));
  return Status::Ok();
}

Result<size_t> TableChunkReader::next_chunk(Table& out, size_t max_rows, RawRows* raw) {
  out = Table(header_);
  out.set_source(reader_->name());
  if (raw) raw->clear();
  const size_t width = header_.size();
  const char delim = reader_->delimiter();
  size_t n = 0;
  while (n < max_rows) {
    auto got = reader_->next(record_);
    if (!got.ok()) return got.error();
    if (!*got) break;
    const auto& f = record_.fields;
    bool exact = f.size() == width;
    if (f.size() > width) {
      for (size_t i = width; i < f.size(); ++i)
        if (!trim(f[i]).empty())
          return make_error("bad_row", fmt::format("{}: line {}: {} fields, but the header has {} columns",
                                                   reader_->name(), record_.line, f.size(), width));
    }
    cells_.assign(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(std::min(f.size(), width)));
    cells_.resize(width, std::string_view());
    out.append_row(std::span<const std::string_view>(cells_), record_.line);
    if (raw) {
      if (exact) {
        raw->text.append(record_.raw);
      } else {
        for (size_t i = 0; i < width; ++i) {
          if (i) raw->text.push_back(delim);
          append_csv_field(raw->text, cells_[i], delim);
        }
      }
      raw->offsets.push_back(raw->text.size());
    }
    ++n;
  }
  return n;
}

namespace {

Result<Table> read_all(TableChunkReader& reader) {
  Table table;
  auto n = reader.next_chunk(table, std::numeric_limits<size_t>::max(), nullptr);
  if (!n.ok()) return n.error();
  if (*n == 0)
    return make_error("no_rows", fmt::format("{}: the file has a header but no data rows", reader.name()));
  return table;
}

}  // namespace

Result<Table> read_table(const std::string& path, const TableReadOptions& options) {
  auto reader = TableChunkReader::open(path, options);
  if (!reader.ok()) return reader.error();
  return read_all(**reader);
}

Result<Table> read_table(std::unique_ptr<leads::CsvReader> csv) {
  auto reader = TableChunkReader::open(std::move(csv));
  if (!reader.ok()) return reader.error();
  return read_all(**reader);
}

}  // namespace telemark::scoring
