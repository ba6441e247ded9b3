// Registry snapshots, loaders, change files and the versioned folder.
// Loader edge cases are data: cases/loader.cases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "base/time.h"
#include "registry/directory.h"
#include "registry/loader.h"
#include "registry/snapshot.h"
#ifdef TELEMARK_REGISTRY_HAS_PHONE
#include "phone/phone.h"
#include "registry/phone_adapter.h"
#endif

namespace fs = std::filesystem;
using namespace telemark;
using namespace telemark::registry;

namespace {

Instant t0() { return *parse_iso8601("2026-11-01T12:00:00Z"); }

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("telemark_registry_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary) << text;
    return file(name);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

Provenance prov(const std::string& name = "us-dnc", const std::string& as_of = "2026-10-31") {
  Provenance p;
  p.name = name;
  p.as_of = as_of;
  p.region = "US";
  p.built_at = t0();
  return p;
}

std::unique_ptr<RegistrySnapshot> build_and_open(const TempDir& d, std::vector<uint64_t> numbers,
                                                 const std::string& name = "s.tmreg") {
  SnapshotBuilder b;
  b.add(numbers);
  auto r = b.finish(d.file(name), prov());
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  auto s = RegistrySnapshot::open(d.file(name));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

std::vector<uint64_t> all_numbers(const RegistrySnapshot& s) {
  std::vector<uint64_t> out;
  auto c = s.cursor();
  uint64_t v;
  while (c.next(v)) out.push_back(v);
  EXPECT_TRUE(c.status().ok());
  return out;
}

// Checks membership of every number of `set` and of neighbours that are not in it.
void expect_same_set(const RegistrySnapshot& s, const std::set<uint64_t>& set) {
  ASSERT_EQ(s.count(), set.size());
  const std::vector<uint64_t> want(set.begin(), set.end());
  EXPECT_EQ(all_numbers(s), want);
  std::vector<uint64_t> via_for_each;
  EXPECT_TRUE(s.for_each([&](uint64_t v) { via_for_each.push_back(v); }).ok());
  EXPECT_EQ(via_for_each, want);
  std::vector<uint64_t> probes;
  for (uint64_t v : set) {
    probes.push_back(v);
    if (v > 0) probes.push_back(v - 1);
    if (v < UINT64_MAX) probes.push_back(v + 1);
  }
  std::vector<uint8_t> batch(probes.size());
  s.contains_many(probes, batch);
  size_t expected_hits = 0;
  for (size_t i = 0; i < probes.size(); ++i) {
    const bool in = set.count(probes[i]) > 0;
    expected_hits += in;
    ASSERT_EQ(s.contains(probes[i]), in) << probes[i];
    ASSERT_EQ(batch[i] != 0, in) << probes[i];
  }
  EXPECT_EQ(s.count_contained(probes), expected_hits);
  EXPECT_FALSE(s.corruption_detected());
  EXPECT_TRUE(s.verify().ok());
}

// ---------------------------------------------------------------- snapshot

TEST(Snapshot, EmptyRegistry) {
  TempDir d;
  auto s = build_and_open(d, {});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->count(), 0u);
  EXPECT_FALSE(s->contains(12125550123ull));
  EXPECT_FALSE(s->contains(0));
  EXPECT_FALSE(s->contains(UINT64_MAX));
  EXPECT_TRUE(all_numbers(*s).empty());
  EXPECT_TRUE(s->verify().ok());
  EXPECT_EQ(s->layout().num_buckets, 0u);
}

TEST(Snapshot, SingleNumber) {
  TempDir d;
  auto s = build_and_open(d, {12125550123ull});
  ASSERT_TRUE(s);
  expect_same_set(*s, {12125550123ull});
}

TEST(Snapshot, RandomSetsOfManyDensities) {
  // Sparse sets give Elias-Fano buckets with wide low parts; dense ones bitmaps.
  std::mt19937_64 rng(42);
  for (uint64_t spread : {2ull, 3ull, 30ull, 1000ull, 1000000ull}) {
    SCOPED_TRACE("spread " + std::to_string(spread));
    TempDir d;
    std::set<uint64_t> set;
    uint64_t v = 12000000000ull;
    for (int i = 0; i < 20000; ++i) {
      v += 1 + rng() % spread;
      set.insert(v);
    }
    auto s = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()));
    ASSERT_TRUE(s);
    expect_same_set(*s, set);
    // Random probes inside the range.
    for (int i = 0; i < 20000; ++i) {
      const uint64_t x = 12000000000ull + rng() % (v - 12000000000ull + 10);
      ASSERT_EQ(s->contains(x), set.count(x) > 0) << x;
    }
  }
}

TEST(Snapshot, ClusteredAreaCodesLikeARegistry) {
  std::mt19937_64 rng(7);
  std::set<uint64_t> set;
  for (uint64_t npa : {201ull, 212ull, 415ull, 907ull}) {
    const uint64_t base = 10000000000ull + npa * 10000000ull;
    for (int i = 0; i < 5000; ++i) set.insert(base + rng() % 10000000ull);
    for (uint64_t k = 0; k < 3000; ++k) set.insert(base + 5550000 + k);  // a fully registered block
  }
  TempDir d;
  auto s = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()));
  ASSERT_TRUE(s);
  expect_same_set(*s, set);
}

