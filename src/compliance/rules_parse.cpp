// Rule-pack loader: TOML (rules/README.md) -> detail::CompiledRules.
// Strict: unknown keys, wrong types and out-of-range values are errors that
// name the file, the line and the key path, because a typo in a rule file
// must never silently drop a rule.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <toml++/toml.h>

#include "compliance/rules.h"
#include "compliance/rules_internal.h"

namespace telemark::compliance {

using namespace detail;
using std::chrono::sys_days;

namespace {

struct ParseFail {
  std::string message;
};

int line_of(const toml::node& n) { return static_cast<int>(n.source().begin.line); }

class Ctx {
 public:
  explicit Ctx(std::string file) : file_(std::move(file)) {}
  [[noreturn]] void fail(int line, const std::string& path, const std::string& what) const {
    std::string msg = file_;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": ";
    if (!path.empty()) msg += path + ": ";
    msg += what;
    throw ParseFail{msg};
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& path, const std::string& what) const {
    fail(line_of(n), path, what);
  }
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string index_path(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

void check_keys(const Ctx& ctx, const toml::table& t, const std::string& path,
                std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : t) {
    bool ok = false;
    for (std::string_view a : allowed)
      if (k.str() == a) ok = true;
    if (!ok) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      ctx.fail(v, join(path, k.str()), "unknown key (expected one of: " + list + ")");
    }
  }
}

const toml::node* find(const toml::table& t, std::string_view key) { return t.get(key); }

std::string req_string(const Ctx& ctx, const toml::table& t, const std::string& path, std::string_view key) {
  const toml::node* n = find(t, key);
  if (!n) ctx.fail(line_of(t), join(path, key), "missing required key");
  if (!n->is_string()) ctx.fail(*n, join(path, key), "expected a string");
  return std::string(n->as_string()->get());
}

std::optional<std::string> opt_string(const Ctx& ctx, const toml::table& t, const std::string& path,
                                      std::string_view key) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_string()) ctx.fail(*n, join(path, key), "expected a string");
  return std::string(n->as_string()->get());
}

std::optional<int64_t> opt_int(const Ctx& ctx, const toml::table& t, const std::string& path,
                               std::string_view key, int64_t lo, int64_t hi) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_integer()) ctx.fail(*n, join(path, key), "expected an integer");
  int64_t v = n->as_integer()->get();
  if (v < lo || v > hi)
    ctx.fail(*n, join(path, key),
             "value " + std::to_string(v) + " out of range [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "]");
  return v;
}

int64_t req_int(const Ctx& ctx, const toml::table& t, const std::string& path, std::string_view key,
                int64_t lo, int64_t hi) {
  auto v = opt_int(ctx, t, path, key, lo, hi);
  if (!v) ctx.fail(line_of(t), join(path, key), "missing required key");
  return *v;
}

std::optional<bool> opt_bool(const Ctx& ctx, const toml::table& t, const std::string& path,
                             std::string_view key) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) ctx.fail(*n, join(path, key), "expected true or false");
  return n->as_boolean()->get();
}

std::optional<sys_days> parse_ymd(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  int y = 0;
  unsigned m = 0, d = 0;
  for (int i : {0, 1, 2, 3}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    y = y * 10 + (s[i] - '0');
  }
  for (int i : {5, 6}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    m = m * 10 + static_cast<unsigned>(s[i] - '0');
  }
  for (int i : {8, 9}) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    d = d * 10 + static_cast<unsigned>(s[i] - '0');
  }
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

std::optional<sys_days> opt_date(const Ctx& ctx, const toml::table& t, const std::string& path,
                                 std::string_view key) {
  const toml::node* n = find(t, key);
  if (!n) return std::nullopt;
  if (n->is_date()) {
    toml::date d = n->as_date()->get();
    std::chrono::year_month_day ymd{std::chrono::year{d.year}, std::chrono::month{d.month},
                                    std::chrono::day{d.day}};
    if (!ymd.ok()) ctx.fail(*n, join(path, key), "no such calendar date");
    return sys_days{ymd};
  }
  if (n->is_string()) {
    auto d = parse_ymd(n->as_string()->get());
    if (!d) ctx.fail(*n, join(path, key), "expected a date YYYY-MM-DD");
    return d;
  }
  ctx.fail(*n, join(path, key), "expected a date YYYY-MM-DD");
}

