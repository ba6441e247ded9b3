#include "leads/import.h"

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <cstdio>
#include <deque>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unistd.h>

#include "base/time.h"
#include "leads/fields.h"
#include "leads/phone_set.h"
#include "phone/phone.h"
#include "registry/sha256.h"
#include "store/store.h"

namespace telemark::leads {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// A row's country column: ISO alpha-2 or a common name, in English or Italian.
std::string region_from_country(std::string_view value) {
  std::string folded = fold_header(value);
  if (folded.size() == 2) return upper_ascii(folded);
  static const std::pair<const char*, const char*> names[] = {
      {"usa", "US"},           {"unitedstates", "US"},  {"unitedstatesofamerica", "US"},
      {"statiuniti", "US"},    {"america", "US"},       {"canada", "CA"},
      {"italy", "IT"},         {"italia", "IT"},        {"unitedkingdom", "GB"},
      {"uk", "GB"},            {"greatbritain", "GB"},  {"england", "GB"},
      {"scotland", "GB"},      {"wales", "GB"},         {"regnounito", "GB"},
      {"inghilterra", "GB"},   {"france", "FR"},        {"francia", "FR"},
      {"germany", "DE"},       {"germania", "DE"},      {"deutschland", "DE"},
      {"spain", "ES"},         {"spagna", "ES"},        {"espana", "ES"},
      {"switzerland", "CH"},   {"svizzera", "CH"},      {"ireland", "IE"},
      {"irlanda", "IE"},       {"mexico", "MX"},        {"messico", "MX"},
      {"austria", "AT"},       {"netherlands", "NL"},   {"belgium", "BE"},
      {"portugal", "PT"},      {"portogallo", "PT"},    {"sanmarino", "SM"},
      {"vaticancity", "VA"},   {"australia", "AU"},
  };
  for (const auto& [name, code] : names)
    if (folded == name) return code;
  return "";
}

std::optional<bool> parse_boolean(std::string_view v) {
  std::string f = fold_header(v);
  if (f.empty()) return std::nullopt;
  if (f == "1" || f == "true" || f == "yes" || f == "y" || f == "si" || f == "s" || f == "t" ||
      f == "vero")
    return true;
  if (f == "0" || f == "false" || f == "no" || f == "n" || f == "f" || f == "falso") return false;
  return std::nullopt;
}

// Appends `s` to `out` as a JSON string literal. Hand-written because it runs
// for every custom attribute of every row (nlohmann::json per row costs more
// than the rest of the row's work).
void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

class RejectFile {
 public:
  Status open(const std::string& path) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_)
      return make_error("io_error", "--rejects " + path + ": cannot create the file (" +
                                        std::strerror(errno) + ")");
    std::fputs("line,column,reason,value,raw\n", f_);
    return Status::Ok();
  }
  void add(uint64_t line, std::string_view column, std::string_view reason, std::string_view value,
           std::string_view raw) {
    if (!f_) return;
    buf_.clear();
    buf_ += std::to_string(line);
    buf_.push_back(',');
    append_csv_field(buf_, column);
    buf_.push_back(',');
    append_csv_field(buf_, reason);
    buf_.push_back(',');
    append_csv_field(buf_, value);
    buf_.push_back(',');
    append_csv_field(buf_, raw);
    buf_.push_back('\n');
    std::fwrite(buf_.data(), 1, buf_.size(), f_);
  }
  Status close() {
    if (!f_) return Status::Ok();
    bool failed = std::ferror(f_) != 0;
    failed |= std::fclose(f_) != 0;
    f_ = nullptr;
    if (failed) return make_error("io_error", "--rejects " + path_ + ": write failed");
    return Status::Ok();
  }
  ~RejectFile() {
    if (f_) std::fclose(f_);
  }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
};

// Batches travel from the parsing thread to the writing thread through this
// bounded queue, which keeps memory flat whatever the file size.
// A batch of leads whose Lead objects (and their strings' buffers) are
// reused from batch to batch: after warm-up, filling a row allocates
// nothing. `size` rows are live; `rows` may hold more, spent ones.
struct Batch {
  std::vector<store::Lead> rows;
  size_t size = 0;

