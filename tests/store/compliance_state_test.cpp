// Conformance tests for the compliance state (schema version 2): registry
// provenance, internal do-not-call lists, campaigns and decision receipts.
// Every test runs against SQLite and PostgreSQL.
#include <algorithm>

// GCC 12 warns about members left out of designated initializers.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "store/internal.h"
#include "store_fixture.h"

namespace telemark::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

RegistryLoad us_dnc_load(int64_t version, const std::string& as_of) {
  RegistryLoad l;
  l.name = "us-dnc";
  l.version = version;
  l.snapshot_id = "00c0ffee0000000" + std::to_string(version);
  l.kind = version == 1 ? "load" : "update";
  l.as_of = as_of;
  l.count = 1000 + version;
  l.bad_lines = 3;
  l.checksum = std::string(64, 'e');
  l.snapshot_path = "/srv/registries/us-dnc/v00000" + std::to_string(version) + ".tmreg";
  l.sources = {{"212.txt", std::string(64, 'a'), 11000, 1000, 2},
               {"646.txt", std::string(64, 'b'), 5500, 500, 1}};
  return l;
}

// --- registry provenance ---

TEST_P(StoreTest, RegistryLoadsKeepProvenanceAndOneCurrentVersion) {
  ASSERT_OK(store_->migrate());
  auto first = store_->record_registry_load(us_dnc_load(1, "2026-05-01"));
  ASSERT_OK(first);
  EXPECT_GT(first->id, 0);
  EXPECT_TRUE(first->current);
  EXPECT_EQ(first->loaded_at, test_epoch());
  EXPECT_EQ(first->as_of, "2026-05-01");
  EXPECT_EQ(first->kind, "load");
  EXPECT_EQ(first->count, 1001);
  EXPECT_EQ(first->bad_lines, 3);
  EXPECT_EQ(first->snapshot_path, "/srv/registries/us-dnc/v000001.tmreg");
  ASSERT_EQ(first->sources.size(), 2u);
  EXPECT_EQ(first->sources[0].file_name, "212.txt");
  EXPECT_EQ(first->sources[0].sha256, std::string(64, 'a'));
  EXPECT_EQ(first->sources[0].bytes, 11000);
  EXPECT_EQ(first->sources[0].lines, 1000);
  EXPECT_EQ(first->sources[0].bad_lines, 2);
  EXPECT_EQ(first->sources[1].file_name, "646.txt");
  EXPECT_FALSE(first->dropped_at.has_value());

  clock_.advance(hours(24));
  RegistryLoad tps = us_dnc_load(1, "2026-05-02");
  tps.name = "uk-tps";
  tps.sources.clear();
  ASSERT_OK(store_->record_registry_load(tps));
  auto second = store_->record_registry_load(us_dnc_load(2, "2026-05-02"));
  ASSERT_OK(second);
  EXPECT_EQ(second->loaded_at, test_epoch() + hours(24));
  EXPECT_EQ(second->kind, "update");

  auto current = store_->current_registry_load("us-dnc");
  ASSERT_OK(current);
  ASSERT_TRUE(current->has_value());
  EXPECT_EQ((*current)->id, second->id);
  EXPECT_EQ((*current)->snapshot_id, "00c0ffee00000002");

  auto history = store_->registry_loads(std::string("us-dnc"));
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].id, first->id);
  EXPECT_FALSE((*history)[0].current) << "a newer load replaces the current version";
  EXPECT_EQ((*history)[0].sources.size(), 2u);
  EXPECT_TRUE((*history)[1].current);
  auto all = store_->registry_loads(std::nullopt);
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 3u);
  auto tps_current = store_->current_registry_load("uk-tps");
  ASSERT_OK(tps_current);
  ASSERT_TRUE(tps_current->has_value());
  EXPECT_TRUE((*tps_current)->sources.empty());

  clock_.advance(seconds(5));
  auto dropped = store_->record_registry_drop("us-dnc");
  ASSERT_OK(dropped);
  EXPECT_TRUE(*dropped);
  current = store_->current_registry_load("us-dnc");
  ASSERT_OK(current);
  EXPECT_FALSE(current->has_value());
  history = store_->registry_loads(std::string("us-dnc"));
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 2u) << "a drop keeps the provenance";
  ASSERT_TRUE((*history)[1].dropped_at.has_value());
  EXPECT_EQ(*(*history)[1].dropped_at, test_epoch() + hours(24) + seconds(5));
  auto again = store_->record_registry_drop("us-dnc");
  ASSERT_OK(again);
  EXPECT_FALSE(*again);
  auto unknown = store_->current_registry_load("ca-dncl");
  ASSERT_OK(unknown);
  EXPECT_FALSE(unknown->has_value());
}

