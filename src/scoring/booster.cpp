#include "scoring/booster.h"

#include <fmt/format.h>
#include <xgboost/c_api.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>

namespace telemark::scoring {
namespace {

// XGBoost is loaded at first use (dlopen) rather than linked: its OpenMP
// runtime reads OMP_WAIT_POLICY when it is loaded, and the default (spin
// while waiting) made training 4 to 15 times slower in wall time on a
// 2-core machine shared with other work (30k rows: 64 s against 5 s).
// Loading late lets us ask for passive waiting unless the user chose.
struct XgbApi {
#define TELEMARK_XGB_FUNCTIONS(X)                                                                          \
  X(XGBGetLastError) X(XGBSetGlobalConfig) X(XGDMatrixCreateFromMat_omp) X(XGDMatrixSetFloatInfo)          \
  X(XGDMatrixFree) X(XGBoosterCreate) X(XGBoosterFree) X(XGBoosterSetParam) X(XGBoosterUpdateOneIter)      \
  X(XGBoosterEvalOneIter) X(XGBoosterSlice) X(XGBoosterLoadModelFromBuffer) X(XGBoosterSaveModelToBuffer) \
  X(XGBoosterBoostedRounds) X(XGBoosterGetNumFeature) X(XGBoosterPredictFromDMatrix) X(XGBoosterFeatureScore)
#define TELEMARK_XGB_MEMBER(name) decltype(&::name) name = nullptr;
  TELEMARK_XGB_FUNCTIONS(TELEMARK_XGB_MEMBER)
  std::string load_error;
};

const XgbApi& xgb() {
  static const XgbApi api = [] {
    XgbApi a;
    if (!std::getenv("OMP_WAIT_POLICY") && !std::getenv("GOMP_SPINCOUNT")) ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    void* lib = nullptr;
    for (const char* name : {"libxgboost.so.0", "libxgboost.so"})
      if ((lib = ::dlopen(name, RTLD_NOW | RTLD_LOCAL))) break;
    if (!lib) {
      const char* why = ::dlerror();
      a.load_error = fmt::format("cannot load the XGBoost library libxgboost.so.0 ({}); install Debian's libxgboost0 "
                                 "(scripts/setup does)",
                                 why ? why : "not found");
      return a;
    }
#define TELEMARK_XGB_RESOLVE(name)                                                 \
  a.name = reinterpret_cast<decltype(&::name)>(::dlsym(lib, #name));               \
  if (!a.name && a.load_error.empty())                                             \
    a.load_error = fmt::format("the XGBoost library lacks {} (XGBoost 1.7 or later is needed)", #name);
    TELEMARK_XGB_FUNCTIONS(TELEMARK_XGB_RESOLVE)
    if (a.load_error.empty()) a.XGBSetGlobalConfig("{\"verbosity\":0}");
    return a;
  }();
  return api;
}

Status init_xgboost() {
  const XgbApi& a = xgb();
  if (!a.load_error.empty()) return make_error("xgboost_unavailable", a.load_error);
  return Status::Ok();
}

Error xgb_error(std::string_view what) {
  std::string msg = xgb().XGBGetLastError();
  // XGBoost appends a stack trace; its first line says what went wrong.
  if (auto nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
  return make_error("xgboost_error", fmt::format("XGBoost {} failed: {}", what, msg));
}

class DMatrix {
 public:
  DMatrix() = default;
  ~DMatrix() {
    if (h_) xgb().XGDMatrixFree(h_);
  }
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  Status create(const DenseView& v, int nthread) {
    if (xgb().XGDMatrixCreateFromMat_omp(v.data, static_cast<bst_ulong>(v.rows), static_cast<bst_ulong>(v.cols),
                                   std::numeric_limits<float>::quiet_NaN(), &h_, nthread) != 0)
      return xgb_error("matrix creation");
    if (v.labels && xgb().XGDMatrixSetFloatInfo(h_, "label", v.labels, static_cast<bst_ulong>(v.rows)) != 0)
      return xgb_error("setting labels");
    return Status::Ok();
  }
  DMatrixHandle get() const { return h_; }

 private:
  DMatrixHandle h_ = nullptr;
};

std::string num(double v) { return fmt::format("{}", v); }

}  // namespace

Booster::Booster(Booster&& o) noexcept : handle_(o.handle_) { o.handle_ = nullptr; }
Booster& Booster::operator=(Booster&& o) noexcept {
  if (this != &o) {
    if (handle_) xgb().XGBoosterFree(handle_);
    handle_ = o.handle_;
    o.handle_ = nullptr;
  }
  return *this;
}
Booster::~Booster() {
  if (handle_) xgb().XGBoosterFree(handle_);
}

Result<Booster> Booster::train(const DenseView& train, const DenseView* valid, const BoosterParams& p,
                               TrainingCurve* curve) {
  if (Status s = init_xgboost(); !s.ok()) return s.error();
  DMatrix dtrain, dvalid;
  if (Status s = dtrain.create(train, p.nthread); !s.ok()) return s.error();
  if (valid)
    if (Status s = dvalid.create(*valid, p.nthread); !s.ok()) return s.error();
  DMatrixHandle cache[2] = {dtrain.get(), valid ? dvalid.get() : nullptr};
  BoosterHandle h = nullptr;
  if (xgb().XGBoosterCreate(cache, valid ? 2 : 1, &h) != 0) return xgb_error("booster creation");
  Booster booster(h);
  const std::pair<const char*, std::string> params[] = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "hist"},
      {"nthread", std::to_string(p.nthread)},
      {"seed", std::to_string(p.seed % 2147483647)},
      {"eta", num(p.eta)},
      {"max_depth", std::to_string(p.max_depth)},
      {"min_child_weight", num(p.min_child_weight)},
      {"subsample", num(p.subsample)},
      {"colsample_bytree", num(p.colsample_bytree)},
      {"lambda", num(p.lambda)},
      {"gamma", num(p.gamma)},
      {"max_bin", std::to_string(p.max_bin)},
      {"base_score", num(std::clamp(p.base_score, 1e-6, 1 - 1e-6))},
      {"verbosity", "0"},
  };
  for (const auto& [k, v] : params)
    if (xgb().XGBoosterSetParam(h, k, v.c_str()) != 0) return xgb_error(std::string("parameter ") + k);

  TrainingCurve local;
  TrainingCurve& c = curve ? *curve : local;
  c = TrainingCurve{};
  double best = std::numeric_limits<double>::infinity();
  int rounds = 0;
  for (int i = 0; i < p.max_rounds; ++i) {
    if (xgb().XGBoosterUpdateOneIter(h, i, dtrain.get()) != 0) return xgb_error("training round");
    rounds = i + 1;
    if (!valid) continue;
    const char* names[] = {"valid"};
    DMatrixHandle evals[] = {dvalid.get()};
    const char* out = nullptr;
    if (xgb().XGBoosterEvalOneIter(h, i, evals, names, 1, &out) != 0) return xgb_error("evaluation");
    const char* colon = std::strrchr(out, ':');
    double loss = colon ? std::strtod(colon + 1, nullptr) : std::numeric_limits<double>::quiet_NaN();
    c.valid_logloss.push_back(loss);
    if (loss < best) {
      best = loss;
      c.best_round = i;
    } else if (i - c.best_round >= p.early_stopping_rounds) {
      break;
    }
  }
  if (valid && c.best_round >= 0 && c.best_round + 1 < rounds) {
    BoosterHandle sliced = nullptr;
    if (xgb().XGBoosterSlice(h, 0, c.best_round + 1, 1, &sliced) != 0) return xgb_error("keeping the best rounds");
    // Slicing shares nothing with the original: round-trip through a buffer
    // so the kept model is a plain booster whatever the XGBoost version.
    Booster kept(sliced);
    auto bytes = kept.save_ubj();
    if (!bytes.ok()) return bytes.error();
    return load(*bytes);
  }
  return booster;
}

Result<Booster> Booster::load(std::string_view bytes) {
  if (Status s = init_xgboost(); !s.ok()) return s.error();
  BoosterHandle h = nullptr;
  if (xgb().XGBoosterCreate(nullptr, 0, &h) != 0) return xgb_error("booster creation");
  Booster b(h);
  if (xgb().XGBoosterLoadModelFromBuffer(h, bytes.data(), static_cast<bst_ulong>(bytes.size())) != 0)
    return xgb_error("model loading");
  return b;
}

Result<std::string> Booster::save_ubj() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  if (xgb().XGBoosterSaveModelToBuffer(handle_, "{\"format\":\"ubj\"}", &len, &data) != 0) return xgb_error("model saving");
  return std::string(data, len);
}

Result<std::string> Booster::save_json() const {
  bst_ulong len = 0;
  const char* data = nullptr;
  if (xgb().XGBoosterSaveModelToBuffer(handle_, "{\"format\":\"json\"}", &len, &data) != 0) return xgb_error("model saving");
  return std::string(data, len);
}

int Booster::rounds() const {
  int n = 0;
  if (xgb().XGBoosterBoostedRounds(handle_, &n) != 0) return 0;
  return n;
}

size_t Booster::feature_count() const {
  bst_ulong n = 0;
  if (xgb().XGBoosterGetNumFeature(handle_, &n) != 0) return 0;
  return static_cast<size_t>(n);
}

Result<std::vector<float>> Booster::predict(const float* data, size_t rows, size_t cols, int nthread) const {
  if (rows == 0) return std::vector<float>{};
  DMatrix m;
  if (Status s = m.create(DenseView{data, rows, cols, nullptr}, nthread); !s.ok()) return s.error();
  if (xgb().XGBoosterSetParam(handle_, "nthread", std::to_string(nthread).c_str()) != 0) return xgb_error("parameter nthread");
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  const char* config = R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,"strict_shape":false})";
  if (xgb().XGBoosterPredictFromDMatrix(handle_, m.get(), config, &shape, &dim, &out) != 0) return xgb_error("prediction");
  return std::vector<float>(out, out + rows);
}

