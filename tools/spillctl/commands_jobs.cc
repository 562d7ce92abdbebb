// The job commands: submit, get, list, cancel, watch.
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/spillctl/command.h"
#include "tools/spillctl/job_requests.h"
#include "tools/spillctl/render_jobs.h"
#include "tools/spillctl/status_macros.h"
#include "tools/spillctl/submit_request.h"

namespace spillway::spillctl {
namespace {

std::string JobAsTable(const v1::Job& job, absl::Time now) {
  Table table = NewJobTable();
  AddJobRow(job, now, &table);
  return table.Render();
}

Command SubmitCommand() {
  Command command;
  command.name = "submit";
  command.synopsis = "--name N --cpu Q --memory Q [flags] [-- COMMAND ARGS...]";
  command.summary = "submit a job; prints its id, then its row";
  command.flags_help =
      "  --name N               job name (1-63 chars: a-z 0-9 - . _)           "
      " required\n"
      "  --cpu Q                500m (millicores), 2 or 1.5 (cores)            "
      " required\n"
      "  --memory Q             512Mi, 2Gi, 1.5Gi, 1G (decimal; rounded up)    "
      " required\n"
      "  --image I              container image (optional for VM-only "
      "processes)\n"
      "  --priority P           0..1000, higher runs first\n"
      "  --max-wait D           wait budget before bursting (60s, 5m); "
      "default: the policy's\n"
      "  --burst M              allowed | vm-only | aci-only\n"
      "  --restart R            never | on-failure | always\n"
      "  --max-restarts N       retries after the first attempt\n"
      "  --migratable           may move between backends\n"
      "  --duration D           expected run time (hint for the cost model)\n"
      "  --selector k=v         node label the VM must carry (repeatable)\n"
      "  --affinity KEY         prefer nodes running jobs with KEY "
      "(repeatable)\n"
      "  --anti-affinity KEY    never share a node with a job with KEY "
      "(repeatable)\n"
      "  --label k=v            job label, used by list --label (repeatable)\n"
      "  --env K=V              environment variable (repeatable)\n"
      "  --secret-env K=V       environment variable never echoed back "
      "(repeatable)\n"
      "  --idempotency-key K    a retried submit with the same key returns the "
      "same job\n"
      "  -q, --quiet            print only the job id\n";
  command.flags = SubmitFlagSpecs();
  command.takes_passthrough = true;
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(v1::SubmitJobRequest request,
                              BuildSubmitRequest(args));
    const bool quiet = args.GetSwitch("quiet");
    return CommandRun(
        [request = std::move(request), quiet](SpillwayClient& client,
                                              Output& output) -> absl::Status {
          SPILLCTL_ASSIGN_OR_RETURN(const v1::SubmitJobResponse response,
                                    client.SubmitJob(request));
          if (!response.created()) {
            output.Note(absl::StrCat(
                "note: idempotency key \"", request.idempotency_key(),
                "\" matched existing job ", response.job().id()));
          }
          return output.Print(response, [&] {
            const std::string id_line = absl::StrCat(response.job().id(), "\n");
            return quiet ? id_line
                         : id_line + JobAsTable(response.job(), output.now());
          });
        });
  };
  return command;
}

Command GetCommand() {
  Command command;
  command.name = "get";
  command.synopsis = "JOB";
  command.summary =
      "show a job: spec, attempts, history, last scheduling decision";
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(v1::GetJobRequest request, BuildGetRequest(args));
    return CommandRun(
        [request = std::move(request)](SpillwayClient& client,
                                       Output& output) -> absl::Status {
          SPILLCTL_ASSIGN_OR_RETURN(const v1::Job job, client.GetJob(request));
          return output.Print(
              job, [&] { return RenderJobDetails(job, output.now()); });
        });
  };
  return command;
}

