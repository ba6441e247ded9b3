// The scrub pipeline behind `telemark scrub`: every row of a lead list (a
// CSV file or a stored list) decided for one campaign at one instant, with
// the engine the dialer uses, and written in input order to a callable file
// and a rejected file (columns lead_id,phone,verdict,reasons,next_allowed_at,
// then the input's own columns for a CSV), with counts by verdict and reason.
//
// Threads: one reader (CSV parsing or the store scan) fills batches of rows;
// `workers` threads decide whole batches (normalize, registry lookups in
// bulk, internal list, decide); the calling thread writes finished batches
// in order. Rows without lead facts or call history share decisions: the
// engine is pure, and such a row's decision depends only on the number's
// country, type, area code, candidate zones, registry and internal-list
// membership and the address region, so each worker memoizes the formatted
// decision by those (bench/scrub.sh: most rows of a real list hit). A row
// with facts or history is decided on its own.
//
// A stored list's leads get their call history in the campaign (the
// attempts before `at`, counted as the dialer's gate counts them,
// campaign/history.h): before the lead scan, the reader streams the
// campaign's recent attempts (CampaignStore::scan_recent_attempts, in lead
// order) into a compact index of the leads whose calls can change a
// decision (memory: those leads and their calls of the last 24 hours),
// then attaches each one's history to its row as the scan, in lead order
// too, passes it.
//
// A fact column whose value does not parse blocks its row with reason
// "bad_fact:COLUMN" (fail closed: a revocation or an abandoned call that
// cannot be read must not be ignored).
//
// Ownership: borrows everything in ScrubContext for the duration of the
// call. Output files are written under a temporary name and renamed into
// place when every row is done, so a failed scrub leaves no partial file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/compliance_context.h"
#include "compliance/engine.h"
#include "leads/csv.h"
#include "phone/phone.h"
#include "phone/regions.h"
#include "store/store.h"

namespace telemark::store {
class CampaignStore;
}

namespace telemark::cli {

struct ScrubContext {
  const compliance::Engine* engine = nullptr;
  const compliance::Campaign* campaign = nullptr;
  const RegistrySet* registries = nullptr;
  const InternalList* internal = nullptr;
  const phone::PhoneNormalizer* normalizer = nullptr;
  const phone::TimeZoneTable* zones = nullptr;
  const phone::NanpRegions* nanp = nullptr;
  std::string default_region;  // for numbers without a country code
  Instant at{};
  unsigned workers = 2;
  size_t batch_rows = 16384;
};

struct ScrubOutputs {
  std::string callable_path;
  std::string rejected_path;
};

struct ScrubSummary {
  uint64_t rows = 0;
  uint64_t callable = 0, not_now = 0, blocked = 0;
  std::map<std::string, uint64_t> reasons;  // a row counts once under each of its reasons
  uint64_t decision_cache_hits = 0;
  uint64_t rows_with_history = 0;  // stored leads decided with calls of theirs in the campaign
};

// Where scrub_list reads the campaign's calls (no store: no history).
struct CallHistorySource {
  store::CampaignStore* campaigns = nullptr;
  int64_t campaign_id = 0;
};

struct CsvInput {
  std::string path;
  leads::CsvOptions csv;
  std::vector<std::pair<std::string, std::string>> map;  // --map COLUMN=FIELD
};

// Throws CliError naming the file, line or setting.
ScrubSummary scrub_csv(const ScrubContext& ctx, const CsvInput& input, const ScrubOutputs& out);
ScrubSummary scrub_list(const ScrubContext& ctx, store::Store& store, const store::LeadFilter& filter,
                        const ScrubOutputs& out, const CallHistorySource& history = {});

}  // namespace telemark::cli
