#!/usr/bin/env bash
# Adds to the committed corpus the few inputs of a fuzzing run that reach the most new
# code, so that tests/fuzz/corpus/<target>/ stays a few dozen small files:
#   tests/fuzz/merge.sh BINARY TARGET SCRATCH_DIR [MAX]
# libFuzzer's merge (edges only, inputs up to 4 KB) runs the committed corpus first,
# then the scratch inputs, writing for each the code edges it was first to reach; the
# MAX inputs (default 20) with the most such edges, at least 3, that pass every check
# (no known finding) are copied in as found-<hash>. Review them before committing.
# Run it with the FUZZ_KNOWN of the run: an input that trips a known finding would
# otherwise restart libFuzzer's merge, and the restarted process counts every edge as
# new again.
set -eu
cd "$(dirname "$0")/../.."
bin=$1 target=$2 scratch=$3 max=${4:-20}
corpus=tests/fuzz/corpus/$target
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/base"
cp "$corpus"/* "$tmp/base/"
# Crash files of the merge and of the checks below go to $tmp, not to the work tree.
"$bin" -merge=1 -use_counters=0 -max_len=4096 -merge_control_file="$tmp/control" \
  -artifact_prefix="$tmp/" "$tmp/base" "$scratch" > "$tmp/log" 2>&1 ||
  { tail -20 "$tmp/log"; exit 1; }
# Control file: the number of files, how many were in the first folder, their paths,
# then per input "COV <index> <edges it reached first>".
awk '
  NR == 1 { nfiles = $1; next }
  NR == 2 { nbase = $1; next }
  NR <= nfiles + 2 { path[NR - 3] = $0; next }
  $1 == "COV" && $2 >= nbase && NF - 2 >= 3 { print NF - 2, path[$2] }
' "$tmp/control" | sort -rn > "$tmp/ranked"
added=0
while [ "$added" -lt "$max" ] && read -r edges path; do
  # An input that trips a known finding (skipped with FUZZ_KNOWN during the run) would
  # fail every replay: only inputs that pass every check join the corpus.
  env -u FUZZ_KNOWN "$bin" -artifact_prefix="$tmp/" "$path" > /dev/null 2>&1 || continue
  name=found-$(sha1sum "$path" | cut -c1-12)
  cp "$path" "$corpus/$name"
  echo "  $name: $edges new edges"
  added=$((added + 1))
done < "$tmp/ranked"
