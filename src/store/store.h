// Store: Telemark's persistent state behind one interface, with two
// backends: SQLite (one file, WAL; the embedded default) and PostgreSQL
// (shared by several nodes). Both pass the same conformance suite
// (tests/store/).
//
// open() picks the backend from the location: a "postgresql://" or
// "postgres://" URL, otherwise a SQLite file path. migrate() creates or
// upgrades the schema (versioned migrations) and refuses a database whose
// schema is newer than this program.
//
// Times are UTC, stored as Unix seconds (SQLite) or timestamptz (PostgreSQL).
//
// Thread-safety: a Store object is used by one thread at a time; open one
// per thread. Errors are values (Result/Status) with a message naming the
// database and the operation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace telemark::store {

inline constexpr int64_t kSchemaVersion = 1;

struct ListInfo {
  int64_t id = 0;
  std::string tenant;
  std::string name;
  int64_t lead_count = 0;
  Instant created_at{};
};

// The facts compliance needs about a lead (see docs/ARCHITECTURE.md).
struct LeadFacts {
  std::optional<Instant> consent_at;
  std::optional<Instant> consent_revoked_at;
  std::optional<Instant> last_purchase_at;
  std::optional<Instant> last_inquiry_at;
  bool contract_active = false;
  std::optional<Instant> contract_ended_at;
};

struct Lead {
  int64_t id = 0;        // assigned by the store
  int64_t list_id = 0;
  uint64_t phone = 0;    // E.164 digits without '+'
  std::string phone_raw; // as given in the source
  std::string extension;
  std::string number_type;  // phone::to_string(NumberType)
  std::string time_zones;   // '&'-joined IANA zones
  std::string first_name, last_name, email, address, city, region, postal_code, country;
  std::string attributes_json = "{}";  // custom attributes, a JSON object
  LeadFacts facts;
  std::optional<double> score;
  uint64_t source_line = 0;  // line in the imported file
  int64_t import_id = 0;
};

struct ImportRun {
  int64_t id = 0;
  int64_t list_id = 0;
  std::string file_name;
  std::string file_sha256;
  int64_t rows = 0, imported = 0, duplicates = 0, rejected = 0;
  Instant started_at{};
  Instant finished_at{};
};

struct LeadFilter {
  std::optional<std::string> tenant;
  std::optional<std::string> list;       // list name (within the tenant if given)
  std::optional<std::string> country;    // ISO alpha-2 of the number
  std::optional<std::string> region;     // state / province / provincia
  std::optional<int64_t> limit;
};

// An import in progress: everything appended becomes visible at commit(),
// or not at all (destroying an uncommitted writer rolls back).
class LeadWriter {
 public:
  virtual ~LeadWriter() = default;
  // Appends leads; their list_id and import_id are set by the writer.
  virtual Status append(std::span<const Lead> leads) = 0;
  // Records the run's counts and makes the whole import durable.
  virtual Result<ImportRun> commit(const ImportRun& counts) = 0;
  virtual void rollback() = 0;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::string& location);
  virtual ~Store() = default;

  virtual std::string backend() const = 0;  // "sqlite" or "postgresql"
  virtual Status migrate() = 0;
  virtual Result<int64_t> schema_version() = 0;  // 0 for an empty database

  virtual Result<int64_t> ensure_tenant(const std::string& name) = 0;
  virtual Result<int64_t> ensure_list(const std::string& tenant, const std::string& name) = 0;
  virtual Result<std::optional<ListInfo>> find_list(const std::string& tenant,
                                                    const std::string& name) = 0;
  virtual Result<std::vector<ListInfo>> lists() = 0;

  // Phones already in a list, for deduplication before an import.
  virtual Status list_phones(int64_t list_id, const std::function<void(uint64_t)>& sink) = 0;

  virtual Result<std::unique_ptr<LeadWriter>> begin_import(int64_t list_id,
                                                           const ImportRun& run) = 0;
  virtual Result<std::vector<ImportRun>> import_runs(int64_t list_id) = 0;

  virtual Result<int64_t> count_leads(const LeadFilter& filter) = 0;
  virtual Result<std::optional<Lead>> get_lead(int64_t id) = 0;
  // Streams matching leads in id order; the sink returns false to stop.
  virtual Status scan_leads(const LeadFilter& filter,
                            const std::function<bool(const Lead&)>& sink) = 0;
};

}  // namespace telemark::store
