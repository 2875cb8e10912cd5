#!/usr/bin/env bash
# The example apps' own tests (apps/*/tests/*.lua) through `smallapps test --coverage`:
# every assertion must pass and every transition and state of every example must be
# reached (each one missing counts as a failure).
#   tests/apps/examples.sh BINARY
# Ends with "N passed, N failed" like the other runners.
set -u
cd "$(dirname "$0")/../.."
bin=${1:?usage: tests/apps/examples.sh BINARY}
out=$("$bin" test --coverage apps/vaccins apps/ponts-sete apps/reclamations 2>&1)
rc=$?
printf '%s\n' "$out" | grep -vE '^ok   ' | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
last=$(printf '%s\n' "$out" | tail -1)
passed=$(echo "$last" | awk '{print $1}')
failed=$(echo "$last" | awk '{print $3}')
missing=$(printf '%s\n' "$out" | grep -cE 'never (triggered|reached)$')
[[ "$passed" =~ ^[0-9]+$ && "$failed" =~ ^[0-9]+$ ]] || { passed=0; failed=1; }
[ "$rc" -le 1 ] || failed=$((failed + 1))
echo "$passed passed, $((failed + missing)) failed"
[ $((failed + missing)) -eq 0 ]