TEST_P(StoreTest, RegistryLoadNeedsARealDateAndASnapshot) {
  ASSERT_OK(store_->migrate());
  for (const char* bad : {"2026-02-30", "2026-5-1", "yesterday", ""}) {
    auto r = store_->record_registry_load(us_dnc_load(1, bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, "invalid_argument");
    EXPECT_NE(r.error().message.find("us-dnc"), std::string::npos) << r.error().message;
  }
  RegistryLoad no_id = us_dnc_load(1, "2026-05-01");
  no_id.snapshot_id.clear();
  auto r = store_->record_registry_load(no_id);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_argument");
  auto all = store_->registry_loads(std::nullopt);
  ASSERT_OK(all);
  EXPECT_TRUE(all->empty());
}

// --- internal do-not-call lists ---

std::vector<uint64_t> phones_of(Store& store, const std::string& tenant) {
  std::vector<uint64_t> out;
  auto s = store.dnc_phones(tenant, [&](uint64_t p) { out.push_back(p); });
  EXPECT_TRUE(s.ok()) << s.error().message;
  std::sort(out.begin(), out.end());
  return out;
}

TEST_P(StoreTest, DncAddIsPerTenantAndKeepsTheFirstEntry) {
  ASSERT_OK(store_->migrate());
  std::vector<DncAdd> adds = {{12125550001, "asked on the call", "agent"},
                              {12125550002, "", ""},
                              {12125550001, "asked again", "web form"}};
  auto added = store_->add_dnc("acme", adds);
  ASSERT_OK(added);
  EXPECT_EQ(added->added, 2);
  EXPECT_EQ(added->already, 1);
  clock_.advance(hours(1));
  std::vector<DncAdd> more = {{12125550002, "later", "import"}, {447700900123, "", "tps"}};
  added = store_->add_dnc("acme", more);
  ASSERT_OK(added);
  EXPECT_EQ(added->added, 1);
  EXPECT_EQ(added->already, 1);
  std::vector<DncAdd> other = {{12125550009, "", ""}};
  ASSERT_OK(store_->add_dnc("globex", other));

  EXPECT_EQ(phones_of(*store_, "acme"),
            (std::vector<uint64_t>{12125550001, 12125550002, 447700900123}));
  EXPECT_EQ(phones_of(*store_, "globex"), (std::vector<uint64_t>{12125550009}));
  EXPECT_TRUE(phones_of(*store_, "nobody").empty());
  auto count = store_->count_dnc("acme");
  ASSERT_OK(count);
  EXPECT_EQ(*count, 3);
  auto none = store_->count_dnc("nobody");
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0);

  auto history = store_->dnc_history("acme", 12125550001);
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 1u);
  const DncEntry& e = history->front();
  EXPECT_EQ(e.tenant, "acme");
  EXPECT_EQ(e.phone, 12125550001u);
  EXPECT_EQ(e.reason, "asked on the call") << "the first entry stays";
  EXPECT_EQ(e.source, "agent");
  EXPECT_EQ(e.added_at, test_epoch());
  EXPECT_FALSE(e.removed_at.has_value());
  history = store_->dnc_history("acme", 12125550002);
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ(history->front().reason, "");
  EXPECT_EQ(history->front().added_at, test_epoch());
  // Another tenant's entry is not this tenant's.
  history = store_->dnc_history("globex", 12125550001);
  ASSERT_OK(history);
  EXPECT_TRUE(history->empty());
}

