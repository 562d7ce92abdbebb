#!/bin/sh
# A stand-in for the docker CLI (no Docker engine runs here). It appends each invocation's
# arguments, one per line after a "--" line, to $FAKE_DOCKER_DIR/calls, and keeps a container's
# state in $FAKE_DOCKER_DIR/<name>.state ("running 0 false", "exited 3 false", ...), which the
# test edits to simulate the engine.
# The record is written in one write(2) (O_APPEND): the agent's monitor may call `inspect` while
# the test's `stop` runs, and line-by-line writes would interleave.
dir="${FAKE_DOCKER_DIR:?}"
record="--"
for a in "$@"; do record="$record
$a"; done
printf '%s\n' "$record" >> "$dir/calls"
cmd="$1"; shift
case "$cmd" in
  run)
    name=""
    while [ $# -gt 0 ]; do
      if [ "$1" = "--name" ]; then name="$2"; fi
      shift
    done
    echo "running 0 false" > "$dir/$name.state"
    echo "0123456789ab"
    ;;
  inspect)
    for last; do :; done
    if [ -f "$dir/$last.state" ]; then cat "$dir/$last.state"; else echo "Error: No such object: $last" >&2; exit 1; fi
    ;;
  stop)
    for last; do :; done
    echo "exited 143 false" > "$dir/$last.state"
    ;;
  rm)
    rm -f "$dir/$1.state"
    ;;
esac
