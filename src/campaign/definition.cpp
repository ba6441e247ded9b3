#include "campaign/definition.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include "leads/segment.h"

namespace telemark::campaign {

using compliance::LocalWindow;

namespace {

struct Fail {
  std::string message;
};

class Ctx {
 public:
  explicit Ctx(std::string file) : file_(std::move(file)) {}
  [[noreturn]] void fail(int line, const std::string& key, const std::string& what) const {
    std::string msg = file_;
    if (line > 0) msg += ":" + std::to_string(line);
    msg += ": ";
    if (!key.empty()) msg += key + ": ";
    throw Fail{msg + what};
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& what) const {
    fail(static_cast<int>(n.source().begin.line), key, what);
  }

 private:
  std::string file_;
};

std::string get_string(const Ctx& ctx, const toml::table& t, const char* key, const std::string& path) {
  const toml::node* n = t.get(key);
  if (!n->is_string()) ctx.fail(*n, path, "expected a string");
  return std::string(n->as_string()->get());
}

std::vector<std::string> get_string_list(const Ctx& ctx, const toml::node& n, const std::string& path) {
  std::vector<std::string> out;
  const toml::array* a = n.as_array();
  if (!a) ctx.fail(n, path, "expected an array of strings, e.g. [\"US\", \"CA\"]");
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::node& e = *a->get(i);
    if (!e.is_string()) ctx.fail(e, path + "[" + std::to_string(i) + "]", "expected a string");
    out.emplace_back(e.as_string()->get());
  }
  return out;
}

bool valid_name(std::string_view s) {
  if (s.empty() || s.size() > 100) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == '-'))
      return false;
  return true;
}

std::string hhmm(uint16_t minutes) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u:%02u", minutes / 60u, minutes % 60u);
  return buf;
}

