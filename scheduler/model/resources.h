// Exact integer resources: millicores and MiB. No floating point in the core (see design.md §3).
#ifndef SPILLWAY_SCHEDULER_MODEL_RESOURCES_H_
#define SPILLWAY_SCHEDULER_MODEL_RESOURCES_H_

#include <cstdint>
#include <string>

#include "absl/strings/str_format.h"

namespace spillway {

struct Resources {
  int64_t cpu_millis = 0;
  int64_t memory_mib = 0;

  // True when `request` fits inside *this (both dimensions).
  bool Fits(const Resources& request) const {
    return request.cpu_millis <= cpu_millis && request.memory_mib <= memory_mib;
  }
  bool IsZero() const { return cpu_millis == 0 && memory_mib == 0; }

  Resources& operator+=(const Resources& o) {
    cpu_millis += o.cpu_millis;
    memory_mib += o.memory_mib;
    return *this;
  }
  Resources& operator-=(const Resources& o) {
    cpu_millis -= o.cpu_millis;
    memory_mib -= o.memory_mib;
    return *this;
  }
  friend Resources operator+(Resources a, const Resources& b) { return a += b; }
  friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
  friend bool operator==(const Resources& a, const Resources& b) {
    return a.cpu_millis == b.cpu_millis && a.memory_mib == b.memory_mib;
  }
  friend bool operator!=(const Resources& a, const Resources& b) { return !(a == b); }

  std::string ToString() const {
    return absl::StrFormat("%dm cpu, %dMi memory", cpu_millis, memory_mib);
  }
};

}  // namespace spillway

#endif  // SPILLWAY_SCHEDULER_MODEL_RESOURCES_H_
