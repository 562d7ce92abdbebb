// A small GNU-style argument parser for subcommands that each have their own
// flags.
//
// Accepted forms: `--name value`, `--name=value`, `-n value`, `-n=value`,
// boolean
// `--flag` (or `--flag=true|false`), positionals anywhere, and `--` after which
// everything is passed through untouched.
#ifndef SPILLWAY_TOOLS_SPILLCTL_ARGS_H_
#define SPILLWAY_TOOLS_SPILLCTL_ARGS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace spillway::spillctl {

struct FlagSpec {
  std::string name;        // Long name without the dashes, e.g. "max-wait".
  char short_name = '\0';  // Optional one-letter alias, e.g. 'o' for "-o".
  bool takes_value = true;
  bool repeatable = false;
};

class ParsedArgs {
 public:
  bool Has(const std::string& flag) const;
  // The flag's value (its last one if repeatable); nullopt when absent.
  std::optional<std::string> Get(const std::string& flag) const;
  // All values of a repeatable flag in command-line order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  // True when a switch was given (and not as --flag=false).
  bool GetSwitch(const std::string& flag) const {
    return Get(flag).value_or("false") == "true";
  }

  const std::vector<std::string>& positional() const { return positional_; }
  // Everything after `--`.
  const std::vector<std::string>& passthrough() const { return passthrough_; }
  bool saw_double_dash() const { return saw_double_dash_; }

 private:
  friend absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string>,
                                              absl::Span<const FlagSpec>, bool);
  std::map<std::string, std::vector<std::string>>
      values_;  // Boolean flags hold "true"/"false".
  std::vector<std::string> positional_;
  std::vector<std::string> passthrough_;
  bool saw_double_dash_ = false;
};

// Parses `args` against `specs`. With stop_at_first_positional, parsing ends at
// the first positional, which is returned with everything after it in
// passthrough() (used to split global flags from a subcommand). Errors name the
// offending flag.
absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> specs,
                                     bool stop_at_first_positional = false);

// The one positional argument, named `what` in the error (e.g. "JOB").
absl::StatusOr<std::string> OnePositional(const ParsedArgs& args,
                                          const std::string& what);
// An error naming the first positional, if there is one.
absl::Status NoPositionals(const ParsedArgs& args);

}  // namespace spillway::spillctl

#endif  // SPILLWAY_TOOLS_SPILLCTL_ARGS_H_
