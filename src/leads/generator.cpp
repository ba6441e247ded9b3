#include "leads/generator.h"

#include "leads/csv.h"
#include "leads/fields.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace telemark::leads {
namespace {

// Area codes by country, a sample of real ones (the import checks them with
// libphonenumber, so only assigned codes are used).
constexpr int kUsAreaCodes[] = {201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215,
                                216, 217, 218, 219, 224, 225, 228, 229, 231, 234, 239, 240, 248,
                                251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 281, 301, 302,
                                303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317,
                                318, 319, 320, 321, 323, 330, 334, 336, 337, 339, 347, 351, 352,
                                360, 361, 386, 401, 402, 404, 405, 406, 407, 408, 409, 410, 412,
                                413, 414, 415, 417, 419, 423, 425, 430, 432, 434, 435, 440, 443,
                                469, 470, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508,
                                509, 510, 512, 513, 515, 516, 517, 518, 520, 530, 540, 541, 551,
                                559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580, 585, 586,
                                601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616,
                                617, 618, 619, 620, 623, 626, 630, 631, 636, 641, 646, 650, 651,
                                660, 661, 662, 678, 682, 701, 702, 703, 704, 706, 707, 708, 712,
                                713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734,
                                740, 754, 757, 760, 763, 765, 770, 772, 773, 774, 775, 781, 785,
                                786, 801, 802, 803, 804, 805, 806, 808, 810, 812, 813, 814, 815,
                                816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856,
                                857, 858, 859, 860, 862, 863, 864, 865, 870, 872, 878, 901, 903,
                                904, 906, 907, 908, 909, 910, 912, 913, 914, 915, 916, 917, 918,
                                919, 920, 925, 928, 931, 936, 937, 940, 941, 947, 949, 951, 952,
                                954, 956, 970, 971, 972, 973, 978, 979, 980, 985, 989};
constexpr int kCaAreaCodes[] = {204, 226, 236, 250, 289, 306, 343, 365, 403, 416, 418, 431,
                                437, 438, 450, 506, 514, 519, 548, 579, 581, 587, 604, 613,
                                639, 647, 705, 709, 778, 780, 782, 807, 819, 825, 867, 873,
                                902, 905};
constexpr const char* kUsStates[] = {"NY", "CA", "TX", "FL", "IL", "PA", "OH", "GA", "NC", "MI",
                                     "NJ", "VA", "WA", "AZ", "MA", "TN", "IN", "MO", "MD", "WI"};
constexpr const char* kCaProvinces[] = {"ON", "QC", "BC", "AB", "MB", "SK", "NS", "NB"};
constexpr const char* kItProvinces[] = {"MI", "RM", "TO", "NA", "FI", "BO", "VE", "GE", "PA", "BA"};

constexpr const char* kFirstNames[] = {
    "James",  "Mary",   "Robert", "Patricia", "John",    "Jennifer", "Michael", "Linda",
    "Giulia", "Marco",  "Niccolò", "Chiara",  "Lorenzo", "Francesca", "Luca",   "Beatrice",
    "Oliver", "Amelia", "Harry",  "Isla",     "Zoë",     "José",     "François", "Hélène",
    "Andrés", "Noémie", "Mathéo", "Renée",    "Björn",   "Søren",    "Chloé",    "Jürgen"};
constexpr const char* kLastNames[] = {
    "Smith",   "Johnson",  "Williams", "Brown",   "Jones",   "Garcia",    "Miller",  "Davis",
    "Rossi",   "Russo",    "Ferrari",  "Esposito", "Bianchi", "Romano",   "Colombo", "Ricci",
    "Taylor",  "Wilson",   "Evans",    "Thomas",  "Roberts", "Tremblay",  "Gagnon",  "Côté",
    "Bouchard", "Lévesque", "D'Angelo", "Nuñez",   "Müller",  "Dell'Acqua", "O'Brien", "Fàbregas"};
constexpr const char* kUsCities[] = {"New York", "Los Angeles", "Chicago", "Houston", "Phoenix",
                                     "Philadelphia", "San Antonio", "Miami", "Boise", "Louisville"};
constexpr const char* kItCities[] = {"Milano", "Roma", "Torino", "Napoli", "Firenze",
                                     "Bologna", "Venezia", "Genova", "Palermo", "Bari"};
constexpr const char* kCaCities[] = {"Toronto", "Montréal", "Vancouver", "Calgary", "Québec",
                                     "Ottawa", "Winnipeg", "Halifax"};
constexpr const char* kUkCities[] = {"London", "Manchester", "Leeds", "Bristol", "Glasgow"};
constexpr const char* kStreets[] = {"Main St", "Oak Ave", "Via Roma", "Corso Italia", "High Street",
                                    "Rue Saint-Denis", "Piazza Garibaldi", "Elm Road"};

// UTF-8 -> Latin-1 for the characters the name tables use.
std::string to_latin1(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
      unsigned cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
      out.push_back(static_cast<char>(cp));
    } else {
      out.push_back('?');
    }
  }
  return out;
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  uint64_t u(uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng_); }
  double real() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  template <class T, size_t N>
  const T& pick(const T (&a)[N]) { return a[u(N)]; }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + u(10)));
    return s;
  }
  // An exchange code that libphonenumber accepts: 2-9, not N11, not 555.
  std::string exchange() {
    for (;;) {
      int x = 200 + static_cast<int>(u(800));
      if (x % 100 == 11 || x == 555 || x == 950 || x == 958 || x == 959 || x == 976) continue;
      return std::to_string(x);
    }
  }

 private:
  std::mt19937_64 rng_;
};

