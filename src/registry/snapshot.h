// RegistrySnapshot: one version of a do-not-call registry (us-dnc, ca-dncl,
// it-rpo, uk-tps, ...) as an immutable set of E.164 numbers (digits as
// uint64, e.g. 12125550123), stored in a compact file that is memory-mapped,
// not parsed, when opened. The file also carries the snapshot's provenance
// (registry name, as-of date, source file names and SHA-256 checksums,
// counts, build time) so a decision receipt can name exactly which copy of a
// registry it consulted (RegistrySnapshot::id()).
//
// Structure (chosen by bench/registry_bench.cpp; see snapshot.cpp for the
// figures): a partitioned Elias-Fano set. Numbers are split into buckets by
// their high bits; a direct-addressed directory gives each bucket's byte
// range, and each bucket is an Elias-Fano sequence (or a plain bitmap when
// that is smaller). A lookup is a directory read plus one or two cache lines
// of the bucket. 0.91 byte per number for 100 M numbers over 300 area codes
// (the information-theoretic minimum there is 0.75; CRoaring takes 2.0).
//
// Opening checks the header (magic, format version, sizes, a SHA-256 over the
// header and provenance) but does not read the payload, so opening costs the
// same for 10 or 300 million numbers. The payload's SHA-256 is checked only
// by verify(): a full pass, too slow for every open. Lookups bound every read
// by the file, so even a payload corrupted after the checks can never make
// them read outside the mapping; a bucket found structurally impossible
// answers "registered" (fail closed: better not to call) and sets
// corruption_detected().
//
// SnapshotWriter streams strictly increasing numbers into a file with
// memory bounded by one bucket plus the directory (about n/16 bytes).
// SnapshotBuilder accepts numbers in any order: it keeps them in memory,
// 8 bytes each (800 MB for 100 million; no external sort), then sorts
// (a radix sort that briefly needs as much again), removes duplicates and
// writes. Files are written under a temporary name,
// fsync'ed and renamed into place, so a reader never sees half a file.
//
// Thread-safety: an opened RegistrySnapshot is immutable; contains(),
// count_contained(), for_each() and cursors may run from many threads at
// once. Writers and builders belong to one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace telemark::registry {

// One input file of a load or update.
struct SourceFile {
  std::string name;       // the path as given
  std::string sha256;     // lowercase hex of the file's bytes
  uint64_t bytes = 0;
  uint64_t lines = 0;      // data lines: blank, comment and header lines excluded
  uint64_t numbers = 0;    // lines that gave a number (or a change)
  uint64_t bad_lines = 0;
  std::string format;      // "lines", "ftc", "csv"
};

// Net effect of an update (change files applied to a parent snapshot).
struct ChangeStats {
  uint64_t added = 0;            // absent from the parent, present after
  uint64_t deleted = 0;          // present in the parent, absent after
  uint64_t missing_deletes = 0;  // delete lines for a number absent at that point
  uint64_t redundant_adds = 0;   // add lines for a number present at that point
};

struct Provenance {
  std::string name;              // registry name, e.g. "us-dnc"
  std::string as_of;             // "YYYY-MM-DD": the date of the registry data
  std::string kind = "load";     // "load" (full files) or "update" (change files)
  std::string region;            // default region used to read national notations
  std::vector<SourceFile> sources;
  uint64_t count = 0;            // numbers in the snapshot (set by the writer)
  uint64_t bad_lines = 0;        // over all sources
  uint64_t duplicates = 0;       // repeated numbers dropped
  Instant built_at{};            // from the injected Clock
  int64_t build_millis = 0;      // how long the build took, by the same Clock
  std::string parent_id;         // update: id() of the snapshot it was applied to
  std::string parent_as_of;
  ChangeStats changes;           // update only

  // JSON object, the form stored in the file (and handy for the CLI).
  std::string to_json() const;
  static Result<Provenance> from_json(std::string_view json, std::string_view source_name);
};

struct SnapshotLayout {
  uint32_t format_version = 0;
  uint32_t bucket_bits = 0;      // numbers per bucket = 2^bucket_bits (of the universe)
  uint64_t num_buckets = 0;
  uint64_t data_bytes = 0;       // bucket payload
  uint64_t directory_bytes = 0;
  uint64_t file_bytes = 0;
  uint64_t min_number = 0;       // 0 when empty
  uint64_t max_number = 0;
};

class RegistrySnapshot {
 public:
  // Maps `path` read-only. Errors name the file: "io_error" (missing,
  // unreadable), "bad_snapshot" (not a snapshot, unsupported version,
  // truncated, header checksum mismatch, inconsistent sizes).
  static Result<std::unique_ptr<RegistrySnapshot>> open(const std::string& path);
  // Same checks over bytes held in memory (tests, fuzzing); takes a copy.
  static Result<std::unique_ptr<RegistrySnapshot>> from_bytes(std::string_view bytes,
                                                             std::string source_name);
  ~RegistrySnapshot();
  RegistrySnapshot(const RegistrySnapshot&) = delete;
  RegistrySnapshot& operator=(const RegistrySnapshot&) = delete;

  bool contains(uint64_t e164) const;
  // out[i] = contains(numbers[i]) (1 or 0) for i < min(sizes); prefetches
  // ahead, so a batch is faster than single calls when the snapshot is
  // larger than the caches (3-4x at 100 M numbers).
  void contains_many(std::span<const uint64_t> numbers, std::span<uint8_t> out) const;
  size_t count_contained(std::span<const uint64_t> numbers) const;

