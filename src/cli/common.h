// Shared plumbing for subcommands: opening the store (migrating it on the
// way, so every command works on a fresh database), loading reference data,
// and small output helpers.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/command.h"
#include "store/store.h"

namespace telemark::store {
class CampaignStore;
}

namespace telemark::phone {
class PhoneNormalizer;
class TimeZoneTable;
class NanpRegions;
}  // namespace telemark::phone

namespace telemark::cli {

// Opens --db and migrates it; throws CliError (kExitStore) with a message
// naming the database on failure.
std::unique_ptr<store::Store> open_store(const GlobalOptions& global);
// The campaigns' dialing state on --db (open_store() has migrated it).
std::unique_ptr<store::CampaignStore> open_campaign_store(const GlobalOptions& global);

const phone::PhoneNormalizer& normalizer();
const phone::TimeZoneTable& time_zones();
const phone::NanpRegions& nanp_regions();

// The location without a password ("postgresql://user@host/db").
std::string redact_location(const std::string& location);

// Pads or cuts to `width` characters (UTF-8 code points, not bytes), so
// accented names keep a table's columns straight.
std::string cell(std::string_view s, size_t width);

}  // namespace telemark::cli
