// `spillsim export --server` against a live spillwayd (issue 7: "spillwayd can export its recent
// job history as a trace"), with the real binaries as child processes.
//
// spillwayd runs two simulated 2-vCPU nodes (agents start tasks at once) and a simulated ACI that
// takes 60 s to start a group. The test submits five jobs over gRPC, each made from a trace row by
// sim::ToJobSpec (so the export should give that row back), with a "case" label and a different
// cpu, memory, priority, max_wait, migratable, labels and expected_duration:
//   finish-fast     runs 1 s (spillway.sim/duration) though its hint says 1 h: exported with the
//                   finished attempt's run time, not the hint
//   finish-nohint   runs 2 s, no hint, no max_wait, an empty label value
//   running-hint    runs for an hour: exported with its hint (10 min)
//   aci-starting    ACI only, max_wait 0s: its attempt never started; exported with its hint (90 s)
//   running-nohint  runs for an hour, no hint: no run time known, so skipped (and counted)
// It waits until the two short ones succeed, submits the other three, runs `spillsim export`, and
// checks the CSV against what it submitted and what the server recorded; then replays the file
// with `spillsim --trace FILE --mode whatif` on a one-node pool.
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/poll.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "sim/trace.h"
#include "tests/support/child_process.h"
#include "tests/support/job_calls.h"

