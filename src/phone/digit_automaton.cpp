#include "phone/digit_automaton.h"

#include <algorithm>
#include <cassert>
#include <string>
#include <unordered_map>

namespace telemark::phone::detail {
namespace {

constexpr uint16_t kAllDigits = 0x3FF;
constexpr int kInfinite = -1;
constexpr size_t kMaxNfaStates = 1u << 20;

struct Node {
  enum class Kind : uint8_t { kSet, kCat, kAlt, kRepeat, kEmpty, kEnd };
  Kind kind = Kind::kEmpty;
  uint16_t set = 0;
  int min = 0;
  int max = 0;
  std::vector<Node> kids;
};

// Recursive-descent parser for the regex subset; any construct outside it
// is an error rather than a guess.
class Parser {
 public:
  explicit Parser(std::string_view p) : p_(p) {}

  bool parse(Node* out) {
    if (!parse_alt(out)) return false;
    if (i_ != p_.size()) return fail("unbalanced ')'");
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool fail(const std::string& what) {
    if (error_.empty())
      error_ = "pattern \"" + std::string(p_) + "\" at offset " + std::to_string(i_) + ": " + what;
    return false;
  }
  bool at_end() const { return i_ >= p_.size(); }
  char peek() const { return p_[i_]; }

  bool parse_alt(Node* out) {
    Node first;
    if (!parse_cat(&first)) return false;
    if (at_end() || peek() != '|') {
      *out = std::move(first);
      return true;
    }
    Node alt;
    alt.kind = Node::Kind::kAlt;
    alt.kids.push_back(std::move(first));
    while (!at_end() && peek() == '|') {
      ++i_;
      Node next;
      if (!parse_cat(&next)) return false;
      alt.kids.push_back(std::move(next));
    }
    *out = std::move(alt);
    return true;
  }

  bool parse_cat(Node* out) {
    Node cat;
    cat.kind = Node::Kind::kCat;
    while (!at_end() && peek() != '|' && peek() != ')') {
      Node atom;
      if (!parse_atom(&atom)) return false;
      if (!parse_quantifiers(&atom)) return false;
      cat.kids.push_back(std::move(atom));
    }
    if (cat.kids.empty()) {
      out->kind = Node::Kind::kEmpty;
    } else if (cat.kids.size() == 1) {
      *out = std::move(cat.kids[0]);
    } else {
      *out = std::move(cat);
    }
    return true;
  }

  bool parse_number(int* n) {
    if (at_end() || peek() < '0' || peek() > '9') return fail("expected a number");
    int v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + (peek() - '0');
      if (v > 1000) return fail("repetition count too large");
      ++i_;
    }
    *n = v;
    return true;
  }

  bool parse_quantifiers(Node* atom) {
    bool quantified = false;
    while (!at_end()) {
      char c = peek();
      int min = 0, max = 0;
      if (c == '?' || c == '*' || c == '+') {
        if (quantified) {
          // A lazy '?' after a quantifier changes which match a backtracking
          // engine picks, not the set of strings matched: accept it. A
          // possessive '+' can change the set: refuse it.
          if (c == '?') {
            ++i_;
            continue;
          }
          return fail("possessive or repeated quantifier");
        }
        ++i_;
        min = c == '+' ? 1 : 0;
        max = c == '?' ? 1 : kInfinite;
      } else if (c == '{') {
        if (quantified) return fail("repeated quantifier");
        ++i_;
        if (!parse_number(&min)) return false;
        max = min;
        if (!at_end() && peek() == ',') {
          ++i_;
          if (!at_end() && peek() == '}') {
            max = kInfinite;
          } else if (!parse_number(&max)) {
            return false;
          }
        }
        if (at_end() || peek() != '}') return fail("expected '}'");
        ++i_;
        if (max != kInfinite && max < min) return fail("bad repetition range");
      } else {
        break;
      }
      Node rep;
      rep.kind = Node::Kind::kRepeat;
      rep.min = min;
      rep.max = max;
      rep.kids.push_back(std::move(*atom));
      *atom = std::move(rep);
      quantified = true;
    }
    return true;
  }

