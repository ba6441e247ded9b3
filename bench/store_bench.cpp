// bench_store: imports N synthetic leads through Store::begin_import /
// LeadWriter::append (batches of 10,000) / commit, and compares with the
// database's own bulk loader on a CSV of the same rows in the same run:
//   SQLite:      the sqlite3 shell's `.import` into a plain table
//   PostgreSQL:  psql's `\copy` into a plain table (throwaway server
//                started with scripts/pg-test-server)
// and list_phones over the imported list against the shell reading the
// same phones. Prints the median of several runs of each and the ratios,
// in wall time and (where both sides run in processes we can measure) CPU
// time, the steadier figure on a busy machine.
//
//   bench_store [--rows N] [--runs R] [--dir DIR] [--no-postgres]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/paths.h"
#include "base/time.h"
#include "bench_leads.h"
#include "pg_server.h"
#include "store/store.h"

extern char** environ;

namespace {

using telemark::store::ImportRun;
using telemark::store::Lead;
using telemark::store::Store;

constexpr size_t kBatch = telemark::bench::kLeadBatch;
using telemark::bench::die;
using telemark::bench::fill_batch;
using telemark::bench::template_batch;
constexpr const char* kColumns =
    "list_id,phone,phone_raw,extension,number_type,time_zones,first_name,last_name,email,"
    "address,city,region,postal_code,country,attributes,consent_at,consent_revoked_at,"
    "last_purchase_at,last_inquiry_at,contract_active,contract_ended_at,score,source_line,"
    "import_id,created_at";

// Wall time, and CPU time of the process doing the work (the machine is
// shared: CPU time is the steadier figure when others are busy).
struct Sample {
  double wall = 0, cpu = 0;
};

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

class Stopwatch {
 public:
  Stopwatch() : wall0_(std::chrono::steady_clock::now()), cpu0_(cpu_now()) {}
  Sample elapsed() const {
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0_).count(),
            cpu_now() - cpu0_};
  }

 private:
  std::chrono::steady_clock::time_point wall0_;
  double cpu0_;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string csv_time(const std::optional<telemark::Instant>& t) {
  return t ? std::to_string(telemark::to_unix_seconds(*t)) : "";
}

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void write_csv(const std::string& path, uint64_t rows) {
  std::ofstream out(path);
  out << kColumns << '\n';
  std::vector<Lead> batch = template_batch();
  for (uint64_t first = 0; first < rows; first += kBatch) {
    fill_batch(batch, first);
    size_t n = std::min<uint64_t>(kBatch, rows - first);
    for (size_t i = 0; i < n; ++i) {
      const Lead& l = batch[i];
      out << 1 << ',' << l.phone << ',' << l.phone_raw << ',' << l.extension << ',' << l.number_type
          << ',' << l.time_zones << ',' << csv_quote(l.first_name) << ',' << csv_quote(l.last_name)
          << ',' << l.email << ',' << csv_quote(l.address) << ',' << l.city << ',' << l.region
          << ',' << l.postal_code << ',' << l.country << ',' << csv_quote(l.attributes_json) << ','
          << csv_time(l.facts.consent_at) << ",,,," << (l.facts.contract_active ? 1 : 0) << ",,"
          << (l.score ? std::to_string(*l.score) : "") << ',' << l.source_line << ",1,1780000000\n";
    }
  }
  if (!out) die("cannot write " + path);
}

// Runs a program with `input` on its stdin (stdout to /dev/null if
// `discard_output`); its wall and CPU time.
Sample time_command(const std::vector<std::string>& argv, const std::string& input,
                    bool discard_output = false) {
  int pipefd[2];
  if (pipe(pipefd) != 0) die("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[0], 0);
  posix_spawn_file_actions_addclose(&actions, pipefd[1]);
  if (discard_output) posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Stopwatch watch;
  pid_t pid;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0)
    die("cannot run " + argv[0]);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[0]);
  if (write(pipefd[1], input.data(), input.size()) != static_cast<ssize_t>(input.size()))
    die("cannot write to " + argv[0]);
  close(pipefd[1]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  Sample s = watch.elapsed();
  s.cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
          static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die(argv[0] + " failed");
  return s;
}

