#include "scoring/model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace telemark::scoring {

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(kB64[(v >> 6) & 63]);
    out.push_back(kB64[v & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kB64[v >> 18]);
    out.push_back(kB64[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

Result<std::string> base64_decode(std::string_view in) {
  int8_t map[256];
  std::fill(std::begin(map), std::end(map), int8_t{-1});
  for (int i = 0; i < 64; ++i) map[static_cast<uint8_t>(kB64[i])] = static_cast<int8_t>(i);
  if (in.size() % 4 != 0) return make_error("bad_base64", "base64 text length is not a multiple of 4");
  std::string out;
  out.reserve(in.size() / 4 * 3);
  for (size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = in[i + static_cast<size_t>(k)];
      if (c == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad) return make_error("bad_base64", "base64 padding in the middle");
      v[k] = map[static_cast<uint8_t>(c)];
      if (v[k] < 0) return make_error("bad_base64", fmt::format("invalid base64 character at offset {}", i + static_cast<size_t>(k)));
    }
    uint32_t w = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                 (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<char>(w >> 16));
    if (pad < 2) out.push_back(static_cast<char>((w >> 8) & 0xff));
    if (pad < 1) out.push_back(static_cast<char>(w & 0xff));
  }
  return out;
}

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Model::Model(FeatureSpec spec, Booster booster, CompiledForest forest, ModelInfo info)
    : spec_(std::move(spec)),
      booster_(std::move(booster)),
      forest_(std::move(forest)),
      info_(std::move(info)),
      booster_mutex_(std::make_unique<std::mutex>()) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Result<Model> Model::create(FeatureSpec spec, Booster booster, ModelInfo info) {
  auto json = booster.save_json();
  if (!json.ok()) return json.error();
  auto forest = CompiledForest::from_xgboost_json(*json);
  if (!forest.ok()) return forest.error();
  if (forest->feature_count() != spec.feature_count())
    return make_error("bad_model", fmt::format("the trees expect {} features, the feature spec makes {}",
                                               forest->feature_count(), spec.feature_count()));
  return Model(std::move(spec), std::move(booster), std::move(*forest), std::move(info));
}

Result<std::string> Model::serialize() const {
  auto ubj = booster_.save_ubj();
  if (!ubj.ok()) return ubj.error();
  nlohmann::ordered_json j;
  j["format"] = kModelFormatName;
  j["version"] = kModelFormatVersion;
  j["target"] = info_.target;
  j["positive"] = info_.positive;
  j["id_column"] = info_.id_column;
  j["features"] = spec_.to_json();
  j["training"] = info_.training;
  j["booster"] = {{"encoding", "xgboost-ubj-base64"},
                  {"bytes", ubj->size()},
                  {"fnv1a64", fmt::format("{:016x}", fnv1a64(*ubj))},
                  {"data", base64_encode(*ubj)}};
  return j.dump(1) + "\n";
}

Status Model::save(const std::string& path) const {
  auto text = serialize();
  if (!text.ok()) return text.error();
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return make_error("io_error", fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
    out << *text;
    out.flush();
    if (!out) return make_error("io_error", fmt::format("{}: write failed: {}", path, std::strerror(errno)));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    return make_error("io_error", fmt::format("{}: cannot write: {}", path, std::strerror(err)));
  }
  return Status::Ok();
}

Result<Model> Model::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("model_not_found", fmt::format("model file {}: cannot open: {}", path, std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path);
}

Result<Model> Model::parse(std::string_view text, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return make_error("bad_model", fmt::format("model file {} {}", name, why));
  };
  if (text.empty()) return bad("is empty");
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("is not a Telemark score model (not a JSON document)");
  if (!j.contains("format") || !j["format"].is_string() || j["format"].get<std::string>() != kModelFormatName)
    return bad(fmt::format("is not a Telemark score model (no \"format\": \"{}\")", kModelFormatName));
  if (!j.contains("version") || !j["version"].is_number_integer())
    return bad("has no format version");
  int version = j["version"].get<int>();
  if (version != kModelFormatVersion)
    return bad(fmt::format("has format version {}; this telemark reads version {} (retrain the model with this "
                           "version, or use the telemark that wrote it)",
                           version, kModelFormatVersion));
  try {
    ModelInfo info;
    info.target = j.at("target").get<std::string>();
    info.positive = j.at("positive").get<std::string>();
    info.id_column = j.value("id_column", std::string());
    if (j.contains("training")) info.training = j.at("training");
    auto spec = FeatureSpec::from_json(j.at("features"));
    if (!spec.ok()) return bad("is corrupt: " + spec.error().message);
    const auto& b = j.at("booster");
    if (b.at("encoding").get<std::string>() != "xgboost-ubj-base64")
      return bad("is corrupt: unknown booster encoding");
    auto bytes = base64_decode(b.at("data").get<std::string>());
    if (!bytes.ok()) return bad("is corrupt: " + bytes.error().message);
    if (bytes->size() != b.at("bytes").get<size_t>() ||
        fmt::format("{:016x}", fnv1a64(*bytes)) != b.at("fnv1a64").get<std::string>())
      return bad("is corrupt: the trees do not match their checksum");
    auto booster = Booster::load(*bytes);
    if (!booster.ok()) return bad("is corrupt: " + booster.error().message);
    auto model = create(std::move(*spec), std::move(*booster), std::move(info));
    if (!model.ok()) return bad("is corrupt: " + model.error().message);
    return std::move(*model);
  } catch (const nlohmann::json::exception& e) {
    return bad(std::string("is corrupt: ") + e.what());
  }
}

void Model::predict_encoded(const float* data, size_t rows, float* out) const {
  forest_.predict(data, rows, spec_.feature_count(), out);
}

Result<Predictions> Model::predict(const Table& table, const PredictOptions& options) const {
  auto enc = BoundEncoder::bind(spec_, table);
  if (!enc.ok()) return enc.error();
  Predictions p;
  p.issues = enc->issues();
  const size_t n = table.rows(), width = enc->feature_count();
  p.scores.resize(n);
  if (n == 0) return p;
  if (options.engine == PredictEngine::kXGBoost) {
    std::vector<float> matrix(n * width);
    enc->encode(0, n, matrix.data());
    std::lock_guard<std::mutex> lock(*booster_mutex_);
    auto s = booster_.predict(matrix.data(), n, width, options.nthread);
    if (!s.ok()) return s.error();
    p.scores = std::move(*s);
    return p;
  }
  constexpr size_t kChunk = 2048;  // rows encoded at a time: stays in L2 next to the trees
  auto work = [&](size_t begin, size_t end) {
    std::vector<float> buf(kChunk * width);
    for (size_t c = begin; c < end; c += kChunk) {
      size_t m = std::min(kChunk, end - c);
      enc->encode(c, c + m, buf.data());
      forest_.predict(buf.data(), m, width, &p.scores[c]);
    }
  };
  size_t threads = static_cast<size_t>(std::max(1, options.nthread));
  if (n < 4 * kChunk) threads = 1;
  if (threads == 1) {
    work(0, n);
    return p;
  }
  std::vector<std::thread> pool;
  // Chunk-aligned contiguous ranges, one per thread.
  size_t chunks = (n + kChunk - 1) / kChunk;
  for (size_t t = 0; t < threads; ++t) {
    size_t b = std::min(n, chunks * t / threads * kChunk), e = std::min(n, chunks * (t + 1) / threads * kChunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  for (auto& th : pool) th.join();
  return p;
}

}  // namespace telemark::scoring
