// The PostgreSQL backend over libpq: one connection per Store, statements
// prepared once per connection, imports streamed with binary COPY inside
// the import's transaction.
#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "store/internal.h"

namespace telemark::store::internal {
namespace {

constexpr const char* kConnectTimeoutSeconds = "5";
// Serializes concurrent migrators (any constant works; this one spells
// "TLMK" in ASCII).
constexpr const char* kMigrationLockKey = "1414286667";
constexpr int64_t kScanPageRows = 2000;
constexpr size_t kCopyChunkBytes = 1 << 20;
// timestamptz counts microseconds from 2000-01-01 in binary COPY.
constexpr int64_t kPgEpochUnixSeconds = 946'684'800;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Text-format query parameters; nullopt is SQL NULL.
using Param = std::optional<std::string>;
Param p(int64_t v) { return std::to_string(v); }
Param p(const std::string& v) { return v; }
Param p_time(Instant t) { return std::to_string(floor_seconds(t)); }

std::string field(const PGresult* r, int code) {
  const char* f = PQresultErrorField(r, code);
  return f ? f : "";
}

class Conn {
 public:
  Conn(PGconn* c, std::string where) : c_(c), where_(std::move(where)) {}
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn() { PQfinish(c_); }

  PGconn* c() const { return c_; }
  const std::string& where() const { return where_; }

  Error error(std::string_view op, const PGresult* r = nullptr,
              std::string code = "store_error") const {
    std::string msg = r ? PQresultErrorMessage(r) : "";
    if (msg.empty()) msg = PQerrorMessage(c_);
    return make_error(std::move(code),
                      "PostgreSQL " + where_ + ": " + std::string(op) + ": " + one_line(msg));
  }

  // Statements without parameters; several may be separated by ';'.
  Result<PgResult> exec(const std::string& sql, std::string_view op) {
    PgResult r(PQexec(c_, sql.c_str()));
    return check(std::move(r), op);
  }

  Result<PgResult> query(const std::string& sql, const std::vector<Param>& params,
                         std::string_view op) {
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
      std::string name = "telemark_" + std::to_string(prepared_.size() + 1);
      PgResult r(
          PQprepare(c_, name.c_str(), sql.c_str(), static_cast<int>(params.size()), nullptr));
      if (auto checked = check(std::move(r), op); !checked) return checked.error();
      it = prepared_.emplace(sql, std::move(name)).first;
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& v : params) values.push_back(v ? v->c_str() : nullptr);
    PgResult r(PQexecPrepared(c_, it->second.c_str(), static_cast<int>(values.size()),
                              values.data(), nullptr, nullptr, 0));
    return check(std::move(r), op);
  }

  Result<int64_t> query_int(const std::string& sql, const std::vector<Param>& params,
                            std::string_view op) {
    auto r = query(sql, params, op);
    if (!r) return r.error();
    if (PQntuples(r->get()) != 1 || PQgetisnull(r->get(), 0, 0))
      return make_error("store_error",
                        "PostgreSQL " + where_ + ": " + std::string(op) + ": expected one value");
    int64_t v = 0;
    const char* s = PQgetvalue(r->get(), 0, 0);
    std::from_chars(s, s + std::strlen(s), v);
    return v;
  }

  bool importing = false;

 private:
  Result<PgResult> check(PgResult r, std::string_view op) {
    if (!r) return error(op);
    ExecStatusType st = PQresultStatus(r.get());
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY ||
        st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
      return r;
    return error(op, r.get());
  }

  PGconn* c_;
  std::string where_;
  std::unordered_map<std::string, std::string> prepared_;
};

// --- reading text-format results ---

int64_t get_int(const PGresult* r, int row, int col) {
  int64_t v = 0;
  const char* s = PQgetvalue(r, row, col);
  std::from_chars(s, s + PQgetlength(r, row, col), v);
  return v;
}
std::string get_text(const PGresult* r, int row, int col) {
  return std::string(PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col)));
}
std::optional<Instant> get_time(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return seconds_to_instant(get_int(r, row, col));
}

