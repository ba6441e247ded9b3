// CampaignStore conformance, on SQLite and PostgreSQL: enrollment, the
// hopper's order and leases (expiry, release), concluding attempts,
// attempts and the abandonment ledger, and two processes leasing from the
// same campaign at once without ever getting the same lead.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "store/campaign_store.h"
#include "store_fixture.h"

namespace telemark::store::testing {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

class CampaignStoreTest : public StoreTest {
 protected:
  // A campaign over a list of `n` leads (phones 12125550000 + i), enrolled.
  void make_campaign(int n, const std::vector<std::optional<double>>& scores = {}) {
    int64_t list = make_list("acme", "spring");
    std::vector<Lead> leads;
    for (int i = 0; i < n; ++i) {
      leads.push_back(make_lead(12125550000ull + static_cast<uint64_t>(i), static_cast<uint64_t>(i + 2)));
      if (static_cast<size_t>(i) < scores.size()) leads.back().score = scores[static_cast<size_t>(i)];
    }
    import(list, leads);
    auto c = store_->put_campaign("acme", "spring-offer", "name = \"spring-offer\"\n");
    ASSERT_TRUE(c.ok()) << c.error().message;
    campaign_ = c->id;
    auto cs = CampaignStore::open(location_);
    ASSERT_TRUE(cs.ok()) << cs.error().message;
    cs_ = std::move(*cs);
    auto enrolled = cs_->enroll_list(campaign_, list, clock_.now());
    ASSERT_TRUE(enrolled.ok()) << enrolled.error().message;
    EXPECT_EQ(*enrolled, n);
    auto again = cs_->enroll_list(campaign_, list, clock_.now());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0);
    list_ = list;
  }
  std::vector<int64_t> lease_ids(const std::string& owner, int max, Instant now) {
    auto got = cs_->lease(campaign_, owner, max, now, minutes(5));
    EXPECT_TRUE(got.ok()) << got.error().message;
    std::vector<int64_t> ids;
    if (got)
      for (const auto& c : *got) ids.push_back(c.lead_id);
    return ids;
  }
  int64_t first_lead_id() {
    auto leads = scan(LeadFilter{});
    return leads.empty() ? 0 : leads.front().id;
  }

  int64_t campaign_ = 0, list_ = 0;
  std::unique_ptr<CampaignStore> cs_;
};

TEST_P(CampaignStoreTest, EnrollLeadsAddsOnlyTheGivenLeadsOnce) {
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (int i = 0; i < 5; ++i) leads.push_back(make_lead(12125550000ull + static_cast<uint64_t>(i), i + 2u));
  leads[1].score = 0.75;
  import(list, leads);
  auto c = store_->put_campaign("acme", "segment", "name = \"segment\"\n");
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto cs = CampaignStore::open(location_);
  ASSERT_TRUE(cs.ok()) << cs.error().message;
  auto stored = scan(LeadFilter{});
  ASSERT_EQ(stored.size(), 5u);
  std::vector<int64_t> pick = {stored[1].id, stored[3].id, stored[1].id, 999999};  // repeated, and not a lead
  auto added = (*cs)->enroll_leads(c->id, pick, clock_.now());
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ(*added, 2);
  auto again = (*cs)->enroll_leads(c->id, std::vector<int64_t>{stored[3].id, stored[4].id}, clock_.now());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, 1);
  auto none = (*cs)->enroll_leads(c->id, {}, clock_.now());
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(*none, 0);
  auto one = (*cs)->get(c->id, stored[1].id);
  ASSERT_TRUE(one.ok());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->state, "new");
  EXPECT_EQ((*one)->score, 0.75);
  EXPECT_EQ((*one)->next_call_at, Instant(std::chrono::floor<std::chrono::seconds>(clock_.now())));
  for (size_t i : {size_t{0}, size_t{2}}) {
    auto out = (*cs)->get(c->id, stored[i].id);
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out->has_value()) << "lead " << i << " was not given";
  }
  auto counts = (*cs)->state_counts(c->id);
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->at("new"), 3);
}