TEST(Snapshot, TwoDistantClustersManyEmptyGroups) {
  // Tight clusters far apart: narrow buckets, and a directory of mostly
  // empty groups larger in bucket count than the file is in bytes.
  std::set<uint64_t> set;
  for (uint64_t i = 0; i < 300; ++i) set.insert(12125550000ull + i * 13);
  for (uint64_t i = 0; i < 3000; ++i) set.insert(14155550000ull + i);
  for (uint64_t i = 0; i < 2000; ++i) set.insert(19895550000ull + i * 2);
  TempDir d;
  auto s = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()));
  ASSERT_TRUE(s);
  EXPECT_GT(s->layout().num_buckets, s->layout().file_bytes);
  expect_same_set(*s, set);
}

TEST(Snapshot, BucketEdgesAndExtremes) {
  TempDir d;
  // Learn the bucket width the writer picks for a set, then probe its edges.
  std::set<uint64_t> set;
  for (uint64_t i = 0; i < 1000; ++i) set.insert(12000000000ull + i * 997);
  auto probe = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()), "probe.tmreg");
  ASSERT_TRUE(probe);
  const auto lay = probe->layout();
  const uint64_t width = uint64_t{1} << lay.bucket_bits;
  const uint64_t base = lay.min_number & ~(width - 1);
  for (uint64_t k = 1; k < 5; ++k) {
    set.insert(base + k * width - 1);  // last of bucket k-1
    set.insert(base + k * width);      // first of bucket k
  }
  auto s = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()));
  ASSERT_TRUE(s);
  expect_same_set(*s, set);
  EXPECT_FALSE(s->contains(base + 7 * width - 2));

  // The whole uint64 range: 0, 1, and the largest values.
  std::set<uint64_t> extremes = {0, 1, 2, 12125550123ull, UINT64_MAX - 1, UINT64_MAX};
  auto e = build_and_open(d, std::vector<uint64_t>(extremes.begin(), extremes.end()), "ext.tmreg");
  ASSERT_TRUE(e);
  expect_same_set(*e, extremes);
  EXPECT_EQ(e->layout().min_number, 0u);
  EXPECT_EQ(e->layout().max_number, UINT64_MAX);
}

TEST(Snapshot, BuilderSortsAndDropsDuplicates) {
  TempDir d;
  SnapshotBuilder b;
  for (uint64_t v : {5ull, 3ull, 9ull, 3ull, 5ull, 1ull}) b.add(v);
  auto r = b.finish(d.file("s.tmreg"), prov());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 4u);
  EXPECT_EQ(r->duplicates, 2u);
  auto s = RegistrySnapshot::open(d.file("s.tmreg"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(all_numbers(**s), (std::vector<uint64_t>{1, 3, 5, 9}));
  EXPECT_EQ((*s)->provenance().duplicates, 2u);
}

TEST(Snapshot, RadixSortMatchesStdSort) {
  std::mt19937_64 rng(3);
  std::vector<uint64_t> v;
  for (int i = 0; i < 200000; ++i) v.push_back(12000000000ull + rng() % 8000000000ull);
  for (int i = 0; i < 1000; ++i) v.push_back(v[static_cast<size_t>(i) * 7]);
  auto want = v;
  std::sort(want.begin(), want.end());
  want.erase(std::unique(want.begin(), want.end()), want.end());
  const uint64_t dups = sort_unique(v);
  EXPECT_EQ(v, want);
  EXPECT_GE(dups, 1000u);
}

TEST(Snapshot, WriterRejectsDisorderAndOutOfRange) {
  TempDir d;
  auto w = SnapshotWriter::create(d.file("w.tmreg"), 3, 100, 200);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE((*w)->append(150).ok());
  EXPECT_FALSE((*w)->append(150).ok());
  EXPECT_FALSE((*w)->append(120).ok());
  EXPECT_FALSE((*w)->append(201).ok());
  EXPECT_TRUE((*w)->append(200).ok());
  auto r = (*w)->finish(prov());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->count, 2u);
  EXPECT_FALSE(fs::exists(d.file("w.tmreg.partial")));
}

TEST(Snapshot, AbandonedWriterLeavesNoFile) {
  TempDir d;
  {
    auto w = SnapshotWriter::create(d.file("w.tmreg"), 3, 100, 200);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->append(150).ok());
  }
  EXPECT_FALSE(fs::exists(d.file("w.tmreg")));
  EXPECT_FALSE(fs::exists(d.file("w.tmreg.partial")));
}

