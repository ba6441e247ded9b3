// Runs tests/cli/cases/*.case (format in cases/README.md) against the real
// telemark binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Run {
  std::string args;
  int exit = 0;
  std::vector<std::string> stdout_has, stderr_has, stdout_lacks;
  std::vector<std::pair<std::string, std::string>> file_has;
  bool unchanged = false;
  int line = 0;
};

struct Case {
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::pair<std::string, size_t>> big_fields;
  std::string db;
  std::vector<Run> runs;
};

std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char n = s[i + 1];
      if (n == 'x' && i + 3 < s.size()) {
        out.push_back(static_cast<char>(std::stoi(s.substr(i + 2, 2), nullptr, 16)));
        i += 3;
        continue;
      }
      if (n == '\\') { out.push_back('\\'); ++i; continue; }
      if (n == 'r') { out.push_back('\r'); ++i; continue; }
    }
    out.push_back(s[i]);
  }
  return out;
}

Case parse_case(const fs::path& path) {
  std::ifstream in(path);
  Case c;
  std::string line;
  int n = 0;
  auto rest = [](const std::string& l, size_t k) {
    std::string r = l.substr(k);
    while (!r.empty() && r.front() == ' ') r.erase(r.begin());
    return r;
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("file:", 0) == 0) {
      std::string name = rest(line, 5), body, l;
      bool ended = false;
      while (std::getline(in, l)) {
        ++n;
        if (l == "end") { ended = true; break; }
        body += unescape(l) + "\n";
      }
      if (!ended) throw std::runtime_error(path.string() + ": file " + name + " has no `end`");
      c.files.emplace_back(name, body);
    } else if (line.rfind("generate:", 0) == 0) {
      std::istringstream ss(rest(line, 9));
      std::string name, kind;
      size_t bytes = 0;
      ss >> name >> kind >> bytes;
      c.big_fields.emplace_back(name, bytes);
    } else if (line.rfind("db:", 0) == 0) {
      c.db = rest(line, 3);
    } else if (line.rfind("run:", 0) == 0) {
      Run r;
      r.args = rest(line, 4);
      r.line = n;
      c.runs.push_back(r);
    } else if (c.runs.empty()) {
      throw std::runtime_error(path.string() + ":" + std::to_string(n) + ": expectation before any run:");
    } else if (line.rfind("exit:", 0) == 0) {
      c.runs.back().exit = std::stoi(rest(line, 5));
    } else if (line.rfind("stdout:", 0) == 0) {
      c.runs.back().stdout_has.push_back(unescape(rest(line, 7)));
    } else if (line.rfind("stderr:", 0) == 0) {
      c.runs.back().stderr_has.push_back(unescape(rest(line, 7)));
    } else if (line.rfind("no-stdout:", 0) == 0) {
      c.runs.back().stdout_lacks.push_back(unescape(rest(line, 10)));
    } else if (line.rfind("file-contains:", 0) == 0) {
      std::string r = rest(line, 14);
      auto sp = r.find(' ');
      c.runs.back().file_has.emplace_back(r.substr(0, sp), unescape(r.substr(sp + 1)));
    } else if (line == "unchanged") {
      c.runs.back().unchanged = true;
    } else {
      throw std::runtime_error(path.string() + ":" + std::to_string(n) + ": unknown line: " + line);
    }
  }
  return c;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
  return s;
}

struct Output {
  int exit;
  std::string out, err;
};

Output run_telemark(const fs::path& dir, const std::string& db, const std::string& args) {
  std::string cmd = "cd '" + dir.string() + "' && TELEMARK_HOME='" SOURCE_HOME "' '" TELEMARK_BIN
                    "' --db '" + db + "' " + args + " >'" + (dir / ".out").string() + "' 2>'" +
                    (dir / ".err").string() + "' </dev/null";
  int status = std::system(cmd.c_str());
  Output o;
  o.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  o.out = slurp(dir / ".out");
  o.err = slurp(dir / ".err");
  return o;
}

// What the database holds, as the CLI shows it: lists with counts and every lead.
std::string db_state(const fs::path& dir, const std::string& db) {
  if (db.find("://") == std::string::npos && !fs::exists(db)) return "<no database file>";
  auto lists = run_telemark(dir, db, "lists --json");
  auto leads = run_telemark(dir, db, "leads --export -");
  return lists.out + lists.err + "\n" + leads.out + leads.err;
}

class CliCase : public ::testing::TestWithParam<std::string> {};

TEST_P(CliCase, Runs) {
  fs::path path = fs::path(CASES_DIR) / GetParam();
  Case c = parse_case(path);
  ASSERT_FALSE(c.runs.empty()) << path << ": no run:";
  fs::path dir = fs::temp_directory_path() / ("telemark-cli-" + std::to_string(::getpid()) + "-" +
                                              path.stem().string());
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& [name, body] : c.files) std::ofstream(dir / name, std::ios::binary) << body;
  for (const auto& [name, bytes] : c.big_fields) {
    std::ofstream f(dir / name, std::ios::binary);
    f << "phone,notes\n2125550123,\"" << std::string(bytes, 'a') << "\"\n";
  }
  std::string db = c.db.empty() ? (dir / "t.db").string() : c.db;
  for (const auto& r : c.runs) {
    std::string args = replace_all(r.args, "{dir}", dir.string());
    SCOPED_TRACE(path.string() + ":" + std::to_string(r.line) + ": telemark " + args);
    std::string before = r.unchanged ? db_state(dir, db) : "";
    Output o = run_telemark(dir, db, args);
    EXPECT_EQ(o.exit, r.exit) << "stdout:\n" << o.out << "\nstderr:\n" << o.err;
    for (const auto& s : r.stdout_has) EXPECT_NE(o.out.find(s), std::string::npos) << "stdout lacks: " << s << "\n" << o.out;
    for (const auto& s : r.stdout_lacks) EXPECT_EQ(o.out.find(s), std::string::npos) << "stdout has: " << s << "\n" << o.out;
    for (const auto& s : r.stderr_has) EXPECT_NE(o.err.find(s), std::string::npos) << "stderr lacks: " << s << "\n" << o.err;
    for (const auto& [name, text] : r.file_has)
      EXPECT_NE(slurp(dir / name).find(text), std::string::npos) << name << " lacks: " << text;
    if (r.unchanged) {
      EXPECT_EQ(db_state(dir, db), before) << "the database changed";
    }
  }
  fs::remove_all(dir);
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(CASES_DIR))
    if (e.path().extension() == ".case") names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Cases, CliCase, ::testing::ValuesIn(case_names()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.size() - 5);
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