// Times are selected as whole Unix seconds so no DateStyle or TimeZone
// setting of the session can change what is parsed.
constexpr const char* kLeadColumns =
    "l.id, l.list_id, l.phone, l.phone_raw, l.extension, l.number_type, l.time_zones, "
    "l.first_name, l.last_name, l.email, l.address, l.city, l.region, l.postal_code, l.country, "
    "l.attributes::text, extract(epoch FROM l.consent_at)::bigint, "
    "extract(epoch FROM l.consent_revoked_at)::bigint, "
    "extract(epoch FROM l.last_purchase_at)::bigint, "
    "extract(epoch FROM l.last_inquiry_at)::bigint, l.contract_active, "
    "extract(epoch FROM l.contract_ended_at)::bigint, l.score, l.source_line, "
    "coalesce(l.import_id, 0)";

Lead read_lead(const PGresult* r, int row) {
  Lead l;
  l.id = get_int(r, row, 0);
  l.list_id = get_int(r, row, 1);
  l.phone = static_cast<uint64_t>(get_int(r, row, 2));
  l.phone_raw = get_text(r, row, 3);
  l.extension = get_text(r, row, 4);
  l.number_type = get_text(r, row, 5);
  l.time_zones = get_text(r, row, 6);
  l.first_name = get_text(r, row, 7);
  l.last_name = get_text(r, row, 8);
  l.email = get_text(r, row, 9);
  l.address = get_text(r, row, 10);
  l.city = get_text(r, row, 11);
  l.region = get_text(r, row, 12);
  l.postal_code = get_text(r, row, 13);
  l.country = get_text(r, row, 14);
  l.attributes_json = get_text(r, row, 15);
  l.facts.consent_at = get_time(r, row, 16);
  l.facts.consent_revoked_at = get_time(r, row, 17);
  l.facts.last_purchase_at = get_time(r, row, 18);
  l.facts.last_inquiry_at = get_time(r, row, 19);
  l.facts.contract_active = PQgetvalue(r, row, 20)[0] == 't';
  l.facts.contract_ended_at = get_time(r, row, 21);
  if (!PQgetisnull(r, row, 22)) {
    // float8 text output is the shortest form that reads back exactly.
    double v = 0;
    const char* s = PQgetvalue(r, row, 22);
    std::from_chars(s, s + PQgetlength(r, row, 22), v);
    l.score = v;
  }
  l.source_line = static_cast<uint64_t>(get_int(r, row, 23));
  l.import_id = get_int(r, row, 24);
  return l;
}

// --- binary COPY encoding (see "COPY ... Binary Format" in the manual) ---

class CopyBuffer {
 public:
  void header() {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
    buf_.append(kSignature, sizeof(kSignature));  // includes the trailing '\0'
    put32(0);                                     // flags
    put32(0);                                     // header extension length
  }
  void trailer() { put16(-1); }
  void tuple(int16_t fields) { put16(fields); }
  void null() { put32(-1); }
  void i64(int64_t v) {
    put32(8);
    put64(static_cast<uint64_t>(v));
  }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    put32(8);
    put64(bits);
  }
  void boolean(bool v) {
    put32(1);
    buf_.push_back(v ? 1 : 0);
  }
  // Empty text is stored as NULL, as the SQLite backend does.
  void text(std::string_view s) {
    if (s.empty()) return null();
    required_text(s);
  }
  void required_text(std::string_view s) {
    put32(static_cast<int32_t>(s.size()));
    buf_.append(s);
  }
  void jsonb(std::string_view s) {
    put32(static_cast<int32_t>(s.size() + 1));
    buf_.push_back(1);  // jsonb binary format version
    buf_.append(s);
  }
  void time(Instant t) { i64((floor_seconds(t) - kPgEpochUnixSeconds) * 1'000'000); }
  void time(const std::optional<Instant>& t) {
    if (t) {
      time(*t);
    } else {
      null();
    }
  }

  std::string& bytes() { return buf_; }

 private:
  void put16(int16_t v) {
    auto u = static_cast<uint16_t>(v);
    buf_.push_back(static_cast<char>(u >> 8));
    buf_.push_back(static_cast<char>(u));
  }
  void put32(int32_t v) {
    auto u = static_cast<uint32_t>(v);
    for (int shift = 24; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>(u >> shift));
  }
  void put64(uint64_t u) {
    for (int shift = 56; shift >= 0; shift -= 8) buf_.push_back(static_cast<char>(u >> shift));
  }

  std::string buf_;
};