  store::Lead& next_row() {
    if (size == rows.size()) rows.emplace_back();
    return rows[size];
  }
  std::span<const store::Lead> live() const { return {rows.data(), size}; }
};

class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}
  bool push(Batch&& batch) {
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] { return q_.size() < capacity_ || stopped_; });
    if (stopped_) return false;
    q_.push_back(std::move(batch));
    not_empty_.notify_one();
    return true;
  }
  std::optional<Batch> pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return !q_.empty() || closed_ || stopped_; });
    if (stopped_ || q_.empty()) return std::nullopt;
    auto b = std::move(q_.front());
    q_.pop_front();
    not_full_.notify_one();
    return b;
  }
  // Spent batches go back to the producer for reuse.
  void recycle(Batch&& batch) {
    std::lock_guard lock(mu_);
    batch.size = 0;
    spent_.push_back(std::move(batch));
  }
  Batch fresh() {
    std::lock_guard lock(mu_);
    if (spent_.empty()) return Batch{};
    Batch b = std::move(spent_.back());
    spent_.pop_back();
    return b;
  }
  void close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Batch> q_;
  std::vector<Batch> spent_;
  size_t capacity_;
  bool closed_ = false, stopped_ = false;
};

void split_full_name(std::string_view full, std::string& first, std::string& last) {
  full = trim(full);
  auto sp = full.find(' ');
  if (sp == std::string_view::npos) {
    if (first.empty()) first.assign(full);
    return;
  }
  if (first.empty()) first.assign(trim(full.substr(0, sp)));
  if (last.empty()) last.assign(trim(full.substr(sp + 1)));
}


}  // namespace

Result<std::string> sha256_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error("io_error", path + ": cannot open (" + std::strerror(errno) + ")");
  registry::Sha256 hash;
  std::vector<char> buf(1 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      return make_error("io_error", path + ": read failed (" + err + ")");
    }
    if (n == 0) break;
    hash.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  auto digest = hash.finish();
  return registry::to_hex(digest.data(), digest.size());
}

