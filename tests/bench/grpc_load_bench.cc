// SubmitJob over loopback gRPC: spillwayd (simulated backends, RealClock) against a no-op
// JobService of the same shape (one completion queue served by one thread, rpc/) that answers at
// once. Same client, same channel settings, same request.
//
//   bazel run -c opt //tests/bench:grpc_load_bench [-- --requests=20000 --concurrency=64]
//
// The load generator and the servers are separate processes: this binary starts itself twice
// with --serve as child processes (--serve=spillwayd and --serve=noop, one at a time under load)
// and drives them from the parent. --pin places the two processes:
//   split (default)  the load generator on the first allowed CPU, the servers on the others. This
//                    is what an operator does to measure a server with the load generator on the
//                    same machine (taskset): the client's CPU use neither slows the server nor
//                    shows up as server latency, and both servers get the same CPUs. On a 2-core
//                    machine the servers then have one core.
//   client           the load generator on the first CPU, the servers on all of them.
//   none             the kernel places both (they compete for every core).
// --servers_policy=batch runs the servers' processes under SCHED_BATCH, as an operator would run
// spillwayd on a CPU of its own (server/README.md, "A CPU of its own").
// The load generator drives every call from one thread on a completion queue (CallDriver): no
// gRPC polling threads of its own take turns per response, and in the open loop it spins between
// sends, so its CPU is busy by design. Other processes and kernel threads on the machine still take
// CPU time from either side (on this box: kdamond and rcu_preempt, for 2-4 ms at a time): repeat
// runs and compare ranges. Each phase also reports the servers' CPU time and context switches per
// call (and spillwayd's loop thread's CPU), which such noise disturbs far less than the
// percentiles, and the load generator's CPU per call.
//
// Phase 1 (closed loop): `concurrency` calls in flight until `requests` are done; throughput and
// latency percentiles for each server, and the ratio. Phase 2 (open loop, skipped by --quick):
// spillwayd, then the no-op server, at half of spillwayd's phase-1 throughput (or --paced_rate)
// for `paced_requests`, latency measured from each call's scheduled send time (no coordinated
// omission); each starts once spillwayd's jobs of the phase before have started (Settle). Phase 3
// (stall recovery, skipped by --quick or --stall_ms=0): the same rate for `stall_requests`, with
// the server's process stopped (SIGSTOP) for `stall_ms` a quarter in; how long after it resumed the
// first call was answered within 2 ms again (the backlog drained), how many took longer, the
// worst. A server whose per-call cost grows with its backlog never catches up here. Phase 4
// (flood; 2,000 calls with --quick): `flood_connections` connections to spillwayd, each with as
// many calls open as one connection may have (--max_concurrent_streams), together more than
// spillwayd works on at once (--max_calls_in_flight): the rate it answers at, its latencies, and
// the calls it turned away (UNAVAILABLE naming the flag, the only failure this phase allows).
// Each open-loop line also says how busy the servers' CPU time made one CPU (a call arriving
// alone costs more than one in a closed loop's batch, so half the closed loop's rate keeps the
// servers' core far more than half busy) and how often the load generator itself paused for 1 ms
// or more (its CPU taken, or the whole machine paused: calls due meanwhile go out late and count
// from their due time), and how often no answer came for 1 ms or more while a call was due (the
// server's CPU taken by another thread or process, or any such pause: a stall of a few ms in a
// 10,000-call window is what puts its p99 over 2 ms). Targets: ratio >= 0.5, paced p99 <= 2 ms.
// Exits non-zero if any call failed. Prints "SUMMARY|metric|value|target" lines for make bench.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/poll.h"
#include "proto/spillway/v1/jobs.grpc.pb.h"
#include "rpc/call_queue.h"
#include "rpc/unary_call.h"
#include "server/config.h"
#include "server/spillwayd.h"
#include "tests/support/child_process.h"

ABSL_FLAG(int, requests, 20000, "Closed-loop requests per server.");
ABSL_FLAG(int, concurrency, 64, "Calls in flight in the closed loop.");
ABSL_FLAG(int, paced_requests, 10000, "Open-loop requests against spillwayd.");
ABSL_FLAG(
    double, paced_rate, 0,
    "Open-loop rate (req/s); 0: half of spillwayd's closed-loop throughput (the target's load). "
    "A fixed rate compares builds at the same load.");
ABSL_FLAG(int, stall_ms, 100,
          "Phase 3 (skipped by --quick and by 0): the server's process is stopped (SIGSTOP) this "
          "long a quarter into a longer open loop at the same rate; reports how long after it "
          "resumed calls were answered within 2 ms again.");
ABSL_FLAG(int, stall_requests, 50000, "Open-loop requests per server in phase 3.");
ABSL_FLAG(int, flood_connections, 8,
          "Phase 4 (2,000 calls with --quick; skipped by 0): this many connections to spillwayd "
          "each keep as many SubmitJob calls open as it lets one connection "
          "(--max_concurrent_streams), more than it works on at once (--max_calls_in_flight): "
          "what it answers, and how many it turns away.");
ABSL_FLAG(int, flood_requests, 20000, "Calls in phase 4 (answered or turned away).");
ABSL_FLAG(int, max_calls_in_flight, spillway::kDefaultMaxCallsInFlight,
          "spillwayd's --max_calls_in_flight. With a low bound phase 4 turns calls away; the "
          "other phases count a turned-away call as failed.");