// "HH:MM", 00:00..24:00, as minutes.
int16_t parse_hhmm(const Ctx& ctx, const toml::node& n, const std::string& path) {
  if (!n.is_string()) ctx.fail(n, path, "expected a time \"HH:MM\"");
  std::string_view s = n.as_string()->get();
  auto m = parse_clock_minutes(s);
  if (!m) ctx.fail(n, path, "expected a time \"HH:MM\" between 00:00 and 24:00, got \"" + std::string(s) + "\"");
  return static_cast<int16_t>(*m);
}

Window parse_window_table(const Ctx& ctx, const toml::node& n, const std::string& path,
                          std::initializer_list<std::string_view> keys) {
  const toml::table* t = n.as_table();
  if (!t) ctx.fail(n, path, "expected a table { start = \"HH:MM\", end = \"HH:MM\" }");
  check_keys(ctx, *t, path, keys);
  const toml::node* s = t->get("start");
  const toml::node* e = t->get("end");
  if (!s) ctx.fail(*t, join(path, "start"), "missing required key");
  if (!e) ctx.fail(*t, join(path, "end"), "missing required key");
  Window w{parse_hhmm(ctx, *s, join(path, "start")), parse_hhmm(ctx, *e, join(path, "end"))};
  if (w.empty()) ctx.fail(*e, join(path, "end"), "end must be after start");
  return w;
}

std::vector<std::string> string_list(const Ctx& ctx, const toml::table& t, const std::string& path,
                                     std::string_view key, bool* present) {
  std::vector<std::string> out;
  const toml::node* n = find(t, key);
  *present = n != nullptr;
  if (!n) return out;
  if (n->is_string()) {
    out.emplace_back(n->as_string()->get());
    return out;
  }
  const toml::array* a = n->as_array();
  if (!a) ctx.fail(*n, join(path, key), "expected an array of strings");
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_string()) ctx.fail(e, index_path(join(path, key), i), "expected a string");
    out.emplace_back(e.as_string()->get());
  }
  return out;
}

template <class E>
uint16_t enum_mask(const Ctx& ctx, const toml::table& t, const std::string& path, std::string_view key,
                   uint16_t all, std::optional<E> (*parse)(std::string_view), const char* what) {
  bool present = false;
  auto names = string_list(ctx, t, path, key, &present);
  if (!present) return all;
  if (names.empty()) ctx.fail(*t.get(key), join(path, key), "empty list");
  uint16_t mask = 0;
  for (const std::string& s : names) {
    if (s == "*") return all;
    auto v = parse(s);
    if (!v) ctx.fail(*t.get(key), join(path, key), "unknown " + std::string(what) + " \"" + s + "\"");
    mask |= static_cast<uint16_t>(1u << static_cast<unsigned>(*v));
  }
  return mask;
}

std::optional<phone::NumberType> parse_number_type(std::string_view s) {
  phone::NumberType t = phone::number_type_from_string(s);
  if (phone::to_string(t) != s) return std::nullopt;  // unknown spellings map to kUnknown
  return t;
}

struct RawPack {
  PackInfo info;
  CountryCode country = 0;
  std::vector<HoursRule> hours;
  std::vector<std::string> hours_calendar;  // calendar name per hours rule ("" none)
  std::vector<RegistryRule> registries;
  std::vector<std::string> registry_name;   // per registry rule
  std::vector<CapRule> caps;
  std::vector<LockoutRule> lockouts;
  std::vector<ConsentRule> consents;
  std::vector<Calendar> calendars;
  std::vector<int> calendar_lines;
};

