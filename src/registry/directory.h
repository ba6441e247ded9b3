// RegistryDirectory: the on-disk home of every registry's snapshots,
// <root>/<name>/vNNNNNN.tmreg, with <root>/<name>/CURRENT naming the version
// in force. A load or update writes a new version file (temporary name,
// fsync, rename), then swaps CURRENT the same way (write CURRENT.tmp, fsync,
// rename, fsync the folder), so a reader sees the old version or the new one,
// never a mixture, and a failed or interrupted build leaves the current
// version in place. Old versions beyond `keep_versions` are pruned after a
// successful swap (a process that has one mapped keeps reading it: unlinking
// a mapped file is safe on POSIX).
//
// Registry names: lowercase letters, digits and '-', starting with a letter,
// at most 64 characters. The rule packs use us-dnc, us-XX-dnc (state lists,
// e.g. us-fl-dnc), ca-dncl, it-rpo, uk-tps and uk-ctps; known_registry()
// tells those apart from other names, default_region() gives their country.
//
// Thread- and process-safety: loads, updates and drops of one registry are
// serialized by an flock on <root>/<name>/LOCK (a second writer waits).
// Readers take no lock. A RegistryDirectory object holds only its root path
// and options: share it between threads freely.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "registry/loader.h"
#include "registry/snapshot.h"

namespace telemark::registry {

bool valid_registry_name(std::string_view name);
// us-dnc, us-XX-dnc (XX a US state or DC), ca-dncl, it-rpo, uk-tps, uk-ctps.
bool known_registry(std::string_view name);
// "US" for us-*, "CA" for ca-*, "IT" for it-*, "GB" for uk-*; "" otherwise.
std::string default_region(std::string_view name);

struct RegistryVersion {
  uint64_t version = 0;
  std::string path;
  bool current = false;
};

struct RegistryInfo {
  std::string name;
  uint64_t version = 0;
  std::string path;
  Provenance provenance;  // includes as_of, count, sources and checksums
  std::string id;
  std::string checksum;
  uint64_t file_bytes = 0;
};

struct LoadRequest {
  std::string as_of;          // "YYYY-MM-DD", required
  ParseOptions parse;         // format, column, region (default from the name), normalizer
  const Clock* clock = nullptr;  // built_at and build time; required
  // Test seam for fault injection: called at "parsed", "snapshot_written",
  // "pointer_written"; a non-ok Status aborts the load there.
  std::function<Status(std::string_view stage)> fault_hook;
};

struct LoadOutcome {
  RegistryInfo installed;
  ParseReport report;
  ChangeStats changes;        // update only
};

class RegistryDirectory {
 public:
  struct Options {
    uint32_t keep_versions = 2;  // the current one and the one before it
  };
  // Creates `root` if missing.
  static Result<RegistryDirectory> open(std::string root, Options options);
  static Result<RegistryDirectory> open(std::string root) { return open(std::move(root), Options{}); }

  const std::string& root() const { return root_; }

  // Names with a CURRENT version, sorted.
  Result<std::vector<std::string>> names() const;
  // Error "registry_missing" when the registry has no current version.
  Result<RegistryInfo> info(std::string_view name) const;
  Result<std::unique_ptr<RegistrySnapshot>> open_current(std::string_view name) const;
  Result<std::vector<RegistryVersion>> versions(std::string_view name) const;

  // Full load from registry files: a new version replacing the current one.
  Result<LoadOutcome> load(std::string_view name, const std::vector<std::string>& files,
                           const LoadRequest& request) const;
  // Change files applied to the current version. The as-of date may not be
  // earlier than the current version's.
  Result<LoadOutcome> update(std::string_view name, const std::vector<std::string>& change_files,
                             const LoadRequest& request) const;
  // Installs a snapshot file built elsewhere (e.g. copied from another node)
  // after checking it opens and verifies, and that it is for `name`.
  Result<RegistryInfo> install(std::string_view name, const std::string& snapshot_file) const;
  // Removes the registry and all its versions. Error if it does not exist.
  Status drop(std::string_view name) const;

 private:
  RegistryDirectory(std::string root, Options options) : root_(std::move(root)), options_(options) {}
  std::string name_dir(std::string_view name) const;
  Result<LoadOutcome> install_built(std::string_view name, const std::string& tmp_path,
                                    const LoadRequest& request, LoadOutcome outcome) const;

  std::string root_;
  Options options_;
};

}  // namespace telemark::registry