TEST_P(StoreTest, DncAddWithABadNumberAddsNothing) {
  ASSERT_OK(store_->migrate());
  std::vector<DncAdd> adds = {{12125550001, "", ""}, {0, "", ""}};
  auto r = store_->add_dnc("acme", adds);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_argument");
  std::vector<DncAdd> too_long = {{1234567890123456, "", ""}};
  r = store_->add_dnc("acme", too_long);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "invalid_argument");
  EXPECT_TRUE(phones_of(*store_, "acme").empty());
}

TEST_P(StoreTest, DncRemovalIsAuditedAndNeverDeletes) {
  ASSERT_OK(store_->migrate());
  std::vector<DncAdd> adds = {{12125550001, "asked", "agent"}, {12125550002, "", ""}};
  ASSERT_OK(store_->add_dnc("acme", adds));

  auto no_reason = store_->remove_dnc("acme", 12125550001, "");
  ASSERT_FALSE(no_reason.ok());
  EXPECT_EQ(no_reason.error().code, "invalid_argument");
  auto missing = store_->remove_dnc("acme", 12125550003, "typo");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "not_on_list");
  EXPECT_NE(missing.error().message.find("+12125550003"), std::string::npos)
      << missing.error().message;
  auto other_tenant = store_->remove_dnc("globex", 12125550001, "typo");
  ASSERT_FALSE(other_tenant.ok());
  EXPECT_EQ(other_tenant.error().code, "not_on_list");

  clock_.advance(hours(2));
  auto removed = store_->remove_dnc("acme", 12125550001, "added by mistake, ticket 42");
  ASSERT_OK(removed);
  EXPECT_EQ(removed->phone, 12125550001u);
  EXPECT_EQ(removed->reason, "asked");
  ASSERT_TRUE(removed->removed_at.has_value());
  EXPECT_EQ(*removed->removed_at, test_epoch() + hours(2));
  EXPECT_EQ(removed->removed_reason, "added by mistake, ticket 42");
  EXPECT_EQ(phones_of(*store_, "acme"), (std::vector<uint64_t>{12125550002}));
  auto twice = store_->remove_dnc("acme", 12125550001, "again");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "not_on_list");

  // Back on the list: a new entry; the removed one stays in the history.
  clock_.advance(hours(1));
  std::vector<DncAdd> again = {{12125550001, "asked again", "agent"}};
  auto readded = store_->add_dnc("acme", again);
  ASSERT_OK(readded);
  EXPECT_EQ(readded->added, 1);
  auto history = store_->dnc_history("acme", 12125550001);
  ASSERT_OK(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].reason, "asked again");
  EXPECT_FALSE((*history)[0].removed_at.has_value());
  EXPECT_EQ((*history)[1].reason, "asked");
  EXPECT_EQ((*history)[1].removed_reason, "added by mistake, ticket 42");

  std::vector<DncEntry> active, all;
  ASSERT_OK(store_->scan_dnc("acme", false, [&](const DncEntry& e) {
    active.push_back(e);
    return true;
  }));
  ASSERT_OK(store_->scan_dnc("acme", true, [&](const DncEntry& e) {
    all.push_back(e);
    return true;
  }));
  ASSERT_EQ(active.size(), 2u);
  EXPECT_EQ(active[0].phone, 12125550001u);
  EXPECT_EQ(active[1].phone, 12125550002u);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].reason, "asked again") << "phone order, newest entry first";
  EXPECT_TRUE(all[1].removed_at.has_value());
  EXPECT_EQ(all[2].phone, 12125550002u);
  size_t seen = 0;
  ASSERT_OK(store_->scan_dnc("acme", true, [&](const DncEntry&) { return ++seen < 2; }));
  EXPECT_EQ(seen, 2u) << "the sink stops the scan";

  // The schema itself refuses to lose an entry or to rewrite one.
  EXPECT_FALSE(store_->execute("DELETE FROM dnc_entries").ok());
  EXPECT_FALSE(store_->execute("UPDATE dnc_entries SET removed_at = NULL, removed_reason = NULL")
                   .ok());
  EXPECT_FALSE(store_->execute("UPDATE dnc_entries SET phone = 1 WHERE removed_at IS NULL").ok());
  if (GetParam() == Backend::kPostgres) {
    EXPECT_FALSE(store_->execute("TRUNCATE dnc_entries").ok());
  }
  history = store_->dnc_history("acme", 12125550001);
  ASSERT_OK(history);
  EXPECT_EQ(history->size(), 2u);
  auto count = store_->count_dnc("acme");
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2);
}

