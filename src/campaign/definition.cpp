#include "campaign/definition.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

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
    } else {
      ctx.fail(node, k,
               "unknown key (expected name, tenant, description, purpose, caller, client, call_type, countries, "
               "extra_registries, [hours])");
    }
  }
  if (!seen_name) ctx.fail(1, "name", "missing required key");
  if (!seen_purpose) ctx.fail(1, "purpose", "missing required key");
  if (!seen_countries) ctx.fail(1, "countries", "missing required key");
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
  if (d.hours) {
    out += "\n[hours]\n";
    out += "start = \"" + hhmm(d.hours->start_minute) + "\"\n";
    out += "end = \"" + hhmm(d.hours->end_minute) + "\"\n";
    if (d.hours->days != 0x7F) out += "days = \"" + days_string(d.hours->days) + "\"\n";
  }
  return out;
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