ABSL_FLAG(bool, quick, false, "Small counts: the closed loop and a small flood (for make test).");
ABSL_FLAG(std::string, pin, "split",
          "split: the load generator on the first allowed CPU, the servers on the others; "
          "client: the load generator on the first CPU, the servers on any; none: no pinning.");
ABSL_FLAG(std::string, servers_policy, "normal",
          "The servers' processes' scheduling policy: normal (SCHED_OTHER) or batch (SCHED_BATCH, "
          "as `chrt --batch 0` or systemd's CPUSchedulingPolicy=batch: a woken thread does not "
          "preempt the running one, so spillwayd's loop and reply threads wait for the call "
          "queue's thread on the servers' one CPU). Both servers get it.");
ABSL_FLAG(std::string, serve, "",
          "Internal: serve spillwayd or noop (the no-op server) until SIGTERM (a child process).");
ABSL_FLAG(std::string, server_cpus, "", "Internal, with --serve: CPUs to pin to (\"1,2\").");

namespace spillway {
namespace {

using spillway::v1::JobService;
using spillway::v1::SubmitJobRequest;
using spillway::v1::SubmitJobResponse;

// Answers every SubmitJob at once with a PENDING job: the floor a real server is measured against.
// The same shape as spillwayd's JobService: the call on one thread polling one completion queue
// (rpc/call_queue.h), its messages on the call's arena, as many calls asked for at once.
class NoopJobService final : public JobService::AsyncService, public rpc::QueueService {
 public:
  grpc::Service* grpc_service() override { return this; }
  void Listen(rpc::CallQueue* queue) override {
    rpc::ListenUnaryMethod(queue, this, &NoopJobService::RequestSubmitJob,
                           &NoopJobService::SubmitJob, nullptr, kSubmitCallsAsked);
  }

  void SubmitJob(const SubmitJobRequest* request, SubmitJobResponse* response,
                 rpc::UnaryReactor* reactor) {
    spillway::v1::Job* job = response->mutable_job();
    job->set_id(absl::StrCat("job-", ++next_));  // Only the queue's thread runs this.
    *job->mutable_spec() = request->spec();
    job->set_state(spillway::v1::JOB_STATE_PENDING);
    response->set_created(true);
    reactor->Finish(grpc::Status::OK);
  }

 private:
  int64_t next_ = 0;
};

SubmitJobRequest Request() {
  SubmitJobRequest r;
  spillway::v1::JobSpec* spec = r.mutable_spec();
  spec->set_name("load");
  spec->set_image("busybox");
  spec->add_command("sleep");
  spec->add_command("60");
  spec->set_cpu_millis(100);
  spec->set_memory_mib(64);
  (*spec->mutable_labels())["spillway.sim/duration"] = "10m";
  return r;
}

struct Stats {
  int ok = 0;
  int failed = 0;
  double seconds = 0;
  // Every call's scheduled send time and latency (from that time), in the order answered.
  std::vector<std::pair<absl::Time, absl::Duration>> calls;
  // The server's process CPU time per call, and that of spillwayd's loop thread (when it has one).
  double server_cpu_us = 0;
  double loop_cpu_us = 0;
  double switches = 0;       // The servers' context switches per call.
  double client_cpu_us = 0;  // The load generator's CPU time per call.
  std::string last_job_id;   // Of the last call answered.
  // Calls turned away with UNAVAILABLE (spillwayd's --max_calls_in_flight), counted apart from
  // `failed` where a phase expects them (CallDriver::ExpectTurnedAway).
  int turned_away = 0;
  // Open loop: the times the load generator itself did not run for kGeneratorStall or more
  // between two turns of its send loop (its CPU was taken, or the whole machine paused), the
  // longest, and their sum. Calls due meanwhile were sent late, and count from their due time.
  int generator_stalls = 0;
  absl::Duration longest_generator_stall;
  absl::Duration generator_stalled;

  // Open loop: how often no answer came for `at_least` or more while a call was due (the call
  // answered next was due before the previous answer: the server, the connection or this load
  // generator stood still meanwhile), and the longest such silence.
  struct Silences {
    int count = 0;
    absl::Duration longest;
  };
  Silences AnswerSilences(absl::Duration at_least) const {
    Silences out;
    for (size_t i = 1; i < calls.size(); ++i) {
      const absl::Time previous = calls[i - 1].first + calls[i - 1].second;
      const absl::Time answered = calls[i].first + calls[i].second;
      const absl::Duration silent = answered - std::max(previous, calls[i].first);
      if (silent < at_least) continue;
      ++out.count;
      out.longest = std::max(out.longest, silent);
    }
    return out;
  }