absl::Status RunList(const ListOptions& options, SpillwayClient& client,
                     Output& output) {
  v1::ListJobsRequest request = options.request;
  Table table = NewJobTable();
  while (true) {
    SPILLCTL_ASSIGN_OR_RETURN(const v1::ListJobsResponse page,
                              client.ListJobs(request));
    if (output.json()) {
      SPILLCTL_RETURN_IF_ERROR(
          output.Print(page, [] { return std::string(); }));
    } else {
      for (const v1::Job& job : page.jobs())
        AddJobRow(job, output.now(), &table);
    }
    if (page.next_page_token().empty()) break;
    if (!options.all_pages) {
      output.Note("note: there are more jobs; use --all to list them all");
      break;
    }
    if (page.next_page_token() == request.page_token()) {
      return absl::InternalError(
          "the server returned the same page token twice");
    }
    request.set_page_token(page.next_page_token());
  }
  if (!output.json()) {
    if (table.empty()) {
      output.Note("no jobs");
    } else {
      output.Text(table.Render());
    }
  }
  return absl::OkStatus();
}

Command ListCommand() {
  Command command;
  command.name = "list";
  command.synopsis =
      "[--state S] [--backend B] [--label k=v]... [--limit N] [--all]";
  command.summary = "list jobs";
  command.flags_help =
      "  --state S              pending | placed | starting | running | "
      "succeeded | failed |\n"
      "                         cancelled\n"
      "  --backend B            vm | aci\n"
      "  --label k=v            jobs must carry this label (repeatable)\n"
      "  --limit N              page size, 1..1000 (server default 100)\n"
      "  --all                  follow next_page_token through every page\n";
  command.flags = ListFlagSpecs();
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(ListOptions options, BuildListOptions(args));
    return CommandRun(
        [options = std::move(options)](SpillwayClient& client, Output& output) {
          return RunList(options, client, output);
        });
  };
  return command;
}

Command CancelCommand() {
  Command command;
  command.name = "cancel";
  command.synopsis = "JOB [--reason R]";
  command.summary = "cancel a job";
  command.flags_help =
      "  --reason R             recorded in the job's history\n";
  command.flags = CancelFlagSpecs();
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(v1::CancelJobRequest request,
                              BuildCancelRequest(args));
    return CommandRun([request = std::move(request)](
                          SpillwayClient& client,
                          Output& output) -> absl::Status {
      SPILLCTL_ASSIGN_OR_RETURN(const v1::Job job, client.CancelJob(request));
      return output.Print(job, [&] { return JobAsTable(job, output.now()); });
    });
  };
  return command;
}

Command LogsCommand() {
  Command command;
  command.name = "logs";
  command.synopsis = "JOB [--attempt N]";
  command.summary = "print a job's output (ACI container logs, or the node's)";
  command.flags_help = "  --attempt N            that attempt (default: the latest)\n";
  command.flags = LogsFlagSpecs();
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(v1::GetJobLogsRequest request, BuildLogsRequest(args));
    return CommandRun([request = std::move(request)](SpillwayClient& client,
                                                     Output& output) -> absl::Status {
      SPILLCTL_ASSIGN_OR_RETURN(const v1::GetJobLogsResponse logs, client.GetJobLogs(request));
      return output.Print(logs, [&] { return logs.content(); });
    });
  };
  return command;
}

Command WatchCommand() {
  Command command;
  command.name = "watch";
  command.synopsis = "[--from REV] [--job JOB]";
  command.summary =
      "print job events as they happen (until the stream ends or Ctrl-C)";
  command.flags_help =
      "  --from REV             replay events after revision REV first (0 = "
      "all kept; default: only new)\n"
      "  --job JOB              only this job's events\n";
  command.flags = WatchFlagSpecs();
  command.prepare = [](const ParsedArgs& args) -> absl::StatusOr<CommandRun> {
    SPILLCTL_ASSIGN_OR_RETURN(v1::WatchJobsRequest request,
                              BuildWatchRequest(args));
    return CommandRun(
        [request = std::move(request)](SpillwayClient& client, Output& output) {
          bool header_shown =
              false;  // Shown with the first event, so errors come alone.
          return client.WatchJobs(request, [&](const v1::JobEvent& event) {
            return output.Print(event, [&] {
              std::string text = header_shown ? "" : JobEventHeader();
              header_shown = true;
              return text + RenderJobEvent(event);
            });
          });
        });
  };
  return command;
}

}  // namespace

std::vector<Command> JobCommands() {
  return {SubmitCommand(), GetCommand(), ListCommand(), CancelCommand(),
          LogsCommand(), WatchCommand()};
}

}  // namespace spillway::spillctl