constexpr int16_t kCopyFields = 25;
constexpr const char* kCopyLeads =
    "COPY leads (list_id, phone, phone_raw, extension, number_type, time_zones, first_name, "
    "last_name, email, address, city, region, postal_code, country, attributes, consent_at, "
    "consent_revoked_at, last_purchase_at, last_inquiry_at, contract_active, contract_ended_at, "
    "score, source_line, import_id, created_at) FROM STDIN (FORMAT binary)";

void encode_lead(CopyBuffer& b, const Lead& lead, int64_t list_id, int64_t import_id,
                 Instant created_at) {
  b.tuple(kCopyFields);
  b.i64(list_id);
  b.i64(static_cast<int64_t>(lead.phone));
  b.required_text(lead.phone_raw);
  b.text(lead.extension);
  b.text(lead.number_type);
  b.text(lead.time_zones);
  b.text(lead.first_name);
  b.text(lead.last_name);
  b.text(lead.email);
  b.text(lead.address);
  b.text(lead.city);
  b.text(lead.region);
  b.text(lead.postal_code);
  b.text(lead.country);
  b.jsonb(lead.attributes_json.empty() ? std::string_view("{}") : lead.attributes_json);
  b.time(lead.facts.consent_at);
  b.time(lead.facts.consent_revoked_at);
  b.time(lead.facts.last_purchase_at);
  b.time(lead.facts.last_inquiry_at);
  b.boolean(lead.facts.contract_active);
  b.time(lead.facts.contract_ended_at);
  if (lead.score) {
    b.f64(*lead.score);
  } else {
    b.null();
  }
  b.i64(static_cast<int64_t>(lead.source_line));
  b.i64(import_id);
  b.time(created_at);
}

class PgWriter final : public LeadWriter {
 public:
  PgWriter(std::shared_ptr<Conn> conn, ImportRun run, const Clock& clock)
      : conn_(std::move(conn)), run_(std::move(run)), clock_(clock) {
    conn_->importing = true;
  }
  ~PgWriter() override {
    if (state_ == State::kOpen) rollback();
  }

