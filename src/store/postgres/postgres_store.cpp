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
constexpr int64_t kScanPageRows = 2000;  // the do-not-call scan's pages
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

// --- binary COPY decoding: the lead scan ---

// The scan reads COPY (SELECT ...) TO STDOUT (FORMAT binary): rows come as
// they are produced (a plain query would hold a whole page in one
// PGresult, text that libpq has already copied once), and values in their
// stored types: no bigint or timestamp is formatted by the server and
// parsed here, and a text field is its bytes, so tabs, newlines,
// backslashes or a literal "\N" need no escaping rules.
constexpr int16_t kScanFields = 25;
constexpr const char* kScanColumns =
    "l.id, l.list_id, l.phone, l.phone_raw, l.extension, l.number_type, l.time_zones, "
    "l.first_name, l.last_name, l.email, l.address, l.city, l.region, l.postal_code, l.country, "
    "l.attributes::text, l.consent_at, l.consent_revoked_at, l.last_purchase_at, "
    "l.last_inquiry_at, l.contract_active, l.contract_ended_at, l.score, l.source_line, "
    "coalesce(l.import_id, 0)";

// Reads one CopyData message. Every read checks the bounds: a short or
// malformed message makes ok() false instead of reading past its end.
class CopyReader {
 public:
  CopyReader(const char* data, size_t size) : p_(data), end_(data + size) {}

  bool ok() const { return ok_; }

  // The file header (signature, flags, extension area).
  void header() {
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";
    if (!take(sizeof kSignature) || std::memcmp(p_ - sizeof kSignature, kSignature,
                                                sizeof kSignature) != 0) {
      ok_ = false;
      return;
    }
    (void)u32();  // flags: only bit 16 (OIDs) is defined, and we ask for none
    uint32_t extension = u32();
    if (ok_) ok_ = take(extension);
  }
  // A tuple's field count; -1 is the trailer.
  int16_t fields() { return static_cast<int16_t>(u16()); }

  // A field's length (-1 for NULL) and bytes.
  int32_t field(const char*& data) {
    auto len = static_cast<int32_t>(u32());
    data = p_;
    if (len < -1) fail();
    if (len > 0) ok_ = ok_ && take(static_cast<size_t>(len));
    return len;
  }
  int64_t i64() {
    const char* d;
    if (field(d) != 8) {
      fail();
      return 0;
    }
    return static_cast<int64_t>(be(d, 8));
  }
  void text(std::string& out) {
    const char* d;
    int32_t len = field(d);
    if (len < 0 || !ok_) {
      out.clear();
      return;
    }
    out.assign(d, static_cast<size_t>(len));
  }
  // timestamptz: microseconds from 2000-01-01, floored to the second.
  std::optional<Instant> time() {
    const char* d;
    int32_t len = field(d);
    if (len == -1) return std::nullopt;
    if (len != 8) {
      fail();
      return std::nullopt;
    }
    auto micros = static_cast<int64_t>(be(d, 8));
    int64_t s = micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0);
    return seconds_to_instant(s + kPgEpochUnixSeconds);
  }
  bool boolean() {
    const char* d;
    if (field(d) != 1) {
      fail();
      return false;
    }
    return d[0] != 0;
  }
  std::optional<double> f64() {
    const char* d;
    int32_t len = field(d);
    if (len == -1) return std::nullopt;
    if (len != 8) {
      fail();
      return std::nullopt;
    }
    uint64_t bits = be(d, 8);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }

 private:
  bool take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  uint32_t u32() {
    if (!ok_ || !take(4)) {
      fail();
      return 0;
    }
    return static_cast<uint32_t>(be(p_ - 4, 4));
  }
  uint16_t u16() {
    if (!ok_ || !take(2)) {
      fail();
      return 0;
    }
    return static_cast<uint16_t>(be(p_ - 2, 2));
  }
  static uint64_t be(const char* d, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(d[i]);
    return v;
  }
  void fail() { ok_ = false; }

  const char* p_;
  const char* end_;
  bool ok_ = true;
};