TEST_P(StoreTest, DncPhonesStreamsALargeList) {
  ASSERT_OK(store_->migrate());
  std::vector<DncAdd> adds;
  std::vector<uint64_t> want;
  for (uint64_t i = 0; i < 5000; ++i) {
    adds.push_back({393331000000 + i * 7, "", "import"});
    want.push_back(adds.back().phone);
  }
  auto added = store_->add_dnc("acme", adds);
  ASSERT_OK(added);
  EXPECT_EQ(added->added, 5000);
  ASSERT_OK(store_->remove_dnc("acme", want[10], "wrong number"));
  want.erase(want.begin() + 10);
  EXPECT_EQ(phones_of(*store_, "acme"), want);
  // Pages of the scan follow each other without gaps or repeats.
  std::vector<uint64_t> scanned;
  ASSERT_OK(store_->scan_dnc("acme", false, [&](const DncEntry& e) {
    scanned.push_back(e.phone);
    return true;
  }));
  EXPECT_EQ(scanned, want);
  auto count = store_->count_dnc("acme");
  ASSERT_OK(count);
  EXPECT_EQ(*count, 4999);
}

TEST_P(StoreTest, WritesThatNeedTheirOwnTransactionWaitForTheImport) {
  int64_t list = make_list("acme", "spring");
  auto writer = store_->begin_import(list, ImportRun{});
  ASSERT_OK(writer);
  std::vector<DncAdd> adds = {{12125550001, "", ""}};
  auto r = store_->add_dnc("acme", adds);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "import_in_progress");
  auto c = store_->put_campaign("acme", "spring-offer", "name = \"spring-offer\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "import_in_progress");
  (*writer)->rollback();
  ASSERT_OK(store_->add_dnc("acme", adds));
}

// --- campaigns ---

TEST_P(StoreTest, CampaignsArePerTenantAndReplacedWhole) {
  ASSERT_OK(store_->migrate());
  auto created = store_->put_campaign("acme", "spring-offer", "name = \"spring-offer\"\n# v1\n");
  ASSERT_OK(created);
  EXPECT_GT(created->id, 0);
  EXPECT_EQ(created->tenant, "acme");
  EXPECT_EQ(created->name, "spring-offer");
  EXPECT_EQ(created->created_at, test_epoch());
  EXPECT_EQ(created->updated_at, test_epoch());

  clock_.advance(hours(3));
  auto updated = store_->put_campaign("acme", "spring-offer", "name = \"spring-offer\"\n# v2\n");
  ASSERT_OK(updated);
  EXPECT_EQ(updated->id, created->id);
  EXPECT_EQ(updated->definition, "name = \"spring-offer\"\n# v2\n");
  EXPECT_EQ(updated->created_at, test_epoch());
  EXPECT_EQ(updated->updated_at, test_epoch() + hours(3));
  ASSERT_OK(store_->put_campaign("globex", "spring-offer", "name = \"spring-offer\"\n# globex\n"));
  ASSERT_OK(store_->put_campaign("acme", "autumn", "name = \"autumn\"\n"));

  auto found = store_->find_campaign("globex", "spring-offer");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->definition, "name = \"spring-offer\"\n# globex\n");
  auto missing = store_->find_campaign("globex", "autumn");
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());

  auto all = store_->campaigns();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].tenant + "/" + (*all)[0].name, "acme/autumn");
  EXPECT_EQ((*all)[1].tenant + "/" + (*all)[1].name, "acme/spring-offer");
  EXPECT_EQ((*all)[2].tenant + "/" + (*all)[2].name, "globex/spring-offer");

  auto empty = store_->put_campaign("acme", "", "x");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "invalid_argument");
}

// --- decision receipts ---

