#!/usr/bin/env bash
# Deliberately broken definitions: each tests/broken/<case>/ holds an app.lua and the
# exact lines `smallapps check` must print for it (order aside), one problem per line.
# The check must also exit 1 and end with its count, in French: "N problème(s)".
#   tests/broken/run.sh BINARY
# Prints a line per failing case and "N passed, N failed" last.
set -u
cd "$(dirname "$0")/../.."
bin=${1:?usage: tests/broken/run.sh BINARY}
passed=0
failed=0
for dir in tests/broken/*/; do
  case=${dir%/}
  [ -f "$case/app.lua" ] && [ -f "$case/expected" ] || continue
  out=$("$bin" check "$case" 2>&1)
  rc=$?
  want=$(sort "$case/expected")
  n=$(grep -c . "$case/expected")
  got=$(printf '%s\n' "$out" | grep -vE '^[0-9]+ problèmes?$' | sort)
  count=$(printf '%s\n' "$out" | tail -1)
  if [ "$rc" -eq 1 ] && [ "$got" = "$want" ] && [[ "$count" =~ ^$n\ problèmes?$ ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $case (exit $rc)"
    diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/    /' | head -10
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
