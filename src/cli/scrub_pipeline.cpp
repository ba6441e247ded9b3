#include "cli/scrub_pipeline.h"

#include "leads/csv.h"

#include <bit>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "base/time.h"
#include "campaign/history.h"
#include "compliance/resolve.h"
#include "leads/fields.h"
#include "store/campaign_store.h"

namespace telemark::cli {
namespace {

using namespace telemark::compliance;

constexpr size_t kReasonSlots = static_cast<size_t>(kReasonCodeCount) * (kMaxRegistries + 1);
// Bounds a batch's text too, so a file of huge records cannot grow one
// batch without limit (and 32-bit offsets always suffice).
constexpr size_t kMaxArenaBytes = 64u << 20;
constexpr size_t kMaxCachedDecisions = 1u << 16;

size_t reason_slot(const Reason& r) {
  return static_cast<size_t>(r.code) * (kMaxRegistries + 1) +
         (r.registry == kNoRegistry ? kMaxRegistries : r.registry);
}

using leads::append_csv_field;

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A stored lead's address region as the engine's code (a name that is no
// state or province code stays unknown, as with --fact region=...).
RegionCode address_region(std::string_view region) {
  char up[5] = {};
  if (region.empty() || region.size() > 4) return 0;
  for (size_t i = 0; i < region.size(); ++i)
    up[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(region[i])));
  return region_code(std::string_view(up, region.size()));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ---- batches and the queue between the threads ----

struct Span {
  uint32_t off = 0, len = 0;
};

struct InputRow {
  uint64_t line = 0;
  Span id, phone, country, pass;
  uint32_t first_fact = 0;  // its facts: Batch::facts[first_fact, first_fact + fact count)
  uint16_t fact_mask = 0;   // bit f: fact f has a value (facts are stored in Fact order)
};

struct FactValue {
  Fact fact;
  Span value;
};

struct LeadRow {
  int64_t id = 0;
  uint64_t phone = 0;
  CountryCode country = 0;
  phone::NumberType type = phone::NumberType::kUnknown;
  store::LeadFacts facts;
  RegionCode region = 0;
  std::array<char, 12> postal{};
  int32_t history = -1;  // its call history: Batch::histories[history]; -1: none
};

struct Batch {
  uint64_t seq = 0;
  std::string arena;
  std::vector<InputRow> inputs;
  std::vector<FactValue> facts;  // of the input rows
  std::vector<LeadRow> leads;
  std::vector<CallHistory> histories;  // of the lead rows that have one
  std::string callable, rejected;
  uint64_t verdicts[3] = {0, 0, 0};
  std::vector<uint64_t> reason_counts = std::vector<uint64_t>(kReasonSlots, 0);
  std::map<std::string, uint64_t> extra_reasons;
  uint64_t cache_hits = 0;

  size_t size() const { return inputs.size() + leads.size(); }
  std::string_view text(Span s) const { return std::string_view(arena.data() + s.off, s.len); }
  std::string_view fact(const InputRow& r, Fact f) const {
    const uint32_t end = r.first_fact + static_cast<uint32_t>(std::popcount(r.fact_mask));
    for (uint32_t i = r.first_fact; i < end; ++i)
      if (facts[i].fact == f) return text(facts[i].value);
    return {};
  }
  Span put(std::string_view s) {
    Span sp{static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(s.size())};
    arena.append(s);
    return sp;
  }
  void reset() {
    arena.clear();
    inputs.clear();
    facts.clear();
    leads.clear();
    histories.clear();
    callable.clear();
    rejected.clear();
    verdicts[0] = verdicts[1] = verdicts[2] = 0;
    std::fill(reason_counts.begin(), reason_counts.end(), 0);
    extra_reasons.clear();
    cache_hits = 0;
  }
};

class Pipeline {
 public:
  explicit Pipeline(size_t batches) : pool_(batches) {
    for (auto& b : pool_) free_.push_back(&b);
  }

  Batch* acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return aborted_ || !free_.empty(); });
    if (aborted_) return nullptr;
    Batch* b = free_.back();
    free_.pop_back();
    b->reset();
    return b;
  }
  void submit(Batch* b) {
    std::lock_guard lock(mu_);
    b->seq = submitted_++;
    work_.push_back(b);
    cv_.notify_all();
  }
  void give_back(Batch* b) {
    std::lock_guard lock(mu_);
    free_.push_back(b);
    cv_.notify_all();
  }
  void close_input() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  Batch* take_work() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return aborted_ || !work_.empty() || closed_; });
    if (aborted_ || work_.empty()) return nullptr;
    Batch* b = work_.front();
    work_.pop_front();
    return b;
  }
  void done(Batch* b) {
    std::lock_guard lock(mu_);
    done_.emplace(b->seq, b);
    cv_.notify_all();
  }
  // The next batch in input order; nullptr when every batch is written or
  // the pipeline was aborted.
  Batch* next_done() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] {
      return aborted_ || done_.count(written_) > 0 || (closed_ && written_ == submitted_);
    });
    if (aborted_ || (closed_ && written_ == submitted_ && done_.count(written_) == 0)) return nullptr;
    Batch* b = done_[written_];
    done_.erase(written_);
    ++written_;
    return b;
  }
  void abort(Error e, int exit_code) {
    std::lock_guard lock(mu_);
    if (!aborted_) {
      error_ = std::move(e);
      exit_code_ = exit_code;
    }
    aborted_ = true;
    cv_.notify_all();
  }
  bool aborted() {
    std::lock_guard lock(mu_);
    return aborted_;
  }
  const Error& error() const { return error_; }
  int exit_code() const { return exit_code_; }

 private:
  std::vector<Batch> pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Batch*> free_;
  std::deque<Batch*> work_;
  std::map<uint64_t, Batch*> done_;
  uint64_t submitted_ = 0, written_ = 0;
  bool closed_ = false, aborted_ = false;
  Error error_;
  int exit_code_ = 1;
};

