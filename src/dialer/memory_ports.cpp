#include "dialer/memory_ports.h"

#include <algorithm>
#include <string>

namespace telemark::dialer {

std::optional<DialLead> SyntheticLeadSource::next(Instant) {
  if (!first_.empty()) {
    DialLead lead = first_.front();
    first_.erase(first_.begin());
    return lead;
  }
  if (count_ != 0 && next_id_ > count_) return std::nullopt;
  DialLead lead;
  lead.lead_id = static_cast<int64_t>(next_id_);
  lead.phone = first_phone_ + next_id_ - 1;
  ++next_id_;
  return lead;
}

bool SyntheticLeadSource::hold(const DialLead& lead, Instant until) {
  if (std::find(lost_.begin(), lost_.end(), lead.lead_id) != lost_.end()) return false;
  holds_.emplace_back(lead.lead_id, until);
  return true;
}

void SyntheticLeadSource::give_back(const DialLead& lead, Instant retry_at) {
  given_back_.push_back(GivenBack{lead, retry_at});
}

GateDecision AllowAllGate::check(const DialLead&, Instant) {
  GateDecision d;
  d.allow = true;
  return d;
}

GateDecision DenyListGate::check(const DialLead& lead, Instant) {
  ++checks_;
  GateDecision d;
  auto it = denied_.find(lead.phone);
  d.allow = it == denied_.end();
  if (!d.allow) d.reasons.push_back(it->second);
  return d;
}

ShareDenyGate::ShareDenyGate(std::vector<std::pair<std::string, double>> shares, uint64_t salt)
    : shares_(std::move(shares)), salt_(salt) {}

GateDecision ShareDenyGate::check(const DialLead& lead, Instant) {
  GateDecision d;
  d.allow = true;
  uint64_t h = static_cast<uint64_t>(lead.lead_id) ^ salt_;
  for (const auto& [reason, share] : shares_) {
    // splitmix64 finalizer: a different independent draw per reason.
    h += 0x9e3779b97f4a7c15ull;
    uint64_t z = h;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    if (static_cast<double>(z >> 11) * 0x1.0p-53 < share) {
      d.allow = false;
      d.reasons.push_back(reason);
    }
  }
  return d;
}

Status MemoryAttemptSink::record_attempt(const AttemptReceipt& receipt) {
  ++writes_;
  if (fail_from_ != 0 && writes_ >= fail_from_)
    return make_error("store_unavailable", "attempt receipt " + std::to_string(receipt.attempt_id) +
                                               ": the (fake) store refused the write");
  ++receipt_count_;
  if (keep_) {
    receipts_.push_back(receipt);
    ++receipt_phones_[receipt.lead.phone];
  }
  return Status::Ok();
}

void MemoryAttemptSink::record_result(const AttemptResult& result) {
  ++result_count_;
  ++outcomes_[result.outcome];
  if (keep_) results_.push_back(result);
}

void MemoryAttemptSink::record_blocked(const BlockedDial& blocked) {
  if (keep_) blocked_.push_back(blocked);
}

void MemoryAttemptSink::record_skipped(const DialLead&, AgentId, Instant) { ++skipped_count_; }

bool MemoryAttemptSink::has_receipt_for_phone(uint64_t phone) const {
  return receipt_phones_.count(phone) != 0;
}

}  // namespace telemark::dialer
