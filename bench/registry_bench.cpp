// bench_registry: the do-not-call registry snapshot against the ways a
// registry is usually kept, in one run on the same generated data.
//
// Generates a synthetic national registry (default 100,000,000 distinct
// numbers over 300 real US area codes from data/nanp-area-code-regions.tsv,
// one 10-digit number a line, unsorted within an area code as a download
// is not guaranteed sorted) and a list of leads (default 10,000,000, 30% of
// them registered), then measures:
//   telemark   build (parse + sort + write, through RegistryDirectory::load),
//              bytes per number, open time, single lookups, scrub of the leads
//   SQLite     registry in a WITHOUT ROWID table, leads in a table; load time
//              and the NOT EXISTS anti-join
//   sort|join  LC_ALL=C sort of both files and join -v 1, timed via /bin/sh
//   CRoaring   Roaring64Map size and lookup rate
//   sdsl       sd_vector size, load (deserialize) time and lookup rate: the
//              figure behind the hand-written Elias-Fano (src/registry/snapshot.cpp)
// Fast measurements are the median of --runs runs; the slow baselines (SQLite
// load and anti-join, sort|join) run once at full scale (--slow-runs).
//
// Usage: bench_registry [--scale S] [--numbers N] [--leads N] [--registered F]
//                       [--area-codes N] [--seed N] [--runs N] [--slow-runs N]
//                       [--workdir DIR] [--keep] [--skip-sqlite] [--skip-sort]
//                       [--skip-sdsl] [--skip-roaring]
#include <roaring/roaring64map.hh>
#include <sdsl/sd_vector.hpp>
#include <sdsl/util.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/paths.h"
#include "registry/directory.h"
#include "registry/loader.h"
#include "registry/snapshot.h"

namespace fs = std::filesystem;
using namespace telemark;
using namespace telemark::registry;

namespace {

struct Options {
  double scale = 1.0;
  uint64_t numbers = 100000000;
  uint64_t leads = 10000000;
  double registered = 0.30;
  int area_codes = 300;
  uint64_t seed = 20261129;
  int runs = 5;
  int slow_runs = 1;
  std::string workdir;
  bool keep = false, skip_sqlite = false, skip_sort = false, skip_sdsl = false, skip_roaring = false;
};

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Median wall time of `runs` calls.
double timed(int runs, const std::function<void()>& fn) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const double a = now_s();
    fn();
    t.push_back(now_s() - a);
  }
  return median(t);
}

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "bench_registry: %s\n", msg.c_str());
  std::exit(1);
}

Options parse_args(int argc, char** argv) {
  Options o;
  bool numbers_set = false, leads_set = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--scale") o.scale = std::stod(val());
    else if (a == "--numbers") o.numbers = std::stoull(val()), numbers_set = true;
    else if (a == "--leads") o.leads = std::stoull(val()), leads_set = true;
    else if (a == "--registered") o.registered = std::stod(val());
    else if (a == "--area-codes") o.area_codes = std::stoi(val());
    else if (a == "--seed") o.seed = std::stoull(val());
    else if (a == "--runs") o.runs = std::max(1, std::stoi(val()));
    else if (a == "--slow-runs") o.slow_runs = std::max(1, std::stoi(val()));
    else if (a == "--workdir") o.workdir = val();
    else if (a == "--keep") o.keep = true;
    else if (a == "--skip-sqlite") o.skip_sqlite = true;
    else if (a == "--skip-sort") o.skip_sort = true;
    else if (a == "--skip-sdsl") o.skip_sdsl = true;
    else if (a == "--skip-roaring") o.skip_roaring = true;
    else if (a == "--help" || a == "-h") {
      std::printf("usage: bench_registry [--scale S] [--numbers N] [--leads N] [--registered F]\n"
                  "  [--area-codes N] [--seed N] [--runs N] [--slow-runs N] [--workdir DIR] [--keep]\n"
                  "  [--skip-sqlite] [--skip-sort] [--skip-sdsl] [--skip-roaring]\n");
      std::exit(0);
    } else {
      die("unknown option " + a);
    }
  }
  if (!numbers_set) o.numbers = static_cast<uint64_t>(std::llround(static_cast<double>(o.numbers) * o.scale));
  if (!leads_set) o.leads = static_cast<uint64_t>(std::llround(static_cast<double>(o.leads) * o.scale));
  return o;
}

