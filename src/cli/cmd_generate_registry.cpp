// telemark generate registry: a synthetic do-not-call registry file (and,
// optionally, a lead list of which a chosen share is registered) for the
// demo and the benchmarks.
//
// Numbers are drawn without repetition from a country's number space (NANP:
// every exchange of the country's first K area codes that libphonenumber
// accepts; Italy and the UK: mobile ranges, in runs of 10,000 that it
// accepts) through a keyed pseudo-random
// permutation of that space (a Feistel network with cycle walking): the
// registry is the preimage of [0, count), so any number's membership is
// known without a table, and registered and unregistered leads can be drawn
// exactly, at any scale, in constant memory (the registry itself is sorted
// in memory, 8 bytes a number, as the registries' own files are).
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <numeric>

#include "cli/common.h"
#include "phone/phone.h"
#include "phone/regions.h"
#include "registry/snapshot.h"

namespace telemark::cli {
namespace {

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A keyed permutation of [0, size): a 4-round Feistel network over the
// smallest even number of bits that holds `size`, cycle-walked back into
// range (on average fewer than 4 steps).
class Permutation {
 public:
  Permutation(uint64_t size, uint64_t seed) : size_(size) {
    unsigned bits = 2;
    while (bits < 64 && (uint64_t{1} << bits) < size) ++bits;
    if (bits % 2) ++bits;
    half_ = bits / 2;
    mask_ = (uint64_t{1} << half_) - 1;
    for (int r = 0; r < 4; ++r) keys_[r] = mix(seed * 4 + static_cast<uint64_t>(r) + 1);
  }
  uint64_t forward(uint64_t x) const {
    do x = round_trip(x, false);
    while (x >= size_);
    return x;
  }
  uint64_t inverse(uint64_t x) const {
    do x = round_trip(x, true);
    while (x >= size_);
    return x;
  }

 private:
  uint64_t round_trip(uint64_t x, bool inverse) const {
    uint64_t l = x >> half_, r = x & mask_;
    if (!inverse) {
      for (int i = 0; i < 4; ++i) {
        uint64_t nl = r, nr = l ^ (mix(r ^ keys_[i]) & mask_);
        l = nl;
        r = nr;
      }
    } else {
      for (int i = 3; i >= 0; --i) {
        uint64_t pr = l, pl = r ^ (mix(l ^ keys_[i]) & mask_);
        l = pl;
        r = pr;
      }
    }
    return (l << half_) | r;
  }
  uint64_t size_;
  unsigned half_ = 1;
  uint64_t mask_ = 1;
  uint64_t keys_[4] = {};
};

// A country's number space as blocks of consecutive E.164 numbers.
struct Block {
  uint64_t first;   // E.164 digits
  uint64_t size;
  std::string region;  // NANP state or province; "" elsewhere
};

class NumberSpace {
 public:
  NumberSpace(std::vector<Block> blocks) : blocks_(std::move(blocks)) {
    for (const auto& b : blocks_) {
      starts_.push_back(total_);
      total_ += b.size;
    }
  }
  uint64_t size() const { return total_; }
  const Block& block_of(uint64_t index, uint64_t* offset) const {
    size_t k = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin()) - 1;
    *offset = index - starts_[k];
    return blocks_[k];
  }
  uint64_t number(uint64_t index) const {
    uint64_t off;
    const Block& b = block_of(index, &off);
    return b.first + off;
  }

