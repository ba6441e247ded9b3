// The SQLite backend: one file in WAL mode, one connection per Store,
// statements prepared once per connection and cached by their SQL text.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <unordered_map>
#include <utility>

#include "store/internal.h"

namespace telemark::store::internal {
namespace {

// 64 MiB of page cache while importing keeps the UNIQUE(list_id, phone)
// index of a multi-million-row list in memory (pages of the default 2 MiB
// cache would be spilled and re-read for every random phone).
constexpr int kImportCacheKiB = 64 * 1024;
constexpr int kBusyTimeoutMs = 5000;

class Db;

// A prepared statement borrowed from the connection's cache (reset when
// released, so it never holds a read snapshot) or, when the cached one is
// in use further up the stack, a private one finalized when released.
class Stmt {
 public:
  Stmt(sqlite3_stmt* s, bool owned) : s_(s), owned_(owned) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)), owned_(o.owned_) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt() {
    if (!s_) return;
    if (owned_) {
      sqlite3_finalize(s_);
    } else {
      sqlite3_reset(s_);
      sqlite3_clear_bindings(s_);
    }
  }

  sqlite3_stmt* get() const { return s_; }
  int step() { return sqlite3_step(s_); }
  void reset() { sqlite3_reset(s_); }

  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind_null(int i) { sqlite3_bind_null(s_, i); }
  // The caller keeps `v` alive until the statement is stepped and reset,
  // so SQLite need not copy it.
  void bind_text(int i, std::string_view v) {
    if (v.empty()) {
      sqlite3_bind_null(s_, i);
    } else {
      sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
  }
  void bind_required_text(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void bind_time(int i, Instant t) { bind(i, floor_seconds(t)); }
  void bind_time(int i, const std::optional<Instant>& t) {
    if (t) {
      bind_time(i, *t);
    } else {
      bind_null(i);
    }
  }

  int64_t int64(int col) const { return sqlite3_column_int64(s_, col); }
  bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  // Into `out`, reusing its buffer (a scan reads every lead into one Lead).
  void text_into(int col, std::string& out) const {
    const auto* p = sqlite3_column_text(s_, col);
    if (!p) {
      out.clear();
      return;
    }
    out.assign(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  std::optional<Instant> time(int col) const {
    if (is_null(col)) return std::nullopt;
    return seconds_to_instant(int64(col));
  }

 private:
  sqlite3_stmt* s_;
  bool owned_;
};

class Db {
 public:
  Db(sqlite3* h, std::string path) : h_(h), path_(std::move(path)) {}
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db() {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(h_);
  }

  sqlite3* h() const { return h_; }
  const std::string& path() const { return path_; }

  Error error(std::string_view op, std::string code = "store_error") const {
    return make_error(std::move(code),
                      "SQLite " + path_ + ": " + std::string(op) + ": " + sqlite3_errmsg(h_));
  }

  Status exec(const std::string& sql, std::string_view op) {
    char* msg = nullptr;
    if (sqlite3_exec(h_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string text = msg ? msg : sqlite3_errmsg(h_);
    sqlite3_free(msg);
    return make_error("store_error", "SQLite " + path_ + ": " + std::string(op) + ": " + text);
  }

  Result<Stmt> prepare(const std::string& sql, std::string_view op) {
    auto it = cache_.find(sql);
    if (it != cache_.end() && !sqlite3_stmt_busy(it->second)) return Stmt(it->second, false);
    sqlite3_stmt* s = nullptr;
    bool cache = it == cache_.end();
    int rc = sqlite3_prepare_v3(h_, sql.c_str(), static_cast<int>(sql.size()),
                                cache ? SQLITE_PREPARE_PERSISTENT : 0, &s, nullptr);
    if (rc != SQLITE_OK) return error(op);
    if (!cache) return Stmt(s, true);
    cache_.emplace(sql, s);
    return Stmt(s, false);
  }

  // One value from a statement without parameters.
  Result<int64_t> query_int(const std::string& sql, std::string_view op) {
    auto st = prepare(sql, op);
    if (!st) return st.error();
    if (st->step() != SQLITE_ROW) return error(op);
    return st->int64(0);
  }

  bool importing = false;

 private:
  sqlite3* h_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

constexpr const char* kInsertLead =
    "INSERT INTO leads (list_id, phone, phone_raw, extension, number_type, time_zones, "
    "first_name, last_name, email, address, city, region, postal_code, country, attributes, "
    "consent_at, consent_revoked_at, last_purchase_at, last_inquiry_at, contract_active, "
    "contract_ended_at, score, source_line, import_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
    "?25)";

constexpr const char* kLeadColumns =
    "l.id, l.list_id, l.phone, l.phone_raw, l.extension, l.number_type, l.time_zones, "
    "l.first_name, l.last_name, l.email, l.address, l.city, l.region, l.postal_code, l.country, "
    "l.attributes, l.consent_at, l.consent_revoked_at, l.last_purchase_at, l.last_inquiry_at, "
    "l.contract_active, l.contract_ended_at, l.score, l.source_line, l.import_id";

// Every field is assigned, so one Lead can take row after row: its
// strings keep their buffers and a scan allocates nothing per lead.
void read_lead_into(const Stmt& st, Lead& l) {
  l.id = st.int64(0);
  l.list_id = st.int64(1);
  l.phone = static_cast<uint64_t>(st.int64(2));
  st.text_into(3, l.phone_raw);
  st.text_into(4, l.extension);
  st.text_into(5, l.number_type);
  st.text_into(6, l.time_zones);
  st.text_into(7, l.first_name);
  st.text_into(8, l.last_name);
  st.text_into(9, l.email);
  st.text_into(10, l.address);
  st.text_into(11, l.city);
  st.text_into(12, l.region);
  st.text_into(13, l.postal_code);
  st.text_into(14, l.country);
  st.text_into(15, l.attributes_json);
  l.facts.consent_at = st.time(16);
  l.facts.consent_revoked_at = st.time(17);
  l.facts.last_purchase_at = st.time(18);
  l.facts.last_inquiry_at = st.time(19);
  l.facts.contract_active = st.int64(20) != 0;
  l.facts.contract_ended_at = st.time(21);
  l.score.reset();
  if (!st.is_null(22)) l.score = sqlite3_column_double(st.get(), 22);
  l.source_line = static_cast<uint64_t>(st.int64(23));
  l.import_id = st.int64(24);
}

Lead read_lead(const Stmt& st) {
  Lead l;
  read_lead_into(st, l);
  return l;
}

ImportRun read_run(const Stmt& st) {
  ImportRun r;
  r.id = st.int64(0);
  r.list_id = st.int64(1);
  r.file_name = st.text(2);
  r.file_sha256 = st.text(3);
  r.rows = st.int64(4);
  r.imported = st.int64(5);
  r.duplicates = st.int64(6);
  r.rejected = st.int64(7);
  r.started_at = seconds_to_instant(st.int64(8));
  r.finished_at = seconds_to_instant(st.int64(9));
  return r;
}

class SqliteWriter final : public LeadWriter {
 public:
  SqliteWriter(std::shared_ptr<Db> db, ImportRun run, int64_t saved_cache_size, const Clock& clock)
      : db_(std::move(db)),
        run_(std::move(run)),
        saved_cache_size_(saved_cache_size),
        clock_(clock) {
    db_->importing = true;
  }
  ~SqliteWriter() override {
    if (state_ == State::kOpen) rollback();
  }

  Status append(std::span<const Lead> leads) override {
    if (auto s = check_open(); !s) return s;
    auto st = db_->prepare(kInsertLead, "prepare the lead insert");
    if (!st) return fail(st.error());
    const int64_t created_at = floor_seconds(run_.started_at);
    for (const Lead& lead : leads) {
      if (!valid_phone(lead.phone))
        return fail(make_error("invalid_lead", "SQLite " + db_->path() + ": lead on line " +
                                                   std::to_string(lead.source_line) + ": phone " +
                                                   std::to_string(lead.phone) +
                                                   " is not an E.164 number (1 to 15 digits)"));
      st->bind(1, run_.list_id);
      st->bind(2, static_cast<int64_t>(lead.phone));
      st->bind_required_text(3, lead.phone_raw);
      st->bind_text(4, lead.extension);
      st->bind_text(5, lead.number_type);
      st->bind_text(6, lead.time_zones);
      st->bind_text(7, lead.first_name);
      st->bind_text(8, lead.last_name);
      st->bind_text(9, lead.email);
      st->bind_text(10, lead.address);
      st->bind_text(11, lead.city);
      st->bind_text(12, lead.region);
      st->bind_text(13, lead.postal_code);
      st->bind_text(14, lead.country);
      st->bind_required_text(
          15, lead.attributes_json.empty() ? std::string_view("{}") : lead.attributes_json);
      st->bind_time(16, lead.facts.consent_at);
      st->bind_time(17, lead.facts.consent_revoked_at);
      st->bind_time(18, lead.facts.last_purchase_at);
      st->bind_time(19, lead.facts.last_inquiry_at);
      st->bind(20, lead.facts.contract_active ? 1 : 0);
      st->bind_time(21, lead.facts.contract_ended_at);
      if (lead.score) {
        sqlite3_bind_double(st->get(), 22, *lead.score);
      } else {
        st->bind_null(22);
      }
      st->bind(23, static_cast<int64_t>(lead.source_line));
      st->bind(24, run_.id);
      st->bind(25, created_at);
      int rc = st->step();
      if (rc != SQLITE_DONE) {
        int ext = sqlite3_extended_errcode(db_->h());
        std::string what = "lead on line " + std::to_string(lead.source_line) + " (phone " +
                           std::to_string(lead.phone) + ")";
        std::string code = "store_error";
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
          code = "duplicate_lead";
          what += " is already in list " + std::to_string(run_.list_id);
        } else if (ext == SQLITE_CONSTRAINT_CHECK) {
          code = "invalid_lead";
          what += " has attributes that are not valid JSON";
        }
        Error e = db_->error(what, code);
        st->reset();
        return fail(std::move(e));
      }
      st->reset();
    }
    return {};
  }

  Result<ImportRun> commit(const ImportRun& counts) override {
    if (auto s = check_open(); !s) return s.error();
    ImportRun done = run_;
    if (!counts.file_name.empty()) done.file_name = counts.file_name;
    if (!counts.file_sha256.empty()) done.file_sha256 = counts.file_sha256;
    done.rows = counts.rows;
    done.imported = counts.imported;
    done.duplicates = counts.duplicates;
    done.rejected = counts.rejected;
    done.finished_at = truncate_to_seconds(or_now(counts.finished_at, clock()));
    {
      auto st = db_->prepare(
          "UPDATE import_runs SET file_name = ?1, file_sha256 = ?2, rows = ?3, imported = ?4, "
          "duplicates = ?5, rejected = ?6, finished_at = ?7 WHERE id = ?8",
          "record the import run");
      if (!st) return fail(st.error()).error();
      st->bind_required_text(1, done.file_name);
      st->bind_required_text(2, done.file_sha256);
      st->bind(3, done.rows);
      st->bind(4, done.imported);
      st->bind(5, done.duplicates);
      st->bind(6, done.rejected);
      st->bind_time(7, done.finished_at);
      st->bind(8, done.id);
      if (st->step() != SQLITE_DONE) return fail(db_->error("record the import run")).error();
    }
    if (auto s = db_->exec("COMMIT", "commit the import"); !s) return fail(s.error()).error();
    state_ = State::kCommitted;
    finish();
    return done;
  }

  int64_t list_id() const override { return run_.list_id; }

  void rollback() override {
    if (state_ != State::kOpen) return;
    state_ = State::kRolledBack;
    (void)db_->exec("ROLLBACK", "roll back the import");
    finish();
  }

 private:
  enum class State : uint8_t { kOpen, kCommitted, kRolledBack, kFailed };

  const Clock& clock() const { return clock_; }

  Status check_open() const {
    if (state_ == State::kOpen) return {};
    const char* why = state_ == State::kCommitted    ? "was committed"
                      : state_ == State::kRolledBack ? "was rolled back"
                                                     : "failed and was rolled back";
    return make_error("import_closed", "SQLite " + db_->path() + ": the import into list " +
                                           std::to_string(run_.list_id) + " " + why);
  }

  // A failed statement leaves the transaction in doubt: give it up whole.
  Status fail(Error e) {
    state_ = State::kFailed;
    (void)db_->exec("ROLLBACK", "roll back the import");
    finish();
    e.message += "; the import was rolled back";
    return e;
  }

  void finish() {
    db_->importing = false;
    (void)db_->exec("PRAGMA cache_size = " + std::to_string(saved_cache_size_),
                    "restore the page cache size");
  }

  std::shared_ptr<Db> db_;
  ImportRun run_;
  int64_t saved_cache_size_;
  const Clock& clock_;
  State state_ = State::kOpen;
};

class SqliteMigrationTarget final : public MigrationTarget {
 public:
  SqliteMigrationTarget(Db& db, const Clock& clock) : db_(db), clock_(clock) {}

  Status begin() override {
    // IMMEDIATE takes the write lock now, so two migrators run one after
    // the other instead of both reading version 0.
    if (auto s = db_.exec("BEGIN IMMEDIATE", "start the migration"); !s) return s;
    return db_.exec(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, applied_at INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS "
        "INTEGER)))",
        "create schema_version");
  }
  Result<int64_t> current_version() override {
    return db_.query_int("SELECT coalesce(max(version), 0) FROM schema_version",
                         "read the schema version");
  }
  Status apply(const Migration& m) override {
    if (auto s = db_.exec(std::string(m.sqlite_sql), "run the migration"); !s) return s;
    auto st =
        db_.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)",
                    "record the migration");
    if (!st) return st.error();
    st->bind(1, m.version);
    st->bind_required_text(2, m.name);
    st->bind_time(3, clock_.now());
    if (st->step() != SQLITE_DONE) return db_.error("record the migration");
    return {};
  }
  Status commit() override { return db_.exec("COMMIT", "commit the migration"); }
  void rollback() override { (void)db_.exec("ROLLBACK", "roll back the migration"); }
  std::string describe() const override { return "SQLite " + db_.path(); }

 private:
  Db& db_;
  const Clock& clock_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::shared_ptr<Db> db, const Clock& clock) : db_(std::move(db)), clock_(clock) {}

  std::string backend() const override { return "sqlite"; }
  std::string describe() const override { return db_->path(); }

  Status execute(const std::string& sql) override { return db_->exec(sql, "execute SQL"); }

  Status migrate() override {
    if (db_->importing) return import_in_progress("migrate");
    SqliteMigrationTarget target(*db_, clock_);
    return run_migrations(target);
  }

  Result<int64_t> schema_version() override {
    auto exists = db_->query_int(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        "read the schema version");
    if (!exists) return exists.error();
    if (*exists == 0) return int64_t{0};
    return db_->query_int("SELECT coalesce(max(version), 0) FROM schema_version",
                          "read the schema version");
  }

  Result<int64_t> ensure_tenant(const std::string& name) override {
    if (name.empty())
      return make_error("invalid_argument", "SQLite " + db_->path() + ": a tenant needs a name");
    return ensure_id(
        "SELECT id FROM tenants WHERE name = ?1",
        "INSERT INTO tenants (name, created_at) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO NOTHING",
        [&](Stmt& st) { st.bind_required_text(1, name); }, "ensure tenant '" + name + "'");
  }

  Result<int64_t> ensure_list(const std::string& tenant, const std::string& name) override {
    if (name.empty())
      return make_error("invalid_argument", "SQLite " + db_->path() + ": a list needs a name");
    auto tenant_id = ensure_tenant(tenant);
    if (!tenant_id) return tenant_id.error();
    int64_t tid = *tenant_id;
    return ensure_id(
        "SELECT id FROM lists WHERE tenant_id = ?1 AND name = ?2",
        "INSERT INTO lists (tenant_id, name, created_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (tenant_id, name) DO NOTHING",
        [&](Stmt& st) {
          st.bind(1, tid);
          st.bind_required_text(2, name);
        },
        "ensure list '" + name + "' of tenant '" + tenant + "'");
  }

  Result<std::optional<ListInfo>> find_list(const std::string& tenant,
                                            const std::string& name) override {
    auto found = query_lists(" WHERE t.name = ?1 AND li.name = ?2", &tenant, &name);
    if (!found) return found.error();
    if (found->empty()) return std::optional<ListInfo>();
    return std::optional<ListInfo>(std::move(found->front()));
  }

  Result<std::vector<ListInfo>> lists() override { return query_lists("", nullptr, nullptr); }

  Status list_phones(int64_t list_id, const std::function<void(uint64_t)>& sink) override {
    auto st = db_->prepare("SELECT phone FROM leads WHERE list_id = ?1", "read the list's phones");
    if (!st) return st.error();
    st->bind(1, list_id);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) sink(static_cast<uint64_t>(st->int64(0)));
    if (rc != SQLITE_DONE) return db_->error("read the phones of list " + std::to_string(list_id));
    return {};
  }

  Result<std::unique_ptr<LeadWriter>> begin_import(int64_t list_id, const ImportRun& run) override {
    if (db_->importing) return import_in_progress("begin an import");
    auto exists = list_exists(list_id);
    if (!exists) return exists.error();
    if (!*exists)
      return make_error("no_such_list",
                        "SQLite " + db_->path() + ": no list with id " + std::to_string(list_id));
    return start_import([list_id]() -> Result<int64_t> { return list_id; }, run);
  }

  Result<std::unique_ptr<LeadWriter>> begin_import(const std::string& tenant,
                                                   const std::string& list,
                                                   const ImportRun& run) override {
    if (db_->importing) return import_in_progress("begin an import");
    return start_import([&]() { return ensure_list(tenant, list); }, run);
  }

  // Opens the transaction, resolves the list inside it, records the run.
  Result<std::unique_ptr<LeadWriter>> start_import(const std::function<Result<int64_t>()>& resolve_list,
                                                   const ImportRun& run) {
    auto cache = db_->query_int("PRAGMA cache_size", "read the page cache size");
    if (!cache) return cache.error();
    if (auto s = db_->exec("PRAGMA cache_size = -" + std::to_string(kImportCacheKiB),
                           "enlarge the page cache");
        !s)
      return s.error();
    if (auto s = db_->exec("BEGIN IMMEDIATE", "start the import"); !s) return s.error();
    Error failed;
    auto list_id = resolve_list();
    if (list_id) {
      ImportRun started = run;
      started.list_id = *list_id;
      started.started_at = truncate_to_seconds(or_now(run.started_at, clock_));
      started.finished_at = Instant{};
      auto st = db_->prepare(
          "INSERT INTO import_runs (list_id, file_name, file_sha256, started_at) "
          "VALUES (?1, ?2, ?3, ?4)",
          "record the import run");
      if (st) {
        st->bind(1, *list_id);
        st->bind_required_text(2, started.file_name);
        st->bind_required_text(3, started.file_sha256);
        st->bind_time(4, started.started_at);
        if (st->step() == SQLITE_DONE) {
          started.id = sqlite3_last_insert_rowid(db_->h());
          return std::unique_ptr<LeadWriter>(
              std::make_unique<SqliteWriter>(db_, std::move(started), *cache, clock_));
        }
        failed = db_->error("record the import run");
      } else {
        failed = st.error();
      }
    } else {
      failed = list_id.error();
    }
    (void)db_->exec("ROLLBACK", "roll back the import");
    (void)db_->exec("PRAGMA cache_size = " + std::to_string(*cache), "restore the page cache");
    return failed;
  }

  Result<std::vector<ImportRun>> import_runs(int64_t list_id) override {
    auto st = db_->prepare(
        "SELECT id, list_id, file_name, file_sha256, rows, imported, duplicates, rejected, "
        "started_at, finished_at FROM import_runs WHERE list_id = ?1 AND finished_at IS NOT NULL "
        "ORDER BY id",
        "read the import runs");
    if (!st) return st.error();
    st->bind(1, list_id);
    std::vector<ImportRun> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back(read_run(*st));
    if (rc != SQLITE_DONE) return db_->error("read the import runs");
    return out;
  }

  Result<int64_t> count_leads(const LeadFilter& filter) override {
    FilterSql f = filter_sql(filter, '?');
    auto st = db_->prepare("SELECT count(*) FROM " + f.from + join_where(f.where), "count leads");
    if (!st) return st.error();
    bind_params(*st, f.params);
    if (st->step() != SQLITE_ROW) return db_->error("count leads");
    int64_t n = st->int64(0);
    if (filter.limit) n = std::min(n, std::max<int64_t>(*filter.limit, 0));
    return n;
  }

  Result<std::optional<Lead>> get_lead(int64_t id) override {
    auto st = db_->prepare(std::string("SELECT ") + kLeadColumns + " FROM leads l WHERE l.id = ?1",
                           "read a lead");
    if (!st) return st.error();
    st->bind(1, id);
    int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<Lead>();
    if (rc != SQLITE_ROW) return db_->error("read lead " + std::to_string(id));
    return std::optional<Lead>(read_lead(*st));
  }

  Status scan_leads(const LeadFilter& filter,
                    const std::function<bool(const Lead&)>& sink) override {
    if (filter.limit && *filter.limit <= 0) return {};
    FilterSql f = filter_sql(filter, '?');
    std::string sql = std::string("SELECT ") + kLeadColumns + " FROM " + f.from +
                      join_where(f.where) + " ORDER BY l.id";
    if (filter.limit) sql += " LIMIT " + placeholder('?', f.params.size() + 1);
    auto st = db_->prepare(sql, "scan leads");
    if (!st) return st.error();
    bind_params(*st, f.params);
    if (filter.limit) st->bind(static_cast<int>(f.params.size()) + 1, *filter.limit);
    int rc;
    Lead lead;
    while ((rc = st->step()) == SQLITE_ROW) {
      read_lead_into(*st, lead);
      if (!sink(lead)) return {};
    }
    if (rc != SQLITE_DONE) return db_->error("scan leads");
    return {};
  }

  Result<int64_t> set_lead_scores(std::span<const LeadScore> scores) override {
    const std::string op = "set lead scores";
    if (auto s = check_lead_scores(scores, "SQLite " + db_->path()); !s) return s.error();
    if (scores.empty()) return int64_t{0};
    // The new scores go to a temporary table keyed by lead, then one
    // UPDATE ... FROM per table: faster than an UPDATE per lead, and
    // campaign_leads, which has no index by lead alone, is read once.
    auto s = transact(op, false, [&]() -> Status {
      if (auto r = db_->exec("CREATE TEMP TABLE IF NOT EXISTS telemark_lead_scores "
                             "(lead_id INTEGER PRIMARY KEY, score REAL NOT NULL); "
                             "DELETE FROM temp.telemark_lead_scores",
                             op);
          !r)
        return r;
      {
        auto st = db_->prepare("INSERT INTO temp.telemark_lead_scores (lead_id, score) VALUES (?1, ?2)", op);
        if (!st) return st.error();
        for (const LeadScore& ls : scores) {
          st->bind(1, ls.lead_id);
          sqlite3_bind_double(st->get(), 2, ls.score);
          if (st->step() != SQLITE_DONE) return db_->error(op);
          st->reset();
        }
      }
      if (auto r = db_->exec("UPDATE leads SET score = t.score FROM temp.telemark_lead_scores t "
                             "WHERE leads.id = t.lead_id",
                             op);
          !r)
        return r;
      if (sqlite3_changes64(db_->h()) != static_cast<int64_t>(scores.size())) {
        auto missing = db_->query_int(
            "SELECT t.lead_id FROM temp.telemark_lead_scores t LEFT JOIN leads l ON l.id = t.lead_id "
            "WHERE l.id IS NULL ORDER BY t.lead_id LIMIT 1",
            op);
        if (!missing) return missing.error();
        return make_error("no_such_lead",
                          "SQLite " + db_->path() + ": " + op + ": no lead " + std::to_string(*missing));
      }
      return db_->exec("UPDATE campaign_leads SET score = t.score FROM temp.telemark_lead_scores t "
                       "WHERE campaign_leads.lead_id = t.lead_id; DELETE FROM temp.telemark_lead_scores",
                       op);
    });
    if (!s) return s.error();
    return static_cast<int64_t>(scores.size());
  }

  // --- registry provenance ---

  Result<RegistryLoad> record_registry_load(const RegistryLoad& load) override {
    if (auto s = check_registry_load(load, "SQLite " + db_->path()); !s) return s.error();
    int64_t id = 0;
    auto s = transact("record registry load '" + load.name + "'", false, [&]() -> Status {
      std::string op = "record registry load '" + load.name + "'";
      {
        auto st = db_->prepare(
            "UPDATE registry_loads SET is_current = 0 WHERE name = ?1 AND is_current = 1", op);
        if (!st) return st.error();
        st->bind_required_text(1, load.name);
        if (st->step() != SQLITE_DONE) return db_->error(op);
      }
      {
        auto st = db_->prepare(
            "INSERT INTO registry_loads (name, version, snapshot_id, kind, as_of, count, "
            "bad_lines, checksum, snapshot_path, loaded_at, is_current) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1)",
            op);
        if (!st) return st.error();
        st->bind_required_text(1, load.name);
        st->bind(2, load.version);
        st->bind_required_text(3, load.snapshot_id);
        st->bind_required_text(4, load.kind);
        st->bind_required_text(5, load.as_of);
        st->bind(6, load.count);
        st->bind(7, load.bad_lines);
        st->bind_required_text(8, load.checksum);
        st->bind_required_text(9, load.snapshot_path);
        st->bind_time(10, or_now(load.loaded_at, clock_));
        if (st->step() != SQLITE_DONE) return db_->error(op);
        id = sqlite3_last_insert_rowid(db_->h());
      }
      for (size_t i = 0; i < load.sources.size(); ++i) {
        const RegistrySourceFile& f = load.sources[i];
        auto st = db_->prepare(
            "INSERT INTO registry_load_sources (load_id, position, file_name, sha256, bytes, "
            "lines, bad_lines) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            op);
        if (!st) return st.error();
        st->bind(1, id);
        st->bind(2, static_cast<int64_t>(i));
        st->bind_required_text(3, f.file_name);
        st->bind_required_text(4, f.sha256);
        st->bind(5, f.bytes);
        st->bind(6, f.lines);
        st->bind(7, f.bad_lines);
        if (st->step() != SQLITE_DONE) return db_->error(op);
      }
      return {};
    });
    if (!s) return s.error();
    auto rows = read_registry_loads(" WHERE id = ?1", [&](Stmt& st) { st.bind(1, id); });
    if (!rows) return rows.error();
    if (rows->empty()) return db_->error("read back registry load " + std::to_string(id));
    return std::move(rows->front());
  }

  Result<bool> record_registry_drop(const std::string& name) override {
    int changed = 0;
    std::string op = "record the drop of registry '" + name + "'";
    auto s = transact(op, false, [&]() -> Status {
      auto st = db_->prepare(
          "UPDATE registry_loads SET is_current = 0, dropped_at = ?2 "
          "WHERE name = ?1 AND is_current = 1",
          op);
      if (!st) return st.error();
      st->bind_required_text(1, name);
      st->bind_time(2, clock_.now());
      if (st->step() != SQLITE_DONE) return db_->error(op);
      changed = sqlite3_changes(db_->h());
      return {};
    });
    if (!s) return s.error();
    return changed > 0;
  }

  Result<std::vector<RegistryLoad>> registry_loads(const std::optional<std::string>& name) override {
    if (!name) return read_registry_loads("", [](Stmt&) {});
    return read_registry_loads(" WHERE name = ?1",
                               [&](Stmt& st) { st.bind_required_text(1, *name); });
  }

  Result<std::optional<RegistryLoad>> current_registry_load(const std::string& name) override {
    auto rows = read_registry_loads(" WHERE name = ?1 AND is_current = 1",
                                    [&](Stmt& st) { st.bind_required_text(1, name); });
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<RegistryLoad>();
    return std::optional<RegistryLoad>(std::move(rows->front()));
  }

  // --- internal do-not-call lists ---

  Result<DncAddResult> add_dnc(const std::string& tenant, std::span<const DncAdd> entries) override {
    for (const DncAdd& e : entries)
      if (!valid_phone(e.phone))
        return make_error("invalid_argument", "SQLite " + db_->path() + ": phone " +
                                                  std::to_string(e.phone) +
                                                  " is not an E.164 number (1 to 15 digits); "
                                                  "nothing was added");
    DncAddResult result;
    std::string op = "add to the internal do-not-call list of tenant '" + tenant + "'";
    auto s = transact(op, true, [&]() -> Status {
      auto tenant_id = ensure_tenant(tenant);
      if (!tenant_id) return tenant_id.error();
      const int64_t now = floor_seconds(clock_.now());
      for (const DncAdd& e : entries) {
        auto st = db_->prepare(
            "INSERT INTO dnc_entries (tenant_id, phone, reason, source, added_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (tenant_id, phone) WHERE removed_at IS NULL DO NOTHING",
            op);
        if (!st) return st.error();
        st->bind(1, *tenant_id);
        st->bind(2, static_cast<int64_t>(e.phone));
        st->bind_text(3, e.reason);
        st->bind_text(4, e.source);
        st->bind(5, now);
        if (st->step() != SQLITE_DONE) return db_->error(op + " (" + plus_phone(e.phone) + ")");
        if (sqlite3_changes(db_->h()) > 0) {
          ++result.added;
        } else {
          ++result.already;
        }
      }
      return {};
    });
    if (!s) return s.error();
    return result;
  }

  Result<DncEntry> remove_dnc(const std::string& tenant, uint64_t phone,
                              const std::string& reason) override {
    if (reason.empty())
      return make_error("invalid_argument",
                        "SQLite " + db_->path() + ": removing " + plus_phone(phone) +
                            " from an internal do-not-call list needs a reason");
    int64_t id = 0;
    std::string op = "remove " + plus_phone(phone) + " from the internal do-not-call list of tenant '" +
                     tenant + "'";
    auto s = transact(op, true, [&]() -> Status {
      auto st = db_->prepare(
          "UPDATE dnc_entries SET removed_at = ?3, removed_reason = ?4 "
          "WHERE tenant_id = (SELECT id FROM tenants WHERE name = ?1) AND phone = ?2 "
          "AND removed_at IS NULL RETURNING id",
          op);
      if (!st) return st.error();
      st->bind_required_text(1, tenant);
      st->bind(2, static_cast<int64_t>(phone));
      st->bind_time(3, clock_.now());
      st->bind_required_text(4, reason);
      int rc = st->step();
      if (rc == SQLITE_ROW) {
        id = st->int64(0);
        rc = st->step();
      }
      if (rc != SQLITE_DONE) return db_->error(op);
      if (id == 0)
        return make_error("not_on_list", "SQLite " + db_->path() + ": " + plus_phone(phone) +
                                             " is not on the internal do-not-call list of tenant '" +
                                             tenant + "'");
      return {};
    });
    if (!s) return s.error();
    auto rows = read_dnc(" WHERE d.id = ?1", "", [&](Stmt& st) { st.bind(1, id); });
    if (!rows) return rows.error();
    if (rows->empty()) return db_->error("read back do-not-call entry " + std::to_string(id));
    return std::move(rows->front());
  }

  Result<std::vector<DncEntry>> dnc_history(const std::string& tenant, uint64_t phone) override {
    return read_dnc(" WHERE t.name = ?1 AND d.phone = ?2", " ORDER BY d.id DESC", [&](Stmt& st) {
      st.bind_required_text(1, tenant);
      st.bind(2, static_cast<int64_t>(phone));
    });
  }

  Status dnc_phones(const std::string& tenant, const std::function<void(uint64_t)>& sink) override {
    auto st = db_->prepare(
        "SELECT phone FROM dnc_entries WHERE tenant_id = (SELECT id FROM tenants WHERE name = ?1) "
        "AND removed_at IS NULL",
        "read the internal do-not-call list");
    if (!st) return st.error();
    st->bind_required_text(1, tenant);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) sink(static_cast<uint64_t>(st->int64(0)));
    if (rc != SQLITE_DONE)
      return db_->error("read the internal do-not-call list of tenant '" + tenant + "'");
    return {};
  }

  Status scan_dnc(const std::string& tenant, bool include_removed,
                  const std::function<bool(const DncEntry&)>& sink) override {
    std::string sql = std::string("SELECT ") + kDncColumns +
                      " FROM dnc_entries d JOIN tenants t ON t.id = d.tenant_id WHERE t.name = ?1" +
                      (include_removed ? "" : " AND d.removed_at IS NULL") +
                      " ORDER BY d.phone, d.id DESC";
    auto st = db_->prepare(sql, "scan the internal do-not-call list");
    if (!st) return st.error();
    st->bind_required_text(1, tenant);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      if (!sink(read_dnc_entry(*st))) return {};
    }
    if (rc != SQLITE_DONE)
      return db_->error("scan the internal do-not-call list of tenant '" + tenant + "'");
    return {};
  }

  Result<int64_t> count_dnc(const std::string& tenant) override {
    auto st = db_->prepare(
        "SELECT count(*) FROM dnc_entries WHERE tenant_id = (SELECT id FROM tenants WHERE name = "
        "?1) AND removed_at IS NULL",
        "count the internal do-not-call list");
    if (!st) return st.error();
    st->bind_required_text(1, tenant);
    if (st->step() != SQLITE_ROW)
      return db_->error("count the internal do-not-call list of tenant '" + tenant + "'");
    return st->int64(0);
  }

  // --- campaigns ---

  Result<CampaignRecord> put_campaign(const std::string& tenant, const std::string& name,
                                      const std::string& definition) override {
    if (name.empty() || definition.empty())
      return make_error("invalid_argument",
                        "SQLite " + db_->path() + ": a campaign needs a name and a definition");
    std::string op = "store campaign '" + name + "' of tenant '" + tenant + "'";
    auto s = transact(op, false, [&]() -> Status {
      auto tenant_id = ensure_tenant(tenant);
      if (!tenant_id) return tenant_id.error();
      auto st = db_->prepare(
          "INSERT INTO campaigns (tenant_id, name, definition, created_at, updated_at) "
          "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (tenant_id, name) DO UPDATE SET "
          "definition = excluded.definition, updated_at = excluded.updated_at",
          op);
      if (!st) return st.error();
      st->bind(1, *tenant_id);
      st->bind_required_text(2, name);
      st->bind_required_text(3, definition);
      st->bind_time(4, clock_.now());
      if (st->step() != SQLITE_DONE) return db_->error(op);
      return {};
    });
    if (!s) return s.error();
    auto found = find_campaign(tenant, name);
    if (!found) return found.error();
    if (!found->has_value()) return db_->error("read back " + op);
    return std::move(**found);
  }

  Result<std::optional<CampaignRecord>> find_campaign(const std::string& tenant,
                                                      const std::string& name) override {
    auto rows = read_campaigns(" WHERE t.name = ?1 AND c.name = ?2", [&](Stmt& st) {
      st.bind_required_text(1, tenant);
      st.bind_required_text(2, name);
    });
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<CampaignRecord>();
    return std::optional<CampaignRecord>(std::move(rows->front()));
  }

  Result<std::vector<CampaignRecord>> campaigns() override {
    return read_campaigns("", [](Stmt&) {});
  }

  // --- decision receipts ---

  Result<std::vector<int64_t>> record_receipts(std::span<const DecisionReceipt> receipts,
                                               Durability durability) override {
    for (size_t i = 0; i < receipts.size(); ++i)
      if (auto s = check_receipt(receipts[i], i, "SQLite " + db_->path()); !s) return s.error();
    std::vector<int64_t> ids;
    std::string op = "record decision receipts";
    auto s = transact(op, durability == Durability::kSynced, [&]() -> Status {
      std::unordered_map<std::string, int64_t> tenants;
      const Instant now = clock_.now();
      for (const DecisionReceipt& r : receipts) {
        auto it = tenants.find(r.tenant);
        if (it == tenants.end()) {
          auto tenant_id = ensure_tenant(r.tenant);
          if (!tenant_id) return tenant_id.error();
          it = tenants.emplace(r.tenant, *tenant_id).first;
        }
        auto st = db_->prepare(
            "INSERT INTO decision_receipts (tenant_id, campaign, lead_id, phone, decided_at, "
            "verdict, reasons, next_allowed_at, rule_packs, registry_snapshots, local_times, "
            "recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            op);
        if (!st) return st.error();
        std::string reasons = join_list(r.reasons), packs = join_list(r.rule_packs),
                    snapshots = join_list(r.registry_snapshots), local = join_list(r.local_times);
        st->bind(1, it->second);
        st->bind_required_text(2, r.campaign);
        if (r.lead_id != 0) {
          st->bind(3, r.lead_id);
        } else {
          st->bind_null(3);
        }
        st->bind(4, static_cast<int64_t>(r.phone));
        st->bind_time(5, r.decided_at);
        st->bind_required_text(6, r.verdict);
        st->bind_required_text(7, reasons);
        st->bind_time(8, r.next_allowed_at);
        st->bind_required_text(9, packs);
        st->bind_required_text(10, snapshots);
        st->bind_required_text(11, local);
        st->bind_time(12, now);
        if (st->step() != SQLITE_DONE) return db_->error(op);
        ids.push_back(sqlite3_last_insert_rowid(db_->h()));
      }
      return {};
    });
    if (!s) return s.error();
    return ids;
  }

  Result<std::vector<DecisionReceipt>> receipts(const ReceiptFilter& filter) override {
    std::vector<std::string> where;
    int n = 0;
    auto next = [&]() { return placeholder('?', static_cast<size_t>(++n)); };
    if (filter.tenant) where.push_back("t.name = " + next());
    if (filter.campaign) where.push_back("r.campaign = " + next());
    if (filter.lead_id) where.push_back("r.lead_id = " + next());
    if (filter.phone) where.push_back("r.phone = " + next());
    std::string sql =
        "SELECT r.id, t.name, r.campaign, r.lead_id, r.phone, r.decided_at, r.verdict, r.reasons, "
        "r.next_allowed_at, r.rule_packs, r.registry_snapshots, r.local_times, r.recorded_at "
        "FROM decision_receipts r JOIN tenants t ON t.id = r.tenant_id" +
        join_where(where) + " ORDER BY r.id";
    if (filter.limit) sql += " LIMIT " + next();
    auto st = db_->prepare(sql, "read decision receipts");
    if (!st) return st.error();
    int i = 0;
    if (filter.tenant) st->bind_required_text(++i, *filter.tenant);
    if (filter.campaign) st->bind_required_text(++i, *filter.campaign);
    if (filter.lead_id) st->bind(++i, *filter.lead_id);
    if (filter.phone) st->bind(++i, static_cast<int64_t>(*filter.phone));
    if (filter.limit) st->bind(++i, std::max<int64_t>(*filter.limit, 0));
    std::vector<DecisionReceipt> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      DecisionReceipt r;
      r.id = st->int64(0);
      r.tenant = st->text(1);
      r.campaign = st->text(2);
      r.lead_id = st->int64(3);
      r.phone = static_cast<uint64_t>(st->int64(4));
      r.decided_at = seconds_to_instant(st->int64(5));
      r.verdict = st->text(6);
      r.reasons = split_list(st->text(7));
      r.next_allowed_at = st->time(8);
      r.rule_packs = split_list(st->text(9));
      r.registry_snapshots = split_list(st->text(10));
      r.local_times = split_list(st->text(11));
      r.recorded_at = seconds_to_instant(st->int64(12));
      out.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return db_->error("read decision receipts");
    return out;
  }

 private:
  static constexpr const char* kDncColumns =
      "d.id, t.name, d.phone, d.reason, d.source, d.added_at, d.removed_at, d.removed_reason";

  static DncEntry read_dnc_entry(const Stmt& st) {
    DncEntry e;
    e.id = st.int64(0);
    e.tenant = st.text(1);
    e.phone = static_cast<uint64_t>(st.int64(2));
    e.reason = st.text(3);
    e.source = st.text(4);
    e.added_at = seconds_to_instant(st.int64(5));
    e.removed_at = st.time(6);
    e.removed_reason = st.text(7);
    return e;
  }

  template <class Bind>
  Result<std::vector<DncEntry>> read_dnc(const std::string& where, const std::string& order,
                                         Bind bind) {
    auto st = db_->prepare(std::string("SELECT ") + kDncColumns +
                               " FROM dnc_entries d JOIN tenants t ON t.id = d.tenant_id" + where +
                               order,
                           "read internal do-not-call entries");
    if (!st) return st.error();
    bind(*st);
    std::vector<DncEntry> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back(read_dnc_entry(*st));
    if (rc != SQLITE_DONE) return db_->error("read internal do-not-call entries");
    return out;
  }

  template <class Bind>
  Result<std::vector<CampaignRecord>> read_campaigns(const std::string& where, Bind bind) {
    auto st = db_->prepare(
        "SELECT c.id, t.name, c.name, c.definition, c.created_at, c.updated_at FROM campaigns c "
        "JOIN tenants t ON t.id = c.tenant_id" +
            where + " ORDER BY t.name, c.name",
        "read campaigns");
    if (!st) return st.error();
    bind(*st);
    std::vector<CampaignRecord> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      CampaignRecord c;
      c.id = st->int64(0);
      c.tenant = st->text(1);
      c.name = st->text(2);
      c.definition = st->text(3);
      c.created_at = seconds_to_instant(st->int64(4));
      c.updated_at = seconds_to_instant(st->int64(5));
      out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) return db_->error("read campaigns");
    return out;
  }

  template <class Bind>
  Result<std::vector<RegistryLoad>> read_registry_loads(const std::string& where, Bind bind) {
    std::vector<RegistryLoad> out;
    {
      auto st = db_->prepare(
          "SELECT id, name, version, snapshot_id, kind, as_of, count, bad_lines, checksum, "
          "snapshot_path, loaded_at, is_current, dropped_at FROM registry_loads" +
              where + " ORDER BY id",
          "read registry loads");
      if (!st) return st.error();
      bind(*st);
      int rc;
      while ((rc = st->step()) == SQLITE_ROW) {
        RegistryLoad l;
        l.id = st->int64(0);
        l.name = st->text(1);
        l.version = st->int64(2);
        l.snapshot_id = st->text(3);
        l.kind = st->text(4);
        l.as_of = st->text(5);
        l.count = st->int64(6);
        l.bad_lines = st->int64(7);
        l.checksum = st->text(8);
        l.snapshot_path = st->text(9);
        l.loaded_at = seconds_to_instant(st->int64(10));
        l.current = st->int64(11) != 0;
        l.dropped_at = st->time(12);
        out.push_back(std::move(l));
      }
      if (rc != SQLITE_DONE) return db_->error("read registry loads");
    }
    for (RegistryLoad& l : out) {
      auto st = db_->prepare(
          "SELECT file_name, sha256, bytes, lines, bad_lines FROM registry_load_sources "
          "WHERE load_id = ?1 ORDER BY position",
          "read registry load sources");
      if (!st) return st.error();
      st->bind(1, l.id);
      int rc;
      while ((rc = st->step()) == SQLITE_ROW)
        l.sources.push_back({st->text(0), st->text(1), st->int64(2), st->int64(3), st->int64(4)});
      if (rc != SQLITE_DONE) return db_->error("read registry load sources");
    }
    return out;
  }

  // Runs `body` in its own write transaction. `durable`: the commit is
  // synced to stable storage (synchronous=FULL, which SQLite lets a
  // connection change only outside a transaction) before this returns.
  Status transact(const std::string& op, bool durable, const std::function<Status()>& body) {
    if (db_->importing) return import_in_progress(op);
    if (durable) {
      if (auto s = db_->exec("PRAGMA synchronous = FULL", "sync commits fully"); !s) return s;
    }
    Status result = db_->exec("BEGIN IMMEDIATE", op);
    if (result) {
      result = body();
      if (result) result = db_->exec("COMMIT", op);
      if (sqlite3_get_autocommit(db_->h()) == 0) (void)db_->exec("ROLLBACK", op);
    }
    if (durable) {
      if (auto s = db_->exec("PRAGMA synchronous = NORMAL", "restore synchronous = NORMAL");
          !s && result)
        result = s;
    }
    return result;
  }

  Error import_in_progress(std::string_view what) const {
    return make_error("import_in_progress", "SQLite " + db_->path() + ": cannot " +
                                                std::string(what) +
                                                " while an import is open on this connection");
  }

  static void bind_params(Stmt& st, const std::vector<std::string>& params) {
    for (size_t i = 0; i < params.size(); ++i)
      st.bind_required_text(static_cast<int>(i) + 1, params[i]);
  }

  Result<bool> list_exists(int64_t list_id) {
    auto st = db_->prepare("SELECT 1 FROM lists WHERE id = ?1", "find the list");
    if (!st) return st.error();
    st->bind(1, list_id);
    int rc = st->step();
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return db_->error("find list " + std::to_string(list_id));
  }

  // Looks up an id, inserting the row when missing (the insert binds the
  // same leading parameters plus created_at as its last one).
  template <class Bind>
  Result<int64_t> ensure_id(const std::string& select, const std::string& insert, Bind bind,
                            const std::string& op) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      {
        auto st = db_->prepare(select, op);
        if (!st) return st.error();
        bind(*st);
        int rc = st->step();
        if (rc == SQLITE_ROW) return st->int64(0);
        if (rc != SQLITE_DONE) return db_->error(op);
      }
      if (attempt == 1) break;
      auto st = db_->prepare(insert, op);
      if (!st) return st.error();
      bind(*st);
      st->bind_time(sqlite3_bind_parameter_count(st->get()), clock_.now());
      if (st->step() != SQLITE_DONE) return db_->error(op);
    }
    return make_error("store_error", "SQLite " + db_->path() + ": " + op + ": row vanished");
  }

  Result<std::vector<ListInfo>> query_lists(const std::string& where, const std::string* tenant,
                                            const std::string* name) {
    auto st = db_->prepare(
        "SELECT li.id, t.name, li.name, (SELECT count(*) FROM leads WHERE list_id = li.id), "
        "li.created_at FROM lists li JOIN tenants t ON t.id = li.tenant_id" +
            where + " ORDER BY li.id",
        "read lists");
    if (!st) return st.error();
    if (tenant) st->bind_required_text(1, *tenant);
    if (name) st->bind_required_text(2, *name);
    std::vector<ListInfo> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      ListInfo li;
      li.id = st->int64(0);
      li.tenant = st->text(1);
      li.name = st->text(2);
      li.lead_count = st->int64(3);
      li.created_at = seconds_to_instant(st->int64(4));
      out.push_back(std::move(li));
    }
    if (rc != SQLITE_DONE) return db_->error("read lists");
    return out;
  }

  std::shared_ptr<Db> db_;
  const Clock& clock_;
};

