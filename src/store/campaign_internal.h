// The CampaignStore backends' entry points (not a public header).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "store/campaign_store.h"

namespace telemark::store::internal {

Result<std::unique_ptr<CampaignStore>> open_campaign_sqlite(const std::string& path);
Result<std::unique_ptr<CampaignStore>> open_campaign_postgres(const std::string& url);

// The states a lead is called in, as SQL text.
inline constexpr const char* kCallableStates = "('new', 'in_progress', 'contacted', 'follow_up')";

// The hopper's order (campaign_store.h): due callbacks first, then score,
// highest first with unscored leads last, then oldest lead first.
inline bool hopper_order(const CampaignLead& a, const CampaignLead& b) {
  bool ca = a.state == "follow_up", cb = b.state == "follow_up";
  if (ca != cb) return ca;
  if (a.score.has_value() != b.score.has_value()) return a.score.has_value();
  if (a.score && *a.score != *b.score) return *a.score > *b.score;
  return a.lead_id < b.lead_id;
}

}  // namespace telemark::store::internal