TEST_P(CampaignStoreTest, HopperOrderCallbacksThenScoreThenOldest) {
  make_campaign(5, {std::nullopt, 0.2, 0.9, std::nullopt, 0.5});
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  // Lead base+3 has a due callback; lead base+1 is not due yet.
  ASSERT_OK(cs_->conclude(campaign_, base + 3, {"follow_up", 1, "callback", now, 7}));
  ASSERT_OK(cs_->conclude(campaign_, base + 1, {"in_progress", 1, "busy", now + minutes(15), 0}));
  auto got = cs_->lease(campaign_, "node-a", 10, now, minutes(60));
  ASSERT_OK(got);
  std::vector<int64_t> ids;
  for (const auto& c : *got) ids.push_back(c.lead_id);
  EXPECT_EQ(ids, (std::vector<int64_t>{base + 3, base + 2, base + 4, base + 0}));
  EXPECT_EQ((*got)[0].callback_agent, 7u);
  EXPECT_EQ((*got)[0].phone, 12125550003ull);
  EXPECT_EQ((*got)[1].score, 0.9);
  EXPECT_EQ((*got)[0].lease_owner, "node-a");
  EXPECT_EQ((*got)[0].lease_expires_at, now + minutes(60));
  // Everything due is leased: nothing more now, lead 1 once it is due.
  EXPECT_TRUE(lease_ids("node-b", 10, now).empty());
  EXPECT_EQ(lease_ids("node-b", 10, now + minutes(15)), (std::vector<int64_t>{base + 1}));
}

// Never-called and called-before leads are read from different indexes
// (migration 4); batches smaller than either part still come out in one
// hopper order.
TEST_P(CampaignStoreTest, HopperOrderHoldsAcrossFreshAndRetriedLeadsInSmallBatches) {
  make_campaign(8, {0.1, 0.8, std::nullopt, 0.6, 0.3, 0.9, std::nullopt, 0.5});
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  // Retries due now: base+1 (0.8), base+4 (0.3), base+6 (none); a callback
  // due later (base+0) and a retry due later (base+5) are not leased yet.
  ASSERT_OK(cs_->conclude(campaign_, base + 1, {"in_progress", 1, "busy", now, 0}));
  ASSERT_OK(cs_->conclude(campaign_, base + 4, {"contacted", 1, "someone_else", now - minutes(1), 0}));
  ASSERT_OK(cs_->conclude(campaign_, base + 6, {"in_progress", 1, "no_answer", now, 0}));
  ASSERT_OK(cs_->conclude(campaign_, base + 0, {"follow_up", 1, "callback", now + minutes(30), 0}));
  ASSERT_OK(cs_->conclude(campaign_, base + 5, {"in_progress", 1, "machine", now + minutes(30), 0}));
  std::vector<int64_t> order;
  for (int i = 0; i < 4; ++i)
    for (int64_t id : lease_ids("node-a", 2, now)) order.push_back(id);
  EXPECT_EQ(order, (std::vector<int64_t>{base + 1, base + 3, base + 7, base + 4, base + 2, base + 6}));
  // Later (the leases above have expired): the callback first, then the
  // retry now due at 0.9, then the rest again in score order.
  EXPECT_EQ(lease_ids("node-a", 5, now + minutes(30)),
            (std::vector<int64_t>{base + 0, base + 5, base + 1, base + 3, base + 7}));
}

TEST_P(CampaignStoreTest, LeasesExpireAndReturn) {
  make_campaign(3);
  Instant now = clock_.now();
  EXPECT_EQ(lease_ids("node-a", 2, now).size(), 2u);
  EXPECT_EQ(lease_ids("node-b", 5, now).size(), 1u);
  EXPECT_TRUE(lease_ids("node-b", 5, now + minutes(4)).empty());
  // node-a died: its leases expire after 5 minutes and go to node-b.
  EXPECT_EQ(lease_ids("node-b", 5, now + minutes(5)).size(), 3u);
}

TEST_P(CampaignStoreTest, ExtendedLeasesDoNotReturnDuringACall) {
  make_campaign(1);
  int64_t id = first_lead_id();
  Instant now = clock_.now();
  ASSERT_EQ(lease_ids("node-a", 1, now).size(), 1u);
  ASSERT_OK(cs_->extend_lease(campaign_, id, "node-a", now + minutes(60)));
  EXPECT_TRUE(lease_ids("node-b", 1, now + minutes(30)).empty());
  auto lost = cs_->extend_lease(campaign_, id, "node-b", now + minutes(90));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "lease_lost");
  EXPECT_EQ(lease_ids("node-b", 1, now + minutes(60)).size(), 1u);
  EXPECT_FALSE(cs_->extend_lease(campaign_, id, "node-a", now + minutes(120)).ok());  // node-b has it now
}

