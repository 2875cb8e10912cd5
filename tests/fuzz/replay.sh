#!/usr/bin/env bash
# Replays every fuzz corpus file and every past crash as a regression test:
#   tests/fuzz/replay.sh BUILD_DIR [TARGET...]
# BUILD_DIR/fuzz/<target> are the targets linked with replay_main.c (make
# fuzz-replay-build BUILD=...); each runs over tests/fuzz/corpus/<target>/ and
# tests/fuzz/crashes/<target>/. A file passes when it runs without a sanitizer report,
# a broken invariant or a crash. An input that aborts the process is counted failed
# and the target is started again on the files after it, so one bad file hides no
# other. Prints one line per target and ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/replay.sh BUILD_DIR [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] &&
  targets=(http urlencoded json_record list_query definition netaddr local_path)
# Leaks count; a sanitizer report must fail the run, not scroll by.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The replay checks every invariant: known findings are not skipped here.
unset FUZZ_KNOWN
passed=0
failed=0

for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  files=()
  for d in tests/fuzz/corpus/$t tests/fuzz/crashes/$t; do
    [ -d "$d" ] || continue
    while IFS= read -r f; do files+=("$f"); done < <(find "$d" -maxdepth 1 -type f \
      ! -name '.*' ! -name 'README*' | LC_ALL=C sort)
  done
  tp=0
  tf=0
  if [ ! -x "$bin" ]; then
    echo "FAIL $t: $bin is missing (make fuzz-replay-build BUILD=$build)"
    tf=1
  fi
  [ -x "$bin" ] || files=()
  while [ ${#files[@]} -gt 0 ]; do
    out=$(timeout 900 "$bin" "${files[@]}" 2>&1)
    rc=$?
    ok=$(printf '%s\n' "$out" | grep -c '^OK ')
    tp=$((tp + ok))
    if [ "$rc" -eq 0 ] && [ "$ok" -eq ${#files[@]} ]; then
      break
    fi
    # The input that did it: the last one started and not finished.
    last=$(printf '%s\n' "$out" | grep '^RUN ' | tail -1 | cut -c5-)
    if [ -n "$last" ] && ! printf '%s\n' "$out" | grep -qxF "OK $last"; then
      echo "FAIL $t: $last"
    else
      echo "FAIL $t: exit status $rc after the inputs (set-up, or a leak report at exit)"
      last=""
    fi
    printf '%s\n' "$out" |
      grep -aE '==FUZZ==|ERROR: [A-Za-z]+Sanitizer|runtime error|SUMMARY' | head -8 |
      sed 's/^/    /'
    tf=$((tf + 1))
    [ -z "$last" ] && break
    # Go on with the files after it.
    rest=()
    seen=0
    for f in "${files[@]}"; do
      [ "$seen" -eq 1 ] && rest+=("$f")
      [ "$f" = "$last" ] && seen=1
    done
    files=("${rest[@]+"${rest[@]}"}")
  done
  echo "  fuzz $t: $tp passed, $tf failed"
  passed=$((passed + tp))
  failed=$((failed + tf))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