Result<ImportSummary> import_leads(store::Store& store, const phone::PhoneNormalizer& normalizer,
                                   const phone::TimeZoneTable& zones, const ImportOptions& opt) {
  ImportSummary summary;
  const std::string default_region = upper_ascii(trim(opt.default_region));
  if (!default_region.empty() && !normalizer.known_region(default_region))
    return make_error("bad_region", "--region " + opt.default_region +
                                        ": not a known ISO 3166 country code (e.g. US, CA, IT, GB)");
  if (opt.list.empty()) return make_error("bad_list", "--list: a list name is required");

  auto reader_or = CsvReader::open(opt.file, opt.csv);
  if (!reader_or.ok()) return reader_or.error();
  auto& reader = *reader_or;

  CsvRecord rec;
  auto first = reader->next(rec);
  if (!first.ok()) return first.error();
  if (!*first)
    return make_error("empty_file", opt.file +
                                        ": the file is empty; expected a header line naming the "
                                        "columns (e.g. phone,first_name,last_name) and then rows");
  std::vector<std::string> headers;
  for (auto f : rec.fields) headers.emplace_back(trim(f));
  auto mapping_or = map_columns(headers, opt.map, opt.file);
  if (!mapping_or.ok()) return mapping_or.error();
  const ColumnMapping& mapping = *mapping_or;
  const size_t ncols = headers.size();
  summary.delimiter = reader->delimiter();
  for (size_t i = 0; i < ncols; ++i)
    if (mapping.columns[i] == Field::kAttribute) summary.attribute_columns.push_back(headers[i]);

  auto sha = sha256_file(opt.file);
  if (!sha.ok()) return sha.error();
  summary.file_sha256 = *sha;

  RejectFile rejects;
  if (!opt.rejects_path.empty()) {
    if (auto s = rejects.open(opt.rejects_path); !s.ok()) return s.error();
  }

  // Dedupe against what the list already holds, then within the file.
  PhoneSet seen;
  auto existing = store.find_list(opt.tenant, opt.list);
  if (!existing.ok()) return existing.error();
  if (existing->has_value()) {
    if (auto s = store.list_phones((*existing)->id, [&](uint64_t p) { seen.insert(p); }); !s.ok())
      return s.error();
  }

  store::ImportRun run;
  run.file_name = opt.file;
  run.file_sha256 = summary.file_sha256;
  auto writer_or = store.begin_import(opt.tenant, opt.list, run);
  if (!writer_or.ok()) return writer_or.error();
  auto writer = std::move(*writer_or);
  summary.list_id = writer->list_id();

  BatchQueue queue(4);
  Status write_status;
  std::thread writer_thread([&] {
    while (auto batch = queue.pop()) {
      Status s = writer->append(batch->live());
      if (!s.ok()) {
        write_status = s;
        queue.stop();
        return;
      }
      queue.recycle(std::move(*batch));
    }
  });

  auto col = [&](Field f) { return mapping.column_of(f); };
  const auto c_phone = col(Field::kPhone), c_ext = col(Field::kExtension),
             c_first = col(Field::kFirstName), c_last = col(Field::kLastName),
             c_full = col(Field::kFullName), c_email = col(Field::kEmail),
             c_address = col(Field::kAddress), c_city = col(Field::kCity),
             c_region = col(Field::kRegion), c_postal = col(Field::kPostalCode),
             c_country = col(Field::kCountry), c_active = col(Field::kContractActive);
  const std::pair<Field, std::optional<Instant> store::LeadFacts::*> date_fields[] = {
      {Field::kConsentAt, &store::LeadFacts::consent_at},
      {Field::kConsentRevokedAt, &store::LeadFacts::consent_revoked_at},
      {Field::kLastPurchaseAt, &store::LeadFacts::last_purchase_at},
      {Field::kLastInquiryAt, &store::LeadFacts::last_inquiry_at},
      {Field::kContractEndedAt, &store::LeadFacts::contract_ended_at},
  };
  std::vector<std::pair<size_t, std::optional<Instant> store::LeadFacts::*>> date_cols;
  for (const auto& [f, member] : date_fields)
    if (auto c = col(f)) date_cols.emplace_back(*c, member);
  std::vector<size_t> attr_cols;
  for (size_t i = 0; i < ncols; ++i)
    if (mapping.columns[i] == Field::kAttribute) attr_cols.push_back(i);

  auto reject = [&](const CsvRecord& r, std::string_view column, std::string_view reason,
                    std::string_view value) {
    ++summary.rejected;
    ++summary.rejected_by_reason[std::string(reason)];
    rejects.add(r.line, column, reason, value, r.raw);
  };

  Batch batch = queue.fresh();
  std::string country_region;
  Status read_status;
  uint64_t next_progress = 65536;
  for (;;) {
    auto more = reader->next(rec);
    if (!more.ok()) {
      read_status = more.error();
      break;
    }
    if (!*more) break;
    ++summary.rows;
    if (summary.rows == 65536 && reader->total_bytes() > reader->bytes_read()) {
      // Size the dedupe set for the whole file now, while it is small.
      double per_row = static_cast<double>(reader->bytes_read()) / static_cast<double>(summary.rows);
      seen.reserve(seen.size() + static_cast<uint64_t>(static_cast<double>(reader->total_bytes()) / per_row * 1.05));
    }
    if (summary.rows >= next_progress && opt.progress) {
      next_progress += 65536;
      opt.progress({summary.rows, reader->bytes_read(), reader->total_bytes()});
    }
    const auto& f = rec.fields;
    auto get = [&](const std::optional<size_t>& c) -> std::string_view {
      return c && *c < f.size() ? trim(f[*c]) : std::string_view{};
    };
    if (f.size() > ncols) {
      bool extra = false;
      for (size_t i = ncols; i < f.size(); ++i) extra |= !trim(f[i]).empty();
      if (extra) {
        reject(rec, "", "too_many_fields",
               std::to_string(f.size()) + " fields, header has " + std::to_string(ncols));
        continue;
      }
    }
    std::string_view raw_phone = get(c_phone);
    std::string_view region = default_region;
    std::string_view country_value = get(c_country);
    if (!country_value.empty()) {
      country_region = region_from_country(country_value);
      if (!country_region.empty() && normalizer.known_region(country_region)) region = country_region;
    }
    auto outcome = normalizer.normalize(raw_phone, region);
    if (!outcome.ok) {
      reject(rec, headers[*c_phone], phone::to_string(outcome.reject), raw_phone);
      continue;
    }

    store::Lead& lead = batch.next_row();
    lead.facts = {};
    bool bad = false;
    for (const auto& [c, member] : date_cols) {
      std::string_view v = get(c);
      if (v.empty()) continue;
      auto t = parse_iso8601(v);
      if (!t.ok()) {
        reject(rec, headers[c], "bad_date", v);
        bad = true;
        break;
      }
      lead.facts.*member = *t;
    }
    if (bad) continue;
    if (std::string_view v = get(c_active); !v.empty()) {
      auto b = parse_boolean(v);
      if (!b) {
        reject(rec, headers[*c_active], "bad_boolean", v);
        continue;
      }
      lead.facts.contract_active = *b;
    }

    if (!seen.insert(outcome.phone.e164)) {
      ++summary.duplicates;
      continue;
    }

    lead.phone = outcome.phone.e164;
    lead.phone_raw.assign(raw_phone);
    lead.extension.assign(outcome.phone.extension);
    if (std::string_view e = get(c_ext); !e.empty()) lead.extension.assign(e);
    lead.number_type.assign(phone::to_string(outcome.phone.type));
    lead.time_zones.clear();
    for (const std::string& z : zones.lookup(outcome.phone.e164)) {
      if (!lead.time_zones.empty()) lead.time_zones.push_back('&');
      lead.time_zones.append(z);
    }
    lead.id = 0;
    lead.list_id = 0;
    lead.import_id = 0;
    lead.score.reset();
    lead.first_name.assign(get(c_first));
    lead.last_name.assign(get(c_last));
    if (c_full) split_full_name(get(c_full), lead.first_name, lead.last_name);
    lead.email.assign(get(c_email));
    lead.address.assign(get(c_address));
    lead.city.assign(get(c_city));
    lead.region.assign(get(c_region));
    lead.postal_code.assign(get(c_postal));
    lead.country.assign(outcome.phone.region);
    if (attr_cols.empty()) {
      lead.attributes_json.assign("{}");
    } else {
      std::string& a = lead.attributes_json;
      a.clear();
      a.push_back('{');
      bool any = false;
      for (size_t c : attr_cols) {
        std::string_view v = get(c);
        if (v.empty()) continue;
        if (any) a.push_back(',');
        any = true;
        append_json_string(a, headers[c]);
        a.push_back(':');
        append_json_string(a, v);
      }
      a.push_back('}');
    }
    lead.source_line = rec.line;
    ++batch.size;
    ++summary.imported;
    if (batch.size >= opt.batch_rows) {
      if (!queue.push(std::move(batch))) break;
      batch = queue.fresh();
    }
  }
  if (read_status.ok() && batch.size > 0) queue.push(std::move(batch));
  if (read_status.ok()) queue.close();
  else queue.stop();
  writer_thread.join();
  if (opt.progress) opt.progress({summary.rows, reader->bytes_read(), reader->total_bytes()});

  auto fail = [&](const Error& e) -> Result<ImportSummary> {
    writer->rollback();
    (void)rejects.close();
    if (!opt.rejects_path.empty()) std::remove(opt.rejects_path.c_str());
    return e;
  };
  if (!read_status.ok()) return fail(read_status.error());
  if (!write_status.ok()) return fail(write_status.error());
  if (summary.rows == 0)
    return fail(make_error("no_rows", opt.file + ": the file has a header but no rows"));
  if (auto s = rejects.close(); !s.ok()) return fail(s.error());

  run.rows = static_cast<int64_t>(summary.rows);
  run.imported = static_cast<int64_t>(summary.imported);
  run.duplicates = static_cast<int64_t>(summary.duplicates);
  run.rejected = static_cast<int64_t>(summary.rejected);
  auto committed = writer->commit(run);
  if (!committed.ok()) return fail(committed.error());
  summary.import_id = committed->id;
  return summary;
}

}  // namespace telemark::leads
