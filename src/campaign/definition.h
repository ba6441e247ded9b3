// Campaign definitions: the TOML file a user writes (`telemark campaign
// apply FILE`) parsed into a CampaignDefinition, and compiled against the
// loaded rule packs into the compliance engine's Campaign.
//
//   name = "spring-offer"            # required: letters, digits, '.', '_', '-'
//   tenant = "acme"                  # default "default"
//   purpose = "sales"                # sales|charity|political|survey|debt_collection|informational
//   caller = "telemarketer"          # self (default) | telemarketer
//   client = "Acme Windows Ltd"      # required when caller = telemarketer, else not allowed
//   call_type = "live"               # live (default) | prerecorded
//   countries = ["US", "CA"]         # ISO alpha-2; "UK" is read as "GB"
//   extra_registries = ["us-fl-dnc"] # optional registries the rule packs offer
//   description = "..."              # optional
//   [hours]                          # optional company window, callee's local time
//   start = "09:00"
//   end = "19:00"
//   days = "mon-fri"                 # optional, default every day
//
// Errors name the file, the line and the key. Examples: rules/examples/.
// Value types; functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "compliance/intent.h"
#include "compliance/rules.h"

namespace telemark::campaign {

struct CampaignDefinition {
  std::string name;
  std::string tenant = "default";
  std::string description;
  compliance::Purpose purpose = compliance::Purpose::kSales;
  compliance::Caller caller = compliance::Caller::kSelf;
  std::string client;  // the seller or charity a telemarketer calls for
  compliance::CallType call_type = compliance::CallType::kLive;
  std::vector<std::string> countries;         // upper-case ISO alpha-2
  std::vector<std::string> extra_registries;  // registry names
  std::optional<compliance::LocalWindow> hours;

  // Where it came from, for messages when compiling against the rules.
  std::string source_name;
  int countries_line = 0;
  int extra_registries_line = 0;

  friend bool operator==(const CampaignDefinition&, const CampaignDefinition&) = default;
};

// Never throws, whatever the bytes.
Result<CampaignDefinition> parse_campaign_definition(std::string_view text, const std::string& source_name);
Result<CampaignDefinition> load_campaign_definition(const std::string& path);

// The definition back as TOML (canonical key order), e.g. for storage and
// `campaign show`; parse_campaign_definition(to_toml(d)) == d up to
// source_name and lines.
std::string to_toml(const CampaignDefinition& d);

// Checks the definition against the rule packs (every country covered,
// every extra registry an optional registry of the packs) and builds the
// engine's Campaign.
Result<compliance::Campaign> compile_campaign(const CampaignDefinition& d, const compliance::RuleSet& rules);

}  // namespace telemark::campaign
