#!/usr/bin/env bash
# Prints one closing line "N passed, N failed" from the test logs Bazel left (for CI readers).
# A target's logs are its test.xml, or run_I_of_N/test.xml with --runs_per_test; a developer's tree
# can hold both from different runs, so per target only the newest kind counts.
set -uo pipefail
logs_dir="$(bazel info bazel-testlogs 2>/dev/null)" || exit 0
passed=0; failed=0
count() {
  local xml=$1 t f e
  t=$(grep -o 'tests="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); t=${t:-0}
  f=$(grep -o 'failures="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); f=${f:-0}
  e=$(grep -o 'errors="[0-9]*"' "$xml" | head -1 | grep -o '[0-9]*'); e=${e:-0}
  passed=$((passed + t - f - e)); failed=$((failed + f + e))
}
# Only the tests that exist now (old targets' logs stay behind in a developer's tree).
declare -A current=()
while IFS= read -r label; do
  path=${label#//}; current[$logs_dir/${path/://}]=1
done < <(bazel query 'tests(//...)' 2>/dev/null)
declare -A single=() runs=()
while IFS= read -r xml; do
  dir=$(dirname "$xml")
  case "$dir" in
    */run_*_of_*) target=$(dirname "$dir") ;;
    *) target=$dir ;;
  esac
  [[ ${#current[@]} -eq 0 || -n "${current[$target]:-}" ]] || continue
  case "$dir" in
    */run_*_of_*) runs[$target]+="$xml"$'\n' ;;
    *) single[$dir]=$xml ;;
  esac
done < <(find -L "$logs_dir" -name test.xml 2>/dev/null)
for target in "${!single[@]}"; do
  newest_run=""
  if [[ -n "${runs[$target]:-}" ]]; then
    newest_run=$(ls -t ${runs[$target]} 2>/dev/null | head -1)
  fi
  if [[ -z "$newest_run" || "${single[$target]}" -nt "$newest_run" ]]; then
    count "${single[$target]}"
    unset 'runs[$target]'
  fi
done
for target in "${!runs[@]}"; do
  while IFS= read -r xml; do [[ -n "$xml" ]] && count "$xml"; done <<<"${runs[$target]}"
done
echo "$passed passed, $failed failed"