  Status append(std::span<const Lead> leads) override {
    if (auto s = check_open(); !s) return s;
    if (leads.empty()) return {};
    for (const Lead& lead : leads) {
      if (!valid_phone(lead.phone))
        return fail(make_error("invalid_lead", "PostgreSQL " + conn_->where() + ": lead on line " +
                                                   std::to_string(lead.source_line) + ": phone " +
                                                   std::to_string(lead.phone) +
                                                   " is not an E.164 number (1 to 15 digits)"));
    }
    auto started = conn_->exec(kCopyLeads, "start copying leads");
    if (!started) return fail(started.error());
    PGconn* c = conn_->c();
    CopyBuffer b;
    b.bytes().reserve(kCopyChunkBytes + 4096);
    b.header();
    for (const Lead& lead : leads) {
      encode_lead(b, lead, run_.list_id, run_.id, run_.started_at);
      if (b.bytes().size() >= kCopyChunkBytes) {
        if (PQputCopyData(c, b.bytes().data(), static_cast<int>(b.bytes().size())) != 1)
          return fail(conn_->error("copy leads"));
        b.bytes().clear();
      }
    }
    b.trailer();
    if (PQputCopyData(c, b.bytes().data(), static_cast<int>(b.bytes().size())) != 1 ||
        PQputCopyEnd(c, nullptr) != 1)
      return fail(conn_->error("copy leads"));
    Status status;
    // Read every result, so the connection is idle again whatever happened.
    while (PGresult* raw = PQgetResult(c)) {
      PgResult r(raw);
      if (status && PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        status = copy_error(r.get(), leads);
    }
    if (!status) return fail(status.error());
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
    done.finished_at = truncate_to_seconds(or_now(counts.finished_at, clock_));
    auto updated = conn_->query(
        "UPDATE import_runs SET file_name = $1, file_sha256 = $2, rows = $3, imported = $4, "
        "duplicates = $5, rejected = $6, finished_at = to_timestamp($7::bigint) WHERE id = $8",
        {p(done.file_name), p(done.file_sha256), p(done.rows), p(done.imported), p(done.duplicates),
         p(done.rejected), p_time(done.finished_at), p(done.id)},
        "record the import run");
    if (!updated) return fail(updated.error()).error();
    // COMMIT of a transaction in error "succeeds" as a ROLLBACK: check first.
    if (PQtransactionStatus(conn_->c()) != PQTRANS_INTRANS)
      return fail(conn_->error("commit the import")).error();
    auto committed = conn_->exec("COMMIT", "commit the import");
    if (!committed) return fail(committed.error()).error();
    state_ = State::kCommitted;
    conn_->importing = false;
    return done;
  }

  int64_t list_id() const override { return run_.list_id; }

  void rollback() override {
    if (state_ != State::kOpen) return;
    state_ = State::kRolledBack;
    (void)conn_->exec("ROLLBACK", "roll back the import");
    conn_->importing = false;
  }

 private:
  enum class State : uint8_t { kOpen, kCommitted, kRolledBack, kFailed };

  Status check_open() const {
    if (state_ == State::kOpen) return {};
    const char* why = state_ == State::kCommitted    ? "was committed"
                      : state_ == State::kRolledBack ? "was rolled back"
                                                     : "failed and was rolled back";
    return make_error("import_closed", "PostgreSQL " + conn_->where() + ": the import into list " +
                                           std::to_string(run_.list_id) + " " + why);
  }

  Status fail(Error e) {
    state_ = State::kFailed;
    (void)conn_->exec("ROLLBACK", "roll back the import");
    conn_->importing = false;
    e.message += "; the import was rolled back";
    return e;
  }

  // Names the lead by its source line: the server only knows the line of
  // this COPY ("COPY leads, line 7").
  Error copy_error(const PGresult* r, std::span<const Lead> leads) const {
    std::string sqlstate = field(r, PG_DIAG_SQLSTATE);
    std::string context = field(r, PG_DIAG_CONTEXT);
    std::string what = "copy leads";
    // The context may start with the type's own ("JSON data, line 1: ...").
    const std::string marker = "COPY leads, line ";
    size_t at = context.find(marker);
    if (at != std::string::npos) {
      size_t n = 0;
      const char* s = context.c_str() + at + marker.size();
      std::from_chars(s, context.c_str() + context.size(), n);
      if (n >= 1 && n <= leads.size()) {
        const Lead& lead = leads[n - 1];
        what = "lead on line " + std::to_string(lead.source_line) + " (phone " +
               std::to_string(lead.phone) + ")";
      }
    }
    std::string code = "store_error";
    if (sqlstate == "23505") {
      code = "duplicate_lead";
      what += " is already in list " + std::to_string(run_.list_id);
    } else if (sqlstate.rfind("22", 0) == 0) {
      code = "invalid_lead";  // data exceptions: bad JSON, bad UTF-8, ...
    }
    std::string msg = field(r, PG_DIAG_MESSAGE_PRIMARY);
    std::string detail = field(r, PG_DIAG_MESSAGE_DETAIL);
    if (!detail.empty()) msg += " (" + detail + ")";
    if (msg.empty()) msg = PQresultErrorMessage(r);
    return make_error(code, "PostgreSQL " + conn_->where() + ": " + what + ": " + one_line(msg));
  }

  std::shared_ptr<Conn> conn_;
  ImportRun run_;
  const Clock& clock_;
  State state_ = State::kOpen;
};

class PgMigrationTarget final : public MigrationTarget {
 public:
  PgMigrationTarget(Conn& conn, const Clock& clock) : conn_(conn), clock_(clock) {}

  Status begin() override {
    auto r = conn_.exec(std::string("BEGIN; SELECT pg_advisory_xact_lock(") + kMigrationLockKey +
                            "); CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY "
                            "KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT "
                            "now())",
                        "start the migration");
    if (!r) {
      rollback();
      return r.error();
    }
    return {};
  }
  Result<int64_t> current_version() override {
    return conn_.query_int("SELECT coalesce(max(version), 0) FROM schema_version", {},
                           "read the schema version");
  }
  Status apply(const Migration& m) override {
    if (auto r = conn_.exec(std::string(m.postgres_sql), "run the migration"); !r) return r.error();
    auto r = conn_.query(
        "INSERT INTO schema_version (version, name, applied_at) "
        "VALUES ($1, $2, to_timestamp($3::bigint))",
        {p(m.version), p(std::string(m.name)), p_time(clock_.now())}, "record the migration");
    if (!r) return r.error();
    return {};
  }
  Status commit() override {
    if (PQtransactionStatus(conn_.c()) != PQTRANS_INTRANS) {
      rollback();
      return conn_.error("commit the migration");
    }
    if (auto r = conn_.exec("COMMIT", "commit the migration"); !r) return r.error();
    return {};
  }
  void rollback() override { (void)conn_.exec("ROLLBACK", "roll back the migration"); }
  std::string describe() const override { return "PostgreSQL " + conn_.where(); }

