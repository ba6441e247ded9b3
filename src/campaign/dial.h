// The dialer's ports (dialer/ports.h) for a real campaign, on the store and
// the compliance engine:
//
//   StoreHopper      LeadSource: leases batches of callable leads from the
//                    CampaignStore (hopper order, see campaign_store.h) and
//                    hands them out one by one, a callback with the agent it
//                    belongs to (CampaignLead::callback_agent); extends the
//                    lease of a personal callback the dialer holds for its
//                    busy agent, and releases one it gives back to the time
//                    the dialer says (callback_agent kept).
//   ComplianceGate   DialGate: Engine::decide at dial time with the lead's
//                    number, lead facts (consent, purchases...), the
//                    campaign, the tenant's internal do-not-call list, the
//                    registry facts and the lead's call history; keeps the
//                    decision's full receipt (reasons, rule packs, registry
//                    snapshots, local times) for the sink to store.
//   StoreAttemptSink AttemptSink: stores each dial's decision receipt
//                    (Store::record_receipts, DialCampaign::dial_receipts)
//                    and then its attempt, linked to the receipt, before the
//                    call (begin_attempt, which also extends the lead's
//                    lease over the call), and its outcome after; runs the
//                    lead life cycle (lifecycle.h) on its outcome and writes
//                    the lead's next state; a do-not-call disposition is put
//                    on the tenant's internal list (Store::add_dnc, synced)
//                    before the lead is concluded and the agent released. A
//                    lead the gate refuses gets its receipt (buffered) and
//                    is released to its next lawful time, or settled by
//                    blocked_step() when no time will do.
//
// All three share a LeadBook: the leads this dialer node holds leases on,
// with what the gate and the sink need about them, and their call history
// (read from the store when leased: every node's attempts of the last four
// days; then kept up to date by the sink).
//
// Registries: the caller says how registry facts are known. kAssumeFresh
// (simulation only) treats every registry a rule needs as loaded today
// with no members; kProvided asks DialCampaign::registry_facts (e.g. the
// loaded registry snapshots); kNone treats them as not loaded (the engine
// then blocks with registry_missing where a registry is required).
//
// Ownership: everything borrowed (store, campaign store, engine, resolver,
// book) must outlive these objects. Thread-safety: none; the dialer's
// thread only, like the dialer.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "campaign/history.h"
#include "campaign/lifecycle.h"
#include "compliance/engine.h"
#include "compliance/resolve.h"
#include "dialer/ports.h"
#include "store/campaign_store.h"
#include "store/store.h"

namespace telemark::leads {
class Segment;
}

namespace telemark::campaign {

enum class RegistryFacts : uint8_t { kNone, kAssumeFresh, kProvided };

struct BookEntry {
  store::CampaignLead row;
  compliance::NumberFacts number;
  compliance::LeadFacts facts;
  // The gate's last decision for this lead, in full, for the store.
  store::DecisionReceipt receipt;
};

struct DialCampaign {
  int64_t id = 0;
  std::string tenant;
  std::string name;
  compliance::Campaign rules;  // compile_campaign()
  LifecyclePolicy policy;
  RegistryFacts registries = RegistryFacts::kNone;
  // kProvided: fills intent.registries for intent.number (present, as_of,
  // member).
  std::function<void(compliance::CallIntent&)> registry_facts;
  // kProvided: the snapshots consulted for a number of this country
  // ("name@snapshot id"), named in the decision receipts.
  std::function<std::vector<std::string>(compliance::CountryCode)> registry_snapshots;
  // How the receipt of each dial is written before the call: synced for
  // real calls; buffered where no real call is placed (simulation).
  // Refusals (no call) are always buffered.
  store::Durability dial_receipts = store::Durability::kSynced;
  // The definition's `where`: only the list's leads it matches are
  // enrolled (none: every lead of the list).
  std::shared_ptr<const leads::Segment> where;
};

class LeadBook {
 public:
  BookEntry* find(int64_t lead_id);
  BookEntry& put(BookEntry entry);
  void erase(int64_t lead_id) { entries_.erase(lead_id); }
  CallRecord& calls(int64_t lead_id) { return calls_[lead_id]; }
  size_t size() const { return entries_.size(); }
  template <class F>
  void for_each(F f) {
    for (auto& [id, e] : entries_) f(e);
  }