// ---- deciding a batch ----

struct CacheKey {
  uint64_t zones = 0;    // identity of the number's prefix entry in the zone table
  uint64_t members = 0;  // registry membership, bit RegistryId
  uint32_t address_region = 0;
  uint16_t country = 0;
  uint16_t npa = 0;  // NANP area code (the region comes from it); 0 otherwise
  uint8_t type = 0;
  uint8_t flags = 0;  // 1: valid, 2: on the internal list
  bool operator==(const CacheKey&) const = default;
};
struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    uint64_t h = k.zones * 0x9E3779B97F4A7C15ULL;
    h ^= (k.members + 0x632BE59BD9B4E019ULL) * 0xBF58476D1CE4E5B9ULL;
    h ^= (uint64_t{k.address_region} << 32 | uint64_t{k.country} << 16 | k.npa) * 0x94D049BB133111EBULL;
    h ^= (uint64_t{k.type} << 8 | k.flags) + (h >> 29);
    return static_cast<size_t>(h ^ (h >> 31));
  }
};

// A decision ready to write: "verdict,reasons,next_allowed_at".
struct Formatted {
  Verdict verdict = Verdict::kBlocked;
  std::string fragment;
  std::vector<uint16_t> slots;  // reason_slot() of each reason
};

// The memo of formatted decisions: open addressing over a power-of-two
// table. Hand-written because std::unordered_map's prime-modulo division
// was the largest single cost of a memo hit in bench/scrub.sh's profile.
class DecisionMemo {
 public:
  DecisionMemo() { reset(); }
  // The entry for `key`, or nullptr.
  const Formatted* find(const CacheKey& key, size_t hash) const {
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.value == kEmpty) return nullptr;
      if (s.key == key) return &values_[s.value];
    }
  }
  const Formatted& insert(const CacheKey& key, size_t hash, Formatted value) {
    if (values_.size() >= kMaxCachedDecisions) reset();
    if ((values_.size() + 1) * 2 > slots_.size()) grow();
    values_.push_back(std::move(value));
    place(key, hash, static_cast<uint32_t>(values_.size() - 1));
    return values_.back();
  }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    CacheKey key;
    uint32_t value = kEmpty;
  };
  void reset() {
    values_.clear();
    slots_.assign(1024, Slot{});
    mask_ = slots_.size() - 1;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.value != kEmpty) place(s.key, CacheKeyHash{}(s.key), s.value);
  }
  void place(const CacheKey& key, size_t hash, uint32_t value) {
    size_t i = hash & mask_;
    while (slots_[i].value != kEmpty) i = (i + 1) & mask_;
    slots_[i].key = key;
    slots_[i].value = value;
  }
  std::vector<Slot> slots_;
  std::deque<Formatted> values_;  // stable addresses while the memo grows
  size_t mask_ = 0;
};

