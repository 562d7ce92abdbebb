#include "sim/trace.h"

#include "backends/simulated/simulated_vm_pool.h"
#include "gtest/gtest.h"

namespace spillway {
namespace sim {
namespace {

TEST(TraceTest, ParsesColumnsInAnyOrderAndSortsBySubmit) {
  absl::StatusOr<Trace> t = ParseTraceCsv(
      "# comment\n"
      "cpu_millis,memory_mib,submit_s,duration_s,max_wait_s,labels,migratable,priority\n"
      "500,1024,10.5,60,,team=a;kind=batch,1,600\n"
      "250,512,2,30.25,120,,0,\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[0].submit, absl::Seconds(2));
  EXPECT_EQ((*t)[0].duration, absl::Milliseconds(30250));
  EXPECT_EQ((*t)[0].max_wait, absl::Seconds(120));
  EXPECT_FALSE((*t)[0].expected_duration.has_value());
  EXPECT_EQ((*t)[1].cpu_millis, 500);
  EXPECT_EQ((*t)[1].priority, 600);
  EXPECT_TRUE((*t)[1].migratable);
  EXPECT_FALSE((*t)[1].max_wait.has_value());
  EXPECT_EQ((*t)[1].labels.at("kind"), "batch");
}

TEST(TraceTest, RoundTripsThroughWrite) {
  TraceJob a;
  a.submit = absl::Milliseconds(1500);
  a.duration = absl::Seconds(90);
  a.cpu_millis = 1000;
  a.memory_mib = 2048;
  a.priority = 5;
  a.max_wait = absl::Seconds(30);
  a.expected_duration = absl::Seconds(100);
  a.migratable = true;
  a.labels = {{"team", "b"}};
  TraceJob b = a;
  b.submit = absl::Seconds(3);
  b.max_wait.reset();
  b.labels.clear();
  absl::StatusOr<Trace> back = ParseTraceCsv(WriteTraceCsv({a, b}));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(WriteTraceCsv(*back), WriteTraceCsv({a, b}));
  EXPECT_EQ((*back)[0].expected_duration, absl::Seconds(100));
  EXPECT_FALSE((*back)[1].max_wait.has_value());
}

TEST(TraceTest, ErrorsNameLineAndColumn) {
  EXPECT_EQ(
      ParseTraceCsv("submit_s,duration_s,cpu_millis,memory_mib\n1,2,x,4\n").status().message(),
      "line 2: cpu_millis: \"x\" is not an integer in [1, 1099511627776]");
  EXPECT_EQ(ParseTraceCsv("submit_s,duration_s,cpu_millis\n").status().message(),
            "line 1: header lacks column memory_mib");
  EXPECT_EQ(ParseTraceCsv("submit_s,duration_s,cpu_millis,memory_mib,gpu\n").status().message(),
            "line 1: unknown column \"gpu\"");
  EXPECT_EQ(ParseTraceCsv("submit_s,duration_s,cpu_millis,memory_mib\n1,2,3\n").status().message(),
            "line 2: 3 cells, header has 4");
  EXPECT_FALSE(ParseTraceCsv("submit_s,duration_s,cpu_millis,memory_mib\n-1,2,3,4\n").ok());
  EXPECT_FALSE(ParseTraceCsv("").ok());
}

TEST(TraceTest, SpecCarriesTheRunTimeForTheSimulatedBackends) {
  TraceJob j;
  j.duration = absl::Seconds(75);
  j.cpu_millis = 250;
  j.memory_mib = 512;
  j.max_wait = absl::Seconds(10);
  const spillway::v1::JobSpec spec = ToJobSpec(j);
  EXPECT_EQ(SimulatedBehaviourOf(spec, absl::Seconds(1)).run_time, absl::Seconds(75));
  EXPECT_EQ(spec.max_wait().seconds(), 10);
  EXPECT_FALSE(spec.has_expected_duration());
}

}  // namespace
}  // namespace sim
}  // namespace spillway