TEST_P(CampaignStoreTest, ReleaseReturnsTheLeadAtItsNextTime) {
  make_campaign(1);
  int64_t id = first_lead_id();
  Instant now = clock_.now();
  ASSERT_EQ(lease_ids("node-a", 1, now).size(), 1u);
  ASSERT_OK(cs_->release(campaign_, id, "node-b", now + minutes(30)));  // not node-b's lease: no effect
  EXPECT_TRUE(lease_ids("node-c", 1, now).empty());
  ASSERT_OK(cs_->release(campaign_, id, "node-a", now + minutes(30)));
  EXPECT_TRUE(lease_ids("node-c", 1, now + minutes(29)).empty());
  EXPECT_EQ(lease_ids("node-c", 1, now + minutes(30)).size(), 1u);
}

TEST_P(CampaignStoreTest, ConcludeWritesStateAndTerminalLeadsAreNotLeased) {
  make_campaign(2);
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  ASSERT_EQ(lease_ids("node-a", 2, now).size(), 2u);
  ASSERT_OK(cs_->conclude(campaign_, base, {"won", 2, "sale", std::nullopt, 0}));
  ASSERT_OK(cs_->conclude(campaign_, base + 1, {"do_not_call", 1, "do_not_call", now, 0}));
  auto lead = cs_->get(campaign_, base);
  ASSERT_OK(lead);
  ASSERT_TRUE(lead->has_value());
  EXPECT_EQ((*lead)->state, "won");
  EXPECT_EQ((*lead)->attempts, 2u);
  EXPECT_EQ((*lead)->last_outcome, "sale");
  EXPECT_FALSE((*lead)->next_call_at);
  EXPECT_EQ((*lead)->lease_owner, "");
  EXPECT_TRUE(lease_ids("node-a", 5, now + minutes(60)).empty());  // terminal, even with a next time
  auto counts = cs_->state_counts(campaign_);
  ASSERT_OK(counts);
  EXPECT_EQ(*counts, (std::map<std::string, int64_t>{{"do_not_call", 1}, {"won", 1}}));
  auto missing = cs_->conclude(campaign_, base + 100, {"won", 1, "sale", std::nullopt, 0});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_enrolled");
  EXPECT_FALSE(cs_->conclude(campaign_, base, {"sold", 1, "", std::nullopt, 0}).ok());  // not a state
  auto none = cs_->get(campaign_, base + 100);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(CampaignStoreTest, AttemptsAndLedger) {
  make_campaign(2);
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  auto a1 = cs_->record_attempt({0, campaign_, base, now, "connected", "sale", 95, false, "callable"});
  auto a2 = cs_->record_attempt({0, campaign_, base + 1, now + seconds(3), "abandoned", "", 0, true, ""});
  ASSERT_OK(a1);
  ASSERT_OK(a2);
  EXPECT_LT(*a1, *a2);
  auto all = cs_->attempts(campaign_, std::nullopt);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].disposition, "sale");
  EXPECT_EQ((*all)[0].receipt, "callable");
  EXPECT_EQ((*all)[0].talk_seconds, 95);
  EXPECT_FALSE((*all)[0].abandoned);
  EXPECT_TRUE((*all)[1].abandoned);
  EXPECT_EQ((*all)[1].started_at, now + seconds(3));
  EXPECT_EQ((*all)[1].disposition, "");
  auto one = cs_->attempts(campaign_, base + 1);
  ASSERT_OK(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].outcome, "abandoned");

  auto none = cs_->load_ledger(campaign_);
  ASSERT_OK(none);
  EXPECT_FALSE(none->has_value());
  ASSERT_OK(cs_->save_ledger(campaign_, "v1 us 30d\n1 2 3\n", now));
  ASSERT_OK(cs_->save_ledger(campaign_, "v1 us 30d\n4 5 6\n", now + seconds(1)));
  auto again = CampaignStore::open(location_);  // a restart
  ASSERT_OK(again);
  auto loaded = (*again)->load_ledger(campaign_);
  ASSERT_OK(loaded);
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ(**loaded, "v1 us 30d\n4 5 6\n");
}

