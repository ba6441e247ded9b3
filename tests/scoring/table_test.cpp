// Table: cell classification, CSV reading and the row shape policy.
#include <gtest/gtest.h>

#include <cmath>

#include "scoring/table.h"

namespace telemark::scoring {
namespace {

TEST(ParseNumber, Cases) {
  struct Case {
    const char* text;
    std::optional<double> want;
  };
  const Case cases[] = {
      {"42", 42},       {" -3.5 ", -3.5}, {"+7", 7},        {"1e3", 1000},    {".5", 0.5},
      {"1,5", 1.5},     {"-0,25", -0.25}, {"1,000,000", {}}, {"1.000,5", {}}, {"abc", {}},
      {"12abc", {}},    {"", {}},         {"inf", {}},      {"nan", {}},      {"Infinity", {}},
      {"0x10", {}},     {"--1", {}},      {"++1", {}},      {"999", 999},     {"-1", -1},
  };
  for (const auto& c : cases) {
    auto got = parse_number(c.text);
    EXPECT_EQ(got.has_value(), c.want.has_value()) << c.text;
    if (got && c.want) {
      EXPECT_EQ(*got, *c.want) << c.text;
    }
  }
}

TEST(MissingTokens, Cases) {
  for (const char* m : {"", "  ", "NA", "n/a", "N/A", "null", "NULL", "None", "NaN", "?", "-", "#N/A", "."})
    EXPECT_TRUE(is_missing_token(m)) << m;
  for (const char* t : {"unknown", "0", "no", "nan0", "none of these"}) EXPECT_FALSE(is_missing_token(t)) << t;
}

TEST(Column, DictionaryEncodesTrimmedCells) {
  Column c("x");
  for (const char* v : {"a", " a ", "1", "1", "NA", "", "b"}) c.append(v);
  ASSERT_EQ(c.size(), 7u);
  EXPECT_EQ(c.distinct(), 5u);  // a, 1, NA, "", b
  EXPECT_EQ(c.code(0), c.code(1));
  EXPECT_EQ(c.kind(c.code(2)), CellKind::kNumber);
  EXPECT_EQ(c.number(c.code(2)), 1.0);
  EXPECT_EQ(c.kind(c.code(4)), CellKind::kMissing);
  EXPECT_EQ(c.kind(c.code(6)), CellKind::kText);
  EXPECT_TRUE(std::isnan(c.number(c.code(6))));
  auto counts = c.code_counts();
  EXPECT_EQ(counts[c.code(0)], 2u);
}

std::unique_ptr<leads::CsvReader> csv(std::string text) {
  return leads::CsvReader::from_string(std::move(text), {}, "t.csv");
}

TEST(ReadTable, UciStyleSemicolonsQuotesCrlf) {
  auto t = read_table(csv("\"age\";\"job\";\"y\"\r\n56;\"housemaid\";\"no\"\r\n41;\"blue-collar\";\"yes\"\r\n"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows(), 2u);
  EXPECT_EQ(t->column_names(), (std::vector<std::string>{"age", "job", "y"}));
  EXPECT_EQ(t->column(1).text(t->column(1).code(1)), "blue-collar");
  EXPECT_EQ(t->line(1), 3u);
  EXPECT_EQ(t->source(), "t.csv");
}

TEST(ReadTable, ShortRowsArePaddedTrailingDelimitersAccepted) {
  auto t = read_table(csv("a,b,c\n1,2\n1,2,3,\n"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->rows(), 2u);
  EXPECT_EQ(t->column(2).kind(t->column(2).code(0)), CellKind::kMissing);
}

TEST(ReadTable, Errors) {
  struct Case {
    const char* text;
    const char* code;
    const char* mentions;
  };
  const Case cases[] = {
      {"", "empty_file", "t.csv"},
      {"a,b\n", "no_rows", "no data rows"},
      {"a,b,a\n1,2,3\n", "bad_header", "'a' appears twice"},
      {"a,b\n1,2\n1,2,3\n", "bad_row", "line 3"},
      {"a,b\n\"1,2\n", "unterminated_quote", "t.csv"},
  };
  for (const auto& c : cases) {
    auto t = read_table(csv(c.text));
    ASSERT_FALSE(t.ok()) << c.text;
    EXPECT_EQ(t.error().code, c.code) << c.text;
    EXPECT_NE(t.error().message.find(c.mentions), std::string::npos) << t.error().message;
  }
}

TEST(TableChunkReader, ChunksKeepRowTextForWriters) {
  auto r = TableChunkReader::open(csv("id;name\n1;\"a;b\"\n2\n3;c\n"));
  ASSERT_TRUE(r.ok());
  Table chunk;
  TableChunkReader::RawRows raw;
  auto n = (*r)->next_chunk(chunk, 2, &raw);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(raw.row(0), "1;\"a;b\"");  // the row's own text
  EXPECT_EQ(raw.row(1), "2;");         // padded to the header's width
  n = (*r)->next_chunk(chunk, 2, &raw);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
  EXPECT_EQ(raw.row(0), "3;c");
  n = (*r)->next_chunk(chunk, 2, &raw);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(AppendCsvField, QuotesOnlyWhenNeeded) {
  std::string out;
  append_csv_field(out, "plain", ',');
  out += '|';
  append_csv_field(out, "a,b", ',');
  out += '|';
  append_csv_field(out, "say \"hi\"", ';');
  EXPECT_EQ(out, "plain|\"a,b\"|\"say \"\"hi\"\"\"");
}

}  // namespace
}  // namespace telemark::scoring
