#include "registry/loader.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "registry/sha256.h"

namespace telemark::registry {
namespace {

constexpr uint64_t kNanpBase = 10000000000ull;  // 1 followed by ten zeros

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}
// Field trimming for delimited formats: spaces and surrounding quotes.
std::string_view trim_field(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && ((s.front() == '"' && s.back() == '"') || (s.front() == '\'' && s.back() == '\'')))
    s = trim(s.substr(1, s.size() - 2));
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_digit(c)) return false;
  return true;
}
uint64_t digits_value(std::string_view s) {  // s all digits, at most 19 of them
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

// NANP structure: area code and exchange start with 2-9.
bool nanp10_ok(std::string_view d) { return d.size() == 10 && d[0] >= '2' && d[3] >= '2'; }

std::optional<ChangeOp> parse_flag(std::string_view s) {
  static constexpr std::array<std::string_view, 10> kAdd = {
      "a", "add", "added", "addition", "i", "ins", "insert", "n", "new", "+"};
  static constexpr std::array<std::string_view, 11> kDelete = {
      "d", "del", "delete", "deleted", "deletion", "r", "rem", "remove", "removed", "x", "-"};
  if (s.empty() || s.size() > 8) return std::nullopt;
  for (auto w : kAdd)
    if (iequals(s, w)) return ChangeOp::kAdd;
  for (auto w : kDelete)
    if (iequals(s, w)) return ChangeOp::kDelete;
  return std::nullopt;
}

// "2024-05-01", "2024/05/01 12:00", "05/01/2024", "20240501", "12:00:00".
bool looks_like_date(std::string_view s) {
  auto run = [&](size_t& i) {
    size_t n = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++n;
    return n;
  };
  if (s.size() == 8 && all_digits(s) && (s.substr(0, 2) == "19" || s.substr(0, 2) == "20")) {
    const uint64_t m = digits_value(s.substr(4, 2)), d = digits_value(s.substr(6, 2));
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
  }
  size_t i = 0;
  const size_t a = run(i);
  if (i < s.size() && s[i] == ':' && a >= 1 && a <= 2) return true;  // a time
  if (i >= s.size() || (s[i] != '-' && s[i] != '/' && s[i] != '.')) return false;
  const char sep = s[i++];
  const size_t b = run(i);
  if (i >= s.size() || s[i] != sep) return false;
  ++i;
  const size_t c = run(i);
  const bool ymd = a == 4 && b >= 1 && b <= 2 && c >= 1 && c <= 2;
  const bool mdy = a >= 1 && a <= 2 && b >= 1 && b <= 2 && (c == 2 || c == 4);
  if (!ymd && !mdy) return false;
  return i == s.size() || s[i] == ' ' || s[i] == 'T';
}

struct NumberReader {
  bool nanp = false;
  NormalizeFn normalize;

  std::optional<uint64_t> read(std::string_view f) const {
    f = trim(f);
    // Fast path: clean NANP national numbers and "+1" numbers, which is what
    // the federal registry files and most lists hold. Everything else goes
    // to the normalizer (libphonenumber in production).
    if (nanp && all_digits(f)) {
      if (nanp10_ok(f)) return kNanpBase + digits_value(f);
      if (f.size() == 11 && f[0] == '1' && nanp10_ok(f.substr(1))) return digits_value(f);
    }
    if (f.size() == 12 && f[0] == '+' && f[1] == '1' && all_digits(f.substr(1)) && nanp10_ok(f.substr(2)))
      return digits_value(f.substr(1));
    if (!normalize) return std::nullopt;
    return normalize(f);
  }
};

NumberReader make_reader(const ParseOptions& o) {
  NumberReader r;
  r.nanp = is_nanp_region(o.region);
  r.normalize = o.normalize ? o.normalize : basic_normalizer(o.region);
  return r;
}

// Walks the lines of a text: strips a UTF-8 byte order mark, accepts LF,
// CRLF and lone CR line ends.
class LineWalker {
 public:
  explicit LineWalker(std::string_view text) : t_(text) {
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }
  bool next(std::string_view& line, uint64_t& number) {
    if (pos_ >= t_.size()) return false;
    size_t i = pos_;
    const char* p = t_.data();
    // memchr for '\n' is the hot loop on 100 M-line files. The next newline
    // is remembered so a file of lone-CR line ends stays linear.
    if (next_nl_ < i || next_nl_ == kUnknown) {
      const void* f = std::memchr(p + i, '\n', t_.size() - i);
      next_nl_ = f ? static_cast<size_t>(static_cast<const char*>(f) - p) : t_.size();
    }
    const bool nl = next_nl_ < t_.size();
    size_t end = next_nl_;
    // A lone CR ends a line too (old Mac files): only look if there is one.
    const void* cr = std::memchr(p + i, '\r', end - i);
    if (cr != nullptr) {
      const size_t c = static_cast<size_t>(static_cast<const char*>(cr) - p);
      if (c + 1 < end || (c + 1 == end && !nl)) {
        line = t_.substr(i, c - i);
        pos_ = c + 1;
        number = ++line_;
        return true;
      }
      end = c;  // CRLF
      line = t_.substr(i, end - i);
      pos_ = c + 2;
      number = ++line_;
      return true;
    }
    line = t_.substr(i, end - i);
    pos_ = end + 1;
    number = ++line_;
    return true;
  }

 private:
  static constexpr size_t kUnknown = SIZE_MAX;
  std::string_view t_;
  size_t pos_ = 0;
  size_t next_nl_ = kUnknown;
  uint64_t line_ = 0;
};

class BadLineLog {
 public:
  BadLineLog(ParseReport& r, std::string_view file, size_t keep, SourceFile& src)
      : r_(r), file_(file), keep_(keep), src_(src) {}
  void bad(uint64_t line, std::string reason, std::string_view text) {
    ++r_.bad_lines;
    ++r_.data_lines;
    ++src_.bad_lines;
    ++src_.lines;
    if (r_.first_bad.size() < keep_) {
      BadLine b;
      b.file = std::string(file_);
      b.line = line;
      b.reason = std::move(reason);
      text = trim(text);
      b.text = std::string(text.substr(0, 80));
      r_.first_bad.push_back(std::move(b));
    }
  }
  void good() {
    ++r_.data_lines;
    ++src_.lines;
    ++src_.numbers;
  }

 private:
  ParseReport& r_;
  std::string_view file_;
  size_t keep_;
  SourceFile& src_;
};

bool is_skippable(std::string_view t) { return t.empty() || t.front() == '#'; }

// --- delimited (ftc and change) lines

constexpr std::string_view kDelims = ",;|\t";

size_t split_fields(std::string_view line, std::array<std::string_view, 16>& out) {
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || kDelims.find(line[i]) != std::string_view::npos) {
      if (n == out.size()) return n + 1;  // too many fields
      out[n++] = trim_field(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return n;
}

struct DelimitedLine {
  std::optional<uint64_t> number;
  std::optional<ChangeOp> op;
  const char* reason = nullptr;  // set when the line is bad
  bool header_like = false;      // no digits at all, some letters
};

DelimitedLine read_delimited(std::string_view line, const NumberReader& reader) {
  DelimitedLine r;
  std::array<std::string_view, 16> f;
  const size_t n = split_fields(line, f);
  if (n > f.size()) {
    r.reason = "too many fields";
    return r;
  }
  bool any_digit = false, any_alpha = false;
  for (char c : line) {
    any_digit |= is_digit(c);
    any_alpha |= is_alpha(c);
  }
  r.header_like = !any_digit && any_alpha;
  std::array<size_t, 16> cand;
  size_t nc = 0;
  for (size_t i = 0; i < n; ++i) {
    if (f[i].empty()) continue;
    if (auto op = parse_flag(f[i])) {
      if (r.op && *r.op != *op) {
        r.reason = "both an add and a delete flag";
        return r;
      }
      r.op = op;
      continue;
    }
    if (looks_like_date(f[i])) continue;
    cand[nc++] = i;
  }
  // "212,5550123": area code and local number in adjacent columns.
  for (size_t k = 0; k + 1 < nc; ++k) {
    const auto a = f[cand[k]], b = f[cand[k + 1]];
    if (cand[k + 1] == cand[k] + 1 && a.size() == 3 && b.size() == 7 && all_digits(a) && all_digits(b) &&
        reader.nanp) {
      const uint64_t others = nc - 2;
      if (others > 0) {
        // Extra fields are tolerated only if they hold no digits (labels).
        for (size_t j = 0; j < nc; ++j) {
          if (j == k || j == k + 1) continue;
          for (char c : f[cand[j]])
            if (is_digit(c)) {
              r.reason = "more than one number-like field";
              return r;
            }
        }
      }
      const std::string ten = std::string(a) + std::string(b);
      if (!nanp10_ok(ten)) {
        r.reason = "not a valid NANP number";
        return r;
      }
      r.number = kNanpBase + digits_value(ten);
      return r;
    }
  }
  // Otherwise exactly one field with digits is the number; text-only fields
  // (a source label, a state name) are ignored.
  size_t pick = SIZE_MAX;
  for (size_t k = 0; k < nc; ++k) {
    bool has_digit = false;
    for (char c : f[cand[k]]) has_digit |= is_digit(c);
    if (!has_digit) continue;
    if (pick != SIZE_MAX) {
      r.reason = "more than one number-like field";
      return r;
    }
    pick = cand[k];
  }
  if (pick == SIZE_MAX) {
    r.reason = "no phone number";
    return r;
  }
  r.number = reader.read(f[pick]);
  if (!r.number) r.reason = "not a phone number";
  return r;
}

bool ftc_shaped(std::string_view line) {
  std::array<std::string_view, 16> f;
  const size_t n = split_fields(line, f);
  if (n > f.size()) return false;
  bool number = false;
  for (size_t i = 0; i < n; ++i) {
    const auto s = f[i];
    if (s.empty() || parse_flag(s) || looks_like_date(s)) continue;
    if (!all_digits(s)) return false;
    if (s.size() == 10 || s.size() == 11 || s.size() == 3 || s.size() == 7)
      number = true;
    else
      return false;
  }
  return number;
}

// --- CSV records

// Splits the next record starting at `pos` (quotes may span lines).
// Returns false at the end. `first_line` is the record's physical line.
bool next_csv_record(std::string_view t, size_t& pos, uint64_t& line, char delim,
                     std::vector<std::string>& fields, uint64_t& first_line, bool& unterminated,
                     std::string_view& raw) {
  if (pos >= t.size()) return false;
  fields.clear();
  unterminated = false;
  first_line = ++line;
  const size_t start = pos;
  std::string cur;
  bool in_quotes = false, quoted = false;
  size_t i = pos;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < t.size() && t[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        cur.push_back(c);
      }
      continue;
    }
    if (c == '"' && trim(cur).empty() && !quoted) {
      in_quotes = quoted = true;
      cur.clear();
      continue;
    }
    if (c == delim) {
      fields.push_back(quoted ? cur : std::string(trim(cur)));
      cur.clear();
      quoted = false;
      continue;
    }
    if (c == '\n' || c == '\r') break;
    cur.push_back(c);
  }
  unterminated = in_quotes;
  fields.push_back(quoted ? cur : std::string(trim(cur)));
  raw = t.substr(start, i - start);
  if (i < t.size() && t[i] == '\r' && i + 1 < t.size() && t[i + 1] == '\n') ++i;
  pos = i + 1;
  return true;
}

