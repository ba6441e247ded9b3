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
// Compliance state (schema version 2): the provenance of every registry
// snapshot installed in the registry folder, each tenant's internal
// do-not-call list (an add or a removal is synced to stable storage before
// the call returns; a removal keeps the entry, stamped with its time and
// reason: entries are never deleted, and the schema refuses DELETE),
// campaign definitions (TOML text), and decision receipts (what was decided
// for a call, with the rule pack versions and registry snapshot ids used).
//
// Ownership: a LeadWriter shares the Store's connection; while it is open,
// every other call on that Store runs inside the import's transaction, and
// the calls that need their own transaction (the registry, internal-list,
// campaign and receipt writes) fail with "import_in_progress".
//
// Thread-safety: a Store object is used by one thread at a time; open one
// per thread. Errors are values (Result/Status) with a message naming the
// database and the operation; stable codes: "store_open_failed" (SQLite
// path), "store_connect_failed" (PostgreSQL), "schema_too_new",
// "no_such_list", "duplicate_lead", "invalid_lead", "invalid_argument",
// "import_in_progress", "import_closed", "not_on_list", "no_such_lead",
// "store_error"
// (anything else).
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

inline constexpr int64_t kSchemaVersion = 4;

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

// A lead's new score (Store::set_lead_scores).
struct LeadScore {
  int64_t lead_id = 0;
  double score = 0;
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

// --- compliance state ---

// One input file of a registry load or update.
struct RegistrySourceFile {
  std::string file_name;
  std::string sha256;  // lowercase hex
  int64_t bytes = 0;
  int64_t lines = 0;      // data lines
  int64_t bad_lines = 0;
};

// The provenance of one registry snapshot (one version in the registry
// folder), as recorded when it was installed.
struct RegistryLoad {
  int64_t id = 0;  // assigned by the store
  std::string name;           // "us-dnc"
  int64_t version = 0;        // the registry folder's version number
  std::string snapshot_id;    // RegistrySnapshot::id(), named by receipts
  std::string kind = "load";  // "load" (full files) or "update" (change files)
  std::string as_of;          // "YYYY-MM-DD": the date of the registry data
  std::vector<RegistrySourceFile> sources;  // in the order given
  int64_t count = 0;          // numbers in the snapshot
  int64_t bad_lines = 0;      // over all sources
  std::string checksum;       // SHA-256 of the snapshot's payload
  std::string snapshot_path;
  Instant loaded_at{};        // the epoch means "now"
  bool current = false;       // read back: the version in force
  std::optional<Instant> dropped_at;  // read back: when the registry was dropped
};

// An entry of a tenant's internal do-not-call list. Removed entries stay,
// with removed_at and removed_reason set.
struct DncEntry {
  int64_t id = 0;
  std::string tenant;
  uint64_t phone = 0;  // E.164 digits without '+'
  std::string reason;  // why the person is on the list ("asked on call 2026-05-01")
  std::string source;  // where the request came from ("agent", "web form", a file)
  Instant added_at{};
  std::optional<Instant> removed_at;
  std::string removed_reason;
};

struct DncAdd {
  uint64_t phone = 0;
  std::string reason;
  std::string source;
};

struct DncAddResult {
  int64_t added = 0;    // new entries
  int64_t already = 0;  // numbers already on the list (entry unchanged)
};

struct CampaignRecord {
  int64_t id = 0;
  std::string tenant;
  std::string name;
  std::string definition;  // the campaign's TOML text
  Instant created_at{};
  Instant updated_at{};
};

// What the compliance engine decided for one call, written before the call
// is placed. Lists hold the engine's strings ("registry:us-dnc",
// "us-federal@2026.07", "us-dnc@<snapshot id>", "<zone> <local time>");
// none may contain ';' (the stored separator).
struct DecisionReceipt {
  int64_t id = 0;  // assigned by the store
  std::string tenant;
  std::string campaign;  // campaign name within the tenant
  int64_t lead_id = 0;   // 0: a number that is not a stored lead
  uint64_t phone = 0;    // E.164 digits; 0: the number did not normalize
  Instant decided_at{};  // the instant the decision is for
  std::string verdict;   // "callable", "not_now" or "blocked"
  std::vector<std::string> reasons;
  std::optional<Instant> next_allowed_at;
  std::vector<std::string> rule_packs;
  std::vector<std::string> registry_snapshots;
  std::vector<std::string> local_times;
  Instant recorded_at{};  // stamped by the store
};

// How durable a write is when the call returns.
enum class Durability : uint8_t {
  kSynced,    // on stable storage (SQLite synchronous=FULL for the commit;
              // PostgreSQL synchronous_commit=on)
  kBuffered,  // committed and visible, synced shortly after: a power loss
              // may lose the last ones, never half of one (SQLite WAL
              // synchronous=NORMAL; PostgreSQL synchronous_commit=off)
};

struct ReceiptFilter {
  std::optional<std::string> tenant;
  std::optional<std::string> campaign;
  std::optional<int64_t> lead_id;
  std::optional<uint64_t> phone;
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
  // The Lead passed to the sink is reused for the next one: copy what you
  // keep. PostgreSQL streams one COPY statement (the tenant and list names
  // are resolved to lists when the scan starts) and cancels it on a stop,
  // except inside an open import's transaction, where the rest is received
  // and dropped; either way the Store is ready for the next call when
  // scan_leads returns. The sink must not call this Store.
  virtual Status scan_leads(const LeadFilter& filter,
                            const std::function<bool(const Lead&)>& sink) = 0;

