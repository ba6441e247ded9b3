// Compiled time zones for the decision hot path.
//
// ZoneTable holds one IANA zone's UTC-offset history as a sorted array of
// (start instant, offset), extracted once from the tz database through
// date::locate_zone. Instant -> local time is a binary search over a few
// hundred integers (about the cost of a date::zoned_time conversion, which
// bench/decide_bench.cpp measures beside decide()); local -> UTC, which the
// next-lawful-instant search needs across DST gaps and overlaps, works on
// the same integers without date's exceptions for nonexistent times.
// Limitation: Debian's tz files are read by date-tz without their POSIX
// footer, so offsets after the last listed transition (2037) stay frozen.
//
// ZoneCatalog interns zone names into ZoneIds and owns the tables.
// Thread-safety: intern() takes a mutex; table()/name() of an issued id are
// lock-free and safe from any thread (tables never move or change).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "compliance/intent.h"

namespace telemark::compliance {

class ZoneTable {
 public:
  static Result<std::unique_ptr<ZoneTable>> compile(std::string_view iana_name);

  const std::string& name() const { return name_; }
  // UTC offset in seconds at a UTC instant given in seconds since the epoch.
  int32_t offset_at(int64_t utc_seconds) const;
  // Start of the offset period containing `utc_seconds`.
  int64_t period_start(int64_t utc_seconds) const;
  // The earliest UTC instant u >= not_before whose local wall time equals
  // `local_seconds`; if that wall time falls in a gap (spring forward), the
  // first instant after the gap. Returns INT64_MAX if none within a day.
  int64_t first_utc_at_or_after(int64_t local_seconds, int64_t not_before) const;

 private:
  size_t index(int64_t utc_seconds) const;
  std::string name_;
  std::vector<int64_t> starts_;  // starts_[0] is the earliest representable instant
  std::vector<int32_t> offsets_;
};

class ZoneCatalog {
 public:
  static constexpr size_t kMaxZones = 1024;
  ZoneCatalog();
  ~ZoneCatalog();
  ZoneCatalog(const ZoneCatalog&) = delete;
  ZoneCatalog& operator=(const ZoneCatalog&) = delete;

  // The id of `iana_name`, compiling it on first use; an error if the tz
  // database does not know the zone.
  Result<ZoneId> intern(std::string_view iana_name);
  const ZoneTable& table(ZoneId id) const { return *tables_[id].load(std::memory_order_acquire); }
  const std::string& name(ZoneId id) const { return table(id).name(); }
  size_t size() const { return count_.load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, ZoneId> by_name_;
  std::vector<std::unique_ptr<ZoneTable>> owned_;
  std::array<std::atomic<const ZoneTable*>, kMaxZones> tables_{};
  std::atomic<size_t> count_{0};
};

}  // namespace telemark::compliance