RuleHeader parse_header(const Ctx& ctx, const toml::table& t, const std::string& path, int pack) {
  RuleHeader h;
  h.id = req_string(ctx, t, path, "id");
  if (h.id.empty()) ctx.fail(*t.get("id"), join(path, "id"), "must not be empty");
  h.source = req_string(ctx, t, path, "source");
  auto eff = opt_date(ctx, t, path, "effective");
  if (!eff) ctx.fail(line_of(t), join(path, "effective"), "missing required key");
  h.effective = *eff;
  h.pack = pack;
  h.line = line_of(t);
  bool present = false;
  auto regions = string_list(ctx, t, path, "regions", &present);
  h.all_regions = true;
  if (present) {
    if (regions.empty()) ctx.fail(*t.get("regions"), join(path, "regions"), "empty list");
    h.all_regions = false;
    for (const std::string& r : regions) {
      if (r == "*") {
        h.all_regions = true;
        continue;
      }
      RegionCode c = region_code(r);
      if (!c) ctx.fail(*t.get("regions"), join(path, "regions"), "bad region code \"" + r + "\"");
      h.regions.push_back(c);
    }
    if (h.all_regions) h.regions.clear();
  }
  h.purposes = static_cast<uint8_t>(
      enum_mask<Purpose>(ctx, t, path, "purposes", kAllPurposes, &parse_purpose, "purpose"));
  return h;
}

EbrTerms parse_ebr(const Ctx& ctx, const toml::table& t, const std::string& path) {
  const toml::node* n = t.get("ebr");
  if (!n) ctx.fail(line_of(t), join(path, "ebr"), "required when exemptions lists \"ebr\"");
  const toml::table* e = n->as_table();
  std::string p = join(path, "ebr");
  if (!e) ctx.fail(*n, p, "expected a table");
  check_keys(ctx, *e, p, {"purchase_months", "inquiry_months", "contract_active", "contract_ended_months"});
  EbrTerms ebr;
  ebr.purchase_months = static_cast<int>(opt_int(ctx, *e, p, "purchase_months", 0, 1200).value_or(0));
  ebr.inquiry_months = static_cast<int>(opt_int(ctx, *e, p, "inquiry_months", 0, 1200).value_or(0));
  ebr.contract_active = opt_bool(ctx, *e, p, "contract_active").value_or(false);
  ebr.contract_ended_months =
      static_cast<int>(opt_int(ctx, *e, p, "contract_ended_months", 0, 1200).value_or(0));
  return ebr;
}

uint8_t parse_exemptions(const Ctx& ctx, const toml::table& t, const std::string& path) {
  bool present = false;
  auto names = string_list(ctx, t, path, "exemptions", &present);
  uint8_t mask = 0;
  for (const std::string& s : names) {
    if (s == "consent") mask |= kExemptConsent;
    else if (s == "ebr") mask |= kExemptEbr;
    else if (s == "prior_purchase") mask |= kExemptPriorPurchase;
    else
      ctx.fail(*t.get("exemptions"), join(path, "exemptions"),
               "unknown exemption \"" + s + "\" (expected consent, ebr, prior_purchase)");
  }
  return mask;
}

const toml::array* array_of_tables(const Ctx& ctx, const toml::table& root, std::string_view key) {
  const toml::node* n = root.get(key);
  if (!n) return nullptr;
  const toml::array* a = n->as_array();
  if (!a) ctx.fail(*n, std::string(key), "expected an array of tables ([[" + std::string(key) + "]])");
  for (size_t i = 0; i < a->size(); ++i)
    if (!a->get(i)->is_table()) ctx.fail(*a->get(i), index_path(std::string(key), i), "expected a table");
  return a;
}

