// In-memory implementations of the dialer's seams (ports.h), for tests, the
// benchmark and the simulator, until the hopper, the compliance engine and
// the store implement the real ones.
//
// Thread-safety: none, like the dialer that calls them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "dialer/ports.h"

namespace telemark::dialer {

// Synthetic leads 1..count (count 0: unlimited) with distinct numbers
// first_phone, first_phone + 1, ...; leads added with add_first() (e.g.
// personal callbacks, which the hopper also hands out first) come before
// them, once each. Keeps what the dialer holds and gives back.
class SyntheticLeadSource final : public LeadSource {
 public:
  struct GivenBack {
    DialLead lead;
    Instant retry_at{};
  };
  explicit SyntheticLeadSource(uint64_t first_phone = 12025550000ull, uint64_t count = 0)
      : first_phone_(first_phone), count_(count) {}
  std::optional<DialLead> next(Instant now) override;
  bool hold(const DialLead& lead, Instant until) override;
  void give_back(const DialLead& lead, Instant retry_at) override;
  uint64_t handed_out() const { return next_id_ - 1; }

  void add_first(const DialLead& lead) { first_.push_back(lead); }
  // hold() answers false for these leads (another node took them over).
  void lose(int64_t lead_id) { lost_.push_back(lead_id); }
  const std::vector<std::pair<int64_t, Instant>>& holds() const { return holds_; }
  const std::vector<GivenBack>& given_back() const { return given_back_; }

 private:
  uint64_t first_phone_;
  uint64_t count_;
  uint64_t next_id_ = 1;
  std::vector<DialLead> first_;
  std::vector<int64_t> lost_;
  std::vector<std::pair<int64_t, Instant>> holds_;
  std::vector<GivenBack> given_back_;
};

class AllowAllGate final : public DialGate {
 public:
  GateDecision check(const DialLead& lead, Instant now) override;
};

// Denies listed numbers with the given reason; allows the rest.
class DenyListGate final : public DialGate {
 public:
  void deny(uint64_t phone, std::string reason) { denied_[phone] = std::move(reason); }
  GateDecision check(const DialLead& lead, Instant now) override;
  uint64_t checks() const { return checks_; }

 private:
  std::unordered_map<uint64_t, std::string> denied_;
  uint64_t checks_ = 0;
};

// Denies a fixed share of leads per reason, chosen by a hash of the lead id
// and a salt, so a run is reproducible: the simulator's stand-in for
// registries and calling-hour rules.
class ShareDenyGate final : public DialGate {
 public:
  ShareDenyGate(std::vector<std::pair<std::string, double>> shares, uint64_t salt);
  GateDecision check(const DialLead& lead, Instant now) override;

 private:
  std::vector<std::pair<std::string, double>> shares_;
  uint64_t salt_;
};

// Keeps what it is told; counts; can be told to fail receipt writes (fault
// injection: fail the Nth write, or every write from the Nth on).
class MemoryAttemptSink final : public AttemptSink {
 public:
  explicit MemoryAttemptSink(bool keep_records = true) : keep_(keep_records) {}

  Status record_attempt(const AttemptReceipt& receipt) override;
  void record_result(const AttemptResult& result) override;
  void record_blocked(const BlockedDial& blocked) override;
  void record_skipped(const DialLead& lead, AgentId agent, Instant at) override;

  void fail_receipt_writes_from(uint64_t nth) { fail_from_ = nth; }

  bool has_receipt_for_phone(uint64_t phone) const;
  const std::vector<AttemptReceipt>& receipts() const { return receipts_; }
  const std::vector<AttemptResult>& results() const { return results_; }
  const std::vector<BlockedDial>& blocked() const { return blocked_; }
  uint64_t receipt_count() const { return receipt_count_; }
  uint64_t result_count() const { return result_count_; }
  uint64_t skipped_count() const { return skipped_count_; }
  const std::map<Outcome, uint64_t>& outcomes() const { return outcomes_; }

 private:
  bool keep_;
  uint64_t fail_from_ = 0;
  uint64_t writes_ = 0;
  uint64_t receipt_count_ = 0;
  uint64_t result_count_ = 0;
  uint64_t skipped_count_ = 0;
  std::vector<AttemptReceipt> receipts_;
  std::vector<AttemptResult> results_;
  std::vector<BlockedDial> blocked_;
  std::unordered_map<uint64_t, uint32_t> receipt_phones_;
  std::map<Outcome, uint64_t> outcomes_;
};

}  // namespace telemark::dialer