DecisionReceipt blocked_receipt() {
  DecisionReceipt r;
  r.tenant = "acme";
  r.campaign = "spring-offer";
  r.lead_id = 42;
  r.phone = 12125550001;
  r.decided_at = test_epoch() - hours(1);
  r.verdict = "blocked";
  r.reasons = {"internal_dnc", "registry:us-dnc"};
  r.rule_packs = {"us-federal@2026.07", "us-states@2026.07"};
  r.registry_snapshots = {"us-dnc@00c0ffee00000001"};
  r.local_times = {"America/New_York 2026-05-28T12:26:40-04:00"};
  return r;
}

TEST_P(StoreTest, ReceiptsRoundTripAndFilter) {
  ASSERT_OK(store_->migrate());
  DecisionReceipt a = blocked_receipt();
  DecisionReceipt b;
  b.tenant = "acme";
  b.campaign = "spring-offer";
  b.phone = 447700900123;
  b.decided_at = test_epoch() + seconds(30);
  b.verdict = "not_now";
  b.reasons = {"outside_calling_hours"};
  b.next_allowed_at = test_epoch() + hours(12);
  DecisionReceipt c = blocked_receipt();
  c.tenant = "globex";
  c.campaign = "autumn";
  c.lead_id = 0;
  c.phone = 0;
  c.verdict = "blocked";
  c.reasons = {"invalid_number"};
  c.rule_packs.clear();
  c.registry_snapshots.clear();
  c.local_times.clear();
  std::vector<DecisionReceipt> batch = {a, b, c};
  clock_.advance(seconds(7));
  auto ids = store_->record_receipts(batch, Durability::kSynced);
  ASSERT_OK(ids);
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_LT((*ids)[0], (*ids)[1]);

  auto all = store_->receipts({});
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  const DecisionReceipt& ra = (*all)[0];
  EXPECT_EQ(ra.id, (*ids)[0]);
  EXPECT_EQ(ra.tenant, "acme");
  EXPECT_EQ(ra.campaign, "spring-offer");
  EXPECT_EQ(ra.lead_id, 42);
  EXPECT_EQ(ra.phone, 12125550001u);
  EXPECT_EQ(ra.decided_at, test_epoch() - hours(1));
  EXPECT_EQ(ra.verdict, "blocked");
  EXPECT_EQ(ra.reasons, a.reasons);
  EXPECT_FALSE(ra.next_allowed_at.has_value());
  EXPECT_EQ(ra.rule_packs, a.rule_packs);
  EXPECT_EQ(ra.registry_snapshots, a.registry_snapshots);
  EXPECT_EQ(ra.local_times, a.local_times);
  EXPECT_EQ(ra.recorded_at, test_epoch() + seconds(7));
  const DecisionReceipt& rb = (*all)[1];
  EXPECT_EQ(rb.lead_id, 0);
  EXPECT_EQ(rb.verdict, "not_now");
  ASSERT_TRUE(rb.next_allowed_at.has_value());
  EXPECT_EQ(*rb.next_allowed_at, test_epoch() + hours(12));
  EXPECT_TRUE(rb.rule_packs.empty());
  const DecisionReceipt& rc = (*all)[2];
  EXPECT_EQ(rc.tenant, "globex");
  EXPECT_EQ(rc.phone, 0u);
  EXPECT_EQ(rc.reasons, std::vector<std::string>{"invalid_number"});

  auto by_phone = store_->receipts({.phone = 12125550001});
  ASSERT_OK(by_phone);
  EXPECT_EQ(by_phone->size(), 1u);
  auto by_lead = store_->receipts({.lead_id = 42});
  ASSERT_OK(by_lead);
  ASSERT_EQ(by_lead->size(), 1u);
  EXPECT_EQ(by_lead->front().id, (*ids)[0]);
  auto by_tenant = store_->receipts({.tenant = "acme", .campaign = "spring-offer"});
  ASSERT_OK(by_tenant);
  EXPECT_EQ(by_tenant->size(), 2u);
  auto limited = store_->receipts({.tenant = "acme", .limit = 1});
  ASSERT_OK(limited);
  ASSERT_EQ(limited->size(), 1u);
  EXPECT_EQ(limited->front().id, (*ids)[0]);
  auto none = store_->receipts({.campaign = "nope"});
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

TEST_P(StoreTest, ABadReceiptRecordsNoneOfTheBatch) {
  ASSERT_OK(store_->migrate());
  DecisionReceipt good = blocked_receipt();
  for (auto spoil : std::vector<std::function<void(DecisionReceipt&)>>{
           [](DecisionReceipt& r) { r.verdict = "maybe"; },
           [](DecisionReceipt& r) { r.reasons = {"a;b"}; },
           [](DecisionReceipt& r) { r.rule_packs = {""}; },
           [](DecisionReceipt& r) { r.phone = 1234567890123456; },
           [](DecisionReceipt& r) { r.campaign.clear(); },
       }) {
    DecisionReceipt bad = blocked_receipt();
    spoil(bad);
    std::vector<DecisionReceipt> batch = {good, bad};
    auto ids = store_->record_receipts(batch, Durability::kSynced);
    ASSERT_FALSE(ids.ok());
    EXPECT_EQ(ids.error().code, "invalid_argument");
    EXPECT_NE(ids.error().message.find("receipt 2"), std::string::npos) << ids.error().message;
  }
  auto all = store_->receipts({});
  ASSERT_OK(all);
  EXPECT_TRUE(all->empty());
}

// Buffered receipts (refusals, simulated calls) are committed like synced
// ones: visible at once, in order, with the same checks; and the
// connection's ordinary durability is back afterwards (a synced write
// after them still succeeds).
TEST_P(StoreTest, BufferedReceiptsAreCommittedAndChecked) {
  ASSERT_OK(store_->migrate());
  std::vector<DecisionReceipt> batch = {blocked_receipt(), blocked_receipt()};
  batch[1].lead_id = 43;
  auto ids = store_->record_receipts(batch, Durability::kBuffered);
  ASSERT_OK(ids);
  ASSERT_EQ(ids->size(), 2u);
  DecisionReceipt bad = blocked_receipt();
  bad.verdict = "perhaps";
  auto refused = store_->record_receipts(std::vector<DecisionReceipt>{bad}, Durability::kBuffered);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "invalid_argument");
  ASSERT_OK(store_->record_receipts(std::vector<DecisionReceipt>{blocked_receipt()}, Durability::kSynced));
  ReceiptFilter f;
  f.lead_id = 43;
  auto got = store_->receipts(f);
  ASSERT_OK(got);
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ(got->front().id, (*ids)[1]);
  auto all = store_->receipts({});
  ASSERT_OK(all);
  EXPECT_EQ(all->size(), 3u);
}

