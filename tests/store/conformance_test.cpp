// The store conformance suite: every test runs against SQLite and against
// PostgreSQL, and both must behave the same.
#include <nlohmann/json.hpp>

// GCC 12 warns about members left out of designated initializers
// ({.tenant = "acme"}), which is the point of writing them that way.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include "store_fixture.h"

namespace telemark::store::testing {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;

// --- migrations ---

TEST_P(StoreTest, MigrateOnEmptyDatabase) {
  auto before = store_->schema_version();
  ASSERT_OK(before);
  EXPECT_EQ(*before, 0);
  ASSERT_OK(store_->migrate());
  auto after = store_->schema_version();
  ASSERT_OK(after);
  EXPECT_EQ(*after, kSchemaVersion);
  auto lists = store_->lists();
  ASSERT_OK(lists);
  EXPECT_TRUE(lists->empty());
}

TEST_P(StoreTest, MigrateIsIdempotent) {
  ASSERT_OK(store_->migrate());
  ASSERT_OK(store_->ensure_list("acme", "spring"));
  ASSERT_OK(store_->migrate());
  auto other = open_again();
  ASSERT_NE(other, nullptr);
  ASSERT_OK(other->migrate());
  auto version = other->schema_version();
  ASSERT_OK(version);
  EXPECT_EQ(*version, kSchemaVersion);
  auto found = other->find_list("acme", "spring");
  ASSERT_OK(found);
  EXPECT_TRUE(found->has_value()) << "a second migrate must keep the data";
}

TEST_P(StoreTest, RefusesSchemaNewerThanProgram) {
  ASSERT_OK(store_->migrate());
  const int64_t future = kSchemaVersion + 1;
  ASSERT_OK(store_->execute("INSERT INTO schema_version (version, name) VALUES (" +
                            std::to_string(future) + ", 'from a newer telemark')"));
  auto version = store_->schema_version();
  ASSERT_OK(version);
  EXPECT_EQ(*version, future);
  auto s = open_again()->migrate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "schema_too_new");
  EXPECT_NE(s.error().message.find("version " + std::to_string(future)), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("version " + std::to_string(kSchemaVersion)), std::string::npos)
      << s.error().message;
}

// --- tenants and lists ---

TEST_P(StoreTest, EnsureTenantIsIdempotent) {
  ASSERT_OK(store_->migrate());
  auto a = store_->ensure_tenant("acme");
  auto again = store_->ensure_tenant("acme");
  auto b = store_->ensure_tenant("Acme Italia S.r.l.");
  ASSERT_OK(a);
  ASSERT_OK(again);
  ASSERT_OK(b);
  EXPECT_EQ(*a, *again);
  EXPECT_NE(*a, *b);
  auto empty = store_->ensure_tenant("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "invalid_argument");
}

TEST_P(StoreTest, ListsAreUniquePerTenant) {
  ASSERT_OK(store_->migrate());
  auto spring = store_->ensure_list("acme", "spring");
  auto spring_again = store_->ensure_list("acme", "spring");
  auto other_tenant = store_->ensure_list("globex", "spring");
  ASSERT_OK(spring);
  ASSERT_OK(spring_again);
  ASSERT_OK(other_tenant);
  EXPECT_EQ(*spring, *spring_again);
  EXPECT_NE(*spring, *other_tenant);
  auto empty = store_->ensure_list("acme", "");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "invalid_argument");
}

TEST_P(StoreTest, FindListAndListsWithCounts) {
  ASSERT_OK(store_->migrate());
  auto spring = store_->ensure_list("acme", "spring");
  ASSERT_OK(spring);
  clock_.advance(hours(1));
  auto autumn = store_->ensure_list("acme", "autumn");
  auto other = store_->ensure_list("globex", "spring");
  ASSERT_OK(autumn);
  ASSERT_OK(other);
  import(*spring, {make_lead(12125550001, 2), make_lead(12125550002, 3)});
  import(*other, {make_lead(12125550001, 2)});

  auto found = store_->find_list("acme", "spring");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, *spring);
  EXPECT_EQ((*found)->tenant, "acme");
  EXPECT_EQ((*found)->name, "spring");
  EXPECT_EQ((*found)->lead_count, 2);
  EXPECT_EQ((*found)->created_at, test_epoch());

  auto missing = store_->find_list("acme", "winter");
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
  auto wrong_tenant = store_->find_list("initech", "spring");
  ASSERT_OK(wrong_tenant);
  EXPECT_FALSE(wrong_tenant->has_value());

  auto all = store_->lists();
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, *spring);
  EXPECT_EQ((*all)[0].lead_count, 2);
  EXPECT_EQ((*all)[1].id, *autumn);
  EXPECT_EQ((*all)[1].name, "autumn");
  EXPECT_EQ((*all)[1].lead_count, 0);
  EXPECT_EQ((*all)[1].created_at, test_epoch() + hours(1));
  EXPECT_EQ((*all)[2].tenant, "globex");
  EXPECT_EQ((*all)[2].lead_count, 1);
}