char detect_delimiter(std::string_view header_line) {
  std::array<std::pair<char, int>, 4> counts = {{{'\t', 0}, {';', 0}, {'|', 0}, {',', 0}}};
  bool q = false;
  for (char c : header_line) {
    if (c == '"') q = !q;
    if (q) continue;
    for (auto& [d, n] : counts)
      if (c == d) ++n;
  }
  char best = ',';
  int best_n = 0;
  for (auto [d, n] : counts)
    if (n > best_n) best = d, best_n = n;
  return best;
}

std::optional<size_t> find_column(const std::vector<std::string>& header, std::string_view want) {
  if (want.size() >= 2 && want[0] == '#' && all_digits(want.substr(1))) {
    const uint64_t k = digits_value(want.substr(1));
    if (k >= 1 && k <= header.size()) return k - 1;
    return std::nullopt;
  }
  for (size_t i = 0; i < header.size(); ++i)
    if (iequals(trim(header[i]), trim(want))) return i;
  return std::nullopt;
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

template <class OnRow>
Status parse_csv(std::string_view text, std::string_view source_name, const ParseOptions& o,
                 bool changes, ParseReport& report, SourceFile& src, OnRow on_row) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t pos = 0;
  uint64_t line = 0, rec_line = 0;
  std::vector<std::string> fields;
  bool unterminated = false;
  std::string_view raw;
  // Header: the first non-blank line.
  std::string_view first = text;
  {
    size_t p = 0;
    while (p < text.size() && (text[p] == '\n' || text[p] == '\r')) ++p;
    first = text.substr(p, text.find_first_of("\r\n", p) - p);
  }
  const char delim = detect_delimiter(first);
  std::vector<std::string> header;
  while (next_csv_record(text, pos, line, delim, fields, rec_line, unterminated, raw)) {
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;
    header = fields;
    break;
  }
  if (header.empty()) return Status::Ok();  // empty file
  const auto col = find_column(header, o.column);
  if (!col)
    return make_error("bad_header", std::string(source_name) + ":" + std::to_string(rec_line) +
                                        ": no column \"" + o.column + "\" in the header (columns: " +
                                        joined(header) + ")");
  std::optional<size_t> flag_col;
  if (changes) {
    if (!o.flag_column.empty()) {
      flag_col = find_column(header, o.flag_column);
      if (!flag_col)
        return make_error("bad_header", std::string(source_name) + ":" + std::to_string(rec_line) +
                                            ": no column \"" + o.flag_column +
                                            "\" in the header (columns: " + joined(header) + ")");
    } else {
      for (std::string_view name : {"action", "change", "change_type", "type", "flag", "op", "operation"})
        if ((flag_col = find_column(header, name))) break;
      if (!flag_col)
        return make_error("bad_header",
                          std::string(source_name) + ":" + std::to_string(rec_line) +
                              ": no add/delete column in the header (name it action, change, type, "
                              "flag or op, or give the flag column; columns: " + joined(header) + ")");
    }
  }
  const NumberReader reader = make_reader(o);
  BadLineLog log(report, source_name, o.max_bad_lines_kept, src);
  while (next_csv_record(text, pos, line, delim, fields, rec_line, unterminated, raw)) {
    if (fields.size() == 1 && trim(fields[0]).empty()) continue;
    if (unterminated) {
      log.bad(rec_line, "unterminated quoted field", raw);
      continue;
    }
    if (*col >= fields.size() || (flag_col && *flag_col >= fields.size())) {
      log.bad(rec_line, "missing column", raw);
      continue;
    }
    const std::string_view value = trim(fields[*col]);
    if (value.empty()) {
      log.bad(rec_line, "empty phone number", raw);
      continue;
    }
    const auto number = reader.read(value);
    if (!number) {
      log.bad(rec_line, "not a phone number", raw);
      continue;
    }
    std::optional<ChangeOp> op;
    if (flag_col) {
      op = parse_flag(trim(fields[*flag_col]));
      if (!op) {
        log.bad(rec_line, "no add/delete flag", raw);
        continue;
      }
    }
    log.good();
    on_row(*number, op.value_or(ChangeOp::kAdd));
  }
  return Status::Ok();
}

