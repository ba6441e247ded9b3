#include "case_file.h"

#include <algorithm>
#include <functional>
#include <set>
#include <sstream>

#include "base/time.h"

namespace telemark::compliance::testing {

namespace {

std::string trim(std::string s) {
  size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

// Splits on commas and/or whitespace.
std::vector<std::string> words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!trim(cur).empty()) out.push_back(trim(cur));
  return out;
}

const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "number", "valid", "country", "region", "zones", "type", "resolve", "address_region", "postal_code",
      "consent_at", "consent_revoked_at", "last_purchase_at", "last_inquiry_at", "contract_active",
      "contract_ended_at", "purpose", "caller", "call_type", "countries", "extra_registries", "company_hours",
      "internal_dnc", "attempts_24h", "attempt_times", "last_abandoned_at", "at", "expect", "reasons",
      "next_allowed_at", "local_times", "packs", "note"};
  return keys;
}

}  // namespace

Result<std::vector<CaseSpec>> parse_case_file(const std::string& text, const std::string& file) {
  std::vector<CaseSpec> out;
  std::map<std::string, std::string> defaults;
  std::map<std::string, int> default_lines;
  std::istringstream in(text);
  std::string line;
  int lineno = 0;

  std::vector<std::pair<std::string, std::string>> block;
  std::vector<int> block_lines;
  auto flush = [&]() -> Status {
    if (block.empty()) return Status::Ok();
    const std::string& first = block.front().first;
    if (first == "defaults") {
      if (block.front().second == "reset") {
        defaults.clear();
        default_lines.clear();
      }
      for (size_t i = 1; i < block.size(); ++i) {
        defaults[block[i].first] = block[i].second;
        default_lines[block[i].first] = block_lines[i];
      }
    } else if (first == "case") {
      CaseSpec c;
      c.file = file;
      c.line = block_lines.front();
      c.name = block.front().second;
      c.keys = defaults;
      c.key_lines = default_lines;
      for (size_t i = 1; i < block.size(); ++i) {
        c.keys[block[i].first] = block[i].second;
        c.key_lines[block[i].first] = block_lines[i];
        c.own_keys.insert(block[i].first);
      }
      if (!c.keys.count("expect"))
        return make_error("bad_case", file + ":" + std::to_string(c.line) + ": case has no expect:");
      out.push_back(std::move(c));
    } else {
      return make_error("bad_case", file + ":" + std::to_string(block_lines.front()) +
                                        ": a block starts with case: or defaults:, not " + first + ":");
    }
    block.clear();
    block_lines.clear();
    return Status::Ok();
  };

  while (std::getline(in, line)) {
    ++lineno;
    std::string t = trim(line);
    if (!t.empty() && t[0] == '#') continue;
    if (t.empty()) {
      Status s = flush();
      if (!s.ok()) return s.error();
      continue;
    }
    size_t colon = t.find(':');
    if (colon == std::string::npos)
      return make_error("bad_case", file + ":" + std::to_string(lineno) + ": expected key: value");
    std::string key = trim(t.substr(0, colon));
    std::string value = trim(t.substr(colon + 1));
    if ((key == "case" || key == "defaults") && !block.empty())
      return make_error("bad_case", file + ":" + std::to_string(lineno) + ": '" + key +
                                        ":' must start a block (leave a blank line before it)");
    if (key != "case" && key != "defaults" && !known_keys().count(key) && key.rfind("registry.", 0) != 0)
      return make_error("bad_case", file + ":" + std::to_string(lineno) + ": unknown key '" + key + "'");
    for (const auto& [k, v] : block)
      if (k == key)
        return make_error("bad_case", file + ":" + std::to_string(lineno) + ": key '" + key + "' twice in a block");
    block.emplace_back(key, value);
    block_lines.push_back(lineno);
  }
  Status s = flush();
  if (!s.ok()) return s.error();
  return out;
}

void PrintTo(const CaseSpec& c, std::ostream* os) { *os << c.file << ":" << c.line << " (" << c.name << ")"; }

CallIntent with_timed_attempts(const CallIntent& in) {
  CallIntent out = in;
  int in_window = 0;
  for (Instant t : in.history.attempt_times)
    if (t <= in.at && t > in.at - std::chrono::hours(24)) ++in_window;
  for (int k = in_window; k < in.history.attempts_24h && !out.history.attempt_times.full(); ++k)
    out.history.attempt_times.push_back(in.at);
  out.history.attempts_24h = 0;
  return out;
}

