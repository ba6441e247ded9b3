#include "phone/messy_numbers.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <set>
#include <string_view>

namespace telemark::phone {

namespace lpn = i18n::phonenumbers;

namespace {

struct WeightedRegion {
  const char* code;
  uint32_t weight;
};

constexpr WeightedRegion kRealisticRegions[] = {
    {"US", 40}, {"CA", 15}, {"IT", 17}, {"GB", 17}, {"FR", 4}, {"DE", 4}, {"ES", 3},
};

// The common countries weigh most; the rest cover shared country codes
// (NANP islands, GB's crown dependencies, IT/VA, RU/KZ, FI/AX, NO/SJ, the
// French overseas regions), national prefix transform rules (AR, BR, MX,
// GA, NF, SM, MG, CC/CX) and long or short numbering plans (DE, AT, JP).
constexpr WeightedRegion kAdversarialRegions[] = {
    {"US", 30}, {"CA", 15}, {"IT", 15}, {"GB", 15}, {"FR", 10}, {"DE", 10}, {"ES", 10},
    {"NL", 2},  {"BE", 2},  {"CH", 2},  {"AT", 2},  {"AU", 2},  {"BR", 2},  {"MX", 2},
    {"IN", 2},  {"JP", 2},  {"AR", 2},  {"RU", 2},  {"KZ", 1},  {"CN", 2},  {"SE", 1},
    {"PL", 1},  {"IE", 1},  {"PT", 1},  {"JE", 1},  {"GG", 1},  {"IM", 1},  {"VA", 1},
    {"SM", 1},  {"BS", 1},  {"DO", 1},  {"PR", 1},  {"AG", 1},  {"JM", 1},  {"NZ", 1},
    {"ZA", 1},  {"HU", 1},  {"FI", 1},  {"AX", 1},  {"NO", 1},  {"SJ", 1},  {"KR", 1},
    {"SG", 1},  {"HK", 1},  {"IL", 1},  {"TR", 1},  {"GR", 1},  {"CO", 1},  {"UZ", 1},
    {"GA", 1},  {"NF", 1},  {"MG", 1},  {"CC", 1},  {"CX", 1},  {"SH", 1},  {"TA", 1},
    {"RE", 1},  {"YT", 1},  {"GP", 1},  {"BL", 1},  {"MF", 1},  {"CL", 1},  {"PE", 1},
    {"CI", 1},  {"SN", 1},  {"EG", 1},  {"NG", 1},  {"AE", 1},  {"SA", 1},
};

constexpr int kNonGeoCodes[] = {800, 808, 870, 878, 881, 882, 883, 888, 979};

const lpn::PhoneNumberUtil::PhoneNumberType kAllTypes[] = {
    lpn::PhoneNumberUtil::FIXED_LINE, lpn::PhoneNumberUtil::MOBILE,
    lpn::PhoneNumberUtil::FIXED_LINE, lpn::PhoneNumberUtil::MOBILE,
    lpn::PhoneNumberUtil::TOLL_FREE,  lpn::PhoneNumberUtil::PREMIUM_RATE,
    lpn::PhoneNumberUtil::SHARED_COST, lpn::PhoneNumberUtil::VOIP,
    lpn::PhoneNumberUtil::PERSONAL_NUMBER, lpn::PhoneNumberUtil::PAGER,
    lpn::PhoneNumberUtil::UAN, lpn::PhoneNumberUtil::VOICEMAIL,
};

// Separators, extension notations and stray characters, ASCII and not.
constexpr std::string_view kSeparators[] = {" ", "-", ".", "/", " - ", "  ", "\xC2\xA0", "\t"};
constexpr std::string_view kExtensions[] = {
    " x123", "x12", " ext. 45", " ext 45", " ext45", " extn 7", " extension 12", " #45",
    " ext: 45", ",,45", ";ext=45", " x 1234567", " EXT. 9", " x1234567890", " X 77", "#",
    " ext", " ext.-12", " int 12", " anexo 3", " ext 123456789012345678901", " x 12#", " - 503#",
    " ;45", ",45", " x", "/x12", " / x 12"};
constexpr std::string_view kStray[] = {
    ",", "\xC2\xA0", "\t", "*", "#", ";", "\xEF\xBC\x91", "\xD9\xA3", "~", "[", "]", "'", "\"",
    "+", "x", "e", "\xEF\xBC\x8B", "\xE2\x80\x93", ":", "!", "\xFF", "\xE3\x80\x80", "\\", "_"};
constexpr std::string_view kBogusRegions[] = {"", "XX", "USA", "001", "u", "zz", "1", "GBR"};
constexpr std::string_view kIdds[] = {"00", "011", "0011", "810", "00 ", "011 ", "001", "010", "0"};

std::string national_number_of(const lpn::PhoneNumber& n) {
  std::string nsn;
  lpn::PhoneNumberUtil::GetInstance()->GetNationalSignificantNumber(n, &nsn);
  return nsn;
}

}  // namespace

MessyNumberGenerator::MessyNumberGenerator(uint64_t seed, MessyMix mix)
    : state_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E5ull), mix_(mix) {
  const auto* util = lpn::PhoneNumberUtil::GetInstance();
  auto add = [&](std::vector<Region>* pool, uint64_t* total, const char* code, uint32_t weight,
                 bool all_types) {
    Region r;
    r.code = code;
    r.country_code = util->GetCountryCodeForRegion(code);
    if (r.country_code == 0) return;
    util->GetNddPrefixForRegion(code, true, &r.national_prefix);
    std::set<std::string> seen;
    for (auto type : kAllTypes) {
      if (!all_types && type != lpn::PhoneNumberUtil::FIXED_LINE && type != lpn::PhoneNumberUtil::MOBILE)
        continue;
      lpn::PhoneNumber n;
      if (util->GetExampleNumberForType(code, type, &n)) {
        std::string nsn = national_number_of(n);
        // Keep duplicates of fixed/mobile: they set the type mix.
        if (seen.insert(nsn).second || type == lpn::PhoneNumberUtil::FIXED_LINE ||
            type == lpn::PhoneNumberUtil::MOBILE)
          r.examples.push_back(nsn);
      }
    }
    if (r.examples.empty()) return;
    r.weight = weight;
    *total += weight;
    pool->push_back(std::move(r));
  };
  for (const auto& w : kRealisticRegions) add(&realistic_, &realistic_weight_, w.code, w.weight, false);
  for (const auto& w : kAdversarialRegions) add(&adversarial_, &adversarial_weight_, w.code, w.weight, true);
  for (int cc : kNonGeoCodes) {
    lpn::PhoneNumber n;
    if (!util->GetExampleNumberForNonGeoEntity(cc, &n)) continue;
    Region r;
    r.code = "001";
    r.country_code = cc;
    r.examples.push_back(national_number_of(n));
    r.weight = 1;
    adversarial_weight_ += 1;
    adversarial_.push_back(std::move(r));
  }
}