TEST(Snapshot, ProvenanceRoundTrip) {
  TempDir d;
  Provenance p = prov("it-rpo", "2026-10-15");
  p.region = "IT";
  p.kind = "update";
  p.bad_lines = 7;
  p.build_millis = 1234;
  p.built_at = t0() + std::chrono::microseconds(123456);
  p.parent_id = "0123456789abcdef";
  p.parent_as_of = "2026-10-01";
  p.changes = ChangeStats{5, 6, 7, 8};
  SourceFile f;
  f.name = "/data/rpo \"delta\".txt";
  f.sha256 = std::string(64, 'a');
  f.bytes = 100;
  f.lines = 10;
  f.numbers = 9;
  f.bad_lines = 1;
  f.format = "lines";
  p.sources = {f, f};
  p.sources[1].name = "second.txt";
  auto r = write_sorted_snapshot(std::vector<uint64_t>{390212345678ull, 393123456789ull},
                                 d.file("p.tmreg"), p);
  ASSERT_TRUE(r.ok());
  auto s = RegistrySnapshot::open(d.file("p.tmreg"));
  ASSERT_TRUE(s.ok());
  const Provenance& q = (*s)->provenance();
  EXPECT_EQ(q.name, "it-rpo");
  EXPECT_EQ(q.as_of, "2026-10-15");
  EXPECT_EQ(q.kind, "update");
  EXPECT_EQ(q.region, "IT");
  EXPECT_EQ(q.count, 2u);
  EXPECT_EQ(q.bad_lines, 7u);
  EXPECT_EQ(q.build_millis, 1234);
  EXPECT_EQ(q.built_at, p.built_at);
  EXPECT_EQ(q.parent_id, p.parent_id);
  EXPECT_EQ(q.parent_as_of, p.parent_as_of);
  EXPECT_EQ(q.changes.added, 5u);
  EXPECT_EQ(q.changes.redundant_adds, 8u);
  ASSERT_EQ(q.sources.size(), 2u);
  EXPECT_EQ(q.sources[0].name, f.name);
  EXPECT_EQ(q.sources[0].sha256, f.sha256);
  EXPECT_EQ(q.sources[0].lines, 10u);
  EXPECT_EQ(q.sources[1].name, "second.txt");
  EXPECT_EQ((*s)->id(), r->id);
  EXPECT_EQ((*s)->checksum(), r->checksum);
  EXPECT_EQ((*s)->id().size(), 16u);
}

TEST(Snapshot, ChecksumDependsOnContentIdOnBuild) {
  TempDir d;
  const std::vector<uint64_t> a = {12125550123ull, 12125550124ull};
  Provenance p1 = prov(), p2 = prov();
  p2.built_at = t0() + std::chrono::seconds(1);
  auto r1 = write_sorted_snapshot(a, d.file("1.tmreg"), p1);
  auto r2 = write_sorted_snapshot(a, d.file("2.tmreg"), p2);
  auto r3 = write_sorted_snapshot(std::vector<uint64_t>{12125550123ull}, d.file("3.tmreg"), p1);
  ASSERT_TRUE(r1.ok() && r2.ok() && r3.ok());
  EXPECT_EQ(r1->checksum, r2->checksum);
  EXPECT_NE(r1->id, r2->id);
  EXPECT_NE(r1->checksum, r3->checksum);
  EXPECT_EQ(r1->checksum.size(), 64u);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(Snapshot, CorruptedFilesAreDetectedAndNamed) {
  TempDir d;
  std::vector<uint64_t> nums;
  for (uint64_t i = 0; i < 5000; ++i) nums.push_back(12125550000ull + i * 3);
  ASSERT_TRUE(write_sorted_snapshot(nums, d.file("good.tmreg"), prov()).ok());
  const std::string good = read_file(d.file("good.tmreg"));

  struct Case {
    std::string what;
    std::string bytes;
    std::string message_part;
  };
  std::vector<Case> cases;
  cases.push_back({"truncated", good.substr(0, good.size() - 10), "truncated"});
  cases.push_back({"truncated_in_header", good.substr(0, 100), "too short"});
  cases.push_back({"empty", "", "too short"});
  cases.push_back({"text", std::string(300, 'x'), "not a registry snapshot"});
  std::string v2 = good;
  v2[8] = 2;
  cases.push_back({"future_version", v2, "version 2 is not supported"});
  std::string hdr = good;
  hdr[24] ^= 1;  // the count
  cases.push_back({"header_bit_flip", hdr, "header checksum mismatch"});
  std::string prov_flip = good;
  prov_flip[good.size() - 5] ^= 1;
  cases.push_back({"provenance_bit_flip", prov_flip, "header checksum mismatch"});
  std::string appended = good + "junk";
  cases.push_back({"appended", appended, "truncated or appended"});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string path = d.write(c.what + ".tmreg", c.bytes);
    auto s = RegistrySnapshot::open(path);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "bad_snapshot");
    EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(c.message_part), std::string::npos) << s.error().message;
  }
  auto missing = RegistrySnapshot::open(d.file("nope.tmreg"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io_error");
  EXPECT_NE(missing.error().message.find("nope.tmreg"), std::string::npos);
}

TEST(Snapshot, PayloadCorruptionFoundByVerifyNotAtOpen) {
  TempDir d;
  std::vector<uint64_t> nums;
  for (uint64_t i = 0; i < 5000; ++i) nums.push_back(12125550000ull + i * 3);
  ASSERT_TRUE(write_sorted_snapshot(nums, d.file("good.tmreg"), prov()).ok());
  std::string bytes = read_file(d.file("good.tmreg"));
  bytes[300] ^= 0x10;  // inside the bucket data
  const std::string path = d.write("bad.tmreg", bytes);
  auto s = RegistrySnapshot::open(path);
  ASSERT_TRUE(s.ok()) << "open does not read the payload";
  Status st = (*s)->verify();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, "checksum_mismatch");
  EXPECT_NE(st.error().message.find(path), std::string::npos);
  // Lookups stay inside the file whatever the payload holds.
  for (uint64_t x = 12125549990ull; x < 12125565100ull; ++x) (void)(*s)->contains(x);
}