std::string days_string(uint8_t days) {
  static const char* names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string out;
  // Monday first, as people write it.
  for (int i = 1; i <= 7; ++i) {
    int d = i % 7;
    if (days & (1u << d)) out += (out.empty() ? "" : ",") + std::string(names[d]);
  }
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool valid_code(std::string_view s) {
  if (s.empty() || s.size() > 40) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

void parse_dispositions(const Ctx& ctx, const toml::node& node, CampaignDefinition& d) {
  const toml::table* t = node.as_table();
  if (!t) ctx.fail(node, "dispositions", "expected a table [dispositions] with preset and/or codes");
  for (const auto& [key, n] : *t) {
    std::string p = "dispositions." + std::string(key.str());
    if (key.str() == "preset") {
      if (!n.is_string()) ctx.fail(n, p, "expected a string");
      std::string v(n.as_string()->get());
      auto preset = parse_disposition_preset(v);
      if (!preset) ctx.fail(n, p, "unknown preset \"" + v + "\" (expected sales, survey, charity or appointment)");
      d.disposition_preset = preset;
    } else if (key.str() == "codes") {
      const toml::table* codes = n.as_table();
      if (!codes) ctx.fail(n, p, "expected a table of code = [flags]");
      for (const auto& [ck, cn] : *codes) {
        std::string cp = p + "." + std::string(ck.str());
        if (!valid_code(ck.str())) ctx.fail(cn, cp, "a code uses 1-40 lower-case letters, digits or '_'");
        Disposition disp{std::string(ck.str()), 0};
        for (const std::string& f : get_string_list(ctx, cn, cp)) {
          auto flag = parse_disposition_flag(f);
          if (!flag)
            ctx.fail(cn, cp,
                     "unknown flag \"" + f +
                         "\" (expected human_answered, contact, success, callback, do_not_call, final, bad_number)");
          disp.flags |= static_cast<uint8_t>(*flag);
        }
        // Anything but a pure network outcome was answered by someone.
        if (disp.flags) disp.flags |= static_cast<uint8_t>(DispositionFlag::kHumanAnswered);
        d.dispositions.push_back(std::move(disp));
      }
    } else {
      ctx.fail(n, p, "unknown key (expected preset, codes)");
    }
  }
}

void parse_retry(const Ctx& ctx, const toml::node& node, CampaignDefinition& d) {
  const toml::table* t = node.as_table();
  if (!t) ctx.fail(node, "retry", "expected a table [retry]");
  auto get_count = [&](const toml::node& n, const std::string& p) {
    if (!n.is_integer()) ctx.fail(n, p, "expected a whole number");
    int64_t v = n.as_integer()->get();
    if (v < 0 || v > 1000) ctx.fail(n, p, "expected 0 to 1000");
    return static_cast<uint32_t>(v);
  };
  for (const auto& [key, n] : *t) {
    std::string k(key.str());
    std::string p = "retry." + k;
    if (k == "max_attempts") {
      d.max_attempts = get_count(n, p);
      if (d.max_attempts == 0) ctx.fail(n, p, "must be at least 1");
      continue;
    }
    const toml::table* r = n.as_table();
    if (!r) ctx.fail(n, p, "expected { delay = \"10m\", max_attempts = 4 }");
    if (!valid_code(k)) ctx.fail(n, p, "expected a network outcome or a disposition code");
    RetryRule rule{k, {}, 0};
    bool seen_delay = false, seen_max = false;
    for (const auto& [rk, rn] : *r) {
      std::string rp = p + "." + std::string(rk.str());
      if (rk.str() == "delay") {
        if (!rn.is_string()) ctx.fail(rn, rp, "expected a delay such as \"90s\", \"10m\", \"4h\" or \"1d\"");
        auto delay = parse_delay(rn.as_string()->get());
        if (!delay) ctx.fail(rn, rp, "expected a delay such as \"90s\", \"10m\", \"4h\" or \"1d\"");
        rule.delay = *delay;
        seen_delay = true;
      } else if (rk.str() == "max_attempts") {
        rule.max_attempts = get_count(rn, rp);
        seen_max = true;
      } else {
        ctx.fail(rn, rp, "unknown key (expected delay, max_attempts)");
      }
    }
    if (!seen_delay) ctx.fail(n, p + ".delay", "missing required key");
    if (!seen_max) ctx.fail(n, p + ".max_attempts", "missing required key");
    d.retries.push_back(std::move(rule));
  }
}

CampaignDefinition parse(std::string_view text, const std::string& source_name) {
  Ctx ctx(source_name);
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    ctx.fail(static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  CampaignDefinition d;
  d.source_name = source_name;
  bool seen_name = false, seen_purpose = false, seen_countries = false;
  for (const auto& [key, node] : root) {
    std::string k(key.str());
    if (k == "name") {
      d.name = get_string(ctx, root, "name", k);
      if (!valid_name(d.name)) ctx.fail(node, k, "use 1-100 letters, digits, '.', '_' or '-'");
      seen_name = true;
    } else if (k == "tenant") {
      d.tenant = get_string(ctx, root, "tenant", k);
      if (!valid_name(d.tenant)) ctx.fail(node, k, "use 1-100 letters, digits, '.', '_' or '-'");
    } else if (k == "description") {
      d.description = get_string(ctx, root, "description", k);
    } else if (k == "purpose") {
      std::string v = get_string(ctx, root, "purpose", k);
      auto p = compliance::parse_purpose(v);
      if (!p)
        ctx.fail(node, k,
                 "unknown purpose \"" + v +
                     "\" (expected sales, charity, political, survey, debt_collection or informational)");
      d.purpose = *p;
      seen_purpose = true;
    } else if (k == "caller") {
      std::string v = get_string(ctx, root, "caller", k);
      auto c = compliance::parse_caller(v);
      if (!c) ctx.fail(node, k, "unknown caller \"" + v + "\" (expected self or telemarketer)");
      d.caller = *c;
    } else if (k == "client") {
      d.client = get_string(ctx, root, "client", k);
    } else if (k == "call_type") {
      std::string v = get_string(ctx, root, "call_type", k);
      auto t = compliance::parse_call_type(v);
      if (!t) ctx.fail(node, k, "unknown call type \"" + v + "\" (expected live or prerecorded)");
      d.call_type = *t;
    } else if (k == "countries") {
      d.countries_line = static_cast<int>(node.source().begin.line);
      for (const std::string& c : get_string_list(ctx, node, k)) {
        compliance::CountryCode code = compliance::country_code(c);
        if (!code) ctx.fail(node, k, "\"" + c + "\" is not an ISO 3166 alpha-2 country code");
        std::string norm = compliance::country_string(code);
        for (const std::string& prev : d.countries)
          if (prev == norm) ctx.fail(node, k, "country " + norm + " is listed twice");
        d.countries.push_back(norm);
      }
      if (d.countries.empty()) ctx.fail(node, k, "enable at least one country");
      if (d.countries.size() > compliance::kMaxCampaignCountries)
        ctx.fail(node, k, "at most " + std::to_string(compliance::kMaxCampaignCountries) + " countries");
      seen_countries = true;
    } else if (k == "extra_registries") {
      d.extra_registries_line = static_cast<int>(node.source().begin.line);
      for (const std::string& r : get_string_list(ctx, node, k)) {
        for (const std::string& prev : d.extra_registries)
          if (prev == r) ctx.fail(node, k, "registry " + r + " is listed twice");
        d.extra_registries.push_back(r);
      }
    } else if (k == "hours") {
      const toml::table* h = node.as_table();
      if (!h) ctx.fail(node, k, "expected a table [hours] with start, end and optional days");
      LocalWindow w;
      bool seen_start = false, seen_end = false;
      for (const auto& [hk, hn] : *h) {
        std::string p = "hours." + std::string(hk.str());
        if (hk.str() == "start" || hk.str() == "end") {
          if (!hn.is_string()) ctx.fail(hn, p, "expected a time \"HH:MM\"");
          std::string v(hn.as_string()->get());
          auto m = compliance::parse_clock_minutes(v);
          if (!m) ctx.fail(hn, p, "expected a time \"HH:MM\" between 00:00 and 24:00, got \"" + v + "\"");
          if (hk.str() == "start") {
            w.start_minute = *m;
            seen_start = true;
          } else {
            w.end_minute = *m;
            seen_end = true;
          }
        } else if (hk.str() == "days") {
          std::string spec;
          if (hn.is_string()) {
            spec = std::string(hn.as_string()->get());
          } else {
            for (const std::string& s : get_string_list(ctx, hn, p)) spec += (spec.empty() ? "" : ",") + s;
          }
          auto mask = compliance::parse_day_set(spec);
          if (!mask) ctx.fail(hn, p, "expected days such as \"mon-fri\" or [\"mon\", \"sat\"], got \"" + spec + "\"");
          w.days = *mask;
        } else {
          ctx.fail(hn, p, "unknown key (expected start, end, days)");
        }
      }
      if (!seen_start) ctx.fail(*h, "hours.start", "missing required key");
      if (!seen_end) ctx.fail(*h, "hours.end", "missing required key");
      if (w.start_minute >= w.end_minute) ctx.fail(*h, "hours.end", "must be after hours.start");
      d.hours = w;
    } else if (k == "list") {
      d.list = get_string(ctx, root, "list", k);
      if (!valid_name(d.list)) ctx.fail(node, k, "use 1-100 letters, digits, '.', '_' or '-'");
    } else if (k == "where") {
      d.where = get_string(ctx, root, "where", k);
      auto segment = leads::Segment::parse(d.where);
      if (!segment.ok()) ctx.fail(node, k, segment.error().message);
    } else if (k == "dispositions") {
      parse_dispositions(ctx, node, d);
    } else if (k == "retry") {
      parse_retry(ctx, node, d);
    } else {
      ctx.fail(node, k,
               "unknown key (expected name, tenant, description, purpose, caller, client, call_type, countries, "
               "extra_registries, list, where, [hours], [dispositions], [retry])");
    }
  }
  if (!seen_name) ctx.fail(1, "name", "missing required key");
  if (!seen_purpose) ctx.fail(1, "purpose", "missing required key");
  if (!seen_countries) ctx.fail(1, "countries", "missing required key");
  if (!d.retries.empty() || !d.dispositions.empty()) {
    auto policy = build_policy(d.disposition_preset.value_or(default_preset(d.purpose)), d.dispositions, d.retries,
                               d.max_attempts);
    if (!policy.ok()) ctx.fail(static_cast<int>(root.get("retry") ? root.get("retry")->source().begin.line : 1), "",
                               policy.error().message);
  }
  if (d.caller == compliance::Caller::kTelemarketer && d.client.empty())
    ctx.fail(1, "client", "required when caller = \"telemarketer\" (the seller or charity called for)");
  if (d.caller == compliance::Caller::kSelf && !d.client.empty())
    ctx.fail(static_cast<int>(root.get("client")->source().begin.line), "client",
             "only a telemarketer calls for a client; set caller = \"telemarketer\" or remove client");
  return d;
}

}  // namespace

Result<CampaignDefinition> parse_campaign_definition(std::string_view text, const std::string& source_name) {
  try {
    return parse(text, source_name);
  } catch (const Fail& f) {
    return make_error("bad_campaign", f.message);
  } catch (const std::exception& e) {
    return make_error("bad_campaign", source_name + ": cannot be parsed: " + e.what());
  }
}

Result<CampaignDefinition> load_campaign_definition(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("io_error", path + ": cannot open campaign definition");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_campaign_definition(ss.str(), path);
}

std::string to_toml(const CampaignDefinition& d) {
  std::string out;
  out += "name = " + quote(d.name) + "\n";
  out += "tenant = " + quote(d.tenant) + "\n";
  if (!d.description.empty()) out += "description = " + quote(d.description) + "\n";
  out += "purpose = " + quote(std::string(compliance::to_string(d.purpose))) + "\n";
  out += "caller = " + quote(std::string(compliance::to_string(d.caller))) + "\n";
  if (!d.client.empty()) out += "client = " + quote(d.client) + "\n";
  out += "call_type = " + quote(std::string(compliance::to_string(d.call_type))) + "\n";
  auto list = [](const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + quote(v[i]);
    return s + "]";
  };
  out += "countries = " + list(d.countries) + "\n";
  if (!d.extra_registries.empty()) out += "extra_registries = " + list(d.extra_registries) + "\n";
  if (!d.list.empty()) out += "list = " + quote(d.list) + "\n";
  if (!d.where.empty()) out += "where = " + quote(d.where) + "\n";
  if (d.hours) {
    out += "\n[hours]\n";
    out += "start = \"" + hhmm(d.hours->start_minute) + "\"\n";
    out += "end = \"" + hhmm(d.hours->end_minute) + "\"\n";
    if (d.hours->days != 0x7F) out += "days = \"" + days_string(d.hours->days) + "\"\n";
  }
  if (d.disposition_preset || !d.dispositions.empty()) {
    out += "\n[dispositions]\n";
    if (d.disposition_preset) out += "preset = " + quote(std::string(to_string(*d.disposition_preset))) + "\n";
    if (!d.dispositions.empty()) {
      out += "\n[dispositions.codes]\n";
      for (const Disposition& disp : d.dispositions) {
        std::vector<std::string> flags;
        for (uint8_t bit = 1; bit && bit <= 64; bit = static_cast<uint8_t>(bit << 1))
          if (disp.flags & bit) flags.emplace_back(to_string(static_cast<DispositionFlag>(bit)));
        out += disp.code + " = " + list(flags) + "\n";
      }
    }
  }
  if (d.max_attempts || !d.retries.empty()) {
    out += "\n[retry]\n";
    if (d.max_attempts) out += "max_attempts = " + std::to_string(d.max_attempts) + "\n";
    for (const RetryRule& r : d.retries)
      out += r.outcome + " = { delay = " + quote(format_delay(r.delay)) +
             ", max_attempts = " + std::to_string(r.max_attempts) + " }\n";
  }
  return out;
}

Result<LifecyclePolicy> lifecycle_policy(const CampaignDefinition& d) {
  auto policy = build_policy(d.disposition_preset.value_or(default_preset(d.purpose)), d.dispositions, d.retries,
                             d.max_attempts);
  if (!policy.ok()) return make_error("bad_campaign", d.source_name + ": " + policy.error().message);
  return policy;
}

Result<compliance::Campaign> compile_campaign(const CampaignDefinition& d, const compliance::RuleSet& rules) {
  auto where = [&](int line, const char* key) {
    std::string w = d.source_name;
    if (line > 0) w.append(":").append(std::to_string(line));
    return w.append(": ").append(key).append(": ");
  };
  compliance::Campaign c;
  c.purpose = d.purpose;
  c.caller = d.caller;
  c.call_type = d.call_type;
  c.hours = d.hours;
  for (const std::string& name : d.countries) {
    compliance::CountryCode code = compliance::country_code(name);
    if (!code || !rules.covers_country(code))
      return make_error("bad_campaign", where(d.countries_line, "countries") + "no rule pack covers country " + name);
    if (!c.countries.try_push_back(code))
      return make_error("bad_campaign", where(d.countries_line, "countries") + "too many countries");
  }
  for (const std::string& name : d.extra_registries) {
    auto id = rules.registry_id(name);
    std::string optional_names;
    for (size_t i = 0; i < rules.registry_names().size(); ++i)
      if (rules.registry_is_optional(static_cast<compliance::RegistryId>(i)))
        optional_names += (optional_names.empty() ? "" : ", ") + rules.registry_names()[i];
    if (!id)
      return make_error("bad_campaign", where(d.extra_registries_line, "extra_registries") + "no rule uses registry \"" +
                                            name + "\" (optional registries: " + optional_names + ")");
    if (!rules.registry_is_optional(*id))
      return make_error("bad_campaign", where(d.extra_registries_line, "extra_registries") + "\"" + name +
                                            "\" is always consulted; list only optional registries (" +
                                            optional_names + ")");
    c.extra_registries |= uint64_t{1} << *id;
  }
  return c;
}

}  // namespace telemark::campaign