Result<std::vector<double>> Booster::total_gain(size_t features) const {
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  if (xgb().XGBoosterFeatureScore(handle_, "{\"importance_type\":\"total_gain\"}", &n, &names, &dim, &shape, &scores) != 0)
    return xgb_error("feature importance");
  std::vector<double> gain(features, 0.0);
  for (bst_ulong i = 0; i < n; ++i) {
    // Without feature names XGBoost calls features f0, f1, ...
    const char* name = names[i];
    if (name[0] != 'f') continue;
    size_t idx = std::strtoull(name + 1, nullptr, 10);
    if (idx < features) gain[idx] = scores[i];
  }
  return gain;
}

Result<CompiledForest> CompiledForest::from_xgboost_json(std::string_view text) {
  CompiledForest f;
  try {
    auto j = nlohmann::json::parse(text);
    const auto& learner = j.at("learner");
    std::string objective = learner.at("objective").at("name").get<std::string>();
    if (objective != "binary:logistic")
      return make_error("bad_model", "XGBoost model objective is " + objective + ", expected binary:logistic");
    const auto& gb = learner.at("gradient_booster");
    if (gb.at("name").get<std::string>() != "gbtree")
      return make_error("bad_model", "XGBoost booster is not gbtree");
    const auto& mp = learner.at("learner_model_param");
    float base_score = std::strtof(mp.at("base_score").get<std::string>().c_str(), nullptr);
    f.features_ = std::strtoull(mp.at("num_feature").get<std::string>().c_str(), nullptr, 10);
    // XGBoost's LogisticRegression::ProbToMargin, in float as XGBoost does it.
    f.base_margin_ = -std::log(1.0f / base_score - 1.0f);
    const auto& trees = gb.at("model").at("trees");
    struct Tree {
      std::vector<int> left, right, split;
      std::vector<float> cond;
      std::vector<int> default_left;
    };
    std::vector<Tree> parsed;
    for (const auto& t : trees) {
      Tree tr;
      tr.left = t.at("left_children").get<std::vector<int>>();
      tr.right = t.at("right_children").get<std::vector<int>>();
      tr.split = t.at("split_indices").get<std::vector<int>>();
      tr.cond = t.at("split_conditions").get<std::vector<float>>();
      for (const auto& d : t.at("default_left")) tr.default_left.push_back(d.is_boolean() ? d.get<bool>() : d.get<int>());
      if (t.contains("split_type"))
        for (const auto& s : t.at("split_type"))
          if (s.get<int>() != 0) return make_error("bad_model", "XGBoost model has categorical splits");
      size_t n = tr.left.size();
      if (tr.right.size() != n || tr.split.size() != n || tr.cond.size() != n || tr.default_left.size() != n || n == 0)
        return make_error("bad_model", "XGBoost tree arrays of different sizes");
      parsed.push_back(std::move(tr));
    }
    // Depth of every tree, checking the links.
    int depth = 0;
    for (const auto& tr : parsed) {
      std::vector<std::pair<int, int>> stack{{0, 0}};
      size_t visited = 0;
      while (!stack.empty()) {
        auto [node, d] = stack.back();
        stack.pop_back();
        if (node < 0 || static_cast<size_t>(node) >= tr.left.size() || ++visited > tr.left.size() || d > 30)
          return make_error("bad_model", "XGBoost tree has a broken link");
        if (tr.left[static_cast<size_t>(node)] < 0) {
          depth = std::max(depth, d);
        } else {
          stack.push_back({tr.left[static_cast<size_t>(node)], d + 1});
          stack.push_back({tr.right[static_cast<size_t>(node)], d + 1});
        }
      }
    }
    if (depth > 20) return make_error("bad_model", "XGBoost trees deeper than 20 levels");
    f.depth_ = depth;
    f.trees_ = parsed.size();
    const size_t internal = (size_t{1} << depth) - 1, leaves = size_t{1} << depth;
    f.split_feature_.assign(f.trees_ * internal, 0);
    f.split_threshold_.assign(f.trees_ * internal, std::numeric_limits<float>::infinity());
    f.leaf_value_.assign(f.trees_ * leaves, 0);
    for (size_t t = 0; t < parsed.size(); ++t) {
      const Tree& tr = parsed[t];
      uint32_t* feat = &f.split_feature_[t * internal];
      float* thr = &f.split_threshold_[t * internal];
      float* leaf = &f.leaf_value_[t * leaves];
      // (node in the XGBoost tree, position in the padded heap, level)
      std::vector<std::tuple<int, size_t, int>> stack{{0, 0, 0}};
      while (!stack.empty()) {
        auto [node, pos, level] = stack.back();
        stack.pop_back();
        size_t nd = static_cast<size_t>(node);
        if (level == depth) {
          leaf[pos - internal] = tr.cond[nd];  // a leaf's value sits in split_conditions
          continue;
        }
        if (tr.left[nd] < 0) {
          // A leaf above the full depth: a split that every value (and
          // missing) passes to the left, down to the leaf level; the
          // right-hand copies are never reached but hold the same value.
          feat[pos] = 0;
          thr[pos] = std::numeric_limits<float>::infinity();
          stack.push_back({node, 2 * pos + 1, level + 1});
          stack.push_back({node, 2 * pos + 2, level + 1});
          continue;
        }
        uint32_t fi = static_cast<uint32_t>(tr.split[nd]);
        if (fi >= f.features_) return make_error("bad_model", "XGBoost tree splits on an unknown feature");
        // Missing values: a default-left node reads the copy of the row
        // where NaN became -inf, a default-right node the copy where it
        // became +inf, so one comparison decides both ways (see predict()).
        feat[pos] = 8 * (tr.default_left[nd] ? fi : fi + static_cast<uint32_t>(f.features_));
        thr[pos] = tr.cond[nd];
        stack.push_back({tr.left[nd], 2 * pos + 1, level + 1});
        stack.push_back({tr.right[nd], 2 * pos + 2, level + 1});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error("bad_model", std::string("XGBoost model JSON: ") + e.what());
  }
  return f;
}

namespace {

// Walks one tree for a block of 8 rows at once: eight independent chains of
// loads that the CPU overlaps, node indices in registers, the depth a
// compile-time constant so the level loop unrolls. The block is stored
// feature-major (block[feature * 8 + row]) and split_feature_ holds feature
// * 8, so reading a row's value is a single load at a constant offset.
template <int kDepth>
inline void walk8(const uint32_t* feat, const float* thr, const float* leaf, const float* block, float* margin) {
  constexpr size_t kInternal = (size_t{1} << kDepth) - 1;
  // size_t indices: the offsets fold into the loads' addressing.
  size_t idx[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int level = 0; level < kDepth; ++level) {
    for (size_t k = 0; k < 8; ++k) {
      size_t node = idx[k];
      idx[k] = 2 * node + 1 + static_cast<size_t>(block[static_cast<size_t>(feat[node]) + k] >= thr[node]);
    }
  }
  for (int k = 0; k < 8; ++k) margin[k] += leaf[idx[k] - kInternal];
}

template <int kDepth>
void predict_block8(const uint32_t* feat_all, const float* thr_all, const float* leaf_all, size_t trees,
                    const float* block, float* margin) {
  constexpr size_t kInternal = (size_t{1} << kDepth) - 1, kLeaves = size_t{1} << kDepth;
  for (size_t t = 0; t < trees; ++t)
    walk8<kDepth>(feat_all + t * kInternal, thr_all + t * kInternal, leaf_all + t * kLeaves, block, margin);
}

// Any depth, for trees deeper than the unrolled versions.
void predict_block8_any(const uint32_t* feat_all, const float* thr_all, const float* leaf_all, size_t trees,
                        int depth, const float* block, float* margin) {
  const size_t internal = (size_t{1} << depth) - 1, leaves = size_t{1} << depth;
  for (size_t t = 0; t < trees; ++t) {
    const uint32_t* feat = feat_all + t * internal;
    const float* thr = thr_all + t * internal;
    for (uint32_t k = 0; k < 8; ++k) {
      uint32_t node = 0;
      for (int level = 0; level < depth; ++level)
        node = 2 * node + 1 + static_cast<uint32_t>(block[feat[node] + k] >= thr[node]);
      margin[k] += leaf_all[t * leaves + node - internal];
    }
  }
}

using Block8Fn = void (*)(const uint32_t*, const float*, const float*, size_t, const float*, float*);
constexpr Block8Fn kBlock8[] = {predict_block8<0>, predict_block8<1>, predict_block8<2>, predict_block8<3>,
                                predict_block8<4>, predict_block8<5>, predict_block8<6>, predict_block8<7>,
                                predict_block8<8>, predict_block8<9>, predict_block8<10>};

}  // namespace

void CompiledForest::predict(const float* data, size_t rows, size_t stride, float* out) const {
  const uint32_t* feat = split_feature_.data();
  const float* thr = split_threshold_.data();
  const float* leaf = leaf_value_.data();
  const size_t F = features_;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // 8 rows, feature-major, each feature twice: NaN as -inf (read by
  // default-left nodes), then NaN as +inf (default-right nodes).
  std::vector<float> block(2 * F * 8);
  Block8Fn block8 = static_cast<size_t>(depth_) < std::size(kBlock8) ? kBlock8[depth_] : nullptr;
  for (size_t b = 0; b < rows; b += 8) {
    const size_t n = std::min<size_t>(8, rows - b);
    for (size_t k = 0; k < 8; ++k) {
      const float* src = data + (b + std::min(k, n - 1)) * stride;  // a short last block repeats its last row
      for (size_t f = 0; f < F; ++f) {
        float x = src[f];
        bool missing = x != x;
        block[f * 8 + k] = missing ? -kInf : x;
        block[(F + f) * 8 + k] = missing ? kInf : x;
      }
    }
    float margin[8];
    for (float& m : margin) m = base_margin_;
    if (block8) block8(feat, thr, leaf, trees_, block.data(), margin);
    else predict_block8_any(feat, thr, leaf, trees_, depth_, block.data(), margin);
    // XGBoost's common::Sigmoid.
    for (size_t k = 0; k < n; ++k) out[b + k] = 1.0f / (1.0f + std::exp(-margin[k]));
  }
}

}  // namespace telemark::scoring
