// Reader for the data-driven compliance cases (tests/compliance/*.cases,
// format in tests/compliance/README.md): blocks of `key: value` lines; a
// `defaults:` block sets keys for the cases after it in the same file; a
// `case:` block is one decision to check.
#pragma once

#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "compliance/engine.h"

namespace telemark::compliance::testing {

struct CaseSpec {
  std::string file;   // file name, for messages
  int line = 0;       // of the `case:` line
  std::string name;
  std::map<std::string, std::string> keys;      // defaults merged with the case's own keys
  std::map<std::string, int> key_lines;         // where each key was set
  std::set<std::string> own_keys;               // set by the case block itself
};

// gtest prints parameters with this: "file:line (name)".
void PrintTo(const CaseSpec& c, std::ostream* os);

// All cases of one file (text), or an error naming file:line.
Result<std::vector<CaseSpec>> parse_case_file(const std::string& text, const std::string& file);

struct Expectation {
  Verdict verdict = Verdict::kCallable;
  std::vector<std::string> reasons;            // sorted
  bool check_next = false;
  std::optional<std::string> next_allowed_at;  // ISO 8601 UTC, when check_next
  std::optional<std::vector<std::string>> local_times;
  std::optional<std::vector<std::string>> packs;
};

struct BuiltCase {
  CallIntent intent;
  Expectation expect;
};

// Optional hook that fills number facts from the phone tables for
// `resolve: phone` cases (number -> country, region, zones, type).
using PhoneResolver = std::function<Result<NumberFacts>(const std::string& number)>;

// The same intent with its history's untimed attempts (attempts_24h beyond
// the listed times) turned into attempts at `at`, which is how the engine
// counts them; the result can be re-decided at a later instant.
CallIntent with_timed_attempts(const CallIntent& in);

// Turns a spec into an intent and expectations; errors name file:line:key.
Result<BuiltCase> build_case(const CaseSpec& spec, const Engine& engine, const PhoneResolver& resolver);

}  // namespace telemark::compliance::testing