// One scanned row into `l`. Every field is assigned, so one Lead takes row
// after row: its strings keep their buffers and a scan allocates nothing
// per lead. `in` is past the field count; false when the rest is not such
// a row.
bool decode_lead(CopyReader& in, Lead& l) {
  l.id = in.i64();
  l.list_id = in.i64();
  l.phone = static_cast<uint64_t>(in.i64());
  in.text(l.phone_raw);
  in.text(l.extension);
  in.text(l.number_type);
  in.text(l.time_zones);
  in.text(l.first_name);
  in.text(l.last_name);
  in.text(l.email);
  in.text(l.address);
  in.text(l.city);
  in.text(l.region);
  in.text(l.postal_code);
  in.text(l.country);
  in.text(l.attributes_json);
  l.facts.consent_at = in.time();
  l.facts.consent_revoked_at = in.time();
  l.facts.last_purchase_at = in.time();
  l.facts.last_inquiry_at = in.time();
  l.facts.contract_active = in.boolean();
  l.facts.contract_ended_at = in.time();
  l.score = in.f64();
  l.source_line = static_cast<uint64_t>(in.i64());
  l.import_id = in.i64();
  return in.ok();
}

struct PqFree {
  void operator()(char* p) const { PQfreemem(p); }
};

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
    // One COPY ... TO STDOUT (FORMAT binary) for the whole scan: rows come
    // as the server produces them, under one plan. (Pages by id would be
    // planned one by one, and without statistics on a fresh table each
    // page would sort every remaining lead of the list.) The lists
    // are found first and the scan selects by list id: joined by name, the
    // planner cannot tell how many leads a list has. COPY takes no
    // parameters: strings go in as escaped literals, ids are integers we
    // format. An early stop cancels the statement.
    const std::string op = "scan leads";
    int64_t remaining = filter.limit ? std::max<int64_t>(*filter.limit, 0) : -1;
    if (remaining == 0) return {};
    std::vector<std::string> where;
    if (filter.tenant || filter.list) {
      std::string sql = "SELECT li.id FROM lists li";
      std::vector<std::string> conditions;
      std::vector<Param> values;
      if (filter.tenant) {
        sql += " JOIN tenants t ON t.id = li.tenant_id";
        values.push_back(*filter.tenant);
        conditions.push_back("t.name = $" + std::to_string(values.size()));
      }
      if (filter.list) {
        values.push_back(*filter.list);
        conditions.push_back("li.name = $" + std::to_string(values.size()));
      }
      auto lists = conn_->query(sql + join_where(conditions) + " ORDER BY li.id", values, op);
      if (!lists) return lists.error();
      int n = PQntuples(lists->get());
      if (n == 0) return {};
      std::string in = "l.list_id IN (";
      for (int i = 0; i < n; ++i) {
        if (i > 0) in += ", ";
        in += std::to_string(get_int(lists->get(), i, 0));
      }
      where.push_back(in + ")");
    }
    for (const auto& [column, value] : {std::pair{"l.country", &filter.country},
                                        std::pair{"l.region", &filter.region}}) {
      if (!*value) continue;
      std::unique_ptr<char, PqFree> literal(
          PQescapeLiteral(conn_->c(), (*value)->data(), (*value)->size()));
      if (!literal) return conn_->error(op);
      where.push_back(std::string(column) + " = " + literal.get());
    }

    PGconn* c = conn_->c();
    // Asks the server to end the COPY, whose rest is then received and
    // dropped. Not inside a transaction (an open import's): there a cancel
    // would abort it, so the rest is received whole. A cancel that arrives
    // after the statement has ended is ignored by the server.
    const bool may_cancel = PQtransactionStatus(c) == PQTRANS_IDLE;
    auto cancel = [&] {
      if (!may_cancel) return;
      std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> handle(PQgetCancel(c), &PQfreeCancel);
      char error[256];
      if (handle) (void)PQcancel(handle.get(), error, sizeof error);
    };
    std::string sql = std::string("COPY (SELECT ") + kScanColumns + " FROM leads l" +
                      join_where(where) + " ORDER BY l.id";
    if (remaining > 0) sql += " LIMIT " + std::to_string(remaining);
    auto started = conn_->exec(sql + ") TO STDOUT (FORMAT binary)", op);
    if (!started) return started.error();
    Lead lead;
    int64_t last_id = 0;
    bool stopped = false, header = true;
    Status status;
    char* raw = nullptr;
    int n;
    while ((n = PQgetCopyData(c, &raw, 0)) > 0) {
      std::unique_ptr<char, PqFree> row(raw);
      if (stopped || !status) continue;  // what was sent before the cancel took effect
      CopyReader in(row.get(), static_cast<size_t>(n));
      if (header) in.header();  // it comes with the first row
      header = false;
      int16_t fields = in.fields();
      if (in.ok() && fields == -1) continue;  // the trailer
      if (fields != kScanFields || !decode_lead(in, lead)) {
        status = make_error("store_error", "PostgreSQL " + conn_->where() + ": " + op +
                                               ": the row after lead " + std::to_string(last_id) +
                                               " is not in the expected binary COPY layout");
        cancel();
        continue;
      }
      last_id = lead.id;
      try {
        stopped = !sink(lead);
      } catch (...) {
        // A sink may throw (the CLI's do): leave the connection idle.
        row.reset();
        cancel();
        while (PQgetCopyData(c, &raw, 0) > 0) PQfreemem(raw);
        while (PGresult* res = PQgetResult(c)) PQclear(res);
        throw;
      }
      if (stopped) cancel();
    }
    if (n == -2 && status && !stopped) status = conn_->error(op);
    while (PGresult* res = PQgetResult(c)) {
      PgResult r(res);
      // After a stop, the cancel's error (or none, if it came too late).
      if (status && !stopped && PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        status = conn_->error(op, r.get());
    }
    return status;
  }

  Result<int64_t> set_lead_scores(std::span<const LeadScore> scores) override {
    const std::string op = "set lead scores";
    if (auto s = check_lead_scores(scores, "PostgreSQL " + conn_->where()); !s) return s.error();
    if (scores.empty()) return int64_t{0};
    // One UPDATE ... FROM over the rows COPY put in a temporary table is
    // far faster than a statement per lead (a round trip each).
    auto s = transact(op, false, [&]() -> Status {
      if (auto r = conn_->exec("CREATE TEMP TABLE telemark_lead_scores (lead_id BIGINT NOT NULL, "
                               "score DOUBLE PRECISION NOT NULL) ON COMMIT DROP",
                               op);
          !r)
        return r.error();
      auto started = conn_->exec("COPY telemark_lead_scores (lead_id, score) FROM STDIN BINARY", op);
      if (!started) return started.error();
      PGconn* c = conn_->c();
      CopyBuffer b;
      b.bytes().reserve(kCopyChunkBytes + 64);
      b.header();
      bool sent = true;
      for (const LeadScore& ls : scores) {
        b.tuple(2);
        b.i64(ls.lead_id);
        b.f64(ls.score);
        if (b.bytes().size() >= kCopyChunkBytes) {
          sent = PQputCopyData(c, b.bytes().data(), static_cast<int>(b.bytes().size())) == 1;
          if (!sent) break;
          b.bytes().clear();
        }
      }
      if (sent) {
        b.trailer();
        sent = PQputCopyData(c, b.bytes().data(), static_cast<int>(b.bytes().size())) == 1;
      }
      sent = PQputCopyEnd(c, sent ? nullptr : "telemark: send failed") == 1 && sent;
      Status status = sent ? Status{} : Status(conn_->error(op));
      while (PGresult* raw = PQgetResult(c)) {
        PgResult r(raw);
        if (status && PQresultStatus(r.get()) != PGRES_COMMAND_OK) status = conn_->error(op, r.get());
      }
      if (!status) return status;
      // Statistics, so the planner hashes the new scores instead of
      // guessing the temporary table's size.
      if (auto r = conn_->exec("ANALYZE telemark_lead_scores", op); !r) return r.error();
      auto updated = conn_->exec(
          "UPDATE leads l SET score = t.score FROM telemark_lead_scores t WHERE l.id = t.lead_id", op);
      if (!updated) return updated.error();
      int64_t n = 0;
      const char* tuples = PQcmdTuples(updated->get());
      std::from_chars(tuples, tuples + std::strlen(tuples), n);
      if (n != static_cast<int64_t>(scores.size())) {
        auto missing = conn_->exec(
            "SELECT t.lead_id FROM telemark_lead_scores t LEFT JOIN leads l ON l.id = t.lead_id "
            "WHERE l.id IS NULL ORDER BY t.lead_id LIMIT 1",
            op);
        if (!missing) return missing.error();
        std::string which = PQntuples(missing->get()) > 0 ? get_text(missing->get(), 0, 0) : "?";
        return make_error("no_such_lead", "PostgreSQL " + conn_->where() + ": " + op + ": no lead " + which);
      }
      if (auto r = conn_->exec("UPDATE campaign_leads c SET score = t.score FROM telemark_lead_scores t "
                               "WHERE c.lead_id = t.lead_id",
                               op);
          !r)
        return r.error();
      return {};
    });
    if (!s) return s.error();
    return static_cast<int64_t>(scores.size());
  }

  // --- registry provenance ---

  Result<RegistryLoad> record_registry_load(const RegistryLoad& load) override {
    if (auto s = check_registry_load(load, "PostgreSQL " + conn_->where()); !s) return s.error();
    int64_t id = 0;
    std::string op = "record registry load '" + load.name + "'";
    auto s = transact(op, false, [&]() -> Status {
      if (auto r = conn_->query("UPDATE registry_loads SET is_current = FALSE "
                                "WHERE name = $1 AND is_current",
                                {p(load.name)}, op);
          !r)
        return r.error();
      auto inserted = conn_->query_int(
          "INSERT INTO registry_loads (name, version, snapshot_id, kind, as_of, count, bad_lines, "
          "checksum, snapshot_path, loaded_at, is_current) VALUES ($1, $2, $3, $4, $5::date, $6, "
          "$7, $8, $9, to_timestamp($10::bigint), TRUE) RETURNING id",
          {p(load.name), p(load.version), p(load.snapshot_id), p(load.kind), p(load.as_of),
           p(load.count), p(load.bad_lines), p(load.checksum), p(load.snapshot_path),
           p_time(or_now(load.loaded_at, clock_))},
          op);
      if (!inserted) return inserted.error();
      id = *inserted;
      for (size_t i = 0; i < load.sources.size(); ++i) {
        const RegistrySourceFile& f = load.sources[i];
        if (auto r = conn_->query(
                "INSERT INTO registry_load_sources (load_id, position, file_name, sha256, bytes, "
                "lines, bad_lines) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                {p(id), p(static_cast<int64_t>(i)), p(f.file_name), p(f.sha256), p(f.bytes),
                 p(f.lines), p(f.bad_lines)},
                op);
            !r)
          return r.error();
      }
      return {};
    });
    if (!s) return s.error();
    auto rows = read_registry_loads(" WHERE id = $1", {p(id)});
    if (!rows) return rows.error();
    if (rows->empty())
      return make_error("store_error", "PostgreSQL " + conn_->where() +
                                           ": registry load " + std::to_string(id) + " vanished");
    return std::move(rows->front());
  }

  Result<bool> record_registry_drop(const std::string& name) override {
    bool changed = false;
    std::string op = "record the drop of registry '" + name + "'";
    auto s = transact(op, false, [&]() -> Status {
      auto r = conn_->query(
          "UPDATE registry_loads SET is_current = FALSE, dropped_at = to_timestamp($2::bigint) "
          "WHERE name = $1 AND is_current",
          {p(name), p_time(clock_.now())}, op);
      if (!r) return r.error();
      changed = std::strcmp(PQcmdTuples(r->get()), "0") != 0;
      return {};
    });
    if (!s) return s.error();
    return changed;
  }

  Result<std::vector<RegistryLoad>> registry_loads(const std::optional<std::string>& name) override {
    if (!name) return read_registry_loads("", {});
    return read_registry_loads(" WHERE name = $1", {p(*name)});
  }

  Result<std::optional<RegistryLoad>> current_registry_load(const std::string& name) override {
    auto rows = read_registry_loads(" WHERE name = $1 AND is_current", {p(name)});
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<RegistryLoad>();
    return std::optional<RegistryLoad>(std::move(rows->front()));
  }

  // --- internal do-not-call lists ---

  Result<DncAddResult> add_dnc(const std::string& tenant, std::span<const DncAdd> entries) override {
    for (const DncAdd& e : entries)
      if (!valid_phone(e.phone))
        return make_error("invalid_argument", "PostgreSQL " + conn_->where() + ": phone " +
                                                  std::to_string(e.phone) +
                                                  " is not an E.164 number (1 to 15 digits); "
                                                  "nothing was added");
    DncAddResult result;
    std::string op = "add to the internal do-not-call list of tenant '" + tenant + "'";
    auto s = transact(op, true, [&]() -> Status {
      auto tenant_id = ensure_tenant(tenant);
      if (!tenant_id) return tenant_id.error();
      const Param now = p_time(clock_.now());
      for (const DncAdd& e : entries) {
        auto r = conn_->query(
            "INSERT INTO dnc_entries (tenant_id, phone, reason, source, added_at) "
            "VALUES ($1, $2, $3, $4, to_timestamp($5::bigint)) "
            "ON CONFLICT (tenant_id, phone) WHERE removed_at IS NULL DO NOTHING",
            {p(*tenant_id), p(static_cast<int64_t>(e.phone)), opt_text(e.reason),
             opt_text(e.source), now},
            op + " (" + plus_phone(e.phone) + ")");
        if (!r) return r.error();
        if (std::strcmp(PQcmdTuples(r->get()), "0") != 0) {
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
                        "PostgreSQL " + conn_->where() + ": removing " + plus_phone(phone) +
                            " from an internal do-not-call list needs a reason");
    int64_t id = 0;
    std::string op = "remove " + plus_phone(phone) +
                     " from the internal do-not-call list of tenant '" + tenant + "'";
    auto s = transact(op, true, [&]() -> Status {
      auto r = conn_->query(
          "UPDATE dnc_entries SET removed_at = to_timestamp($3::bigint), removed_reason = $4 "
          "WHERE tenant_id = (SELECT id FROM tenants WHERE name = $1) AND phone = $2 "
          "AND removed_at IS NULL RETURNING id",
          {p(tenant), p(static_cast<int64_t>(phone)), p_time(clock_.now()), p(reason)}, op);
      if (!r) return r.error();
      if (PQntuples(r->get()) == 0)
        return make_error("not_on_list", "PostgreSQL " + conn_->where() + ": " +
                                             plus_phone(phone) +
                                             " is not on the internal do-not-call list of tenant '" +
                                             tenant + "'");
      id = get_int(r->get(), 0, 0);
      return {};
    });
    if (!s) return s.error();
    auto rows = read_dnc(" WHERE d.id = $1", "", {p(id)});
    if (!rows) return rows.error();
    if (rows->empty())
      return make_error("store_error", "PostgreSQL " + conn_->where() +
                                           ": do-not-call entry " + std::to_string(id) + " vanished");
    return std::move(rows->front());
  }

  Result<std::vector<DncEntry>> dnc_history(const std::string& tenant, uint64_t phone) override {
    return read_dnc(" WHERE t.name = $1 AND d.phone = $2", " ORDER BY d.id DESC",
                    {p(tenant), p(static_cast<int64_t>(phone))});
  }

  Status dnc_phones(const std::string& tenant, const std::function<void(uint64_t)>& sink) override {
    // COPY streams; it takes no parameters, so the tenant is resolved to
    // its integer id first.
    std::string op = "read the internal do-not-call list of tenant '" + tenant + "'";
    auto r = conn_->query("SELECT id FROM tenants WHERE name = $1", {p(tenant)}, op);
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0) return {};
    int64_t tenant_id = get_int(r->get(), 0, 0);
    return copy_out_ints("COPY (SELECT phone FROM dnc_entries WHERE tenant_id = " +
                             std::to_string(tenant_id) + " AND removed_at IS NULL) TO STDOUT",
                         op, sink);
  }

  Status scan_dnc(const std::string& tenant, bool include_removed,
                  const std::function<bool(const DncEntry&)>& sink) override {
    // Pages by (phone, id) so a long list is never held in one result.
    std::string sql = std::string("SELECT ") + kDncColumns +
                      " FROM dnc_entries d JOIN tenants t ON t.id = d.tenant_id WHERE t.name = $1" +
                      (include_removed ? "" : " AND d.removed_at IS NULL") +
                      " AND (d.phone, -d.id) > ($2, $3) ORDER BY d.phone, -d.id LIMIT $4";
    int64_t after_phone = -1, after_key = std::numeric_limits<int64_t>::min();
    while (true) {
      auto r = conn_->query(sql, {p(tenant), p(after_phone), p(after_key), p(kScanPageRows)},
                            "scan the internal do-not-call list of tenant '" + tenant + "'");
      if (!r) return r.error();
      int n = PQntuples(r->get());
      for (int i = 0; i < n; ++i) {
        DncEntry e = read_dnc_entry(r->get(), i);
        after_phone = static_cast<int64_t>(e.phone);
        after_key = -e.id;
        if (!sink(e)) return {};
      }
      if (n < kScanPageRows) return {};
    }
  }

  Result<int64_t> count_dnc(const std::string& tenant) override {
    return conn_->query_int(
        "SELECT count(*) FROM dnc_entries WHERE tenant_id = (SELECT id FROM tenants WHERE name = "
        "$1) AND removed_at IS NULL",
        {p(tenant)}, "count the internal do-not-call list of tenant '" + tenant + "'");
  }

  // --- campaigns ---

  Result<CampaignRecord> put_campaign(const std::string& tenant, const std::string& name,
                                      const std::string& definition) override {
    if (name.empty() || definition.empty())
      return make_error("invalid_argument", "PostgreSQL " + conn_->where() +
                                                ": a campaign needs a name and a definition");
    std::string op = "store campaign '" + name + "' of tenant '" + tenant + "'";
    auto s = transact(op, false, [&]() -> Status {
      auto tenant_id = ensure_tenant(tenant);
      if (!tenant_id) return tenant_id.error();
      auto r = conn_->query(
          "INSERT INTO campaigns (tenant_id, name, definition, created_at, updated_at) "
          "VALUES ($1, $2, $3, to_timestamp($4::bigint), to_timestamp($4::bigint)) "
          "ON CONFLICT (tenant_id, name) DO UPDATE SET definition = excluded.definition, "
          "updated_at = excluded.updated_at",
          {p(*tenant_id), p(name), p(definition), p_time(clock_.now())}, op);
      if (!r) return r.error();
      return {};
    });
    if (!s) return s.error();
    auto found = find_campaign(tenant, name);
    if (!found) return found.error();
    if (!found->has_value())
      return make_error("store_error", "PostgreSQL " + conn_->where() + ": " + op + ": vanished");
    return std::move(**found);
  }

  Result<std::optional<CampaignRecord>> find_campaign(const std::string& tenant,
                                                      const std::string& name) override {
    auto rows = read_campaigns(" WHERE t.name = $1 AND c.name = $2", {p(tenant), p(name)});
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<CampaignRecord>();
    return std::optional<CampaignRecord>(std::move(rows->front()));
  }

  Result<std::vector<CampaignRecord>> campaigns() override { return read_campaigns("", {}); }

  // --- decision receipts ---

  Result<std::vector<int64_t>> record_receipts(std::span<const DecisionReceipt> receipts,
                                               Durability durability) override {
    for (size_t i = 0; i < receipts.size(); ++i)
      if (auto s = check_receipt(receipts[i], i, "PostgreSQL " + conn_->where()); !s)
        return s.error();
    std::vector<int64_t> ids;
    std::string op = "record decision receipts";
    auto s = transact(op, durability == Durability::kSynced ? Commit::kSynced : Commit::kBuffered, [&]() -> Status {
      std::unordered_map<std::string, int64_t> tenants;
      const Param now = p_time(clock_.now());
      for (const DecisionReceipt& r : receipts) {
        auto it = tenants.find(r.tenant);
        if (it == tenants.end()) {
          auto tenant_id = ensure_tenant(r.tenant);
          if (!tenant_id) return tenant_id.error();
          it = tenants.emplace(r.tenant, *tenant_id).first;
        }
        auto id = conn_->query_int(
            "INSERT INTO decision_receipts (tenant_id, campaign, lead_id, phone, decided_at, "
            "verdict, reasons, next_allowed_at, rule_packs, registry_snapshots, local_times, "
            "recorded_at) VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6, $7, "
            "to_timestamp($8::bigint), $9, $10, $11, to_timestamp($12::bigint)) RETURNING id",
            {p(it->second), p(r.campaign), r.lead_id != 0 ? p(r.lead_id) : Param(),
             p(static_cast<int64_t>(r.phone)), p_time(r.decided_at), p(r.verdict),
             p(join_list(r.reasons)), r.next_allowed_at ? p_time(*r.next_allowed_at) : Param(),
             p(join_list(r.rule_packs)), p(join_list(r.registry_snapshots)),
             p(join_list(r.local_times)), now},
            op);
        if (!id) return id.error();
        ids.push_back(*id);
      }
      return {};
    });
    if (!s) return s.error();
    return ids;
  }

  Result<std::vector<DecisionReceipt>> receipts(const ReceiptFilter& filter) override {
    std::vector<std::string> where;
    std::vector<Param> values;
    auto add = [&](const char* cond, Param v) {
      values.push_back(std::move(v));
      where.push_back(std::string(cond) + placeholder('$', values.size()));
    };
    if (filter.tenant) add("t.name = ", p(*filter.tenant));
    if (filter.campaign) add("r.campaign = ", p(*filter.campaign));
    if (filter.lead_id) add("r.lead_id = ", p(*filter.lead_id));
    if (filter.phone) add("r.phone = ", p(static_cast<int64_t>(*filter.phone)));
    std::string sql =
        "SELECT r.id, t.name, r.campaign, coalesce(r.lead_id, 0), r.phone, "
        "extract(epoch FROM r.decided_at)::bigint, r.verdict, r.reasons, "
        "extract(epoch FROM r.next_allowed_at)::bigint, r.rule_packs, r.registry_snapshots, "
        "r.local_times, extract(epoch FROM r.recorded_at)::bigint "
        "FROM decision_receipts r JOIN tenants t ON t.id = r.tenant_id" +
        join_where(where) + " ORDER BY r.id";
    if (filter.limit) {
      values.push_back(p(std::max<int64_t>(*filter.limit, 0)));
      sql += " LIMIT " + placeholder('$', values.size());
    }
    auto r = conn_->query(sql, values, "read decision receipts");
    if (!r) return r.error();
    const PGresult* res = r->get();
    std::vector<DecisionReceipt> out;
    for (int i = 0; i < PQntuples(res); ++i) {
      DecisionReceipt d;
      d.id = get_int(res, i, 0);
      d.tenant = get_text(res, i, 1);
      d.campaign = get_text(res, i, 2);
      d.lead_id = get_int(res, i, 3);
      d.phone = static_cast<uint64_t>(get_int(res, i, 4));
      d.decided_at = seconds_to_instant(get_int(res, i, 5));
      d.verdict = get_text(res, i, 6);
      d.reasons = split_list(get_text(res, i, 7));
      d.next_allowed_at = get_time(res, i, 8);
      d.rule_packs = split_list(get_text(res, i, 9));
      d.registry_snapshots = split_list(get_text(res, i, 10));
      d.local_times = split_list(get_text(res, i, 11));
      d.recorded_at = seconds_to_instant(get_int(res, i, 12));
      out.push_back(std::move(d));
    }
    return out;
  }

 private:
  static constexpr const char* kDncColumns =
      "d.id, t.name, d.phone, d.reason, d.source, extract(epoch FROM d.added_at)::bigint, "
      "extract(epoch FROM d.removed_at)::bigint, d.removed_reason";

  // Empty text is stored as NULL, as the SQLite backend does.
  static Param opt_text(const std::string& v) { return v.empty() ? Param() : Param(v); }

  static DncEntry read_dnc_entry(const PGresult* r, int row) {
    DncEntry e;
    e.id = get_int(r, row, 0);
    e.tenant = get_text(r, row, 1);
    e.phone = static_cast<uint64_t>(get_int(r, row, 2));
    e.reason = get_text(r, row, 3);
    e.source = get_text(r, row, 4);
    e.added_at = seconds_to_instant(get_int(r, row, 5));
    e.removed_at = get_time(r, row, 6);
    e.removed_reason = get_text(r, row, 7);
    return e;
  }

  Result<std::vector<DncEntry>> read_dnc(const std::string& where, const std::string& order,
                                         const std::vector<Param>& values) {
    auto r = conn_->query(std::string("SELECT ") + kDncColumns +
                              " FROM dnc_entries d JOIN tenants t ON t.id = d.tenant_id" + where +
                              order,
                          values, "read internal do-not-call entries");
    if (!r) return r.error();
    std::vector<DncEntry> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(read_dnc_entry(r->get(), i));
    return out;
  }

  Result<std::vector<CampaignRecord>> read_campaigns(const std::string& where,
                                                     const std::vector<Param>& values) {
    auto r = conn_->query(
        "SELECT c.id, t.name, c.name, c.definition, extract(epoch FROM c.created_at)::bigint, "
        "extract(epoch FROM c.updated_at)::bigint FROM campaigns c "
        "JOIN tenants t ON t.id = c.tenant_id" +
            where + " ORDER BY t.name, c.name",
        values, "read campaigns");
    if (!r) return r.error();
    std::vector<CampaignRecord> out;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      CampaignRecord c;
      c.id = get_int(res, i, 0);
      c.tenant = get_text(res, i, 1);
      c.name = get_text(res, i, 2);
      c.definition = get_text(res, i, 3);
      c.created_at = seconds_to_instant(get_int(res, i, 4));
      c.updated_at = seconds_to_instant(get_int(res, i, 5));
      out.push_back(std::move(c));
    }
    return out;
  }

  Result<std::vector<RegistryLoad>> read_registry_loads(const std::string& where,
                                                        const std::vector<Param>& values) {
    auto r = conn_->query(
        "SELECT id, name, version, snapshot_id, kind, to_char(as_of, 'YYYY-MM-DD'), count, "
        "bad_lines, checksum, snapshot_path, extract(epoch FROM loaded_at)::bigint, is_current, "
        "extract(epoch FROM dropped_at)::bigint FROM registry_loads" +
            where + " ORDER BY id",
        values, "read registry loads");
    if (!r) return r.error();
    std::vector<RegistryLoad> out;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      RegistryLoad l;
      l.id = get_int(res, i, 0);
      l.name = get_text(res, i, 1);
      l.version = get_int(res, i, 2);
      l.snapshot_id = get_text(res, i, 3);
      l.kind = get_text(res, i, 4);
      l.as_of = get_text(res, i, 5);
      l.count = get_int(res, i, 6);
      l.bad_lines = get_int(res, i, 7);
      l.checksum = get_text(res, i, 8);
      l.snapshot_path = get_text(res, i, 9);
      l.loaded_at = seconds_to_instant(get_int(res, i, 10));
      l.current = PQgetvalue(res, i, 11)[0] == 't';
      l.dropped_at = get_time(res, i, 12);
      out.push_back(std::move(l));
    }
    for (RegistryLoad& l : out) {
      auto s = conn_->query(
          "SELECT file_name, sha256, bytes, lines, bad_lines FROM registry_load_sources "
          "WHERE load_id = $1 ORDER BY position",
          {p(l.id)}, "read registry load sources");
      if (!s) return s.error();
      for (int i = 0; i < PQntuples(s->get()); ++i)
        l.sources.push_back({get_text(s->get(), i, 0), get_text(s->get(), i, 1),
                             get_int(s->get(), i, 2), get_int(s->get(), i, 3),
                             get_int(s->get(), i, 4)});
    }
    return out;
  }

  // COPY (SELECT one bigint column) TO STDOUT, row by row into `sink`.
  Status copy_out_ints(const std::string& copy_sql, const std::string& op,
                       const std::function<void(uint64_t)>& sink) {
    auto started = conn_->exec(copy_sql, op);
    if (!started) return started.error();
    PGconn* c = conn_->c();
    char* row = nullptr;
    int n;
    while ((n = PQgetCopyData(c, &row, 0)) > 0) {
      uint64_t v = 0;
      std::from_chars(row, row + n, v);
      PQfreemem(row);
      sink(v);
    }
    Status status;
    if (n == -2) status = conn_->error(op);
    while (PGresult* raw = PQgetResult(c)) {
      PgResult r(raw);
      if (status && PQresultStatus(r.get()) != PGRES_COMMAND_OK) status = conn_->error(op, r.get());
    }
    return status;
  }

  // Runs `body` in its own transaction. kSynced: synchronous_commit is on
  // for it whatever the server or session default, so COMMIT returns only
  // once the commit record is flushed; kBuffered: off (COMMIT does not wait
  // for the flush); kDefault: the session's setting.
  enum class Commit : uint8_t { kDefault, kSynced, kBuffered };
  Status transact(const std::string& op, bool durable, const std::function<Status()>& body) {
    return transact(op, durable ? Commit::kSynced : Commit::kDefault, body);
  }
  Status transact(const std::string& op, Commit commit, const std::function<Status()>& body) {
    if (conn_->importing) return import_in_progress(op);
    auto begun = conn_->exec(commit == Commit::kSynced     ? "BEGIN; SET LOCAL synchronous_commit = on"
                             : commit == Commit::kBuffered ? "BEGIN; SET LOCAL synchronous_commit = off"
                                                           : "BEGIN",
                             op);
    if (!begun) {
      if (PQtransactionStatus(conn_->c()) != PQTRANS_IDLE)
        (void)conn_->exec("ROLLBACK", "roll back " + op);
      return begun.error();
    }
    Status result = body();
    if (result && PQtransactionStatus(conn_->c()) != PQTRANS_INTRANS)
      result = conn_->error(op);
    if (result) {
      if (auto r = conn_->exec("COMMIT", op); !r) result = r.error();
    }
    if (PQtransactionStatus(conn_->c()) != PQTRANS_IDLE)
      (void)conn_->exec("ROLLBACK", "roll back " + op);
    return result;
  }

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
