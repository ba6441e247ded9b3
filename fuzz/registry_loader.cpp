// Fuzzes the registry loaders and the snapshot reader. Every input is read
// as: a full registry file in each format and region, a change list (plain
// and CSV), a snapshot file, the payload of an otherwise valid snapshot
// (the header checksum does not cover the payload, so this reaches the
// bucket decoder), and a list of numbers for a build/open/lookup round trip.
// Nothing may crash, read out of bounds or throw; the round trip must agree.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "registry/loader.h"
#include "registry/snapshot.h"

using namespace telemark::registry;

namespace {

std::string temp_path(const char* what) {
  // tmpfs where there is one: the writer fsyncs, which would dominate a run.
  static const std::string dir = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  return dir + "/telemark_fuzz_registry_" + std::to_string(::getpid()) + "_" + what + ".tmreg";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Provenance fuzz_provenance() {
  Provenance p;
  p.name = "us-dnc";
  p.as_of = "2026-01-01";
  return p;
}

// A small valid snapshot, built once.
const std::string& base_snapshot() {
  static const std::string bytes = [] {
    std::vector<uint64_t> v;
    for (uint64_t i = 0; i < 400; ++i) v.push_back(12125550000ull + i * i);
    const std::string path = temp_path("base");
    if (!write_sorted_snapshot(v, path, fuzz_provenance()).ok()) std::abort();
    std::string b = read_all(path);
    ::unlink(path.c_str());
    return b;
  }();
  return bytes;
}

void exercise(const RegistrySnapshot& s) {
  for (uint64_t x = 12125549990ull; x < 12125720000ull; x += 97) (void)s.contains(x);
  (void)s.contains(0);
  (void)s.contains(UINT64_MAX);
  (void)s.for_each([](uint64_t) {});
  (void)s.verify();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  for (const char* region : {"US", "GB", "IT", ""}) {
    for (Format f : {Format::kAuto, Format::kLines, Format::kFtc}) {
      ParseOptions o;
      o.format = f;
      o.region = region;
      std::vector<uint64_t> numbers;
      ParseReport report;
      (void)parse_numbers(text, "fuzz", o, numbers, report);
      if (report.data_lines != report.bad_lines + numbers.size()) std::abort();
      (void)report.check_threshold(0.01);
      (void)report.summary();
    }
  }
  {
    ParseOptions o;
    o.format = Format::kCsv;
    o.region = "US";
    o.column = "phone";
    std::vector<uint64_t> numbers;
    ParseReport report;
    (void)parse_numbers(text, "fuzz", o, numbers, report);
    std::vector<Change> changes;
    ParseReport r2;
    (void)parse_changes(text, "fuzz", o, changes, r2);
  }
  {
    ParseOptions o;
    o.region = "US";
    std::vector<Change> changes;
    ParseReport report;
    (void)parse_changes(text, "fuzz", o, changes, report);
    if (report.data_lines != report.bad_lines + changes.size()) std::abort();
  }

  // Arbitrary bytes as a snapshot file.
  if (auto s = RegistrySnapshot::from_bytes(text, "fuzz"); s.ok()) exercise(**s);

  // Arbitrary bytes as the payload of a valid snapshot.
  {
    std::string b = base_snapshot();
    auto base = RegistrySnapshot::from_bytes(b, "base");
    if (!base.ok()) std::abort();
    const auto lay = (*base)->layout();
    const size_t payload = lay.data_bytes + lay.directory_bytes;
    for (size_t i = 0; i < payload && i < size; ++i) b[256 + i] = static_cast<char>(data[i]);
    auto s = RegistrySnapshot::from_bytes(b, "mutant");
    if (!s.ok()) std::abort();  // the payload is not checked at open
    exercise(**s);
  }

  // Round trip: the input as numbers (clustered by masking).
  if (size >= 8) {
    std::set<uint64_t> set;
    for (size_t i = 0; i + 8 <= size && set.size() < 2000; i += 8) {
      uint64_t v;
      std::memcpy(&v, data + i, 8);
      set.insert(data[0] & 1 ? v : 12000000000ull + (v % 100000000ull));
    }
    const std::string path = temp_path("rt");
    auto r = write_sorted_snapshot(std::vector<uint64_t>(set.begin(), set.end()), path, fuzz_provenance());
    if (!r.ok()) std::abort();
    auto s = RegistrySnapshot::open(path);
    ::unlink(path.c_str());
    if (!s.ok() || (*s)->count() != set.size() || !(*s)->verify().ok()) std::abort();
    for (uint64_t v : set)
      if (!(*s)->contains(v) || (v + 1 != 0 && (*s)->contains(v + 1) != (set.count(v + 1) > 0))) std::abort();
  }
  return 0;
}
