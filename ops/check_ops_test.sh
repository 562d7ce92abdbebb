#!/usr/bin/env bash
# Checks the operator assets: promtool checks and unit-tests the rules, the dashboard is valid
# JSON, and every spillway_* metric that the rules or the dashboard name exists in the real
# exposition (metrics_sample), so a renamed metric cannot silently blank a panel or an alert.
set -euo pipefail
sample="$1"; rules="$2"; rules_test="$3"; dashboard="$4"
command -v promtool >/dev/null || { echo "promtool missing (Debian package prometheus)"; exit 1; }
work="${TEST_TMPDIR:-$(mktemp -d)}"
cp "$rules" "$rules_test" "$work/"
(cd "$work" && promtool check rules "$(basename "$rules")" && promtool test rules "$(basename "$rules_test")")
python3 -m json.tool "$dashboard" >/dev/null
"$sample" > "$work/metrics.txt"
known=$(grep -oE '^spillway_[a-z_]+' "$work/metrics.txt" | sed -E 's/_(bucket|sum|count)$//' | sort -u)
used=$(grep -ohE 'spillway_[a-z_]+' "$rules" "$dashboard" | sed -E 's/_(bucket|sum|count)$//' | sort -u)
missing=$(comm -23 <(echo "$used") <(echo "$known"))
if [ -n "$missing" ]; then echo "named by rules/dashboard but not exported:"; echo "$missing"; exit 1; fi
echo "ops OK: $(echo "$used" | wc -l) metrics referenced, all exported"
