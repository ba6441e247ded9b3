#include "campaign/dial.h"

#include <array>

#include "base/time.h"
#include "phone/phone.h"

namespace telemark::campaign {

namespace {
constexpr Duration kEmptyBackoff = std::chrono::seconds(30);
// A dialed lead's lease covers its whole call, however long the talk.
constexpr Duration kCallLease = std::chrono::hours(2);
// A held personal callback's lease outlasts the dialer's hold by this much,
// so it cannot lapse between the end of the hold and the dial's receipt.
constexpr Duration kHoldMargin = std::chrono::minutes(1);
}  // namespace

BookEntry* LeadBook::find(int64_t lead_id) {
  auto it = entries_.find(lead_id);
  return it == entries_.end() ? nullptr : &it->second;
}

BookEntry& LeadBook::put(BookEntry entry) {
  int64_t id = entry.row.lead_id;
  return entries_[id] = std::move(entry);
}

// ---- StoreHopper -----------------------------------------------------------

StoreHopper::StoreHopper(store::Store& store, store::CampaignStore& campaigns, compliance::NumberResolver& resolver,
                         LeadBook& book, const DialCampaign& campaign, std::string owner, int batch,
                         Duration lease_for)
    : store_(store),
      campaigns_(campaigns),
      resolver_(resolver),
      book_(book),
      campaign_(campaign),
      owner_(std::move(owner)),
      batch_(batch),
      lease_for_(lease_for) {}

std::optional<dialer::DialLead> StoreHopper::next(Instant now) {
  // Small batches: a lead should not wait long in the queue with its lease running.
  while (true) {
    if (ready_.empty()) {
      if (empty_until_ && now < *empty_until_) return std::nullopt;
      auto leased = campaigns_.lease(campaign_.id, owner_, batch_, now, lease_for_);
      if (!leased) {
        error_ = leased.error();
        empty_until_ = now + kEmptyBackoff;
        return std::nullopt;
      }
      if (leased->empty()) {
        empty_until_ = now + kEmptyBackoff;
        return std::nullopt;
      }
      empty_until_.reset();
      // The leads' call history as the store has it (every node's attempts,
      // and ours before a restart) for the engine's history rules.
      auto recent = campaigns_.recent_attempts_of_leased(campaign_.id, owner_, now - kHistoryWindow);
      if (!recent) {
        error_ = recent.error();
        recent = std::vector<store::RecentAttempt>{};
      }
      std::unordered_map<int64_t, CallRecord> history;
      for (const auto& a : *recent) add_attempt(history[a.lead_id], a.started_at, a.abandoned, now);
      for (store::CampaignLead& row : *leased) {
        if (book_.find(row.lead_id)) continue;  // still in a call of ours
        BookEntry e;
        auto lead = store_.get_lead(row.lead_id);
        if (!lead || !lead->has_value()) {
          if (!lead) error_ = lead.error();
          e.number = compliance::NumberResolver::invalid(row.phone);
        } else {
          const store::Lead& l = **lead;
          e.number = resolver_.resolve(l.phone, l.country, phone::number_type_from_string(l.number_type));
          e.facts.address_region = compliance::region_code(l.region);
          e.facts.consent_at = l.facts.consent_at;
          e.facts.consent_revoked_at = l.facts.consent_revoked_at;
          e.facts.last_purchase_at = l.facts.last_purchase_at;
          e.facts.last_inquiry_at = l.facts.last_inquiry_at;
          e.facts.contract_active = l.facts.contract_active;
          e.facts.contract_ended_at = l.facts.contract_ended_at;
        }
        auto h = history.find(row.lead_id);
        book_.calls(row.lead_id) = h == history.end() ? CallRecord{} : std::move(h->second);
        e.row = std::move(row);
        ready_.push_back(e.row.lead_id);
        book_.put(std::move(e));
      }
    }
    int64_t id = ready_.front();
    ready_.pop_front();
    BookEntry* e = book_.find(id);
    // A lease that ran out while queued may be another node's lead by now.
    if (!e || !e->row.lease_expires_at || *e->row.lease_expires_at <= now) {
      book_.erase(id);
      continue;
    }
    dialer::DialLead lead{id, e->row.phone, static_cast<uint64_t>(id)};
    lead.callback_agent = e->row.callback_agent;
    lead.callback_due = e->row.next_call_at.value_or(now);
    if (auto g = given_back_.find(id); g != given_back_.end()) {
      // Released by us and untouched since: still the same promise.
      if (lead.callback_agent != 0 && e->row.next_call_at == g->second.released_to)
        lead.callback_due = g->second.due;
      given_back_.erase(g);
    }
    return lead;
  }
}

bool StoreHopper::hold(const dialer::DialLead& lead, Instant until) {
  BookEntry* e = book_.find(lead.lead_id);
  if (!e) return false;
  Instant lease_until = until + kHoldMargin;
  if (e->row.lease_expires_at && *e->row.lease_expires_at >= lease_until) return true;
  if (auto s = campaigns_.extend_lease(campaign_.id, lead.lead_id, owner_, lease_until); !s) {
    if (s.error().code != "lease_lost") error_ = s;
    book_.erase(lead.lead_id);  // another node's now (or the store is down): not ours to dial
    return false;
  }
  e->row.lease_expires_at = lease_until;
  return true;
}

void StoreHopper::give_back(const dialer::DialLead& lead, Instant retry_at) {
  if (!book_.find(lead.lead_id)) return;
  if (auto s = campaigns_.release(campaign_.id, lead.lead_id, owner_, retry_at); !s) error_ = s;
  // The store keeps whole seconds.
  given_back_[lead.lead_id] = GivenBack{lead.callback_due, std::chrono::floor<std::chrono::seconds>(retry_at)};
  book_.erase(lead.lead_id);
}

Status StoreHopper::release_unused() {
  Status result;
  for (int64_t id : ready_) {
    if (auto s = campaigns_.release(campaign_.id, id, owner_, std::nullopt); !s && result) result = s;
    book_.erase(id);
  }
  ready_.clear();
  return result;
}

// ---- ComplianceGate --------------------------------------------------------

ComplianceGate::ComplianceGate(const compliance::Engine& engine, LeadBook& book, const DialCampaign& campaign,
                               std::unordered_set<uint64_t> internal_dnc)
    : engine_(engine), book_(book), campaign_(campaign), internal_dnc_(std::move(internal_dnc)) {}

compliance::CallIntent ComplianceGate::intent_for(const BookEntry& e, Instant at) const {
  compliance::CallIntent intent;
  intent.number = e.number;
  intent.lead = e.facts;
  intent.campaign = campaign_.rules;
  intent.internal_dnc = internal_dnc_.count(e.row.phone) > 0;
  if (campaign_.registries == RegistryFacts::kAssumeFresh) {
    uint64_t needed = engine_.registries_needed(campaign_.rules, e.number.country);
    for (size_t r = 0; r < compliance::kMaxRegistries; ++r)
      if (needed & (uint64_t{1} << r)) {
        intent.registries[r].present = true;
        intent.registries[r].as_of = std::chrono::floor<std::chrono::days>(at);
      }
  } else if (campaign_.registries == RegistryFacts::kProvided && campaign_.registry_facts && e.number.valid) {
    campaign_.registry_facts(intent);
  }
  CallRecord& calls = book_.calls(e.row.lead_id);
  forget_older_than_a_day(calls, at);
  fill_history(calls, at, intent.history);
  intent.at = at;
  return intent;
}

dialer::GateDecision ComplianceGate::check(const dialer::DialLead& lead, Instant now) {
  dialer::GateDecision out;
  BookEntry* e = book_.find(lead.lead_id);
  if (!e) {
    out.reasons.push_back("not_leased");
    return out;
  }
  compliance::Decision d = engine_.decide(intent_for(*e, now));
  compliance::Engine::Explanation ex = engine_.explain(d);
  out.allow = d.verdict == compliance::Verdict::kCallable;
  out.reasons = ex.reasons;
  out.earliest_retry = d.next_allowed_at;
  out.receipt = ex.verdict;
  for (const auto& reason : out.reasons) out.receipt += " " + reason;

  store::DecisionReceipt& r = e->receipt;
  r = store::DecisionReceipt{};
  r.tenant = campaign_.tenant;
  r.campaign = campaign_.name;
  r.lead_id = lead.lead_id;
  r.phone = e->number.valid ? e->number.e164 : 0;
  r.decided_at = now;
  r.verdict = ex.verdict;
  r.reasons = std::move(ex.reasons);
  r.next_allowed_at = d.next_allowed_at;
  r.rule_packs = std::move(ex.packs);
  if (campaign_.registries == RegistryFacts::kProvided && campaign_.registry_snapshots && e->number.valid)
    r.registry_snapshots = campaign_.registry_snapshots(e->number.country);
  r.local_times = std::move(ex.local_times);
  return out;
}

DecideAt ComplianceGate::decide_for(int64_t lead_id) {
  return [this, lead_id](Instant at) {
    const BookEntry* e = book_.find(lead_id);
    if (!e) return compliance::Decision{};  // blocked, no reasons: fail closed
    return engine_.decide(intent_for(*e, at));
  };
}

// ---- StoreAttemptSink ------------------------------------------------------

StoreAttemptSink::StoreAttemptSink(store::Store& store, store::CampaignStore& campaigns, LeadBook& book,
                                   ComplianceGate& gate, const DialCampaign& campaign, std::string owner,
                                   DispositionSource dispositions)
    : store_(store),
      campaigns_(campaigns),
      book_(book),
      gate_(gate),
      campaign_(campaign),
      owner_(std::move(owner)),
      dispositions_(std::move(dispositions)) {}

void StoreAttemptSink::fail(const Error& e) {
  if (counts_.store_errors++ == 0) counts_.first_error = e.message;
}

Status StoreAttemptSink::record_attempt(const dialer::AttemptReceipt& receipt) {
  BookEntry* e = book_.find(receipt.lead.lead_id);
  if (!e)
    return make_error("not_leased", "lead " + std::to_string(receipt.lead.lead_id) + " is not leased by " + owner_);
  // The decision receipt first, then the attempt linked to it, with the
  // lease extended over the call, or the call is not placed (a lead
  // another node took over is not dialed; its receipt stays, a decision
  // that was made).
  store::AttemptRow row;
  row.campaign_id = campaign_.id;
  row.lead_id = receipt.lead.lead_id;
  row.started_at = receipt.at;
  row.receipt = receipt.gate_receipt;
  if (e->receipt.lead_id != receipt.lead.lead_id || e->receipt.verdict != "callable")
    return make_error("no_receipt", "lead " + std::to_string(receipt.lead.lead_id) +
                                        " has no callable decision from the gate: not dialed");
  auto ids = store_.record_receipts(std::span<const store::DecisionReceipt>(&e->receipt, 1), campaign_.dial_receipts);
  if (!ids) return ids.error();
  row.receipt_id = ids->front();
  ++counts_.receipts;
  auto id = campaigns_.begin_attempt(row, owner_, receipt.at + kCallLease);
  if (!id) return id.error();
  stored_[receipt.attempt_id] = *id;
  ++counts_.attempts;
  book_.calls(receipt.lead.lead_id).attempts.push_back(receipt.at);
  return {};
}

void StoreAttemptSink::record_result(const dialer::AttemptResult& result) {
  const int64_t id = result.lead.lead_id;
  BookEntry* e = book_.find(id);
  if (!e) {
    fail(make_error("not_leased", "result for lead " + std::to_string(id) + " that is not leased"));
    return;
  }
  AttemptOutcome outcome;
  store::AttemptRow row;
  row.campaign_id = campaign_.id;
  row.lead_id = id;
  row.started_at = result.dialed_at;
  row.outcome = dialer::to_string(result.outcome);
  switch (result.outcome) {
    case dialer::Outcome::kConnected:
      outcome.disposition = dispositions_(result);
      // A callback the agent agrees to is theirs to make.
      outcome.callback_agent = result.agent;
      row.disposition = outcome.disposition;
      if (result.connected_at)
        row.talk_seconds = std::chrono::duration_cast<std::chrono::seconds>(result.ended_at - *result.connected_at)
                               .count();
      break;
    case dialer::Outcome::kAbandoned:
      outcome.network = NetworkOutcome::kAbandoned;
      row.abandoned = true;
      book_.calls(id).last_abandoned_at = result.answered_at.value_or(result.ended_at);
      break;
    case dialer::Outcome::kMachine: outcome.network = NetworkOutcome::kMachine; break;
    case dialer::Outcome::kBusy: outcome.network = NetworkOutcome::kBusy; break;
    case dialer::Outcome::kNoAnswer: outcome.network = NetworkOutcome::kNoAnswer; break;
    case dialer::Outcome::kFailed:
    case dialer::Outcome::kOriginateFailed: outcome.network = NetworkOutcome::kFailed; break;
  }
  // A personal callback nobody answered stays its agent's (lifecycle.h).
  if (outcome.network) outcome.callback_agent = e->row.callback_agent;
  LeadProgress progress{parse_lead_state(e->row.state).value_or(LeadState::kNew), e->row.attempts + 1};
  auto step = next_step(campaign_.policy, progress, outcome, result.ended_at, gate_.decide_for(id));
  if (auto it = stored_.find(result.attempt_id); it != stored_.end()) {
    if (auto f = campaigns_.finish_attempt(it->second, row); !f) fail(f.error());
    stored_.erase(it);
  } else if (auto a = campaigns_.record_attempt(row); !a) {
    fail(a.error());
  }
  if (!step) {
    fail(step.error());
    (void)campaigns_.release(campaign_.id, id, owner_, std::nullopt);
    book_.erase(id);
    return;
  }
  if (!outcome.disposition.empty()) {
    if (const Disposition* d = campaign_.policy.disposition(outcome.disposition)) {
      if (d->has(DispositionFlag::kContact)) ++counts_.contacts;
      if (d->has(DispositionFlag::kSuccess)) ++counts_.successes;
    }
  }
  if (step->add_to_internal_dnc) {
    // Durable (synced) before the lead is concluded and the agent freed.
    store::DncAdd add{e->row.phone, "asked on a call of campaign " + campaign_.name, "agent"};
    auto added = store_.add_dnc(campaign_.tenant, std::span<const store::DncAdd>(&add, 1));
    if (!added) fail(added.error());
    else ++counts_.dnc_added;
    gate_.add_internal_dnc(e->row.phone);
  }
  store::LeadUpdate update;
  update.state = std::string(to_string(step->state));
  update.attempts = progress.attempts;
  update.last_outcome = outcome.network ? std::string(to_string(*outcome.network)) : outcome.disposition;
  update.next_call_at = step->next_call_at;
  update.callback_agent = step->callback_agent;
  if (auto s = campaigns_.conclude(campaign_.id, id, update); !s) fail(s.error());
  book_.erase(id);
}

void StoreAttemptSink::record_blocked(const dialer::BlockedDial& blocked) {
  const int64_t id = blocked.lead.lead_id;
  BookEntry* e = book_.find(id);
  if (!e) return;
  // The refusal is evidence too (no call was placed: buffered).
  if (e->receipt.lead_id == id && e->receipt.verdict != "callable") {
    auto ids = store_.record_receipts(std::span<const store::DecisionReceipt>(&e->receipt, 1),
                                      store::Durability::kBuffered);
    if (!ids) fail(ids.error());
    else ++counts_.receipts;
  }
  if (blocked.earliest_retry) {
    if (auto s = campaigns_.release(campaign_.id, id, owner_, blocked.earliest_retry); !s) fail(s.error());
  } else {
    // Blocked outright: do_not_call, lost, or looked at again later
    // (blocked_step), with the reasons as the last outcome.
    std::vector<compliance::ReasonCode> codes;
    for (const auto& r : blocked.reasons)
      if (auto c = compliance::parse_reason_code(std::string_view(r).substr(0, r.find(':')))) codes.push_back(*c);
    LeadState state = parse_lead_state(e->row.state).value_or(LeadState::kNew);
    BlockedStep step = blocked_step(campaign_.policy, state, codes, blocked.at);
    store::LeadUpdate update;
    update.state = std::string(to_string(step.state));
    update.attempts = e->row.attempts;
    update.last_outcome = "blocked";
    for (const auto& r : blocked.reasons) update.last_outcome += ":" + r;
    update.next_call_at = step.recheck_at;
    update.callback_agent = e->row.callback_agent;
    if (auto s = campaigns_.conclude(campaign_.id, id, update); !s) fail(s.error());
  }
  book_.erase(id);
}

void StoreAttemptSink::record_skipped(const dialer::DialLead& lead, dialer::AgentId, Instant at) {
  if (!book_.find(lead.lead_id)) return;
  // A preview agent passed: offer the lead again later, not to the next agent.
  if (auto s = campaigns_.release(campaign_.id, lead.lead_id, owner_, at + std::chrono::hours(1)); !s) fail(s.error());
  book_.erase(lead.lead_id);
}

}  // namespace telemark::campaign
