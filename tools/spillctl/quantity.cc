#include "tools/spillctl/quantity.h"

#include <limits>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace spillway::spillctl {
namespace {

// Quantities larger than this are typos, and the bound keeps the arithmetic
// exact.
constexpr int kMaxDigits = 15;

// A non-negative decimal number split exactly: value = mantissa / 10^scale.
struct Decimal {
  int64_t mantissa = 0;
  int scale = 0;
};

bool ParseDecimal(absl::string_view text, Decimal* out) {
  Decimal d;
  bool seen_point = false;
  int digits = 0;
  for (char c : text) {
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    if (++digits > kMaxDigits) return false;
    d.mantissa = d.mantissa * 10 + (c - '0');
    if (seen_point) ++d.scale;
  }
  if (digits == 0) return false;
  *out = d;
  return true;
}

absl::int128 Pow10(int n) {
  absl::int128 p = 1;
  for (int i = 0; i < n; ++i) p *= 10;
  return p;
}

absl::Status BadQuantity(absl::string_view flag, absl::string_view text,
                         absl::string_view want) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": cannot parse \"", text, "\"; want ", want));
}

}  // namespace

absl::StatusOr<int64_t> ParseCpuMillis(absl::string_view flag,
                                       absl::string_view text) {
  constexpr absl::string_view kWant =
      "millicores like 500m or cores like 2 or 1.5";
  absl::string_view number = text;
  int64_t millis_per_unit = 1000;
  if (absl::ConsumeSuffix(&number, "m")) millis_per_unit = 1;
  Decimal d;
  if (!ParseDecimal(number, &d)) return BadQuantity(flag, text, kWant);
  const absl::int128 scaled = absl::int128(d.mantissa) * millis_per_unit;
  const absl::int128 divisor = Pow10(d.scale);
  if (scaled % divisor != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text,
                     "\" is finer than one millicore (1m = 0.001)"));
  }
  const int64_t millis = static_cast<int64_t>(scaled / divisor);
  if (millis <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": must be more than 0"));
  }
  return millis;
}

absl::StatusOr<int64_t> ParseMemoryMib(absl::string_view flag,
                                       absl::string_view text) {
  constexpr absl::string_view kWant = "a size like 512Mi, 2Gi or 1G";
  struct Unit {
    absl::string_view suffix;
    int64_t bytes;
  };
  // Two-letter suffixes first so "Mi" is not read as "M".
  static constexpr Unit kUnits[] = {
      {"Ki", int64_t{1} << 10},
      {"Mi", int64_t{1} << 20},
      {"Gi", int64_t{1} << 30},
      {"Ti", int64_t{1} << 40},
      {"k", 1000},
      {"K", 1000},
      {"M", 1000 * 1000},
      {"G", 1000 * 1000 * 1000},
      {"T", int64_t{1000} * 1000 * 1000 * 1000},
  };
  absl::string_view number = text;
  int64_t unit_bytes = 0;
  for (const Unit& unit : kUnits) {
    if (absl::ConsumeSuffix(&number, unit.suffix)) {
      unit_bytes = unit.bytes;
      break;
    }
  }
  Decimal d;
  if (!ParseDecimal(number, &d)) return BadQuantity(flag, text, kWant);
  if (unit_bytes == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, ": \"", text,
        "\" needs a unit (Ki, Mi, Gi, Ti, k, M, G, T), e.g. 512Mi"));
  }
  // MiB = ceil(mantissa * unit_bytes / (10^scale * 2^20)).
  const absl::int128 bytes_scaled = absl::int128(d.mantissa) * unit_bytes;
  const absl::int128 divisor = Pow10(d.scale) * (int64_t{1} << 20);
  const absl::int128 mib = (bytes_scaled + divisor - 1) / divisor;
  if (mib <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": must be more than 0"));
  }
  if (mib > std::numeric_limits<int64_t>::max())
    return BadQuantity(flag, text, kWant);
  return static_cast<int64_t>(mib);
}

std::string FormatCpuMillis(int64_t cpu_millis) {
  if (cpu_millis % 1000 == 0) return absl::StrCat(cpu_millis / 1000);
  return absl::StrCat(cpu_millis, "m");
}

std::string FormatMemoryMib(int64_t memory_mib) {
  if (memory_mib != 0 && memory_mib % 1024 == 0)
    return absl::StrCat(memory_mib / 1024, "Gi");
  return absl::StrCat(memory_mib, "Mi");
}

}  // namespace spillway::spillctl
