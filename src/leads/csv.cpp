#include "leads/csv.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "leads/csv_encoding.h"
#include "leads/csv_internal.h"
#include "leads/csv_scan.h"

namespace telemark::leads {
namespace {

using csv_detail::kMaxUtf8BytesPerInputByte;
using csv_detail::kScanPadding;
using csv_detail::SpecialByteScanner;

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

// Where bytes come from: a file (read(2) in blocks) or a string in memory.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `max` bytes into `dst`; 0 at the end of the input.
  virtual Result<size_t> read(char* dst, size_t max) = 0;
  virtual uint64_t total_bytes() const = 0;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size, std::string name)
      : fd_(fd), size_(size), name_(std::move(name)) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  Result<size_t> read(char* dst, size_t max) override {
    for (;;) {
      ssize_t n = ::read(fd_, dst, max);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      int err = errno;
      if (err == EISDIR)
        return make_error("is_directory", fmt::format("{}: is a folder, not a file", name_));
      return make_error("io_error", fmt::format("{}: read error: {}", name_, errno_text(err)));
    }
  }
  uint64_t total_bytes() const override { return size_; }

 private:
  int fd_;
  uint64_t size_;
  std::string name_;
};

class StringSource final : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  Result<size_t> read(char* dst, size_t max) override {
    size_t n = std::min(max, data_.size() - pos_);
    std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  uint64_t total_bytes() const override { return data_.size(); }

 private:
  std::string data_;
  size_t pos_ = 0;
};

Status check_options(const CsvOptions& o, const std::string& name) {
  unsigned char d = static_cast<unsigned char>(o.delimiter);
  if (d != 0 && (d == '"' || d == '\r' || d == '\n' || d >= 0x80))
    return make_error("bad_option", fmt::format("{}: delimiter byte 0x{:02X} cannot be used: "
                                                "choose ',', ';', TAB or another ASCII character "
                                                "other than a quote or a line end",
                                                name, d));
  return Status::Ok();
}

class Reader final : public CsvReader {
 public:
  Reader(std::unique_ptr<ByteSource> src, const CsvOptions& options, std::string name,
         size_t block_bytes)
      : src_(std::move(src)),
        opt_(options),
        name_(std::move(name)),
        block_(std::max<size_t>(block_bytes, 1)),
        // Capped so that window arithmetic cannot overflow.
        record_limit_(
            std::min(std::max(options.max_record_bytes, options.max_field_bytes), size_t{1} << 40)),
        utf8_(options.encoding == Encoding::kUtf8),
        delim_(options.delimiter) {
    if (Status st = check_options(options, name_); !st.ok()) fail(st.error());
    size_t stage = std::max<size_t>(block_, 3);
    grow(2 * stage * (utf8_ ? 1 : kMaxUtf8BytesPerInputByte));
  }

  Result<bool> next(CsvRecord& record) override;
  char delimiter() const override { return delim_ != 0 ? delim_ : ','; }
  uint64_t bytes_read() const override { return bytes_read_; }
  uint64_t total_bytes() const override { return src_->total_bytes(); }
  const std::string& name() const override { return name_; }

 private:
  enum class Step { kRecord, kNeedMore, kError };
  struct Parsed {
    const char* raw_end = nullptr;  // where the record's text ends (its line end, or the input end)
    const char* next = nullptr;     // where the next record starts
    uint64_t inner_lines = 0;       // line ends inside quoted fields
    bool line_end = false;          // ended by a line end, not by the end of input
  };

  Step parse(const char* b, const char* e, bool eof, char d, CsvRecord& r, Parsed& out);
  Status fill();
  void grow(size_t cap);
  char detect_delimiter(const char* b, const char* e, bool eof, CsvRecord& r, bool& need_more);