struct Phone {
  std::string text;
  std::string country;  // country column value ("" sometimes)
  const char* region;
  const char* city;
};

// One valid number in a random notation.
Phone valid_phone(Gen& g) {
  Phone p;
  uint64_t kind = g.u(100);
  if (kind < 50) {  // US
    std::string npa = std::to_string(g.pick(kUsAreaCodes)), nxx = g.exchange(), sub = g.digits(4);
    switch (g.u(8)) {
      case 0: p.text = "(" + npa + ") " + nxx + "-" + sub; break;
      case 1: p.text = npa + "." + nxx + "." + sub; break;
      case 2: p.text = "1-" + npa + "-" + nxx + "-" + sub; break;
      case 3: p.text = "+1 " + npa + " " + nxx + " " + sub; break;
      case 4: p.text = npa + nxx + sub; break;
      case 5: p.text = "'+1" + npa + nxx + sub; break;
      case 6: p.text = npa + "-" + nxx + "-" + sub + " x" + g.digits(3); break;
      default: p.text = "+1" + npa + nxx + sub; break;
    }
    p.country = g.u(3) == 0 ? "" : (g.u(2) ? "US" : "USA");
    p.region = g.pick(kUsStates);
    p.city = g.pick(kUsCities);
  } else if (kind < 62) {  // Canada
    std::string npa = std::to_string(g.pick(kCaAreaCodes)), nxx = g.exchange(), sub = g.digits(4);
    switch (g.u(4)) {
      case 0: p.text = "(" + npa + ") " + nxx + "-" + sub; break;
      case 1: p.text = "+1 " + npa + "-" + nxx + "-" + sub; break;
      case 2: p.text = "1 " + npa + " " + nxx + " " + sub; break;
      default: p.text = npa + nxx + sub; break;
    }
    p.country = g.u(2) ? "CA" : "Canada";
    p.region = g.pick(kCaProvinces);
    p.city = g.pick(kCaCities);
  } else if (kind < 88) {  // Italy
    bool mobile = g.u(2);
    std::string nsn = mobile ? "3" + std::to_string(2 + g.u(8)) + g.digits(8)
                             : (g.u(2) ? "02" : "06") + g.digits(8);
    switch (g.u(6)) {
      case 0: p.text = "+39 " + nsn.substr(0, 3) + " " + nsn.substr(3, 3) + " " + nsn.substr(6); break;
      case 1: p.text = "0039 " + nsn.substr(0, 2) + " " + nsn.substr(2, 4) + " " + nsn.substr(6); break;
      case 2: p.text = mobile ? nsn.substr(0, 3) + "/" + nsn.substr(3) : nsn.substr(0, 2) + "/" + nsn.substr(2); break;
      case 3: p.text = nsn.substr(0, 3) + " " + nsn.substr(3); break;
      case 4: p.text = "+39" + nsn; break;
      default: p.text = nsn; break;
    }
    p.country = g.u(2) ? "IT" : "Italia";
    p.region = g.pick(kItProvinces);
    p.city = g.pick(kItCities);
  } else {  // United Kingdom
    bool mobile = g.u(2);
    std::string nsn = mobile ? "7" + std::to_string(g.u(2) ? 4 + g.u(2) : 7 + g.u(3)) + g.digits(8)
                             : "20" + std::string(1, "378"[g.u(3)]) + g.digits(7);  // London: 020 3/7/8
    switch (g.u(4)) {
      case 0: p.text = "0" + nsn.substr(0, 2) + " " + nsn.substr(2, 4) + " " + nsn.substr(6); break;
      case 1: p.text = "+44 " + nsn.substr(0, 4) + " " + nsn.substr(4); break;
      case 2: p.text = "+44 (0)" + nsn; break;
      default: p.text = "0" + nsn; break;
    }
    p.country = g.u(2) ? "GB" : "United Kingdom";
    p.region = "";
    p.city = g.pick(kUkCities);
  }
  return p;
}

