#include "registry/directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/time.h"

namespace fs = std::filesystem;

namespace telemark::registry {
namespace {

constexpr std::string_view kCurrent = "CURRENT";
constexpr std::string_view kSuffix = ".tmreg";

std::string errno_text() { return std::strerror(errno); }

Status fsync_path(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), directory ? (O_RDONLY | O_DIRECTORY) : O_RDONLY);
  if (fd < 0) return make_error("io_error", path + ": cannot open to sync: " + errno_text());
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return make_error("io_error", path + ": fsync failed: " + errno_text());
  return Status::Ok();
}

// Write a new file, fsync it, rename it over `path`, fsync the folder.
Status write_file_atomically(const std::string& path, std::string_view content) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("io_error", tmp + ": cannot create: " + errno_text());
  const char* p = content.data();
  size_t n = content.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      const std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error("io_error", tmp + ": write failed: " + why);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    const std::string why = errno_text();
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_error("io_error", tmp + ": fsync failed: " + why);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    return make_error("io_error", path + ": cannot rename into place: " + why);
  }
  return fsync_path(fs::path(path).parent_path().string(), true);
}

std::string version_file(uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "v%06llu", static_cast<unsigned long long>(v));
  return std::string(buf) + std::string(kSuffix);
}

// "v000012.tmreg" -> 12
std::optional<uint64_t> parse_version_file(std::string_view f) {
  if (f.size() < 2 + kSuffix.size() || f[0] != 'v' || !f.ends_with(kSuffix)) return std::nullopt;
  const auto digits = f.substr(1, f.size() - 1 - kSuffix.size());
  if (digits.size() > 18) return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

bool valid_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[i] < '0' || s[i] > '9') return false;
  auto t = parse_iso8601(s);
  return t.ok() && format_date(*t) == s;  // rejects 2024-02-30
}

// An exclusive flock held for the life of the object.
class NameLock {
 public:
  ~NameLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  Status acquire(const std::string& dir) {
    const std::string path = dir + "/LOCK";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return make_error("io_error", path + ": cannot open lock file: " + errno_text());
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return make_error("io_error", path + ": cannot lock: " + errno_text());
    }
    return Status::Ok();
  }

 private:
  int fd_ = -1;
};

Status check_name(std::string_view name) {
  if (!valid_registry_name(name))
    return make_error("invalid_argument",
                      "invalid registry name \"" + std::string(name) +
                          "\": use lowercase letters, digits and '-', starting with a letter (e.g. us-dnc)");
  return Status::Ok();
}

Status run_hook(const LoadRequest& r, std::string_view stage) {
  return r.fault_hook ? r.fault_hook(stage) : Status::Ok();
}

// Under the lock no other writer is running, so partial files left by a
// crashed build can go.
void remove_leftovers(const std::string& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (f.ends_with(".partial") || f == "CURRENT.tmp") fs::remove(e.path(), ec);
  }
}

uint64_t next_version(const std::string& dir) {
  uint64_t mx = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (auto v = parse_version_file(f)) mx = std::max(mx, *v);
    // Leftover partial files of a crashed build count too, so a number is never reused.
    if (f.ends_with(".partial"))
      if (auto v = parse_version_file(f.substr(0, f.size() - 8))) mx = std::max(mx, *v);
  }
  return mx + 1;
}

int64_t millis_between(Instant a, Instant b) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

}  // namespace

bool valid_registry_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() < 'a' || name.front() > 'z' || name.back() == '-')
    return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

bool known_registry(std::string_view name) {
  static constexpr std::array<std::string_view, 5> kNational = {"us-dnc", "ca-dncl", "it-rpo",
                                                                "uk-tps", "uk-ctps"};
  for (auto n : kNational)
    if (name == n) return true;
  static constexpr std::array<std::string_view, 51> kStates = {
      "al", "ak", "az", "ar", "ca", "co", "ct", "de", "dc", "fl", "ga", "hi", "id", "il", "in", "ia", "ks",
      "ky", "la", "me", "md", "ma", "mi", "mn", "ms", "mo", "mt", "ne", "nv", "nh", "nj", "nm", "ny", "nc",
      "nd", "oh", "ok", "or", "pa", "ri", "sc", "sd", "tn", "tx", "ut", "vt", "va", "wa", "wv", "wi", "wy"};
  if (name.size() == 9 && name.starts_with("us-") && name.ends_with("-dnc")) {
    const auto st = name.substr(3, 2);
    for (auto s : kStates)
      if (st == s) return true;
  }
  return false;
}

std::string default_region(std::string_view name) {
  if (name.starts_with("us-")) return "US";
  if (name.starts_with("ca-")) return "CA";
  if (name.starts_with("it-")) return "IT";
  if (name.starts_with("uk-")) return "GB";
  return "";
}

Result<RegistryDirectory> RegistryDirectory::open(std::string root, Options options) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) return make_error("io_error", root + ": cannot create registry folder: " + ec.message());
  if (!fs::is_directory(root, ec))
    return make_error("io_error", root + ": not a folder");
  if (options.keep_versions == 0) options.keep_versions = 1;
  return RegistryDirectory(std::move(root), options);
}

