#include "compliance/zones.h"

#include <algorithm>
#include <climits>
#include <exception>

#include <date/tz.h>

namespace telemark::compliance {

namespace {
constexpr int64_t kFrom = 0;                 // 1970-01-01
constexpr int64_t kTo = 7258118400;          // 2200-01-01
}  // namespace

Result<std::unique_ptr<ZoneTable>> ZoneTable::compile(std::string_view iana_name) {
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(iana_name);
  } catch (const std::exception& e) {
    return make_error("unknown_time_zone",
                      "'" + std::string(iana_name) + "' is not a time zone of the tz database");
  }
  auto table = std::make_unique<ZoneTable>();
  table->name_ = std::string(iana_name);
  date::sys_seconds t{std::chrono::seconds{kFrom}};
  const date::sys_seconds stop{std::chrono::seconds{kTo}};
  while (t < stop) {
    date::sys_info info = tz->get_info(t);
    int32_t off = static_cast<int32_t>(info.offset.count());
    int64_t start = t.time_since_epoch().count();
    if (table->offsets_.empty() || table->offsets_.back() != off) {
      table->starts_.push_back(start);
      table->offsets_.push_back(off);
    }
    if (info.end <= t) break;
    t = info.end;
  }
  if (table->starts_.empty()) {
    return make_error("unknown_time_zone", "time zone '" + std::string(iana_name) + "' has no offsets");
  }
  table->starts_[0] = INT64_MIN;
  return table;
}

size_t ZoneTable::index(int64_t utc_seconds) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), utc_seconds);
  return it == starts_.begin() ? 0 : static_cast<size_t>(it - starts_.begin() - 1);
}

int32_t ZoneTable::offset_at(int64_t utc_seconds) const { return offsets_[index(utc_seconds)]; }

int64_t ZoneTable::period_start(int64_t utc_seconds) const { return starts_[index(utc_seconds)]; }

int64_t ZoneTable::first_utc_at_or_after(int64_t local, int64_t not_before) const {
  // Offsets lie within a day of UTC, so every instant whose wall time is
  // `local` lies in [local - 1 day, local + 1 day]; look at the periods there.
  int64_t lo = local - 86400, hi = local + 86400;
  size_t i = index(std::max(lo, not_before));
  int64_t best = INT64_MAX;
  for (; i < starts_.size() && (i == 0 || starts_[i] <= hi); ++i) {
    int64_t p_start = i == 0 ? INT64_MIN : starts_[i];
    int64_t p_end = i + 1 < starts_.size() ? starts_[i + 1] : INT64_MAX;
    int64_t u = local - offsets_[i];
    if (u >= p_start && u < p_end) {
      if (u >= not_before) {
        best = std::min(best, u);
        break;
      }
    } else if (i > 0 && u < p_start && local - offsets_[i - 1] >= p_start) {
      // `local` is skipped (gap between the previous and this period): the
      // first instant after the gap is the start of this period.
      if (p_start >= not_before) {
        best = std::min(best, p_start);
        break;
      }
    }
  }
  return best;
}

ZoneCatalog::ZoneCatalog() = default;
ZoneCatalog::~ZoneCatalog() = default;

Result<ZoneId> ZoneCatalog::intern(std::string_view iana_name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_name_.find(std::string(iana_name));
  if (it != by_name_.end()) return it->second;
  if (owned_.size() >= kMaxZones)
    return make_error("too_many_zones", "more than 1024 distinct time zones requested");
  auto table = ZoneTable::compile(iana_name);
  if (!table.ok()) return table.error();
  ZoneId id = static_cast<ZoneId>(owned_.size());
  owned_.push_back(std::move(table).value());
  tables_[id].store(owned_.back().get(), std::memory_order_release);
  by_name_.emplace(std::string(iana_name), id);
  count_.store(owned_.size(), std::memory_order_release);
  return id;
}

}  // namespace telemark::compliance