std::string invalid_phone(Gen& g) {
  switch (g.u(6)) {
    case 0: return std::to_string(2 + g.u(8)) + "." + g.digits(5) + "E+09";  // spreadsheet-mangled
    case 1: return g.digits(5);                                               // too short
    case 2: return "1-800-FLOWERS";                                           // letters
    case 3: return "+1 " + g.digits(14);                                      // too long
    case 4: return "";                                                        // empty
    default: return "(555) 012-" + g.digits(4);                               // invalid area code
  }
}

std::string iso_date(Gen& g, int min_year, int max_year) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", min_year + static_cast<int>(g.u(max_year - min_year + 1)),
                1 + static_cast<int>(g.u(12)), 1 + static_cast<int>(g.u(28)));
  return buf;
}

// The prospect profile columns (see generator.h): segment first, since
// purchase history and age depend on it.
void append_profile(Gen& g, std::string& row, char d) {
  static constexpr const char* kSegments[] = {"consumer", "consumer", "consumer", "family", "family",
                                              "business", "business", "premium", "student"};
  static constexpr const char* kChannels[] = {"web", "web", "web", "referral", "event", "cold list", "cold list"};
  std::string segment = g.u(20) == 0 ? "" : g.pick(kSegments);
  int age = segment == "student" ? 18 + static_cast<int>(g.u(10)) : 25 + static_cast<int>(g.u(50));
  double buy = segment == "premium" ? 0.8 : segment == "business" ? 0.6 : segment == "student" ? 0.2 : 0.45;
  int orders = 0;
  while (orders < 12 && g.real() < buy) ++orders;
  row.push_back(d);
  if (g.u(7) != 0) row += std::to_string(age);
  row.push_back(d);
  row += segment;
  row.push_back(d);
  row += g.pick(kChannels);
  row.push_back(d);
  if (orders > 0) row += std::to_string(g.u(orders > 3 ? 12 : 36));  // months since the last purchase
  row.push_back(d);
  row += std::to_string(orders);
}

}  // namespace