namespace spillway {
namespace {

using google::protobuf::util::TimeUtil;
using Labels = std::map<std::string, std::string>;

const char* g_spillwayd = nullptr;
const char* g_spillsim = nullptr;

constexpr char kConfig[] = R"(cluster_name: sim-export
vm_pool:
  start_delay: 0s
  nodes:
    - {id: vm-1, cpu_millis: 2000, memory_mib: 4096}
    - {id: vm-2, cpu_millis: 2000, memory_mib: 4096}
aci:
  simulated: {start_latency: 60s, start_latency_jitter: 0s}
)";

// One submitted job: the trace row it was made from (sim::ToJobSpec turns it into the spec, its
// `duration` into the simulated backends' run time) and how it may burst. Its `case` label names it.
struct Case {
  std::string name;
  sim::TraceJob job;  // submit (unused), duration, cpu, memory, priority, max_wait, hint,
                      // migratable, labels.
  spillway::v1::BurstMode burst_mode = spillway::v1::BURST_MODE_ALLOWED;
  std::string id;     // Filled on submit.
};

std::string Submit(spillway::v1::JobService::Stub& jobs, Case& c) {
  c.job.labels["case"] = c.name;
  spillway::v1::JobSpec spec = sim::ToJobSpec(c.job);
  spec.set_name(c.name);
  spec.set_burst_mode(c.burst_mode);
  return SubmitExpectingOk(jobs, spec);
}

std::string FreshDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = absl::StrCat(tmp ? tmp : "/tmp", "/", name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// spillwayd on port 0; the address comes from the line it prints once it serves.
struct Daemon {
  std::unique_ptr<ChildProcess> process;
  std::string address;
};

absl::StatusOr<Daemon> StartSpillwayd(const std::string& dir) {
  const std::string config = dir + "/spillwayd.yaml";
  if (!std::ofstream(config).write(kConfig, sizeof(kConfig) - 1)) {
    return absl::InternalError("cannot write the config");
  }
  const std::string out = dir + "/spillwayd.out";
  const std::string err = dir + "/spillwayd.err";
  Daemon daemon;
  absl::StatusOr<std::unique_ptr<ChildProcess>> process = ChildProcess::Start(
      {g_spillwayd, "--config=" + config, "--grpc_address=127.0.0.1:0", "--metrics_address="}, out,
      err);
  if (!process.ok()) return process.status();
  daemon.process = *std::move(process);
  const bool serving = PollUntil(
      [&] {
        const std::string text = ReadFileOrEmpty(out);
        const size_t at = text.find("serving cluster sim-export on ");
        const size_t end = text.find(" (", at);
        if (at == std::string::npos || end == std::string::npos) return false;
        const size_t from = at + std::strlen("serving cluster sim-export on ");
        daemon.address = text.substr(from, end - from);
        return true;
      },
      absl::Seconds(30));
  if (!serving) {
    return absl::DeadlineExceededError(
        absl::StrCat("spillwayd did not serve: ", ReadFileOrEmpty(out), ReadFileOrEmpty(err)));
  }
  return daemon;
}

// The exported CSV as rows of column -> cell ('#' lines skipped; the first line is the header).
struct Csv {
  std::string header;
  std::vector<std::map<std::string, std::string>> rows;
};

Csv ParseCsv(const std::string& text) {
  Csv csv;
  std::vector<std::string> columns;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "#")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (columns.empty()) {
      csv.header = std::string(line);
      columns = cells;
      continue;
    }
    EXPECT_EQ(cells.size(), columns.size()) << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < cells.size() && i < columns.size(); ++i) row[columns[i]] = cells[i];
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

Labels ParseLabels(const std::string& cell) {
  Labels labels;
  for (absl::string_view pair : absl::StrSplit(cell, ';', absl::SkipEmpty())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    labels[kv.first] = kv.second;
  }
  return labels;
}

double SecondsIn(const std::string& cell) {
  double v = 0;
  EXPECT_TRUE(absl::SimpleAtod(cell, &v)) << "\"" << cell << "\" is not seconds";
  return v;
}

// The cell of an optional duration: empty when unset, else its seconds (to the millisecond).
void ExpectOptionalSeconds(const std::string& cell, std::optional<absl::Duration> want,
                           const std::string& what) {
  if (!want.has_value()) {
    EXPECT_EQ(cell, "") << what;
  } else {
    EXPECT_NEAR(SecondsIn(cell), absl::ToDoubleSeconds(*want), 0.0005) << what;
  }
}

double SecondsBetween(const google::protobuf::Timestamp& from,
                      const google::protobuf::Timestamp& to) {
  return static_cast<double>(TimeUtil::TimestampToNanoseconds(to) -
                             TimeUtil::TimestampToNanoseconds(from)) / 1e9;
}

// The "unfinished" cell (the last) of the report table's row for `run`.
std::string UnfinishedCell(const std::string& report, const std::string& run) {
  for (absl::string_view line : absl::StrSplit(report, '\n')) {
    if (!absl::StartsWith(line, absl::StrCat("| ", run, " |"))) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|', absl::SkipWhitespace());
    return cells.empty() ? "" : std::string(absl::StripAsciiWhitespace(cells.back()));
  }
  return "<no row " + run + ">";
}

TEST(SimExportE2eTest, LiveJobHistoryBecomesAReplayableTrace) {
  const std::string dir = FreshDir("sim-export");
  absl::StatusOr<Daemon> daemon = StartSpillwayd(dir);
  ASSERT_TRUE(daemon.ok()) << daemon.status();
  auto channel = grpc::CreateChannel(daemon->address, grpc::InsecureChannelCredentials());
  auto jobs = spillway::v1::JobService::NewStub(channel);

  const absl::Duration t0 = absl::ZeroDuration();
  std::vector<Case> finishing = {
      {"finish-fast",
       {t0, absl::Seconds(1), 500, 256, 100, absl::Seconds(30), absl::Hours(1), false,
        {{"team", "a"}}}},
      {"finish-nohint",
       {t0, absl::Seconds(2), 250, 128, 0, std::nullopt, std::nullopt, true,
        {{"team", "b"}, {"kind", "batch"}, {"note", ""}}}},
  };
  std::vector<Case> lasting = {
      {"running-hint",
       {t0, absl::Hours(1), 1000, 1024, 700, absl::Minutes(5), absl::Minutes(10), true,
        {{"acme.io/tier", "gold_1"}}}},
      {"aci-starting",
       {t0, absl::Hours(1), 1500, 2048, 1000, absl::ZeroDuration(), absl::Seconds(90), false,
        {{"team", "c"}}},
       spillway::v1::BURST_MODE_ACI_ONLY},
      {"running-nohint",
       {t0, absl::Hours(1), 250, 512, 50, absl::Minutes(2), std::nullopt, false, {{"team", "d"}}}},
  };
  for (Case& c : finishing) c.id = Submit(*jobs, c);
  // The short ones end on their own (simulated agents run them in real time).
  const bool finished = PollUntil(
      [&] {
        for (const Case& c : finishing) {
          if (GetJobOrEmpty(*jobs, c.id).state() != spillway::v1::JOB_STATE_SUCCEEDED) return false;
        }
        return true;
      },
      absl::Seconds(30), absl::Milliseconds(50));
  ASSERT_TRUE(finished) << GetJobOrEmpty(*jobs, finishing[0].id).DebugString()
                        << GetJobOrEmpty(*jobs, finishing[1].id).DebugString();
  for (Case& c : lasting) c.id = Submit(*jobs, c);

  const std::string trace_path = dir + "/jobs.csv";
  const ChildResult exported =
      RunChild({g_spillsim, "export", "--server=" + daemon->address, "--out_trace=" + trace_path},
                 dir, "export", absl::Seconds(60));
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_TRUE(absl::StrContains(exported.err, "5 jobs, 1 skipped")) << exported.err;

  // What the server recorded, to check the times against.
  std::map<std::string, spillway::v1::Job> recorded;
  std::vector<Case> all = finishing;
  all.insert(all.end(), lasting.begin(), lasting.end());
  for (const Case& c : all) recorded[c.name] = GetJobOrEmpty(*jobs, c.id);
  const google::protobuf::Timestamp& first = recorded["finish-fast"].create_time();
  for (const Case& c : lasting) {  // Still live: no finished attempt to take a run time from.
    EXPECT_FALSE(recorded[c.name].state() == spillway::v1::JOB_STATE_SUCCEEDED ||
                 recorded[c.name].state() == spillway::v1::JOB_STATE_FAILED ||
                 recorded[c.name].state() == spillway::v1::JOB_STATE_CANCELLED)
        << recorded[c.name].DebugString();
  }

  const std::string trace_text = ReadFileOrEmpty(trace_path);
  std::cout << "exported from " << daemon->address << ":\n" << trace_text;
  const Csv csv = ParseCsv(trace_text);
  EXPECT_EQ(csv.header,
            "submit_s,duration_s,cpu_millis,memory_mib,priority,max_wait_s,expected_duration_s,"
            "migratable,labels");
  // One row per job with a known run time, in submit order.
  std::map<std::string, std::map<std::string, std::string>> by_case;
  std::vector<std::string> order;
  double previous_submit = -1;
  for (const auto& row : csv.rows) {
    const std::string name = ParseLabels(row.at("labels"))["case"];
    EXPECT_TRUE(by_case.emplace(name, row).second) << "two rows for " << name;
    order.push_back(name);
    EXPECT_GE(SecondsIn(row.at("submit_s")), previous_submit) << "rows out of submit order";
    previous_submit = SecondsIn(row.at("submit_s"));
  }
  ASSERT_EQ(csv.rows.size(), 4u);
  EXPECT_EQ(by_case.count("running-nohint"), 0u);  // No run time known: skipped.
  EXPECT_EQ(order[0], "finish-fast");
  EXPECT_EQ(order[1], "finish-nohint");

  for (const Case& c : all) {
    if (c.name == "running-nohint") continue;
    SCOPED_TRACE(c.name);
    ASSERT_EQ(by_case.count(c.name), 1u);
    const auto& row = by_case[c.name];
    const spillway::v1::Job& job = recorded[c.name];
    EXPECT_NEAR(SecondsIn(row.at("submit_s")), SecondsBetween(first, job.create_time()), 0.0011);
    EXPECT_EQ(row.at("cpu_millis"), absl::StrCat(c.job.cpu_millis));
    EXPECT_EQ(row.at("memory_mib"), absl::StrCat(c.job.memory_mib));
    EXPECT_EQ(row.at("priority"), absl::StrCat(c.job.priority));
    ExpectOptionalSeconds(row.at("max_wait_s"), c.job.max_wait, "max_wait_s");
    ExpectOptionalSeconds(row.at("expected_duration_s"), c.job.expected_duration,
                          "expected_duration_s");
    EXPECT_EQ(row.at("migratable"), c.job.migratable ? "1" : "0");
    // Without the simulator's own "spillway.sim/duration" label.
    EXPECT_EQ(ParseLabels(row.at("labels")), c.job.labels);
  }
  // Run times: the finished attempt's for the short jobs (not their hints), else the hint.
  for (const Case& c : finishing) {
    SCOPED_TRACE(c.name);
    const spillway::v1::Job& job = recorded[c.name];
    ASSERT_GT(job.attempts_size(), 0);
    const spillway::v1::Attempt& last = job.attempts(job.attempts_size() - 1);
    const double ran = SecondsBetween(last.start_time(), last.finish_time());
    const double exported_run = SecondsIn(by_case[c.name].at("duration_s"));
    EXPECT_NEAR(exported_run, ran, 0.0011);
    EXPECT_GE(exported_run, absl::ToDoubleSeconds(c.job.duration) - 0.001);
    EXPECT_LT(exported_run, absl::ToDoubleSeconds(c.job.duration) + 2);
  }
  EXPECT_NEAR(SecondsIn(by_case["running-hint"].at("duration_s")), 600, 0.0005);
  EXPECT_NEAR(SecondsIn(by_case["aci-starting"].at("duration_s")), 90, 0.0005);
  // The lasting jobs were submitted after the short ones had run.
  EXPECT_GT(SecondsIn(by_case["running-hint"].at("submit_s")),
            SecondsIn(by_case["finish-nohint"].at("submit_s")) + 1);

  // The file replays: a what-if run on a one-node pool reads the same four jobs and ends them all.
  const std::string out = dir + "/whatif";
  const ChildResult whatif = RunChild(
      {g_spillsim, "--trace=" + trace_path, "--mode=whatif", "--out=" + out, "--plots=false",
       "--nodes=1", "--node_cpu_millis=2000", "--node_memory_mib=4096", "--aci_start_latency=5s",
       "--aci_start_latency_jitter=0s"},
      dir, "whatif", absl::Seconds(120));
  ASSERT_EQ(whatif.exit_code, 0) << whatif.err;
  EXPECT_TRUE(absl::StrContains(whatif.out, absl::StrCat("trace ", trace_path, ": 4 jobs;")))
      << whatif.out;
  EXPECT_EQ(UnfinishedCell(whatif.out, "policy-file"), "0") << whatif.out;
  EXPECT_EQ(ReadFileOrEmpty(out + "/report.md"), whatif.out);
  std::cout << whatif.out;
}

}  // namespace
}  // namespace spillway

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 3) {
    std::cerr << "usage: export_e2e_test SPILLWAYD SPILLSIM" << std::endl;
    return 2;
  }
  spillway::g_spillwayd = argv[1];
  spillway::g_spillsim = argv[2];
  return RUN_ALL_TESTS();
}