TEST(Snapshot, GarbageBucketsNeverReadOutside) {
  // Every payload byte overwritten with each of a few patterns: open must
  // succeed or fail cleanly; lookups and iteration must stay in bounds
  // (run under ASan in the asan preset).
  TempDir d;
  std::vector<uint64_t> nums;
  for (uint64_t i = 0; i < 600; ++i) nums.push_back(12125550000ull + i * 7);
  ASSERT_TRUE(write_sorted_snapshot(nums, d.file("good.tmreg"), prov()).ok());
  const std::string good = read_file(d.file("good.tmreg"));
  auto g = RegistrySnapshot::from_bytes(good, "good");
  ASSERT_TRUE(g.ok());
  const auto lay = (*g)->layout();
  const size_t payload_end = 256 + lay.data_bytes + lay.directory_bytes;
  for (size_t i = 256; i < payload_end; i += 3) {
    for (uint8_t pattern : {0x00, 0xff, 0x7f}) {
      std::string b = good;
      b[i] = static_cast<char>(pattern);
      auto s = RegistrySnapshot::from_bytes(b, "mutant");
      ASSERT_TRUE(s.ok());
      for (uint64_t x = 12125549000ull; x < 12125555000ull; x += 5) (void)(*s)->contains(x);
      (void)(*s)->for_each([](uint64_t) {});
    }
  }
}

// ---------------------------------------------------------------- loader cases

struct LoaderCase {
  std::string name;
  std::map<std::string, std::string> settings;
  std::string input;
  std::map<std::string, std::string> expect;
  int line = 0;
};

