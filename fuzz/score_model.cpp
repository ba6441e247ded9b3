// Fuzz target: arbitrary bytes into the model file parser
// (scoring::Model::parse). It may refuse them, but must not crash, hang or
// throw; a model that loads must score a small table built from its own
// feature spec (every column with a number, a text and a missing cell, so
// unseen levels and text in numeric columns are exercised) and serialize
// to a file that loads again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "scoring/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace telemark::scoring;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto model = Model::parse(text, "fuzz.json");
  if (!model.ok()) return 0;
  std::vector<std::string> names;
  for (const auto& c : model->spec().columns) names.push_back(c.name);
  auto table = make_table(names, "fuzz");
  if (!table.ok()) return 0;  // a spec naming a column twice is not scored
  for (const char* cell : {"1", "unseen", "", "2026-03-10", "-1e300"}) {
    std::vector<std::string> row(names.size(), cell);
    table->append_row(row);
  }
  auto scored = model->predict(*table);
  if (scored.ok() && scored->scores.size() != table->rows()) __builtin_trap();
  auto again = model->serialize();
  if (again.ok() && !Model::parse(*again, "fuzz-again.json").ok()) __builtin_trap();
  return 0;
}