// What is wrong with a path SQLite could not open, in words: SQLite's own
// errno is often from its read-only retry, not from the real cause.
std::string diagnose(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return " (that is a folder: give a file path)";
  fs::path folder = fs::path(path).parent_path();
  if (folder.empty()) folder = ".";
  if (!fs::exists(folder, ec)) return " (folder " + folder.string() + " does not exist)";
  if (!fs::is_directory(folder, ec)) return " (" + folder.string() + " is not a folder)";
  if (access(folder.c_str(), W_OK | X_OK) != 0)
    return " (folder " + folder.string() + " is not writable)";
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite(const std::string& path, const Clock& clock) {
  sqlite3* h = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &h,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    msg += diagnose(path);
    sqlite3_close_v2(h);
    return make_error("store_open_failed", "cannot open SQLite database " + path + ": " + msg);
  }
  auto db = std::make_shared<Db>(h, path);
  if (sqlite3_db_readonly(h, "main") == 1)
    return make_error("store_open_failed",
                      "cannot open SQLite database " + path + " for writing: it is read-only");
  sqlite3_busy_timeout(h, kBusyTimeoutMs);
  // The first statements touch the file, so an unusable path or a file that
  // is not a database fails here, naming the path.
  auto mode = db->prepare("PRAGMA journal_mode = WAL", "switch to WAL mode");
  if (!mode || mode->step() != SQLITE_ROW) {
    return make_error("store_open_failed", "cannot open SQLite database " + path + ": " +
                                               sqlite3_errmsg(h) + diagnose(path));
  }
  std::string journal = mode->text(0);
  mode->reset();
  if (journal != "wal" && path != ":memory:")
    return make_error("store_open_failed", "cannot open SQLite database " + path +
                                               ": WAL mode refused (journal mode is " + journal +
                                               "); is it on a network filesystem?");
  if (auto s = db->exec("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                        "configure the connection");
      !s)
    return make_error("store_open_failed", s.error().message);
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), clock));
}

}  // namespace telemark::store::internal