std::vector<int> us_area_codes(int want, uint64_t seed) {
  const std::string path = home_path("data/nanp-area-code-regions.tsv");
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<int> npas;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    int npa = 0;
    char country[8] = {};
    if (std::sscanf(line.c_str(), "%d\t%7s", &npa, country) == 2 && std::string(country) == "US")
      npas.push_back(npa);
  }
  if (static_cast<int>(npas.size()) < want)
    die(path + " has only " + std::to_string(npas.size()) + " US area codes");
  std::mt19937_64 rng(seed);
  std::shuffle(npas.begin(), npas.end(), rng);
  npas.resize(static_cast<size_t>(want));
  std::sort(npas.begin(), npas.end());
  return npas;
}

// Valid NANP subscriber numbers of an area code: exchange 200-999.
constexpr uint64_t kPerNpa = 8000000;
inline uint64_t number_of(int npa, uint64_t k) {
  return 10000000000ull + static_cast<uint64_t>(npa) * 10000000ull + 2000000 + k;
}

struct Data {
  std::vector<uint64_t> registry;  // file order
  std::vector<uint64_t> leads;     // file order
  uint64_t leads_registered = 0;
  std::string registry_file, leads_file;
};

void write_numbers(const std::string& path, const std::vector<uint64_t>& v) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) die("cannot write " + path);
  std::vector<char> buf;
  buf.reserve(1 << 22);
  char num[24];
  for (uint64_t x : v) {
    // Ten digits: the number without its country code.
    uint64_t ten = x - 10000000000ull;
    for (int i = 9; i >= 0; --i, ten /= 10) num[i] = static_cast<char>('0' + ten % 10);
    buf.insert(buf.end(), num, num + 10);
    buf.push_back('\n');
    if (buf.size() > (1 << 22) - 32) {
      std::fwrite(buf.data(), 1, buf.size(), f);
      buf.clear();
    }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
}

Data generate(const Options& o, const std::string& dir) {
  Data d;
  const auto npas = us_area_codes(o.area_codes, o.seed);
  std::mt19937_64 rng(o.seed);
  const uint64_t per = o.numbers / npas.size();
  const uint64_t extra = o.numbers % npas.size();
  if (per + 1 > kPerNpa / 2) die("too many numbers per area code for this generator");
  d.registry.reserve(o.numbers);
  std::vector<std::vector<uint64_t>> taken(npas.size());  // bitmaps of kPerNpa bits
  for (size_t a = 0; a < npas.size(); ++a) {
    auto& bits = taken[a];
    bits.assign(kPerNpa / 64, 0);
    const uint64_t want = per + (a < extra ? 1 : 0);
    for (uint64_t got = 0; got < want;) {
      const uint64_t k = rng() % kPerNpa;
      if (bits[k >> 6] >> (k & 63) & 1) continue;
      bits[k >> 6] |= uint64_t{1} << (k & 63);
      d.registry.push_back(number_of(npas[a], k));
      ++got;
    }
  }
  d.leads.reserve(o.leads);
  for (uint64_t i = 0; i < o.leads; ++i) {
    if (static_cast<double>(rng() % 1000000) < o.registered * 1e6 && !d.registry.empty()) {
      d.leads.push_back(d.registry[rng() % d.registry.size()]);
      ++d.leads_registered;
    } else {
      for (;;) {
        const size_t a = rng() % npas.size();
        const uint64_t k = rng() % kPerNpa;
        if (taken[a][k >> 6] >> (k & 63) & 1) continue;
        d.leads.push_back(number_of(npas[a], k));
        break;
      }
    }
  }
  d.registry_file = dir + "/registry.txt";
  d.leads_file = dir + "/leads.txt";
  write_numbers(d.registry_file, d.registry);
  write_numbers(d.leads_file, d.leads);
  return d;
}

void sql(sqlite3* db, const std::string& q) {
  char* err = nullptr;
  if (sqlite3_exec(db, q.c_str(), nullptr, nullptr, &err) != SQLITE_OK)
    die("sqlite: " + q + ": " + (err ? err : "?"));
}