std::vector<LoaderCase> read_cases(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<LoaderCase> out;
  std::string line;
  int no = 0;
  enum { kSettings, kInput, kExpect } part = kSettings;
  while (std::getline(in, line)) {
    ++no;
    if (line.rfind("=== ", 0) == 0) {
      out.emplace_back();
      out.back().name = line.substr(4);
      out.back().line = no;
      part = kSettings;
      continue;
    }
    if (out.empty()) continue;
    if (line == "--- input") {
      part = kInput;
      continue;
    }
    if (line == "--- expect") {
      part = kExpect;
      continue;
    }
    if (part == kInput) {
      if (line.size() >= 2 && line.compare(line.size() - 2, 2, "\\r") == 0)
        line = line.substr(0, line.size() - 2) + "\r";
      out.back().input += line + "\n";
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const auto sp = line.find(' ');
    const std::string key = line.substr(0, sp);
    const std::string value = sp == std::string::npos ? "" : line.substr(sp + 1);
    (part == kSettings ? out.back().settings : out.back().expect)[key] = value;
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

TEST(LoaderCases, AllCases) {
  const auto cases = read_cases(std::string(TELEMARK_REGISTRY_CASES) + "/loader.cases");
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    SCOPED_TRACE("loader.cases:" + std::to_string(c.line) + " " + c.name);
    ParseOptions o;
    auto get = [&](const std::string& k, const std::string& dflt) {
      auto it = c.settings.find(k);
      return it == c.settings.end() ? dflt : it->second;
    };
    auto f = parse_format(get("format", "auto"));
    ASSERT_TRUE(f.ok());
    o.format = *f;
    o.region = get("region", "US");
    o.column = get("column", "");
    o.flag_column = get("flag_column", "");
    const bool changes = get("mode", "numbers") == "changes";
    ParseReport report;
    std::vector<uint64_t> numbers;
    std::vector<Change> ch;
    Status st = changes ? parse_changes(c.input, c.name, o, ch, report)
                        : parse_numbers(c.input, c.name, o, numbers, report);
    if (c.expect.count("error")) {
      ASSERT_FALSE(st.ok());
      EXPECT_EQ(st.error().code, c.expect.at("error"));
      EXPECT_NE(st.error().message.find(c.name), std::string::npos) << st.error().message;
      continue;
    }
    ASSERT_TRUE(st.ok()) << st.error().message;
    if (c.expect.count("detected")) {
      ASSERT_EQ(report.sources.size(), 1u);
      EXPECT_EQ(report.sources[0].format, c.expect.at("detected"));
    }
    if (c.expect.count("numbers")) {
      std::vector<std::string> got;
      for (uint64_t n : numbers) got.push_back(std::to_string(n));
      EXPECT_EQ(join(got), c.expect.at("numbers"));
    }
    if (c.expect.count("changes")) {
      std::vector<std::string> got;
      for (const auto& x : ch) got.push_back((x.op == ChangeOp::kAdd ? "+" : "-") + std::to_string(x.number));
      EXPECT_EQ(join(got), c.expect.at("changes"));
    }
    if (c.expect.count("bad")) {
      std::vector<std::string> got;
      for (const auto& b : report.first_bad) {
        got.push_back(std::to_string(b.line));
        EXPECT_EQ(b.file, c.name);
        EXPECT_FALSE(b.reason.empty());
      }
      EXPECT_EQ(join(got), c.expect.at("bad"));
      EXPECT_EQ(report.bad_lines, report.first_bad.size());
    }
    EXPECT_EQ(report.data_lines, report.bad_lines + (changes ? ch.size() : numbers.size()));
  }
}

TEST(Loader, CustomNormalizerIsUsedForWhatTheFastPathCannotRead) {
  ParseOptions o;
  o.format = Format::kLines;
  o.region = "US";
  int calls = 0;
  o.normalize = [&](std::string_view raw) -> std::optional<uint64_t> {
    ++calls;
    if (raw == "call me") return 12125550199ull;
    return std::nullopt;
  };
  std::vector<uint64_t> out;
  ParseReport r;
  ASSERT_TRUE(parse_numbers("2125550123\n+12125550124\ncall me\nnope\n", "x", o, out, r).ok());
  EXPECT_EQ(out, (std::vector<uint64_t>{12125550123ull, 12125550124ull, 12125550199ull}));
  EXPECT_EQ(calls, 2) << "clean NANP numbers take the fast path";
  EXPECT_EQ(r.bad_lines, 1u);
}

TEST(Loader, BadLineThresholdExactlyAtAndJustAbove) {
  auto make = [](int good, int bad) {
    std::string s;
    for (int i = 0; i < good; ++i) s += std::to_string(2125550000 + i) + "\n";
    for (int i = 0; i < bad; ++i) s += "garbage\n";
    return s;
  };
  ParseOptions o;
  o.format = Format::kLines;
  o.region = "US";
  for (auto [good, bad, pass] : {std::tuple{990, 10, true}, std::tuple{989, 11, false},
                                 std::tuple{99, 1, true}, std::tuple{198, 3, false},
                                 std::tuple{0, 0, true}}) {
    SCOPED_TRACE(std::to_string(good) + " good, " + std::to_string(bad) + " bad");
    std::vector<uint64_t> out;
    ParseReport r;
    ASSERT_TRUE(parse_numbers(make(good, bad), "f.txt", o, out, r).ok());
    Status st = r.check_threshold(0.01);
    EXPECT_EQ(st.ok(), pass);
    if (!st.ok()) {
      EXPECT_EQ(st.error().code, "too_many_bad_lines");
      EXPECT_NE(st.error().message.find("f.txt:" + std::to_string(good + 1)), std::string::npos)
          << st.error().message;
    }
  }
  // The limit is configurable; zero tolerates nothing.
  std::vector<uint64_t> out;
  ParseReport r;
  ASSERT_TRUE(parse_numbers(make(999, 1), "f.txt", o, out, r).ok());
  EXPECT_FALSE(r.check_threshold(0.0).ok());
  EXPECT_TRUE(r.check_threshold(0.001).ok());
}

TEST(Loader, BadLinesKeptUpToTheLimitButAllCounted) {
  ParseOptions o;
  o.format = Format::kLines;
  o.region = "US";
  o.max_bad_lines_kept = 3;
  std::string s;
  for (int i = 0; i < 10; ++i) s += "12x\n";
  std::vector<uint64_t> out;
  ParseReport r;
  ASSERT_TRUE(parse_numbers(s, "f", o, out, r).ok());
  EXPECT_EQ(r.bad_lines, 10u);
  EXPECT_EQ(r.first_bad.size(), 3u);
}

TEST(Loader, ReadFilesRecordsSha256AndRejectsMissingFiles) {
  TempDir d;
  ParseOptions o;
  o.max_bad_share = 1.0;
  // SHA-256("abc"), the FIPS 180-2 test vector.
  auto r = read_number_files({d.write("abc.txt", "abc")}, o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->report.sources.size(), 1u);
  EXPECT_EQ(r->report.sources[0].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(r->report.sources[0].bytes, 3u);
  auto missing = read_number_files({d.file("missing.txt")}, o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "io_error");
  EXPECT_NE(missing.error().message.find("missing.txt"), std::string::npos);
  auto empty = read_number_files({d.write("empty.txt", "")}, ParseOptions{});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->report.sources[0].sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

#ifdef TELEMARK_REGISTRY_HAS_PHONE
TEST(Loader, PhoneNormalizerAdapterAgreesWithTheBuiltInReader) {
  phone::PhoneNormalizer normalizer;
  struct Case {
    const char* region;
    const char* raw;
    uint64_t e164;  // 0: rejected
  };
  const Case cases[] = {
      {"US", "(212) 555-0123", 12125550123ull},   {"US", "+1 212 555 0124", 12125550124ull},
      {"US", "212.555.0125", 12125550125ull},     {"GB", "020 7946 0018", 442079460018ull},
      {"GB", "+44 7911 123456", 447911123456ull},  {"IT", "02 1234 5678", 390212345678ull},
      {"US", "not a number", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.region) + " " + c.raw);
    const auto via_phone = phone_normalize_fn(normalizer, c.region)(c.raw);
    const auto via_basic = basic_normalizer(c.region)(c.raw);
    EXPECT_EQ(via_phone.value_or(0), c.e164);
    EXPECT_EQ(via_basic.value_or(0), c.e164);
  }
  // What only libphonenumber reads: an extension.
  ParseOptions o;
  o.format = Format::kLines;
  o.region = "US";
  o.normalize = phone_normalize_fn(normalizer, "US");
  std::vector<uint64_t> out;
  ParseReport r;
  ASSERT_TRUE(parse_numbers("212-555-0123 ext. 45\n", "x", o, out, r).ok());
  EXPECT_EQ(out, std::vector<uint64_t>{12125550123ull});
}
#endif

// ---------------------------------------------------------------- changes

TEST(Changes, AddDeleteAndTheirCombinations) {
  TempDir d;
  auto parent = build_and_open(d, {12125550001ull, 12125550002ull, 12125550003ull}, "p.tmreg");
  ASSERT_TRUE(parent);
  const std::vector<Change> changes = {
      {12125550010ull, ChangeOp::kAdd},     // add
      {12125550002ull, ChangeOp::kDelete},  // delete
      {12125550011ull, ChangeOp::kAdd},     // add then delete: absent
      {12125550011ull, ChangeOp::kDelete},
      {12125550099ull, ChangeOp::kDelete},  // delete of a missing number: counted
      {12125550001ull, ChangeOp::kAdd},     // add of a present number: counted
      {12125550003ull, ChangeOp::kDelete},  // delete then add: present
      {12125550003ull, ChangeOp::kAdd},
      {10000000000ull, ChangeOp::kAdd},     // below the parent's range
      {19999999999ull, ChangeOp::kAdd},     // above it
  };
  ChangeStats stats;
  auto r = apply_changes(*parent, changes, d.file("c.tmreg"), prov(), &stats);
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto s = RegistrySnapshot::open(d.file("c.tmreg"));
  ASSERT_TRUE(s.ok());
  expect_same_set(**s, {10000000000ull, 12125550001ull, 12125550003ull, 12125550010ull, 19999999999ull});
  EXPECT_EQ(stats.added, 3u);
  EXPECT_EQ(stats.deleted, 1u);
  EXPECT_EQ(stats.missing_deletes, 1u);
  EXPECT_EQ(stats.redundant_adds, 1u);  // 12125550001; 12125550003 was deleted first
  const auto& p = (*s)->provenance();
  EXPECT_EQ(p.kind, "update");
  EXPECT_EQ(p.parent_id, parent->id());
  EXPECT_EQ(p.changes.deleted, 1u);
}

TEST(Changes, DeletingEverythingGivesAnEmptySnapshot) {
  TempDir d;
  auto parent = build_and_open(d, {12125550001ull, 12125550002ull}, "p.tmreg");
  ASSERT_TRUE(parent);
  auto r = apply_changes(*parent, {{12125550001ull, ChangeOp::kDelete}, {12125550002ull, ChangeOp::kDelete}},
                         d.file("c.tmreg"), prov());
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto s = RegistrySnapshot::open(d.file("c.tmreg"));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->count(), 0u);
  EXPECT_TRUE((*s)->verify().ok());
}

TEST(Changes, AddsToAnEmptyParent) {
  TempDir d;
  auto parent = build_and_open(d, {}, "p.tmreg");
  ASSERT_TRUE(parent);
  auto r = apply_changes(*parent, {{12125550001ull, ChangeOp::kAdd}}, d.file("c.tmreg"), prov());
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto s = RegistrySnapshot::open(d.file("c.tmreg"));
  ASSERT_TRUE(s.ok());
  expect_same_set(**s, {12125550001ull});
}

TEST(Changes, LargeRandomUpdateMatchesASet) {
  std::mt19937_64 rng(11);
  std::set<uint64_t> set;
  while (set.size() < 30000) set.insert(12120000000ull + rng() % 20000000ull);
  TempDir d;
  auto parent = build_and_open(d, std::vector<uint64_t>(set.begin(), set.end()), "p.tmreg");
  ASSERT_TRUE(parent);
  std::vector<Change> changes;
  std::vector<uint64_t> members(set.begin(), set.end());
  for (int i = 0; i < 5000; ++i) {
    if (rng() % 2) {
      const uint64_t x = 12100000000ull + rng() % 60000000ull;
      changes.push_back({x, ChangeOp::kAdd});
      set.insert(x);
    } else {
      const uint64_t x = members[rng() % members.size()];
      changes.push_back({x, ChangeOp::kDelete});
      set.erase(x);
    }
  }
  ASSERT_TRUE(apply_changes(*parent, changes, d.file("c.tmreg"), prov()).ok());
  auto s = RegistrySnapshot::open(d.file("c.tmreg"));
  ASSERT_TRUE(s.ok());
  expect_same_set(**s, set);
}

// ---------------------------------------------------------------- directory

LoadRequest request(const VirtualClock& clock, const std::string& as_of = "2026-10-31") {
  LoadRequest r;
  r.as_of = as_of;
  r.clock = &clock;
  return r;
}

TEST(Directory, LoadUpdateListCheckDrop) {
  TempDir d;
  VirtualClock clock(t0());
  auto dir = RegistryDirectory::open(d.file("reg"));
  ASSERT_TRUE(dir.ok());
  const auto f1 = d.write("212.txt", "2125550001\n2125550002\n2125550002\n");
  const auto f2 = d.write("415.txt", "415,5550003\n");
  auto out = dir->load("us-dnc", {f1, f2}, request(clock));
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->installed.version, 1u);
  EXPECT_EQ(out->installed.provenance.count, 3u);
  EXPECT_EQ(out->installed.provenance.duplicates, 1u);
  EXPECT_EQ(out->installed.provenance.as_of, "2026-10-31");
  EXPECT_EQ(out->installed.provenance.region, "US");
  EXPECT_EQ(out->installed.provenance.built_at, t0());
  ASSERT_EQ(out->installed.provenance.sources.size(), 2u);
  EXPECT_EQ(out->installed.provenance.sources[0].name, f1);
  EXPECT_EQ(out->installed.provenance.sources[0].format, "ftc");
  EXPECT_EQ(out->installed.provenance.sources[0].sha256.size(), 64u);

  auto names = dir->names();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"us-dnc"});

  auto snap = dir->open_current("us-dnc");
  ASSERT_TRUE(snap.ok());
  EXPECT_TRUE((*snap)->contains(14155550003ull));
  EXPECT_FALSE((*snap)->contains(14155550004ull));

  clock.advance(std::chrono::hours(24));
  const auto c1 = d.write("delta.txt", "2125550001,D\n2125550009,A\n2125550077,D\n");
  auto up = dir->update("us-dnc", {c1}, request(clock, "2026-11-01"));
  ASSERT_TRUE(up.ok()) << up.error().message;
  EXPECT_EQ(up->installed.version, 2u);
  EXPECT_EQ(up->changes.added, 1u);
  EXPECT_EQ(up->changes.deleted, 1u);
  EXPECT_EQ(up->changes.missing_deletes, 1u);
  EXPECT_EQ(up->installed.provenance.kind, "update");
  EXPECT_EQ(up->installed.provenance.parent_as_of, "2026-10-31");
  EXPECT_EQ(up->installed.provenance.parent_id, out->installed.id);
  auto after = dir->open_current("us-dnc");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE((*after)->contains(12125550001ull));
  EXPECT_TRUE((*after)->contains(12125550009ull));
  // The snapshot opened before the update keeps answering from its version.
  EXPECT_TRUE((*snap)->contains(12125550001ull));

  // A change list with no changes (a header only) still advances the as-of
  // date, which is what keeps the registry fresh for the rules.
  auto quiet = dir->update("us-dnc", {d.write("none.txt", "phone,action\n")}, request(clock, "2026-11-02"));
  ASSERT_TRUE(quiet.ok()) << quiet.error().message;
  EXPECT_EQ(quiet->installed.provenance.as_of, "2026-11-02");
  EXPECT_EQ(quiet->installed.provenance.count, up->installed.provenance.count);

  // An older as-of is refused.
  auto old = dir->update("us-dnc", {c1}, request(clock, "2026-10-01"));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("earlier"), std::string::npos);

  ASSERT_TRUE(dir->drop("us-dnc").ok());
  auto gone = dir->open_current("us-dnc");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, "registry_missing");
  EXPECT_FALSE(dir->drop("us-dnc").ok());
  EXPECT_TRUE(dir->names()->empty());
}