// Lines and ftc (full) files, and every non-CSV change file.
template <class OnRow>
void parse_plain(std::string_view text, std::string_view source_name, const ParseOptions& o,
                 Format format, bool changes, ParseReport& report, SourceFile& src, OnRow on_row) {
  const NumberReader reader = make_reader(o);
  BadLineLog log(report, source_name, o.max_bad_lines_kept, src);
  LineWalker walker(text);
  std::string_view line;
  uint64_t no = 0;
  bool first = true;
  while (walker.next(line, no)) {
    const std::string_view t = trim(line);
    if (is_skippable(t)) continue;
    const bool was_first = first;
    first = false;
    // The federal files are almost all bare 10-digit numbers: skip the
    // field splitting for them.
    if (!changes && reader.nanp && nanp10_ok(t) && all_digits(t)) {
      log.good();
      on_row(kNanpBase + digits_value(t), ChangeOp::kAdd);
      continue;
    }
    if (format == Format::kLines && !changes) {
      const auto number = reader.read(t);
      if (!number && was_first && read_delimited(t, reader).header_like) continue;  // a header
      if (number) {
        log.good();
        on_row(*number, ChangeOp::kAdd);
      } else {
        log.bad(no, "not a phone number", t);
      }
      continue;
    }
    const DelimitedLine d = read_delimited(t, reader);
    if (!d.number && was_first && d.header_like) continue;  // a header line
    if (!d.number) {
      log.bad(no, d.reason ? d.reason : "not a phone number", t);
      continue;
    }
    if (changes && !d.op) {
      log.bad(no, "no add/delete flag", t);
      continue;
    }
    if (!changes && d.op == ChangeOp::kDelete) {
      log.bad(no, "a delete flag in a full registry file (use registry update for change lists)", t);
      continue;
    }
    log.good();
    on_row(*d.number, d.op.value_or(ChangeOp::kAdd));
  }
}

