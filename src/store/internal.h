// Pieces shared by the two Store backends (not a public header): the
// migration table and its runner, the lead filter's SQL, time and URL
// helpers. Pure functions and immutable tables; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/store.h"

namespace telemark::store::internal {

// One numbered schema step, written once per backend. To add a step:
// append an entry in migrations.cpp and bump kSchemaVersion in store.h.
struct Migration {
  int64_t version;
  std::string_view name;
  std::string_view sqlite_sql;
  std::string_view postgres_sql;
};
std::span<const Migration> migrations();

// What the runner needs from a backend. All steps run in one transaction,
// so an upgrade is applied whole or not at all.
class MigrationTarget {
 public:
  virtual ~MigrationTarget() = default;
  // Starts the transaction, serializes concurrent migrators and creates
  // schema_version if it is missing.
  virtual Status begin() = 0;
  virtual Result<int64_t> current_version() = 0;
  // Runs the step's script and records it in schema_version.
  virtual Status apply(const Migration& m) = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
  virtual std::string describe() const = 0;
};
Status run_migrations(MigrationTarget& target);

// Storage precision is the second; floor so that times before 1970 do not
// round toward the epoch.
inline int64_t floor_seconds(Instant t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}
inline Instant seconds_to_instant(int64_t s) { return Instant(std::chrono::seconds(s)); }
inline Instant truncate_to_seconds(Instant t) { return seconds_to_instant(floor_seconds(t)); }
// The epoch stands for "not given" in ImportRun times.
inline Instant or_now(Instant t, const Clock& clock) { return t == Instant{} ? clock.now() : t; }

// The FROM and WHERE of a lead query. Placeholders are numbered from 1 in
// the backend's style ('?' gives ?1, '$' gives $1); `params` are their
// values in order. Leads are aliased `l`.
struct FilterSql {
  std::string from;                // "leads l" plus joins the filter needs
  std::vector<std::string> where;  // conditions to AND together
  std::vector<std::string> params;
};
FilterSql filter_sql(const LeadFilter& filter, char placeholder);
std::string placeholder(char style, size_t index);                   // 1-based
std::string join_where(const std::vector<std::string>& conditions);  // "" or " WHERE a AND b"

// E.164 numbers have at most 15 digits; 0 means "no number".
inline bool valid_phone(uint64_t phone) { return phone > 0 && phone <= 999'999'999'999'999ULL; }

// "YYYY-MM-DD" naming a real date.
bool valid_date(std::string_view s);

// Receipt lists are stored ';'-joined (items may not contain ';').
std::string join_list(const std::vector<std::string>& items);
std::vector<std::string> split_list(std::string_view joined);

// Checks what both backends require of a registry load or a receipt;
// errors ("invalid_argument") start with `where`.
Status check_registry_load(const RegistryLoad& load, const std::string& where);
Status check_receipt(const DecisionReceipt& r, size_t index, const std::string& where);

// Finite scores, no id twice ("invalid_argument" starting with `where`).
Status check_lead_scores(std::span<const LeadScore> scores, const std::string& where);

// "+12125550123" for messages.
std::string plus_phone(uint64_t phone);

// The URL without its password (user:password@ and password=...).
std::string redact_url(std::string_view url);

// Newlines and tabs of server messages folded into single spaces.
std::string one_line(std::string_view text);

// Backend entry points (store.cpp dispatches).
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const Clock& clock);
Result<std::unique_ptr<Store>> open_postgres(const std::string& url, const Clock& clock);

}  // namespace telemark::store::internal
