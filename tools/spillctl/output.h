// Where command results go: tables for people or JSON lines for programs (-o
// json).
#ifndef SPILLWAY_TOOLS_SPILLCTL_OUTPUT_H_
#define SPILLWAY_TOOLS_SPILLCTL_OUTPUT_H_

#include <ostream>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace spillway::spillctl {

enum class OutputFormat { kTable, kJson };

class Output {
 public:
  // `now` is the moment ages ("5m") are measured from.
  Output(OutputFormat format, std::ostream& out, std::ostream& err,
         absl::Time now)
      : format_(format), out_(out), err_(err), now_(now) {}

  bool json() const { return format_ == OutputFormat::kJson; }
  absl::Time now() const { return now_; }

  // Prints one response: as a JSON line, or as render() returns it. Flushes, so
  // a stream (watch) shows up line by line.
  absl::Status Print(const google::protobuf::Message& response,
                     absl::FunctionRef<std::string()> render);

  // Prints text in table mode only (headers, summaries); JSON output stays
  // pure.
  void Text(absl::string_view text);

  // Notes for people (e.g. "more jobs: use --all") go to stderr in either
  // format.
  void Note(absl::string_view text);

 private:
  OutputFormat format_;
  std::ostream& out_;
  std::ostream& err_;
  absl::Time now_;
};

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_OUTPUT_H_