template <class OnRow>
Status parse_any(std::string_view text, std::string_view source_name, const ParseOptions& o,
                 bool changes, ParseReport& report, OnRow on_row) {
  Format f = o.format == Format::kAuto ? detect_format(text, o) : o.format;
  if (f == Format::kCsv && o.column.empty())
    return make_error("invalid_argument",
                      std::string(source_name) + ": the csv format needs a column name (--column)");
  // Change files without CSV are read by the tolerant delimited reader.
  if (changes && f == Format::kLines) f = Format::kFtc;
  report.sources.emplace_back();
  SourceFile& src = report.sources.back();
  src.name = std::string(source_name);
  src.bytes = text.size();
  src.format = std::string(to_string(f));
  if (f == Format::kCsv) return parse_csv(text, source_name, o, changes, report, src, on_row);
  parse_plain(text, source_name, o, f, changes, report, src, on_row);
  return Status::Ok();
}

// A read-only view of a whole file (mapped; empty files have no mapping).
class MappedFile {
 public:
  ~MappedFile() {
    if (p_ != nullptr) ::munmap(p_, size_);
  }
  Status open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("io_error", path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return make_error("io_error", path + ": not a readable regular file");
    }
    size_ = static_cast<size_t>(st.st_size);
    if (size_ > 0) {
      void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      if (m == MAP_FAILED) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return make_error("io_error", path + ": mmap failed: " + why);
      }
      p_ = m;
      ::madvise(p_, size_, MADV_SEQUENTIAL);
    }
    ::close(fd);
    return Status::Ok();
  }
  std::string_view text() const { return {static_cast<const char*>(p_), size_}; }

 private:
  void* p_ = nullptr;
  size_t size_ = 0;
};

}  // namespace