 private:
  std::unordered_map<int64_t, BookEntry> entries_;
  std::unordered_map<int64_t, CallRecord> calls_;
};

class StoreHopper final : public dialer::LeadSource {
 public:
  StoreHopper(store::Store& store, store::CampaignStore& campaigns, compliance::NumberResolver& resolver,
              LeadBook& book, const DialCampaign& campaign, std::string owner, int batch = 100,
              Duration lease_for = std::chrono::minutes(20));
  std::optional<dialer::DialLead> next(Instant now) override;
  bool hold(const dialer::DialLead& lead, Instant until) override;
  void give_back(const dialer::DialLead& lead, Instant retry_at) override;
  // Returns every lead leased but not dialed (end of a run).
  Status release_unused();
  const Status& last_error() const { return error_; }

 private:
  store::Store& store_;
  store::CampaignStore& campaigns_;
  compliance::NumberResolver& resolver_;
  LeadBook& book_;
  const DialCampaign& campaign_;
  std::string owner_;
  int batch_;
  Duration lease_for_;
  std::deque<int64_t> ready_;
  std::optional<Instant> empty_until_;  // nothing was due: do not ask again before
  Status error_;
  // Personal callbacks this hopper gave back: when each was first due and
  // the time it was released to, so that the dialer's fallback counts from
  // the promise, not from the last give-back (kept in memory: after a
  // restart, or on another node, it counts from the release).
  struct GivenBack {
    Instant due;
    Instant released_to;
  };
  std::unordered_map<int64_t, GivenBack> given_back_;
};

class ComplianceGate final : public dialer::DialGate {
 public:
  ComplianceGate(const compliance::Engine& engine, LeadBook& book, const DialCampaign& campaign,
                 std::unordered_set<uint64_t> internal_dnc);
  dialer::GateDecision check(const dialer::DialLead& lead, Instant now) override;
  // The engine's decision for a call to a booked lead at any instant.
  DecideAt decide_for(int64_t lead_id);
  void add_internal_dnc(uint64_t phone) { internal_dnc_.insert(phone); }

 private:
  compliance::CallIntent intent_for(const BookEntry& e, Instant at) const;

  const compliance::Engine& engine_;
  LeadBook& book_;
  const DialCampaign& campaign_;
  std::unordered_set<uint64_t> internal_dnc_;
};

// The agent's disposition for a connected call (in simulation: drawn).
using DispositionSource = std::function<std::string(const dialer::AttemptResult&)>;

struct SinkCounts {
  uint64_t attempts = 0;
  uint64_t contacts = 0;   // dispositions flagged contact
  uint64_t successes = 0;  // dispositions flagged success
  uint64_t dnc_added = 0;
  uint64_t receipts = 0;  // decision receipts stored (dials and refusals)
  uint64_t store_errors = 0;
  std::string first_error;
};

class StoreAttemptSink final : public dialer::AttemptSink {
 public:
  StoreAttemptSink(store::Store& store, store::CampaignStore& campaigns, LeadBook& book, ComplianceGate& gate,
                   const DialCampaign& campaign, std::string owner, DispositionSource dispositions);

  Status record_attempt(const dialer::AttemptReceipt& receipt) override;
  void record_result(const dialer::AttemptResult& result) override;
  void record_blocked(const dialer::BlockedDial& blocked) override;
  void record_skipped(const dialer::DialLead& lead, dialer::AgentId agent, Instant at) override;

  const SinkCounts& counts() const { return counts_; }

 private:
  void fail(const Error& e);

  store::Store& store_;
  store::CampaignStore& campaigns_;
  LeadBook& book_;
  ComplianceGate& gate_;
  const DialCampaign& campaign_;
  std::string owner_;
  DispositionSource dispositions_;
  SinkCounts counts_;
  std::unordered_map<uint64_t, int64_t> stored_;  // the dialer's attempt id -> call_attempts row
};

}  // namespace telemark::campaign