uint64_t MessyNumberGenerator::rand() {
  // splitmix64: tiny, fast, and the same on every platform.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

const MessyNumberGenerator::Region& MessyNumberGenerator::pick_region(const std::vector<Region>& pool,
                                                                      uint64_t total) {
  uint64_t x = below(total);
  for (const Region& r : pool) {
    if (x < r.weight) return r;
    x -= r.weight;
  }
  return pool.front();
}

std::string MessyNumberGenerator::mutate(const std::string& nsn, bool keep_valid_shape) {
  std::string d = nsn;
  if (keep_valid_shape) {
    // Keep the area code / mobile prefix, draw the subscriber digits.
    size_t keep = d.size() >= 10 ? 4 : 3;
    if (keep > d.size()) keep = d.size();
    for (size_t i = keep; i < d.size(); ++i) d[i] = digit();
    if (d.size() == 10 && (d[0] >= '2' && d[0] <= '9') && d[3] < '2')
      d[3] = static_cast<char>('2' + below(8));  // NANP exchange codes start 2-9
    return d;
  }
  uint64_t how = below(100);
  if (how < 15) return d;
  if (how < 70) {
    size_t keep = 1 + below(d.size() < 4 ? d.size() : 4);
    for (size_t i = keep; i < d.size(); ++i) d[i] = digit();
    return d;
  }
  if (how < 85) {
    if (chance(50) && d.size() > 3) {
      d.resize(d.size() - 1 - below(3 < d.size() - 2 ? 3 : d.size() - 2));
    } else {
      for (uint64_t k = 0, n = 1 + below(3); k < n; ++k) d.push_back(digit());
    }
    return d;
  }
  if (how < 95) {
    std::string r;
    for (uint64_t k = 0, n = 1 + below(19); k < n; ++k) r.push_back(digit());
    return r;
  }
  // Zeros where they confuse trunk prefixes and IDDs.
  std::string r = chance(50) ? "0" : "00";
  return r + d;
}

std::string MessyNumberGenerator::group(const std::string& digits, bool light) {
  std::string_view sep = light ? kSeparators[below(3)] : kSeparators[below(std::size(kSeparators))];
  bool mixed = !light && chance(20);
  std::string out;
  size_t i = 0;
  while (i < digits.size()) {
    size_t len = 2 + below(3);
    if (i + len > digits.size()) len = digits.size() - i;
    if (!out.empty()) out += mixed ? kSeparators[below(5)] : sep;
    out.append(digits, i, len);
    i += len;
  }
  return out;
}

std::string MessyNumberGenerator::spreadsheet_form(const std::string& digits) {
  // 2125550123 as a float: 2.12555E+09 (or e10 with more mantissa digits).
  std::string out(1, digits.empty() ? '1' : digits[0]);
  out += chance(70) ? "." : ",";
  size_t mantissa = 1 + below(digits.size() > 1 ? digits.size() - 1 : 1);
  for (size_t i = 1; i <= mantissa && i < digits.size(); ++i) out.push_back(digits[i]);
  if (out.back() == '.' || out.back() == ',') out.push_back('0');
  out += chance(80) ? "E+" : "e";
  size_t exp = digits.size() > 1 ? digits.size() - 1 : 1;
  if (exp < 10) out.push_back('0');
  out += std::to_string(exp);
  return out;
}

MessyNumber MessyNumberGenerator::next() {
  return mix_ == MessyMix::kRealistic ? realistic() : adversarial();
}

MessyNumber MessyNumberGenerator::realistic() {
  const Region& r = pick_region(realistic_, realistic_weight_);
  std::string nsn = mutate(r.examples[below(r.examples.size())], true);
  std::string cc = std::to_string(r.country_code);
  MessyNumber out;
  out.region = r.code;
  if (chance(5)) {  // the broken ones
    switch (below(4)) {
      case 0: nsn.resize(nsn.size() - 1 - below(3)); break;
      case 1: for (uint64_t k = 0, n = 1 + below(3); k < n; ++k) nsn.push_back(digit()); break;
      case 2: nsn.replace(nsn.size() - 4, 4, chance(50) ? "FLOW" : "CALL"); break;
      case 3: out.raw = spreadsheet_form(r.country_code == 1 ? nsn : cc + nsn); return out;
    }
  }
  const bool nanp = r.country_code == 1 && nsn.size() == 10;
  uint64_t form = below(100);
  if (form < 35) {
    out.raw = "+" + cc + nsn;
  } else if (form < 55) {
    out.raw = (r.country_code == 1 ? "" : r.national_prefix) + nsn;
  } else if (form < 85) {
    if (nanp) {
      std::string a = nsn.substr(0, 3), e = nsn.substr(3, 3), l = nsn.substr(6);
      switch (below(5)) {
        case 0: out.raw = "(" + a + ") " + e + "-" + l; break;
        case 1: out.raw = a + "-" + e + "-" + l; break;
        case 2: out.raw = a + "." + e + "." + l; break;
        case 3: out.raw = "1-" + a + "-" + e + "-" + l; break;
        default: out.raw = "+1 " + a + " " + e + " " + l; break;
      }
    } else {
      out.raw = (chance(50) ? "+" + cc + " " : r.national_prefix) + group(nsn, true);
    }
  } else if (form < 95) {
    out.raw = "+" + cc + " " + group(nsn, true);
  } else {
    switch (below(4)) {
      case 0: out.raw = "'+" + cc + nsn; break;
      case 1: out.raw = "+" + cc + " " + group(nsn, true) + " x" + std::to_string(1 + below(999)); break;
      case 2: out.raw = "00" + cc + " " + group(nsn, true); break;
      default: out.raw = (r.country_code == 1 ? "" : r.national_prefix) + nsn + " ext. " +
                         std::to_string(1 + below(99)); break;
    }
  }
  if (out.raw[0] == '+' && chance(10)) out.region.clear();
  return out;
}

MessyNumber MessyNumberGenerator::garbage() {
  static constexpr std::string_view kPool = "0123456789 +-().x#/,;:*abcXYZ'\t";
  MessyNumber out;
  for (uint64_t k = 0, n = below(26); k < n; ++k) {
    if (chance(10)) {
      out.raw += kStray[below(std::size(kStray))];
    } else {
      out.raw.push_back(kPool[below(kPool.size())]);
    }
  }
  const Region& r = pick_region(adversarial_, adversarial_weight_);
  out.region = r.code == "001" ? "" : r.code;
  return out;
}

MessyNumber MessyNumberGenerator::adversarial() {
  if (chance(2)) return garbage();
  const Region& r = pick_region(adversarial_, adversarial_weight_);
  const Region& other = pick_region(adversarial_, adversarial_weight_);
  std::string nsn = mutate(r.examples[below(r.examples.size())], chance(40));
  std::string cc = std::to_string(r.country_code);
  MessyNumber out;

  uint64_t form = below(100);
  if (form < 22) {
    out.raw = "+" + cc + (chance(50) ? " " : "") + group(nsn, chance(50));
  } else if (form < 32) {
    out.raw = "+" + cc + nsn;
  } else if (form < 50) {
    out.raw = (chance(80) ? r.national_prefix : "") + group(nsn, chance(50));
  } else if (form < 60) {
    out.raw = r.national_prefix + nsn;
  } else if (form < 68) {
    out.raw = std::string(kIdds[below(std::size(kIdds))]) + cc + (chance(50) ? " " : "") + group(nsn, true);
  } else if (form < 74) {
    out.raw = cc + (chance(50) ? " " : "") + group(nsn, true);
  } else if (form < 80) {
    size_t split = nsn.size() > 4 ? 2 + below(3) : 1;
    if (split > nsn.size()) split = nsn.size();
    out.raw = (chance(30) ? "1 " : "") + std::string("(") + nsn.substr(0, split) + ") " +
              group(nsn.substr(split), true);
  } else if (form < 85) {
    out.raw = "+" + cc + " (0) " + group(nsn, true);
  } else if (form < 90) {
    out.raw = r.national_prefix + cc + nsn;
  } else {
    switch (below(6)) {
      case 0: out.raw = "++" + cc + nsn; break;
      case 1: out.raw = "+0" + cc + " " + nsn; break;
      case 2: out.raw = "+" + std::to_string(below(1000)) + nsn; break;
      case 3: out.raw = "+00" + cc + nsn; break;
      case 4: out.raw = "+" + cc; break;
      default: out.raw = "(+" + cc + ") " + group(nsn, true); break;
    }
  }

  uint64_t region_kind = below(100);
  if (region_kind < 70) {
    out.region = r.code == "001" ? other.code : r.code;
  } else if (region_kind < 80) {
    out.region = other.code;
  } else if (region_kind < 88) {
    out.region = "";
  } else if (region_kind < 94) {
    out.region = r.code;
    for (char& c : out.region) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  } else {
    out.region = kBogusRegions[below(std::size(kBogusRegions))];
  }
  if (out.region == "001") out.region.clear();

  if (chance(10)) out.raw += kExtensions[below(std::size(kExtensions))];
  if (chance(2)) {
    size_t at = below(out.raw.size() + 1);
    out.raw.insert(at, kStray[below(std::size(kStray))]);
  }
  if (chance(2) && !nsn.empty()) {
    static constexpr std::string_view kWords[] = {"FLOWERS", "CALL", "ab", "x", "T", "ext"};
    std::string_view w = kWords[below(std::size(kWords))];
    size_t at = below(out.raw.size() + 1);
    out.raw.insert(at, w);
  }
  if (chance(2)) out.raw += std::string_view(")-. ").substr(below(4), 1);
  if (chance(3)) out.raw = "'" + out.raw;
  if (chance(3)) out.raw = " " + out.raw + "  ";
  if (chance(2)) out.raw = spreadsheet_form(cc + nsn);
  return out;
}

}  // namespace telemark::phone