// --- imports: all or nothing ---

TEST_P(StoreTest, CommitMakesAllRowsVisible) {
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (uint64_t i = 0; i < 2500; ++i) leads.push_back(make_lead(12125550000 + i, i + 2));
  auto other = open_again();
  ASSERT_NE(other, nullptr);
  LeadFilter in_list{.tenant = "acme", .list = "spring"};

  auto writer = store_->begin_import(list, ImportRun{.file_name = "spring.csv"});
  ASSERT_OK(writer);
  for (size_t i = 0; i < leads.size(); i += 1000)
    ASSERT_OK((*writer)->append(
        std::span<const Lead>(leads.data() + i, std::min<size_t>(1000, leads.size() - i))));
  auto before = other->count_leads(in_list);
  ASSERT_OK(before);
  EXPECT_EQ(*before, 0) << "another connection must not see an uncommitted import";
  ASSERT_OK((*writer)->commit(ImportRun{.rows = 2500, .imported = 2500}));

  auto after = other->count_leads(in_list);
  ASSERT_OK(after);
  EXPECT_EQ(*after, 2500);
  auto found = other->find_list("acme", "spring");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->lead_count, 2500);
  // A committed writer is closed.
  auto late = (*writer)->append(std::span<const Lead>(leads.data(), 1));
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "import_closed");
}

TEST_P(StoreTest, ExplicitRollbackLeavesNothing) {
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads = {make_lead(12125550001, 2), make_lead(12125550002, 3)};
  auto writer = store_->begin_import(list, ImportRun{.file_name = "spring.csv"});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->append(leads));
  (*writer)->rollback();
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0);
  auto runs = store_->import_runs(list);
  ASSERT_OK(runs);
  EXPECT_TRUE(runs->empty());
  auto late = (*writer)->commit(ImportRun{});
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, "import_closed");
  // The connection is usable for the next import.
  import(list, leads);
  count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2);
}

TEST_P(StoreTest, ImportByNameCreatesTheListInsideItsTransaction) {
  ASSERT_OK(store_->migrate());
  std::vector<Lead> leads = {make_lead(12125550001, 2), make_lead(12125550002, 3)};
  {
    auto writer = store_->begin_import("acme", "fresh", ImportRun{.file_name = "fresh.csv"});
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->append(leads));
    (*writer)->rollback();
  }
  auto found = store_->find_list("acme", "fresh");
  ASSERT_OK(found);
  EXPECT_FALSE(found->has_value()) << "a rolled-back import must not leave its list behind";
  auto lists = store_->lists();
  ASSERT_OK(lists);
  EXPECT_TRUE(lists->empty());

  auto writer = store_->begin_import("acme", "fresh", ImportRun{.file_name = "fresh.csv"});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->append(leads));
  auto run = (*writer)->commit(ImportRun{.rows = 2, .imported = 2});
  ASSERT_OK(run);
  found = store_->find_list("acme", "fresh");
  ASSERT_OK(found);
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, (*writer)->list_id());
  EXPECT_EQ((*found)->lead_count, 2);

  // Into the existing list by name: no second list.
  auto again = store_->begin_import("acme", "fresh", ImportRun{.file_name = "more.csv"});
  ASSERT_OK(again);
  EXPECT_EQ((*again)->list_id(), (*found)->id);
  ASSERT_OK((*again)->append(std::vector<Lead>{make_lead(12125550003, 4)}));
  ASSERT_OK((*again)->commit(ImportRun{.rows = 1, .imported = 1}));
  lists = store_->lists();
  ASSERT_OK(lists);
  ASSERT_EQ(lists->size(), 1u);
  EXPECT_EQ(lists->front().lead_count, 3);
}

