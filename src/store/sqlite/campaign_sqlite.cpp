// CampaignStore on SQLite: its own connection to the Store's file (WAL),
// the hopper's lease in a BEGIN IMMEDIATE transaction so that concurrent
// leasers (other connections, other processes) take turns.
#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "store/campaign_internal.h"
#include "store/internal.h"

namespace telemark::store::internal {
namespace {

constexpr int kBusyTimeoutMs = 5000;

class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* s) : s_(s) {}
  Stmt(Stmt&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }
  int step() { return sqlite3_step(s_); }
  void reset() { sqlite3_reset(s_); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind_text(int i, const std::string& v) {
    if (v.empty()) sqlite3_bind_null(s_, i);
    else sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind_time(int i, const std::optional<Instant>& t) {
    if (t) bind(i, floor_seconds(*t));
    else sqlite3_bind_null(s_, i);
  }
  int64_t int64(int c) const { return sqlite3_column_int64(s_, c); }
  double dbl(int c) const { return sqlite3_column_double(s_, c); }
  bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(s_, c);
    return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(s_, c))) : "";
  }
  std::optional<Instant> time(int c) const {
    if (is_null(c)) return std::nullopt;
    return seconds_to_instant(int64(c));
  }

 private:
  sqlite3_stmt* s_;
};

constexpr const char* kLeadColumns =
    "c.campaign_id, c.lead_id, l.phone, c.state, c.attempts, c.last_outcome, c.next_call_at, c.callback_agent, "
    "c.score, c.lease_owner, c.lease_expires_at";

CampaignLead read_lead(const Stmt& st) {
  CampaignLead c;
  c.campaign_id = st.int64(0);
  c.lead_id = st.int64(1);
  c.phone = static_cast<uint64_t>(st.int64(2));
  c.state = st.text(3);
  c.attempts = static_cast<uint32_t>(st.int64(4));
  c.last_outcome = st.text(5);
  c.next_call_at = st.time(6);
  c.callback_agent = static_cast<uint32_t>(st.int64(7));
  if (!st.is_null(8)) c.score = st.dbl(8);
  c.lease_owner = st.text(9);
  c.lease_expires_at = st.time(10);
  return c;
}

class SqliteCampaignStore final : public CampaignStore {
 public:
  SqliteCampaignStore(sqlite3* h, std::string path) : h_(h), path_(std::move(path)) {}
  ~SqliteCampaignStore() override { sqlite3_close_v2(h_); }

  Result<int64_t> enroll_list(int64_t campaign_id, int64_t list_id, Instant now) override {
    auto st = prepare(
        "INSERT INTO campaign_leads (campaign_id, lead_id, state, next_call_at, score) "
        "SELECT ?1, l.id, 'new', ?3, l.score FROM leads l WHERE l.list_id = ?2 "
        "ON CONFLICT (campaign_id, lead_id) DO NOTHING",
        "enroll a list");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind(2, list_id);
    st->bind_time(3, now);
    if (st->step() != SQLITE_DONE) return error("enroll a list");
    return static_cast<int64_t>(sqlite3_changes(h_));
  }

  Result<int64_t> enroll_leads(int64_t campaign_id, std::span<const int64_t> lead_ids, Instant now) override {
    if (auto s = exec("BEGIN IMMEDIATE", "start an enrollment"); !s) return s.error();
    auto added = enroll_in_transaction(campaign_id, lead_ids, now);
    if (!added) {
      (void)exec("ROLLBACK", "roll back an enrollment");
      return added;
    }
    if (auto s = exec("COMMIT", "commit an enrollment"); !s) {
      (void)exec("ROLLBACK", "roll back an enrollment");
      return s.error();
    }
    return added;
  }

  Result<std::vector<CampaignLead>> lease(int64_t campaign_id, const std::string& owner, int max, Instant now,
                                          Duration lease_for) override {
    if (owner.empty() || max <= 0) return make_error("invalid_argument", "lease: needs an owner and max > 0");
    if (auto s = exec("BEGIN IMMEDIATE", "start a lease"); !s) return s.error();
    auto out = lease_in_transaction(campaign_id, owner, max, now, lease_for);
    if (!out) {
      (void)exec("ROLLBACK", "roll back a lease");
      return out;
    }
    if (auto s = exec("COMMIT", "commit a lease"); !s) {
      (void)exec("ROLLBACK", "roll back a lease");
      return s.error();
    }
    return out;
  }

