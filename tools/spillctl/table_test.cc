#include "tools/spillctl/table.h"

#include "gtest/gtest.h"

namespace spillway::spillctl {
namespace {

TEST(TableTest, AlignsColumnsWithoutTrailingBlanks) {
  Table table({"ID", "STATE", "REASON"});
  table.AddRow({"job-1", "running", "ok"});
  table.AddRow({"j2", "pending", ""});
  EXPECT_EQ(table.Render(),
            "ID     STATE    REASON\n"
            "job-1  running  ok\n"
            "j2     pending\n");
}

TEST(TableTest, WithoutHeadersRendersRowsOnly) {
  Table table;
  EXPECT_TRUE(table.empty());
  table.AddRow({"Name:", "train"});
  table.AddRow({"Priority:", "5"});
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(table.Render(),
            "Name:      train\n"
            "Priority:  5\n");
}

TEST(TableTest, HeaderOnlyWhenNoRows) {
  EXPECT_EQ(Table({"A", "B"}).Render(), "A  B\n");
}

TEST(TableTest, RaggedRows) {
  Table table({"A", "B"});
  table.AddRow({"x"});
  table.AddRow({"yy", "z", "extra"});
  EXPECT_EQ(table.Render(),
            "A   B\n"
            "x\n"
            "yy  z  extra\n");
}

TEST(TableTest, CountsUtf8CodePoints) {
  Table table({"N", "X"});
  table.AddRow({"\xC3\xA9t\xC3\xA9", "1"});  // "été": 3 code points, 5 bytes.
  table.AddRow({"abcd", "2"});
  EXPECT_EQ(table.Render(),
            "N     X\n"
            "\xC3\xA9t\xC3\xA9   1\n"
            "abcd  2\n");
}

TEST(OrNoneTest, DashForEmpty) {
  EXPECT_EQ(OrNone(""), "-");
  EXPECT_EQ(OrNone("x"), "x");
}

}  // namespace
}  // namespace spillway::spillctl
