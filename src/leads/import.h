// The lead import pipeline: CSV -> map columns -> normalize phones ->
// validate -> dedupe -> store, with a reject file.
//
// One pass over the file. Parsing and normalization run on the calling
// thread; writes to the store run on a second thread, fed through a bounded
// queue of batches, so memory stays bounded for any file size (the dedupe
// set holds one 64-bit number per distinct phone). The import is one
// LeadWriter transaction: it completes, or the database is left exactly as
// it was (bad file, write error, cancellation, crash).
//
// Thread-safety: import_leads() may run concurrently with other readers;
// two imports into the same list at once are serialized by the store
// (the second fails on the unique constraint and rolls back).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "leads/csv.h"

namespace telemark::phone {
class PhoneNormalizer;
class TimeZoneTable;
}  // namespace telemark::phone
namespace telemark::store {
class Store;
}

namespace telemark::leads {

struct ImportProgress {
  uint64_t rows = 0;
  uint64_t bytes_read = 0;
  uint64_t total_bytes = 0;
};

struct ImportOptions {
  std::string file;
  std::string list;
  std::string tenant = "default";
  std::string default_region;  // ISO alpha-2; a row's country column wins
  std::vector<std::pair<std::string, std::string>> map;  // --map column=field
  CsvOptions csv;
  std::string rejects_path;  // "" = no reject file
  size_t batch_rows = 8192;
  // Called from the importing thread about every 64k rows and at the end.
  std::function<void(const ImportProgress&)> progress;
};

struct ImportSummary {
  int64_t list_id = 0;
  int64_t import_id = 0;
  uint64_t rows = 0;  // data records read (excluding the header)
  uint64_t imported = 0;
  uint64_t duplicates = 0;  // within the file or already in the list
  uint64_t rejected = 0;
  std::map<std::string, uint64_t> rejected_by_reason;
  std::string file_sha256;
  char delimiter = ',';
  std::vector<std::string> attribute_columns;  // unmapped columns kept as attributes
};

Result<ImportSummary> import_leads(store::Store& store, const phone::PhoneNormalizer& normalizer,
                                   const phone::TimeZoneTable& zones, const ImportOptions& options);

// The reason codes an import can reject a row with, besides the phone
// normalizer's ("phone_invalid", ...): "bad_date", "bad_boolean",
// "too_many_fields", "bad_country".

// Hex SHA-256 of a file (streamed).
Result<std::string> sha256_file(const std::string& path);

}  // namespace telemark::leads