  Status extend_lease(int64_t campaign_id, int64_t lead_id, const std::string& owner, Instant until) override {
    auto st = prepare(
        "UPDATE campaign_leads SET lease_expires_at = ?4 WHERE campaign_id = ?1 AND lead_id = ?2 AND lease_owner = ?3",
        "extend a lease");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind(2, lead_id);
    st->bind_text(3, owner);
    st->bind_time(4, until);
    if (st->step() != SQLITE_DONE) return error("extend a lease");
    if (sqlite3_changes(h_) == 0)
      return make_error("lease_lost", "SQLite " + path_ + ": lead " + std::to_string(lead_id) +
                                          " is no longer leased to " + owner);
    return {};
  }

  Status release(int64_t campaign_id, int64_t lead_id, const std::string& owner,
                 std::optional<Instant> next_call_at) override {
    auto st = prepare(
        "UPDATE campaign_leads SET lease_owner = NULL, lease_expires_at = NULL, "
        "next_call_at = COALESCE(?4, next_call_at) WHERE campaign_id = ?1 AND lead_id = ?2 AND lease_owner = ?3",
        "release a lease");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind(2, lead_id);
    st->bind_text(3, owner);
    st->bind_time(4, next_call_at);
    if (st->step() != SQLITE_DONE) return error("release a lease");
    return {};
  }

  Status conclude(int64_t campaign_id, int64_t lead_id, const LeadUpdate& u) override {
    auto st = prepare(
        "UPDATE campaign_leads SET state = ?3, attempts = ?4, last_outcome = ?5, next_call_at = ?6, "
        "callback_agent = ?7, lease_owner = NULL, lease_expires_at = NULL WHERE campaign_id = ?1 AND lead_id = ?2",
        "conclude an attempt");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind(2, lead_id);
    st->bind_text(3, u.state);
    st->bind(4, u.attempts);
    st->bind_text(5, u.last_outcome);
    st->bind_time(6, u.next_call_at);
    st->bind(7, u.callback_agent);
    if (st->step() != SQLITE_DONE) return error("conclude an attempt");
    if (sqlite3_changes(h_) == 0)
      return make_error("not_enrolled", "SQLite " + path_ + ": lead " + std::to_string(lead_id) +
                                            " is not in campaign " + std::to_string(campaign_id));
    return {};
  }

  Result<std::optional<CampaignLead>> get(int64_t campaign_id, int64_t lead_id) override {
    auto st = prepare(std::string("SELECT ") + kLeadColumns +
                          " FROM campaign_leads c JOIN leads l ON l.id = c.lead_id "
                          "WHERE c.campaign_id = ?1 AND c.lead_id = ?2",
                      "read a campaign lead");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind(2, lead_id);
    int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<CampaignLead>();
    if (rc != SQLITE_ROW) return error("read a campaign lead");
    return std::optional<CampaignLead>(read_lead(*st));
  }

  Result<std::map<std::string, int64_t>> state_counts(int64_t campaign_id) override {
    auto st = prepare("SELECT state, count(*) FROM campaign_leads WHERE campaign_id = ?1 GROUP BY state",
                      "count leads by state");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    std::map<std::string, int64_t> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out[st->text(0)] = st->int64(1);
    if (rc != SQLITE_DONE) return error("count leads by state");
    return out;
  }

