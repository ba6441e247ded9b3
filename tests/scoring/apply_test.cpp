// Applying a model to files: rows preserved, scores appended, surprises
// counted, bad input refused; evaluation and the HTML report.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <fstream>
#include <sstream>

#include "scoring/apply.h"
#include "scoring/report.h"
#include "scoring/synthetic.h"
#include "scoring/train.h"

namespace telemark::scoring {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

class ApplyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SyntheticOptions so;
    so.rows = 3000;
    so.seed = 31;
    auto data = make_synthetic(so);
    TrainOptions o;
    o.target = "y";
    o.positive = "yes";
    o.id_column = "customer_id";
    o.folds = 0;
    o.booster.max_rounds = 60;
    auto r = train_model(data.table, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
    model_ = new Model(std::move(r->model));
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  std::string path(const std::string& name) { return ::testing::TempDir() + "/scoring_apply_" + name; }
  static Model* model_;
};
Model* ApplyTest::model_ = nullptr;

TEST_F(ApplyTest, AppendsScoresAndKeepsRows) {
  SyntheticOptions so;
  so.rows = 1000;
  so.seed = 32;
  auto data = make_synthetic(so);
  std::string in = path("in.csv"), out = path("out.csv");
  ASSERT_TRUE(write_table_csv(data.table, in, ';', true).ok());
  ApplyOptions o;
  o.input = in;
  o.output = out;
  o.chunk_rows = 300;  // several chunks
  auto r = apply_csv(*model_, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 1000u);
  auto in_lines = lines(read_file(in)), out_lines = lines(read_file(out));
  ASSERT_EQ(out_lines.size(), in_lines.size());
  EXPECT_EQ(out_lines[0], in_lines[0] + ";score");
  auto expected = model_->predict(data.table);
  ASSERT_TRUE(expected.ok());
  for (size_t i = 1; i < in_lines.size(); ++i) {
    ASSERT_EQ(out_lines[i].substr(0, in_lines[i].size() + 1), in_lines[i] + ";") << i;
    double score = std::stod(out_lines[i].substr(in_lines[i].size() + 1));
    EXPECT_NEAR(score, expected->scores[i - 1], 5e-7) << i;
  }
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_F(ApplyTest, UnseenCategoriesAndTextInNumbersAreCountedNotFatal) {
  std::string in = path("odd.csv"), out = path("odd_out.csv");
  // Comma-separated this time, columns in another order, no target, CRLF.
  std::string header =
      "job,age,marital,education,default,balance,housing,loan,contact,month,day_of_week,campaign,pdays,previous,"
      "poutcome,emp_var_rate,euribor3m,last_contact,region\r\n";
  write_file(in, header +
                     "astronaut,41,married,high.school,no,100,yes,no,cellular,may,mon,1,999,0,nonexistent,1.1,4.8,2024-05-06,R001\r\n"
                     "admin.,forty,single,,no,,no,no,cellular,mar,tue,2,3,1,success,-1.8,1.2,2024-03-05,R999\r\n");
  ApplyOptions o;
  o.input = in;
  o.output = out;
  auto r = apply_csv(*model_, o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rows, 2u);
  std::map<std::string, ColumnEncodeIssue> by;
  for (const auto& i : r->issues) by[i.column] = i;
  EXPECT_EQ(by["job"].unseen_rows, 1u);
  EXPECT_EQ(by["job"].unseen_examples, std::vector<std::string>{"astronaut"});
  EXPECT_EQ(by["region"].unseen_rows, 1u);
  EXPECT_EQ(by["age"].text_in_numeric_rows, 1u);
  EXPECT_EQ(by["age"].first_line, 3u);
  EXPECT_EQ(by["age"].first_value, "forty");
  auto out_lines = lines(read_file(out));
  ASSERT_EQ(out_lines.size(), 3u);
  EXPECT_EQ(out_lines[0], header.substr(0, header.size() - 2) + ",score");
  std::remove(in.c_str());
  std::remove(out.c_str());
}

TEST_F(ApplyTest, RefusesWhatItCannotScore) {
  std::string in = path("bad.csv"), out = path("bad_out.csv");
  write_file(in, "age,job,score\n41,admin.,0.5\n");
  ApplyOptions o;
  o.input = in;
  o.output = out;
  auto r = apply_csv(*model_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "bad_output_column");
  o.score_column = "p_yes";
  r = apply_csv(*model_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "missing_columns");
  EXPECT_NE(r.error().message.find("marital"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("bad.csv"), std::string::npos) << r.error().message;
  EXPECT_FALSE(std::ifstream(out).good());  // nothing half-written
  write_file(in, "");
  r = apply_csv(*model_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "empty_file");
  o.input = path("does_not_exist.csv");
  r = apply_csv(*model_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("does_not_exist.csv"), std::string::npos);
  std::remove(in.c_str());
}

TEST_F(ApplyTest, EvaluatesAndReports) {
  SyntheticOptions so;
  so.rows = 2000;
  so.seed = 33;
  auto data = make_synthetic(so);
  auto e = evaluate_model(*model_, data.table, "y", "yes");
  ASSERT_TRUE(e.ok()) << e.error().message;
  auto pred = model_->predict(data.table);
  EXPECT_DOUBLE_EQ(e->evaluation.auc, auc(pred->scores, data.label));
  EXPECT_EQ(e->evaluation.rows, 2000u);
  EXPECT_GT(e->evaluation.auc, 0.7);
  auto bad = evaluate_model(*model_, data.table, "outcome", "yes");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, "bad_target");

  ReportContext ctx;
  ctx.model = "m.json";
  ctx.data = "<test>.csv";
  ctx.target = "y";
  ctx.positive = "yes";
  std::string html = html_report(e->evaluation, ctx);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("ROC curve"), std::string::npos);
  EXPECT_NE(html.find("Cumulative gain"), std::string::npos);
  EXPECT_NE(html.find("&lt;test&gt;.csv"), std::string::npos);  // escaped
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("<polyline"), html.find("<polyline"));
  size_t polylines = 0;
  for (size_t p = html.find("<polyline"); p != std::string::npos; p = html.find("<polyline", p + 1)) ++polylines;
  EXPECT_EQ(polylines, 5u);  // gain: random, perfect, model; ROC: random, model
}

}  // namespace
}  // namespace telemark::scoring