struct RowFacts {
  LeadFacts lead;
  CallHistory history;
  bool any = false;  // a fact other than the address (region, postal code) is set
  int bad = -1;      // the Fact that did not parse
};

class Decider {
 public:
  Decider(const ScrubContext& ctx, const std::array<std::string, kFactCount>& fact_columns)
      : ctx_(ctx), fact_columns_(fact_columns), resolver_(*ctx.engine, *ctx.zones, *ctx.nanp) {}

  void process(Batch& b) {
    const size_t n = b.size();
    rows_.assign(n, Row{});
    // Each output row is its input plus about 60 bytes.
    b.callable.reserve(b.arena.size() + n * 64);
    b.rejected.reserve(b.arena.size() / 2 + n * 32);
    const bool input = !b.inputs.empty();
    for (size_t i = 0; i < n; ++i) {
      Row& r = rows_[i];
      if (input) {
        const InputRow& in = b.inputs[i];
        std::string_view region = ctx_.default_region;
        std::string_view country = trim(b.text(in.country));
        char upper[2];
        if (country.size() == 2) {
          upper[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(country[0])));
          upper[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(country[1])));
          region = std::string_view(upper, 2);
          if (region == "UK") region = "GB";
        }
        auto out = ctx_.normalizer->normalize(b.text(in.phone), region);
        if (out.ok) {
          r.e164 = out.phone.e164;
          r.valid = true;
          r.country = country_code(out.phone.region);
          r.type = out.phone.type;
        }
      } else {
        const LeadRow& l = b.leads[i];
        r.e164 = l.phone;
        r.valid = l.phone != 0;
        r.country = l.country;
        r.type = l.type;
      }
      if (r.valid) {
        r.needed = ctx_.registries->needed(r.country);
        r.internal = ctx_.internal->contains(r.e164);
      }
    }
    lookup_registries();
    // Rows with no fact but the address (region, postal code) take the
    // memoized path; the postal code decides nothing (intent.h).
    constexpr uint16_t kAddressFacts = (1u << static_cast<unsigned>(Fact::kRegion)) |
                                       (1u << static_cast<unsigned>(Fact::kPostalCode));
    for (size_t i = 0; i < n; ++i) {
      const Row& r = rows_[i];
      RegionCode address = 0;
      bool plain;
      if (input) {
        const InputRow& in = b.inputs[i];
        if (in.fact_mask & (1u << static_cast<unsigned>(Fact::kRegion)))
          address = address_region(b.fact(in, Fact::kRegion));
        plain = (in.fact_mask & ~kAddressFacts) == 0;
      } else {
        const LeadRow& l = b.leads[i];
        address = l.region;
        plain = l.history < 0 && !(l.facts.consent_at || l.facts.consent_revoked_at || l.facts.last_purchase_at ||
                  l.facts.last_inquiry_at || l.facts.contract_active || l.facts.contract_ended_at);
      }
      if (plain) {
        CacheKey key = key_of(r, address);
        size_t hash = CacheKeyHash{}(key);
        const Formatted* f = memo_.find(key, hash);
        if (f) {
          ++b.cache_hits;
        } else {
          f = &memo_.insert(key, hash, decide(r, RowFacts{}, address));
        }
        emit(b, i, *f);
        continue;
      }
      RowFacts facts;
      if (input) {
        read_facts(b, b.inputs[i], facts, address);
      } else {
        lead_facts(b, b.leads[i], facts, address);
      }
      if (facts.bad >= 0) {
        emit_bad_fact(b, i, facts.bad);
        continue;
      }
      emit(b, i, decide(r, facts, address));
    }
  }

 private:
  struct Row {
    uint64_t e164 = 0;
    bool valid = false;
    bool internal = false;
    CountryCode country = 0;
    phone::NumberType type = phone::NumberType::kUnknown;
    uint64_t needed = 0;
    uint64_t members = 0;
  };

  // Bulk lookups, one registry at a time: contains_many prefetches, which
  // matters once a snapshot outgrows the caches.
  void lookup_registries() {
    for (const auto& e : ctx_.registries->entries()) {
      if (!e.snapshot) continue;
      const uint64_t bit = uint64_t{1} << e.id;
      numbers_.clear();
      index_.clear();
      for (size_t i = 0; i < rows_.size(); ++i)
        if (rows_[i].needed & bit) {
          numbers_.push_back(rows_[i].e164);
          index_.push_back(static_cast<uint32_t>(i));
        }
      if (numbers_.empty()) continue;
      hits_.assign(numbers_.size(), 0);
      e.snapshot->contains_many(numbers_, hits_);
      for (size_t k = 0; k < index_.size(); ++k)
        if (hits_[k]) rows_[index_[k]].members |= bit;
    }
  }

  void read_facts(const Batch& b, const InputRow& in, RowFacts& facts, RegionCode& address) {
    // Only the fields apply_fact sets are reset: a whole CallIntent per row
    // would cost more than deciding it.
    scratch_.lead = LeadFacts{};
    scratch_.history = CallHistory{};
    const size_t count = static_cast<size_t>(std::popcount(in.fact_mask));
    for (size_t k = 0; k < count; ++k) {
      const FactValue& v = b.facts[in.first_fact + k];
      if (!apply_fact(v.fact, b.text(v.value), scratch_)) {
        facts.bad = static_cast<int>(v.fact);
        return;
      }
      if (v.fact != Fact::kRegion && v.fact != Fact::kPostalCode) facts.any = true;
    }
    facts.lead = scratch_.lead;
    facts.history = scratch_.history;
    address = scratch_.lead.address_region;
  }

  static void lead_facts(const Batch& b, const LeadRow& l, RowFacts& facts, RegionCode& address) {
    facts.lead.consent_at = l.facts.consent_at;
    facts.lead.consent_revoked_at = l.facts.consent_revoked_at;
    facts.lead.last_purchase_at = l.facts.last_purchase_at;
    facts.lead.last_inquiry_at = l.facts.last_inquiry_at;
    facts.lead.contract_active = l.facts.contract_active;
    facts.lead.contract_ended_at = l.facts.contract_ended_at;
    facts.lead.address_region = l.region;
    facts.lead.postal_code = l.postal;
    facts.any = l.facts.consent_at || l.facts.consent_revoked_at || l.facts.last_purchase_at ||
                l.facts.last_inquiry_at || l.facts.contract_active || l.facts.contract_ended_at;
    if (l.history >= 0) {
      facts.history = b.histories[static_cast<size_t>(l.history)];
      facts.any = true;
    }
    address = l.region;
  }

  CacheKey key_of(const Row& r, RegionCode address) const {
    CacheKey k;
    k.flags = static_cast<uint8_t>((r.valid ? 1 : 0) | (r.internal ? 2 : 0));
    k.address_region = address;
    if (!r.valid) return k;
    k.country = r.country;
    k.type = static_cast<uint8_t>(r.type);
    k.members = r.members;
    k.zones = reinterpret_cast<uintptr_t>(&ctx_.zones->lookup(r.e164));
    if (r.e164 >= 10000000000ULL && r.e164 < 20000000000ULL)
      k.npa = static_cast<uint16_t>(r.e164 / 10000000ULL % 1000);
    return k;
  }

  const CallIntent& template_for(CountryCode c) {
    for (const auto& [country, t] : templates_)
      if (country == c) return *t;
    auto t = std::make_unique<CallIntent>();
    t->campaign = *ctx_.campaign;
    t->at = ctx_.at;
    ctx_.registries->fill(c, *t);
    templates_.emplace_back(c, std::move(t));
    return *templates_.back().second;
  }

  Formatted decide(const Row& r, const RowFacts& facts, RegionCode address) {
    intent_ = template_for(r.valid ? r.country : 0);
    if (r.valid) {
      intent_.number = resolver_.resolve(r.e164, country_string(r.country), r.type);
      for (size_t id = 0; id < kMaxRegistries; ++id)
        if (r.members & (uint64_t{1} << id)) intent_.registries[id].member = true;
      intent_.internal_dnc = r.internal;
    } else {
      intent_.number = NumberResolver::invalid();
    }
    intent_.lead = facts.lead;
    intent_.lead.address_region = address;
    intent_.history = facts.history;
    Decision d = ctx_.engine->decide(intent_);
    Formatted f;
    f.verdict = d.verdict;
    f.fragment.append(to_string(d.verdict));
    f.fragment.push_back(',');
    std::string reasons;
    for (size_t k = 0; k < d.reasons.size(); ++k) {
      if (k) reasons.push_back(';');
      reasons += ctx_.engine->reason_string(d.reasons[k]);
      f.slots.push_back(static_cast<uint16_t>(reason_slot(d.reasons[k])));
    }
    append_csv_field(f.fragment, reasons);
    f.fragment.push_back(',');
    if (d.next_allowed_at) f.fragment += format_iso8601(*d.next_allowed_at);
    return f;
  }

  void write_prefix(Batch& b, size_t i, std::string& out) const {
    if (!b.inputs.empty()) {
      const InputRow& in = b.inputs[i];
      if (in.id.len) {
        append_csv_field(out, b.text(in.id));
      } else {
        append_uint(out, in.line);
      }
      out.push_back(',');
      if (rows_[i].valid) {
        out.push_back('+');
        append_uint(out, rows_[i].e164);
      } else {
        append_csv_field(out, b.text(in.phone));
      }
    } else {
      const LeadRow& l = b.leads[i];
      append_uint(out, static_cast<uint64_t>(l.id));
      out.push_back(',');
      if (l.phone) {
        out.push_back('+');
        append_uint(out, l.phone);
      }
    }
    out.push_back(',');
  }

  void write_suffix(Batch& b, size_t i, std::string& out) const {
    if (!b.inputs.empty()) {
      out.push_back(',');
      out.append(b.text(b.inputs[i].pass));
    }
    out.push_back('\n');
  }

  void emit(Batch& b, size_t i, const Formatted& f) {
    std::string& out = f.verdict == Verdict::kCallable ? b.callable : b.rejected;
    write_prefix(b, i, out);
    out.append(f.fragment);
    write_suffix(b, i, out);
    ++b.verdicts[static_cast<size_t>(f.verdict)];
    for (uint16_t s : f.slots) ++b.reason_counts[s];
  }

  void emit_bad_fact(Batch& b, size_t i, int fact) {
    std::string reason = "bad_fact:" + fact_columns_[static_cast<size_t>(fact)];
    std::string& out = b.rejected;
    write_prefix(b, i, out);
    out.append("blocked,");
    append_csv_field(out, reason);
    out.push_back(',');
    write_suffix(b, i, out);
    ++b.verdicts[static_cast<size_t>(Verdict::kBlocked)];
    ++b.extra_reasons[reason];
  }

  const ScrubContext& ctx_;
  const std::array<std::string, kFactCount>& fact_columns_;
  NumberResolver resolver_;
  std::vector<Row> rows_;
  std::vector<uint64_t> numbers_;
  std::vector<uint32_t> index_;
  std::vector<uint8_t> hits_;
  DecisionMemo memo_;
  std::vector<std::pair<CountryCode, std::unique_ptr<CallIntent>>> templates_;
  CallIntent intent_;
  CallIntent scratch_;
};