// Seconds for begin_import .. commit of `rows` leads into a fresh list.
struct StoreSamples {
  Sample import, phones;
};

// begin_import .. commit of `rows` leads into a fresh list, then
// list_phones over that list.
StoreSamples time_store(const std::string& location, uint64_t rows) {
  auto store = Store::open(location);
  if (!store) die(store.error().message);
  if (auto s = (*store)->migrate(); !s) die(s.error().message);
  auto list = (*store)->ensure_list("bench", "leads");
  if (!list) die(list.error().message);
  std::vector<Lead> batch = template_batch();
  Sample filling;
  Stopwatch watch;
  ImportRun run;
  run.file_name = "bench.csv";
  auto writer = (*store)->begin_import(*list, run);
  if (!writer) die(writer.error().message);
  for (uint64_t first = 0; first < rows; first += kBatch) {
    Stopwatch fill_watch;
    fill_batch(batch, first);  // the caller's work, not the store's: not counted
    Sample f = fill_watch.elapsed();
    filling.wall += f.wall;
    filling.cpu += f.cpu;
    size_t n = std::min<uint64_t>(kBatch, rows - first);
    if (auto s = (*writer)->append(std::span<const Lead>(batch.data(), n)); !s)
      die(s.error().message);
  }
  ImportRun counts;
  counts.rows = counts.imported = static_cast<int64_t>(rows);
  if (auto done = (*writer)->commit(counts); !done) die(done.error().message);
  Sample total = watch.elapsed();
  total.wall -= filling.wall;
  total.cpu -= filling.cpu;
  auto count = (*store)->count_leads({});
  if (!count || *count != static_cast<int64_t>(rows)) die("wrong lead count after the import");
  uint64_t phones = 0, sum = 0;
  Stopwatch phone_watch;
  if (auto s = (*store)->list_phones(*list,
                                     [&](uint64_t p) {
                                       ++phones;
                                       sum += p;
                                     });
      !s)
    die(s.error().message);
  Sample phone_time = phone_watch.elapsed();
  if (phones != rows || sum == 0) die("list_phones returned the wrong number of phones");
  return {total, phone_time};
}

// `cpu` says whether CPU times are comparable (both sides' work happens in
// a process we can measure: not so for a PostgreSQL server).
void report(const char* what, const char* name, const char* baseline_name, uint64_t rows,
            const std::vector<Sample>& store_runs, const std::vector<Sample>& base_runs, bool cpu) {
  auto med = [](const std::vector<Sample>& v, double Sample::*m) {
    std::vector<double> x;
    for (const auto& s : v) x.push_back(s.*m);
    return median(x);
  };
  double n = static_cast<double>(rows);
  double sw = med(store_runs, &Sample::wall), bw = med(base_runs, &Sample::wall);
  double sc = med(store_runs, &Sample::cpu), bc = med(base_runs, &Sample::cpu);
  std::printf("%-10s %-16s wall %7.3f s %6.2f us/row %9.0f rows/s", what, name, sw, sw * 1e6 / n,
              n / sw);
  if (cpu) std::printf("   cpu %7.3f s %6.2f us/row", sc, sc * 1e6 / n);
  std::printf("\n%-10s %-16s wall %7.3f s %6.2f us/row %9.0f rows/s", what, baseline_name, bw,
              bw * 1e6 / n, n / bw);
  if (cpu) std::printf("   cpu %7.3f s %6.2f us/row", bc, bc * 1e6 / n);
  std::printf("\n%-10s %-16s ratio to baseline: wall %.2f", what, name, sw / bw);
  if (cpu) std::printf(", cpu %.2f", sc / bc);
  std::printf("  (median of %zu runs, %llu rows)\n", store_runs.size(),
              static_cast<unsigned long long>(rows));
}

void remove_sqlite(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"})
    std::filesystem::remove(path + suffix);
}