 private:
  std::vector<Block> blocks_;
  std::vector<uint64_t> starts_;
  uint64_t total_ = 0;
};

NumberSpace space_for(const std::string& country, size_t area_codes) {
  std::vector<Block> blocks;
  if (country == "US" || country == "CA") {
    const auto& nanp = nanp_regions();
    size_t area_codes_used = 0;
    for (int npa = 200; npa <= 999 && area_codes_used < area_codes; ++npa) {
      auto r = nanp.lookup_npa(npa);
      if (!r || r->country != country || r->region.find('/') != std::string::npos) continue;
      // Only exchanges libphonenumber accepts (the table also lists area
      // codes it does not know yet, and some exchanges are unassigned):
      // every generated number is valid, so the registered share is exact.
      const uint64_t base = 10000000000ULL + static_cast<uint64_t>(npa) * 10000000ULL;
      size_t before = blocks.size();
      for (int nxx = 200; nxx <= 999; ++nxx) {
        uint64_t first = base + static_cast<uint64_t>(nxx) * 10000ULL;
        std::string probe = std::to_string(first + 4567);
        probe.insert(probe.begin(), '+');
        if (!normalizer().normalize(probe, "").ok) continue;
        if (blocks.size() > before && blocks.back().first + blocks.back().size == first) {
          blocks.back().size += 10000;
        } else {
          blocks.push_back({first, 10000, r->region});
        }
      }
      if (blocks.size() > before) ++area_codes_used;
    }
  } else {
    // Mobile ranges, in runs of 10,000 numbers that libphonenumber accepts
    // (some ranges are unassigned or reserved, e.g. the UK's 07700 900).
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // first, size
    if (country == "IT") {
      // 39 3XX NNNNNNN for XX in 20-49, 60-69, 80-89.
      for (int p = 320; p <= 389; ++p)
        if (p < 350 || (p >= 360 && p < 370) || p >= 380)
          ranges.emplace_back(390000000000ULL + static_cast<uint64_t>(p) * 10000000ULL, 10000000ULL);
    } else if (country == "GB") {
      // 44 7X NNNNNNNN for X in 1-5, 7-9.
      for (int p : {71, 72, 73, 74, 75, 77, 78, 79})
        ranges.emplace_back(440000000000ULL + static_cast<uint64_t>(p) * 100000000ULL, 100000000ULL);
    }
    for (const auto& [start, size] : ranges)
      for (uint64_t first = start; first < start + size; first += 10000) {
        std::string probe = std::to_string(first + 4567);
        probe.insert(probe.begin(), '+');
        if (!normalizer().normalize(probe, "").ok) continue;
        if (!blocks.empty() && blocks.back().first + blocks.back().size == first) {
          blocks.back().size += 10000;
        } else {
          blocks.push_back({first, 10000, ""});
        }
      }
  }
  return NumberSpace(std::move(blocks));
}

// The country an E.164 number belongs to, as far as the generator cares.
std::string country_of(uint64_t e164) {
  if (e164 >= 10000000000ULL && e164 < 20000000000ULL) {
    auto r = nanp_regions().lookup(e164);
    return r ? r->country : "";
  }
  std::string s = std::to_string(e164);
  if (s.rfind("39", 0) == 0) return "IT";
  if (s.rfind("44", 0) == 0) return "GB";
  return "";
}

class Writer {
 public:
  Writer(const std::string& path, const std::string& setting) : path_(path), setting_(setting) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw CliError(setting + " " + path + ": cannot create the file", kExitUsage);
    buf_.reserve(1 << 20);
  }
  ~Writer() {
    if (f_) std::fclose(f_);
  }
  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (1 << 20)) flush();
  }
  void close() {
    flush();
    bool failed = std::fclose(f_) != 0;
    f_ = nullptr;
    if (failed) throw CliError(setting_ + " " + path_ + ": write failed", kExitUsage);
  }

 private:
  void flush() {
    if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      throw CliError(setting_ + " " + path_ + ": write failed (disk full?)", kExitUsage);
    buf_.clear();
  }
  std::string path_, setting_;
  std::FILE* f_ = nullptr;
  std::string buf_;
};

void append_number(std::string& out, uint64_t e164, bool national_nanp) {
  char b[24];
  if (national_nanp) e164 -= 10000000000ULL;
  else out.push_back('+');
  auto r = std::to_chars(b, b + sizeof b, e164);
  out.append(b, r.ptr);
}

struct GenArgs {
  std::string file, country = "US", format = "lines", include_list, tenant = "default", leads;
  uint64_t count = 1000, leads_count = 0, seed = 1;
  size_t area_codes = 300;
  double include_share = 0.05, registered_share = 0.3;
};

