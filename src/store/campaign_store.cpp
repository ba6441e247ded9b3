#include "store/campaign_store.h"

#include "store/campaign_internal.h"

namespace telemark::store {

Result<std::unique_ptr<CampaignStore>> CampaignStore::open(const std::string& location) {
  if (location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0)
    return internal::open_campaign_postgres(location);
  return internal::open_campaign_sqlite(location);
}

}  // namespace telemark::store