void bench_postgres(const std::string& csv, uint64_t rows, int runs) {
  telemark::bench::PgServer server;
  if (server.url().empty()) {
    std::printf("postgresql   skipped: could not start a server with scripts/pg-test-server\n");
    return;
  }
  auto admin = Store::open(server.url());
  if (!admin) die(admin.error().message);
  std::string psql = "/usr/lib/postgresql/15/bin/psql";
  for (const char* candidate : {"/usr/lib/postgresql/15/bin/psql", "/usr/bin/psql"})
    if (std::filesystem::exists(candidate)) {
      psql = candidate;
      break;
    }
  std::string plain = "CREATE TABLE plain (";
  {
    std::string cols = kColumns;
    size_t pos = 0;
    while (pos <= cols.size()) {
      size_t comma = cols.find(',', pos);
      if (comma == std::string::npos) comma = cols.size();
      plain += (pos ? ", " : "") + cols.substr(pos, comma - pos) + " TEXT";
      pos = comma + 1;
    }
    plain += ")";
  }
  std::vector<Sample> store_runs, base_runs, phone_runs, phone_base_runs;
  for (int r = 0; r < runs; ++r) {
    std::string schema = "bench_" + std::to_string(r);
    if (auto s = (*admin)->execute("CREATE SCHEMA " + schema + "; CREATE TABLE " + schema + "." +
                                   plain.substr(13));
        !s)
      die(s.error().message);
    std::string url = server.url() + "&options=-csearch_path%3D" + schema;
    base_runs.push_back(
        time_command({psql, "-q", "-v", "ON_ERROR_STOP=1", url},
                     "\\copy plain FROM '" + csv + "' WITH (FORMAT csv, HEADER true)\n"));
    StoreSamples st = time_store(url, rows);
    store_runs.push_back(st.import);
    phone_runs.push_back(st.phones);
    phone_base_runs.push_back(
        time_command({psql, "-q", "-v", "ON_ERROR_STOP=1", url},
                     "COPY (SELECT phone FROM leads WHERE list_id = 1) TO STDOUT;\n", true));
    (void)(*admin)->execute("DROP SCHEMA " + schema + " CASCADE");
  }
  report("postgresql", "Store import", "psql \\copy", rows, store_runs, base_runs, false);
  report("postgresql", "list_phones", "psql COPY TO", rows, phone_runs, phone_base_runs, false);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t rows = 1'000'000;
  int runs = 3;
  std::string parent = "/tmp";
  bool postgres = true;
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
    } else {
      die("usage: bench_store [--rows N] [--runs R] [--dir DIR] [--no-postgres]");
    }
  }
  if (rows == 0 || runs < 1) die("--rows and --runs must be positive");
  std::string dir = parent + "/telemark-bench-store-XXXXXX";
  if (!mkdtemp(dir.data())) die("cannot create a folder in " + parent);
  std::string csv = dir + "/leads.csv";
  write_csv(csv, rows);

  std::vector<Sample> store_runs, base_runs, phone_runs, phone_base_runs;
  for (int r = 0; r < runs; ++r) {
    std::string base_db = dir + "/plain.db", store_db = dir + "/store.db";
    base_runs.push_back(
        time_command({"sqlite3", base_db}, ".mode csv\n.import " + csv + " leads\n"));
    remove_sqlite(base_db);
    StoreSamples st = time_store(store_db, rows);
    store_runs.push_back(st.import);
    phone_runs.push_back(st.phones);
    phone_base_runs.push_back(
        time_command({"sqlite3", store_db}, "SELECT phone FROM leads WHERE list_id = 1;\n", true));
    remove_sqlite(store_db);
  }
  report("sqlite", "Store import", "sqlite3 .import", rows, store_runs, base_runs, true);
  report("sqlite", "list_phones", "sqlite3 SELECT", rows, phone_runs, phone_base_runs, true);
  if (postgres) bench_postgres(csv, rows, runs);
  std::filesystem::remove_all(dir);
  return 0;
}