TEST(Directory, OldVersionsArePruned) {
  TempDir d;
  VirtualClock clock(t0());
  auto dir = RegistryDirectory::open(d.file("reg"), RegistryDirectory::Options{2});
  ASSERT_TRUE(dir.ok());
  const auto f = d.write("a.txt", "2125550001\n");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(dir->load("ca-dncl", {f}, request(clock)).ok());
  auto vs = dir->versions("ca-dncl");
  ASSERT_TRUE(vs.ok());
  ASSERT_EQ(vs->size(), 2u);
  EXPECT_EQ((*vs)[0].version, 3u);
  EXPECT_EQ((*vs)[1].version, 4u);
  EXPECT_TRUE((*vs)[1].current);
  EXPECT_EQ(dir->info("ca-dncl")->provenance.region, "CA");
}

TEST(Directory, FailedLoadsLeaveTheCurrentVersionInPlace) {
  TempDir d;
  VirtualClock clock(t0());
  auto dir = RegistryDirectory::open(d.file("reg"));
  ASSERT_TRUE(dir.ok());
  const auto good = d.write("good.txt", "2125550001\n");
  auto first = dir->load("us-fl-dnc", {good}, request(clock));
  ASSERT_TRUE(first.ok());
  const std::string id = first->installed.id;

  auto expect_unchanged = [&](const std::string& why) {
    SCOPED_TRACE(why);
    auto info = dir->info("us-fl-dnc");
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->id, id);
    EXPECT_EQ(info->version, 1u);
    // No stray files: the version, CURRENT and LOCK only.
    std::set<std::string> files;
    for (const auto& e : fs::directory_iterator(d.file("reg/us-fl-dnc")))
      files.insert(e.path().filename().string());
    EXPECT_EQ(files, (std::set<std::string>{"v000001.tmreg", "CURRENT", "LOCK"}));
  };

  // Too many bad lines: 2 of 101.
  std::string text;
  for (int i = 0; i < 99; ++i) text += std::to_string(2125550100 + i) + "\n";
  text += "bad\nbad\n";
  auto bad = dir->load("us-fl-dnc", {d.write("bad.txt", text)}, request(clock));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "too_many_bad_lines");
  EXPECT_NE(bad.error().message.find("bad.txt:100"), std::string::npos) << bad.error().message;
  expect_unchanged("bad lines");

  // A missing file among good ones.
  auto missing = dir->load("us-fl-dnc", {good, d.file("nope.txt")}, request(clock));
  ASSERT_FALSE(missing.ok());
  expect_unchanged("missing file");

  // A failure at each stage of the swap.
  for (std::string stage : {"parsed", "snapshot_written", "pointer_written"}) {
    LoadRequest r = request(clock);
    r.fault_hook = [stage](std::string_view s) -> Status {
      if (s == stage) return make_error("io_error", "injected failure at " + std::string(s));
      return Status::Ok();
    };
    auto failed = dir->load("us-fl-dnc", {good}, r);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find(stage), std::string::npos);
    expect_unchanged(stage);
    auto failed_update = dir->update("us-fl-dnc", {d.write("c.txt", "2125550002,A\n")}, r);
    ASSERT_FALSE(failed_update.ok());
    expect_unchanged("update " + stage);
  }

  // Leftovers of a crashed build are removed by the next writer.
  d.write("reg/us-fl-dnc/v000009.tmreg.partial", "half a file");
  d.write("reg/us-fl-dnc/CURRENT.tmp", "v000009.tmreg\n");
  auto failed = dir->load("us-fl-dnc", {d.write("bad2.txt", text)}, request(clock));
  ASSERT_FALSE(failed.ok());
  auto again = dir->update("us-fl-dnc", {d.write("c2.txt", "2125550123\n")}, request(clock));  // no flag
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(fs::exists(d.file("reg/us-fl-dnc/CURRENT.tmp"))) << "failed before taking the lock";
  LoadRequest stop = request(clock);
  stop.fault_hook = [](std::string_view s) -> Status {
    return s == "snapshot_written" ? Status(make_error("io_error", "stop")) : Status::Ok();
  };
  ASSERT_FALSE(dir->load("us-fl-dnc", {good}, stop).ok());
  expect_unchanged("leftovers");

  // Bad arguments.
  EXPECT_FALSE(dir->load("us-fl-dnc", {good}, request(clock, "2026-02-30")).ok());
  EXPECT_FALSE(dir->load("US-DNC", {good}, request(clock)).ok());
  EXPECT_FALSE(dir->load("../x", {good}, request(clock)).ok());
  expect_unchanged("bad arguments");
}

