// A simulated campaign day on the production path: the campaign's leads
// enrolled from its list in the CampaignStore, the StoreHopper, the
// ComplianceGate and the StoreAttemptSink (dial.h) wired to the real Dialer,
// with the simulated telephony and agents of a sim::Scenario on a virtual
// clock. Attempts and lead states are written to the store; the campaign's
// abandonment ledger is restored from the store before the run and saved
// after it, so consecutive runs continue one accounting window.
//
// Agents' dispositions are drawn (deterministically from the seed) from
// the campaign's disposition set by flag: success, do-not-call, callback,
// a final refusal, or someone else answering. The chance of success
// depends on the lead: the ground truth of sim/prospect.h over its profile
// attributes (age, segment, channel, months_since_purchase, prior_orders),
// calibrated so that the list's mean chance is success_share; leads
// without a profile all get success_share. The other kinds keep their
// shares of the remaining calls. A callback belongs to the agent who took
// the call (simulated agents keep their ids from day to day), so the next
// day's run routes it to them (dialer.h: personal callbacks); agents who
// log in late or are on a break are waited for or given the callback
// back, as in production.
//
// Thread-safety: none; everything borrowed must outlive the call.
#pragma once

#include <map>
#include <string>

#include "campaign/dial.h"
#include "dialer/abandonment.h"
#include "dialer/mode.h"
#include "phone/regions.h"
#include "sim/run.h"
#include "sim/scenario.h"

namespace telemark::campaign {

struct CampaignDayOptions {
  dialer::DialMode mode = dialer::DialMode::predictive();
  int agents = 10;
  double hours = 1.0;
  uint64_t seed = 1;
  Instant start{};
  std::string owner = "sim-node-1";  // the hopper's lease owner
  // Shares of connected calls by disposition kind (the rest: someone else
  // answered, try again); success_share is the list's mean (see above).
  double success_share = 0.12;
  double dnc_share = 0.02;
  double callback_share = 0.08;
  double refusal_share = 0.50;
};

struct CampaignDayReport {
  sim::Report sim;  // the simulator's figures (contacts: calls connected to an agent)
  SinkCounts sink;  // contacts and successes by disposition flags
  std::map<std::string, int64_t> lead_states;
  dialer::AbandonmentTotals window;  // the campaign's window at the end, restored runs included
  double abandonment_limit = 0.03;   // the window's legal ceiling
  int64_t enrolled = 0;              // leads newly enrolled by this run
  // Personal callbacks (dialer::DialerStats): dialed for their agent,
  // connected to their agent, given back to the store for later.
  uint64_t personal_callbacks_dialed = 0;
  uint64_t personal_callbacks_connected = 0;
  uint64_t personal_callbacks_deferred = 0;
  bool registries_assumed = false;
};

Result<CampaignDayReport> run_campaign_day(store::Store& store, store::CampaignStore& campaigns,
                                           const compliance::Engine& engine, const phone::TimeZoneTable& zones,
                                           const phone::NanpRegions& nanp, const DialCampaign& campaign,
                                           int64_t list_id, const sim::Scenario& scenario,
                                           const CampaignDayOptions& options);

std::string format_text(const CampaignDayReport& r);
// sim::format_json's keys plus contacts (by disposition), successes,
// connected, lead_states, window_live_answers, window_abandoned,
// abandonment_limit, abandonment_within_limit (this run's rate),
// registries_assumed, personal_callbacks_dialed, personal_callbacks_connected,
// personal_callbacks_deferred.
std::string format_json(const CampaignDayReport& r);

}  // namespace telemark::campaign