 private:
  Conn& conn_;
  const Clock& clock_;
};

class PgStore final : public Store {
 public:
  PgStore(std::shared_ptr<Conn> conn, const Clock& clock) : conn_(std::move(conn)), clock_(clock) {}

  std::string backend() const override { return "postgresql"; }
  std::string describe() const override { return conn_->where(); }

  Status execute(const std::string& sql) override {
    if (auto r = conn_->exec(sql, "execute SQL"); !r) return r.error();
    return {};
  }

  Status migrate() override {
    if (conn_->importing) return import_in_progress("migrate");
    PgMigrationTarget target(*conn_, clock_);
    return run_migrations(target);
  }

  Result<int64_t> schema_version() override {
    auto exists = conn_->query_int("SELECT count(to_regclass('schema_version'))", {},
                                   "read the schema version");
    if (!exists) return exists.error();
    if (*exists == 0) return int64_t{0};
    return conn_->query_int("SELECT coalesce(max(version), 0) FROM schema_version", {},
                            "read the schema version");
  }

  Result<int64_t> ensure_tenant(const std::string& name) override {
    if (name.empty())
      return make_error("invalid_argument",
                        "PostgreSQL " + conn_->where() + ": a tenant needs a name");
    return ensure_id("SELECT id FROM tenants WHERE name = $1",
                     "INSERT INTO tenants (name, created_at) VALUES ($1, to_timestamp($2::bigint)) "
                     "ON CONFLICT (name) DO NOTHING",
                     {p(name)}, "ensure tenant '" + name + "'");
  }

  Result<int64_t> ensure_list(const std::string& tenant, const std::string& name) override {
    if (name.empty())
      return make_error("invalid_argument",
                        "PostgreSQL " + conn_->where() + ": a list needs a name");
    auto tenant_id = ensure_tenant(tenant);
    if (!tenant_id) return tenant_id.error();
    return ensure_id("SELECT id FROM lists WHERE tenant_id = $1 AND name = $2",
                     "INSERT INTO lists (tenant_id, name, created_at) "
                     "VALUES ($1, $2, to_timestamp($3::bigint)) "
                     "ON CONFLICT (tenant_id, name) DO NOTHING",
                     {p(*tenant_id), p(name)},
                     "ensure list '" + name + "' of tenant '" + tenant + "'");
  }

  Result<std::optional<ListInfo>> find_list(const std::string& tenant,
                                            const std::string& name) override {
    auto found = query_lists(" WHERE t.name = $1 AND li.name = $2", {p(tenant), p(name)});
    if (!found) return found.error();
    if (found->empty()) return std::optional<ListInfo>();
    return std::optional<ListInfo>(std::move(found->front()));
  }

  Result<std::vector<ListInfo>> lists() override { return query_lists("", {}); }

  Status list_phones(int64_t list_id, const std::function<void(uint64_t)>& sink) override {
    // COPY streams rows as the server produces them; a plain query would
    // hold the whole list in one PGresult. COPY takes no parameters, and
    // the id is an integer we format ourselves.
    std::string op = "read the phones of list " + std::to_string(list_id);
    auto started = conn_->exec(
        "COPY (SELECT phone FROM leads WHERE list_id = " + std::to_string(list_id) + ") TO STDOUT",
        op);
    if (!started) return started.error();
    PGconn* c = conn_->c();
    char* row = nullptr;
    int n;
    while ((n = PQgetCopyData(c, &row, 0)) > 0) {
      uint64_t phone = 0;
      std::from_chars(row, row + n, phone);
      PQfreemem(row);
      sink(phone);
    }
    Status status;
    if (n == -2) status = conn_->error(op);
    while (PGresult* raw = PQgetResult(c)) {
      PgResult r(raw);
      if (status && PQresultStatus(r.get()) != PGRES_COMMAND_OK) status = conn_->error(op, r.get());
    }
    return status;
  }

