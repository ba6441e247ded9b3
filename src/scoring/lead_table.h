// LeadTable: scoring Tables built from stored leads, so that a model scores
// (score apply --list) and learns from (score train --campaign) the leads
// Telemark holds, exactly as it would from their CSV export.
//
// Columns: the built-in lead fields under the names `telemark leads
// --export` gives them (lead_id, list_id, phone, ..., country, the fact
// dates consent_at ... contract_ended_at in ISO 8601, contract_active as
// true/false), then every custom attribute (the imported file's extra
// columns) under its own name; an attribute whose name is a built-in
// field's is named "attributes.NAME". The stored score is not a column: it
// is a model's output, not something known about the prospect. JSON
// attribute values become text: strings as they are, numbers and booleans
// as JSON writes them, null as a missing cell.
//
// A LeadTableBuilder fills a chosen set of columns (a model's, or every
// column of a set of leads), lead by lead, into Tables the caller owns, so
// a caller can build a list in chunks and keep memory flat. Each row's
// source line is the lead id, so encoding issues name a lead.
//
// apply_to_leads() is `score apply --list`: it scores the leads a filter
// selects, chunk by chunk, and stores the scores with one
// Store::set_lead_scores call (all or nothing; campaign enrollments are
// refreshed, so the hopper calls the best-scored first).
//
// Thread-safety: a builder is used by one thread at a time;
// apply_to_leads() uses the Store it is given (one thread at a time).
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "scoring/model.h"
#include "scoring/table.h"
#include "store/campaign_store.h"
#include "store/store.h"

namespace telemark::scoring {

// The built-in lead fields, in export order.
std::span<const std::string_view> lead_field_columns();

// Every column of leads whose custom attributes are `attributes`: the
// built-in fields, then the attributes in name order.
std::vector<std::string> lead_columns(const std::set<std::string>& attributes);

class LeadTableBuilder {
 public:
  // Fills `columns` (names as above; a name that is neither a built-in
  // field nor an attribute of a lead is a missing cell for that lead).
  explicit LeadTableBuilder(std::vector<std::string> columns);

  const std::vector<std::string>& columns() const { return columns_; }
  // An empty Table with columns().
  Table make_table(const std::string& source) const;

  // Appends the lead as one row of `table` (made by make_table). Errors
  // ("bad_attributes") when the lead's attributes are not a JSON object.
  Status append(const store::Lead& lead, Table& table);
  // The lead's cells, one per column, into cells() (append without a Table).
  Status fill(const store::Lead& lead);
  const std::vector<std::string>& cells() const { return cells_; }

  // The attribute column names seen on the appended leads (all of them,
  // not only the filled columns).
  const std::set<std::string>& attributes_seen() const { return attributes_seen_; }

  // Reads the attribute column names of a lead (as lead_columns names them).
  static Result<std::vector<std::pair<std::string, std::string>>> attributes(const store::Lead& lead);

 private:
  std::vector<std::string> columns_;
  std::vector<int> field_of_column_;  // index into lead_field_columns(), or -1 for an attribute
  std::unordered_map<std::string, size_t> attribute_column_;
  std::set<std::string> attributes_seen_;
  std::vector<std::string> cells_;
};

// The labelled table `score train --campaign` learns from: a campaign's
// own history. One row per enrolled lead that was connected to an agent
// at least once (an attempt with an agent's disposition): calls that were
// never answered say nothing about the prospect's interest. The label
// column kHistoryLabel is "yes" when any of the lead's dispositions is in
// `success_codes` (the campaign's dispositions flagged success), else
// "no" (a pending callback counts as not yet a success). Features are the
// lead's columns as above, taken from the store now; nothing about the
// campaign is a column (state, attempts, dispositions, talk time, call
// times are known only after calling, and would leak the label).
inline constexpr std::string_view kHistoryLabel = "campaign_success";

struct HistoryTable {
  Table table;
  uint64_t attempts = 0;       // the campaign's attempts
  uint64_t leads_called = 0;   // leads with at least one attempt
  uint64_t leads_connected = 0;  // rows of the table
  uint64_t successes = 0;
};

// Errors: "no_attempts" (nothing called yet), "no_contacts" (no call
// reached an agent), "bad_history_label" (a lead attribute is named
// kHistoryLabel), "bad_attributes", and the stores'.
Result<HistoryTable> campaign_history_table(store::Store& store, store::CampaignStore& campaigns, int64_t campaign_id,
                                            const std::set<std::string>& success_codes, const std::string& source);

struct LeadApplyOptions {
  std::string source;  // "list acme/spring", for messages
  size_t chunk_rows = 65536;
  size_t top = 10;
  PredictOptions predict;
};

struct LeadApplyReport {
  uint64_t rows = 0;
  std::vector<ColumnEncodeIssue> issues;  // first_line is a lead id
  std::vector<double> quantiles;          // 0 %, 10 %, ..., 100 % of the scores
  std::vector<store::LeadScore> top;      // the best-scored leads, best first (up to options.top)
  double mean = 0;
  double read_seconds = 0;   // scanning the leads and building tables
  double score_seconds = 0;  // encoding and predicting
  double write_seconds = 0;  // Store::set_lead_scores
};

// Errors: "empty_list" (no lead matches), "missing_columns" (the model
// needs a column that is neither a lead field nor an attribute of any of
// the leads; the message names it and the columns the leads have),
// "bad_attributes", and the store's. Nothing is stored unless every lead
// was scored.
Result<LeadApplyReport> apply_to_leads(const Model& model, store::Store& store, const store::LeadFilter& filter,
                                       const LeadApplyOptions& options);

}  // namespace telemark::scoring
