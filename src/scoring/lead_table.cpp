#include "scoring/lead_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "leads/lead_text.h"
#include "scoring/apply.h"

#include "base/time.h"

namespace telemark::scoring {
namespace {

int field_index(std::string_view name) { return leads::lead_text_field_index(name); }

std::string field_text(const store::Lead& l, int field) { return leads::lead_field_text(l, static_cast<size_t>(field)); }

std::string attribute_column(const std::string& key) {
  return field_index(key) >= 0 ? "attributes." + key : key;
}

std::string value_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return {};
  return v.dump();
}

}  // namespace

std::span<const std::string_view> lead_field_columns() { return leads::lead_text_fields(); }

std::vector<std::string> lead_columns(const std::set<std::string>& attributes) {
  auto fields = leads::lead_text_fields();
  std::vector<std::string> out(fields.begin(), fields.end());
  out.insert(out.end(), attributes.begin(), attributes.end());
  return out;
}

LeadTableBuilder::LeadTableBuilder(std::vector<std::string> columns) : columns_(std::move(columns)) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    int f = field_index(columns_[i]);
    field_of_column_.push_back(f);
    if (f < 0) attribute_column_.emplace(columns_[i], i);
  }
  cells_.resize(columns_.size());
}

Table LeadTableBuilder::make_table(const std::string& source) const {
  Table t(columns_);
  t.set_source(source);
  return t;
}

Result<std::vector<std::pair<std::string, std::string>>> LeadTableBuilder::attributes(const store::Lead& lead) {
  std::vector<std::pair<std::string, std::string>> out;
  if (lead.attributes_json.empty() || lead.attributes_json == "{}") return out;
  auto j = nlohmann::json::parse(lead.attributes_json, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error("bad_attributes", "lead " + std::to_string(lead.id) + ": custom attributes are not a JSON object");
  out.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) out.emplace_back(attribute_column(it.key()), value_text(it.value()));
  return out;
}

Status LeadTableBuilder::append(const store::Lead& lead, Table& table) {
  if (Status s = fill(lead); !s) return s;
  table.append_row(std::span<const std::string>(cells_), static_cast<uint64_t>(lead.id));
  return {};
}

Status LeadTableBuilder::fill(const store::Lead& lead) {
  for (size_t i = 0; i < columns_.size(); ++i)
    if (field_of_column_[i] >= 0) cells_[i] = field_text(lead, field_of_column_[i]);
    else cells_[i].clear();
  auto attrs = attributes(lead);
  if (!attrs.ok()) return attrs.error();
  for (auto& [name, value] : *attrs) {
    if (!attributes_seen_.contains(name)) attributes_seen_.insert(name);
    auto it = attribute_column_.find(name);
    if (it != attribute_column_.end()) cells_[it->second] = std::move(value);
  }
  return {};
}

Result<HistoryTable> campaign_history_table(store::Store& store, store::CampaignStore& campaigns, int64_t campaign_id,
                                            const std::set<std::string>& success_codes, const std::string& source) {
  auto attempts = campaigns.attempts(campaign_id, std::nullopt);
  if (!attempts.ok()) return attempts.error();
  HistoryTable out;
  out.attempts = attempts->size();
  if (attempts->empty())
    return make_error("no_attempts", source + ": no calls yet, nothing to learn from (run the campaign first)");
  std::map<int64_t, bool> connected;  // lead -> any success, for leads an agent spoke to
  std::set<int64_t> called;
  for (const auto& a : *attempts) {
    called.insert(a.lead_id);
    if (a.disposition.empty()) continue;
    bool& success = connected[a.lead_id];
    success = success || success_codes.contains(a.disposition);
  }
  out.leads_called = called.size();
  if (connected.empty())
    return make_error("no_contacts", fmt::format("{}: {} calls to {} leads, none connected to an agent yet: nothing "
                                                 "to learn from",
                                                 source, out.attempts, out.leads_called));
  std::vector<store::Lead> leads;
  leads.reserve(connected.size());
  std::set<std::string> attributes;
  for (const auto& [id, success] : connected) {
    auto lead = store.get_lead(id);
    if (!lead.ok()) return lead.error();
    if (!lead->has_value()) continue;  // enrolled leads are never deleted; defensive
    auto attrs = LeadTableBuilder::attributes(**lead);
    if (!attrs.ok()) return attrs.error();
    for (const auto& [name, value] : *attrs) attributes.insert(name);
    leads.push_back(std::move(**lead));
  }
  if (attributes.contains(std::string(kHistoryLabel)))
    return make_error("bad_history_label", fmt::format("{}: the leads have an attribute named '{}', the name of the "
                                                       "label column",
                                                       source, kHistoryLabel));
  std::vector<std::string> columns = lead_columns(attributes);
  LeadTableBuilder builder(columns);
  columns.emplace_back(kHistoryLabel);
  Table table(columns);
  table.set_source(source);
  std::vector<std::string_view> cells(columns.size());
  for (const auto& lead : leads) {
    if (Status s = builder.fill(lead); !s) return s.error();
    for (size_t c = 0; c + 1 < columns.size(); ++c) cells[c] = builder.cells()[c];
    bool success = connected[lead.id];
    cells.back() = success ? "yes" : "no";
    out.successes += success ? 1 : 0;
    table.append_row(std::span<const std::string_view>(cells), static_cast<uint64_t>(lead.id));
  }
  out.leads_connected = table.rows();
  out.table = std::move(table);
  return out;
}