TEST_P(CampaignStoreTest, BeginAttemptNeedsTheLeaseAndFinishFillsTheOutcome) {
  make_campaign(1);
  int64_t id = first_lead_id();
  Instant now = clock_.now();
  ASSERT_EQ(lease_ids("node-a", 1, now).size(), 1u);
  AttemptRow a{0, campaign_, id, now, "", "", 0, false, "callable us-federal@2026.07"};
  auto lost = cs_->begin_attempt(a, "node-b", now + minutes(60));
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, "lease_lost");
  auto rows = cs_->attempts(campaign_, std::nullopt);
  ASSERT_OK(rows);
  EXPECT_TRUE(rows->empty());  // nothing stored without the lease

  auto begun = cs_->begin_attempt(a, "node-a", now + minutes(60));
  ASSERT_OK(begun);
  EXPECT_TRUE(lease_ids("node-b", 1, now + minutes(30)).empty());  // the lease covers the call
  rows = cs_->attempts(campaign_, id);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].outcome, "dialing");
  EXPECT_EQ((*rows)[0].receipt, "callable us-federal@2026.07");
  ASSERT_OK(cs_->finish_attempt(*begun, {0, campaign_, id, now, "connected", "sale", 80, false, ""}));
  rows = cs_->attempts(campaign_, id);
  ASSERT_OK(rows);
  EXPECT_EQ((*rows)[0].outcome, "connected");
  EXPECT_EQ((*rows)[0].disposition, "sale");
  EXPECT_EQ((*rows)[0].talk_seconds, 80);
  EXPECT_EQ((*rows)[0].receipt, "callable us-federal@2026.07");
  EXPECT_FALSE(cs_->finish_attempt(*begun + 100, {}).ok());
}

TEST_P(CampaignStoreTest, RecentAttemptsOfLeasedLeads) {
  make_campaign(3);
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  ASSERT_OK(cs_->record_attempt({0, campaign_, base, now - minutes(60 * 30), "busy", "", 0, false, ""}));  // too old
  ASSERT_OK(cs_->record_attempt({0, campaign_, base, now - minutes(120), "abandoned", "", 0, true, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base + 1, now - minutes(60), "busy", "", 0, false, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base + 2, now - minutes(30), "busy", "", 0, false, ""}));
  // node-a leases leads base and base+1 (oldest first), node-b lead base+2.
  ASSERT_EQ(lease_ids("node-a", 2, now).size(), 2u);
  ASSERT_EQ(lease_ids("node-b", 1, now).size(), 1u);
  auto recent = cs_->recent_attempts_of_leased(campaign_, "node-a", now - minutes(60 * 24));
  ASSERT_OK(recent);
  ASSERT_EQ(recent->size(), 2u);
  EXPECT_EQ((*recent)[0].lead_id, base);
  EXPECT_EQ((*recent)[0].started_at, now - minutes(120));
  EXPECT_TRUE((*recent)[0].abandoned);
  EXPECT_EQ((*recent)[1].lead_id, base + 1);
  EXPECT_FALSE((*recent)[1].abandoned);
}

TEST_P(CampaignStoreTest, ScanRecentAttemptsStreamsTheCampaignByLead) {
  make_campaign(3);
  int64_t base = first_lead_id();
  Instant now = clock_.now();
  auto other = store_->put_campaign("acme", "autumn", "name = \"autumn\"\n");
  ASSERT_OK(other);
  // Recorded out of lead order; one too old, one of another campaign.
  ASSERT_OK(cs_->record_attempt({0, campaign_, base + 2, now - minutes(10), "busy", "", 0, false, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base, now - minutes(60 * 30), "busy", "", 0, false, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base, now - minutes(120), "abandoned", "", 0, true, ""}));
  ASSERT_OK(cs_->record_attempt({0, other->id, base, now - minutes(90), "busy", "", 0, false, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base + 1, now - minutes(60), "busy", "", 0, false, ""}));
  ASSERT_OK(cs_->record_attempt({0, campaign_, base, now - minutes(5), "dialing", "", 0, false, ""}));
  std::vector<RecentAttempt> seen;
  ASSERT_OK(cs_->scan_recent_attempts(campaign_, now - minutes(60 * 24), [&](const RecentAttempt& a) {
    seen.push_back(a);
    return true;
  }));
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].lead_id, base);
  EXPECT_EQ(seen[0].started_at, now - minutes(120));
  EXPECT_TRUE(seen[0].abandoned);
  EXPECT_EQ(seen[1].lead_id, base);
  EXPECT_EQ(seen[1].started_at, now - minutes(5));
  EXPECT_FALSE(seen[1].abandoned);
  EXPECT_EQ(seen[2].lead_id, base + 1);
  EXPECT_EQ(seen[2].started_at, now - minutes(60));
  EXPECT_EQ(seen[3].lead_id, base + 2);
  EXPECT_EQ(seen[3].started_at, now - minutes(10));
  // The sink stops the scan.
  int calls = 0;
  ASSERT_OK(cs_->scan_recent_attempts(campaign_, now - minutes(60 * 24), [&](const RecentAttempt&) {
    ++calls;
    return false;
  }));
  EXPECT_EQ(calls, 1);
  // Nothing since a later instant; nothing for a campaign never dialed.
  calls = 0;
  auto count = [&](const RecentAttempt&) {
    ++calls;
    return true;
  };
  ASSERT_OK(cs_->scan_recent_attempts(campaign_, now, count));
  ASSERT_OK(cs_->scan_recent_attempts(other->id + 1000, now - minutes(60 * 24), count));
  EXPECT_EQ(calls, 0);
}

