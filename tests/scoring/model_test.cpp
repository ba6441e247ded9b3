// Model: the compiled trees agree with XGBoost, the file round-trips
// exactly, and damaged or foreign files are refused with a clear message.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "scoring/model.h"
#include "scoring/synthetic.h"
#include "scoring/train.h"

namespace telemark::scoring {
namespace {

TrainResult small_model(uint64_t rows = 3000, uint64_t seed = 3) {
  SyntheticOptions so;
  so.rows = rows;
  so.seed = seed;
  auto data = make_synthetic(so);
  TrainOptions o;
  o.target = "y";
  o.positive = "yes";
  o.id_column = "customer_id";
  o.folds = 0;
  o.booster.max_rounds = 80;
  o.booster.max_depth = 5;
  auto r = train_model(data.table, o);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(*r);
}

TEST(Base64, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t n : {0u, 1u, 2u, 3u, 4u, 255u, 256u}) {
    auto back = base64_decode(base64_encode(all.substr(0, n)));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, all.substr(0, n));
  }
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
  EXPECT_FALSE(base64_decode("TWF").ok());
  EXPECT_FALSE(base64_decode("TW!u").ok());
  EXPECT_FALSE(base64_decode("TW=u").ok());
}

TEST(CompiledForest, AgreesWithXGBoost) {
  auto r = small_model();
  SyntheticOptions so;
  so.rows = 4000;
  so.seed = 11;
  so.missing_share = 0.2;  // plenty of missing values, both default directions
  auto data = make_synthetic(so);
  auto fast = r.model.predict(data.table);
  PredictOptions xo;
  xo.engine = PredictEngine::kXGBoost;
  auto ref = r.model.predict(data.table, xo);
  ASSERT_TRUE(fast.ok() && ref.ok());
  ASSERT_EQ(fast->scores.size(), ref->scores.size());
  double max_diff = 0;
  for (size_t i = 0; i < ref->scores.size(); ++i)
    max_diff = std::max(max_diff, static_cast<double>(std::abs(fast->scores[i] - ref->scores[i])));
  EXPECT_LE(max_diff, 1e-6);
  EXPECT_GT(r.model.trees(), 5u);
  // Threads split the rows, nothing else.
  PredictOptions one;
  one.nthread = 1;
  auto single = r.model.predict(data.table, one);
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->scores, fast->scores);
}

TEST(ModelFile, RoundTripsExactly) {
  auto r = small_model();
  auto text = r.model.serialize();
  ASSERT_TRUE(text.ok());
  auto back = Model::parse(*text, "m.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto again = back->serialize();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *text);
  EXPECT_EQ(back->info().target, "y");
  EXPECT_EQ(back->info().positive, "yes");
  EXPECT_EQ(back->info().training["rows"], 3000);

  SyntheticOptions so;
  so.rows = 2000;
  so.seed = 12;
  auto data = make_synthetic(so);
  auto a = r.model.predict(data.table);
  auto b = back->predict(data.table);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->scores, b->scores);

  std::string path = ::testing::TempDir() + "/scoring_model_roundtrip.json";
  ASSERT_TRUE(r.model.save(path).ok());
  auto loaded = Model::load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  auto c = loaded->predict(data.table);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->scores, a->scores);
  std::remove(path.c_str());
}

TEST(ModelFile, RefusesDamagedAndForeignFiles) {
  auto r = small_model(1500);
  auto text = r.model.serialize();
  ASSERT_TRUE(text.ok());
  auto j = nlohmann::json::parse(*text);

  auto expect_refused = [](const std::string& content, const std::string& mentions) {
    auto m = Model::parse(content, "model.json");
    ASSERT_FALSE(m.ok()) << mentions;
    EXPECT_EQ(m.error().code, "bad_model");
    EXPECT_NE(m.error().message.find("model.json"), std::string::npos) << m.error().message;
    EXPECT_NE(m.error().message.find(mentions), std::string::npos) << m.error().message;
  };
  expect_refused("", "is empty");
  expect_refused("age,job,y\n1,a,yes\n", "not a Telemark score model");
  expect_refused(text->substr(0, text->size() / 2), "not a Telemark score model");
  expect_refused(R"({"format":"something-else","version":1})", "not a Telemark score model");
  {
    auto k = j;
    k["version"] = 2;
    expect_refused(k.dump(), "format version 2");
  }
  {
    auto k = j;
    std::string data = k["booster"]["data"];
    data[data.size() / 2] = data[data.size() / 2] == 'A' ? 'B' : 'A';
    k["booster"]["data"] = data;
    expect_refused(k.dump(), "checksum");
  }
  {
    auto k = j;
    k["booster"]["data"] = "not base64!";
    expect_refused(k.dump(), "corrupt");
  }
  {
    auto k = j;
    k["features"]["columns"].erase(0);  // the trees expect more features than the spec makes
    expect_refused(k.dump(), "corrupt");
  }
  {
    auto k = j;
    k.erase("features");
    expect_refused(k.dump(), "corrupt");
  }
  auto missing = Model::load(::testing::TempDir() + "/no_such_model.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no_such_model.json"), std::string::npos);
}

}  // namespace
}  // namespace telemark::scoring
