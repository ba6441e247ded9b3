// Fuzz target for the CSV reader. The first byte picks the options
// (delimiter, encoding, small limits); the rest is the file. Every input is
// read twice, in one block and in blocks of a few bytes, and both readings
// must agree record for record and on the final error: a block boundary
// must never change what the reader returns.
#include "leads/csv.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "leads/csv_internal.h"

namespace {

using telemark::leads::CsvOptions;
using telemark::leads::CsvReader;
using telemark::leads::CsvRecord;
using telemark::leads::Encoding;

struct Reading {
  std::vector<uint64_t> lines;
  std::vector<std::string> text;  // fields and raw, flattened
  std::string error;
};

Reading read_all(CsvReader& reader) {
  Reading out;
  CsvRecord rec;
  for (;;) {
    auto r = reader.next(rec);
    if (!r.ok()) {
      out.error = r.error().code + ": " + r.error().message;
      return out;
    }
    if (!*r) return out;
    out.lines.push_back(rec.line);
    out.text.emplace_back(rec.raw);
    for (auto f : rec.fields) out.text.emplace_back(f);  // reads every byte: ASan sees stale views
    out.text.emplace_back("\x1e");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t opt = data[0];
  static constexpr char kDelimiters[8] = {0, ',', ';', '\t', '|', ' ', 0, 0};
  CsvOptions o;
  o.delimiter = kDelimiters[opt & 7];
  o.encoding = ((opt >> 3) & 3) == 1   ? Encoding::kLatin1
               : ((opt >> 3) & 3) == 2 ? Encoding::kWindows1252
                                       : Encoding::kUtf8;
  if (opt & 0x20) o.max_field_bytes = 16;
  if (opt & 0x40) o.max_record_bytes = 40;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t small_block = 1 + (opt >> 7) * 6 + size % 5;

  auto whole = CsvReader::from_string(input, o, "fuzz.csv");
  auto pieces = telemark::leads::csv_detail::reader_from_string(input, o, "fuzz.csv", small_block);
  Reading a = read_all(*whole);
  Reading b = read_all(*pieces);
  if (a.lines != b.lines || a.text != b.text || a.error != b.error) __builtin_trap();
  if (whole->delimiter() != pieces->delimiter()) __builtin_trap();
  if (whole->bytes_read() != size - 1 || pieces->bytes_read() > size - 1) __builtin_trap();
  return 0;
}