  Result<std::unique_ptr<LeadWriter>> begin_import(int64_t list_id, const ImportRun& run) override {
    if (conn_->importing) return import_in_progress("begin an import");
    if (auto r = conn_->exec("BEGIN", "start the import"); !r) return r.error();
    return start_import(list_id, run);
  }

  Result<std::unique_ptr<LeadWriter>> begin_import(const std::string& tenant,
                                                   const std::string& list,
                                                   const ImportRun& run) override {
    if (conn_->importing) return import_in_progress("begin an import");
    if (auto r = conn_->exec("BEGIN", "start the import"); !r) return r.error();
    auto list_id = ensure_list(tenant, list);
    if (!list_id) {
      (void)conn_->exec("ROLLBACK", "roll back the import");
      return list_id.error();
    }
    return start_import(*list_id, run);
  }

  // Inside the import's transaction: locks the list, records the run.
  Result<std::unique_ptr<LeadWriter>> start_import(int64_t list_id, const ImportRun& run) {
    // The lock a foreign key check would take for every lead (leads has no
    // foreign keys, see migrations.cpp): the list cannot go away or change
    // its id until the import ends.
    auto exists = conn_->query("SELECT id FROM lists WHERE id = $1 FOR KEY SHARE", {p(list_id)},
                               "find list " + std::to_string(list_id));
    if (!exists || PQntuples(exists->get()) == 0) {
      (void)conn_->exec("ROLLBACK", "roll back the import");
      if (!exists) return exists.error();
      return make_error("no_such_list", "PostgreSQL " + conn_->where() + ": no list with id " +
                                            std::to_string(list_id));
    }
    ImportRun started = run;
    started.list_id = list_id;
    started.started_at = truncate_to_seconds(or_now(run.started_at, clock_));
    started.finished_at = Instant{};
    auto id = conn_->query_int(
        "INSERT INTO import_runs (list_id, file_name, file_sha256, started_at) "
        "VALUES ($1, $2, $3, to_timestamp($4::bigint)) RETURNING id",
        {p(list_id), p(started.file_name), p(started.file_sha256), p_time(started.started_at)},
        "record the import run");
    if (!id) {
      (void)conn_->exec("ROLLBACK", "roll back the import");
      return id.error();
    }
    started.id = *id;
    return std::unique_ptr<LeadWriter>(
        std::make_unique<PgWriter>(conn_, std::move(started), clock_));
  }

  Result<std::vector<ImportRun>> import_runs(int64_t list_id) override {
    auto r = conn_->query(
        "SELECT id, list_id, file_name, file_sha256, rows, imported, duplicates, rejected, "
        "extract(epoch FROM started_at)::bigint, extract(epoch FROM finished_at)::bigint "
        "FROM import_runs WHERE list_id = $1 AND finished_at IS NOT NULL ORDER BY id",
        {p(list_id)}, "read the import runs");
    if (!r) return r.error();
    std::vector<ImportRun> out;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      ImportRun run;
      run.id = get_int(res, i, 0);
      run.list_id = get_int(res, i, 1);
      run.file_name = get_text(res, i, 2);
      run.file_sha256 = get_text(res, i, 3);
      run.rows = get_int(res, i, 4);
      run.imported = get_int(res, i, 5);
      run.duplicates = get_int(res, i, 6);
      run.rejected = get_int(res, i, 7);
      run.started_at = seconds_to_instant(get_int(res, i, 8));
      run.finished_at = seconds_to_instant(get_int(res, i, 9));
      out.push_back(std::move(run));
    }
    return out;
  }

  Result<int64_t> count_leads(const LeadFilter& filter) override {
    FilterSql f = filter_sql(filter, '$');
    auto n = conn_->query_int("SELECT count(*) FROM " + f.from + join_where(f.where),
                              params(f.params), "count leads");
    if (!n) return n.error();
    if (filter.limit) return std::min(*n, std::max<int64_t>(*filter.limit, 0));
    return *n;
  }

  Result<std::optional<Lead>> get_lead(int64_t id) override {
    auto r = conn_->query(std::string("SELECT ") + kLeadColumns + " FROM leads l WHERE l.id = $1",
                          {p(id)}, "read lead " + std::to_string(id));
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<Lead>();
    return std::optional<Lead>(read_lead(r->get(), 0));
  }

