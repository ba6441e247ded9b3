#include <fstream>

#include "phone/regions.h"

namespace telemark::phone {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool all_upper(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

// "NY", or several codes when an area code spans them: "NS/PE", "NT/NU/YT".
bool region_codes(std::string_view s) {
  size_t start = 0;
  while (true) {
    size_t slash = s.find('/', start);
    if (!all_upper(s.substr(start, slash == std::string_view::npos ? slash : slash - start))) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace

Result<std::shared_ptr<const NanpRegions>> NanpRegions::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error("io_error", "cannot open NANP region table " + path);
  auto table = std::make_shared<NanpRegions>();
  std::string raw;
  size_t line_no = 0;
  size_t entries = 0;
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](const std::string& what) {
      return make_error("bad_nanp_table", path + ":" + std::to_string(line_no) + ": " + what);
    };
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos || line.find('\t', t2 + 1) != std::string_view::npos)
      return fail("expected 3 tab-separated fields: npa, country, region");
    std::string_view npa = trim(line.substr(0, t1));
    std::string_view country = trim(line.substr(t1 + 1, t2 - t1 - 1));
    std::string_view region = trim(line.substr(t2 + 1));
    if (npa.size() != 3 || npa[0] < '2' || npa[0] > '9' || npa[1] < '0' || npa[1] > '9' || npa[2] < '0' ||
        npa[2] > '9')
      return fail("area code \"" + std::string(npa) + "\" is not 3 digits from 200 to 999");
    if (country.size() != 2 || !all_upper(country))
      return fail("country \"" + std::string(country) + "\" is not an ISO alpha-2 code");
    if (!region_codes(region))
      return fail("region \"" + std::string(region) + "\" is not upper-case codes separated by '/'");
    int n = (npa[0] - '0') * 100 + (npa[1] - '0') * 10 + (npa[2] - '0');
    if (table->by_npa_[n]) return fail("area code " + std::string(npa) + " appears twice");
    table->by_npa_[n] = NanpRegion{std::string(country), std::string(region)};
    ++entries;
  }
  if (in.bad()) return make_error("io_error", "cannot read NANP region table " + path);
  if (entries == 0) return make_error("bad_nanp_table", path + ": no area code found");
  return std::shared_ptr<const NanpRegions>(std::move(table));
}

std::optional<NanpRegion> NanpRegions::lookup(uint64_t e164) const {
  if (e164 < 10000000000ull || e164 > 19999999999ull) return std::nullopt;
  return lookup_npa(static_cast<int>((e164 / 10000000ull) % 1000));
}

std::optional<NanpRegion> NanpRegions::lookup_npa(int npa) const {
  if (npa < 0 || npa >= static_cast<int>(by_npa_.size())) return std::nullopt;
  return by_npa_[static_cast<size_t>(npa)];
}

}  // namespace telemark::phone