void parse_calendar(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack) {
  check_keys(ctx, t, path, {"id", "name", "source", "holidays"});
  std::string id = req_string(ctx, t, path, "id");
  if (id.empty()) ctx.fail(*t.get("id"), join(path, "id"), "must not be empty");
  (void)opt_string(ctx, t, path, "name");
  (void)req_string(ctx, t, path, "source");
  const toml::node* hn = t.get("holidays");
  if (!hn) ctx.fail(line_of(t), join(path, "holidays"), "missing required key");
  const toml::array* ha = hn->as_array();
  if (!ha) ctx.fail(*hn, join(path, "holidays"), "expected an array of tables");
  std::vector<HolidayRule> rules;
  for (size_t i = 0; i < ha->size(); ++i) {
    std::string p = index_path(join(path, "holidays"), i);
    const toml::table* h = ha->get(i)->as_table();
    if (!h) ctx.fail(*ha->get(i), p, "expected a table");
    check_keys(ctx, *h, p, {"name", "date", "month", "weekday", "nth", "easter", "observed", "from", "until"});
    HolidayRule r;
    r.name = req_string(ctx, *h, p, "name");
    bool has_date = h->contains("date"), has_nth = h->contains("weekday"), has_easter = h->contains("easter");
    if (int(has_date) + int(has_nth) + int(has_easter) != 1)
      ctx.fail(*h, p, "give exactly one of date = \"MM-DD\", weekday/nth/month, or easter = OFFSET");
    if (has_date) {
      r.kind = HolidayRule::Kind::kFixed;
      std::string d = req_string(ctx, *h, p, "date");
      auto parsed = parse_ymd("2000-" + d);  // a leap year, so 02-29 is accepted
      if (d.size() != 5 || !parsed) ctx.fail(*h->get("date"), join(p, "date"), "expected \"MM-DD\", got \"" + d + "\"");
      std::chrono::year_month_day ymd{*parsed};
      r.month = static_cast<unsigned>(ymd.month());
      r.day = static_cast<unsigned>(ymd.day());
      if (h->contains("month") || h->contains("nth"))
        ctx.fail(*h, p, "month/nth belong to weekday holidays, not to date holidays");
    } else if (has_nth) {
      r.kind = HolidayRule::Kind::kNthWeekday;
      std::string wd = req_string(ctx, *h, p, "weekday");
      auto w = parse_weekday(wd);
      if (!w) ctx.fail(*h->get("weekday"), join(p, "weekday"), "expected mon..sun, got \"" + wd + "\"");
      r.weekday = *w;
      r.month = static_cast<unsigned>(req_int(ctx, *h, p, "month", 1, 12));
      r.nth = static_cast<int>(req_int(ctx, *h, p, "nth", -1, 5));
      if (r.nth == 0) ctx.fail(*h->get("nth"), join(p, "nth"), "expected 1..5 or -1 (last)");
    } else {
      r.kind = HolidayRule::Kind::kEaster;
      r.easter_offset = static_cast<int>(req_int(ctx, *h, p, "easter", -100, 100));
    }
    if (auto o = opt_string(ctx, *h, p, "observed")) {
      if (*o == "none") r.observed = Observed::kNone;
      else if (*o == "nearest_weekday") r.observed = Observed::kNearestWeekday;
      else if (*o == "next_monday") r.observed = Observed::kNextMonday;
      else
        ctx.fail(*h->get("observed"), join(p, "observed"),
                 "expected none, nearest_weekday or next_monday, got \"" + *o + "\"");
    }
    r.from_year = static_cast<int>(opt_int(ctx, *h, p, "from", 0, 9999).value_or(0));
    r.until_year = static_cast<int>(opt_int(ctx, *h, p, "until", 0, 9999).value_or(9999));
    rules.push_back(std::move(r));
  }
  pack.calendars.emplace_back(id, std::move(rules));
  pack.calendar_lines.push_back(line_of(t));
}

void parse_hours(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack, int pack_index) {
  check_keys(ctx, t, path,
             {"id", "source", "effective", "regions", "purposes", "windows", "calendar", "holidays",
              "eve_of_holiday", "note"});
  HoursRule r;
  r.h = parse_header(ctx, t, path, pack_index);
  const toml::node* wn = t.get("windows");
  if (!wn) ctx.fail(line_of(t), join(path, "windows"), "missing required key");
  const toml::array* wa = wn->as_array();
  if (!wa) ctx.fail(*wn, join(path, "windows"), "expected an array of { days, start, end }");
  for (Window& w : r.by_weekday) w = Window{0, 0};  // closed unless a window names the day
  uint8_t seen = 0;
  for (size_t i = 0; i < wa->size(); ++i) {
    std::string p = index_path(join(path, "windows"), i);
    const toml::node& e = *wa->get(i);
    Window w = parse_window_table(ctx, e, p, {"days", "start", "end"});
    const toml::table& et = *e.as_table();
    std::string days = req_string(ctx, et, p, "days");
    auto mask = parse_day_set(days);
    if (!mask) ctx.fail(*et.get("days"), join(p, "days"), "expected days such as \"mon-fri\" or \"sat,sun\", got \"" + days + "\"");
    if (*mask & seen) ctx.fail(*et.get("days"), join(p, "days"), "a day appears in two windows");
    seen |= *mask;
    for (unsigned d = 0; d < 7; ++d)
      if (*mask & (1u << d)) r.by_weekday[d] = w;
  }
  std::string cal = opt_string(ctx, t, path, "calendar").value_or("");
  if (auto hol = opt_string(ctx, t, path, "holidays")) {
    if (*hol != "closed") ctx.fail(*t.get("holidays"), join(path, "holidays"), "expected \"closed\"");
    if (cal.empty()) ctx.fail(*t.get("holidays"), join(path, "holidays"), "needs a calendar");
    r.holidays_closed = true;
  }
  if (const toml::node* ev = t.get("eve_of_holiday")) {
    if (cal.empty()) ctx.fail(*ev, join(path, "eve_of_holiday"), "needs a calendar");
    r.eve_window = parse_window_table(ctx, *ev, join(path, "eve_of_holiday"), {"start", "end"});
  }
  if (!cal.empty() && !r.holidays_closed && !r.eve_window)
    ctx.fail(*t.get("calendar"), join(path, "calendar"), "a calendar needs holidays = \"closed\" or eve_of_holiday");
  (void)opt_string(ctx, t, path, "note");
  pack.hours.push_back(r);
  pack.hours_calendar.push_back(cal);
}