std::string_view to_string(Format f) {
  switch (f) {
    case Format::kAuto: return "auto";
    case Format::kLines: return "lines";
    case Format::kFtc: return "ftc";
    case Format::kCsv: return "csv";
  }
  return "auto";
}

Result<Format> parse_format(std::string_view s) {
  for (Format f : {Format::kAuto, Format::kLines, Format::kFtc, Format::kCsv})
    if (iequals(s, to_string(f))) return f;
  return make_error("invalid_argument",
                    "unknown registry file format \"" + std::string(s) + "\" (auto, lines, ftc, csv)");
}

bool is_nanp_region(std::string_view region) {
  static constexpr std::array<std::string_view, 25> kNanp = {
      "us", "ca", "ag", "ai", "as", "bb", "bm", "bs", "dm", "do", "gd", "gu", "jm",
      "kn", "ky", "lc", "mp", "ms", "pr", "sx", "tc", "tt", "vc", "vg", "vi"};
  for (auto r : kNanp)
    if (iequals(region, r)) return true;
  return false;
}

NormalizeFn basic_normalizer(std::string_view default_region) {
  const bool nanp = is_nanp_region(default_region);
  const bool gb = iequals(default_region, "gb") || iequals(default_region, "uk");
  const bool it = iequals(default_region, "it");
  return [nanp, gb, it](std::string_view raw) -> std::optional<uint64_t> {
    raw = trim(raw);
    std::string d;
    bool plus = false;
    for (size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      if (is_digit(c)) {
        if (d.size() >= 20) return std::nullopt;
        d.push_back(c);
      } else if (c == '+' && d.empty() && !plus) {
        plus = true;
      } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')' && c != '/') {
        return std::nullopt;
      }
    }
    if (d.empty()) return std::nullopt;
    if (!plus && nanp && d.size() > 11 && d.compare(0, 3, "011") == 0) {
      plus = true;
      d.erase(0, 3);
    } else if (!plus && !nanp && d.size() > 8 && d.compare(0, 2, "00") == 0) {
      plus = true;
      d.erase(0, 2);
    }
    if (plus) {
      if (d[0] == '0') return std::nullopt;
      if (d[0] == '1') {
        if (d.size() != 11 || !nanp10_ok(std::string_view(d).substr(1))) return std::nullopt;
        return digits_value(d);
      }
      if (d.size() < 8 || d.size() > 15) return std::nullopt;
      return digits_value(d);
    }
    if (nanp) {
      if (nanp10_ok(d)) return kNanpBase + digits_value(d);
      if (d.size() == 11 && d[0] == '1' && nanp10_ok(std::string_view(d).substr(1)))
        return digits_value(d);
      return std::nullopt;
    }
    if (gb && d[0] == '0' && (d.size() == 10 || d.size() == 11))
      return digits_value("44" + d.substr(1));
    if (it && (d[0] == '0' || d[0] == '3') && d.size() >= 6 && d.size() <= 11)
      return digits_value("39" + d);
    return std::nullopt;
  };
}