// --- migrations ---

// A database created by a version-1 program gains the new tables and keeps
// its data.
TEST_P(StoreTest, UpgradesAVersionOneDatabase) {
  const internal::Migration& v1 = internal::migrations()[0];
  ASSERT_EQ(v1.version, 1);
  if (GetParam() == Backend::kSqlite) {
    ASSERT_OK(store_->execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at INTEGER NOT NULL)"));
    ASSERT_OK(store_->execute(std::string(v1.sqlite_sql)));
    ASSERT_OK(store_->execute("INSERT INTO schema_version VALUES (1, 'v1', 0)"));
  } else {
    ASSERT_OK(store_->execute(
        "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"));
    ASSERT_OK(store_->execute(std::string(v1.postgres_sql)));
    ASSERT_OK(store_->execute("INSERT INTO schema_version (version, name) VALUES (1, 'v1')"));
  }
  auto list = store_->ensure_list("acme", "spring");
  ASSERT_OK(list);
  import(*list, {make_lead(12125550001, 2)});
  auto before = store_->schema_version();
  ASSERT_OK(before);
  EXPECT_EQ(*before, 1);

  ASSERT_OK(store_->migrate());
  auto after = store_->schema_version();
  ASSERT_OK(after);
  EXPECT_EQ(*after, kSchemaVersion);
  auto count = store_->count_leads({.list = "spring"});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1);
  std::vector<DncAdd> adds = {{12125550001, "", ""}};
  ASSERT_OK(store_->add_dnc("acme", adds));
  EXPECT_EQ(phones_of(*store_, "acme"), std::vector<uint64_t>{12125550001});
}

}  // namespace
}  // namespace telemark::store::testing