  Error fail(Error e) {
    failed_ = true;
    error_ = std::move(e);
    return error_;
  }
  Step parse_error(const char* code, std::string message) {
    parse_error_ = make_error(code, fmt::format("{}: {}", name_, message));
    return Step::kError;
  }
  // The same words whether or not the closing quote was already in the
  // buffer, so that the message does not depend on the block size.
  Step field_too_long(uint64_t line, size_t column, bool quoted) {
    return parse_error(
        "field_too_long",
        fmt::format("line {}, column {}: field longer than {} bytes{}", line, column,
                    opt_.max_field_bytes,
                    quoted ? " (a quoted field: is its closing quote missing?)" : ""));
  }
  Step nul_byte(uint64_t line) {
    return parse_error("nul_byte",
                       fmt::format("line {}: NUL byte: this looks like a binary file or "
                                   "UTF-16; save it as CSV (UTF-8, Latin-1 or "
                                   "Windows-1252) and import it again",
                                   line));
  }
  Error invalid_utf8(std::string_view raw, size_t bad);

  std::unique_ptr<ByteSource> src_;
  CsvOptions opt_;
  std::string name_;
  size_t block_;
  size_t record_limit_;
  bool utf8_;
  char delim_;

  // buf_[begin_, end_) holds the text (UTF-8) not yet returned; kScanPadding
  // readable bytes follow cap_ for the scanner.
  std::unique_ptr<char[]> buf_;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
  // Unescaped fields (doubled quotes, text after a closing quote); as large
  // as buf_, since a record's fields never outgrow its text.
  std::unique_ptr<char[]> scratch_;
  std::unique_ptr<char[]> raw_;  // file bytes before transcoding
  size_t raw_cap_ = 0;
  bool eof_ = false;
  bool bom_checked_ = false;
  uint64_t line_ = 1;
  uint64_t bytes_read_ = 0;

  bool failed_ = false;
  Error error_;
  Error parse_error_;
};