Result<GeneratorStats> generate_leads_csv(const std::string& path, const GeneratorOptions& opt) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return make_error("io_error", path + ": cannot create (" + std::strerror(errno) + ")");
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Gen g(opt.seed);
  Gen profile(opt.seed * 0x9e3779b97f4a7c15ull + 0x70726f66ull);  // own stream: other columns unchanged
  GeneratorStats stats;
  const char d = opt.delimiter;
  std::string header = "Nome;Cognome;Telefono;Email;Indirizzo;Città;Provincia;CAP;Paese";
  if (opt.with_facts) header += ";consent_at;last_purchase_at;last_inquiry_at;contract_active";
  header += ";Note;Fonte";
  if (opt.with_profile) header += ";age;segment;channel;months_since_purchase;prior_orders";
  for (char& c : header)
    if (c == ';') c = d;
  if (opt.latin1) header = to_latin1(header);
  header += "\r\n";
  std::fputs(header.c_str(), f);

  std::vector<std::pair<std::string, std::string>> recent;  // (number, country) to repeat
  std::string row;
  for (uint64_t i = 0; i < opt.rows; ++i) {
    row.clear();
    std::string first = g.pick(kFirstNames), last = g.pick(kLastNames);
    Phone p;
    double r = g.real();
    if (r < opt.invalid_share) {
      p = valid_phone(g);
      p.text = invalid_phone(g);
      ++stats.invalid;
    } else if (r < opt.invalid_share + opt.duplicate_share && !recent.empty()) {
      p = valid_phone(g);
      const auto& [text, country] = recent[g.u(recent.size())];
      p.text = text;
      p.country = country;
      ++stats.duplicates;
    } else {
      p = valid_phone(g);
      if (recent.size() < 4096) recent.emplace_back(p.text, p.country);
      else recent[g.u(recent.size())] = {p.text, p.country};
    }
    std::string email;
    if (g.u(4)) {
      email = fold_header(first) + "." + fold_header(last) + std::to_string(g.u(1000)) + "@example.com";
    }
    std::string address = std::to_string(1 + g.u(999)) + " " + g.pick(kStreets);
    std::string zip = g.digits(5);
    append_csv_field(row, first, d); row.push_back(d);
    append_csv_field(row, last, d); row.push_back(d);
    append_csv_field(row, p.text, d); row.push_back(d);
    append_csv_field(row, email, d); row.push_back(d);
    append_csv_field(row, address, d); row.push_back(d);
    append_csv_field(row, p.city, d); row.push_back(d);
    append_csv_field(row, p.region, d); row.push_back(d);
    append_csv_field(row, zip, d); row.push_back(d);
    append_csv_field(row, p.country, d);
    if (opt.with_facts) {
      row.push_back(d);
      if (g.u(10) == 0) append_csv_field(row, iso_date(g, 2023, 2026), d);
      row.push_back(d);
      if (g.u(8) == 0) append_csv_field(row, iso_date(g, 2024, 2026), d);
      row.push_back(d);
      if (g.u(12) == 0) append_csv_field(row, iso_date(g, 2025, 2026), d);
      row.push_back(d);
      if (g.u(20) == 0) row += "yes";
    }
    row.push_back(d);
    switch (g.u(10)) {
      case 0: append_csv_field(row, "Richiamare dopo le 18; \"urgente\"", d); break;
      case 1: append_csv_field(row, "Interested in the premium plan,\nasked for a brochure", d); break;
      default: break;
    }
    row.push_back(d);
    append_csv_field(row, g.u(2) ? "fiera 2025" : "web", d);
    if (opt.with_profile) append_profile(profile, row, d);
    row.append(opt.ragged && g.u(10) == 0 ? ";;\r\n" : "\r\n");  // trailing empty columns, as spreadsheets write
    if (d != ';' && row.size() >= 4 && row.compare(row.size() - 4, 2, ";;") == 0)
      row.replace(row.size() - 4, 2, std::string(2, d));
    if (opt.latin1) row = to_latin1(row);
    std::fwrite(row.data(), 1, row.size(), f);
    ++stats.rows;
  }
  bool failed = std::ferror(f) != 0;
  failed |= std::fclose(f) != 0;
  if (failed) return make_error("io_error", path + ": write failed");
  return stats;
}

}  // namespace telemark::leads
