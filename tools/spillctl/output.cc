#include "tools/spillctl/output.h"

#include "tools/spillctl/json_output.h"
#include "tools/spillctl/status_macros.h"

namespace spillway::spillctl {

absl::Status Output::Print(const google::protobuf::Message& response,
                           absl::FunctionRef<std::string()> render) {
  if (json()) {
    SPILLCTL_ASSIGN_OR_RETURN(const std::string line, ToJsonLine(response));
    out_ << line;
  } else {
    const std::string text = render();
    out_ << text;
    if (!text.empty() && text.back() != '\n') out_ << '\n';  // Never leave the prompt mid-line.
  }
  out_.flush();
  return absl::OkStatus();
}

void Output::Text(absl::string_view text) {
  if (json()) return;
  out_ << text;
  out_.flush();
}

void Output::Note(absl::string_view text) { err_ << text << "\n"; }

}  // namespace spillway::spillctl