  double Throughput() const { return seconds > 0 ? ok / seconds : 0; }
  // How busy the servers' CPU time made one CPU at this throughput, in percent.
  double BusyPercent() const { return server_cpu_us * Throughput() / 1e4; }
  absl::Duration Percentile(double p) const {
    if (calls.empty()) return absl::ZeroDuration();
    std::vector<absl::Duration> latencies;
    latencies.reserve(calls.size());
    for (const auto& [scheduled, latency] : calls) latencies.push_back(latency);
    const size_t i =
        std::min(static_cast<size_t>(p * static_cast<double>(calls.size())), calls.size() - 1);
    std::nth_element(latencies.begin(), latencies.begin() + i, latencies.end());
    return latencies[i];
  }
};

// The client side of both loops: one thread starts calls on its own completion queue and takes
// their completions from it. No other client thread polls, so a call costs the client a few
// system calls and no thread hand-off (with the callback API, gRPC's two polling threads took
// turns on every response and the load generator's CPU was as busy as the server's).
class CallDriver {
 public:
  CallDriver(JobService::Stub* stub, Clock* clock) : stubs_{stub}, clock_(clock) {}
  // Calls take turns over `stubs` (one connection each: a flood from many clients).
  CallDriver(std::vector<JobService::Stub*> stubs, Clock* clock)
      : stubs_(std::move(stubs)), clock_(clock) {}
  ~CallDriver() {
    cq_.Shutdown();
    void* tag = nullptr;
    bool ok = false;
    while (cq_.Next(&tag, &ok)) delete static_cast<Call*>(tag);
  }

  // Starts a call whose latency counts from `scheduled`.
  void Start(absl::Time scheduled) {
    auto* call = new Call;
    call->scheduled = scheduled;
    call->context.set_deadline(absl::ToChronoTime(clock_->Now() + absl::Seconds(30)));
    call->reader = stubs_[next_stub_]->AsyncSubmitJob(&call->context, request_, &cq_);
    next_stub_ = (next_stub_ + 1) % stubs_.size();
    call->reader->Finish(&call->response, &call->status, call);
    ++in_flight_;
  }

  // Takes one completion, waiting for it until `deadline` at most (absl::InfinitePast(): only
  // what has arrived, without blocking). Returns whether a call completed.
  bool Complete(absl::Time deadline) {
    void* tag = nullptr;
    bool ok = false;
    const grpc::CompletionQueue::NextStatus status =
        deadline == absl::InfinitePast()
            ? cq_.AsyncNext(&tag, &ok, gpr_inf_past(GPR_CLOCK_MONOTONIC))
            : cq_.AsyncNext(&tag, &ok, absl::ToChronoTime(deadline));
    if (status != grpc::CompletionQueue::GOT_EVENT) return false;
    std::unique_ptr<Call> call(static_cast<Call*>(tag));
    --in_flight_;
    if (ok && expect_turned_away_ && call->status.error_code() == grpc::StatusCode::UNAVAILABLE &&
        absl::StrContains(call->status.error_message(), "--max_calls_in_flight")) {
      ++stats_.turned_away;  // Not counted as answered: its latency is not the server's work.
      return true;
    }
    (ok && call->status.ok() ? stats_.ok : stats_.failed)++;
    if (ok && call->status.ok()) stats_.last_job_id = call->response.job().id();
    stats_.calls.emplace_back(call->scheduled, clock_->Now() - call->scheduled);
    return true;
  }

  int in_flight() const { return in_flight_; }
  Stats& stats() { return stats_; }
  // Calls turned away by spillwayd's --max_calls_in_flight count in Stats::turned_away, not as
  // failures.
  void ExpectTurnedAway() { expect_turned_away_ = true; }

 private:
  struct Call {
    grpc::ClientContext context;
    SubmitJobResponse response;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<SubmitJobResponse>> reader;
    absl::Time scheduled;
  };

  const std::vector<JobService::Stub*> stubs_;
  size_t next_stub_ = 0;
  Clock* const clock_;
  bool expect_turned_away_ = false;
  const SubmitJobRequest request_ = Request();
  grpc::CompletionQueue cq_;
  int in_flight_ = 0;
  Stats stats_;
};

// Keeps `concurrency` calls in flight until `requests` have completed.
Stats ClosedLoop(CallDriver& driver, int requests, int concurrency, Clock* clock) {
  const absl::Time start = clock->Now();
  int started = 0;
  for (; started < std::min(concurrency, requests); ++started) driver.Start(clock->Now());
  while (driver.in_flight() > 0) {
    if (driver.Complete(absl::InfiniteFuture()) && started < requests) {
      driver.Start(clock->Now());
      ++started;
    }
  }
  Stats stats = std::move(driver.stats());
  stats.seconds = absl::ToDoubleSeconds(clock->Now() - start);
  return stats;
}

Stats ClosedLoop(JobService::Stub* stub, int requests, int concurrency, Clock* clock) {
  CallDriver driver(stub, clock);
  return ClosedLoop(driver, requests, concurrency, clock);
}

// Stops a process for a while in the middle of an open loop: a stall such as the host pausing the
// machine, a live migration or a noisy neighbour, made reproducible.
struct Stall {
  int pid = 0;
  int at_request = 0;  // Stopped once this many requests were sent.
  absl::Duration length;
  absl::Time stopped = absl::InfinitePast();
  absl::Time resumed = absl::InfinitePast();