Result<LeadApplyReport> apply_to_leads(const Model& model, store::Store& store, const store::LeadFilter& filter,
                                       const LeadApplyOptions& options) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::vector<std::string> needed;
  for (const auto& c : model.spec().columns) needed.push_back(c.name);
  LeadTableBuilder builder(needed);
  LeadApplyReport report;
  std::vector<store::LeadScore> scores;
  Table chunk = builder.make_table(options.source);
  std::vector<int64_t> chunk_ids;
  Status failed;
  Clock::duration scoring{};
  auto flush = [&]() -> Status {
    if (chunk.rows() == 0) return {};
    auto t0 = Clock::now();
    auto pred = model.predict(chunk, options.predict);
    if (!pred.ok()) return pred.error();
    merge_issues(report.issues, pred->issues);
    for (size_t i = 0; i < chunk_ids.size(); ++i) scores.push_back({chunk_ids[i], pred->scores[i]});
    chunk = builder.make_table(options.source);
    chunk_ids.clear();
    scoring += Clock::now() - t0;
    return {};
  };
  auto t_start = Clock::now();
  Status scanned = store.scan_leads(filter, [&](const store::Lead& lead) {
    if (Status s = builder.append(lead, chunk); !s) {
      failed = s;
      return false;
    }
    chunk_ids.push_back(lead.id);
    if (chunk.rows() >= options.chunk_rows) {
      if (Status s = flush(); !s) {
        failed = s;
        return false;
      }
    }
    return true;
  });
  if (!scanned) return scanned.error();
  if (!failed) return failed.error();
  if (Status s = flush(); !s) return s.error();
  report.score_seconds = seconds(scoring);
  report.read_seconds = seconds(Clock::now() - t_start) - report.score_seconds;
  if (scores.empty()) return make_error("empty_list", options.source + ": no leads to score");
  // A column the model needs that no lead has is a mistake (the wrong
  // model, or a list imported without that column), not missing values.
  std::vector<std::string> missing;
  for (const auto& name : needed)
    if (field_index(name) < 0 && !builder.attributes_seen().contains(name)) missing.push_back(name);
  if (!missing.empty()) {
    std::string need, have;
    for (const auto& m : missing) need += (need.empty() ? "" : ", ") + m;
    for (const auto& c : lead_columns(builder.attributes_seen())) have += (have.empty() ? "" : ", ") + c;
    return make_error("missing_columns",
                      fmt::format("{}: the model needs column{} {} which the leads lack (their columns: {})",
                                  options.source, missing.size() > 1 ? "s" : "", need, have));
  }
  report.rows = scores.size();
  {
    std::vector<float> sorted;
    sorted.reserve(scores.size());
    double sum = 0;
    for (const auto& s : scores) {
      sorted.push_back(static_cast<float>(s.score));
      sum += s.score;
    }
    std::sort(sorted.begin(), sorted.end());
    // The best k with a heap whose top is the worst kept (no copy of all scores).
    auto better = [](const store::LeadScore& a, const store::LeadScore& b) {
      return a.score > b.score || (a.score == b.score && a.lead_id < b.lead_id);
    };
    if (options.top > 0) {
      for (const auto& s : scores) {
        if (report.top.size() < options.top) {
          report.top.push_back(s);
          std::push_heap(report.top.begin(), report.top.end(), better);
        } else if (better(s, report.top.front())) {
          std::pop_heap(report.top.begin(), report.top.end(), better);
          report.top.back() = s;
          std::push_heap(report.top.begin(), report.top.end(), better);
        }
      }
      std::sort_heap(report.top.begin(), report.top.end(), better);
    }
    report.mean = sum / static_cast<double>(sorted.size());
    for (int q = 0; q <= 10; ++q)
      report.quantiles.push_back(sorted[static_cast<size_t>(q * (sorted.size() - 1) / 10)]);
  }
  auto t_write = Clock::now();
  auto written = store.set_lead_scores(scores);
  if (!written.ok()) return written.error();
  report.write_seconds = seconds(Clock::now() - t_write);
  return report;
}

}  // namespace telemark::scoring