  Status scan_leads(const LeadFilter& filter,
                    const std::function<bool(const Lead&)>& sink) override {
    // Pages by id rather than a cursor: a cursor needs a transaction for
    // the whole scan, and a single query would hold every row in memory.
    FilterSql f = filter_sql(filter, '$');
    std::vector<std::string> where = f.where;
    where.push_back("l.id > " + placeholder('$', f.params.size() + 1));
    std::string sql = std::string("SELECT ") + kLeadColumns + " FROM " + f.from +
                      join_where(where) + " ORDER BY l.id LIMIT " +
                      placeholder('$', f.params.size() + 2);
    int64_t remaining = filter.limit ? std::max<int64_t>(*filter.limit, 0) : -1;
    int64_t after = std::numeric_limits<int64_t>::min();
    while (remaining != 0) {
      int64_t page = remaining < 0 ? kScanPageRows : std::min(remaining, kScanPageRows);
      std::vector<Param> values = params(f.params);
      values.push_back(p(after));
      values.push_back(p(page));
      auto r = conn_->query(sql, values, "scan leads");
      if (!r) return r.error();
      const PGresult* res = r->get();
      int n = PQntuples(res);
      for (int i = 0; i < n; ++i) {
        Lead lead = read_lead(res, i);
        after = lead.id;
        if (!sink(lead)) return {};
      }
      if (remaining > 0) remaining -= n;
      if (n < page) break;
    }
    return {};
  }

 private:
  Error import_in_progress(std::string_view what) const {
    return make_error("import_in_progress", "PostgreSQL " + conn_->where() + ": cannot " +
                                                std::string(what) +
                                                " while an import is open on this connection");
  }

  static std::vector<Param> params(const std::vector<std::string>& values) {
    return std::vector<Param>(values.begin(), values.end());
  }

  // Looks up an id, inserting the row when missing (the insert takes the
  // lookup's parameters plus created_at).
  Result<int64_t> ensure_id(const std::string& select, const std::string& insert,
                            std::vector<Param> values, const std::string& op) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto r = conn_->query(select, values, op);
      if (!r) return r.error();
      if (PQntuples(r->get()) > 0) return get_int(r->get(), 0, 0);
      if (attempt == 1) break;
      std::vector<Param> with_time = values;
      with_time.push_back(p_time(clock_.now()));
      if (auto ins = conn_->query(insert, with_time, op); !ins) return ins.error();
    }
    return make_error("store_error", "PostgreSQL " + conn_->where() + ": " + op + ": row vanished");
  }

  Result<std::vector<ListInfo>> query_lists(const std::string& where,
                                            const std::vector<Param>& values) {
    auto r = conn_->query(
        "SELECT li.id, t.name, li.name, (SELECT count(*) FROM leads WHERE list_id = li.id), "
        "extract(epoch FROM li.created_at)::bigint FROM lists li "
        "JOIN tenants t ON t.id = li.tenant_id" +
            where + " ORDER BY li.id",
        values, "read lists");
    if (!r) return r.error();
    std::vector<ListInfo> out;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      ListInfo li;
      li.id = get_int(res, i, 0);
      li.tenant = get_text(res, i, 1);
      li.name = get_text(res, i, 2);
      li.lead_count = get_int(res, i, 3);
      li.created_at = seconds_to_instant(get_int(res, i, 4));
      out.push_back(std::move(li));
    }
    return out;
  }

  std::shared_ptr<Conn> conn_;
  const Clock& clock_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Store>> open_postgres(const std::string& url, const Clock& clock) {
  std::string where = redact_url(url);
  // Keywords after "dbname" override the URL's own; those before are
  // defaults the URL may override. The client encoding is not negotiable:
  // COPY sends our strings as UTF-8 bytes.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding",
                        nullptr};
  const char* values[] = {kConnectTimeoutSeconds, "telemark", url.c_str(), "UTF8", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c)
    return make_error("store_connect_failed",
                      "cannot connect to PostgreSQL at " + where + ": out of memory");
  auto conn = std::make_shared<Conn>(c, where);
  if (PQstatus(c) != CONNECTION_OK)
    return make_error("store_connect_failed", "cannot connect to PostgreSQL at " + where + ": " +
                                                  one_line(PQerrorMessage(c)));
  // "relation already exists, skipping" and friends are not for the user.
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  return std::unique_ptr<Store>(std::make_unique<PgStore>(std::move(conn), clock));
}

}  // namespace telemark::store::internal