// ---- output files ----

class OutputFile {
 public:
  OutputFile(std::string path, const std::string& setting) : path_(std::move(path)), partial_(path_ + ".partial") {
    f_ = std::fopen(partial_.c_str(), "wb");
    if (!f_) throw CliError(setting + " " + path_ + ": cannot create the file", kExitUsage);
    std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    setting_ = setting;
  }
  ~OutputFile() {
    if (f_) std::fclose(f_);
    if (!committed_) std::remove(partial_.c_str());
  }
  void write(const std::string& s) {
    if (!s.empty() && std::fwrite(s.data(), 1, s.size(), f_) != s.size())
      throw CliError(setting_ + " " + path_ + ": write failed (disk full?)", kExitUsage);
  }
  void commit() {
    bool failed = std::fflush(f_) != 0 || std::ferror(f_) != 0;
    failed |= std::fclose(f_) != 0;
    f_ = nullptr;
    if (failed) throw CliError(setting_ + " " + path_ + ": write failed (disk full?)", kExitUsage);
    if (std::rename(partial_.c_str(), path_.c_str()) != 0)
      throw CliError(setting_ + " " + path_ + ": cannot rename " + partial_ + " into place", kExitUsage);
    committed_ = true;
  }

 private:
  std::string path_, partial_, setting_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// Runs the reader on its own thread, the deciders on `workers` threads, and
// writes on this one.
template <class Reader>
ScrubSummary run_pipeline(const ScrubContext& ctx, const ScrubOutputs& outs, const std::string& header,
                          const std::array<std::string, kFactCount>& fact_columns, Reader&& reader) {
  OutputFile callable(outs.callable_path, "--callable");
  OutputFile rejected(outs.rejected_path, "--rejected");
  callable.write(header);
  rejected.write(header);
  const unsigned workers = std::max(1u, ctx.workers);
  Pipeline pipe(2 * workers + 2);
  std::thread read_thread([&] {
    try {
      reader(pipe);
    } catch (const CliError& e) {
      pipe.abort(make_error("scrub", e.what()), e.exit_code());
    } catch (const std::exception& e) {
      pipe.abort(make_error("scrub", e.what()), 70);
    }
    pipe.close_input();
  });
  std::vector<std::thread> deciders;
  for (unsigned w = 0; w < workers; ++w)
    deciders.emplace_back([&] {
      try {
        Decider d(ctx, fact_columns);
        while (Batch* b = pipe.take_work()) {
          d.process(*b);
          pipe.done(b);
        }
      } catch (const std::exception& e) {
        pipe.abort(make_error("scrub", std::string("deciding rows: ") + e.what()), 70);
      }
    });
  ScrubSummary sum;
  std::vector<uint64_t> slots(kReasonSlots, 0);
  try {
    while (Batch* b = pipe.next_done()) {
      callable.write(b->callable);
      rejected.write(b->rejected);
      sum.rows += b->size();
      sum.callable += b->verdicts[static_cast<size_t>(Verdict::kCallable)];
      sum.not_now += b->verdicts[static_cast<size_t>(Verdict::kNotNow)];
      sum.blocked += b->verdicts[static_cast<size_t>(Verdict::kBlocked)];
      sum.decision_cache_hits += b->cache_hits;
      sum.rows_with_history += b->histories.size();
      for (size_t s = 0; s < kReasonSlots; ++s) slots[s] += b->reason_counts[s];
      for (const auto& [r, n] : b->extra_reasons) sum.reasons[r] += n;
      pipe.give_back(b);
    }
  } catch (const CliError& e) {
    pipe.abort(make_error("scrub", e.what()), e.exit_code());
  }
  read_thread.join();
  for (auto& t : deciders) t.join();
  if (pipe.aborted()) throw CliError(pipe.error().message, pipe.exit_code());
  callable.commit();
  rejected.commit();
  for (size_t s = 0; s < kReasonSlots; ++s) {
    if (!slots[s]) continue;
    Reason r;
    r.code = static_cast<ReasonCode>(s / (kMaxRegistries + 1));
    size_t reg = s % (kMaxRegistries + 1);
    r.registry = reg == kMaxRegistries ? kNoRegistry : static_cast<RegistryId>(reg);
    sum.reasons[ctx.engine->reason_string(r)] += slots[s];
  }
  return sum;
}

std::string reencode(const std::vector<std::string_view>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(',');
    append_csv_field(out, fields[i]);
  }
  return out;
}

}  // namespace