void parse_registry(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack, int pack_index) {
  check_keys(ctx, t, path,
             {"id", "source", "effective", "regions", "purposes", "registry", "optional", "max_age_days",
              "exemptions", "ebr", "consent_cancelled_by_registration", "contract_keeps_consent_days", "note"});
  RegistryRule r;
  r.h = parse_header(ctx, t, path, pack_index);
  std::string name = req_string(ctx, t, path, "registry");
  if (name.empty() || name.size() > 40) ctx.fail(*t.get("registry"), join(path, "registry"), "bad registry name");
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      ctx.fail(*t.get("registry"), join(path, "registry"), "registry names use a-z, 0-9 and '-'");
  r.optional = opt_bool(ctx, t, path, "optional").value_or(false);
  r.max_age_days = static_cast<int>(opt_int(ctx, t, path, "max_age_days", 0, 3650).value_or(-1));
  r.exemptions = parse_exemptions(ctx, t, path);
  if (r.exemptions & kExemptEbr) r.ebr = parse_ebr(ctx, t, path);
  else if (t.contains("ebr")) ctx.fail(*t.get("ebr"), join(path, "ebr"), "given but exemptions does not list \"ebr\"");
  r.consent_cancelled_by_registration = opt_bool(ctx, t, path, "consent_cancelled_by_registration").value_or(false);
  r.contract_keeps_consent_days =
      static_cast<int>(opt_int(ctx, t, path, "contract_keeps_consent_days", 0, 3650).value_or(0));
  if (r.consent_cancelled_by_registration && !(r.exemptions & kExemptConsent))
    ctx.fail(line_of(t), join(path, "consent_cancelled_by_registration"), "needs exemptions to list \"consent\"");
  (void)opt_string(ctx, t, path, "note");
  pack.registries.push_back(r);
  pack.registry_name.push_back(name);
}

void parse_cap(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack, int pack_index) {
  check_keys(ctx, t, path, {"id", "source", "effective", "regions", "purposes", "max_calls", "window_hours", "note"});
  CapRule r;
  r.h = parse_header(ctx, t, path, pack_index);
  r.max_calls = static_cast<int>(req_int(ctx, t, path, "max_calls", 1, 1000));
  r.window_seconds = req_int(ctx, t, path, "window_hours", 1, 24 * 366) * 3600;
  (void)opt_string(ctx, t, path, "note");
  pack.caps.push_back(r);
}

void parse_lockout(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack, int pack_index) {
  check_keys(ctx, t, path, {"id", "source", "effective", "regions", "purposes", "after", "hours", "note"});
  LockoutRule r;
  r.h = parse_header(ctx, t, path, pack_index);
  std::string after = req_string(ctx, t, path, "after");
  if (after != "abandoned") ctx.fail(*t.get("after"), join(path, "after"), "expected \"abandoned\"");
  r.lockout_seconds = req_int(ctx, t, path, "hours", 1, 24 * 366) * 3600;
  (void)opt_string(ctx, t, path, "note");
  pack.lockouts.push_back(r);
}