  uint64_t count() const { return count_; }
  const Provenance& provenance() const { return provenance_; }
  // 16 hex digits from the header checksum: differs between any two builds.
  const std::string& id() const { return id_; }
  // SHA-256 (hex) of the payload, as recorded at build time.
  const std::string& checksum() const { return checksum_; }
  const std::string& path() const { return path_; }
  SnapshotLayout layout() const;

  // Full check: recomputes the payload SHA-256 and decodes every bucket
  // (order, counts). Reads the whole file: seconds at 100 M numbers.
  Status verify() const;
  bool corruption_detected() const { return corruption_.load(std::memory_order_relaxed); }

  // Ascending order. Stops early (returning an error) on a corrupt bucket.
  Status for_each(const std::function<void(uint64_t)>& fn) const;

  // Borrows the snapshot: a Cursor must not outlive it.
  class Cursor {
   public:
    // Next number in ascending order; false at the end or on corruption
    // (then status() says which).
    bool next(uint64_t& out);
    const Status& status() const { return status_; }

   private:
    friend class RegistrySnapshot;
    explicit Cursor(const RegistrySnapshot* s) : s_(s) {}
    const RegistrySnapshot* s_;
    uint64_t bucket_ = 0;
    std::vector<uint64_t> buf_;
    size_t pos_ = 0;
    Status status_;
  };
  Cursor cursor() const { return Cursor(this); }

  struct Impl;

 private:
  RegistrySnapshot() = default;
  static Result<std::unique_ptr<RegistrySnapshot>> init(std::unique_ptr<RegistrySnapshot> s);
  bool corrupt() const;
  // Decodes bucket b into out (absolute numbers); error if corrupt.
  Status decode_bucket(uint64_t b, std::vector<uint64_t>& out) const;
  // Byte range of bucket b in the data: 0 empty, 1 set, -1 corrupt directory.
  int bucket_range(uint64_t b, uint64_t& start, uint64_t& end) const;

  std::string path_;
  std::string owned_;                 // from_bytes storage
  const uint8_t* map_ = nullptr;      // whole file
  size_t map_size_ = 0;
  bool mapped_ = false;
  const uint8_t* data_ = nullptr;     // bucket payload
  uint64_t data_size_ = 0;
  const uint8_t* groups_ = nullptr;   // 16 bytes per 64 buckets
  const uint8_t* rel_ = nullptr;      // 65 uint32 per non-empty group
  uint64_t num_groups_ = 0;
  uint64_t rel_groups_ = 0;
  uint64_t count_ = 0;
  uint64_t base_ = 0;
  uint64_t num_buckets_ = 0;
  uint32_t bucket_bits_ = 0;
  uint64_t min_ = 0, max_ = 0;
  uint64_t payload_offset_ = 0, payload_size_ = 0;
  uint8_t payload_sha_[32] = {};
  Provenance provenance_;
  std::string id_;
  std::string checksum_;
  mutable std::atomic<bool> corruption_{false};
};

struct BuildResult {
  std::string path;
  std::string id;
  std::string checksum;   // payload SHA-256 hex
  uint64_t count = 0;
  uint64_t file_bytes = 0;
  uint64_t duplicates = 0;
};

// Streams strictly increasing numbers into `path` (via `path`.partial,
// renamed on finish). `min` and `max` bound the numbers to come (every
// appended number must lie in [min, max]); `bucket_bits` is the bucket
// width, best from choose_bucket_bits() over the numbers; 0 derives it from
// `expected_count` and the span alone (right for evenly spread numbers).
// Fewer than expected_count numbers is fine.
class SnapshotWriter {
 public:
  static Result<std::unique_ptr<SnapshotWriter>> create(const std::string& path,
                                                        uint64_t expected_count, uint64_t min,
                                                        uint64_t max, uint32_t bucket_bits = 0);
  ~SnapshotWriter();  // removes the partial file unless finish() succeeded
  Status append(uint64_t e164);
  // Writes directory, provenance (count filled in) and header, fsyncs,
  // renames into place.
  Result<BuildResult> finish(Provenance provenance);

  struct Impl;

 private:
  explicit SnapshotWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Numbers in any order, duplicates allowed; holds them in memory (8 bytes a
// number) until finish().
class SnapshotBuilder {
 public:
  void add(uint64_t e164) { numbers_.push_back(e164); }
  void add(std::span<const uint64_t> many) { numbers_.insert(numbers_.end(), many.begin(), many.end()); }
  void reserve(size_t n) { numbers_.reserve(n); }
  size_t size() const { return numbers_.size(); }
  // Sorts, drops duplicates (counted in the result and provenance), writes.
  Result<BuildResult> finish(const std::string& path, Provenance provenance);

 private:
  std::vector<uint64_t> numbers_;
};

// Sorts ascending and removes duplicates in place; returns how many were
// removed. A radix sort: see snapshot.cpp for why.
uint64_t sort_unique(std::vector<uint64_t>& numbers);

// The bucket width for sorted, unique numbers: the widest that keeps about
// 128 numbers per non-empty bucket (a lookup's work is bounded by the bucket
// width), unless the table of 64-bucket groups would then pass about 1/16
// byte a number (numbers spread thinly over a huge range).
uint32_t choose_bucket_bits(std::span<const uint64_t> sorted_numbers);

// Writes `numbers` (sorted, unique) as a snapshot at `path`.
Result<BuildResult> write_sorted_snapshot(std::span<const uint64_t> numbers, const std::string& path,
                                          Provenance provenance);

}  // namespace telemark::registry
