// DigitAutomaton: a deterministic automaton over the ten ASCII digits,
// compiled from the regular expressions of libphonenumber's metadata.
//
// Internal to src/phone/. libphonenumber evaluates those patterns with ICU's
// backtracking matcher (about 1 us a pattern); the import budget is about
// 1 us for the whole row, which is why this hand-written compiler exists.
// It accepts only the subset the metadata uses (digits, \d, [classes with
// ranges], (?:...), (...), |, ?, *, +, {n}, {n,}, {n,m}, $) and refuses
// anything else with an Error, so a pattern it cannot represent exactly is
// never approximated: the caller falls back to libphonenumber.
//
// Several patterns can be compiled into one automaton; each carries a tag
// bit, and every state knows which tags accept there. Matching semantics
// are those of a language, not of a backtracking engine: "which prefixes of
// the input match" is answered exactly, "which one would ICU's lookingAt
// pick" only when there is a single candidate (the caller checks).
//
// Thread-safety: immutable after compile(); walk from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace telemark::phone::detail {

class DigitAutomaton {
 public:
  struct Pattern {
    std::string_view regex;
    uint32_t tag;  // one bit
  };

  static Result<DigitAutomaton> compile(std::span<const Pattern> patterns,
                                        size_t max_states = 1u << 15);

  DigitAutomaton() = default;

  // Tags of the patterns that match all of `digits` (ASCII '0'..'9' only),
  // and tags of those that match some prefix of it (the empty prefix and the
  // whole input included).
  struct Walk {
    uint32_t full = 0;
    uint32_t prefix = 0;
  };
  Walk walk(std::string_view digits) const {
    uint32_t s = kStart;
    uint32_t prefix = 0;
    for (char c : digits) {
      prefix |= states_[s].accept;
      s = states_[s].next[static_cast<unsigned char>(c) - '0'];
    }
    uint32_t full = states_[s].accept_at_end;
    return {full, prefix | full};
  }

  // Bit k set when digits[0, k) matches a pattern carrying `tag` (k <= 31).
  uint32_t prefix_ends(std::string_view digits, uint32_t tag) const;

  size_t state_count() const { return states_.size(); }
  bool empty() const { return states_.empty(); }

 private:
  static constexpr uint32_t kDead = 0;
  static constexpr uint32_t kStart = 1;
  struct State {
    uint32_t next[10];
    uint32_t accept;         // tags accepting here when more input may follow
    uint32_t accept_at_end;  // tags accepting here if the input ends ('$' paths too)
  };
  std::vector<State> states_;
};

}  // namespace telemark::phone::detail
