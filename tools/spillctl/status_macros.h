// Early-return helpers for absl::Status / absl::StatusOr (no exceptions in this
// code base).
#ifndef SPILLWAY_TOOLS_SPILLCTL_STATUS_MACROS_H_
#define SPILLWAY_TOOLS_SPILLCTL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns the status from the enclosing function if it is not OK.
#define SPILLCTL_RETURN_IF_ERROR(expr)                   \
  do {                                                   \
    const ::absl::Status spillctl_status_ = (expr);      \
    if (!spillctl_status_.ok()) return spillctl_status_; \
  } while (false)

// `lhs = *expr` for an OK StatusOr `expr`; returns its status otherwise.
#define SPILLCTL_ASSIGN_OR_RETURN(lhs, expr) \
  SPILLCTL_ASSIGN_OR_RETURN_IMPL_(           \
      SPILLCTL_CONCAT_(spillctl_statusor_, __LINE__), lhs, expr)

#define SPILLCTL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  lhs = std::move(*tmp)

#define SPILLCTL_CONCAT_(a, b) SPILLCTL_CONCAT_INNER_(a, b)
#define SPILLCTL_CONCAT_INNER_(a, b) a##b

#endif  // SPILLWAY_TOOLS_SPILLCTL_STATUS_MACROS_H_
