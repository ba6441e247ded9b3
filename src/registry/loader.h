// Loaders for do-not-call registry files: the numbers of a full registry and
// the additions/deletions of a change list, read from text that people and
// registries actually publish.
//
// Formats (Format::kAuto picks one per file, see detect_format()):
// - lines: one number a line in any common notation ("(212) 555-0123",
//   "+44 20 7946 0018", "212.555.0123"). Clean NANP and "+1" numbers take a
//   built-in fast path; anything else goes to the NormalizeFn, normally a
//   phone::PhoneNormalizer with the registry's default region
//   (registry/phone_adapter.h), else basic_normalizer(). The fast path
//   checks NANP structure (area code and exchange start with 2-9) but not
//   that the area code is assigned, as libphonenumber does: an entry that no
//   valid lead can match is harmless, and registry files hold assigned
//   numbers; it keeps 100 M-line files off libphonenumber (~15 us a number).
// - ftc: the US federal registry's per-area-code files ("2125550123" or
//   "212,5550123" a line) and its change lists: a number and an add/delete
//   flag, columns found by their content ("2125550123,A", "212,5550123,D",
//   "D|2125550123|2024-05-01", a header line first).
// - csv: a header row and a named column (case-insensitive); quoted fields;
//   ',', ';', TAB or '|' delimiter detected from the header. Change files in
//   CSV name their flag column with flag_column, or use a header called
//   action, change, change_type, type, flag, op or operation.
//
// Blank lines and '#' comment lines are skipped and not counted. Every other
// line that yields no number is a bad line: counted, the first few kept with
// file, line number, reason and text. A load whose bad lines exceed
// max_bad_share of its data lines (over all files; exactly at the limit
// passes) fails before anything is written.
//
// Thread-safety: pure functions over their arguments; a NormalizeFn is
// called from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "registry/snapshot.h"

namespace telemark::registry {

enum class Format : uint8_t { kAuto, kLines, kFtc, kCsv };
std::string_view to_string(Format f);
Result<Format> parse_format(std::string_view s);  // "auto", "lines", "ftc", "csv"

// Turns one raw number field into E.164 digits, or nullopt when it is not a
// valid number.
using NormalizeFn = std::function<std::optional<uint64_t>(std::string_view raw)>;

// Without libphonenumber: separators ( -.()/ ) dropped; "+", "00" and (in
// NANP regions) "011" international prefixes; NANP national 10- and
// 11-digit numbers; GB national numbers with a leading 0; IT numbers
// (which keep their leading 0). Other national forms: nullopt.
NormalizeFn basic_normalizer(std::string_view default_region);

// Is the region (ISO alpha-2, any case) one of the NANP countries?
bool is_nanp_region(std::string_view region);

enum class ChangeOp : uint8_t { kAdd, kDelete };
struct Change {
  uint64_t number = 0;
  ChangeOp op = ChangeOp::kAdd;
};

struct ParseOptions {
  Format format = Format::kAuto;
  std::string column;          // csv: the number column (name, or 1-based index "#3")
  std::string flag_column;     // csv change files: the add/delete column
  // Default region (ISO alpha-2) for national notations; empty: only
  // international ones ("+44 ...") are read. RegistryDirectory fills it
  // from the registry name (default_region()) when empty.
  std::string region;
  NormalizeFn normalize;       // empty: basic_normalizer(region)
  double max_bad_share = 0.01;
  size_t max_bad_lines_kept = 20;
};

struct BadLine {
  std::string file;
  uint64_t line = 0;     // 1-based physical line
  std::string reason;    // "not a phone number", "no add/delete flag", ...
  std::string text;      // the line, cut to 80 characters
};

// Accumulates over the files of one load or update.
struct ParseReport {
  std::vector<SourceFile> sources;
  uint64_t data_lines = 0;
  uint64_t bad_lines = 0;
  std::vector<BadLine> first_bad;   // at most max_bad_lines_kept

  // "3 bad lines of 1000 (0.3%); first: a.txt:5: not a phone number: \"abc\"; ..."
  std::string summary() const;
  // Error "too_many_bad_lines" naming the share, the limit and the first
  // bad lines, when bad_lines / data_lines > max_bad_share.
  Status check_threshold(double max_bad_share) const;
};

// Format of one file's text by its first lines: csv if a column is given,
// ftc if every sampled line is FTC-shaped and the region is NANP, else lines.
Format detect_format(std::string_view text, const ParseOptions& options);

// Parses one file's text. Appends numbers (unsorted, duplicates kept) or
// changes (in file order), adds a SourceFile (without its sha256) and the
// bad lines to `report`. Errors only for what makes the whole file
// unreadable (csv column missing from the header); bad lines are counted.
Status parse_numbers(std::string_view text, std::string_view source_name,
                     const ParseOptions& options, std::vector<uint64_t>& out,
                     ParseReport& report);
Status parse_changes(std::string_view text, std::string_view source_name,
                     const ParseOptions& options, std::vector<Change>& out, ParseReport& report);

// Maps each file, records its SHA-256 and size, parses it, and enforces the
// bad-line threshold. Errors name the file ("io_error") or the share of bad
// lines ("too_many_bad_lines").
struct LoadedNumbers {
  std::vector<uint64_t> numbers;
  ParseReport report;
};
Result<LoadedNumbers> read_number_files(const std::vector<std::string>& paths,
                                        const ParseOptions& options);
struct LoadedChanges {
  std::vector<Change> changes;
  ParseReport report;
};
Result<LoadedChanges> read_change_files(const std::vector<std::string>& paths,
                                        const ParseOptions& options);

// Applies `changes` in order to `parent` and writes the result to `path`.
// Later changes to a number win (add then delete: absent). Streams: memory
// is the changes plus one bucket. `provenance.changes` and count are filled.
Result<BuildResult> apply_changes(const RegistrySnapshot& parent, const std::vector<Change>& changes,
                                  const std::string& path, Provenance provenance,
                                  ChangeStats* stats_out = nullptr);

}  // namespace telemark::registry