  Result<int64_t> record_attempt(const AttemptRow& a) override {
    auto st = prepare(
        "INSERT INTO call_attempts (campaign_id, lead_id, started_at, outcome, disposition, talk_seconds, "
        "abandoned, receipt, receipt_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        "record an attempt");
    if (!st) return st.error();
    st->bind(1, a.campaign_id);
    st->bind(2, a.lead_id);
    st->bind_time(3, a.started_at);
    st->bind_text(4, a.outcome.empty() ? std::string("unknown") : a.outcome);
    st->bind_text(5, a.disposition);
    st->bind(6, a.talk_seconds);
    st->bind(7, a.abandoned ? 1 : 0);
    st->bind_text(8, a.receipt);
    if (a.receipt_id) st->bind(9, a.receipt_id);
    if (st->step() != SQLITE_DONE) return error("record an attempt");
    return static_cast<int64_t>(sqlite3_last_insert_rowid(h_));
  }

  Result<int64_t> begin_attempt(const AttemptRow& a, const std::string& owner, Instant lease_until) override {
    if (auto s = exec("BEGIN IMMEDIATE", "start an attempt"); !s) return s.error();
    auto id = begin_in_transaction(a, owner, lease_until);
    if (!id) {
      (void)exec("ROLLBACK", "roll back an attempt");
      return id;
    }
    if (auto s = exec("COMMIT", "commit an attempt"); !s) {
      (void)exec("ROLLBACK", "roll back an attempt");
      return s.error();
    }
    return id;
  }

  Status finish_attempt(int64_t attempt_id, const AttemptRow& a) override {
    auto st = prepare(
        "UPDATE call_attempts SET outcome = ?2, disposition = ?3, talk_seconds = ?4, abandoned = ?5 WHERE id = ?1",
        "finish an attempt");
    if (!st) return st.error();
    st->bind(1, attempt_id);
    st->bind_text(2, a.outcome.empty() ? std::string("unknown") : a.outcome);
    st->bind_text(3, a.disposition);
    st->bind(4, a.talk_seconds);
    st->bind(5, a.abandoned ? 1 : 0);
    if (st->step() != SQLITE_DONE) return error("finish an attempt");
    if (sqlite3_changes(h_) == 0)
      return make_error("invalid_argument", "SQLite " + path_ + ": no attempt " + std::to_string(attempt_id));
    return {};
  }

  Result<std::vector<RecentAttempt>> recent_attempts_of_leased(int64_t campaign_id, const std::string& owner,
                                                               Instant since) override {
    auto st = prepare(
        "SELECT a.lead_id, a.started_at, a.abandoned FROM campaign_leads c JOIN call_attempts a "
        "ON a.campaign_id = c.campaign_id AND a.lead_id = c.lead_id "
        "WHERE c.campaign_id = ?1 AND c.lease_owner = ?2 AND a.started_at >= ?3 ORDER BY a.id",
        "read recent attempts");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind_text(2, owner);
    st->bind_time(3, since);
    std::vector<RecentAttempt> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back({st->int64(0), *st->time(1), st->int64(2) != 0});
    if (rc != SQLITE_DONE) return error("read recent attempts");
    return out;
  }

  Status scan_recent_attempts(int64_t campaign_id, Instant since,
                              const std::function<bool(const RecentAttempt&)>& sink) override {
    auto st = prepare(
        "SELECT lead_id, started_at, abandoned FROM call_attempts "
        "WHERE campaign_id = ?1 AND started_at >= ?2 ORDER BY lead_id, id",
        "scan recent attempts");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind_time(2, since);
    int rc;
    while ((rc = st->step()) == SQLITE_ROW)
      if (!sink({st->int64(0), *st->time(1), st->int64(2) != 0})) return {};
    if (rc != SQLITE_DONE) return error("scan recent attempts");
    return {};
  }

  Result<std::vector<AttemptRow>> attempts(int64_t campaign_id, std::optional<int64_t> lead_id) override {
    auto st = prepare(
        "SELECT id, campaign_id, lead_id, started_at, outcome, disposition, talk_seconds, abandoned, receipt, "
        "receipt_id "
        "FROM call_attempts WHERE campaign_id = ?1 AND (?2 IS NULL OR lead_id = ?2) ORDER BY id",
        "read attempts");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    if (lead_id) st->bind(2, *lead_id);
    std::vector<AttemptRow> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
      AttemptRow a;
      a.id = st->int64(0);
      a.campaign_id = st->int64(1);
      a.lead_id = st->int64(2);
      a.started_at = *st->time(3);
      a.outcome = st->text(4);
      a.disposition = st->text(5);
      a.talk_seconds = st->int64(6);
      a.abandoned = st->int64(7) != 0;
      a.receipt = st->text(8);
      a.receipt_id = st->is_null(9) ? 0 : st->int64(9);
      out.push_back(std::move(a));
    }
    if (rc != SQLITE_DONE) return error("read attempts");
    return out;
  }

  Status save_ledger(int64_t campaign_id, const std::string& state, Instant now) override {
    auto st = prepare(
        "INSERT INTO abandonment_ledgers (campaign_id, state, saved_at) VALUES (?1, ?2, ?3) "
        "ON CONFLICT (campaign_id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
        "save the abandonment ledger");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    st->bind_text(2, state);
    st->bind_time(3, now);
    if (st->step() != SQLITE_DONE) return error("save the abandonment ledger");
    return {};
  }

  Result<std::optional<std::string>> load_ledger(int64_t campaign_id) override {
    auto st = prepare("SELECT state FROM abandonment_ledgers WHERE campaign_id = ?1", "load the abandonment ledger");
    if (!st) return st.error();
    st->bind(1, campaign_id);
    int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    if (rc != SQLITE_ROW) return error("load the abandonment ledger");
    return std::optional<std::string>(st->text(0));
  }