TEST_P(StoreTest, DestroyingTheWriterRollsBack) {
  int64_t list = make_list("acme", "spring");
  {
    auto writer = store_->begin_import(list, ImportRun{});
    ASSERT_OK(writer);
    ASSERT_OK((*writer)->append(std::vector<Lead>{make_lead(12125550001, 2)}));
  }
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0);
  auto runs = store_->import_runs(list);
  ASSERT_OK(runs);
  EXPECT_TRUE(runs->empty());
  auto other_count = open_again()->count_leads({});
  ASSERT_OK(other_count);
  EXPECT_EQ(*other_count, 0);
}

TEST_P(StoreTest, DuplicatePhoneInOneImportFailsTheImport) {
  int64_t list = make_list("acme", "spring");
  auto writer = store_->begin_import(list, ImportRun{});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->append(std::vector<Lead>{make_lead(12125550001, 2)}));
  std::vector<Lead> batch = {make_lead(12125550002, 3), make_lead(12125550003, 4),
                             make_lead(12125550002, 5)};
  auto s = (*writer)->append(batch);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "duplicate_lead");
  EXPECT_NE(s.error().message.find("line 5"), std::string::npos) << s.error().message;
  auto commit = (*writer)->commit(ImportRun{});
  ASSERT_FALSE(commit.ok());
  EXPECT_EQ(commit.error().code, "import_closed");
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0) << "nothing of a failed import is kept";
  auto runs = store_->import_runs(list);
  ASSERT_OK(runs);
  EXPECT_TRUE(runs->empty());
}

TEST_P(StoreTest, DuplicateOfACommittedLeadFailsTheNextImport) {
  int64_t list = make_list("acme", "spring");
  import(list, {make_lead(12125550001, 2), make_lead(12125550002, 3)});
  auto writer = store_->begin_import(list, ImportRun{});
  ASSERT_OK(writer);
  auto s =
      (*writer)->append(std::vector<Lead>{make_lead(12125550009, 2), make_lead(12125550002, 3)});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "duplicate_lead");
  writer->reset();
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2);
  auto runs = store_->import_runs(list);
  ASSERT_OK(runs);
  EXPECT_EQ(runs->size(), 1u);
}

TEST_P(StoreTest, SamePhoneInTwoLists) {
  int64_t spring = make_list("acme", "spring");
  auto autumn = store_->ensure_list("acme", "autumn");
  ASSERT_OK(autumn);
  import(spring, {make_lead(12125550001, 2)});
  import(*autumn, {make_lead(12125550001, 2)});
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 2);
}

TEST_P(StoreTest, InvalidLeadsFailTheImport) {
  int64_t list = make_list("acme", "spring");
  for (Lead bad : {make_lead(0, 7), make_lead(1'000'000'000'000'000, 7)}) {
    auto writer = store_->begin_import(list, ImportRun{});
    ASSERT_OK(writer);
    auto s = (*writer)->append(std::vector<Lead>{make_lead(12125550001, 6), bad});
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, "invalid_lead");
    EXPECT_NE(s.error().message.find("line 7"), std::string::npos) << s.error().message;
  }
  Lead bad_json = make_lead(12125550002, 8);
  bad_json.attributes_json = "{\"segment\": ";
  auto writer = store_->begin_import(list, ImportRun{});
  ASSERT_OK(writer);
  auto s = (*writer)->append(std::vector<Lead>{make_lead(12125550001, 6), bad_json});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "invalid_lead");
  EXPECT_NE(s.error().message.find("line 8"), std::string::npos) << s.error().message;
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 0);
}

TEST_P(StoreTest, OneImportAtATimeAndOnlyIntoAList) {
  int64_t list = make_list("acme", "spring");
  auto missing = store_->begin_import(list + 1000, ImportRun{});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "no_such_list");
  auto first = store_->begin_import(list, ImportRun{});
  ASSERT_OK(first);
  auto second = store_->begin_import(list, ImportRun{});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "import_in_progress");
  auto migrate = store_->migrate();
  ASSERT_FALSE(migrate.ok());
  EXPECT_EQ(migrate.error().code, "import_in_progress");
  (*first)->rollback();
  auto third = store_->begin_import(list, ImportRun{});
  ASSERT_OK(third);
}

