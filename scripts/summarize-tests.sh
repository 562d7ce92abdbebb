#!/usr/bin/env bash
# Prints one closing line "N passed, N failed" from the test logs Bazel left (for CI readers).
set -uo pipefail
logs_dir="$(bazel info bazel-testlogs 2>/dev/null)" || exit 0
passed=0; failed=0
while IFS= read -r xml; do
  t=$(grep -o 'tests="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); t=${t:-0}
  f=$(grep -o 'failures="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); f=${f:-0}
  e=$(grep -o 'errors="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); e=${e:-0}
  passed=$((passed + t - f - e)); failed=$((failed + f + e))
done < <(find -L "$logs_dir" -name test.xml 2>/dev/null)
echo "$passed passed, $failed failed"
