#!/usr/bin/env bash
# Runs the whole suite for each build folder given (build, build-asan): C unit tests
# (cmocka, TAP output), Lua stdlib tests, HTTP tests against the real binary.
# Prints one summary line per part and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

for build in "$@"; do
  echo "== suite on $build"
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep -c '^not ok ')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
    [ "$f" -gt 0 ] && printf '%s\n' "$out" | grep -v '^ok ' | tail -40
    echo "  $(basename "$t"): $p passed, $f failed"
    add "$p" "$f"
  done
  if command -v lua5.4 >/dev/null; then
    for t in tests/lua/test_*.lua; do
      [ -f "$t" ] || continue
      out=$(lua5.4 "$t" 2>&1)
      rc=$?
      line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
      p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
      p=${p:-0}; f=${f:-1}
      if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
      [ "$f" -gt 0 ] && printf '%s\n' "$out" | tail -20
      echo "  $(basename "$t"): $p passed, $f failed"
      add "$p" "$f"
    done
  fi
  out=$(python3 tests/http/run.py --binary "$build/smallapps" 2>&1)
  rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
  p=${p:-0}; f=${f:-1}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  printf '%s\n' "$out" | grep -E '^(FAIL|ERROR)|sanitizer|runtime error' | head -40
  echo "  http: $p passed, $f failed"
  add "$p" "$f"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