// --- reading leads back ---

Lead full_lead() {
  Lead l;
  l.phone = 393471234567;
  l.phone_raw = "+39 347 123 4567";
  l.extension = "42";
  l.number_type = "mobile";
  l.time_zones = "Europe/Rome";
  l.first_name = "José Ñúñez";
  l.last_name = "山田 🎉";
  l.email = "jose@example.it";
  l.address = "Via dell'Orso 5\tint. 3\nscala \"B\" \\ 2";
  l.city = "Città di Castello";
  l.region = "PG";
  l.postal_code = "06012";
  l.country = "IT";
  l.attributes_json =
      R"({"segment":"gold","visits":3,"tags":["a","ü"],"nested":{"ok":true,"x":null},"ratio":0.25})";
  l.facts.consent_at = test_epoch() - hours(24 * 40);
  l.facts.consent_revoked_at = test_epoch() - hours(24 * 3);
  l.facts.last_purchase_at = Instant(seconds(946'684'799));  // one second before 2000
  l.facts.last_inquiry_at = Instant(seconds(0));
  l.facts.contract_active = true;
  l.facts.contract_ended_at = test_epoch() + hours(24 * 365);
  l.score = 0.1 + 0.2;  // not exactly 0.3: must come back bit for bit
  l.source_line = 123456789012;
  return l;
}

void expect_same_lead(const Lead& got, const Lead& want) {
  EXPECT_EQ(got.phone, want.phone);
  EXPECT_EQ(got.phone_raw, want.phone_raw);
  EXPECT_EQ(got.extension, want.extension);
  EXPECT_EQ(got.number_type, want.number_type);
  EXPECT_EQ(got.time_zones, want.time_zones);
  EXPECT_EQ(got.first_name, want.first_name);
  EXPECT_EQ(got.last_name, want.last_name);
  EXPECT_EQ(got.email, want.email);
  EXPECT_EQ(got.address, want.address);
  EXPECT_EQ(got.city, want.city);
  EXPECT_EQ(got.region, want.region);
  EXPECT_EQ(got.postal_code, want.postal_code);
  EXPECT_EQ(got.country, want.country);
  EXPECT_EQ(nlohmann::json::parse(got.attributes_json),
            nlohmann::json::parse(want.attributes_json.empty() ? "{}" : want.attributes_json))
      << got.attributes_json;
  EXPECT_EQ(got.facts.consent_at, want.facts.consent_at);
  EXPECT_EQ(got.facts.consent_revoked_at, want.facts.consent_revoked_at);
  EXPECT_EQ(got.facts.last_purchase_at, want.facts.last_purchase_at);
  EXPECT_EQ(got.facts.last_inquiry_at, want.facts.last_inquiry_at);
  EXPECT_EQ(got.facts.contract_active, want.facts.contract_active);
  EXPECT_EQ(got.facts.contract_ended_at, want.facts.contract_ended_at);
  EXPECT_EQ(got.score.has_value(), want.score.has_value());
  if (got.score && want.score) {
    EXPECT_EQ(*got.score, *want.score);  // exact, not near
  }
  EXPECT_EQ(got.source_line, want.source_line);
}

TEST_P(StoreTest, GetLeadRoundTripsEveryField) {
  int64_t list = make_list("acme", "italia");
  Lead full = full_lead();
  Lead bare;
  bare.phone = 12125550123;
  bare.phone_raw = "(212) 555-0123";
  bare.attributes_json = "";
  Lead zero_score = make_lead(12125550124, 9);
  zero_score.score = 0.0;
  zero_score.attributes_json = "{}";
  ImportRun run = import(list, {full, bare, zero_score});

  std::vector<Lead> all = scan({});
  ASSERT_EQ(all.size(), 3u);
  for (size_t i = 0; i < all.size(); ++i) {
    auto got = store_->get_lead(all[i].id);
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->id, all[i].id);
    EXPECT_EQ((*got)->list_id, list);
    EXPECT_EQ((*got)->import_id, run.id);
    expect_same_lead(**got, i == 0 ? full : i == 1 ? bare : zero_score);
    expect_same_lead(all[i], **got);
  }
  EXPECT_FALSE((*store_->get_lead(all[1].id))->score.has_value());
  EXPECT_EQ((*store_->get_lead(all[2].id))->score, 0.0);

  auto missing = store_->get_lead(all.back().id + 100);
  ASSERT_OK(missing);
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreTest, TimesAreKeptToTheSecond) {
  int64_t list = make_list("acme", "spring");
  Lead l = make_lead(12125550001, 2);
  l.facts.consent_at = test_epoch() + milliseconds(999);
  l.facts.last_inquiry_at = Instant(milliseconds(-1500));  // 1969-12-31T23:59:58.5Z
  import(list, {l});
  auto got = scan({});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].facts.consent_at, test_epoch());
  EXPECT_EQ(got[0].facts.last_inquiry_at, Instant(seconds(-2)));
}