ScrubSummary scrub_csv(const ScrubContext& ctx, const CsvInput& input, const ScrubOutputs& outs) {
  auto opened = leads::CsvReader::open(input.path, input.csv);
  if (!opened.ok()) throw CliError(opened.error().message, kExitInput);
  std::unique_ptr<leads::CsvReader> reader = std::move(*opened);
  leads::CsvRecord rec;
  auto first = reader->next(rec);
  if (!first.ok()) throw CliError(first.error().message, kExitInput);
  if (!*first) throw CliError(input.path + ": the file is empty (expected a header line)", kExitInput);
  std::vector<std::string> headers(rec.fields.begin(), rec.fields.end());
  auto mapping = leads::map_columns(headers, input.map, input.path);
  if (!mapping.ok()) throw CliError(mapping.error().message, kExitInput);
  const bool pass_raw = reader->delimiter() == ',';
  std::string header = "lead_id,phone,verdict,reasons,next_allowed_at," +
                       (pass_raw ? std::string(rec.raw) : reencode(rec.fields)) + "\n";

  constexpr int kNone = -1;
  int phone_col = static_cast<int>(*mapping->column_of(leads::Field::kPhone));
  int id_col = kNone, country_col = kNone;
  if (auto c = mapping->column_of(leads::Field::kCountry)) country_col = static_cast<int>(*c);
  std::array<int, kFactCount> fact_col;
  fact_col.fill(kNone);
  std::array<std::string, kFactCount> fact_columns;
  const std::pair<Fact, leads::Field> mapped[] = {
      {Fact::kConsentAt, leads::Field::kConsentAt},
      {Fact::kConsentRevokedAt, leads::Field::kConsentRevokedAt},
      {Fact::kLastPurchaseAt, leads::Field::kLastPurchaseAt},
      {Fact::kLastInquiryAt, leads::Field::kLastInquiryAt},
      {Fact::kContractActive, leads::Field::kContractActive},
      {Fact::kContractEndedAt, leads::Field::kContractEndedAt},
      {Fact::kRegion, leads::Field::kRegion},
      {Fact::kPostalCode, leads::Field::kPostalCode}};
  for (const auto& [fact, field] : mapped)
    if (auto c = mapping->column_of(field)) fact_col[static_cast<size_t>(fact)] = static_cast<int>(*c);
  for (size_t i = 0; i < headers.size(); ++i) {
    std::string folded = leads::fold_header(headers[i]);
    if ((folded == "leadid" || folded == "id") && id_col == kNone) id_col = static_cast<int>(i);
    if (folded == "attempts24h" && fact_col[static_cast<size_t>(Fact::kAttempts24h)] == kNone)
      fact_col[static_cast<size_t>(Fact::kAttempts24h)] = static_cast<int>(i);
    if (folded == "lastabandonedat" && fact_col[static_cast<size_t>(Fact::kLastAbandonedAt)] == kNone)
      fact_col[static_cast<size_t>(Fact::kLastAbandonedAt)] = static_cast<int>(i);
  }
  for (size_t f = 0; f < kFactCount; ++f)
    fact_columns[f] = fact_col[f] == kNone ? std::string(fact_name(static_cast<Fact>(f)))
                                           : headers[static_cast<size_t>(fact_col[f])];

  std::vector<std::pair<size_t, int>> fact_cols;  // the fact columns present: (Fact, column)
  for (size_t f = 0; f < kFactCount; ++f)
    if (fact_col[f] != kNone) fact_cols.emplace_back(f, fact_col[f]);

  auto read = [&](Pipeline& pipe) {
    bool end = false;
    while (!end) {
      Batch* b = pipe.acquire();
      if (!b) return;
      while (b->inputs.size() < ctx.batch_rows && b->arena.size() < kMaxArenaBytes) {
        auto more = reader->next(rec);
        if (!more.ok()) {
          pipe.give_back(b);
          throw CliError(more.error().message + " (no output was written)", kExitInput);
        }
        if (!*more) {
          end = true;
          break;
        }
        // Built in place: a row assembled on the stack and copied in
        // stalled on store forwarding (profile of bench/scrub.sh).
        InputRow& r = b->inputs.emplace_back();
        r.line = rec.line;
        const auto& fl = rec.fields;
        auto field = [&](int col) -> std::string_view {
          return col >= 0 && static_cast<size_t>(col) < fl.size() ? fl[static_cast<size_t>(col)]
                                                                  : std::string_view();
        };
        r.pass = pass_raw ? b->put(rec.raw) : b->put(reencode(fl));
        // A field that lies inside the record's raw text (unquoted, not
        // transcoded) is referenced in the copy just made, not copied again.
        const char* raw_begin = rec.raw.data();
        const char* raw_end = raw_begin + rec.raw.size();
        const uint32_t raw_off = r.pass.off;
        auto span_of = [&](std::string_view v) -> Span {
          if (pass_raw && v.data() >= raw_begin && v.data() + v.size() <= raw_end)
            return Span{raw_off + static_cast<uint32_t>(v.data() - raw_begin), static_cast<uint32_t>(v.size())};
          return b->put(v);
        };
        r.phone = span_of(field(phone_col));
        if (id_col != kNone) r.id = span_of(trim(field(id_col)));
        if (country_col != kNone) r.country = span_of(field(country_col));
        for (const auto& [f, col] : fact_cols) {
          std::string_view v = trim(field(col));
          if (v.empty()) continue;
          if (r.fact_mask == 0) r.first_fact = static_cast<uint32_t>(b->facts.size());
          b->facts.push_back({static_cast<Fact>(f), span_of(v)});
          r.fact_mask = static_cast<uint16_t>(r.fact_mask | (1u << f));
        }
      }
      if (b->size()) {
        pipe.submit(b);
      } else {
        pipe.give_back(b);
      }
    }
  };
  return run_pipeline(ctx, outs, header, fact_columns, read);
}