std::string ParseReport::summary() const {
  std::string s = std::to_string(bad_lines) + " bad line" + (bad_lines == 1 ? "" : "s") + " of " +
                  std::to_string(data_lines);
  if (data_lines > 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%.2f%%)", 100.0 * static_cast<double>(bad_lines) /
                                                    static_cast<double>(data_lines));
    s += pct;
  }
  for (size_t i = 0; i < first_bad.size() && i < 5; ++i) {
    const auto& b = first_bad[i];
    s += (i == 0 ? "; first: " : "; ") + b.file + ":" + std::to_string(b.line) + ": " + b.reason +
         ": \"" + b.text + "\"";
  }
  return s;
}

Status ParseReport::check_threshold(double max_bad_share) const {
  if (bad_lines == 0) return Status::Ok();
  // In parts per million, integer: "exactly at the limit passes" must not
  // depend on how 0.01 rounds in binary.
  const auto limit_ppm = static_cast<uint64_t>(std::llround(std::clamp(max_bad_share, 0.0, 1.0) * 1e6));
  if (bad_lines * 1000000ull <= limit_ppm * data_lines) return Status::Ok();
  char pct[64];
  std::snprintf(pct, sizeof pct, "%g%%", max_bad_share * 100.0);
  return make_error("too_many_bad_lines", "too many bad lines, nothing loaded: " + summary() +
                                              " (the limit is " + pct + ")");
}

Format detect_format(std::string_view text, const ParseOptions& o) {
  if (!o.column.empty()) return Format::kCsv;
  if (!is_nanp_region(o.region)) return Format::kLines;
  LineWalker walker(text);
  std::string_view line;
  uint64_t no = 0;
  int sampled = 0;
  bool first = true;
  while (sampled < 32 && walker.next(line, no)) {
    const auto t = trim(line);
    if (is_skippable(t)) continue;
    const bool was_first = first;
    first = false;
    if (ftc_shaped(t)) {
      ++sampled;
      continue;
    }
    bool digit = false;
    for (char c : t) digit |= is_digit(c);
    if (was_first && !digit) continue;  // a header
    return Format::kLines;
  }
  return sampled > 0 ? Format::kFtc : Format::kLines;
}

Status parse_numbers(std::string_view text, std::string_view source_name, const ParseOptions& o,
                     std::vector<uint64_t>& out, ParseReport& report) {
  return parse_any(text, source_name, o, false, report,
                   [&](uint64_t n, ChangeOp) { out.push_back(n); });
}

Status parse_changes(std::string_view text, std::string_view source_name, const ParseOptions& o,
                     std::vector<Change>& out, ParseReport& report) {
  return parse_any(text, source_name, o, true, report,
                   [&](uint64_t n, ChangeOp op) { out.push_back(Change{n, op}); });
}