  // Called between sends; stops or resumes the process when due.
  void Step(int sent, absl::Time now) {
    if (stopped == absl::InfinitePast() && sent >= at_request) {
      stopped = now;
      kill(pid, SIGSTOP);
    } else if (stopped != absl::InfinitePast() && resumed == absl::InfinitePast() &&
               now - stopped >= length) {
      resumed = now;
      kill(pid, SIGCONT);
    }
  }
};

// The latency target at half load.
constexpr absl::Duration kSlow = absl::Milliseconds(2);
// A pause of the open loop's sender at least this long is reported (Stats::generator_stalls).
constexpr absl::Duration kGeneratorStall = absl::Milliseconds(1);

int SlowAnswers(const Stats& stats) {
  int slow = 0;
  for (const auto& [scheduled, latency] : stats.calls) slow += latency > kSlow ? 1 : 0;
  return slow;
}

// How long after `resumed` the first call was sent that took at most kSlow: the time the backlog a
// stall built took to drain (a later, unrelated slow answer does not count). Infinite if none.
absl::Duration Recovery(Stats& stats, absl::Time resumed) {
  std::sort(stats.calls.begin(), stats.calls.end());
  for (const auto& [scheduled, latency] : stats.calls) {
    if (scheduled >= resumed && latency <= kSlow) return scheduled - resumed;
  }
  return absl::InfiniteDuration();
}

// Sends at a fixed rate; latency from each call's scheduled time. Between sends the thread polls
// its completion queue without blocking (a blocking wait would return in whole milliseconds at the
// earliest when nothing completes, sending late): the load generator's CPU is spent on that spin.
// Sends more than kSpin away (low rates) are waited for in the queue.
Stats OpenLoop(JobService::Stub* stub, int requests, double per_second, Clock* clock,
               Stall* stall = nullptr) {
  constexpr absl::Duration kSpin = absl::Milliseconds(2);
  CallDriver driver(stub, clock);
  const absl::Time start = clock->Now();
  const absl::Duration gap = absl::Seconds(1.0 / per_second);
  int sent = 0;
  absl::Time spun = absl::InfiniteFuture();  // The last turn, if it did not wait on purpose.
  while (sent < requests || driver.in_flight() > 0) {
    const absl::Time now = clock->Now();
    if (now - spun >= kGeneratorStall && sent < requests) {
      Stats& stats = driver.stats();
      ++stats.generator_stalls;
      stats.longest_generator_stall = std::max(stats.longest_generator_stall, now - spun);
      stats.generator_stalled += now - spun;
    }
    for (; sent < requests && start + gap * sent <= now; ++sent) driver.Start(start + gap * sent);
    if (stall != nullptr) stall->Step(sent, now);
    absl::Time wait_until = absl::InfiniteFuture();
    if (sent < requests) {
      const absl::Time next = start + gap * sent;
      wait_until = next - now > kSpin ? next - kSpin : absl::InfinitePast();
    }
    if (stall != nullptr && stall->resumed == absl::InfinitePast()) {
      wait_until = absl::InfinitePast();  // Resumes on time even when every call waits.
    }
    spun = wait_until == absl::InfinitePast() ? now : absl::InfiniteFuture();
    driver.Complete(wait_until);
  }
  if (stall != nullptr) stall->Step(sent, absl::InfiniteFuture());  // Never left stopped.
  Stats stats = std::move(driver.stats());
  stats.seconds = absl::ToDoubleSeconds(clock->Now() - start);
  return stats;
}

std::unique_ptr<JobService::Stub> Connect(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // Each server gets its own connection.
  return JobService::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

// Waits (at most a minute) until spillwayd reports `job_id`, the last job a phase had answered,
// RUNNING. The simulated agents report every job running a fixed second after its start, so by
// then the phase's jobs have all started (but for those submitted in its last milliseconds), and
// the next phase does not pay for this one's backend events. False (and says so) if it never ran.
bool Settle(JobService::Stub* stub, const std::string& job_id) {
  if (job_id.empty()) return true;
  const bool running = PollUntil(
      [&] {
        grpc::ClientContext context;
        spillway::v1::GetJobRequest request;
        request.set_id(job_id);
        spillway::v1::Job job;
        return stub->GetJob(&context, request, &job).ok() &&
               job.state() == spillway::v1::JOB_STATE_RUNNING;
      },
      absl::Minutes(1), absl::Milliseconds(5));
  if (!running) std::fprintf(stderr, "spillwayd's job %s never started\n", job_id.c_str());
  return running;
}

void Print(const char* name, const Stats& s) {
  std::printf(
      "%-18s %6d ok %2d failed %6.0f req/s  p50 %6.3f  p99 %6.3f  p99.9 %6.3f ms  server CPU %5.1f "
      "us/call",
      name, s.ok, s.failed, s.Throughput(), absl::ToDoubleMilliseconds(s.Percentile(0.5)),
      absl::ToDoubleMilliseconds(s.Percentile(0.99)),
      absl::ToDoubleMilliseconds(s.Percentile(0.999)), s.server_cpu_us);
  if (s.loop_cpu_us > 0) std::printf(" (loop thread %.1f)", s.loop_cpu_us);
  std::printf(", %.1f context switches/call; load generator CPU %.1f us/call", s.switches,
              s.client_cpu_us);
  std::printf("\n");
}

// The open loop's extra line: how busy the servers' CPU time made one CPU at this rate (calls
// arriving one at a time cost more than the closed loop's batches, so "half load" is not half
// busy), and whether the load generator itself paused.
void PrintOpenLoopNotes(const Stats& s) {
  std::printf(
      "%20sservers' CPU time = %.0f%% of one CPU at this rate; load generator paused >= %.0f ms "
      "%d times (longest %.1f ms, %.1f ms in all)\n",
      "", s.BusyPercent(), absl::ToDoubleMilliseconds(kGeneratorStall), s.generator_stalls,
      absl::ToDoubleMilliseconds(s.longest_generator_stall),
      absl::ToDoubleMilliseconds(s.generator_stalled));
  const Stats::Silences silences = s.AnswerSilences(kGeneratorStall);
  std::printf(
      "%20sno answer for >= %.0f ms while a call was due: %d times (longest %.1f ms; the load "
      "generator's pauses included)\n",
      "", absl::ToDoubleMilliseconds(kGeneratorStall), silences.count,
      absl::ToDoubleMilliseconds(silences.longest));
}

// CPU time a server's process has used so far, and its loop thread (named by EventLoop).
struct CpuTimes {
  double process_us = 0;
  double loop_us = 0;
  int64_t switches = 0;  // Context switches of all its threads (voluntary or not).
};

CpuTimes ReadCpu(int pid) {
  CpuTimes times;
  // utime and stime, fields 14 and 15 of /proc/PID/stat (counted after the command's ")").
  const std::string stat = ReadFileOrEmpty(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren != std::string::npos) {
    std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
    int64_t utime = 0;
    int64_t stime = 0;
    if (fields.size() > 12 && absl::SimpleAtoi(fields[11], &utime) &&
        absl::SimpleAtoi(fields[12], &stime)) {
      times.process_us = 1e6 * static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
    }
  }
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    for (absl::string_view line : absl::StrSplit(ReadFileOrEmpty(task.path() / "status"), '\n')) {
      int64_t n = 0;
      if ((absl::ConsumePrefix(&line, "voluntary_ctxt_switches:") ||
           absl::ConsumePrefix(&line, "nonvoluntary_ctxt_switches:")) &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &n)) {
        times.switches += n;
      }
    }
    if (ReadFileOrEmpty(task.path() / "comm") != "spillway-loop\n") continue;
    int64_t ns = 0;  // schedstat: time on a CPU (ns), wait time, timeslices.
    const std::string schedstat = ReadFileOrEmpty(task.path() / "schedstat");
    if (absl::SimpleAtoi(schedstat.substr(0, schedstat.find(' ')), &ns)) times.loop_us = ns / 1e3;
  }
  return times;
}

// Runs `phase` and adds the servers' CPU time per call to its stats.
double SelfCpuUs() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return 1e6 * (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

template <typename Phase>
Stats WithServerCpu(int pid, Phase phase) {
  const CpuTimes before = ReadCpu(pid);
  const double client_before = SelfCpuUs();
  Stats stats = phase();
  const double client_after = SelfCpuUs();
  const CpuTimes after = ReadCpu(pid);
  const double calls = std::max(1, stats.ok + stats.failed + stats.turned_away);
  stats.server_cpu_us = (after.process_us - before.process_us) / calls;
  stats.loop_cpu_us = (after.loop_us - before.loop_us) / calls;
  stats.switches = static_cast<double>(after.switches - before.switches) / calls;
  stats.client_cpu_us = (client_after - client_before) / calls;
  return stats;
}

// spillwayd: 200 simulated 64-vCPU nodes so every submit places (the queue stays short).
Config BenchConfig() {
  Config config = DefaultConfig();
  config.vm_pool.nodes.clear();
  for (int i = 0; i < 200; ++i) {
    config.vm_pool.nodes.push_back(
        NodeConfig{absl::StrCat("vm-", 1000 + i), Resources{64000, 262144}, {}});
  }
  return config;
}

// The CPUs this process may run on.
std::vector<int> AllowedCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

// Pins the calling thread, and so every thread it starts later, to `cpus`.
bool PinTo(const std::vector<int>& cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  return sched_setaffinity(0, sizeof(set), &set) == 0;
}

// --serve=spillwayd|noop: that server in this process until SIGTERM; "PORT <port> <pid>" on stdout.
int Serve(const std::string& which) {
  // If the load generator dies without stopping this process (killed while phase 3 had it
  // SIGSTOPped, or in a flood it would drain first), SIGKILL it: ChildProcess's SIGTERM would wait
  // for a SIGCONT, or for the backlog.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  // Taken synchronously below; blocked before any thread starts so that every thread inherits it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const std::string cpus = absl::GetFlag(FLAGS_server_cpus);
  if (!cpus.empty()) {
    std::vector<int> list;
    for (absl::string_view cpu : absl::StrSplit(cpus, ',')) {
      int n = 0;
      if (!absl::SimpleAtoi(cpu, &n)) {
        std::fprintf(stderr, "bad --server_cpus=%s\n", cpus.c_str());
        return 2;
      }
      list.push_back(n);
    }
    if (!PinTo(list)) std::fprintf(stderr, "cannot pin the server to CPUs %s\n", cpus.c_str());
  }
  if (absl::GetFlag(FLAGS_servers_policy) == "batch") {
    const sched_param param{};  // Before any thread starts: they all inherit the policy.
    if (sched_setscheduler(0, SCHED_BATCH, &param) != 0) {
      std::fprintf(stderr, "cannot set SCHED_BATCH\n");
      return 1;
    }
  }
  int port = 0;
  std::unique_ptr<Spillwayd> daemon;
  NoopJobService noop;
  std::unique_ptr<rpc::CallQueue> queue;
  std::unique_ptr<grpc::Server> noop_server;
  if (which == "spillwayd") {
    SpillwaydOptions options;
    options.grpc_address = "127.0.0.1:0";
    options.max_calls_in_flight = absl::GetFlag(FLAGS_max_calls_in_flight);
    daemon = std::make_unique<Spillwayd>(BenchConfig(), std::move(options));
    if (absl::Status s = daemon->Start(); !s.ok()) {
      std::fprintf(stderr, "spillwayd: %s\n", s.ToString().c_str());
      return 1;
    }
    port = daemon->port();
  } else if (which == "noop") {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kDefaultMaxConcurrentStreams);
    builder.RegisterService(noop.grpc_service());
    queue = std::make_unique<rpc::CallQueue>(builder);
    noop_server = builder.BuildAndStart();
    if (noop_server == nullptr || port == 0) {
      std::fprintf(stderr, "no-op server did not start\n");
      return 1;
    }
    noop.Listen(queue.get());
    queue->Start();
  } else {
    std::fprintf(stderr, "--serve must be spillwayd or noop\n");
    return 2;
  }
  std::printf("PORT %d %d\n", port, static_cast<int>(getpid()));
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  if (noop_server != nullptr) {
    noop_server->Shutdown();
    queue->Stop();
  }
  if (daemon != nullptr) daemon->Shutdown();
  return 0;
}

// A server's child process, and where its port was read from.
struct Server {
  std::unique_ptr<ChildProcess> process;
  int port = 0;
  int pid = 0;      // The child's, for its CPU time.
  std::string dir;  // Holds the child's stdout and stderr.
  std::string out_path;
  std::string err_path;

