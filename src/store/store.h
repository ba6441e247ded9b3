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
// Times are UTC, stored as Unix seconds (SQLite) or timestamptz (PostgreSQL),
// kept to the whole second (floored) by both, so both return the same values.
// attributes_json comes back as an equal JSON value, not byte for byte
// (PostgreSQL's jsonb rewrites spacing and key order). Empty text fields are
// stored as NULL and read back as "".
//
// Ownership: a LeadWriter shares the Store's connection; while it is open,
// every other call on that Store runs inside the import's transaction.
//
// Thread-safety: a Store object is used by one thread at a time; open one
// per thread. Errors are values (Result/Status) with a message naming the
// database and the operation; stable codes: "store_open_failed" (SQLite
// path), "store_connect_failed" (PostgreSQL), "schema_too_new",
// "no_such_list", "duplicate_lead", "invalid_lead", "invalid_argument",
// "import_in_progress", "import_closed", "store_error" (anything else).
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
  int64_t id = 0;  // assigned by the store
  int64_t list_id = 0;
  uint64_t phone = 0;     // E.164 digits without '+'
  std::string phone_raw;  // as given in the source
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
  std::optional<std::string> list;     // list name (within the tenant if given)
  std::optional<std::string> country;  // ISO alpha-2 of the number (Lead::country)
  std::optional<std::string> region;   // state / province / provincia
  std::optional<int64_t> limit;
};

// An import in progress: everything appended becomes visible at commit(),
// or not at all (destroying an uncommitted writer rolls back).
class LeadWriter {
 public:
  virtual ~LeadWriter() = default;
  // Appends leads; their list_id and import_id are set by the writer. A
  // phone already in the list or twice in the import fails with
  // "duplicate_lead" (the importer dedupes first, with list_phones); a phone
  // that is not 1 to 15 digits or attributes that are not JSON fail with
  // "invalid_lead". Either failure rolls the whole import back.
  virtual Status append(std::span<const Lead> leads) = 0;
  // Records the run's counts and makes the whole import durable. From
  // `counts`: rows, imported, duplicates, rejected, finished_at (the epoch
  // means "now"), and file_name / file_sha256 when not empty. A writer whose
  // append failed has already rolled back: commit then fails.
  virtual Result<ImportRun> commit(const ImportRun& counts) = 0;
  virtual void rollback() = 0;
  // The list the leads go to.
  virtual int64_t list_id() const = 0;
};

class Store {
 public:
  // Uses the system clock for the times the store stamps itself (created_at
  // of tenants, lists and leads, schema_version.applied_at, and the start or
  // finish of an import run given as the epoch).
  static Result<std::unique_ptr<Store>> open(const std::string& location);
  // `clock` must outlive the Store and its writers.
  static Result<std::unique_ptr<Store>> open(const std::string& location, const Clock& clock);
  virtual ~Store() = default;

  virtual std::string backend() const = 0;  // "sqlite" or "postgresql"
  virtual Status migrate() = 0;
  virtual Result<int64_t> schema_version() = 0;  // 0 for an empty database
  // Where the data lives, for messages: the SQLite path or the PostgreSQL
  // URL without its password.
  virtual std::string describe() const = 0;
  // Runs SQL statements that return no rows (administration and tests: the
  // SQL is backend-specific).
  virtual Status execute(const std::string& sql) = 0;

  virtual Result<int64_t> ensure_tenant(const std::string& name) = 0;
  virtual Result<int64_t> ensure_list(const std::string& tenant, const std::string& name) = 0;
  virtual Result<std::optional<ListInfo>> find_list(const std::string& tenant,
                                                    const std::string& name) = 0;
  virtual Result<std::vector<ListInfo>> lists() = 0;  // in creation order

  // Phones already in a list, for deduplication before an import. Streams
  // (never materializes the list); the sink must not call this Store.
  virtual Status list_phones(int64_t list_id, const std::function<void(uint64_t)>& sink) = 0;

  // Opens the import's transaction and its import_runs row (run's
  // file_name, file_sha256 and started_at; the epoch means "now"). One
  // writer at a time per Store. Leads get created_at = the run's start.
  virtual Result<std::unique_ptr<LeadWriter>> begin_import(int64_t list_id,
                                                           const ImportRun& run) = 0;
  // The same into a list named by tenant and name, creating the tenant and
  // the list inside the import's transaction: if the import does not
  // commit, they do not exist either.
  virtual Result<std::unique_ptr<LeadWriter>> begin_import(const std::string& tenant,
                                                           const std::string& list,
                                                           const ImportRun& run) = 0;
  // The committed imports into a list, oldest first.
  virtual Result<std::vector<ImportRun>> import_runs(int64_t list_id) = 0;

  // How many leads scan_leads would stream (the limit included).
  virtual Result<int64_t> count_leads(const LeadFilter& filter) = 0;
  virtual Result<std::optional<Lead>> get_lead(int64_t id) = 0;
  // Streams matching leads in id order; the sink returns false to stop.
  // PostgreSQL reads in pages by id, so rows committed by others during a
  // long scan may appear; the sink must not call this Store.
  virtual Status scan_leads(const LeadFilter& filter,
                            const std::function<bool(const Lead&)>& sink) = 0;
};

}  // namespace telemark::store
