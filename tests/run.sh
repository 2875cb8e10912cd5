#!/usr/bin/env bash
# Runs the whole suite for each build folder given (build, build-asan): C unit tests
# (cmocka, TAP output), Lua stdlib tests, HTTP tests against the real binary.
# Prints one summary line per part and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# run_counted NAME CMD...: runs a runner whose last summary line is "N passed, N failed";
# a crash or a missing summary counts as one failure.
run_counted() {
  local name=$1 out rc line p f
  shift
  out=$("$@" 2>&1)
  rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  p=$(echo "$line" | awk '{print $1}'); f=$(echo "$line" | awk '{print $3}')
  p=${p:-0}; f=${f:-1}
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  [ "$f" -gt 0 ] && printf '%s\n' "$out" | grep -E '^(FAIL|ERROR|    |[A-Za-z]*Error)|sanitizer|runtime error' | head -40
  echo "  $name: $p passed, $f failed"
  add "$p" "$f"
}

# A folder given as BUILD:pg runs the suite against a throw-away PostgreSQL server
# (tests/pg.sh) instead of SQLite files: every test makes its own database there.
pg_dir=""
stop_pg() { [ -n "$pg_dir" ] && tests/pg.sh stop "$pg_dir"; pg_dir=""; unset SMALLAPPS_TEST_DATABASE SMALLAPPS_TEST_PGDIR; }
trap stop_pg EXIT

for arg in "$@"; do
  build=${arg%:pg}
  stop_pg
  if [ "$arg" != "$build" ]; then
    pg_dir=$(mktemp -d /tmp/smallapps-pg.XXXXXX)
    if ! SMALLAPPS_TEST_DATABASE=$(tests/pg.sh start "$pg_dir"); then
      echo "  postgresql: cannot start a test server"; add 0 1; continue
    fi
    export SMALLAPPS_TEST_DATABASE SMALLAPPS_TEST_PGDIR="$pg_dir"
    echo "== suite on $build, PostgreSQL"
  else
    echo "== suite on $build, SQLite"
  fi
  for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$t" 2>&1)
    rc=$?
    p=$(printf '%s\n' "$out" | grep -c '^ok ')
    f=$(printf '%s\n' "$out" | grep '^not ok ' | grep -vc '# SKIP')   # skipped: neither
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # crashed or sanitizer report
    [ "$f" -gt 0 ] && printf '%s\n' "$out" | grep -v '^ok ' | tail -40
    echo "  $(basename "$t"): $p passed, $f failed"
    add "$p" "$f"
  done
  # Runners that end with "N passed, N failed": the Lua stdlib and app hook tests (run
  # once, with the first build's lua/smallapps/fr_natif.so), the broken definitions,
  # the HTTP suites.
  if [ "$arg" = "$1" ]; then
    for t in tests/lua/test_*.lua tests/apps/hooks.lua; do
      [ -f "$t" ] && run_counted "$(basename "$t")" env SMALLAPPS_BUILD="$build" lua5.4 "$t"
    done
  fi
  # (definitions are checked without storage: once per build is enough)
  [ "$arg" = "$build" ] && run_counted broken-definitions tests/broken/run.sh "$build/smallapps"
  # `smallapps test` itself, and the example apps' tests (throw-away SQLite files: once)
  [ "$arg" = "$build" ] && run_counted apptest python3 tests/apps/apptest.py --binary "$build/smallapps"
  [ "$arg" = "$build" ] && run_counted app-tests tests/apps/examples.sh "$build/smallapps"
  run_counted http python3 tests/http/run.py --binary "$build/smallapps"
  # Real Chromium (not under the sanitizers: the pages are the same, the time is not);
  # on SQLite it also writes the axe-core results the accessibility statement shows.
  case $build in
    *asan*) ;;
    *) run_counted browser node tests/browser/run.mjs --binary "$build/smallapps" \
         $([ "$arg" = "$build" ] && echo --results "$build/accessibilite-tests.json") ;;
  esac
  run_counted workflow python3 tests/http/workflow.py --binary "$build/smallapps"
  run_counted openapi python3 tests/http/openapi.py --binary "$build/smallapps"
  run_counted hardening python3 tests/http/hardening.py --binary "$build/smallapps"
  run_counted exports python3 tests/http/exports.py --binary "$build/smallapps"
  run_counted files python3 tests/http/files.py --binary "$build/smallapps"
  run_counted operations python3 tests/http/operations.py --binary "$build/smallapps"
  run_counted people python3 tests/http/people.py --binary "$build/smallapps"
  run_counted governance python3 tests/http/governance.py --binary "$build/smallapps"
  run_counted lua-errors python3 tests/http/lua_errors.py --binary "$build/smallapps"
  run_counted cluster python3 tests/http/cluster.py --binary "$build/smallapps"
  run_counted directory python3 tests/http/directory.py --binary "$build/smallapps"
  run_counted forms python3 tests/http/forms.py --binary "$build/smallapps"
  run_counted geo python3 tests/http/geo.py --binary "$build/smallapps"
  run_counted reference python3 tests/http/reference.py --binary "$build/smallapps"
  run_counted lines python3 tests/http/lines.py --binary "$build/smallapps"
  run_counted drafts python3 tests/http/drafts.py --binary "$build/smallapps"
  run_counted site python3 tests/http/site.py --binary "$build/smallapps"
  run_counted examples python3 tests/apps/e2e_examples.py --binary "$build/smallapps"
  # the fuzzers' corpus and findings, replayed (their fixture is SQLite files)
  [ "$arg" = "$build" ] && [ -d "$build/fuzz" ] && run_counted fuzz-replay tests/fuzz/replay.sh "$build"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