// Two tenants, three lists, leads in three countries and several regions.
TEST_P(StoreTest, ScanAndCountFilters) {
  int64_t acme_spring = make_list("acme", "spring");
  auto acme_autumn = store_->ensure_list("acme", "autumn");
  auto globex_spring = store_->ensure_list("globex", "spring");
  ASSERT_OK(acme_autumn);
  ASSERT_OK(globex_spring);
  import(acme_spring,
         {make_lead(12125550001, 2, "US", "NY"), make_lead(13105550002, 3, "US", "CA"),
          make_lead(393471234567, 4, "IT", "MI"), make_lead(14165550003, 5, "CA", "ON")});
  import(*acme_autumn,
         {make_lead(12125550001, 2, "US", "NY"), make_lead(12125550004, 3, "US", "NY")});
  import(*globex_spring,
         {make_lead(12125550001, 2, "US", "NY"), make_lead(393471234568, 3, "IT", "RM")});

  struct Case {
    LeadFilter filter;
    std::vector<uint64_t> phones;  // in id order
  };
  const std::vector<Case> cases = {
      {{},
       {12125550001, 13105550002, 393471234567, 14165550003, 12125550001, 12125550004, 12125550001,
        393471234568}},
      {{.tenant = "acme"},
       {12125550001, 13105550002, 393471234567, 14165550003, 12125550001, 12125550004}},
      {{.list = "spring"},
       {12125550001, 13105550002, 393471234567, 14165550003, 12125550001, 393471234568}},
      {{.tenant = "acme", .list = "spring"}, {12125550001, 13105550002, 393471234567, 14165550003}},
      {{.tenant = "globex", .list = "autumn"}, {}},
      {{.tenant = "nobody"}, {}},
      {{.country = "IT"}, {393471234567, 393471234568}},
      {{.tenant = "acme", .country = "US"}, {12125550001, 13105550002, 12125550001, 12125550004}},
      {{.region = "NY"}, {12125550001, 12125550001, 12125550004, 12125550001}},
      {{.tenant = "acme", .list = "autumn", .country = "US", .region = "NY"},
       {12125550001, 12125550004}},
      {{.country = "US", .region = "ON"}, {}},
      {{.limit = 3}, {12125550001, 13105550002, 393471234567}},
      {{.list = "spring", .country = "IT", .limit = 1}, {393471234567}},
      {{.limit = 0}, {}},
      {{.limit = 100},
       {12125550001, 13105550002, 393471234567, 14165550003, 12125550001, 12125550004, 12125550001,
        393471234568}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    std::vector<Lead> got = scan(cases[i].filter);
    std::vector<uint64_t> phones;
    for (size_t j = 0; j < got.size(); ++j) {
      phones.push_back(got[j].phone);
      if (j > 0) {
        EXPECT_LT(got[j - 1].id, got[j].id) << "scan must go in id order";
      }
    }
    EXPECT_EQ(phones, cases[i].phones);
    auto count = store_->count_leads(cases[i].filter);
    ASSERT_OK(count);
    EXPECT_EQ(*count, static_cast<int64_t>(cases[i].phones.size()));
  }
}

TEST_P(StoreTest, ScanStopsWhenTheSinkSaysSo) {
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (uint64_t i = 0; i < 50; ++i) leads.push_back(make_lead(12125550000 + i, i + 2));
  import(list, leads);
  int calls = 0;
  ASSERT_OK(store_->scan_leads({}, [&](const Lead&) { return ++calls < 3; }));
  EXPECT_EQ(calls, 3);
}

TEST_P(StoreTest, ScanStreamsLargeListsInOrder) {
  // More rows than one page of the PostgreSQL scan.
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (uint64_t i = 0; i < 4500; ++i)
    leads.push_back(make_lead(12125550000 + i * 7, i + 2, i % 3 == 0 ? "IT" : "US"));
  import(list, leads, 2000);
  std::vector<Lead> all = scan({});
  ASSERT_EQ(all.size(), 4500u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].phone, leads[i].phone) << "at " << i;
    if (i > 0) {
      ASSERT_LT(all[i - 1].id, all[i].id);
    }
  }
  EXPECT_EQ(scan({.country = "IT"}).size(), 1500u);
  EXPECT_EQ(scan({.limit = 2100}).size(), 2100u);
  EXPECT_EQ(scan({.country = "US", .limit = 2999}).size(), 2999u);
  EXPECT_EQ(scan({.country = "US", .limit = 4000}).size(), 3000u);
}

