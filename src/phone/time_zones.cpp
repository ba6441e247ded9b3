#include <algorithm>
#include <charconv>
#include <iterator>
#include <fstream>
#include <sstream>

#include "phone/phone.h"

namespace telemark::phone {

// A trie over digits: lookups cost one step per digit of the number (at
// most 19) whatever the table size, and the table holds about 3,300
// prefixes sharing most of their digits.
struct TimeZoneTable::Impl {
  struct Node {
    int32_t child[10];
    int32_t zones = -1;  // index into zone_sets, -1 when no prefix ends here
    Node() { std::fill(std::begin(child), std::end(child), -1); }
  };
  std::vector<Node> nodes{Node{}};
  std::vector<std::vector<std::string>> zone_sets;
  std::vector<std::string> joined;
};

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool valid_zone_name(std::string_view z) {
  if (z.empty()) return false;
  for (char c : z) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

TimeZoneTable::TimeZoneTable(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TimeZoneTable::~TimeZoneTable() = default;

Result<std::shared_ptr<const TimeZoneTable>> TimeZoneTable::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("io_error", "cannot open time-zone table " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return make_error("io_error", "cannot read time-zone table " + path);
  return parse(text.str(), path);
}

Result<std::shared_ptr<const TimeZoneTable>> TimeZoneTable::parse(std::string_view text,
                                                                  const std::string& source_name) {
  auto impl = std::make_unique<Impl>();
  size_t line_no = 0;
  size_t entries = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& what) {
      return make_error("bad_timezone_table", source_name + ":" + std::to_string(line_no) + ": " + what);
    };
    size_t bar = line.find('|');
    if (bar == std::string_view::npos) return fail("expected PREFIX|Zone, got \"" + std::string(line) + "\"");
    std::string_view prefix = trim(line.substr(0, bar));
    std::string_view zones = trim(line.substr(bar + 1));
    if (prefix.empty()) return fail("empty prefix");
    if (prefix.size() > 18) return fail("prefix \"" + std::string(prefix) + "\" is longer than 18 digits");
    for (char c : prefix)
      if (c < '0' || c > '9') return fail("prefix \"" + std::string(prefix) + "\" is not all digits");
    if (prefix.front() == '0') return fail("prefix \"" + std::string(prefix) + "\" starts with 0");
    std::vector<std::string> set;
    size_t start = 0;
    while (true) {
      size_t amp = zones.find('&', start);
      std::string_view zone = trim(zones.substr(start, amp == std::string_view::npos ? amp : amp - start));
      if (!valid_zone_name(zone))
        return fail("bad time zone \"" + std::string(zone) + "\" for prefix " + std::string(prefix));
      set.emplace_back(zone);
      if (amp == std::string_view::npos) break;
      start = amp + 1;
    }
    int32_t node = 0;
    for (char c : prefix) {
      int d = c - '0';
      if (impl->nodes[node].child[d] < 0) {
        impl->nodes[node].child[d] = static_cast<int32_t>(impl->nodes.size());
        impl->nodes.emplace_back();
      }
      node = impl->nodes[node].child[d];
    }
    if (impl->nodes[node].zones >= 0) return fail("prefix " + std::string(prefix) + " appears twice");
    std::string joined;
    for (const std::string& z : set) joined += (joined.empty() ? "" : "&") + z;
    // Many prefixes share a zone set ("America/New_York"): store each set once.
    int32_t id = -1;
    for (size_t i = impl->joined.size(); i-- > 0;)
      if (impl->joined[i] == joined) {
        id = static_cast<int32_t>(i);
        break;
      }
    if (id < 0) {
      id = static_cast<int32_t>(impl->zone_sets.size());
      impl->zone_sets.push_back(std::move(set));
      impl->joined.push_back(std::move(joined));
    }
    impl->nodes[node].zones = id;
    ++entries;
  }
  if (entries == 0)
    return make_error("bad_timezone_table", source_name + ": no PREFIX|Zone line found");
  return std::shared_ptr<const TimeZoneTable>(new TimeZoneTable(std::move(impl)));
}

const std::vector<std::string>& TimeZoneTable::lookup(uint64_t e164) const {
  static const std::vector<std::string> kNone;
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), e164);
  int32_t best = -1;
  int32_t node = 0;
  for (const char* p = digits; p != end; ++p) {
    node = impl_->nodes[node].child[*p - '0'];
    if (node < 0) break;
    if (impl_->nodes[node].zones >= 0) best = impl_->nodes[node].zones;
  }
  return best < 0 ? kNone : impl_->zone_sets[best];
}

std::string TimeZoneTable::lookup_joined(uint64_t e164) const {
  const auto& zones = lookup(e164);
  if (zones.empty()) return {};
  std::string out;
  for (const std::string& z : zones) out += (out.empty() ? "" : "&") + z;
  return out;
}

}  // namespace telemark::phone