void Reader::grow(size_t cap) {
  auto buf = std::make_unique<char[]>(cap + kScanPadding);
  if (buf_) std::memcpy(buf.get(), buf_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  buf_ = std::move(buf);
  scratch_ = std::make_unique<char[]>(cap);
  cap_ = cap;
}

Status Reader::fill() {
  assert(!eof_);  // parse() never asks for more once the input has ended
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  // The first read takes at least 3 bytes so that a byte order mark is seen
  // whole. A long record reads as much again as it holds, so that parsing
  // it again after each read costs O(length), not O(length^2 / block); small
  // records keep the block size (tests rely on exact block boundaries).
  size_t want = bom_checked_ ? block_ : std::max<size_t>(block_, 3);
  const size_t kept = end_;
  if (kept >= 4 * block_ && kept >= (size_t{64} << 10)) want = kept;
  size_t room = utf8_ ? want : want * kMaxUtf8BytesPerInputByte;
  if (cap_ - end_ < room) grow(std::max(cap_ * 2, end_ + room));
  if (!utf8_ && raw_cap_ < want) {
    raw_ = std::make_unique<char[]>(want);
    raw_cap_ = want;
  }
  char* dst = utf8_ ? buf_.get() + end_ : raw_.get();
  size_t got = 0;
  while (got < want) {
    Result<size_t> n = src_->read(dst + got, want - got);
    if (!n.ok()) return n.error();
    if (*n == 0) {
      eof_ = true;
      break;
    }
    got += *n;
  }
  bytes_read_ += got;
  size_t skip = 0;
  if (!bom_checked_) {
    bom_checked_ = true;
    if (got >= 3 && std::memcmp(dst, "\xEF\xBB\xBF", 3) == 0) skip = 3;
  }
  if (utf8_) {
    if (skip > 0) std::memmove(dst, dst + skip, got - skip);
    end_ += got - skip;
  } else {
    end_ += csv_detail::transcode_to_utf8(opt_.encoding, dst + skip, got - skip, buf_.get() + end_);
  }
  return Status::Ok();
}

// Parses one record starting at `b` (not a blank line) in [b, e); `eof`
// says whether the input ends at `e`. kNeedMore when the record may go on
// past `e`: the caller refills and parses the record again from its start
// (only records that straddle a block pay this, and fill() reads more as a
// record grows, so the cost stays linear). Whatever the block size, a prefix
// of the input yields either kNeedMore or the very error the whole input
// yields: every check below looks only at bytes already seen.
Reader::Step Reader::parse(const char* b, const char* e, bool eof, char d, CsvRecord& r,
                           Parsed& out) {
  r.fields.clear();
  SpecialByteScanner scan(e, d);
  char* const scratch = scratch_.get();
  size_t used = 0;
  auto copy = [&](const char* from, const char* to) {
    size_t n = static_cast<size_t>(to - from);
    std::memcpy(scratch + used, from, n);
    used += n;
  };
  const size_t max_field = opt_.max_field_bytes;
  const bool skip_space = d != ' ';
  const bool skip_tab = d != '\t';
  auto is_pad = [&](char c) { return (c == ' ' && skip_space) || (c == '\t' && skip_tab); };
  uint64_t lines = 0;
  size_t column = 1;
  const char* f = b;  // start of the current field
  const char* stop;   // the line end that ends the record, or e
  for (;; ++column) {
    const char* q = f;
    while (q < e && is_pad(*q)) ++q;
    if (q == e && !eof) return Step::kNeedMore;  // a quote may follow the spaces
    if (q == e || *q != '"') {
      const char* s = scan.find(f);
      while (s < e && *s == '"') s = scan.find(s + 1);  // a stray quote is a literal
      if (static_cast<size_t>(s - f) > max_field)
        return field_too_long(line_ + lines, column, false);
      if (s == e && !eof) return Step::kNeedMore;
      if (s < e && *s == '\0') return nul_byte(line_ + lines);
      r.fields.emplace_back(f, static_cast<size_t>(s - f));
      if (s < e && *s == d) {
        f = s + 1;
        continue;
      }
      stop = s;
      break;
    }

    // A quoted field: spaces before the quote are dropped.
    const uint64_t open_line = line_ + lines;
    const char* seg = q + 1;  // content not copied to scratch yet
    const size_t field_start = used;
    // The field's value so far, when [seg, upto) is still to be copied.
    auto value_len = [&](const char* upto) {
      return used - field_start + static_cast<size_t>(upto - seg);
    };
    bool copied = false;
    const char* s = seg;
    for (;;) {
      s = scan.find(s);
      if (s == e || *s == '\0') {
        if (value_len(s) > max_field) return field_too_long(open_line, column, true);
        if (s < e) return nul_byte(line_ + lines);
        if (!eof) return Step::kNeedMore;
        return parse_error("unterminated_quote",
                           fmt::format("line {}: the quoted field that starts here (column {}) "
                                       "has no closing quote",
                                       open_line, column));
      }
      char c = *s;
      // Every return below checks the length first: the value so far only
      // grows with the position, so all block sizes agree on the error.
      if (c == '"') {
        if (s + 1 == e && !eof) {
          if (value_len(s) > max_field) return field_too_long(open_line, column, true);
          return Step::kNeedMore;
        }
        if (s + 1 < e && s[1] == '"') {
          copy(seg, s + 1);
          copied = true;
          seg = s + 2;
          s += 2;
          continue;
        }
        break;  // the closing quote
      }
      if (c == '\r') {
        if (s + 1 == e && !eof) {
          if (value_len(s) > max_field) return field_too_long(open_line, column, true);
          return Step::kNeedMore;
        }
        if (s + 1 < e && s[1] == '\n') ++s;
        ++lines;
      } else if (c == '\n') {
        ++lines;
      }
      ++s;  // the delimiter, or the line end, is part of the value
    }
    const char* close = s;
    const char* t = close + 1;
    while (t < e && is_pad(*t)) ++t;
    if (t < e && *t != d && *t != '\r' && *t != '\n') {
      // Text after the closing quote: kept literally up to the delimiter,
      // spaces included, as spreadsheets read `"a" b`.
      const char* v = scan.find(t);
      while (v < e && *v == '"') v = scan.find(v + 1);
      if (value_len(close) + static_cast<size_t>(v - close - 1) > max_field)
        return field_too_long(open_line, column, true);
      if (v < e && *v == '\0') return nul_byte(line_ + lines);
      if (v == e && !eof) return Step::kNeedMore;
      copy(seg, close);
      copy(close + 1, v);
      copied = true;
      t = v;
    } else {
      if (value_len(close) > max_field) return field_too_long(open_line, column, true);
      if (t == e && !eof) return Step::kNeedMore;
      if (copied) copy(seg, close);
    }
    r.fields.push_back(copied ? std::string_view(scratch + field_start, used - field_start)
                              : std::string_view(seg, static_cast<size_t>(close - seg)));
    if (t < e && *t == d) {
      f = t + 1;
      continue;
    }
    stop = t;
    break;
  }

  out.raw_end = stop;
  out.inner_lines = lines;
  if (stop == e) {
    out.next = e;
    out.line_end = false;
  } else if (*stop == '\n') {
    out.next = stop + 1;
    out.line_end = true;
  } else {  // CR, alone or before LF
    if (stop + 1 == e && !eof) return Step::kNeedMore;
    out.next = stop + 1 < e && stop[1] == '\n' ? stop + 2 : stop + 1;
    out.line_end = true;
  }
  return Step::kRecord;
}

// Parses the first record with each candidate and keeps the one that splits
// it most (delimiters inside quoted fields do not count).
char Reader::detect_delimiter(const char* b, const char* e, bool eof, CsvRecord& r,
                              bool& need_more) {
  need_more = false;
  // Ties go to the earlier candidate: see the header for why.
  static constexpr char kCandidates[] = {'\t', ';', ','};
  size_t counts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    Parsed p;
    Step step = parse(b, e, eof, kCandidates[i], r, p);
    if (step == Step::kNeedMore) {
      need_more = true;
      return 0;
    }
    // A record cut short by an error still shows the delimiters before it;
    // the real parse reports the error.
    counts[i] = step == Step::kRecord ? r.fields.size() - 1 : r.fields.size();
  }
  char best = ',';
  size_t best_count = 0;
  for (int i = 0; i < 3; ++i) {
    if (counts[i] > best_count) {
      best = kCandidates[i];
      best_count = counts[i];
    }
  }
  return best;
}