  bool parse_class(Node* out) {
    ++i_;  // '['
    bool negate = false;
    if (!at_end() && peek() == '^') {
      negate = true;
      ++i_;
    }
    uint16_t set = 0;
    bool first = true;
    while (true) {
      if (at_end()) return fail("unterminated class");
      char c = peek();
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '\\') {
        if (i_ + 1 >= p_.size() || p_[i_ + 1] != 'd') return fail("unsupported escape in class");
        set |= kAllDigits;
        i_ += 2;
        continue;
      }
      if (c < '0' || c > '9') return fail("non-digit in class");
      int lo = c - '0';
      int hi = lo;
      ++i_;
      if (i_ + 1 < p_.size() && peek() == '-' && p_[i_ + 1] != ']') {
        char h = p_[i_ + 1];
        if (h < '0' || h > '9') return fail("non-digit range end");
        hi = h - '0';
        if (hi < lo) return fail("reversed range");
        i_ += 2;
      }
      for (int d = lo; d <= hi; ++d) set |= static_cast<uint16_t>(1u << d);
    }
    out->kind = Node::Kind::kSet;
    out->set = negate ? static_cast<uint16_t>(~set & kAllDigits) : set;
    return true;
  }

  bool parse_atom(Node* out) {
    char c = peek();
    if (c >= '0' && c <= '9') {
      out->kind = Node::Kind::kSet;
      out->set = static_cast<uint16_t>(1u << (c - '0'));
      ++i_;
      return true;
    }
    switch (c) {
      case '\\':
        if (i_ + 1 >= p_.size() || p_[i_ + 1] != 'd') return fail("unsupported escape");
        out->kind = Node::Kind::kSet;
        out->set = kAllDigits;
        i_ += 2;
        return true;
      case '.':  // inputs are digits only, so "any character" is "any digit"
        out->kind = Node::Kind::kSet;
        out->set = kAllDigits;
        ++i_;
        return true;
      case '[':
        return parse_class(out);
      case '$':
        out->kind = Node::Kind::kEnd;
        ++i_;
        return true;
      case '(': {
        ++i_;
        if (!at_end() && peek() == '?') {
          if (i_ + 1 < p_.size() && p_[i_ + 1] == ':') {
            i_ += 2;
          } else {
            return fail("unsupported group kind");
          }
        }
        if (!parse_alt(out)) return false;
        if (at_end() || peek() != ')') return fail("expected ')'");
        ++i_;
        return true;
      }
      default:
        return fail(std::string("unsupported character '") + c + "'");
    }
  }

  std::string_view p_;
  size_t i_ = 0;
  std::string error_;
};

// Thompson construction: one fragment per node, epsilon edges between.
struct NfaState {
  uint16_t set = 0;
  int32_t out = -1;
  uint32_t tag = 0;
  std::vector<int32_t> eps;
  std::vector<int32_t> eps_end;  // crossable only at the end of the input ('$')
};

class Nfa {
 public:
  struct Frag {
    int32_t start;
    int32_t end;
  };

  bool build(const Node& n, Frag* f) {
    switch (n.kind) {
      case Node::Kind::kSet: {
        int32_t s = add(), e = add();
        if (s < 0 || e < 0) return false;
        states[s].set = n.set;
        states[s].out = e;
        *f = {s, e};
        return true;
      }
      case Node::Kind::kEmpty:
      case Node::Kind::kEnd: {
        int32_t s = add(), e = add();
        if (s < 0 || e < 0) return false;
        (n.kind == Node::Kind::kEnd ? states[s].eps_end : states[s].eps).push_back(e);
        *f = {s, e};
        return true;
      }
      case Node::Kind::kCat: {
        Frag first{};
        if (!build(n.kids[0], &first)) return false;
        int32_t prev = first.end;
        for (size_t k = 1; k < n.kids.size(); ++k) {
          Frag next{};
          if (!build(n.kids[k], &next)) return false;
          states[prev].eps.push_back(next.start);
          prev = next.end;
        }
        *f = {first.start, prev};
        return true;
      }
      case Node::Kind::kAlt: {
        int32_t s = add(), e = add();
        if (s < 0 || e < 0) return false;
        for (const Node& kid : n.kids) {
          Frag k{};
          if (!build(kid, &k)) return false;
          states[s].eps.push_back(k.start);
          states[k.end].eps.push_back(e);
        }
        *f = {s, e};
        return true;
      }
      case Node::Kind::kRepeat: {
        int32_t s = add();
        if (s < 0) return false;
        int32_t cur = s;
        for (int k = 0; k < n.min; ++k) {
          Frag one{};
          if (!build(n.kids[0], &one)) return false;
          states[cur].eps.push_back(one.start);
          cur = one.end;
        }
        int32_t e = add();
        if (e < 0) return false;
        if (n.max == kInfinite) {
          Frag loop{};
          if (!build(n.kids[0], &loop)) return false;
          states[cur].eps.push_back(loop.start);
          states[loop.end].eps.push_back(cur);
          states[cur].eps.push_back(e);
        } else {
          for (int k = n.min; k < n.max; ++k) {
            Frag one{};
            if (!build(n.kids[0], &one)) return false;
            states[cur].eps.push_back(one.start);
            states[cur].eps.push_back(e);
            cur = one.end;
          }
          states[cur].eps.push_back(e);
        }
        *f = {s, e};
        return true;
      }
    }
    return false;
  }