// Two dialer processes lease from the same campaign at once: every lead is
// handed out exactly once.
TEST_P(CampaignStoreTest, SetLeadScoresStoresThemAndReordersTheHopper) {
  make_campaign(4, {0.9, 0.1, std::nullopt, 0.5});
  int64_t base = first_lead_id();
  // Reverse the order: lead 2 (no score before) first, lead 0 last.
  std::vector<LeadScore> scores{{base + 0, 0.05}, {base + 1, 0.6}, {base + 2, 0.8}, {base + 3, 0.3}};
  auto n = store_->set_lead_scores(scores);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 4);
  for (const auto& s : scores) {
    auto lead = store_->get_lead(s.lead_id);
    ASSERT_OK(lead);
    ASSERT_TRUE(lead->has_value());
    EXPECT_EQ((*lead)->score, s.score);
    auto enrolled = cs_->get(campaign_, s.lead_id);
    ASSERT_OK(enrolled);
    ASSERT_TRUE(enrolled->has_value());
    EXPECT_EQ((*enrolled)->score, s.score);
  }
  auto scanned = scan(LeadFilter{});
  ASSERT_EQ(scanned.size(), 4u);
  EXPECT_EQ(scanned[2].score, 0.8);
  EXPECT_EQ(lease_ids("node-a", 10, clock_.now()), (std::vector<int64_t>{base + 2, base + 1, base + 3, base + 0}));
}

TEST_P(CampaignStoreTest, SetLeadScoresTouchesOnlyTheGivenLeads) {
  make_campaign(3, {0.4, 0.5, 0.6});
  int64_t base = first_lead_id();
  std::vector<LeadScore> scores{{base + 1, 0.99}};
  ASSERT_OK(store_->set_lead_scores(scores));
  auto other = store_->get_lead(base + 2);
  ASSERT_OK(other);
  EXPECT_EQ((*other)->score, 0.6);
  auto enrolled = cs_->get(campaign_, base + 0);
  ASSERT_OK(enrolled);
  EXPECT_EQ((*enrolled)->score, 0.4);
  EXPECT_EQ(lease_ids("node-a", 10, clock_.now()), (std::vector<int64_t>{base + 1, base + 2, base + 0}));
  ASSERT_OK(store_->set_lead_scores({}));
}

TEST_P(CampaignStoreTest, AFailedSetLeadScoresChangesNothing) {
  make_campaign(3, {0.4, 0.5, 0.6});
  int64_t base = first_lead_id();
  const double before[] = {0.4, 0.5, 0.6};
  auto unchanged = [&] {
    for (int i = 0; i < 3; ++i) {
      auto lead = store_->get_lead(base + i);
      ASSERT_OK(lead);
      EXPECT_EQ((*lead)->score, before[i]);
      auto enrolled = cs_->get(campaign_, base + i);
      ASSERT_OK(enrolled);
      EXPECT_EQ((*enrolled)->score, before[i]);
    }
  };
  // An unknown lead last: the updates before it are rolled back.
  std::vector<LeadScore> unknown{{base + 0, 0.9}, {base + 1, 0.9}, {base + 999, 0.9}};
  auto r = store_->set_lead_scores(unknown);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "no_such_lead");
  EXPECT_NE(r.error().message.find(std::to_string(base + 999)), std::string::npos) << r.error().message;
  unchanged();
  std::vector<LeadScore> twice{{base + 1, 0.9}, {base + 0, 0.9}, {base + 1, 0.8}};
  r = store_->set_lead_scores(twice);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_argument");
  std::vector<LeadScore> not_a_number{{base + 0, 0.9}, {base + 1, std::nan("")}};
  r = store_->set_lead_scores(not_a_number);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_argument");
  unchanged();
  // The store is usable afterwards.
  std::vector<LeadScore> fine{{base + 0, 0.1}};
  ASSERT_OK(store_->set_lead_scores(fine));
}