namespace {
template <class Out>
Status read_files(const std::vector<std::string>& paths, const ParseOptions& o, bool changes,
                  Out& out, ParseReport& report) {
  for (const auto& path : paths) {
    MappedFile f;
    Status st = f.open(path);
    if (!st.ok()) return st;
    const auto text = f.text();
    if constexpr (std::is_same_v<Out, std::vector<uint64_t>>) {
      out.reserve(out.size() + text.size() / 11 + 16);  // a 10-digit number and a newline
      st = parse_numbers(text, path, o, out, report);
    } else {
      st = parse_changes(text, path, o, out, report);
    }
    if (!st.ok()) return st;
    const auto digest = sha256(text);
    report.sources.back().sha256 = to_hex(digest.data(), digest.size());
  }
  return report.check_threshold(o.max_bad_share);
}
}  // namespace

Result<LoadedNumbers> read_number_files(const std::vector<std::string>& paths, const ParseOptions& o) {
  LoadedNumbers r;
  Status st = read_files(paths, o, false, r.numbers, r.report);
  if (!st.ok()) return st.error();
  return r;
}

Result<LoadedChanges> read_change_files(const std::vector<std::string>& paths, const ParseOptions& o) {
  LoadedChanges r;
  Status st = read_files(paths, o, true, r.changes, r.report);
  if (!st.ok()) return st.error();
  return r;
}

Result<BuildResult> apply_changes(const RegistrySnapshot& parent, const std::vector<Change>& changes,
                                  const std::string& path, Provenance provenance,
                                  ChangeStats* stats_out) {
  ChangeStats stats;
  std::unordered_map<uint64_t, bool> after;  // number -> present after the changes
  after.reserve(changes.size());
  for (const Change& c : changes) {
    auto it = after.find(c.number);
    const bool present = it != after.end() ? it->second : parent.contains(c.number);
    if (c.op == ChangeOp::kAdd) {
      if (present) ++stats.redundant_adds;
      after[c.number] = true;
    } else {
      if (!present) ++stats.missing_deletes;
      after[c.number] = false;
    }
  }
  std::vector<uint64_t> adds, dels;
  for (const auto& [n, present] : after) {
    const bool was = parent.contains(n);
    if (present && !was) adds.push_back(n);
    if (!present && was) dels.push_back(n);
  }
  std::sort(adds.begin(), adds.end());
  std::sort(dels.begin(), dels.end());
  stats.added = adds.size();
  stats.deleted = dels.size();
  const uint64_t count = parent.count() + stats.added - stats.deleted;
  const SnapshotLayout lay = parent.layout();
  uint64_t mn = parent.count() ? lay.min_number : UINT64_MAX, mx = parent.count() ? lay.max_number : 0;
  if (!adds.empty()) {
    mn = std::min(mn, adds.front());
    mx = std::max(mx, adds.back());
  }
  // The parent's bucket width suits its numbers, and a change list moves
  // few of them; when the changes outweigh the parent, widths come from the span.
  const uint32_t bits = stats.added <= parent.count() ? lay.bucket_bits : 0;
  auto w = SnapshotWriter::create(path, count, count ? mn : 0, count ? mx : 0, bits);
  if (!w.ok()) return w.error();
  if (count > 0) {
    auto cur = parent.cursor();
    size_t ai = 0, di = 0;
    uint64_t v;
    bool have = cur.next(v);
    while (have || ai < adds.size()) {
      uint64_t x;
      if (have && (ai >= adds.size() || v < adds[ai])) {
        x = v;
        have = cur.next(v);
        while (di < dels.size() && dels[di] < x) ++di;
        if (di < dels.size() && dels[di] == x) continue;
      } else {
        x = adds[ai++];
      }
      Status st = (*w)->append(x);
      if (!st.ok()) return st.error();
    }
    if (!cur.status().ok()) return cur.status().error();
  }
  provenance.kind = "update";
  provenance.parent_id = parent.id();
  provenance.parent_as_of = parent.provenance().as_of;
  provenance.changes = stats;
  if (stats_out) *stats_out = stats;
  return (*w)->finish(std::move(provenance));
}

}  // namespace telemark::registry
