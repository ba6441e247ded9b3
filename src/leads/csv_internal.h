// Private to the CSV reader, its tests, fuzzer and benchmark: constructors
// with a chosen block size, so tests can make every record, quoted newline
// and CRLF straddle a refill with inputs of a few bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "leads/csv.h"

namespace telemark::leads::csv_detail {

inline constexpr size_t kDefaultBlockBytes = size_t{1} << 20;

std::unique_ptr<CsvReader> reader_from_string(std::string data, const CsvOptions& options,
                                              std::string name, size_t block_bytes);
Result<std::unique_ptr<CsvReader>> open_reader(const std::string& path, const CsvOptions& options,
                                               size_t block_bytes);

}  // namespace telemark::leads::csv_detail