std::string RegistryDirectory::name_dir(std::string_view name) const {
  return root_ + "/" + std::string(name);
}

Result<std::vector<std::string>> RegistryDirectory::names() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_, ec)) {
    const std::string n = e.path().filename().string();
    if (valid_registry_name(n) && fs::exists(e.path() / std::string(kCurrent))) out.push_back(n);
  }
  if (ec) return make_error("io_error", root_ + ": cannot list: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {
Result<std::string> read_current(const std::string& dir, std::string_view name) {
  const std::string path = dir + "/" + std::string(kCurrent);
  std::ifstream in(path);
  if (!in)
    return make_error("registry_missing", "registry " + std::string(name) +
                                              " is not loaded (no " + path + ")");
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  if (!parse_version_file(line))
    return make_error("bad_snapshot", path + ": does not name a snapshot version (\"" + line + "\")");
  return dir + "/" + line;
}
}  // namespace

Result<std::unique_ptr<RegistrySnapshot>> RegistryDirectory::open_current(std::string_view name) const {
  if (Status st = check_name(name); !st.ok()) return st.error();
  auto cur = read_current(name_dir(name), name);
  if (!cur.ok()) return cur.error();
  return RegistrySnapshot::open(*cur);
}

Result<RegistryInfo> RegistryDirectory::info(std::string_view name) const {
  auto snap = open_current(name);
  if (!snap.ok()) return snap.error();
  const auto& s = **snap;
  RegistryInfo i;
  i.name = std::string(name);
  i.path = s.path();
  i.version = parse_version_file(fs::path(s.path()).filename().string()).value_or(0);
  i.provenance = s.provenance();
  i.id = s.id();
  i.checksum = s.checksum();
  i.file_bytes = s.layout().file_bytes;
  return i;
}

Result<std::vector<RegistryVersion>> RegistryDirectory::versions(std::string_view name) const {
  if (Status st = check_name(name); !st.ok()) return st.error();
  const std::string dir = name_dir(name);
  auto cur = read_current(dir, name);
  std::vector<RegistryVersion> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    if (auto v = parse_version_file(f)) {
      RegistryVersion rv;
      rv.version = *v;
      rv.path = dir + "/" + f;
      rv.current = cur.ok() && *cur == rv.path;
      out.push_back(std::move(rv));
    }
  }
  if (ec) return make_error("registry_missing", "registry " + std::string(name) + ": " + ec.message());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

Result<LoadOutcome> RegistryDirectory::install_built(std::string_view name, const std::string& path,
                                                     const LoadRequest& request,
                                                     LoadOutcome outcome) const {
  const std::string dir = name_dir(name);
  auto fail = [&](Error e) -> Result<LoadOutcome> {
    ::unlink(path.c_str());
    return e;
  };
  if (Status st = run_hook(request, "snapshot_written"); !st.ok()) return fail(st.error());
  if (Status st = run_hook(request, "pointer_written"); !st.ok()) return fail(st.error());
  const std::string file = fs::path(path).filename().string();
  if (Status st = write_file_atomically(dir + "/" + std::string(kCurrent), file + "\n"); !st.ok())
    return fail(st.error());
  // Prune: keep the newest keep_versions files (the current one among them).
  auto vs = versions(name);
  if (vs.ok() && vs->size() > options_.keep_versions) {
    for (size_t i = 0; i + options_.keep_versions < vs->size(); ++i)
      if (!(*vs)[i].current) ::unlink((*vs)[i].path.c_str());
  }
  auto i = info(name);
  if (!i.ok()) return i.error();
  outcome.installed = std::move(i).value();
  return outcome;
}

Result<LoadOutcome> RegistryDirectory::load(std::string_view name, const std::vector<std::string>& files,
                                            const LoadRequest& request) const {
  if (Status st = check_name(name); !st.ok()) return st.error();
  if (!valid_date(request.as_of))
    return make_error("invalid_argument", "as-of date \"" + request.as_of + "\" is not a YYYY-MM-DD date");
  if (request.clock == nullptr) return make_error("invalid_argument", "registry load needs a clock");
  if (files.empty()) return make_error("invalid_argument", "registry load needs at least one file");
  ParseOptions opts = request.parse;
  if (opts.region.empty()) opts.region = default_region(name);
  const Instant start = request.clock->now();

  auto loaded = read_number_files(files, opts);
  if (!loaded.ok()) return loaded.error();
  if (Status st = run_hook(request, "parsed"); !st.ok()) return st.error();

  const std::string dir = name_dir(name);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("io_error", dir + ": cannot create: " + ec.message());
  NameLock lock;
  if (Status st = lock.acquire(dir); !st.ok()) return st.error();
  remove_leftovers(dir);

  Provenance p;
  p.name = std::string(name);
  p.as_of = request.as_of;
  p.kind = "load";
  p.region = opts.region;
  p.sources = loaded->report.sources;
  p.bad_lines = loaded->report.bad_lines;
  p.built_at = start;
  const uint64_t dups = sort_unique(loaded->numbers);
  p.duplicates = dups;
  p.build_millis = millis_between(start, request.clock->now());
  const std::string path = dir + "/" + version_file(next_version(dir));
  auto built = write_sorted_snapshot(loaded->numbers, path, std::move(p));
  if (!built.ok()) return built.error();
  std::vector<uint64_t>().swap(loaded->numbers);
  LoadOutcome out;
  out.report = std::move(loaded->report);
  return install_built(name, path, request, std::move(out));
}

