// bench_csv: how fast CsvReader streams a large lead file, next to `wc -l`
// (which only counts line ends: the floor for "read the file once") timed on
// the same file in the same run. Median of several runs each; the file is
// read once first so that every run finds it in the page cache.
//
//   bench_csv [FILE]   FILE: an existing CSV; default: a generated ~200 MB
//                      lead list in $TMPDIR, deleted afterwards.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "leads/csv.h"

namespace {

using telemark::leads::CsvOptions;
using telemark::leads::CsvReader;
using telemark::leads::CsvRecord;
using telemark::leads::Encoding;
using Clock = std::chrono::steady_clock;

constexpr int kRuns = 5;
constexpr uint64_t kTargetBytes = 200ull << 20;

// Lead rows as exports have them: mostly plain ASCII, some quoted fields
// with commas, doubled quotes or a line break, some accented names.
void generate(const std::string& path) {
  static const char* kFirst[] = {"Jean", "Ann", "Zoë", "José", "Mary", "Li", "Björn", "Fatima"};
  static const char* kLast[] = {"Dupont", "Lee", "Müller", "García", "Smith", "O'Brien", "Nguyen"};
  static const char* kCity[] = {"Paris", "Springfield", "São Paulo", "Köln", "Austin", "Oslo"};
  std::ofstream out(path, std::ios::binary);
  out << "id,first_name,last_name,phone,email,city,zip,notes\r\n";
  uint64_t state = 1;
  auto rnd = [&state](uint32_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<uint32_t>((state >> 33) % n);
  };
  std::string row;
  uint64_t written = 0;
  for (uint64_t id = 1; written < kTargetBytes; ++id) {
    const char* first = kFirst[rnd(8)];
    const char* last = kLast[rnd(7)];
    row.clear();
    row += std::to_string(id) + ',' + first + ',' + last + ",+1202555" +
           std::to_string(1000 + rnd(9000)) + ',' + first + '.' + last + "@example.com," +
           kCity[rnd(6)] + ',' + std::to_string(10000 + rnd(89999)) + ',';
    switch (rnd(8)) {
      case 0:
        row += "\"called twice, no answer\"";
        break;
      case 1:
        row += "\"said \"\"call back\"\" later\"";
        break;
      case 2:
        row += "\"line one\r\nline two\"";
        break;
      case 3:
        row += "prefers mornings";
        break;
      default:
        break;
    }
    row += "\r\n";
    out << row;
    written += row.size();
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// CPU seconds (user + system) of this process or of its finished children:
// on a shared machine wall time measures the neighbours too.
double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

struct ReadFigures {
  double seconds;
  double cpu;
  uint64_t records;
  uint64_t fields;
};

ReadFigures read_once(const std::string& path, Encoding enc) {
  CsvOptions o;
  o.encoding = enc;
  auto t0 = Clock::now();
  double c0 = cpu_seconds(RUSAGE_SELF);
  auto reader = CsvReader::open(path, o);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.error().message.c_str());
    std::exit(1);
  }
  CsvRecord rec;
  uint64_t records = 0, fields = 0;
  for (;;) {
    auto r = (*reader)->next(rec);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().message.c_str());
      std::exit(1);
    }
    if (!*r) break;
    ++records;
    fields += rec.fields.size();
  }
  return {std::chrono::duration<double>(Clock::now() - t0).count(), cpu_seconds(RUSAGE_SELF) - c0,
          records, fields};
}

struct WcFigures {
  double seconds;
  double cpu;
};

WcFigures wc_once(const std::string& path) {
  std::string cmd = "wc -l '" + path + "' > /dev/null";
  auto t0 = Clock::now();
  double c0 = cpu_seconds(RUSAGE_CHILDREN);
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "wc -l failed\n");
    std::exit(1);
  }
  return {std::chrono::duration<double>(Clock::now() - t0).count(),
          cpu_seconds(RUSAGE_CHILDREN) - c0};
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  std::string path;
  bool generated = argc < 2;
  if (generated) {
    const char* tmp = std::getenv("TMPDIR");
    path = std::string(tmp && *tmp ? tmp : "/tmp") + "/telemark_bench_csv_" +
           std::to_string(static_cast<long>(::getpid())) + ".csv";
    generate(path);
  } else {
    path = argv[1];
  }
  const double mb = static_cast<double>(fs::file_size(path)) / 1e6;
  wc_once(path);  // warm the page cache

  // Wall time and CPU time (user + system, the shell included for wc) per
  // run; the median of each.
  std::vector<double> wc, utf8, cp1252, wc_cpu, utf8_cpu, cp1252_cpu;
  ReadFigures last{};
  for (int i = 0; i < kRuns; ++i) {
    WcFigures w = wc_once(path);
    wc.push_back(w.seconds);
    wc_cpu.push_back(w.cpu);
    last = read_once(path, Encoding::kUtf8);
    utf8.push_back(last.seconds);
    utf8_cpu.push_back(last.cpu);
    ReadFigures t = read_once(path, Encoding::kWindows1252);
    cp1252.push_back(t.seconds);
    cp1252_cpu.push_back(t.cpu);
  }
  auto line = [&](const char* what, const std::vector<double>& wall, const std::vector<double>& cpu,
                  const std::vector<double>& base_wall, const std::vector<double>& base_cpu) {
    double rate = mb / median(wall), cpu_rate = mb / median(cpu);
    std::printf("%-34s %7.0f MB/s (%.2fx wc -l)   %7.0f MB per CPU-second (%.2fx)\n", what, rate,
                rate / (mb / median(base_wall)), cpu_rate, cpu_rate / (mb / median(base_cpu)));
  };
  std::printf("file: %.1f MB, %llu records, %llu fields (median of %d runs)\n", mb,
              static_cast<unsigned long long>(last.records),
              static_cast<unsigned long long>(last.fields), kRuns);
  line("wc -l (baseline)", wc, wc_cpu, wc, wc_cpu);
  line("CsvReader, UTF-8 validated", utf8, utf8_cpu, wc, wc_cpu);
  line("CsvReader, Windows-1252 -> UTF-8", cp1252, cp1252_cpu, wc, wc_cpu);
  std::printf("records/s (UTF-8): %.1f M\n", last.records / median(utf8) / 1e6);
  if (generated) fs::remove(path);
  return 0;
}