TEST_P(CampaignStoreTest, SetLeadScoresOnManyLeads) {
  make_campaign(5000);
  int64_t base = first_lead_id();
  std::vector<LeadScore> scores;
  for (int i = 0; i < 5000; ++i) scores.push_back({base + i, static_cast<double>(i % 97) / 97.0});
  auto n = store_->set_lead_scores(scores);
  ASSERT_OK(n);
  EXPECT_EQ(*n, 5000);
  size_t checked = 0;
  for (const auto& l : scan(LeadFilter{})) {
    EXPECT_EQ(l.score, static_cast<double>((l.id - base) % 97) / 97.0);
    ++checked;
  }
  EXPECT_EQ(checked, 5000u);
  auto top = cs_->lease(campaign_, "node-a", 3, clock_.now(), minutes(5));
  ASSERT_OK(top);
  ASSERT_EQ(top->size(), 3u);
  for (const auto& c : *top) EXPECT_EQ(c.score, 96.0 / 97.0);
}

TEST_P(CampaignStoreTest, TwoProcessesLeaseWithoutOverlap) {
  constexpr int kLeads = 240;
  make_campaign(kLeads);
  Instant now = clock_.now();
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  auto drain = [&](const std::string& owner, std::vector<int64_t>& ids) {
    auto cs = CampaignStore::open(location_);
    if (!cs) return false;
    for (;;) {
      auto got = (*cs)->lease(campaign_, owner, 3, now, minutes(5));
      if (!got) return false;
      if (got->empty()) return true;
      for (const auto& c : *got) ids.push_back(c.lead_id);
    }
  };
  if (child == 0) {
    // The child: its own connection; results over the pipe; no gtest, no
    // destructors of the parent's objects.
    close(fds[0]);
    std::vector<int64_t> ids;
    bool ok = drain("node-child", ids);
    int64_t n = ok ? static_cast<int64_t>(ids.size()) : -1;
    bool written = write(fds[1], &n, sizeof n) == sizeof n;
    if (ok && !ids.empty())
      written = written && write(fds[1], ids.data(), ids.size() * sizeof(int64_t)) ==
                               static_cast<ssize_t>(ids.size() * sizeof(int64_t));
    close(fds[1]);
    _exit(written ? 0 : 1);
  }
  close(fds[1]);
  std::vector<int64_t> mine;
  bool ok = drain("node-parent", mine);
  std::vector<int64_t> theirs;
  int64_t n = 0;
  ASSERT_EQ(read(fds[0], &n, sizeof n), static_cast<ssize_t>(sizeof n));
  if (n > 0) {
    theirs.resize(static_cast<size_t>(n));
    size_t want = theirs.size() * sizeof(int64_t), got = 0;
    auto* p = reinterpret_cast<char*>(theirs.data());
    while (got < want) {
      ssize_t r = read(fds[0], p + got, want - got);
      ASSERT_GT(r, 0);
      got += static_cast<size_t>(r);
    }
  }
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(ok);
  ASSERT_GE(n, 0) << "the child process failed to lease";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::set<int64_t> all(mine.begin(), mine.end());
  EXPECT_EQ(all.size(), mine.size()) << "the parent got a lead twice";
  for (int64_t id : theirs) EXPECT_TRUE(all.insert(id).second) << "lead " << id << " leased by both processes";
  EXPECT_EQ(all.size(), static_cast<size_t>(kLeads));
  std::printf("two-process lease on %s: parent %zu leads, child %zu leads\n", store_->backend().c_str(),
              mine.size(), theirs.size());
}

INSTANTIATE_TEST_SUITE_P(Backends, CampaignStoreTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         backend_name);

}  // namespace
}  // namespace telemark::store::testing