Result<BuiltCase> build_case(const CaseSpec& spec, const Engine& engine, const PhoneResolver& resolver) {
  BuiltCase b;
  CallIntent& in = b.intent;
  std::string error;
  auto where = [&](const std::string& key) {
    auto it = spec.key_lines.find(key);
    return spec.file + ":" + std::to_string(it == spec.key_lines.end() ? spec.line : it->second) + ": " + key + ": ";
  };
  auto fail = [&](const std::string& key, const std::string& what) {
    return make_error("bad_case", where(key) + what);
  };
  bool resolved = spec.keys.count("resolve") > 0;
  auto get = [&](const std::string& key) -> std::optional<std::string> {
    // With resolve: phone the number facts come from the tables; only the
    // case's own keys (not the file's defaults) may override them.
    static const std::set<std::string> number_keys = {"country", "region", "zones", "type"};
    if (resolved && number_keys.count(key) && !spec.own_keys.count(key)) return std::nullopt;
    auto it = spec.keys.find(key);
    if (it == spec.keys.end()) return std::nullopt;
    return it->second;
  };
  auto yes_no = [&](const std::string& key, bool dflt, bool* out) -> bool {
    auto v = get(key);
    if (!v) {
      *out = dflt;
      return true;
    }
    if (*v == "yes" || *v == "true") *out = true;
    else if (*v == "no" || *v == "false") *out = false;
    else return false;
    return true;
  };
  auto instant = [&](const std::string& key, std::optional<Instant>* out) -> std::optional<Error> {
    auto v = get(key);
    if (!v || *v == "none") {
      out->reset();
      return std::nullopt;
    }
    auto t = parse_iso8601(*v);
    if (!t.ok()) return fail(key, t.error().message);
    *out = *t;
    return std::nullopt;
  };
  auto day = [&](const std::string& key, const std::string& text) -> Result<std::chrono::sys_days> {
    auto t = parse_iso8601(text);
    if (!t.ok() || text.size() != 10) return fail(key, "expected a date YYYY-MM-DD, got '" + text + "'");
    return std::chrono::floor<std::chrono::days>(*t);
  };

  // ---- number ----
  NumberFacts& num = in.number;
  std::string number = get("number").value_or("");
  if (!number.empty()) {
    std::string digits;
    for (char c : number)
      if (c >= '0' && c <= '9') digits.push_back(c);
    if (!digits.empty() && digits.size() <= 15) num.e164 = std::stoull(digits);
  }
  if (auto r = get("resolve")) {
    if (*r != "phone") return fail("resolve", "expected 'phone'");
    if (!resolver) return fail("resolve", "the phone tables are not available in this build");
    auto facts = resolver(number);
    if (!facts.ok()) return fail("resolve", facts.error().message);
    num = *facts;
  } else {
    num.valid = true;
  }
  bool valid = num.valid;
  if (!yes_no("valid", valid, &valid)) return fail("valid", "expected yes or no");
  num.valid = valid;
  if (auto c = get("country")) {
    num.country = country_code(*c);
    if (!num.country) return fail("country", "expected a two-letter code");
  }
  if (auto r = get("region")) {
    if (*r == "unknown") num.region = 0;
    else if (!(num.region = region_code(*r))) return fail("region", "bad region code");
  }
  if (auto z = get("zones")) {
    num.zones.clear();
    num.zones_overflow = false;
    if (*z != "none") {
      for (const std::string& name : split(*z, '&')) {
        auto id = engine.zone_id(name);
        if (!id.ok()) return fail("zones", id.error().message);
        num.zones.push_back(*id);
      }
    }
  }
  if (auto t = get("type")) {
    num.type = phone::number_type_from_string(*t);
    if (phone::to_string(num.type) != *t) return fail("type", "unknown number type '" + *t + "'");
  }

  // ---- lead ----
  LeadFacts& lead = in.lead;
  if (auto r = get("address_region")) {
    if (*r != "unknown" && !(lead.address_region = region_code(*r))) return fail("address_region", "bad region code");
  }
  if (auto p = get("postal_code")) {
    std::copy_n(p->begin(), std::min(p->size(), lead.postal_code.size() - 1), lead.postal_code.begin());
  }
  for (auto [key, field] : {std::pair{"consent_at", &lead.consent_at}, std::pair{"consent_revoked_at", &lead.consent_revoked_at},
                            std::pair{"last_purchase_at", &lead.last_purchase_at},
                            std::pair{"last_inquiry_at", &lead.last_inquiry_at},
                            std::pair{"contract_ended_at", &lead.contract_ended_at}}) {
    if (auto e = instant(key, field)) return *e;
  }
  if (!yes_no("contract_active", false, &lead.contract_active)) return fail("contract_active", "expected yes or no");

  // ---- campaign ----
  Campaign& camp = in.campaign;
  if (auto p = get("purpose")) {
    auto v = parse_purpose(*p);
    if (!v) return fail("purpose", "unknown purpose");
    camp.purpose = *v;
  }
  if (auto p = get("caller")) {
    auto v = parse_caller(*p);
    if (!v) return fail("caller", "unknown caller");
    camp.caller = *v;
  }
  if (auto p = get("call_type")) {
    auto v = parse_call_type(*p);
    if (!v) return fail("call_type", "unknown call type");
    camp.call_type = *v;
  }
  if (auto c = get("countries")) {
    for (const std::string& w : words(*c)) {
      CountryCode code = country_code(w);
      if (!code) return fail("countries", "bad country '" + w + "'");
      camp.countries.push_back(code);
    }
  } else if (num.country) {
    camp.countries.push_back(num.country);
  }
  if (auto r = get("extra_registries")) {
    for (const std::string& w : words(*r)) {
      auto id = engine.rules().registry_id(w);
      if (!id) return fail("extra_registries", "unknown registry '" + w + "'");
      camp.extra_registries |= uint64_t{1} << *id;
    }
  }
  if (auto h = get("company_hours"); h && *h != "none") {
    auto w = words(*h);
    if (w.empty()) return fail("company_hours", "expected HH:MM-HH:MM [days]");
    size_t dash = w[0].find('-');
    auto s = dash == std::string::npos ? std::nullopt : parse_clock_minutes(w[0].substr(0, dash));
    auto e = dash == std::string::npos ? std::nullopt : parse_clock_minutes(w[0].substr(dash + 1));
    if (!s || !e) return fail("company_hours", "expected HH:MM-HH:MM [days]");
    LocalWindow lw;
    lw.start_minute = *s;
    lw.end_minute = *e;
    if (w.size() > 1) {
      auto d = parse_day_set(w[1]);
      if (!d) return fail("company_hours", "bad day set '" + w[1] + "'");
      lw.days = *d;
    }
    camp.hours = lw;
  }

  // ---- registries ----
  for (const auto& [key, value] : spec.keys) {
    if (key.rfind("registry.", 0) != 0) continue;
    std::string name = key.substr(9);
    auto id = engine.rules().registry_id(name);
    if (!id) return fail(key, "no rule uses registry '" + name + "'");
    RegistryFact& f = in.registries[*id];
    f = RegistryFact{};
    if (value == "absent") continue;
    f.present = true;
    for (const std::string& w : words(value)) {
      if (w == "member" || w == "member=yes") f.member = true;
      else if (w == "member=no") f.member = false;
      else if (w.rfind("as_of=", 0) == 0) {
        auto d = day(key, w.substr(6));
        if (!d.ok()) return d.error();
        f.as_of = *d;
      } else if (w.rfind("registered=", 0) == 0) {
        auto d = day(key, w.substr(11));
        if (!d.ok()) return d.error();
        f.registered_on = *d;
      } else {
        return fail(key, "expected absent | as_of=YYYY-MM-DD [member[=yes|no]] [registered=YYYY-MM-DD], got '" + w + "'");
      }
    }
  }

  // ---- history, time ----
  if (!yes_no("internal_dnc", false, &in.internal_dnc)) return fail("internal_dnc", "expected yes or no");
  if (auto a = get("attempts_24h")) {
    try {
      in.history.attempts_24h = static_cast<uint16_t>(std::stoi(*a));
    } catch (...) {
      return fail("attempts_24h", "expected a number");
    }
  }
  if (auto a = get("attempt_times"); a && *a != "none") {
    for (const std::string& w : words(*a)) {
      auto t = parse_iso8601(w);
      if (!t.ok()) return fail("attempt_times", t.error().message);
      in.history.attempt_times.push_back(*t);
    }
  }
  if (auto e = instant("last_abandoned_at", &in.history.last_abandoned_at)) return *e;
  auto at = get("at");
  if (!at) return fail("at", "missing");
  auto t = parse_iso8601(*at);
  if (!t.ok()) return fail("at", t.error().message);
  in.at = *t;

  // ---- expectations ----
  auto v = parse_verdict(*get("expect"));
  if (!v) return fail("expect", "expected callable, not_now or blocked");
  b.expect.verdict = *v;
  if (auto r = get("reasons"); r && *r != "none") b.expect.reasons = words(*r);
  std::sort(b.expect.reasons.begin(), b.expect.reasons.end());
  if (auto n = get("next_allowed_at")) {
    b.expect.check_next = true;
    if (*n != "none") {
      auto nt = parse_iso8601(*n);
      if (!nt.ok()) return fail("next_allowed_at", nt.error().message);
      b.expect.next_allowed_at = format_iso8601(*nt);
    }
  }
  if (auto l = get("local_times")) b.expect.local_times = split(*l, ';');
  if (auto p = get("packs")) b.expect.packs = words(*p);
  return b;
}

}  // namespace telemark::compliance::testing