TEST(Directory, UpdateOfAMissingRegistryFails) {
  TempDir d;
  VirtualClock clock(t0());
  auto dir = RegistryDirectory::open(d.file("reg"));
  ASSERT_TRUE(dir.ok());
  auto r = dir->update("uk-tps", {d.write("c.txt", "+44 20 7946 0018,A\n")}, request(clock));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "registry_missing");
}

TEST(Directory, InstallCopiesAVerifiedSnapshot) {
  TempDir d;
  VirtualClock clock(t0());
  ASSERT_TRUE(write_sorted_snapshot(std::vector<uint64_t>{442079460018ull}, d.file("tps.tmreg"),
                                    prov("uk-tps")).ok());
  auto dir = RegistryDirectory::open(d.file("reg"));
  ASSERT_TRUE(dir.ok());
  EXPECT_FALSE(dir->install("uk-ctps", d.file("tps.tmreg")).ok()) << "name mismatch";
  auto i = dir->install("uk-tps", d.file("tps.tmreg"));
  ASSERT_TRUE(i.ok()) << i.error().message;
  EXPECT_TRUE((*dir->open_current("uk-tps"))->contains(442079460018ull));
}

TEST(Names, KnownRegistriesAndRegions) {
  for (auto n : {"us-dnc", "us-fl-dnc", "us-tx-dnc", "ca-dncl", "it-rpo", "uk-tps", "uk-ctps"}) {
    EXPECT_TRUE(known_registry(n)) << n;
    EXPECT_TRUE(valid_registry_name(n)) << n;
  }
  for (auto n : {"us-xx-dnc", "us-dncl", "internal", "fr-bloctel"}) EXPECT_FALSE(known_registry(n)) << n;
  for (auto n : {"", "Us-dnc", "-x", "x-", "a/b", "a b", "1abc"}) EXPECT_FALSE(valid_registry_name(n)) << n;
  EXPECT_EQ(default_region("us-fl-dnc"), "US");
  EXPECT_EQ(default_region("ca-dncl"), "CA");
  EXPECT_EQ(default_region("it-rpo"), "IT");
  EXPECT_EQ(default_region("uk-ctps"), "GB");
  EXPECT_EQ(default_region("internal"), "");
}

}  // namespace