  ~Server() {
    process.reset();  // SIGTERM: the server shuts down.
    const std::string errors = ReadFileOrEmpty(err_path);
    if (!errors.empty()) std::fprintf(stderr, "server:\n%s", errors.c_str());
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
};

// Starts this binary with --serve=`which` and waits (at most a minute) for its port.
absl::StatusOr<std::unique_ptr<Server>> StartServer(const std::string& which,
                                                    const std::string& server_cpus) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/grpc_load_bench.XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  auto server = std::make_unique<Server>();
  server->dir = dir;
  server->out_path = dir + "/server.out";
  server->err_path = dir + "/server.err";
  std::vector<std::string> argv = {"/proc/self/exe", absl::StrCat("--serve=", which)};
  if (!server_cpus.empty()) argv.push_back(absl::StrCat("--server_cpus=", server_cpus));
  argv.push_back(absl::StrCat("--max_calls_in_flight=", absl::GetFlag(FLAGS_max_calls_in_flight)));
  argv.push_back(absl::StrCat("--servers_policy=", absl::GetFlag(FLAGS_servers_policy)));
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, server->out_path, server->err_path);
  if (!child.ok()) return child.status();
  server->process = *std::move(child);
  Server* s = server.get();
  const bool listening = PollUntil(
      [s] {
        if (s->process->ExitCode().has_value()) return true;
        const std::string out = ReadFileOrEmpty(s->out_path);
        return absl::StrContains(out, "\n") &&
               std::sscanf(out.c_str(), "PORT %d %d", &s->port, &s->pid) == 2;
      },
      absl::Minutes(1), absl::Milliseconds(5));
  if (!listening || server->port == 0) {
    return absl::UnavailableError(
        absl::StrCat(which, " did not start: ", ReadFileOrEmpty(server->err_path)));
  }
  return server;
}

