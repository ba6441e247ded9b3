// bench_hopper: the hopper's lease at scale. A campaign of N enrolled
// leads (two thirds scored) is dialed the way a busy day goes: lease 100,
// conclude each with a retry 4 hours later, move the clock 5 seconds on,
// again. The figure is the time of one lease (pick + mark, one
// transaction) as the day goes on, against the plan before the hopper
// order index (migration 4) in the same run, on the same database:
//   SQLite:     the same lease transaction with the due leads taken by
//               time and sorted, as before (on the index it had then,
//               recreated for the baseline as campaign_leads_by_time);
//   PostgreSQL: CampaignStore::lease on a second, identical campaign after
//               DROP INDEX campaign_leads_order (throwaway server started
//               with scripts/pg-test-server).
//
//   bench_hopper [--leads N] [--batches B] [--no-postgres]
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/time.h"
#include "bench_leads.h"
#include "pg_server.h"
#include "store/campaign_store.h"
#include "store/store.h"

namespace {

using namespace telemark;
using Clock_ = std::chrono::steady_clock;

using telemark::bench::die;

template <class T>
T must(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  return std::move(*r);
}
void must(const Status& s, const char* what) {
  if (!s) die(std::string(what) + ": " + s.error().message);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

const Instant kT0 = from_unix_seconds(1'800'000'000);

// A list of n leads and two campaigns with every lead enrolled.
std::pair<int64_t, int64_t> build(store::Store& db, store::CampaignStore& cs, int64_t n) {
  must(db.migrate(), "migrate");
  store::ImportRun run;
  run.file_name = "bench";
  run.file_sha256 = std::string(64, '0');
  auto w = must(db.begin_import("default", "hopper-bench", run), "begin import");
  std::vector<store::Lead> batch;
  uint64_t x = 88172645463325252ull;
  for (int64_t i = 0; i < n; ++i) {
    store::Lead l;
    l.phone = 12025550000ull + static_cast<uint64_t>(i) * 7;
    l.phone_raw = std::to_string(l.phone);
    l.country = "US";
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    if (x % 3) l.score = static_cast<double>(x % 100000) / 100000.0;
    l.source_line = static_cast<uint64_t>(i) + 2;
    batch.push_back(std::move(l));
    if (batch.size() == 10000) {
      must(w->append(batch), "append");
      batch.clear();
    }
  }
  must(w->append(batch), "append");
  store::ImportRun counts;
  counts.rows = counts.imported = n;
  auto committed = must(w->commit(counts), "commit");
  auto c1 = must(db.put_campaign("default", "hopper-1", "name = \"hopper-1\""), "campaign");
  auto c2 = must(db.put_campaign("default", "hopper-2", "name = \"hopper-2\""), "campaign");
  must(cs.enroll_list(c1.id, committed.list_id, kT0), "enroll");
  must(cs.enroll_list(c2.id, committed.list_id, kT0), "enroll");
  return {c1.id, c2.id};
}

// One dialing day: `batches` leases of 100; returns each lease's ms.
std::vector<double> day(store::CampaignStore& cs, int64_t campaign, int batches,
                        const std::function<std::vector<int64_t>(Instant)>& lease) {
  std::vector<double> ms;
  Instant now = kT0 + std::chrono::seconds(1);
  for (int b = 0; b < batches; ++b) {
    auto t = Clock_::now();
    auto ids = lease(now);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock_::now() - t).count());
    if (ids.size() != 100) die("a lease returned " + std::to_string(ids.size()) + " leads, expected 100");
    for (int64_t id : ids) {
      store::LeadUpdate u;
      u.state = "in_progress";
      u.attempts = 1;
      u.last_outcome = "no_answer";
      u.next_call_at = now + std::chrono::hours(4);
      must(cs.conclude(campaign, id, u), "conclude");
    }
    now += std::chrono::seconds(5);
  }
  return ms;
}

std::vector<int64_t> store_lease(store::CampaignStore& cs, int64_t campaign, Instant now) {
  auto leased = must(cs.lease(campaign, "bench", 100, now, std::chrono::minutes(20)), "lease");
  std::vector<int64_t> ids;
  for (const auto& l : leased) ids.push_back(l.lead_id);
  return ids;
}

// The lease as it was before migration 4: every due lead taken by time,
// sorted, the first 100 marked; one BEGIN IMMEDIATE transaction.
std::vector<int64_t> old_sqlite_lease(sqlite3* h, int64_t campaign, Instant now) {
  auto exec = [&](const char* sql) {
    if (sqlite3_exec(h, sql, nullptr, nullptr, nullptr) != SQLITE_OK) die(sqlite3_errmsg(h));
  };
  exec("BEGIN IMMEDIATE");
  sqlite3_stmt* pick = nullptr;
  const char* sql =
      "SELECT c.lead_id, l.phone FROM campaign_leads c INDEXED BY campaign_leads_by_time "
      "JOIN leads l ON l.id = c.lead_id WHERE c.campaign_id = ?1 AND c.next_call_at IS NOT NULL "
      "AND c.next_call_at <= ?2 AND c.state IN ('new', 'in_progress', 'contacted', 'follow_up') "
      "AND (c.lease_expires_at IS NULL OR c.lease_expires_at <= ?2) "
      "ORDER BY c.state = 'follow_up' DESC, c.score DESC, c.lead_id LIMIT 100";
  if (sqlite3_prepare_v2(h, sql, -1, &pick, nullptr) != SQLITE_OK) die(sqlite3_errmsg(h));
  sqlite3_bind_int64(pick, 1, campaign);
  sqlite3_bind_int64(pick, 2, to_unix_seconds(now));
  std::vector<int64_t> ids;
  while (sqlite3_step(pick) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(pick, 0));
  sqlite3_finalize(pick);
  for (int64_t id : ids) {
    sqlite3_stmt* up = nullptr;
    sqlite3_prepare_v2(h, "UPDATE campaign_leads SET lease_owner = 'bench', lease_expires_at = ?3 "
                          "WHERE campaign_id = ?1 AND lead_id = ?2", -1, &up, nullptr);
    sqlite3_bind_int64(up, 1, campaign);
    sqlite3_bind_int64(up, 2, id);
    sqlite3_bind_int64(up, 3, to_unix_seconds(now) + 1200);
    if (sqlite3_step(up) != SQLITE_DONE) die(sqlite3_errmsg(h));
    sqlite3_finalize(up);
  }
  exec("COMMIT");
  return ids;
}

void report(const char* backend, int64_t n, const std::vector<double>& now_ms, const std::vector<double>& old_ms,
            const char* baseline) {
  double a = median(now_ms), b = median(old_ms);
  std::printf("%-10s %lld leads, %zu leases of 100 over a dialing day\n", backend, static_cast<long long>(n),
              now_ms.size());
  std::printf("  lease, hopper order index   median %8.2f ms   p90 %8.2f ms   first %8.2f ms   last %8.2f ms\n", a,
              percentile(now_ms, 0.9), now_ms.front(), now_ms.back());
  std::printf("  baseline: %-16s median %8.2f ms   p90 %8.2f ms   first %8.2f ms   last %8.2f ms\n", baseline, b,
              percentile(old_ms, 0.9), old_ms.front(), old_ms.back());
  std::printf("  speed-up (baseline / index, medians): %.1fx\n", a > 0 ? b / a : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 1'000'000;
  int batches = 200;
  bool postgres = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--leads" && i + 1 < argc) n = std::atoll(argv[++i]);
    else if (a == "--batches" && i + 1 < argc) batches = std::atoi(argv[++i]);
    else if (a == "--no-postgres") postgres = false;
    else die("usage: bench_hopper [--leads N] [--batches B] [--no-postgres]");
  }
  if (n < 100LL * batches) die("--leads must be at least 100 x --batches");

  {
    std::string dir = (std::filesystem::temp_directory_path() / "telemark-bench-hopper-XXXXXX").string();
    if (!mkdtemp(dir.data())) die("cannot create a temporary folder");
    std::string path = dir + "/hopper.db";
    auto db = must(store::Store::open(path), "open");
    must(db->migrate(), "migrate");
    auto cs = must(store::CampaignStore::open(path), "open campaign store");
    auto [c1, c2] = build(*db, *cs, n);
    auto now_ms = day(*cs, c1, batches, [&](Instant t) { return store_lease(*cs, c1, t); });
    sqlite3* h = nullptr;
    if (sqlite3_open(path.c_str(), &h) != SQLITE_OK) die("open " + path);
    sqlite3_busy_timeout(h, 5000);
    if (sqlite3_exec(h, "CREATE INDEX campaign_leads_by_time ON campaign_leads (campaign_id, next_call_at) "
                        "WHERE next_call_at IS NOT NULL", nullptr, nullptr, nullptr) != SQLITE_OK)
      die(sqlite3_errmsg(h));
    auto old_ms = day(*cs, c2, batches, [&](Instant t) { return old_sqlite_lease(h, c2, t); });
    sqlite3_close(h);
    report("sqlite", n, now_ms, old_ms, "sort due leads");
    cs.reset();
    db.reset();
    std::filesystem::remove_all(dir);
  }
  if (postgres) {
    bench::PgServer server;
    if (server.url().empty()) {
      std::printf("postgresql skipped: could not start a server with scripts/pg-test-server\n");
      return 0;
    }
    auto db = must(store::Store::open(server.url()), "open");
    must(db->migrate(), "migrate");
    auto cs = must(store::CampaignStore::open(server.url()), "open campaign store");
    auto [c1, c2] = build(*db, *cs, n);
    must(db->execute("ANALYZE campaign_leads"), "analyze");
    auto now_ms = day(*cs, c1, batches, [&](Instant t) { return store_lease(*cs, c1, t); });
    must(db->execute("DROP INDEX campaign_leads_order"), "drop index");
    auto old_ms = day(*cs, c2, batches, [&](Instant t) { return store_lease(*cs, c2, t); });
    report("postgresql", n, now_ms, old_ms, "no order index");
  }
  return 0;
}