TEST_P(StoreTest, ScanStoppedEarlyLeavesTheStoreUsable) {
  // The stop falls inside the PostgreSQL scan's second page, whose rest
  // must be dropped before the connection can take the next statement.
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (uint64_t i = 0; i < 5000; ++i) leads.push_back(make_lead(12125550000 + i, i + 2));
  import(list, leads, 2500);
  for (int stop_after : {1, 1500}) {
    SCOPED_TRACE("stop after " + std::to_string(stop_after));
    int calls = 0;
    int64_t last_id = 0;
    ASSERT_OK(store_->scan_leads({}, [&](const Lead& l) {
      last_id = l.id;
      return ++calls < stop_after;
    }));
    EXPECT_EQ(calls, stop_after);
    // Every kind of call works at once on the same Store.
    auto count = store_->count_leads({});
    ASSERT_OK(count);
    EXPECT_EQ(*count, 5000);
    auto got = store_->get_lead(last_id);
    ASSERT_OK(got);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->phone, leads[static_cast<size_t>(stop_after) - 1].phone);
    EXPECT_EQ(scan({.limit = 3}).size(), 3u);
    auto more = store_->ensure_list("acme", "autumn");
    ASSERT_OK(more);
  }
  std::vector<Lead> all = scan({});
  ASSERT_EQ(all.size(), 5000u);
  EXPECT_EQ(all.back().phone, leads.back().phone);
}