struct Row {
  std::string what;
  std::string ours, theirs;
  std::string ratio;
};

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress shows when redirected to a file
  const Options o = parse_args(argc, argv);
  const std::string dir =
      o.workdir.empty() ? "/tmp/telemark_bench_registry_" + std::to_string(::getpid()) : o.workdir;
  fs::create_directories(dir);
  std::printf("bench_registry: %" PRIu64 " registry numbers over %d US area codes, %" PRIu64
              " leads (%.0f%% registered), seed %" PRIu64 ", workdir %s\n",
              o.numbers, o.area_codes, o.leads, o.registered * 100, o.seed, dir.c_str());

  double t = now_s();
  Data d = generate(o, dir);
  std::printf("generated %s (%.0f MB) and %s in %.1f s\n", d.registry_file.c_str(),
              static_cast<double>(fs::file_size(d.registry_file)) / 1e6, d.leads_file.c_str(), now_s() - t);
  const uint64_t expect_unregistered = d.leads.size() - d.leads_registered;

  // ------------------------------------------------------------ telemark
  SystemClock clock;
  auto reg = RegistryDirectory::open(dir + "/registries", RegistryDirectory::Options{1});
  if (!reg.ok()) die(reg.error().message);
  LoadRequest req;
  req.as_of = "2026-11-01";
  req.clock = &clock;
  req.parse.format = Format::kAuto;
  std::vector<double> build_times;
  for (int i = 0; i < o.slow_runs; ++i) {
    t = now_s();
    auto out = reg->load("us-dnc", {d.registry_file}, req);
    if (!out.ok()) die(out.error().message);
    build_times.push_back(now_s() - t);
  }
  const double build_s = median(build_times);
  auto info = reg->info("us-dnc");
  if (!info.ok()) die(info.error().message);
  const std::string snap_path = info->path;
  // Breakdown of one build: parse, sort, write.
  double parse_s, sort_s, write_s;
  {
    ParseOptions po;
    po.region = "US";
    t = now_s();
    auto loaded = read_number_files({d.registry_file}, po);
    if (!loaded.ok()) die(loaded.error().message);
    parse_s = now_s() - t;
    t = now_s();
    sort_unique(loaded->numbers);
    sort_s = now_s() - t;
    Provenance p;
    p.name = "us-dnc";
    p.as_of = req.as_of;
    t = now_s();
    auto w = write_sorted_snapshot(loaded->numbers, dir + "/breakdown.tmreg", p);
    if (!w.ok()) die(w.error().message);
    write_s = now_s() - t;
    fs::remove(dir + "/breakdown.tmreg");
  }

  std::unique_ptr<RegistrySnapshot> snap;
  const double open_s = timed(o.runs, [&] {
    auto s = RegistrySnapshot::open(snap_path);
    if (!s.ok()) die(s.error().message);
    snap = std::move(s).value();
  });
  const auto lay = snap->layout();
  const double bytes_per = static_cast<double>(lay.file_bytes) / static_cast<double>(snap->count());
  if (snap->count() != o.numbers) die("snapshot count differs from the generated registry");

  // Random probes: uniformly over the registry's area codes (mostly misses,
  // ~4% hits at full scale), plus registered numbers.
  std::mt19937_64 rng(o.seed + 1);
  const auto npas = us_area_codes(o.area_codes, o.seed);
  const size_t n_probes = std::min<uint64_t>(10000000, std::max<uint64_t>(o.leads, 1000000));
  std::vector<uint64_t> probes(n_probes);
  for (auto& p : probes)
    p = (rng() & 1) ? d.registry[rng() % d.registry.size()] : number_of(npas[rng() % npas.size()], rng() % kPerNpa);
  uint64_t sink = 0;
  const double lookup_s = timed(o.runs, [&] {
    for (uint64_t p : probes) sink += snap->contains(p);
  });
  uint64_t ours_unregistered = 0;
  const double scrub_s = timed(o.runs, [&] {
    ours_unregistered = d.leads.size() - snap->count_contained(d.leads);
  });
  const double scrub_single_s = timed(o.runs, [&] {
    uint64_t hits = 0;
    for (uint64_t x : d.leads) hits += snap->contains(x);
    sink += hits;
  });
  // End to end from the leads file, like sort|join: read, parse, probe.
  const double scrub_file_s = timed(std::min(o.runs, 3), [&] {
    ParseOptions po;
    po.region = "US";
    auto leads = read_number_files({d.leads_file}, po);
    if (!leads.ok()) die(leads.error().message);
    sink += snap->count_contained(leads->numbers);
  });
  if (ours_unregistered != expect_unregistered) die("telemark scrub count is wrong");
  const double verify_s = timed(1, [&] {
    if (Status st = snap->verify(); !st.ok()) die(st.error().message);
  });

  std::printf("\ntelemark snapshot: %" PRIu64 " numbers, %" PRIu64 " bytes (%.3f bytes/number; data %.3f, "
              "directory %.3f), bucket width 2^%u, %" PRIu64 " buckets\n",
              snap->count(), lay.file_bytes, bytes_per,
              static_cast<double>(lay.data_bytes) / static_cast<double>(snap->count()),
              static_cast<double>(lay.directory_bytes) / static_cast<double>(snap->count()), lay.bucket_bits,
              lay.num_buckets);
  std::printf("  build %.2f s (median of %d; parse+sha256 %.2f s, sort %.2f s, write %.2f s), verify %.2f s\n",
              build_s, o.slow_runs, parse_s, sort_s, write_s, verify_s);
  std::printf("  open %.3f ms, single lookups %.2f M/s (%.0f ns each), scrub %" PRIu64
              " leads: %.3f s batched (%.1f M/s), %.3f s one call each, %.3f s from the file\n",
              open_s * 1e3, static_cast<double>(probes.size()) / lookup_s / 1e6,
              lookup_s / static_cast<double>(probes.size()) * 1e9, d.leads.size(), scrub_s,
              static_cast<double>(d.leads.size()) / scrub_s / 1e6, scrub_single_s, scrub_file_s);

  // The information-theoretic minimum for this density: log2 C(U, n) bits
  // for n numbers among the U valid numbers of the area codes used.
  const double universe = static_cast<double>(o.area_codes) * static_cast<double>(kPerNpa);
  const double nn = static_cast<double>(snap->count());
  const double bound_bytes =
      (std::lgamma(universe + 1) - std::lgamma(nn + 1) - std::lgamma(universe - nn + 1)) / std::log(2.0) / 8 / nn;
  std::printf("  information-theoretic minimum at this density (%.2f%% of the area codes' numbers): %.3f bytes/number\n",
              100 * nn / universe, bound_bytes);
  std::vector<Row> rows;
  rows.push_back({"bytes/number vs information-theoretic minimum", fmt("%.3f", bytes_per), fmt("%.3f", bound_bytes),
                  fmt("%.2fx", bytes_per / bound_bytes)});

  // Sorted copy for the baselines that need one.
  std::vector<uint64_t> sorted = d.registry;
  sort_unique(sorted);

  // ------------------------------------------------------------ CRoaring
  if (!o.skip_roaring) {
    Roaring64Map r;
    t = now_s();
    r.addMany(sorted.size(), sorted.data());
    r.runOptimize();
    const double r_build = now_s() - t;
    const double r_bytes = static_cast<double>(r.getSizeInBytes());
    const double r_lookup = timed(o.runs, [&] {
      for (uint64_t p : probes) sink += r.contains(p);
    });
    uint64_t r_hits = 0;
    const double r_scrub = timed(o.runs, [&] {
      r_hits = 0;
      for (uint64_t x : d.leads) r_hits += r.contains(x);
    });
    if (d.leads.size() - r_hits != expect_unregistered) die("roaring scrub count is wrong");
    std::printf("\nCRoaring Roaring64Map: %.3f bytes/number, built from sorted numbers in %.2f s, lookups %.2f M/s, "
                "scrub %.3f s\n",
                r_bytes / static_cast<double>(sorted.size()), r_build,
                static_cast<double>(probes.size()) / r_lookup / 1e6, r_scrub);
    rows.push_back({"bytes/number vs CRoaring", fmt("%.3f", bytes_per),
                    fmt("%.3f", r_bytes / static_cast<double>(sorted.size())),
                    fmt("%.2fx smaller", r_bytes / static_cast<double>(sorted.size()) / bytes_per)});
    rows.push_back({"single lookups/s vs CRoaring", fmt("%.2f M", probes.size() / lookup_s / 1e6),
                    fmt("%.2f M", probes.size() / r_lookup / 1e6), fmt("%.2fx", r_lookup / lookup_s)});
    rows.push_back({"scrub the leads (s) vs CRoaring", fmt("%.3f", scrub_s), fmt("%.3f", r_scrub),
                    fmt("%.2fx faster", r_scrub / scrub_s)});
  }

  // ------------------------------------------------------------ sdsl
  if (!o.skip_sdsl) {
    const uint64_t base = sorted.front();
    t = now_s();
    sdsl::sd_vector_builder b(sorted.back() - base + 1, sorted.size());
    for (uint64_t x : sorted) b.set(x - base);
    sdsl::sd_vector<> sd(b);
    const double s_build = now_s() - t;
    const std::string sd_file = dir + "/registry.sdsl";
    sdsl::store_to_file(sd, sd_file);
    const double s_bytes = static_cast<double>(fs::file_size(sd_file));
    sdsl::sd_vector<> loaded;
    const double s_load = timed(o.runs, [&] {
      sdsl::sd_vector<> tmp;
      if (!sdsl::load_from_file(tmp, sd_file)) die("sdsl load failed");
      loaded.swap(tmp);
    });
    auto sd_contains = [&](uint64_t x) {
      return x >= base && x - base < loaded.size() && loaded[x - base] == 1;
    };
    const double s_lookup = timed(o.runs, [&] {
      for (uint64_t p : probes) sink += sd_contains(p);
    });
    std::printf("\nsdsl sd_vector: %.3f bytes/number, built in %.2f s, load (deserialize) %.1f ms, lookups %.2f M/s\n",
                s_bytes / static_cast<double>(sorted.size()), s_build, s_load * 1e3,
                static_cast<double>(probes.size()) / s_lookup / 1e6);
    fs::remove(sd_file);
    rows.push_back({"open (ms) vs sdsl load_from_file", fmt("%.3f", open_s * 1e3), fmt("%.1f", s_load * 1e3),
                    fmt("%.0fx faster", s_load / open_s)});
    rows.push_back({"bytes/number vs sdsl sd_vector", fmt("%.3f", bytes_per),
                    fmt("%.3f", s_bytes / static_cast<double>(sorted.size())),
                    fmt("%.2fx", s_bytes / static_cast<double>(sorted.size()) / bytes_per)});
    rows.push_back({"single lookups/s vs sdsl", fmt("%.2f M", probes.size() / lookup_s / 1e6),
                    fmt("%.2f M", probes.size() / s_lookup / 1e6), fmt("%.2fx", s_lookup / lookup_s)});
  }

  // ------------------------------------------------------------ SQLite
  if (!o.skip_sqlite) {
    const std::string db_path = dir + "/bench.db";
    fs::remove(db_path);
    sqlite3* db = nullptr;
    if (sqlite3_open(db_path.c_str(), &db) != SQLITE_OK) die("cannot open " + db_path);
    // The settings most favourable to the baseline: no journal, no syncs,
    // a 2 GB page cache, registry inserted in sorted order.
    sql(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-2000000;");
    sql(db, "CREATE TABLE registry(phone INTEGER PRIMARY KEY) WITHOUT ROWID;"
            "CREATE TABLE leads(id INTEGER PRIMARY KEY, phone INTEGER NOT NULL);");
    auto insert = [&](const char* q, const std::vector<uint64_t>& v) {
      sql(db, "BEGIN");
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db, q, -1, &st, nullptr);
      for (uint64_t x : v) {
        sqlite3_bind_int64(st, 1, static_cast<sqlite3_int64>(x));
        if (sqlite3_step(st) != SQLITE_DONE) die(std::string("sqlite insert: ") + sqlite3_errmsg(db));
        sqlite3_reset(st);
      }
      sqlite3_finalize(st);
      sql(db, "COMMIT");
    };
    t = now_s();
    insert("INSERT INTO registry(phone) VALUES(?)", sorted);
    const double load_reg = now_s() - t;
    t = now_s();
    insert("INSERT INTO leads(phone) VALUES(?)", d.leads);
    const double load_leads = now_s() - t;
    uint64_t sql_count = 0;
    const double anti = timed(o.slow_runs, [&] {
      sqlite3_stmt* st = nullptr;
      sqlite3_prepare_v2(db,
                         "SELECT count(*) FROM leads WHERE NOT EXISTS "
                         "(SELECT 1 FROM registry r WHERE r.phone = leads.phone)",
                         -1, &st, nullptr);
      if (sqlite3_step(st) != SQLITE_ROW) die(std::string("sqlite query: ") + sqlite3_errmsg(db));
      sql_count = static_cast<uint64_t>(sqlite3_column_int64(st, 0));
      sqlite3_finalize(st);
    });
    sqlite3_close(db);
    const double db_bytes = static_cast<double>(fs::file_size(db_path));
    fs::remove(db_path);
    if (sql_count != expect_unregistered) die("sqlite anti-join count is wrong");
    std::printf("\nSQLite: registry load %.1f s (sorted inserts), leads load %.1f s, anti-join %.2f s "
                "(%.2f M leads/s), database %.0f MB\n",
                load_reg, load_leads, anti, static_cast<double>(d.leads.size()) / anti / 1e6, db_bytes / 1e6);
    rows.push_back({"registry build/load (s) vs SQLite", fmt("%.1f", build_s), fmt("%.1f", load_reg),
                    fmt("%.1fx faster", load_reg / build_s)});
    rows.push_back({"scrub the leads (s) vs SQLite anti-join", fmt("%.3f", scrub_s), fmt("%.2f", anti),
                    fmt("%.0fx faster", anti / scrub_s)});
    rows.push_back({"scrub from the leads file (s) vs SQLite", fmt("%.3f", scrub_file_s), fmt("%.2f", anti),
                    fmt("%.0fx faster", anti / scrub_file_s)});
  }

  // ------------------------------------------------------------ sort | join
  if (!o.skip_sort) {
    const std::string cmd = "cd '" + dir +
                            "' && LC_ALL=C sort -o registry.sorted registry.txt && "
                            "LC_ALL=C sort -o leads.sorted leads.txt && "
                            "LC_ALL=C join -v 1 leads.sorted registry.sorted | wc -l > join.count";
    std::vector<double> times;
    for (int i = 0; i < o.slow_runs; ++i) {
      t = now_s();
      if (std::system(("/bin/sh -c \"" + cmd + "\"").c_str()) != 0) die("sort|join pipeline failed");
      times.push_back(now_s() - t);
    }
    const double sj = median(times);
    uint64_t join_count = 0;
    std::ifstream(dir + "/join.count") >> join_count;
    if (join_count != expect_unregistered) die("sort|join count is wrong: " + std::to_string(join_count));
    fs::remove(dir + "/registry.sorted");
    fs::remove(dir + "/leads.sorted");
    fs::remove(dir + "/join.count");
    std::printf("\nsort|join: %.1f s (LC_ALL=C sort both files, join -v 1, wc -l)\n", sj);
    rows.push_back({"build + scrub (s) vs sort|join", fmt("%.1f", build_s + scrub_file_s), fmt("%.1f", sj),
                    fmt("%.1fx faster", sj / (build_s + scrub_file_s))});
    rows.push_back({"scrub with a built registry (s) vs sort|join", fmt("%.3f", scrub_file_s), fmt("%.1f", sj),
                    fmt("%.0fx faster", sj / scrub_file_s)});
  }

  std::printf("\n%-46s %14s %14s   %s\n", "figure", "telemark", "baseline", "ratio");
  for (const auto& r : rows)
    std::printf("%-46s %14s %14s   %s\n", r.what.c_str(), r.ours.c_str(), r.theirs.c_str(), r.ratio.c_str());
  std::printf("targets: <= 1.5 bytes/number: %s; open <= 100 ms: %s\n", bytes_per <= 1.5 ? "met" : "MISSED",
              open_s <= 0.1 ? "met" : "MISSED");
  if (sink == 42) std::printf(" ");  // keeps the lookups from being optimized away

  if (!o.keep) {
    // Only what this program wrote: a --workdir may hold other files.
    for (const char* f : {"registry.txt", "leads.txt", "registries"}) fs::remove_all(dir + "/" + f);
    std::error_code ec;
    fs::remove(dir, ec);  // only if now empty
  }
  return 0;
}