// Phase 4: `connections` connections to spillwayd each keep kDefaultMaxConcurrentStreams calls
// open until `requests` were answered or turned away; prints what it answered and turned away.
// False if a call failed otherwise, or spillwayd's process could not be reached.
bool Flood(int port, int pid, int connections, int requests, Clock* clock) {
  std::vector<std::unique_ptr<JobService::Stub>> owned;
  std::vector<JobService::Stub*> stubs;
  for (int i = 0; i < connections; ++i) {
    owned.push_back(Connect(absl::StrCat("127.0.0.1:", port)));
    stubs.push_back(owned.back().get());
    ClosedLoop(stubs.back(), 10, 1, clock);  // Connects.
  }
  const int open = std::min(connections * kDefaultMaxConcurrentStreams, requests);
  CallDriver driver(stubs, clock);
  driver.ExpectTurnedAway();
  const Stats flood = WithServerCpu(pid, [&] { return ClosedLoop(driver, requests, open, clock); });
  const double turned_away = 100.0 * flood.turned_away / std::max(1, requests);
  std::printf(
      "flood: %d connections, %d calls open (at most %d each; spillwayd works on %d at once), "
      "%d calls:\n",
      connections, open, kDefaultMaxConcurrentStreams, absl::GetFlag(FLAGS_max_calls_in_flight),
      requests);
  Print("  spillwayd", flood);
  std::printf("%20s%d turned away with UNAVAILABLE (%.0f%%)\n", "", flood.turned_away, turned_away);
  std::printf(
      "SUMMARY|spillwayd under a flood of %d open calls from %d connections: answered (turned "
      "away)|%.0f req/s (%.0f%%)|-\n",
      open, connections, flood.Throughput(), turned_away);
  std::printf("SUMMARY|spillwayd p99 of the answered calls in that flood|%.2f ms|-\n",
              absl::ToDoubleMilliseconds(flood.Percentile(0.99)));
  return flood.failed == 0 && flood.ok + flood.turned_away == requests;
}

