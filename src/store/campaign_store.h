// CampaignStore: the dialing state of campaigns (schema version 3), beside
// the Store on its own connection to the same database: per campaign, the
// state of every enrolled lead (life-cycle state, attempts, last outcome,
// next call time, callback agent, score, and the hopper's lease), the
// attempts made, and the saved abandonment ledger.
//
// The hopper: lease() hands a dialer node up to N callable leads — state
// not terminal, next_call_at <= now, no live lease — due callbacks
// (follow_up) first, then by score (highest first, leads without a score
// last), then oldest lead first; each is leased to the node until `now +
// lease_for`. A lease that expires returns the lead to the hopper;
// conclude() and release() end it. Concurrent leasers never get the same
// lead: PostgreSQL picks rows FOR UPDATE SKIP LOCKED, SQLite serializes
// leasers with BEGIN IMMEDIATE. A lease reads only the head of the
// campaign, whatever its size (indexes in hopper order, migration 4;
// bench/hopper_bench.cpp: 1M leads, about 2 ms on SQLite, 15 ms on
// PostgreSQL, against 0.5 s and 1.7 s when every due lead is sorted).
//
// Times are UTC whole seconds (floored), as in the Store. Campaigns are the
// Store's campaign rows (Store::put_campaign); the schema is created by
// Store::migrate().
//
// Thread-safety: one object per thread (it owns one connection). Errors are
// values naming the database and the operation; codes: "store_error",
// "store_open_failed", "store_connect_failed", "invalid_argument",
// "not_enrolled", "lease_lost".
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace telemark::store {

struct CampaignLead {
  int64_t campaign_id = 0;
  int64_t lead_id = 0;
  uint64_t phone = 0;  // from the leads table
  std::string state = "new";  // campaign::to_string(LeadState)
  uint32_t attempts = 0;
  std::string last_outcome;  // "busy", "no_answer", a disposition code, ...
  std::optional<Instant> next_call_at;  // none: not to be called (terminal or parked)
  uint32_t callback_agent = 0;          // 0: anyone
  std::optional<double> score;          // leads.score when enrolled
  std::string lease_owner;              // "" when not leased
  std::optional<Instant> lease_expires_at;
};

// What a concluded attempt changes; ends the lease.
struct LeadUpdate {
  std::string state;
  uint32_t attempts = 0;
  std::string last_outcome;
  std::optional<Instant> next_call_at;
  uint32_t callback_agent = 0;
};

struct AttemptRow {
  int64_t id = 0;  // assigned by the store
  int64_t campaign_id = 0;
  int64_t lead_id = 0;
  Instant started_at{};
  std::string outcome;      // dialer::to_string(Outcome); "dialing" until finished
  std::string disposition;  // the agent's code; "" when none
  int64_t talk_seconds = 0;
  bool abandoned = false;
  std::string receipt;  // the compliance gate's verdict and reasons for the dial
  int64_t receipt_id = 0;  // its full decision receipt (Store::receipts); 0: none
};

struct RecentAttempt {
  int64_t lead_id = 0;
  Instant started_at{};
  bool abandoned = false;
};

class CampaignStore {
 public:
  // `location` as for Store::open (a SQLite path or a PostgreSQL URL).
  static Result<std::unique_ptr<CampaignStore>> open(const std::string& location);
  virtual ~CampaignStore() = default;

  // Enrolls every lead of the list not yet enrolled (state new, callable
  // from `now`, score copied from the lead). Returns how many were added.
  virtual Result<int64_t> enroll_list(int64_t campaign_id, int64_t list_id, Instant now) = 0;
  // The same for the given leads only (a campaign restricted by a segment),
  // in one transaction: those not yet enrolled are added; ids that are not
  // leads are skipped. Returns how many were added.
  virtual Result<int64_t> enroll_leads(int64_t campaign_id, std::span<const int64_t> lead_ids, Instant now) = 0;
  // Up to `max` callable leads, in hopper order, leased to `owner`.
  virtual Result<std::vector<CampaignLead>> lease(int64_t campaign_id, const std::string& owner, int max,
                                                  Instant now, Duration lease_for) = 0;
  // Extends `owner`'s lease to `until` (a dialer does so as it dials, so a
  // lead never returns to the hopper during its call). "lease_lost" when
  // the lead is no longer leased to `owner`.
  virtual Status extend_lease(int64_t campaign_id, int64_t lead_id, const std::string& owner, Instant until) = 0;
  // Ends `owner`'s lease without an attempt; the lead is next callable at
  // `next_call_at` (none: unchanged).
  virtual Status release(int64_t campaign_id, int64_t lead_id, const std::string& owner,
                         std::optional<Instant> next_call_at) = 0;
  // Writes the lead's new state and ends its lease. "not_enrolled" when
  // the lead is not in the campaign.
  virtual Status conclude(int64_t campaign_id, int64_t lead_id, const LeadUpdate& update) = 0;
  virtual Result<std::optional<CampaignLead>> get(int64_t campaign_id, int64_t lead_id) = 0;
  // Leads per state.
  virtual Result<std::map<std::string, int64_t>> state_counts(int64_t campaign_id) = 0;

  virtual Result<int64_t> record_attempt(const AttemptRow& attempt) = 0;
  // The receipt of a dial, before the call is placed, in one transaction
  // with extend_lease(`owner`, `lease_until`): stored with outcome
  // "dialing" (finish_attempt() fills in the outcome). "lease_lost" (and
  // nothing stored) when the lead is no longer leased to `owner`.
  virtual Result<int64_t> begin_attempt(const AttemptRow& attempt, const std::string& owner, Instant lease_until) = 0;
  // The outcome, disposition, talk time and abandoned flag of a begun attempt.
  virtual Status finish_attempt(int64_t attempt_id, const AttemptRow& result) = 0;
  // Attempts started at or after `since` (any node's, calls in progress
  // included) of the leads now leased to `owner`, oldest first: the call
  // history the compliance engine needs for the leads a node holds.
  virtual Result<std::vector<RecentAttempt>> recent_attempts_of_leased(int64_t campaign_id,
                                                                       const std::string& owner,
                                                                       Instant since) = 0;
  // Every attempt of the campaign started at or after `since` (calls in
  // progress included), ordered by lead id, then oldest first: the call
  // history of the whole campaign, streamed (the scrub reads it beside the
  // list's lead scan, which is in id order too). The sink returns false to
  // stop; it must not call this CampaignStore. Reads the campaign's
  // attempts index (campaign_id, lead_id, id) in order, so no sort.
  virtual Status scan_recent_attempts(int64_t campaign_id, Instant since,
                                      const std::function<bool(const RecentAttempt&)>& sink) = 0;
  // The campaign's attempts (of one lead, or all), oldest first.
  virtual Result<std::vector<AttemptRow>> attempts(int64_t campaign_id, std::optional<int64_t> lead_id) = 0;

  // The abandonment ledger (dialer::AbandonmentLedger::save()), one per
  // campaign, replaced on every save.
  virtual Status save_ledger(int64_t campaign_id, const std::string& state, Instant now) = 0;
  virtual Result<std::optional<std::string>> load_ledger(int64_t campaign_id) = 0;
};

}  // namespace telemark::store