Result<LoadOutcome> RegistryDirectory::update(std::string_view name,
                                              const std::vector<std::string>& change_files,
                                              const LoadRequest& request) const {
  if (Status st = check_name(name); !st.ok()) return st.error();
  if (!valid_date(request.as_of))
    return make_error("invalid_argument", "as-of date \"" + request.as_of + "\" is not a YYYY-MM-DD date");
  if (request.clock == nullptr) return make_error("invalid_argument", "registry update needs a clock");
  if (change_files.empty()) return make_error("invalid_argument", "registry update needs a change file");
  ParseOptions opts = request.parse;
  if (opts.region.empty()) opts.region = default_region(name);
  const Instant start = request.clock->now();

  auto loaded = read_change_files(change_files, opts);
  if (!loaded.ok()) return loaded.error();
  if (Status st = run_hook(request, "parsed"); !st.ok()) return st.error();

  const std::string dir = name_dir(name);
  if (!fs::is_directory(dir))
    return make_error("registry_missing", "registry " + std::string(name) + " is not loaded; load it first");
  NameLock lock;
  if (Status st = lock.acquire(dir); !st.ok()) return st.error();
  remove_leftovers(dir);
  auto parent = open_current(name);
  if (!parent.ok()) return parent.error();
  const std::string& parent_as_of = (*parent)->provenance().as_of;
  if (request.as_of < parent_as_of)
    return make_error("invalid_argument", "update as-of " + request.as_of +
                                              " is earlier than the current snapshot's " + parent_as_of +
                                              " (registry " + std::string(name) + ")");
  Provenance p;
  p.name = std::string(name);
  p.as_of = request.as_of;
  p.region = opts.region;
  p.sources = loaded->report.sources;
  p.bad_lines = loaded->report.bad_lines;
  p.built_at = start;
  p.build_millis = millis_between(start, request.clock->now());
  const std::string path = dir + "/" + version_file(next_version(dir));
  LoadOutcome out;
  auto built = apply_changes(**parent, loaded->changes, path, std::move(p), &out.changes);
  if (!built.ok()) return built.error();
  out.report = std::move(loaded->report);
  return install_built(name, path, request, std::move(out));
}

Result<RegistryInfo> RegistryDirectory::install(std::string_view name, const std::string& snapshot_file) const {
  if (Status st = check_name(name); !st.ok()) return st.error();
  auto snap = RegistrySnapshot::open(snapshot_file);
  if (!snap.ok()) return snap.error();
  if ((*snap)->provenance().name != name)
    return make_error("invalid_argument", snapshot_file + ": is a snapshot of " +
                                              (*snap)->provenance().name + ", not " + std::string(name));
  if (Status st = (*snap)->verify(); !st.ok()) return st.error();
  const std::string dir = name_dir(name);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("io_error", dir + ": cannot create: " + ec.message());
  NameLock lock;
  if (Status st = lock.acquire(dir); !st.ok()) return st.error();
  remove_leftovers(dir);
  const std::string path = dir + "/" + version_file(next_version(dir));
  const std::string partial = path + ".partial";
  fs::copy_file(snapshot_file, partial, fs::copy_options::overwrite_existing, ec);
  if (ec) return make_error("io_error", snapshot_file + ": cannot copy into " + dir + ": " + ec.message());
  if (Status st = fsync_path(partial, false); !st.ok()) {
    ::unlink(partial.c_str());
    return st.error();
  }
  if (::rename(partial.c_str(), path.c_str()) != 0) {
    ::unlink(partial.c_str());
    return make_error("io_error", path + ": cannot rename into place: " + errno_text());
  }
  LoadRequest none;
  auto out = install_built(name, path, none, LoadOutcome{});
  if (!out.ok()) return out.error();
  return out->installed;
}

Status RegistryDirectory::drop(std::string_view name) const {
  if (Status st = check_name(name); !st.ok()) return st;
  const std::string dir = name_dir(name);
  if (!fs::exists(dir + "/" + std::string(kCurrent)))
    return make_error("registry_missing", "registry " + std::string(name) + " is not loaded");
  {
    NameLock lock;
    if (Status st = lock.acquire(dir); !st.ok()) return st;
    // CURRENT goes first: from then on the registry is absent for readers.
    if (::unlink((dir + "/" + std::string(kCurrent)).c_str()) != 0)
      return make_error("io_error", dir + "/CURRENT: cannot remove: " + errno_text());
    if (Status st = fsync_path(dir, true); !st.ok()) return st;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return make_error("io_error", dir + ": cannot remove: " + ec.message());
  return Status::Ok();
}

}  // namespace telemark::registry