TEST_P(StoreTest, ScanStoppedEarlyInsideAnImportKeepsTheImport) {
  int64_t list = make_list("acme", "spring");
  std::vector<Lead> leads;
  for (uint64_t i = 0; i < 3000; ++i) leads.push_back(make_lead(12125550000 + i, i + 2));
  import(list, leads, 3000);
  auto writer = store_->begin_import(list, ImportRun{.file_name = "more.csv"});
  ASSERT_OK(writer);
  ASSERT_OK((*writer)->append(std::vector<Lead>{make_lead(13105550000, 2)}));
  int calls = 0;
  ASSERT_OK(store_->scan_leads({}, [&](const Lead&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);
  ASSERT_OK((*writer)->append(std::vector<Lead>{make_lead(13105550001, 3)}));
  ASSERT_OK((*writer)->commit(ImportRun{.rows = 2, .imported = 2}));
  auto count = store_->count_leads({});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 3002);
}

// Every text field full of what a text COPY, CSV or SQL literal would have
// to escape; the scan and get_lead give back the same bytes.
TEST_P(StoreTest, ScanRoundTripsAwkwardText) {
  int64_t list = make_list("acme", "spring");
  const std::string awkward = "a\tb\nc\r\\d \\N \"q\" 'o' ,; é 山田 🎉 \\";
  Lead l;
  l.phone = 393471234567;
  l.phone_raw = "\\N";  // the NULL marker of text COPY, as data
  l.extension = awkward + "ext";
  l.number_type = awkward + "type";
  l.time_zones = awkward + "zones";
  l.first_name = awkward + "first";
  l.last_name = "\\";
  l.email = awkward + "email";
  l.address = awkward + "address";
  l.city = awkward + "city";
  l.region = "O'Brien \\ \t";
  l.postal_code = awkward + "postal";
  l.country = "I'T";
  nlohmann::json attributes = {{awkward, awkward}, {"n", nullptr}, {"list", {awkward, 1.5}}};
  l.attributes_json = attributes.dump();
  l.source_line = 7;
  ASSERT_FALSE(l.score.has_value());
  Lead plain = make_lead(12125550001, 8);
  plain.score = 0.5;
  import(list, {l, plain});

  std::vector<Lead> all = scan({});
  ASSERT_EQ(all.size(), 2u);
  expect_same_lead(all[0], l);
  expect_same_lead(all[1], plain);
  auto got = store_->get_lead(all[0].id);
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  expect_same_lead(**got, l);
  // Filter values are data too, quotes and backslashes included.
  std::vector<Lead> by_region = scan({.region = l.region});
  ASSERT_EQ(by_region.size(), 1u);
  EXPECT_EQ(by_region[0].id, all[0].id);
  std::vector<Lead> by_country = scan({.tenant = "acme", .list = "spring", .country = "I'T"});
  ASSERT_EQ(by_country.size(), 1u);
  EXPECT_EQ(by_country[0].id, all[0].id);
  EXPECT_TRUE(scan({.country = "I'T' OR 'x' = 'x"}).empty());
}

// Two lists whose leads interleave in id order, scanned by list, country,
// region and limit across several PostgreSQL pages; the expected leads are
// worked out here from what was imported.
TEST_P(StoreTest, ScanFiltersAcrossPages) {
  int64_t spring = make_list("acme", "spring");
  auto autumn = store_->ensure_list("acme", "autumn");
  auto other = store_->ensure_list("globex", "spring");
  ASSERT_OK(autumn);
  ASSERT_OK(other);
  struct Imported {
    Lead lead;
    std::string tenant, list;
  };
  std::vector<Imported> in_id_order;
  const char* regions[] = {"NY", "CA", "TX"};
  uint64_t line = 2;
  for (int round = 0; round < 6; ++round) {
    for (auto [list_id, tenant, name] : {std::tuple{spring, "acme", "spring"},
                                         std::tuple{*autumn, "acme", "autumn"},
                                         std::tuple{*other, "globex", "spring"}}) {
      std::vector<Lead> batch;
      for (int i = 0; i < 700; ++i, ++line) {
        Lead lead = make_lead(12125550000 + line, line, line % 4 == 0 ? "IT" : "US",
                              regions[line % 3]);
        batch.push_back(lead);
        in_id_order.push_back({lead, tenant, name});
      }
      import(list_id, batch);
    }
  }
  const std::vector<LeadFilter> filters = {
      {.tenant = "acme", .list = "spring"},
      {.list = "spring"},
      {.tenant = "acme"},
      {.tenant = "acme", .list = "autumn", .region = "TX"},
      {.list = "spring", .country = "IT", .region = "NY"},
      {.tenant = "acme", .list = "spring", .limit = 2500},
      {.country = "US", .limit = 3001},
      {.tenant = "globex", .list = "autumn"},
      {.tenant = "nobody"},
  };
  for (size_t c = 0; c < filters.size(); ++c) {
    SCOPED_TRACE("filter " + std::to_string(c));
    const LeadFilter& f = filters[c];
    std::vector<uint64_t> want;
    for (const Imported& i : in_id_order) {
      if (f.limit && static_cast<int64_t>(want.size()) >= *f.limit) break;
      if ((f.tenant && i.tenant != *f.tenant) || (f.list && i.list != *f.list) ||
          (f.country && i.lead.country != *f.country) || (f.region && i.lead.region != *f.region))
        continue;
      want.push_back(i.lead.phone);
    }
    std::vector<uint64_t> got;
    int64_t last_id = 0;
    for (const Lead& l : scan(f)) {
      got.push_back(l.phone);
      EXPECT_LT(last_id, l.id);
      last_id = l.id;
    }
    EXPECT_EQ(got, want);
    auto count = store_->count_leads(f);
    ASSERT_OK(count);
    EXPECT_EQ(*count, static_cast<int64_t>(want.size()));
  }
}

// --- import runs ---

TEST_P(StoreTest, ImportRunsAreRecorded) {
  int64_t list = make_list("acme", "spring");
  auto writer =
      store_->begin_import(list, ImportRun{.file_name = "spring.csv",
                                           .file_sha256 = std::string(64, 'a'),
                                           .started_at = test_epoch() + milliseconds(1500)});
  ASSERT_OK(writer);
  ASSERT_OK(
      (*writer)->append(std::vector<Lead>{make_lead(12125550001, 2), make_lead(12125550002, 4)}));
  auto first = (*writer)->commit(ImportRun{.rows = 5,
                                           .imported = 2,
                                           .duplicates = 1,
                                           .rejected = 2,
                                           .finished_at = test_epoch() + seconds(9)});
  ASSERT_OK(first);
  EXPECT_EQ(first->list_id, list);
  EXPECT_EQ(first->file_name, "spring.csv");
  EXPECT_EQ(first->started_at, test_epoch() + seconds(1));
  EXPECT_EQ(first->finished_at, test_epoch() + seconds(9));

  // Unset times mean "now" by the store's clock; names may be given late.
  clock_.set(test_epoch() + hours(2));
  auto writer2 = store_->begin_import(list, ImportRun{});
  ASSERT_OK(writer2);
  clock_.advance(seconds(30));
  auto second = (*writer2)->commit(ImportRun{.file_name = "late.csv", .file_sha256 = "abc"});
  ASSERT_OK(second);

  auto runs = store_->import_runs(list);
  ASSERT_OK(runs);
  ASSERT_EQ(runs->size(), 2u);
  const ImportRun& a = (*runs)[0];
  EXPECT_EQ(a.id, first->id);
  EXPECT_EQ(a.list_id, list);
  EXPECT_EQ(a.file_name, "spring.csv");
  EXPECT_EQ(a.file_sha256, std::string(64, 'a'));
  EXPECT_EQ(a.rows, 5);
  EXPECT_EQ(a.imported, 2);
  EXPECT_EQ(a.duplicates, 1);
  EXPECT_EQ(a.rejected, 2);
  EXPECT_EQ(a.started_at, test_epoch() + seconds(1));
  EXPECT_EQ(a.finished_at, test_epoch() + seconds(9));
  const ImportRun& b = (*runs)[1];
  EXPECT_EQ(b.id, second->id);
  EXPECT_GT(b.id, a.id);
  EXPECT_EQ(b.file_name, "late.csv");
  EXPECT_EQ(b.file_sha256, "abc");
  EXPECT_EQ(b.rows, 0);
  EXPECT_EQ(b.started_at, test_epoch() + hours(2));
  EXPECT_EQ(b.finished_at, test_epoch() + hours(2) + seconds(30));

  auto leads = scan({});
  ASSERT_EQ(leads.size(), 2u);
  EXPECT_EQ(leads[0].import_id, a.id);
  auto other_list = store_->ensure_list("acme", "autumn");
  ASSERT_OK(other_list);
  auto none = store_->import_runs(*other_list);
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
}

// --- phones of a list ---

TEST_P(StoreTest, ListPhonesStreamsOneList) {
  int64_t spring = make_list("acme", "spring");
  auto autumn = store_->ensure_list("acme", "autumn");
  auto empty = store_->ensure_list("acme", "empty");
  ASSERT_OK(autumn);
  ASSERT_OK(empty);
  std::vector<Lead> leads;
  std::vector<uint64_t> want;
  for (uint64_t i = 0; i < 3000; ++i) {
    leads.push_back(make_lead(447700900000 + i * 13, i + 2, "GB", ""));
    want.push_back(leads.back().phone);
  }
  import(spring, leads);
  import(*autumn, {make_lead(12125550001, 2)});

  std::vector<uint64_t> got;
  ASSERT_OK(store_->list_phones(spring, [&](uint64_t p) { got.push_back(p); }));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, want);

  got.clear();
  ASSERT_OK(store_->list_phones(*empty, [&](uint64_t p) { got.push_back(p); }));
  EXPECT_TRUE(got.empty());
  // The connection is usable after streaming.
  auto count = store_->count_leads({.list = "autumn"});
  ASSERT_OK(count);
  EXPECT_EQ(*count, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), backend_name);

}  // namespace
}  // namespace telemark::store::testing