namespace {

// The campaign's leads whose calls before `at` can change a decision, in
// lead order, with their histories packed (a CallHistory per lead would
// cost ~150 bytes each).
class CampaignCalls {
 public:
  // Streams the campaign's attempts of the history window before `at`.
  static CampaignCalls read(const CallHistorySource& source, Instant at) {
    CampaignCalls out;
    if (!source.campaigns) return out;
    int64_t lead = 0;
    bool open = false;
    campaign::CallRecord record;
    CallHistory h;
    auto flush = [&] {
      if (!open) return;
      campaign::fill_history(record, at, h);
      if (campaign::has_history(h)) {
        out.leads_.push_back({lead, static_cast<uint32_t>(out.times_.size()),
                              static_cast<uint16_t>(h.attempt_times.size()), h.attempts_24h, h.last_abandoned_at});
        out.times_.insert(out.times_.end(), h.attempt_times.begin(), h.attempt_times.end());
      }
      record.attempts.clear();
      record.last_abandoned_at.reset();
    };
    auto s = source.campaigns->scan_recent_attempts(
        source.campaign_id, at - campaign::kHistoryWindow, [&](const store::RecentAttempt& a) {
          if (!open || a.lead_id != lead) {
            flush();
            lead = a.lead_id;
            open = true;
          }
          // A call at `at` or later is not history for a call at `at`.
          if (a.started_at < at) campaign::add_attempt(record, a.started_at, a.abandoned, at);
          return true;
        });
    if (!s.ok()) throw CliError(s.error().message + " (no output was written)", kExitStore);
    flush();
    return out;
  }

