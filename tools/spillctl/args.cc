#include "tools/spillctl/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace spillway::spillctl {

bool ParsedArgs::Has(const std::string& flag) const {
  return values_.count(flag) > 0;
}

std::optional<std::string> ParsedArgs::Get(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedArgs::GetAll(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return {};
  return it->second;
}

namespace {

const FlagSpec* FindSpec(absl::Span<const FlagSpec> specs,
                         absl::string_view name, bool is_short) {
  for (const FlagSpec& spec : specs) {
    if (is_short ? (name.size() == 1 && spec.short_name == name[0])
                 : spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const std::string> args,
                                     absl::Span<const FlagSpec> specs,
                                     bool stop_at_first_positional) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      parsed.saw_double_dash_ = true;
      parsed.passthrough_.assign(args.begin() + i + 1, args.end());
      break;
    }
    const bool is_long = absl::StartsWith(arg, "--");
    const bool is_short = !is_long && arg.size() > 1 && arg[0] == '-';
    if (!is_long && !is_short) {
      if (stop_at_first_positional) {
        parsed.positional_.push_back(arg);
        parsed.passthrough_.assign(args.begin() + i + 1, args.end());
        break;
      }
      parsed.positional_.push_back(arg);
      continue;
    }
    absl::string_view body = absl::string_view(arg).substr(is_long ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != absl::string_view::npos) {
      inline_value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    }
    const std::string shown = absl::StrCat(is_long ? "--" : "-", body);
    const FlagSpec* spec = FindSpec(specs, body, is_short);
    if (spec == nullptr)
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", shown));
    const std::string canonical = absl::StrCat("--", spec->name);

    std::string value;
    if (spec->takes_value) {
      if (inline_value.has_value()) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag ", canonical, " needs a value"));
      }
    } else if (inline_value.has_value()) {
      bool on = false;
      if (!absl::SimpleAtob(*inline_value, &on)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "flag ", canonical, " is a switch; want true or false, got \"",
            *inline_value, "\""));
      }
      value = on ? "true" : "false";
    } else {
      value = "true";
    }

    std::vector<std::string>& values = parsed.values_[spec->name];
    if (!values.empty() && !spec->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag ", canonical, " given more than once"));
    }
    values.push_back(std::move(value));
  }
  return parsed;
}

absl::StatusOr<std::string> OnePositional(const ParsedArgs& args,
                                          const std::string& what) {
  if (args.positional().empty())
    return absl::InvalidArgumentError(absl::StrCat("missing ", what));
  if (args.positional().size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat("want one ", what,
                                                   ", got extra argument \"",
                                                   args.positional()[1], "\""));
  }
  return args.positional()[0];
}

absl::Status NoPositionals(const ParsedArgs& args) {
  if (args.positional().empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected argument \"", args.positional()[0], "\""));
}

}  // namespace spillway::spillctl
