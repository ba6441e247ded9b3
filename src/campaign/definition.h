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
//   list = "spring-leads"            # optional: the lead list the campaign calls
//   where = "score >= 0.3 and region in ('CA', 'NY')"  # optional: call only the list's leads
//                                    # this segment matches (src/leads/segment.h); checked here
//   [dispositions]                   # optional (lifecycle.h)
//   preset = "appointment"           # sales|survey|charity|appointment; default from purpose
//   [dispositions.codes]             # optional: add or replace codes
//   hot_lead = ["human_answered", "contact", "callback"]
//   [retry]                          # optional
//   max_attempts = 8                 # over all outcomes
//   busy = { delay = "10m", max_attempts = 4 }   # any network outcome or disposition code
//
// Errors name the file, the line and the key. Examples: rules/examples/.
// Value types; functions are pure and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "campaign/lifecycle.h"
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
  std::string list;  // lead list name; empty: none named
  std::string where;  // a segment (leads/segment.h) restricting the list; empty: every lead

  // Lead life cycle ([dispositions], [retry]); empty: the defaults.
  std::optional<DispositionPreset> disposition_preset;  // none: default_preset(purpose)
  std::vector<Disposition> dispositions;
  std::vector<RetryRule> retries;
  uint32_t max_attempts = 0;  // 0: the policy's default

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

// The campaign's disposition set and retry rules.
Result<LifecyclePolicy> lifecycle_policy(const CampaignDefinition& d);

}  // namespace telemark::campaign