  Status configure() {
    sqlite3_busy_timeout(h_, kBusyTimeoutMs);
    return exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON",
                "configure the connection");
  }

 private:
  Result<int64_t> enroll_in_transaction(int64_t campaign_id, std::span<const int64_t> lead_ids, Instant now) {
    auto st = prepare(
        "INSERT INTO campaign_leads (campaign_id, lead_id, state, next_call_at, score) "
        "SELECT ?1, l.id, 'new', ?3, l.score FROM leads l WHERE l.id = ?2 "
        "ON CONFLICT (campaign_id, lead_id) DO NOTHING",
        "enroll leads");
    if (!st) return st.error();
    int64_t added = 0;
    for (int64_t id : lead_ids) {
      st->bind(1, campaign_id);
      st->bind(2, id);
      st->bind_time(3, now);
      if (st->step() != SQLITE_DONE) return error("enroll leads");
      added += sqlite3_changes(h_);
      st->reset();
    }
    return added;
  }

  Result<int64_t> begin_in_transaction(const AttemptRow& a, const std::string& owner, Instant lease_until) {
    if (auto s = extend_lease(a.campaign_id, a.lead_id, owner, lease_until); !s) return s.error();
    AttemptRow row = a;
    row.outcome = "dialing";
    return record_attempt(row);
  }

  Result<std::vector<CampaignLead>> lease_in_transaction(int64_t campaign_id, const std::string& owner, int max,
                                                         Instant now, Duration lease_for) {
    // Hopper order from two index reads (migration 4): the never-called
    // leads walked in score order, the called-before ones (retries,
    // callbacks) taken by due time and sorted; each gives its first `max`,
    // and the merge keeps the first `max` of both.
    const std::string common =
        " JOIN leads l ON l.id = c.lead_id WHERE c.campaign_id = ?1 AND c.next_call_at IS NOT NULL "
        "AND c.next_call_at <= ?2 AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= ?2) AND ";
    std::vector<CampaignLead> out;
    for (const std::string& sql :
         {std::string("SELECT ") + kLeadColumns + " FROM campaign_leads c INDEXED BY campaign_leads_fresh" + common +
              "c.state = 'new' ORDER BY c.score DESC, c.lead_id LIMIT ?3",  // NULLs sort last
          std::string("SELECT ") + kLeadColumns + " FROM campaign_leads c INDEXED BY campaign_leads_retry" + common +
              "c.state IN ('in_progress', 'contacted', 'follow_up') "
              "ORDER BY c.state = 'follow_up' DESC, c.score DESC, c.lead_id LIMIT ?3"}) {
      auto pick = prepare(sql, "pick leads to lease");
      if (!pick) return pick.error();
      pick->bind(1, campaign_id);
      pick->bind_time(2, now);
      pick->bind(3, max);
      int rc;
      while ((rc = pick->step()) == SQLITE_ROW) out.push_back(read_lead(*pick));
      if (rc != SQLITE_DONE) return error("pick leads to lease");
    }
    std::sort(out.begin(), out.end(), hopper_order);
    if (out.size() > static_cast<size_t>(max)) out.resize(static_cast<size_t>(max));
    Instant until = now + lease_for;
    for (CampaignLead& c : out) {
      auto up = prepare(
          "UPDATE campaign_leads SET lease_owner = ?3, lease_expires_at = ?4 WHERE campaign_id = ?1 AND lead_id = ?2",
          "lease a lead");
      if (!up) return up.error();
      up->bind(1, campaign_id);
      up->bind(2, c.lead_id);
      up->bind_text(3, owner);
      up->bind_time(4, until);
      if (up->step() != SQLITE_DONE) return error("lease a lead");
      c.lease_owner = owner;
      c.lease_expires_at = truncate_to_seconds(until);
    }
    return out;
  }

  Result<Stmt> prepare(const std::string& sql, std::string_view op) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s);
      return error(op);
    }
    return Stmt(s);
  }
  Status exec(const std::string& sql, std::string_view op) {
    char* msg = nullptr;
    if (sqlite3_exec(h_, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return {};
    std::string text = msg ? msg : sqlite3_errmsg(h_);
    sqlite3_free(msg);
    return make_error("store_error", "SQLite " + path_ + ": " + std::string(op) + ": " + text);
  }
  Error error(std::string_view op) const {
    return make_error("store_error", "SQLite " + path_ + ": " + std::string(op) + ": " + sqlite3_errmsg(h_));
  }

  sqlite3* h_;
  std::string path_;
};

}  // namespace

Result<std::unique_ptr<CampaignStore>> open_campaign_sqlite(const std::string& path) {
  sqlite3* h = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = h ? sqlite3_errmsg(h) : sqlite3_errstr(rc);
    sqlite3_close_v2(h);
    return make_error("store_open_failed", "cannot open SQLite database " + path + ": " + msg);
  }
  auto store = std::make_unique<SqliteCampaignStore>(h, path);
  if (auto s = store->configure(); !s)
    return make_error("store_open_failed", s.error().message);
  return std::unique_ptr<CampaignStore>(std::move(store));
}

}  // namespace telemark::store::internal