void generate(const GenArgs& a, GlobalOptions& global) {
  std::string country = a.country;
  for (char& c : country) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (country == "UK") country = "GB";
  if (country != "US" && country != "CA" && country != "IT" && country != "GB")
    throw CliError("--country " + a.country + ": expected US, CA, IT or GB", kExitUsage);
  const bool nanp = country == "US" || country == "CA";
  if (a.format != "lines" && a.format != "ftc" && a.format != "csv")
    throw CliError("--format " + a.format + ": expected lines, ftc or csv", kExitUsage);
  if (a.format == "ftc" && !nanp) throw CliError("--format ftc: only for US and CA numbers", kExitUsage);
  if (a.registered_share < 0 || a.registered_share > 1 || a.include_share < 0 || a.include_share > 1)
    throw CliError("--registered-share and --include-share: expected a share between 0 and 1", kExitUsage);
  NumberSpace space = space_for(country, a.area_codes);
  if (space.size() == 0) throw CliError("--area-codes " + std::to_string(a.area_codes) + ": no number space", kExitUsage);
  if (a.count > space.size() / 2)
    throw CliError("--count " + std::to_string(a.count) + ": more than half of the " + std::to_string(space.size()) +
                       " numbers of the space (add --area-codes)",
                   kExitUsage);
  const uint64_t registered_leads = static_cast<uint64_t>(static_cast<double>(a.leads_count) * a.registered_share);
  if (registered_leads > a.count)
    throw CliError("--leads-count with --registered-share needs more registered numbers than --count", kExitUsage);
  Permutation perm(space.size(), mix(a.seed) ^ (uint64_t{static_cast<unsigned char>(country[0])} << 8 | static_cast<unsigned char>(country[1])));

  std::vector<uint64_t> numbers;
  numbers.reserve(static_cast<size_t>(a.count));
  for (uint64_t j = 0; j < a.count; ++j) numbers.push_back(space.number(perm.inverse(j)));
  uint64_t included = 0;
  if (!a.include_list.empty()) {
    auto store = open_store(global);
    auto list = store->find_list(a.tenant, a.include_list);
    if (!list.ok()) throw CliError(list.error().message, kExitStore);
    if (!list->has_value())
      throw CliError("--include-list " + a.include_list + ": no such list for tenant " + a.tenant, kExitUsage);
    const auto threshold = static_cast<uint64_t>(a.include_share * 1e6);
    auto s = store->list_phones((*list)->id, [&](uint64_t p) {
      if (mix(p ^ a.seed) % 1000000 < threshold && country_of(p) == country) {
        numbers.push_back(p);
        ++included;
      }
    });
    if (!s.ok()) throw CliError(s.error().message, kExitStore);
  }
  registry::sort_unique(numbers);

  Writer reg(a.file, "registry file");
  if (a.format == "csv") reg.buf() += "phone_number,registered\n";
  for (uint64_t n : numbers) {
    append_number(reg.buf(), n, a.format == "ftc");
    if (a.format == "csv") reg.buf() += ",yes";
    reg.buf().push_back('\n');
    reg.maybe_flush();
  }
  reg.close();
  std::fprintf(stderr, "wrote %s: %llu %s numbers (%llu from list %s), format %s\n", a.file.c_str(),
               static_cast<unsigned long long>(numbers.size()), country.c_str(),
               static_cast<unsigned long long>(included), a.include_list.empty() ? "-" : a.include_list.c_str(),
               a.format.c_str());

  if (a.leads.empty()) return;
  // Registered leads: count values j in [0, count) visited by j = k*step
  // mod count (step coprime with count: no repeats); unregistered ones the
  // same over [count, size). Spread evenly through the file.
  auto coprime_step = [](uint64_t n, uint64_t seed) {
    if (n <= 1) return uint64_t{1};
    uint64_t step = mix(seed) % n;
    while (step == 0 || std::gcd(step, n) != 1) step = (step + 1) % n;
    return step;
  };
  const uint64_t others = space.size() - a.count;
  const uint64_t step_in = coprime_step(a.count, a.seed * 3 + 1), step_out = coprime_step(others, a.seed * 5 + 2);
  Writer leads(a.leads, "--leads");
  leads.buf() += "lead_id,phone,first_name,state\n";
  static const char* kNames[] = {"Ann", "Bob", "Cy", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo"};
  uint64_t k_in = 0, k_out = 0;
  for (uint64_t r = 0; r < a.leads_count; ++r) {
    bool registered = static_cast<uint64_t>(static_cast<double>(r + 1) * a.registered_share) >
                      static_cast<uint64_t>(static_cast<double>(r) * a.registered_share);
    uint64_t j = registered ? (k_in++ * step_in) % a.count : a.count + (k_out++ * step_out) % others;
    uint64_t off;
    const Block& b = space.block_of(perm.inverse(j), &off);
    std::string& out = leads.buf();
    char id[24];
    out.append(id, std::to_chars(id, id + sizeof id, r + 1).ptr);
    out.push_back(',');
    append_number(out, b.first + off, a.format == "ftc");
    out.push_back(',');
    out += kNames[mix(r) % 10];
    out.push_back(',');
    out += b.region;
    out.push_back('\n');
    leads.maybe_flush();
  }
  leads.close();
  std::fprintf(stderr, "wrote %s: %llu leads, %llu of them registered\n", a.leads.c_str(),
               static_cast<unsigned long long>(a.leads_count), static_cast<unsigned long long>(k_in));
}

const CommandRegistration reg(91, [](CLI::App& app, GlobalOptions& global) {
  CLI::App* gen = app.get_subcommand("generate");
  auto a = std::make_shared<GenArgs>();
  auto* cmd = gen->add_subcommand("registry", "A synthetic do-not-call registry file (and a lead list, a share of it registered)");
  cmd->add_option("file", a->file, "Registry file to write")->required();
  cmd->add_option("--country", a->country, "US, CA, IT or GB")->capture_default_str();
  cmd->add_option("--count", a->count, "Random registered numbers")->capture_default_str();
  cmd->add_option("--area-codes", a->area_codes, "US/CA: spread over this many real area codes")->capture_default_str();
  cmd->add_option("--format", a->format, "lines (+E.164), ftc (10 digits, US/CA) or csv (phone_number column)")
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
  cmd->add_option("--include-list", a->include_list, "Also register a share of this stored list's numbers of the country");
  cmd->add_option("--tenant", a->tenant, "Tenant of --include-list")->capture_default_str();
  cmd->add_option("--include-share", a->include_share, "Share of --include-list's numbers to register")->capture_default_str();
  cmd->add_option("--leads", a->leads, "Also write a lead CSV (lead_id,phone,first_name,state) to this file");
  cmd->add_option("--leads-count", a->leads_count, "Rows of --leads")->capture_default_str();
  cmd->add_option("--registered-share", a->registered_share, "Share of --leads rows on the registry")->capture_default_str();
  cmd->callback([a, &global] { generate(*a, global); });
});

}  // namespace
}  // namespace telemark::cli
