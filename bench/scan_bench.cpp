// bench_scan: Store::scan_leads over N synthetic leads (one list of one
// tenant, scanned by tenant and list as `telemark leads --export` does),
// against the database's own read of the same columns in the same run:
//   SQLite:      a bare sqlite3_step loop over the same SELECT, reading
//                every column (no Lead is built)
//   PostgreSQL:  one COPY (SELECT the same columns of the list, by its id)
//                TO STDOUT (FORMAT binary) through libpq, the bytes received
//                and dropped (throwaway server started with
//                scripts/pg-test-server)
// Prints the median of several runs of each and the ratio, in wall time and
// in this process's CPU time (the steadier figure on a busy machine; for
// PostgreSQL it is the client's share only: receiving, and for scan_leads
// decoding, while the server's work shows in wall time).
//
// PostgreSQL's statistics are gathered (VACUUM ANALYZE) before the scans,
// unless --no-analyze: then the scans run as right after an import, before
// autovacuum has looked at the table.
//
//   bench_scan [--rows N] [--runs R] [--dir DIR] [--no-postgres] [--no-sqlite] [--no-analyze]
#include <libpq-fe.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench_leads.h"
#include "pg_server.h"
#include "store/store.h"

namespace {

using telemark::store::ImportRun;
using telemark::store::Lead;
using telemark::store::LeadFilter;
using telemark::store::Store;

constexpr size_t kBatch = telemark::bench::kLeadBatch;
using telemark::bench::die;
using telemark::bench::fill_batch;
using telemark::bench::template_batch;

// The columns scan_leads reads, as each backend selects them
// (src/store/*/ *_store.cpp, kLeadColumns).
constexpr const char* kSqliteColumns =
    "l.id, l.list_id, l.phone, l.phone_raw, l.extension, l.number_type, l.time_zones, "
    "l.first_name, l.last_name, l.email, l.address, l.city, l.region, l.postal_code, l.country, "
    "l.attributes, l.consent_at, l.consent_revoked_at, l.last_purchase_at, l.last_inquiry_at, "
    "l.contract_active, l.contract_ended_at, l.score, l.source_line, l.import_id";
// The PostgreSQL baseline reads the same columns in their stored types,
// in binary (nothing converted to text on the server), of the list found
// by id: the cheapest read the server offers.
constexpr const char* kPostgresColumns =
    "l.id, l.list_id, l.phone, l.phone_raw, l.extension, l.number_type, l.time_zones, "
    "l.first_name, l.last_name, l.email, l.address, l.city, l.region, l.postal_code, l.country, "
    "l.attributes::text, l.consent_at, l.consent_revoked_at, l.last_purchase_at, "
    "l.last_inquiry_at, l.contract_active, l.contract_ended_at, l.score, l.source_line, "
    "l.import_id";
constexpr const char* kFromWhere =
    " FROM leads l JOIN lists li ON li.id = l.list_id JOIN tenants t ON t.id = li.tenant_id "
    "WHERE t.name = 'bench' AND li.name = 'leads' ORDER BY l.id";

struct Sample {
  double wall = 0, cpu = 0;
};

Sample now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return {std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
              .count(),
          static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9};
}
Sample since(const Sample& t0) {
  Sample t = now();
  return {t.wall - t0.wall, t.cpu - t0.cpu};
}

double median(const std::vector<Sample>& runs, double Sample::*m) {
  std::vector<double> v;
  for (const Sample& s : runs) v.push_back(s.*m);
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void fill_store(Store& store, uint64_t rows) {
  if (auto s = store.migrate(); !s) die(s.error().message);
  auto list = store.ensure_list("bench", "leads");
  if (!list) die(list.error().message);
  // A second list, so the scan's filter has something to leave out.
  auto other = store.ensure_list("bench", "other");
  if (!other) die(other.error().message);
  std::vector<Lead> batch = template_batch();
  for (int64_t target : {*other, *list}) {
    uint64_t n_rows = target == *list ? rows : rows / 10;
    ImportRun run;
    run.file_name = "bench.csv";
    auto writer = store.begin_import(target, run);
    if (!writer) die(writer.error().message);
    for (uint64_t first = 0; first < n_rows; first += kBatch) {
      fill_batch(batch, first);
      size_t n = std::min<uint64_t>(kBatch, n_rows - first);
      if (auto s = (*writer)->append(std::span<const Lead>(batch.data(), n)); !s)
        die(s.error().message);
    }
    if (auto done = (*writer)->commit(ImportRun{}); !done) die(done.error().message);
  }
}

// Seconds to scan the list through the Store; checks what came back.
Sample time_scan(Store& store, uint64_t rows) {
  uint64_t n = 0, bytes = 0;
  int64_t last_id = 0;
  bool ordered = true;
  Sample t0 = now();
  LeadFilter filter;
  filter.tenant = "bench";
  filter.list = "leads";
  auto s = store.scan_leads(filter, [&](const Lead& l) {
    ++n;
    bytes += l.first_name.size() + l.attributes_json.size() + (l.score ? 1 : 0);
    ordered = ordered && l.id > last_id;
    last_id = l.id;
    return true;
  });
  Sample t = since(t0);
  if (!s) die(s.error().message);
  if (n != rows || !ordered || bytes == 0) die("scan_leads returned the wrong leads");
  return t;
}

Sample time_sqlite_baseline(const std::string& path, uint64_t rows) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    die("cannot open " + path);
  std::string sql = std::string("SELECT ") + kSqliteColumns + kFromWhere;
  Sample t0 = now();
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
    die(sqlite3_errmsg(db));
  uint64_t n = 0, sum = 0;
  int cols = sqlite3_column_count(st);
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++n;
    for (int c = 0; c < cols; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: sum += static_cast<uint64_t>(sqlite3_column_int64(st, c)); break;
        case SQLITE_FLOAT: sum += static_cast<uint64_t>(sqlite3_column_double(st, c)); break;
        case SQLITE_TEXT:
          sqlite3_column_text(st, c);
          sum += static_cast<uint64_t>(sqlite3_column_bytes(st, c));
          break;
        default: break;
      }
    }
  }
  sqlite3_finalize(st);
  Sample t = since(t0);
  sqlite3_close(db);
  if (n != rows || sum == 0) die("the sqlite3 baseline read the wrong rows");
  return t;
}

