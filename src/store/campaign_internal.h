// The CampaignStore backends' entry points (not a public header).
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "store/campaign_store.h"

namespace telemark::store::internal {

Result<std::unique_ptr<CampaignStore>> open_campaign_sqlite(const std::string& path);
Result<std::unique_ptr<CampaignStore>> open_campaign_postgres(const std::string& url);

// The states a lead is not called in (no next call), as SQL text.
inline constexpr const char* kCallableStates = "('new', 'in_progress', 'contacted', 'follow_up')";

}  // namespace telemark::store::internal