Error Reader::invalid_utf8(std::string_view raw, size_t bad) {
  uint64_t line = line_;
  size_t line_start = 0;
  for (size_t i = 0; i < bad; ++i) {
    if (raw[i] == '\n' || (raw[i] == '\r' && (i + 1 >= raw.size() || raw[i + 1] != '\n'))) {
      ++line;
      line_start = i + 1;
    }
  }
  return make_error(
      "invalid_utf8",
      fmt::format("{}: line {}, byte {}: invalid UTF-8 (byte 0x{:02X}); if the file "
                  "was saved as Latin-1 or Windows-1252, use --encoding latin1 or "
                  "--encoding windows-1252",
                  name_, line, bad - line_start + 1, static_cast<unsigned char>(raw[bad])));
}

Result<bool> Reader::next(CsvRecord& record) {
  if (failed_) return error_;
  for (;;) {
    const char* buf = buf_.get();
    // Skip empty lines; a CR at the end of the buffer waits for the next
    // block to tell whether an LF follows.
    while (begin_ < end_) {
      char c = buf[begin_];
      if (c == '\n') {
        ++begin_;
      } else if (c == '\r') {
        if (begin_ + 1 == end_ && !eof_) break;
        begin_ += begin_ + 1 < end_ && buf[begin_ + 1] == '\n' ? 2 : 1;
      } else {
        break;
      }
      ++line_;
    }
    if (begin_ == end_ && eof_) return false;
    bool need_more = begin_ == end_ || buf[begin_] == '\r';
    // The parser sees at most the record limit plus a CRLF: a record that
    // does not end within that window is too long, whatever the block size.
    const char* b = buf + begin_;
    const bool window_cut = end_ - begin_ > record_limit_ + 2;
    const char* e = window_cut ? b + record_limit_ + 2 : buf + end_;
    const bool eof = eof_ && !window_cut;
    if (!need_more && delim_ == 0) {
      char d = detect_delimiter(b, e, eof, record, need_more);
      if (!need_more) delim_ = d;
    }
    if (!need_more) {
      Parsed p;
      Step step = parse(b, e, eof, delim_, record, p);
      if (step == Step::kError) return fail(parse_error_);
      if (step == Step::kRecord && static_cast<size_t>(p.raw_end - b) <= record_limit_) {
        record.line = line_;
        record.raw = std::string_view(b, static_cast<size_t>(p.raw_end - b));
        if (utf8_) {
          size_t bad = csv_detail::find_invalid_utf8(record.raw.data(), record.raw.size());
          if (bad != record.raw.size()) return fail(invalid_utf8(record.raw, bad));
        }
        line_ += p.inner_lines + (p.line_end ? 1 : 0);
        begin_ = static_cast<size_t>(p.next - buf);
        return true;
      }
      need_more = step == Step::kNeedMore;
    }
    if (!need_more || window_cut)
      return fail(make_error("record_too_long",
                             fmt::format("{}: line {}: record longer than {} bytes (is a quote "
                                         "missing, or is this not a CSV file?)",
                                         name_, line_, record_limit_)));
    if (Status st = fill(); !st.ok()) return fail(st.error());
  }
}

}  // namespace