void parse_consent(const Ctx& ctx, const toml::table& t, const std::string& path, RawPack& pack, int pack_index) {
  check_keys(ctx, t, path,
             {"id", "source", "effective", "regions", "purposes", "callers", "call_types", "number_types",
              "exemptions", "ebr", "note"});
  ConsentRule r;
  r.h = parse_header(ctx, t, path, pack_index);
  r.callers = static_cast<uint8_t>(enum_mask<Caller>(ctx, t, path, "callers", kAllCallers, &parse_caller, "caller"));
  r.call_types =
      static_cast<uint8_t>(enum_mask<CallType>(ctx, t, path, "call_types", kAllCallTypes, &parse_call_type, "call type"));
  r.number_types = enum_mask<phone::NumberType>(ctx, t, path, "number_types", kAllNumberTypes, &parse_number_type,
                                                "number type");
  r.exemptions = parse_exemptions(ctx, t, path);
  if (!(r.exemptions & kExemptConsent))
    ctx.fail(line_of(t), join(path, "exemptions"), "a consent requirement must list \"consent\"");
  if (r.exemptions & kExemptEbr) r.ebr = parse_ebr(ctx, t, path);
  else if (t.contains("ebr")) ctx.fail(*t.get("ebr"), join(path, "ebr"), "given but exemptions does not list \"ebr\"");
  (void)opt_string(ctx, t, path, "note");
  pack.consents.push_back(r);
}

