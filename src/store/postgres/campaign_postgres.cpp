// CampaignStore on PostgreSQL: its own connection; the hopper's lease picks
// rows FOR UPDATE SKIP LOCKED, so dialer processes leasing at once from the
// same campaign each get different leads without waiting on each other.
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "store/campaign_internal.h"
#include "store/internal.h"

namespace telemark::store::internal {
namespace {

// Parameters as text (NULL for none); times travel as Unix seconds.
class Params {
 public:
  Params& add(int64_t v) { return add_text(std::to_string(v)); }
  Params& add_text(std::string v) {
    values_.push_back(std::move(v));
    null_.push_back(false);
    return *this;
  }
  Params& add_opt_text(const std::string& v) { return v.empty() ? add_null() : add_text(v); }
  Params& add_time(const std::optional<Instant>& t) { return t ? add(floor_seconds(*t)) : add_null(); }
  Params& add_opt_id(int64_t id) { return id ? add(id) : add_null(); }
  Params& add_null() {
    values_.emplace_back();
    null_.push_back(true);
    return *this;
  }
  std::vector<const char*> pointers() const {
    std::vector<const char*> p;
    for (size_t i = 0; i < values_.size(); ++i) p.push_back(null_[i] ? nullptr : values_[i].c_str());
    return p;
  }
  int size() const { return static_cast<int>(values_.size()); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

int64_t to_int(const PGresult* r, int row, int col) {
  const char* v = PQgetvalue(r, row, col);
  int64_t out = 0;
  std::from_chars(v, v + std::char_traits<char>::length(v), out);
  return out;
}
std::string text(const PGresult* r, int row, int col) {
  return PQgetisnull(r, row, col) ? std::string() : std::string(PQgetvalue(r, row, col));
}
std::optional<Instant> time(const PGresult* r, int row, int col) {
  if (PQgetisnull(r, row, col)) return std::nullopt;
  return seconds_to_instant(to_int(r, row, col));
}

constexpr const char* kLeadColumns =
    "c.campaign_id, c.lead_id, l.phone, c.state, c.attempts, c.last_outcome, "
    "extract(epoch FROM c.next_call_at)::bigint, c.callback_agent, c.score, c.lease_owner, "
    "extract(epoch FROM c.lease_expires_at)::bigint";

CampaignLead read_lead(const PGresult* r, int i) {
  CampaignLead c;
  c.campaign_id = to_int(r, i, 0);
  c.lead_id = to_int(r, i, 1);
  c.phone = static_cast<uint64_t>(to_int(r, i, 2));
  c.state = text(r, i, 3);
  c.attempts = static_cast<uint32_t>(to_int(r, i, 4));
  c.last_outcome = text(r, i, 5);
  c.next_call_at = time(r, i, 6);
  c.callback_agent = static_cast<uint32_t>(to_int(r, i, 7));
  if (!PQgetisnull(r, i, 8)) c.score = std::stod(PQgetvalue(r, i, 8));
  c.lease_owner = text(r, i, 9);
  c.lease_expires_at = time(r, i, 10);
  return c;
}

void ignore_notice(void*, const char*) {}

class PgCampaignStore final : public CampaignStore {
 public:
  PgCampaignStore(PGconn* c, std::string where) : c_(c), where_(std::move(where)) {}
  ~PgCampaignStore() override { PQfinish(c_); }

  Result<int64_t> enroll_list(int64_t campaign_id, int64_t list_id, Instant now) override {
    auto r = run(
        "INSERT INTO campaign_leads (campaign_id, lead_id, state, next_call_at, score) "
        "SELECT $1, l.id, 'new', to_timestamp($3), l.score FROM leads l WHERE l.list_id = $2 "
        "ON CONFLICT (campaign_id, lead_id) DO NOTHING",
        Params().add(campaign_id).add(list_id).add_time(now), "enroll a list");
    if (!r) return r.error();
    return to_count(r->get());
  }

  Result<int64_t> enroll_leads(int64_t campaign_id, std::span<const int64_t> lead_ids, Instant now) override {
    // One statement (one transaction) with the ids as an array literal.
    std::string ids = "{";
    for (size_t i = 0; i < lead_ids.size(); ++i) ids += (i ? "," : "") + std::to_string(lead_ids[i]);
    ids += "}";
    auto r = run(
        "INSERT INTO campaign_leads (campaign_id, lead_id, state, next_call_at, score) "
        "SELECT $1, l.id, 'new', to_timestamp($3), l.score FROM leads l WHERE l.id = ANY($2::bigint[]) "
        "ON CONFLICT (campaign_id, lead_id) DO NOTHING",
        Params().add(campaign_id).add_text(ids).add_time(now), "enroll leads");
    if (!r) return r.error();
    return to_count(r->get());
  }

  Result<std::vector<CampaignLead>> lease(int64_t campaign_id, const std::string& owner, int max, Instant now,
                                          Duration lease_for) override {
    if (owner.empty() || max <= 0) return make_error("invalid_argument", "lease: needs an owner and max > 0");
    // One statement, one transaction: the rows picked are locked until the
    // UPDATE commits; a concurrent leaser skips them instead of waiting.
    auto r = run(std::string("WITH picked AS (SELECT c.lead_id FROM campaign_leads c "
                             "WHERE c.campaign_id = $1 AND c.next_call_at IS NOT NULL "
                             "AND c.next_call_at <= to_timestamp($2) AND c.state IN ") +
                     kCallableStates +
                     " AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= to_timestamp($2)) "
                     "ORDER BY c.state = 'follow_up' DESC, c.score DESC NULLS LAST, c.lead_id LIMIT $3 "
                     "FOR UPDATE SKIP LOCKED), "
                     "leased AS (UPDATE campaign_leads c SET lease_owner = $4, lease_expires_at = to_timestamp($5) "
                     "FROM picked p WHERE c.campaign_id = $1 AND c.lead_id = p.lead_id RETURNING c.*) "
                     "SELECT " + kLeadColumns + " FROM leased c JOIN leads l ON l.id = c.lead_id",
                 Params().add(campaign_id).add_time(now).add(max).add_text(owner).add_time(now + lease_for),
                 "lease leads");
    if (!r) return r.error();
    std::vector<CampaignLead> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out.push_back(read_lead(r->get(), i));
    // RETURNING has no order: restore the hopper's.
    std::sort(out.begin(), out.end(), hopper_order);
    return out;
  }

  Status extend_lease(int64_t campaign_id, int64_t lead_id, const std::string& owner, Instant until) override {
    auto r = run(
        "UPDATE campaign_leads SET lease_expires_at = to_timestamp($4) "
        "WHERE campaign_id = $1 AND lead_id = $2 AND lease_owner = $3",
        Params().add(campaign_id).add(lead_id).add_text(owner).add_time(until), "extend a lease");
    if (!r) return r.error();
    if (to_count(r->get()) == 0)
      return make_error("lease_lost", "PostgreSQL " + where_ + ": lead " + std::to_string(lead_id) +
                                          " is no longer leased to " + owner);
    return {};
  }

  Status release(int64_t campaign_id, int64_t lead_id, const std::string& owner,
                 std::optional<Instant> next_call_at) override {
    auto r = run(
        "UPDATE campaign_leads SET lease_owner = NULL, lease_expires_at = NULL, "
        "next_call_at = COALESCE(to_timestamp($4), next_call_at) "
        "WHERE campaign_id = $1 AND lead_id = $2 AND lease_owner = $3",
        Params().add(campaign_id).add(lead_id).add_text(owner).add_time(next_call_at), "release a lease");
    if (!r) return r.error();
    return {};
  }

  Status conclude(int64_t campaign_id, int64_t lead_id, const LeadUpdate& u) override {
    auto r = run(
        "UPDATE campaign_leads SET state = $3, attempts = $4, last_outcome = $5, next_call_at = to_timestamp($6), "
        "callback_agent = $7, lease_owner = NULL, lease_expires_at = NULL WHERE campaign_id = $1 AND lead_id = $2",
        Params()
            .add(campaign_id)
            .add(lead_id)
            .add_text(u.state)
            .add(u.attempts)
            .add_opt_text(u.last_outcome)
            .add_time(u.next_call_at)
            .add(u.callback_agent),
        "conclude an attempt");
    if (!r) return r.error();
    if (to_count(r->get()) == 0)
      return make_error("not_enrolled", "PostgreSQL " + where_ + ": lead " + std::to_string(lead_id) +
                                            " is not in campaign " + std::to_string(campaign_id));
    return {};
  }

  Result<std::optional<CampaignLead>> get(int64_t campaign_id, int64_t lead_id) override {
    auto r = run(std::string("SELECT ") + kLeadColumns +
                     " FROM campaign_leads c JOIN leads l ON l.id = c.lead_id WHERE c.campaign_id = $1 "
                     "AND c.lead_id = $2",
                 Params().add(campaign_id).add(lead_id), "read a campaign lead");
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<CampaignLead>();
    return std::optional<CampaignLead>(read_lead(r->get(), 0));
  }

  Result<std::map<std::string, int64_t>> state_counts(int64_t campaign_id) override {
    auto r = run("SELECT state, count(*) FROM campaign_leads WHERE campaign_id = $1 GROUP BY state",
                 Params().add(campaign_id), "count leads by state");
    if (!r) return r.error();
    std::map<std::string, int64_t> out;
    for (int i = 0; i < PQntuples(r->get()); ++i) out[text(r->get(), i, 0)] = to_int(r->get(), i, 1);
    return out;
  }

  Result<int64_t> record_attempt(const AttemptRow& a) override {
    auto r = run(
        "INSERT INTO call_attempts (campaign_id, lead_id, started_at, outcome, disposition, talk_seconds, "
        "abandoned, receipt, receipt_id) VALUES ($1, $2, to_timestamp($3), $4, $5, $6, $7, $8, $9) RETURNING id",
        Params()
            .add(a.campaign_id)
            .add(a.lead_id)
            .add_time(a.started_at)
            .add_text(a.outcome.empty() ? std::string("unknown") : a.outcome)
            .add_opt_text(a.disposition)
            .add(a.talk_seconds)
            .add_text(a.abandoned ? "true" : "false")
            .add_opt_text(a.receipt)
            .add_opt_id(a.receipt_id),
        "record an attempt");
    if (!r) return r.error();
    return to_int(r->get(), 0, 0);
  }

  Result<int64_t> begin_attempt(const AttemptRow& a, const std::string& owner, Instant lease_until) override {
    // One statement: the attempt is stored only if the lease was extended.
    auto r = run(
        "WITH held AS (UPDATE campaign_leads SET lease_expires_at = to_timestamp($6) "
        "WHERE campaign_id = $1 AND lead_id = $2 AND lease_owner = $5 RETURNING lead_id) "
        "INSERT INTO call_attempts (campaign_id, lead_id, started_at, outcome, receipt, receipt_id) "
        "SELECT $1, lead_id, to_timestamp($3), 'dialing', $4, $7::bigint FROM held RETURNING id",
        Params()
            .add(a.campaign_id)
            .add(a.lead_id)
            .add_time(a.started_at)
            .add_opt_text(a.receipt)
            .add_text(owner)
            .add_time(lease_until)
            .add_opt_id(a.receipt_id),
        "start an attempt");
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0)
      return make_error("lease_lost", "PostgreSQL " + where_ + ": lead " + std::to_string(a.lead_id) +
                                          " is no longer leased to " + owner);
    return to_int(r->get(), 0, 0);
  }

  Status finish_attempt(int64_t attempt_id, const AttemptRow& a) override {
    auto r = run("UPDATE call_attempts SET outcome = $2, disposition = $3, talk_seconds = $4, abandoned = $5 "
                 "WHERE id = $1",
                 Params()
                     .add(attempt_id)
                     .add_text(a.outcome.empty() ? std::string("unknown") : a.outcome)
                     .add_opt_text(a.disposition)
                     .add(a.talk_seconds)
                     .add_text(a.abandoned ? "true" : "false"),
                 "finish an attempt");
    if (!r) return r.error();
    if (to_count(r->get()) == 0)
      return make_error("invalid_argument", "PostgreSQL " + where_ + ": no attempt " + std::to_string(attempt_id));
    return {};
  }

  Result<std::vector<RecentAttempt>> recent_attempts_of_leased(int64_t campaign_id, const std::string& owner,
                                                               Instant since) override {
    auto r = run(
        "SELECT a.lead_id, extract(epoch FROM a.started_at)::bigint, a.abandoned FROM campaign_leads c "
        "JOIN call_attempts a ON a.campaign_id = c.campaign_id AND a.lead_id = c.lead_id "
        "WHERE c.campaign_id = $1 AND c.lease_owner = $2 AND a.started_at >= to_timestamp($3) ORDER BY a.id",
        Params().add(campaign_id).add_text(owner).add_time(since), "read recent attempts");
    if (!r) return r.error();
    std::vector<RecentAttempt> out;
    for (int i = 0; i < PQntuples(r->get()); ++i)
      out.push_back({to_int(r->get(), i, 0), *time(r->get(), i, 1), text(r->get(), i, 2) == "t"});
    return out;
  }

  Status scan_recent_attempts(int64_t campaign_id, Instant since,
                              const std::function<bool(const RecentAttempt&)>& sink) override {
    // Pages by (lead_id, id), as Store::scan_leads pages by id: a cursor
    // would need a transaction for the whole scan, one query would hold
    // every row in memory.
    constexpr int64_t kPage = 2000;
    int64_t after_lead = std::numeric_limits<int64_t>::min(), after_id = std::numeric_limits<int64_t>::min();
    while (true) {
      auto r = run(
          "SELECT lead_id, id, extract(epoch FROM started_at)::bigint, abandoned FROM call_attempts "
          "WHERE campaign_id = $1 AND started_at >= to_timestamp($2) AND (lead_id, id) > ($3, $4) "
          "ORDER BY lead_id, id LIMIT $5",
          Params().add(campaign_id).add_time(since).add(after_lead).add(after_id).add(kPage),
          "scan recent attempts");
      if (!r) return r.error();
      const PGresult* res = r->get();
      const int n = PQntuples(res);
      for (int i = 0; i < n; ++i) {
        after_lead = to_int(res, i, 0);
        after_id = to_int(res, i, 1);
        if (!sink({after_lead, *time(res, i, 2), text(res, i, 3) == "t"})) return {};
      }
      if (n < kPage) return {};
    }
  }

  Result<std::vector<AttemptRow>> attempts(int64_t campaign_id, std::optional<int64_t> lead_id) override {
    Params p;
    p.add(campaign_id);
    if (lead_id) p.add(*lead_id);
    else p.add_null();
    auto r = run(
        "SELECT id, campaign_id, lead_id, extract(epoch FROM started_at)::bigint, outcome, disposition, "
        "talk_seconds, abandoned, receipt, receipt_id FROM call_attempts "
        "WHERE campaign_id = $1 AND ($2::bigint IS NULL OR lead_id = $2) "
        "ORDER BY id",
        p, "read attempts");
    if (!r) return r.error();
    std::vector<AttemptRow> out;
    const PGresult* res = r->get();
    for (int i = 0; i < PQntuples(res); ++i) {
      AttemptRow a;
      a.id = to_int(res, i, 0);
      a.campaign_id = to_int(res, i, 1);
      a.lead_id = to_int(res, i, 2);
      a.started_at = *time(res, i, 3);
      a.outcome = text(res, i, 4);
      a.disposition = text(res, i, 5);
      a.talk_seconds = to_int(res, i, 6);
      a.abandoned = text(res, i, 7) == "t";
      a.receipt = text(res, i, 8);
      a.receipt_id = PQgetisnull(res, i, 9) ? 0 : to_int(res, i, 9);
      out.push_back(std::move(a));
    }
    return out;
  }

  Status save_ledger(int64_t campaign_id, const std::string& state, Instant now) override {
    auto r = run(
        "INSERT INTO abandonment_ledgers (campaign_id, state, saved_at) VALUES ($1, $2, to_timestamp($3)) "
        "ON CONFLICT (campaign_id) DO UPDATE SET state = excluded.state, saved_at = excluded.saved_at",
        Params().add(campaign_id).add_text(state).add_time(now), "save the abandonment ledger");
    if (!r) return r.error();
    return {};
  }

  Result<std::optional<std::string>> load_ledger(int64_t campaign_id) override {
    auto r = run("SELECT state FROM abandonment_ledgers WHERE campaign_id = $1", Params().add(campaign_id),
                 "load the abandonment ledger");
    if (!r) return r.error();
    if (PQntuples(r->get()) == 0) return std::optional<std::string>();
    return std::optional<std::string>(text(r->get(), 0, 0));
  }

 private:
  static int64_t to_count(const PGresult* r) {
    const char* n = PQcmdTuples(const_cast<PGresult*>(r));
    int64_t out = 0;
    std::from_chars(n, n + std::char_traits<char>::length(n), out);
    return out;
  }

  Result<PgResult> run(const std::string& sql, const Params& params, std::string_view op) {
    auto ptrs = params.pointers();
    PgResult r(PQexecParams(c_, sql.c_str(), params.size(), nullptr, ptrs.data(), nullptr, nullptr, 0));
    ExecStatusType st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      return make_error("store_error", "PostgreSQL " + where_ + ": " + std::string(op) + ": " +
                                           one_line(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c_)));
    return r;
  }

  PGconn* c_;
  std::string where_;
};

}  // namespace

Result<std::unique_ptr<CampaignStore>> open_campaign_postgres(const std::string& url) {
  std::string where = redact_url(url);
  const char* keys[] = {"connect_timeout", "application_name", "dbname", "client_encoding", nullptr};
  const char* values[] = {"10", "telemark-dialer", url.c_str(), "UTF8", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (!c) return make_error("store_connect_failed", "cannot connect to PostgreSQL at " + where + ": out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = one_line(PQerrorMessage(c));
    PQfinish(c);
    return make_error("store_connect_failed", "cannot connect to PostgreSQL at " + where + ": " + msg);
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  return std::unique_ptr<CampaignStore>(std::make_unique<PgCampaignStore>(c, where));
}

}  // namespace telemark::store::internal