Result<Encoding> parse_encoding(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (n == "utf-8" || n == "utf8") return Encoding::kUtf8;
  if (n == "latin1" || n == "latin-1" || n == "iso-8859-1") return Encoding::kLatin1;
  if (n == "windows-1252" || n == "cp1252") return Encoding::kWindows1252;
  return make_error("bad_encoding",
                    fmt::format("unknown encoding '{}': use utf-8, latin1 (iso-8859-1) or "
                                "windows-1252 (cp1252)",
                                name));
}

std::unique_ptr<CsvReader> CsvReader::from_string(std::string data, const CsvOptions& options,
                                                  std::string name) {
  return csv_detail::reader_from_string(std::move(data), options, std::move(name),
                                        csv_detail::kDefaultBlockBytes);
}

Result<std::unique_ptr<CsvReader>> CsvReader::open(const std::string& path,
                                                   const CsvOptions& options) {
  return csv_detail::open_reader(path, options, csv_detail::kDefaultBlockBytes);
}

namespace csv_detail {

std::unique_ptr<CsvReader> reader_from_string(std::string data, const CsvOptions& options,
                                              std::string name, size_t block_bytes) {
  // No point in a buffer larger than the input.
  size_t block = std::min(block_bytes, std::max<size_t>(data.size(), 1));
  return std::make_unique<Reader>(std::make_unique<StringSource>(std::move(data)), options,
                                  std::move(name), block);
}

Result<std::unique_ptr<CsvReader>> open_reader(const std::string& path, const CsvOptions& options,
                                               size_t block_bytes) {
  if (Status st = check_options(options, path); !st.ok()) return st.error();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT || err == ENOTDIR)
      return make_error("file_not_found", fmt::format("{}: file not found", path));
    if (err == EISDIR)
      return make_error("is_directory", fmt::format("{}: is a folder, not a file", path));
    return make_error("io_error", fmt::format("{}: cannot open: {}", path, errno_text(err)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_error("io_error", fmt::format("{}: cannot open: {}", path, errno_text(err)));
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return make_error("is_directory", fmt::format("{}: is a folder, not a file", path));
  }
  uint64_t size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  if (size > 0) {
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    // A small file needs no 1 MiB buffer (imports often read many small files).
    block_bytes = std::min<uint64_t>(block_bytes, size);
  }
  std::unique_ptr<CsvReader> reader = std::make_unique<Reader>(
      std::make_unique<FileSource>(fd, size, path), options, path, block_bytes);
  return reader;
}

}  // namespace csv_detail
void append_csv_field(std::string& out, std::string_view field, char delimiter) {
  bool quote = false;
  for (char c : field) {
    if (c == delimiter || c == '"' || c == '\r' || c == '\n') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out.append(field);
    return;
  }
  out.push_back('"');
  for (char c : field) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace telemark::leads