  int32_t add() {
    if (states.size() >= kMaxNfaStates) return -1;
    states.emplace_back();
    return static_cast<int32_t>(states.size() - 1);
  }

  std::vector<NfaState> states;
};

struct KeyHash {
  size_t operator()(const std::vector<int32_t>& v) const {
    uint64_t h = 1469598103934665603ull;
    for (int32_t x : v) {
      h ^= static_cast<uint32_t>(x);
      h *= 1099511628211ull;
    }
    return static_cast<size_t>(h);
  }
};

}  // namespace

Result<DigitAutomaton> DigitAutomaton::compile(std::span<const Pattern> patterns,
                                               size_t max_states) {
  Nfa nfa;
  int32_t root = nfa.add();
  for (const Pattern& p : patterns) {
    Node ast;
    Parser parser(p.regex);
    if (!parser.parse(&ast)) return make_error("bad_pattern", parser.error());
    Nfa::Frag f{};
    if (!nfa.build(ast, &f))
      return make_error("pattern_too_large", "pattern \"" + std::string(p.regex) + "\" expands too far");
    nfa.states[root].eps.push_back(f.start);
    nfa.states[f.end].tag |= p.tag;
  }

  std::vector<uint32_t> mark(nfa.states.size(), 0);
  uint32_t generation = 0;
  std::vector<int32_t> stack;
  auto closure = [&](std::vector<int32_t>* set) {
    ++generation;
    stack.assign(set->begin(), set->end());
    set->clear();
    while (!stack.empty()) {
      int32_t s = stack.back();
      stack.pop_back();
      if (mark[s] == generation) continue;
      mark[s] = generation;
      set->push_back(s);
      for (int32_t t : nfa.states[s].eps) stack.push_back(t);
    }
    std::sort(set->begin(), set->end());
  };
  auto tags_at_end = [&](const std::vector<int32_t>& set) {
    ++generation;
    stack.assign(set.begin(), set.end());
    uint32_t tags = 0;
    while (!stack.empty()) {
      int32_t s = stack.back();
      stack.pop_back();
      if (mark[s] == generation) continue;
      mark[s] = generation;
      tags |= nfa.states[s].tag;
      for (int32_t t : nfa.states[s].eps) stack.push_back(t);
      for (int32_t t : nfa.states[s].eps_end) stack.push_back(t);
    }
    return tags;
  };

  DigitAutomaton dfa;
  std::vector<std::vector<int32_t>> keys;
  std::unordered_map<std::vector<int32_t>, uint32_t, KeyHash> index;
  dfa.states_.push_back(State{});  // kDead: every edge loops back, accepts nothing
  keys.emplace_back();
  std::vector<int32_t> start{root};
  closure(&start);
  index.emplace(start, kStart);
  keys.push_back(std::move(start));
  dfa.states_.push_back(State{});

  std::vector<int32_t> move;
  for (uint32_t cur = kStart; cur < keys.size(); ++cur) {
    uint32_t accept = 0;
    for (int32_t s : keys[cur]) accept |= nfa.states[s].tag;
    dfa.states_[cur].accept = accept;
    dfa.states_[cur].accept_at_end = tags_at_end(keys[cur]);
    for (int d = 0; d < 10; ++d) {
      move.clear();
      for (int32_t s : keys[cur]) {
        if (nfa.states[s].set & (1u << d)) move.push_back(nfa.states[s].out);
      }
      uint32_t target = kDead;
      if (!move.empty()) {
        closure(&move);
        auto it = index.find(move);
        if (it != index.end()) {
          target = it->second;
        } else {
          if (keys.size() >= max_states)
            return make_error("automaton_too_large",
                              "more than " + std::to_string(max_states) + " states");
          target = static_cast<uint32_t>(keys.size());
          index.emplace(move, target);
          keys.push_back(move);
          dfa.states_.push_back(State{});
        }
      }
      dfa.states_[cur].next[d] = target;
    }
  }
  return dfa;
}

uint32_t DigitAutomaton::prefix_ends(std::string_view digits, uint32_t tag) const {
  assert(digits.size() < 32);
  uint32_t ends = 0;
  uint32_t s = kStart;
  for (size_t k = 0;; ++k) {
    if (k == digits.size()) {
      if (states_[s].accept_at_end & tag) ends |= 1u << k;
      break;
    }
    if (states_[s].accept & tag) ends |= 1u << k;
    s = states_[s].next[static_cast<unsigned char>(digits[k]) - '0'];
    if (s == kDead) break;
  }
  return ends;
}

}  // namespace telemark::phone::detail