Sample time_postgres_baseline(const std::string& url, uint64_t rows) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) die(PQerrorMessage(c));
  Sample t0 = now();
  PGresult* id = PQexec(c,
                        "SELECT li.id FROM lists li JOIN tenants t ON t.id = li.tenant_id "
                        "WHERE t.name = 'bench' AND li.name = 'leads'");
  if (PQresultStatus(id) != PGRES_TUPLES_OK || PQntuples(id) != 1) die(PQerrorMessage(c));
  std::string sql = std::string("COPY (SELECT ") + kPostgresColumns +
                    " FROM leads l WHERE l.list_id = " + PQgetvalue(id, 0, 0) +
                    " ORDER BY l.id) TO STDOUT (FORMAT binary)";
  PQclear(id);
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COPY_OUT) die(PQerrorMessage(c));
  PQclear(r);
  char* row = nullptr;
  uint64_t n = 0;
  int len;
  while ((len = PQgetCopyData(c, &row, 0)) > 0) {
    ++n;
    PQfreemem(row);
  }
  while ((r = PQgetResult(c))) PQclear(r);
  Sample t = since(t0);
  PQfinish(c);
  // One message per row, then the trailer.
  if (n != rows + 1) die("the COPY baseline read the wrong rows");
  return t;
}

void report(const char* backend, const char* baseline, uint64_t rows,
            const std::vector<Sample>& store_runs, const std::vector<Sample>& base_runs) {
  double n = static_cast<double>(rows);
  double sw = median(store_runs, &Sample::wall), bw = median(base_runs, &Sample::wall);
  double sc = median(store_runs, &Sample::cpu), bc = median(base_runs, &Sample::cpu);
  std::printf("%-10s %-20s wall %7.3f s %9.0f leads/s   cpu %7.3f s\n", backend,
              "Store::scan_leads", sw, n / sw, sc);
  std::printf("%-10s %-20s wall %7.3f s %9.0f leads/s   cpu %7.3f s\n", backend, baseline, bw,
              n / bw, bc);
  std::printf("%-10s scan_leads / baseline: wall %.2f, cpu %.2f  (median of %zu runs, %llu leads)\n",
              backend, sw / bw, sc / bc, store_runs.size(), static_cast<unsigned long long>(rows));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1'000'000;
  int runs = 3;
  std::string parent = "/tmp";
  bool postgres = true, sqlite = true, analyze = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--rows" && i + 1 < argc) {
      rows = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      parent = argv[++i];
    } else if (a == "--no-postgres") {
      postgres = false;
    } else if (a == "--no-sqlite") {
      sqlite = false;
    } else if (a == "--no-analyze") {
      analyze = false;
    } else {
      die("usage: bench_scan [--rows N] [--runs R] [--dir DIR] [--no-postgres] [--no-sqlite] "
          "[--no-analyze]");
    }
  }
  if (rows == 0 || runs < 1) die("--rows and --runs must be positive");

  if (sqlite) {
    std::string dir = parent + "/telemark-bench-scan-XXXXXX";
    if (!mkdtemp(dir.data())) die("cannot create a folder in " + parent);
    std::string path = dir + "/scan.db";
    auto store = Store::open(path);
    if (!store) die(store.error().message);
    fill_store(**store, rows);
    std::vector<Sample> store_runs, base_runs;
    for (int r = 0; r < runs; ++r) {
      base_runs.push_back(time_sqlite_baseline(path, rows));
      store_runs.push_back(time_scan(**store, rows));
    }
    report("sqlite", "sqlite3_step loop", rows, store_runs, base_runs);
    store->reset();
    std::filesystem::remove_all(dir);
  }
  if (postgres) {
    telemark::bench::PgServer server;
    if (server.url().empty()) {
      std::printf("postgresql skipped: could not start a server with scripts/pg-test-server\n");
      return 0;
    }
    auto store = Store::open(server.url());
    if (!store) die(store.error().message);
    fill_store(**store, rows);
    if (analyze) {
      if (auto s = (*store)->execute("VACUUM ANALYZE leads"); !s) die(s.error().message);
    } else {
      // Keep autovacuum from gathering statistics during the run.
      if (auto s = (*store)->execute("ALTER TABLE leads SET (autovacuum_enabled = false)"); !s)
        die(s.error().message);
    }
    std::vector<Sample> store_runs, base_runs;
    for (int r = 0; r < runs; ++r) {
      base_runs.push_back(time_postgres_baseline(server.url(), rows));
      store_runs.push_back(time_scan(**store, rows));
    }
    report(analyze ? "postgresql" : "pg-fresh", "libpq COPY TO STDOUT", rows, store_runs,
           base_runs);
  }
  return 0;
}