  // The history of `lead_id` into `h`; leads must be asked in increasing
  // id order (the lead scan's).
  bool next(int64_t lead_id, CallHistory& h) {
    while (cursor_ < leads_.size() && leads_[cursor_].lead_id < lead_id) ++cursor_;
    if (cursor_ == leads_.size() || leads_[cursor_].lead_id != lead_id) return false;
    const Entry& e = leads_[cursor_];
    h = CallHistory{};
    for (uint32_t k = 0; k < e.count; ++k) h.attempt_times.push_back(times_[e.first + k]);
    h.attempts_24h = e.overflow;
    h.last_abandoned_at = e.last_abandoned_at;
    return true;
  }

 private:
  struct Entry {
    int64_t lead_id = 0;
    uint32_t first = 0;
    uint16_t count = 0;
    uint16_t overflow = 0;
    std::optional<Instant> last_abandoned_at;
  };
  std::vector<Entry> leads_;
  std::vector<Instant> times_;
  size_t cursor_ = 0;
};

}  // namespace

ScrubSummary scrub_list(const ScrubContext& ctx, store::Store& store, const store::LeadFilter& filter,
                        const ScrubOutputs& outs, const CallHistorySource& history) {
  std::array<std::string, kFactCount> fact_columns;
  for (size_t f = 0; f < kFactCount; ++f) fact_columns[f] = std::string(fact_name(static_cast<Fact>(f)));
  auto read = [&](Pipeline& pipe) {
    CampaignCalls calls = CampaignCalls::read(history, ctx.at);
    CallHistory h;
    Batch* b = pipe.acquire();
    if (!b) return;
    bool stopped = false;
    auto s = store.scan_leads(filter, [&](const store::Lead& l) {
      LeadRow r;
      r.id = l.id;
      r.phone = l.phone;
      r.country = country_code(l.country);
      r.type = phone::number_type_from_string(l.number_type);
      r.facts = l.facts;
      r.region = address_region(l.region);
      std::copy_n(l.postal_code.data(), std::min(l.postal_code.size(), r.postal.size() - 1), r.postal.data());
      if (calls.next(l.id, h)) {
        r.history = static_cast<int32_t>(b->histories.size());
        b->histories.push_back(h);
      }
      b->leads.push_back(r);
      if (b->leads.size() >= ctx.batch_rows) {
        pipe.submit(b);
        b = pipe.acquire();
        if (!b) {
          stopped = true;
          return false;
        }
      }
      return true;
    });
    if (!s.ok()) {
      if (b) pipe.give_back(b);
      throw CliError(s.error().message + " (no output was written)", kExitStore);
    }
    if (stopped || !b) return;
    if (b->size()) {
      pipe.submit(b);
    } else {
      pipe.give_back(b);
    }
  };
  return run_pipeline(ctx, outs, "lead_id,phone,verdict,reasons,next_allowed_at\n", fact_columns, read);
}

}  // namespace telemark::cli