  // Stores lead scores (score apply --list), all or none, in one
  // transaction: leads.score, and the score of the lead's rows in
  // campaign_leads, which the hopper orders by (CampaignStore::lease).
  // Fails, changing nothing, with "no_such_lead" when an id is not a
  // stored lead, and "invalid_argument" when a score is not finite or an
  // id is given twice. Returns the number of leads updated. The scores go
  // to a temporary table (SQLite: prepared inserts; PostgreSQL: binary
  // COPY), then one UPDATE ... FROM per table.
  virtual Result<int64_t> set_lead_scores(std::span<const LeadScore> scores) = 0;

  // --- registry provenance ---

  // Records a snapshot installed in the registry folder and makes it the
  // registry's current version (the previous one stays, no longer
  // current), in one transaction. Needs a name, a "YYYY-MM-DD" as_of and a
  // snapshot id ("invalid_argument"). Returns the row as stored.
  virtual Result<RegistryLoad> record_registry_load(const RegistryLoad& load) = 0;
  // The registry was dropped from the folder: its current version is no
  // longer current and is stamped dropped_at = now. False when the
  // registry had no current version.
  virtual Result<bool> record_registry_drop(const std::string& name) = 0;
  // Every recorded load, oldest first: all registries, or one.
  virtual Result<std::vector<RegistryLoad>> registry_loads(
      const std::optional<std::string>& name) = 0;
  virtual Result<std::optional<RegistryLoad>> current_registry_load(const std::string& name) = 0;

  // --- internal do-not-call lists (per tenant) ---

  // Puts numbers on the tenant's list (creating the tenant), all or none,
  // in one transaction synced to stable storage before this returns
  // (SQLite: synchronous=FULL for the commit, which WAL's NORMAL would not
  // sync; PostgreSQL: synchronous_commit=on). A number already on the list
  // keeps its entry. A phone that is not 1 to 15 digits fails with
  // "invalid_argument" and adds nothing.
  virtual Result<DncAddResult> add_dnc(const std::string& tenant,
                                       std::span<const DncAdd> entries) = 0;
  // Takes a number off the list: the entry is kept, stamped with now and
  // `reason` (required: "invalid_argument"), synced as add_dnc. Fails with
  // "not_on_list" when the number is not on the tenant's list.
  virtual Result<DncEntry> remove_dnc(const std::string& tenant, uint64_t phone,
                                      const std::string& reason) = 0;
  // The number's entries on the tenant's list, newest first (the active
  // one, if any, then removed ones).
  virtual Result<std::vector<DncEntry>> dnc_history(const std::string& tenant,
                                                    uint64_t phone) = 0;
  // Streams the numbers on the list (no removed ones) in no set order,
  // without materializing the list; the sink must not call this Store. An
  // unknown tenant has an empty list.
  virtual Status dnc_phones(const std::string& tenant,
                            const std::function<void(uint64_t)>& sink) = 0;
  // Streams entries in phone order (then newest first), optionally with
  // the removed ones; the sink returns false to stop and must not call
  // this Store.
  virtual Status scan_dnc(const std::string& tenant, bool include_removed,
                          const std::function<bool(const DncEntry&)>& sink) = 0;
  virtual Result<int64_t> count_dnc(const std::string& tenant) = 0;  // on the list now

  // --- campaigns ---

  // Creates the campaign (tenant, name), creating the tenant, or replaces
  // its definition (created_at kept, updated_at = now).
  virtual Result<CampaignRecord> put_campaign(const std::string& tenant, const std::string& name,
                                              const std::string& definition) = 0;
  virtual Result<std::optional<CampaignRecord>> find_campaign(const std::string& tenant,
                                                              const std::string& name) = 0;
  // Every campaign, by tenant name then campaign name.
  virtual Result<std::vector<CampaignRecord>> campaigns() = 0;

  // --- decision receipts ---

  // Records receipts (creating their tenants) in one transaction: synced
  // as add_dnc (a dialer writes the receipt of a real call before it
  // dials), or buffered (refusals, simulated calls). Returns their ids in
  // order. "invalid_argument" for a bad verdict, phone or list item.
  virtual Result<std::vector<int64_t>> record_receipts(std::span<const DecisionReceipt> receipts,
                                                       Durability durability) = 0;
  // Matching receipts, oldest first.
  virtual Result<std::vector<DecisionReceipt>> receipts(const ReceiptFilter& filter) = 0;
};

}  // namespace telemark::store