RawPack parse_pack(const RuleSource& src, int pack_index) {
  Ctx ctx(src.name);
  toml::table root;
  try {
    root = toml::parse(src.text, src.name);
  } catch (const toml::parse_error& e) {
    ctx.fail(static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  check_keys(ctx, root, "",
             {"pack", "calendar", "hours", "registry", "frequency_cap", "redial_lockout", "consent_required"});
  RawPack pack;
  const toml::node* pn = root.get("pack");
  if (!pn) ctx.fail(1, "pack", "missing [pack] table");
  const toml::table* pt = pn->as_table();
  if (!pt) ctx.fail(*pn, "pack", "expected a table");
  check_keys(ctx, *pt, "pack", {"id", "version", "name", "country", "source", "effective"});
  pack.info.id = req_string(ctx, *pt, "pack", "id");
  if (pack.info.id.empty()) ctx.fail(*pt->get("id"), "pack.id", "must not be empty");
  pack.info.version = req_string(ctx, *pt, "pack", "version");
  if (pack.info.version.empty()) ctx.fail(*pt->get("version"), "pack.version", "must not be empty");
  pack.info.name = opt_string(ctx, *pt, "pack", "name").value_or(pack.info.id);
  std::string country = req_string(ctx, *pt, "pack", "country");
  pack.country = country_code(country);
  if (!pack.country) ctx.fail(*pt->get("country"), "pack.country", "expected an ISO 3166 alpha-2 code, got \"" + country + "\"");
  pack.info.country = country_string(pack.country);
  (void)opt_string(ctx, *pt, "pack", "source");
  (void)opt_date(ctx, *pt, "pack", "effective");
  pack.info.file = src.name;

  if (const toml::array* a = array_of_tables(ctx, root, "calendar"))
    for (size_t i = 0; i < a->size(); ++i) parse_calendar(ctx, *a->get(i)->as_table(), index_path("calendar", i), pack);
  if (const toml::array* a = array_of_tables(ctx, root, "hours"))
    for (size_t i = 0; i < a->size(); ++i) parse_hours(ctx, *a->get(i)->as_table(), index_path("hours", i), pack, pack_index);
  if (const toml::array* a = array_of_tables(ctx, root, "registry"))
    for (size_t i = 0; i < a->size(); ++i)
      parse_registry(ctx, *a->get(i)->as_table(), index_path("registry", i), pack, pack_index);
  if (const toml::array* a = array_of_tables(ctx, root, "frequency_cap"))
    for (size_t i = 0; i < a->size(); ++i) parse_cap(ctx, *a->get(i)->as_table(), index_path("frequency_cap", i), pack, pack_index);
  if (const toml::array* a = array_of_tables(ctx, root, "redial_lockout"))
    for (size_t i = 0; i < a->size(); ++i)
      parse_lockout(ctx, *a->get(i)->as_table(), index_path("redial_lockout", i), pack, pack_index);
  if (const toml::array* a = array_of_tables(ctx, root, "consent_required"))
    for (size_t i = 0; i < a->size(); ++i)
      parse_consent(ctx, *a->get(i)->as_table(), index_path("consent_required", i), pack, pack_index);
  return pack;
}

std::unique_ptr<CompiledRules> compile(std::vector<RawPack>&& raw) {
  auto out = std::make_unique<CompiledRules>();
  if (raw.size() > 64) throw ParseFail{"more than 64 rule packs"};
  std::unordered_map<std::string, std::string> pack_ids;   // id -> file
  std::unordered_map<std::string, std::string> rule_ids;   // id -> file:line
  std::unordered_map<std::string, int> calendar_index;
  std::unordered_map<std::string, RegistryId> registry_index;

  for (RawPack& p : raw) {
    if (auto it = pack_ids.find(p.info.id); it != pack_ids.end())
      throw ParseFail{p.info.file + ": pack.id: \"" + p.info.id + "\" is already the id of " + it->second};
    pack_ids.emplace(p.info.id, p.info.file);
    for (size_t i = 0; i < p.calendars.size(); ++i) {
      const std::string& id = p.calendars[i].id();
      if (calendar_index.count(id))
        throw ParseFail{p.info.file + ":" + std::to_string(p.calendar_lines[i]) + ": calendar.id: \"" + id +
                        "\" is defined twice"};
      calendar_index.emplace(id, static_cast<int>(out->calendars.size()));
      out->calendars.push_back(std::move(p.calendars[i]));
    }
  }

  auto claim_id = [&](const RawPack& p, const RuleHeader& h, const char* table) {
    std::string where = p.info.file + ":" + std::to_string(h.line);
    if (auto it = rule_ids.find(h.id); it != rule_ids.end())
      throw ParseFail{where + ": " + table + ".id: \"" + h.id + "\" is already used at " + it->second};
    rule_ids.emplace(h.id, where);
  };

  for (size_t pi = 0; pi < raw.size(); ++pi) {
    RawPack& p = raw[pi];
    out->packs.push_back(p.info);
    CountryRules* cr = nullptr;
    for (CountryRules& c : out->countries)
      if (c.country == p.country) cr = &c;
    if (!cr) {
      out->countries.emplace_back();
      cr = &out->countries.back();
      cr->country = p.country;
    }
    cr->packs |= uint64_t{1} << pi;
    auto add_regions = [&](const RuleHeader& h) {
      for (RegionCode r : h.regions)
        if (std::find(cr->regions.begin(), cr->regions.end(), r) == cr->regions.end()) cr->regions.push_back(r);
      if (cr->regions.size() > 64)
        throw ParseFail{p.info.file + ":" + std::to_string(h.line) + ": regions: more than 64 regions in one country"};
    };
    for (size_t i = 0; i < p.hours.size(); ++i) {
      HoursRule& r = p.hours[i];
      claim_id(p, r.h, "hours");
      if (!p.hours_calendar[i].empty()) {
        auto it = calendar_index.find(p.hours_calendar[i]);
        if (it == calendar_index.end())
          throw ParseFail{p.info.file + ":" + std::to_string(r.h.line) + ": hours.calendar: no calendar \"" +
                          p.hours_calendar[i] + "\" in any rule pack"};
        r.calendar = it->second;
      }
      add_regions(r.h);
      cr->hours.push_back(r);
    }
    for (size_t i = 0; i < p.registries.size(); ++i) {
      RegistryRule& r = p.registries[i];
      claim_id(p, r.h, "registry");
      const std::string& name = p.registry_name[i];
      auto it = registry_index.find(name);
      if (it == registry_index.end()) {
        if (out->registry_names.size() >= kMaxRegistries)
          throw ParseFail{p.info.file + ":" + std::to_string(r.h.line) + ": registry: more than 64 registries"};
        it = registry_index.emplace(name, static_cast<RegistryId>(out->registry_names.size())).first;
        out->registry_names.push_back(name);
        out->registry_optional.push_back(r.optional);
        out->registry_max_age.push_back(r.max_age_days);
      } else {
        out->registry_optional[it->second] = out->registry_optional[it->second] || r.optional;
        out->registry_max_age[it->second] = std::max(out->registry_max_age[it->second], r.max_age_days);
      }
      r.registry = it->second;
      add_regions(r.h);
      cr->registries.push_back(r);
    }
    for (CapRule& r : p.caps) {
      claim_id(p, r.h, "frequency_cap");
      add_regions(r.h);
      cr->caps.push_back(r);
    }
    for (LockoutRule& r : p.lockouts) {
      claim_id(p, r.h, "redial_lockout");
      add_regions(r.h);
      cr->lockouts.push_back(r);
    }
    for (ConsentRule& r : p.consents) {
      claim_id(p, r.h, "consent_required");
      add_regions(r.h);
      cr->consents.push_back(r);
    }
  }
  // Region masks, now that each country's region table is complete.
  for (CountryRules& cr : out->countries) {
    size_t most = std::max({cr.hours.size(), cr.registries.size(), cr.caps.size(), cr.lockouts.size(),
                            cr.consents.size()});
    if (most > kMaxRulesPerKind)
      throw ParseFail{"country " + country_string(cr.country) + ": more than " +
                      std::to_string(kMaxRulesPerKind) + " rules of one kind"};
    auto mask = [&](RuleHeader& h) {
      h.region_mask = 0;
      for (RegionCode r : h.regions) h.region_mask |= cr.region_bit(r);
    };
    for (auto& r : cr.hours) mask(r.h);
    for (auto& r : cr.registries) mask(r.h);
    for (auto& r : cr.caps) mask(r.h);
    for (auto& r : cr.lockouts) mask(r.h);
    for (auto& r : cr.consents) mask(r.h);
  }
  return out;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("io_error", path + ": cannot open rule pack");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error("io_error", path + ": read failed");
  return ss.str();
}

}  // namespace

RuleSet::RuleSet(std::unique_ptr<CompiledRules> rules) : rules_(std::move(rules)) {}
RuleSet::~RuleSet() = default;

Result<std::shared_ptr<const RuleSet>> RuleSet::parse(const std::vector<RuleSource>& sources) {
  try {
    if (sources.empty()) return make_error("bad_rules", "no rule pack given");
    std::vector<RawPack> raw;
    for (size_t i = 0; i < sources.size(); ++i) raw.push_back(parse_pack(sources[i], static_cast<int>(i)));
    return std::shared_ptr<const RuleSet>(std::make_shared<RuleSet>(compile(std::move(raw))));
  } catch (const ParseFail& f) {
    return make_error("bad_rules", f.message);
  } catch (const std::exception& e) {
    // toml++ may throw on pathological input (e.g. allocation failure);
    // report it as a bad file rather than let it escape.
    return make_error("bad_rules", std::string("rule pack could not be parsed: ") + e.what());
  }
}

Result<std::shared_ptr<const RuleSet>> RuleSet::load_files(const std::vector<std::string>& paths) {
  std::vector<RuleSource> sources;
  for (const std::string& p : paths) {
    auto text = read_file(p);
    if (!text.ok()) return text.error();
    sources.push_back(RuleSource{p, std::move(text).value()});
  }
  return parse(sources);
}

Result<std::shared_ptr<const RuleSet>> RuleSet::load_directory(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") paths.push_back(e.path().string());
  }
  if (ec) return make_error("io_error", dir + ": cannot list rule packs: " + ec.message());
  if (paths.empty()) return make_error("bad_rules", dir + ": no *.toml rule packs");
  std::sort(paths.begin(), paths.end());
  return load_files(paths);
}

const std::vector<PackInfo>& RuleSet::packs() const { return rules_->packs; }
const std::vector<std::string>& RuleSet::registry_names() const { return rules_->registry_names; }

std::optional<RegistryId> RuleSet::registry_id(std::string_view name) const {
  for (size_t i = 0; i < rules_->registry_names.size(); ++i)
    if (rules_->registry_names[i] == name) return static_cast<RegistryId>(i);
  return std::nullopt;
}

bool RuleSet::registry_is_optional(RegistryId id) const {
  return id < rules_->registry_optional.size() && rules_->registry_optional[id];
}

bool RuleSet::covers_country(CountryCode c) const { return rules_->country(c) != nullptr; }

std::optional<int> RuleSet::registry_max_age_days(RegistryId id) const {
  if (id >= rules_->registry_max_age.size() || rules_->registry_max_age[id] < 0) return std::nullopt;
  return rules_->registry_max_age[id];
}

}  // namespace telemark::compliance