int Main() {
  const bool quick = absl::GetFlag(FLAGS_quick);
  const int requests = quick ? 300 : absl::GetFlag(FLAGS_requests);
  const int concurrency = quick ? 8 : absl::GetFlag(FLAGS_concurrency);
  Clock* clock = RealClock::Get();

  // Pinned before any thread starts: the child and this process's gRPC threads inherit the mask.
  const std::string pin = absl::GetFlag(FLAGS_pin);
  if (pin != "split" && pin != "client" && pin != "none") {
    std::fprintf(stderr, "--pin must be split, client or none\n");
    return 2;
  }
  const std::string policy = absl::GetFlag(FLAGS_servers_policy);
  if (policy != "normal" && policy != "batch") {
    std::fprintf(stderr, "--servers_policy must be normal or batch\n");
    return 2;
  }
  const std::vector<int> cpus = AllowedCpus();
  std::string server_cpus;  // Empty: as this process.
  std::string placement = "load generator and servers unpinned";
  if (pin != "none" && cpus.size() >= 2) {
    if (!PinTo({cpus[0]})) {
      std::fprintf(stderr, "cannot pin the load generator to CPU %d\n", cpus[0]);
      return 1;
    }
    server_cpus = absl::StrJoin(pin == "split" ? cpus.begin() + 1 : cpus.begin(), cpus.end(), ",");
    placement = absl::StrCat("load generator on CPU ", cpus[0], ", servers on CPU ", server_cpus);
  }
  absl::StatusOr<std::unique_ptr<Server>> spill_server = StartServer("spillwayd", server_cpus);
  absl::StatusOr<std::unique_ptr<Server>> noop_server = StartServer("noop", server_cpus);
  for (const auto* server : {&spill_server, &noop_server}) {
    if (!server->ok()) {
      std::fprintf(stderr, "%s\n", server->status().ToString().c_str());
      return 1;
    }
  }
  std::printf("%s (%zu CPUs allowed); servers' scheduling policy %s\n", placement.c_str(),
              cpus.size(), policy == "batch" ? "SCHED_BATCH" : "normal");

  auto spill_stub = Connect(absl::StrCat("127.0.0.1:", (*spill_server)->port));
  auto noop_stub = Connect(absl::StrCat("127.0.0.1:", (*noop_server)->port));
  // Warm both connections up.
  ClosedLoop(noop_stub.get(), 200, 8, clock);
  ClosedLoop(spill_stub.get(), 200, 8, clock);

  const int pid = (*spill_server)->pid;
  const int noop_pid = (*noop_server)->pid;
  Stats noop_stats = WithServerCpu(
      noop_pid, [&] { return ClosedLoop(noop_stub.get(), requests, concurrency, clock); });
  Stats spill_stats = WithServerCpu(
      pid, [&] { return ClosedLoop(spill_stub.get(), requests, concurrency, clock); });
  std::printf("closed loop, %d requests, %d in flight:\n", requests, concurrency);
  Print("  no-op JobService", noop_stats);
  Print("  spillwayd", spill_stats);
  const double ratio =
      noop_stats.Throughput() > 0 ? spill_stats.Throughput() / noop_stats.Throughput() : 0;
  std::printf("  ratio spillwayd / no-op: %.2f (target >= 0.50)\n", ratio);
  int failed = noop_stats.failed + spill_stats.failed;
  bool ok = noop_stats.ok == requests && spill_stats.ok == requests;
  std::printf("SUMMARY|SubmitJob throughput, spillwayd|%.0f req/s|-\n", spill_stats.Throughput());
  std::printf("SUMMARY|SubmitJob throughput, no-op server|%.0f req/s|-\n", noop_stats.Throughput());
  std::printf("SUMMARY|spillwayd / no-op throughput|%.2f|>= 0.50\n", ratio);
  std::printf("SUMMARY|spillwayd p99, closed loop (%d in flight)|%.2f ms|-\n", concurrency,
              absl::ToDoubleMilliseconds(spill_stats.Percentile(0.99)));
  std::printf("SUMMARY|server CPU per SubmitJob, spillwayd (its loop thread)|%.1f us (%.1f us)|-\n",
              spill_stats.server_cpu_us, spill_stats.loop_cpu_us);
  std::printf("SUMMARY|server CPU per SubmitJob, no-op server|%.1f us|-\n",
              noop_stats.server_cpu_us);

  if (!quick) {
    const double fixed_rate = absl::GetFlag(FLAGS_paced_rate);
    const double rate = fixed_rate > 0 ? fixed_rate : spill_stats.Throughput() / 2;
    const int paced = absl::GetFlag(FLAGS_paced_requests);
    // Each open loop starts once spillwayd has started every job of the phase before it (the
    // simulated agents report RUNNING a second after the start): else that phase's 20,000
    // TaskRunning events land in the window measured next, doubling spillwayd's load there or
    // burdening the no-op server's window with spillwayd's work.
    if (!Settle(spill_stub.get(), spill_stats.last_job_id)) return 1;
    Stats paced_stats =
        WithServerCpu(pid, [&] { return OpenLoop(spill_stub.get(), paced, rate, clock); });
    if (!Settle(spill_stub.get(), paced_stats.last_job_id)) return 1;
    // The same load against the no-op server: the floor this machine and gRPC stack set.
    Stats noop_paced =
        WithServerCpu(noop_pid, [&] { return OpenLoop(noop_stub.get(), paced, rate, clock); });
    std::printf("open loop at %.0f req/s (%s):\n", rate,
                fixed_rate > 0 ? "--paced_rate" : "half of spillwayd's closed-loop throughput");
    Print("  spillwayd", paced_stats);
    PrintOpenLoopNotes(paced_stats);
    Print("  no-op JobService", noop_paced);
    PrintOpenLoopNotes(noop_paced);
    std::printf("SUMMARY|spillwayd p99 at %.0f req/s (%s)|%.2f ms|<= 2 ms\n", rate,
                fixed_rate > 0 ? "--paced_rate" : "half load",
                absl::ToDoubleMilliseconds(paced_stats.Percentile(0.99)));
    std::printf("SUMMARY|no-op server p99 at the same load|%.2f ms|-\n",
                absl::ToDoubleMilliseconds(noop_paced.Percentile(0.99)));
    std::printf(
        "SUMMARY|servers' CPU busy at that load, spillwayd / no-op (one CPU; calls one at a "
        "time)|%.0f%% / %.0f%%|-\n",
        paced_stats.BusyPercent(), noop_paced.BusyPercent());
    const Stats::Silences spill_silences = paced_stats.AnswerSilences(kGeneratorStall);
    const Stats::Silences noop_silences = noop_paced.AnswerSilences(kGeneratorStall);
    std::printf(
        "SUMMARY|no answer for >= %.0f ms while a call was due, spillwayd / no-op|%d (longest "
        "%.1f ms) / %d (longest %.1f ms)|-\n",
        absl::ToDoubleMilliseconds(kGeneratorStall), spill_silences.count,
        absl::ToDoubleMilliseconds(spill_silences.longest), noop_silences.count,
        absl::ToDoubleMilliseconds(noop_silences.longest));
    std::printf(
        "SUMMARY|load generator paused >= %.0f ms in those two windows|%d times (longest %.1f "
        "ms)|-\n",
        absl::ToDoubleMilliseconds(kGeneratorStall),
        paced_stats.generator_stalls + noop_paced.generator_stalls,
        absl::ToDoubleMilliseconds(
            std::max(paced_stats.longest_generator_stall, noop_paced.longest_generator_stall)));
    failed += paced_stats.failed + noop_paced.failed;
    ok = ok && paced_stats.ok == paced && noop_paced.ok == paced;

    const int stall_ms = absl::GetFlag(FLAGS_stall_ms);
    const int stall_requests = absl::GetFlag(FLAGS_stall_requests);
    if (stall_ms > 0 && stall_requests > 0) {
      std::printf(
          "stall recovery at %.0f req/s, %d requests each; the server's process stopped for "
          "%d ms a quarter in:\n",
          rate, stall_requests, stall_ms);
      const auto stalled = [&](JobService::Stub* stub, int server_pid, const char* name,
                               const char* summary) {
        Stall stall;
        stall.pid = server_pid;
        stall.at_request = stall_requests / 4;
        stall.length = absl::Milliseconds(stall_ms);
        Stats stats = OpenLoop(stub, stall_requests, rate, clock, &stall);
        failed += stats.failed;
        ok = ok && stats.ok == stall_requests;
        const absl::Duration recovery = Recovery(stats, stall.resumed);
        const std::string after =
            recovery == absl::InfiniteDuration()
                ? "never (in this window)"
                : absl::StrFormat("%.0f ms", absl::ToDoubleMilliseconds(recovery));
        std::printf(
            "  %-16s back under 2 ms %s after it resumed; %d answers over 2 ms, max %.1f "
            "ms, p99 %.2f ms\n",
            name, after.c_str(), SlowAnswers(stats),
            absl::ToDoubleMilliseconds(stats.Percentile(1.0)),
            absl::ToDoubleMilliseconds(stats.Percentile(0.99)));
        std::printf("SUMMARY|%s: back under 2 ms after a %d ms stall at the same load|%s|-\n",
                    summary, stall_ms, after.c_str());
        return stats;
      };
      const Stats spill_stalled = stalled(spill_stub.get(), pid, "spillwayd", "spillwayd");
      if (!Settle(spill_stub.get(), spill_stalled.last_job_id)) return 1;
      stalled(noop_stub.get(), noop_pid, "no-op JobService", "no-op server");
    }
  }
  const int connections = absl::GetFlag(FLAGS_flood_connections);
  const int flood_requests = quick ? 2000 : absl::GetFlag(FLAGS_flood_requests);
  if (connections > 0 && flood_requests > 0 &&
      !Flood((*spill_server)->port, pid, connections, flood_requests, clock)) {
    std::fprintf(stderr, "FAILED: a flood call failed other than by being turned away\n");
    ok = false;
  }
  // Closes the connections first: nothing polls this process's channels any more (CallDriver
  // polls its own queue only while it runs), so the servers' GOAWAY would go unanswered and their
  // shutdown would wait ~10 s for the connections.
  spill_stub.reset();
  noop_stub.reset();
  spill_server->reset();  // SIGTERM: the servers shut down.
  noop_server->reset();
  if (failed > 0 || !ok) {
    std::fprintf(stderr, "FAILED: %d calls failed\n", failed);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace spillway

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As spillwayd's main: Debian's Abseil checks lock order on every Mutex operation otherwise.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  const std::string serve = absl::GetFlag(FLAGS_serve);
  return serve.empty() ? spillway::Main() : spillway::Serve(serve);
}
