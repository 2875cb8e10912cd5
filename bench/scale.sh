#!/usr/bin/env bash
# bench/scale.sh — `make bench`'s lists at scale: the same reads of one form holding
# BENCH_SMALL records (default 1,000), then BENCH_LARGE (default 1,000,000); each rate at
# the large size is given as a ratio to the small one, measured in the same run.
#
# Usage: bench/scale.sh [BUILD_DIR]     (needs BUILD_DIR/smallapps)
#
# The form is vaccins/commande (6 list columns, 4 filters, 4 search fields, sorted by
# delivery date), read by a pharmacie user, who reads every record. One record is made
# through the API; the others are copies of it made by SQL (bench/fill.py), varied in what
# lists look at. Scenarios, each run by wrk for BENCH_DURATION seconds:
#   first         GET /a/vaccins/commande/                       the first page (HTML)
#   deep          GET /a/vaccins/commande/?after=<middle row>    a page half way down
#   filtered      GET /a/vaccins/commande/?commune=42187&state=validee
#   api_deep      GET /api/v1/apps/vaccins/commande/records?limit=50&after=<middle row>
#   search        GET /a/vaccins/commande/?q=<one reference>     one match among all
#   search_common GET /a/vaccins/commande/?q=montbrison           a twentieth of the rows
#   stats         GET /a/vaccins/stats                           the dashboard (every form)
# and, once at each size, the CSV export of the whole form: its time, its size, and how
# much the server's peak memory (VmHWM) grew while it was sent.
#
# Environment: BENCH_BACKEND sqlite (default) or pg (a throw-away PostgreSQL, tests/pg.sh);
# BENCH_SMALL, BENCH_LARGE; BENCH_DURATION (default 5), BENCH_CONNECTIONS (default 8),
# BENCH_THREADS (2); BENCH_TMPDIR; BENCH_OUT (default BUILD_DIR/bench/scale-BACKEND);
# BENCH_SCENARIOS: some of the scenarios above (default: all).
# Exit status 1 on a set-up failure or failed requests.

set -eu -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/smallapps
BACKEND=${BENCH_BACKEND:-sqlite}
SMALL=${BENCH_SMALL:-1000}
LARGE=${BENCH_LARGE:-1000000}
DURATION=${BENCH_DURATION:-5}
DURATION=${DURATION%s}
CONNS=${BENCH_CONNECTIONS:-8}
WRK_THREADS=${BENCH_THREADS:-2}
OUT=${BENCH_OUT:-$BUILD/bench/scale-$BACKEND}
SCRIPT=$ROOT/bench/scenario.lua
PASSWORD=bench-password-0123456789
SCENARIOS=${BENCH_SCENARIOS:-first deep filtered api_deep search search_common stats}

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/smallapps-scale.XXXXXX")
# PostgreSQL runs as its own user when we are root: it must be able to reach its folder.
chmod 711 "$TMP"
DATA=$TMP/data
SERVER_PID=
SERVER_LOG=$TMP/server.log
. "$ROOT/bench/lib.sh"

for v in SMALL LARGE DURATION CONNS WRK_THREADS; do
	is_uint "${!v}" || die "BENCH_$v must be a whole number (got '${!v}')"
done
[ "$SMALL" -ge 100 ] && [ "$LARGE" -gt "$SMALL" ] || die "need 100 <= BENCH_SMALL < BENCH_LARGE"
case $BACKEND in sqlite | pg) ;; *) die "BENCH_BACKEND is sqlite or pg" ;; esac
for tool in wrk curl python3 timeout; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk curl python3 coreutils)"
done
[ -x "$BIN" ] || die "$BIN missing: run 'make bench'"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid "$SERVER_PID"
	[ -z "${PG_DIR:-}" ] || "$ROOT/tests/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^SMALLAPPS_' || true)
export SMALLAPPS_ADMIN_PASSWORD=bench-admin-0123456789
mkdir -p "$OUT" "$DATA"
RESULTS=$OUT/results.txt
: >"$RESULTS"
say() { echo "$@" | tee -a "$RESULTS"; }

DBARGS=()
FILL_TARGET=$DATA/apps/vaccins.db
if [ "$BACKEND" = pg ]; then
	PG_DIR=$TMP/pg
	PG_ADMIN=$("$ROOT/tests/pg.sh" start "$PG_DIR") || die "cannot start PostgreSQL (tests/pg.sh)"
	psql -X -q "$PG_ADMIN" -c 'CREATE DATABASE bench' >/dev/null || die "cannot create the bench database"
	FILL_TARGET="$PG_ADMIN dbname=bench"
	DBARGS=(--database "$FILL_TARGET")
fi
sa() { timeout 60 "$BIN" "$@" --data "$DATA" "${DBARGS[@]}"; }
for u in centre pharmacie; do
	printf '%s\n' "$PASSWORD" | sa user add "bench-$u" --password-stdin >"$TMP/cli.log" 2>&1 \
		|| die "'smallapps user add' failed: $(cat "$TMP/cli.log")"
	sa user grant "bench-$u" "vaccins:$u" >"$TMP/cli.log" 2>&1 \
		|| die "'smallapps user grant' failed: $(cat "$TMP/cli.log")"
done
CENTRE_TOKEN=$(sa token create bench-centre 2>/dev/null | tr -d '[:space:]')
TOKEN=$(sa token create bench-pharmacie 2>/dev/null | tr -d '[:space:]')
[ -n "$CENTRE_TOKEN" ] && [ -n "$TOKEN" ] || die "cannot create the bench tokens"

start_server() {
	local attempt
	for attempt in 1 2 3; do
		PORT=$(free_port)
		"$BIN" serve --apps "$ROOT/apps" --data "$DATA" "${DBARGS[@]}" \
			--listen "127.0.0.1:$PORT" >>"$SERVER_LOG" 2>&1 &
		SERVER_PID=$!
		wait_http "http://127.0.0.1:$PORT/healthz" "$SERVER_PID" && break
		stop_pid "$SERVER_PID"
		SERVER_PID=
		[ "$attempt" -lt 3 ] || die "the server did not answer /healthz"
	done
	BASE=http://127.0.0.1:$PORT
}

# The template record, through the API (it also makes the schema).
start_server
python3 "$ROOT/bench/commande.py" "" "$TMP/form.body" "$TMP/json.body"
code=$(http "$TMP/create.out" -X POST -H "Authorization: Bearer $CENTRE_TOKEN" \
	-H 'Content-Type: application/json' --data-binary "@$TMP/json.body" \
	"$BASE/api/v1/apps/vaccins/commande/records")
[ "$code" = 201 ] || die "the template create answered $code: $(head -c 300 "$TMP/create.out")"
TEMPLATE=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/create.out")

# fill FROM TO: records FROM..TO, with the engine stopped; FILL_SECS: the time taken.
fill() {
	local t0 t1
	stop_pid "$SERVER_PID"
	SERVER_PID=
	t0=$(date +%s.%N)
	python3 "$ROOT/bench/fill.py" "$BACKEND" "$FILL_TARGET" "$TEMPLATE" "$1" "$2" >"$TMP/fill.log" 2>&1 \
		|| die "bench/fill.py failed: $(tail -n 5 "$TMP/fill.log")"
	t1=$(date +%s.%N)
	start_server
	FILL_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
}

# The cursor of the row half way down the default order (date_souhaitee, then id),
# as the engine makes them (base64url of ["date_souhaitee", value, id]).
middle_cursor() {
	local half=$(($1 / 2)) row
	if [ "$BACKEND" = pg ]; then
		row=$(psql -X -At -F ' ' "$FILL_TARGET" -c "SELECT date_souhaitee, id FROM app_vaccins.commande ORDER BY date_souhaitee NULLS FIRST, id OFFSET $half LIMIT 1")
	else
		row=$(python3 -c 'import sqlite3, sys; print(*sqlite3.connect(sys.argv[1]).execute("SELECT date_souhaitee, id FROM commande ORDER BY date_souhaitee, id LIMIT 1 OFFSET ?", (int(sys.argv[2]),)).fetchone())' "$FILL_TARGET" "$half")
	fi
	python3 -c 'import base64, json, sys; d, i = sys.argv[1], int(sys.argv[2]); print(base64.urlsafe_b64encode(json.dumps(["date_souhaitee", d, i], separators=(",", ":")).encode()).decode().rstrip("="))' $row
}

declare -A RPS P99 ALONE EXPORT_SECS EXPORT_MB EXPORT_HWM

# alone_ms URL COOKIE: the median time of 5 requests made one after the other, in ms (what
# one person waits when nobody else asks; wrk's figures are for 8 at once).
alone_ms() {
	local i
	for i in 1 2 3 4 5; do
		curl -s -o /dev/null -w '%{time_total}\n' -H "Cookie: $2" -H "Authorization: Bearer $TOKEN" "$1"
	done | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 * 1000 }'
}
FAILED=0

hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }

# export SIZE: the whole form as CSV, once; its time, size, and the server's memory growth.
export_csv() {
	local size=$1 cookie h0 h1 t0 t1 code
	cookie=$(login "$BASE" bench-pharmacie "$PASSWORD")
	h0=$(hwm_kb)
	t0=$(date +%s.%N)
	code=$(curl -s -o "$TMP/export.csv" -w '%{http_code}' -H "Cookie: $cookie" \
		"$BASE/a/vaccins/commande/export.csv")
	t1=$(date +%s.%N)
	h1=$(hwm_kb)
	[ "$code" = 200 ] || die "export at $size records: answered $code"
	local lines
	lines=$(($(wc -l <"$TMP/export.csv") - 1))
	[ "$lines" -ge "$size" ] || die "export at $size records: $lines rows"
	EXPORT_SECS[$size]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	EXPORT_MB[$size]=$(awk -v n="$(stat -c %s "$TMP/export.csv")" 'BEGIN { printf "%.0f", n / 1048576 }')
	EXPORT_HWM[$size]=$(((h1 - h0) / 1024))
	rm -f "$TMP/export.csv"
}

# run SIZE: every scenario against the form as it stands.
run() {
	local size=$1 cookie cursor name url raw line errs
	cookie=$(login "$BASE" bench-pharmacie "$PASSWORD")
	cursor=$(middle_cursor "$size")
	local L=$BASE/a/vaccins/commande/
	declare -A URL=(
		[first]=$L
		[deep]="$L?after=$cursor"
		[filtered]="$L?commune=42187&state=validee"
		[api_deep]="$BASE/api/v1/apps/vaccins/commande/records?limit=50&after=$cursor"
		[search]="$L?q=CMD-$(printf '%08d' $((size / 3)))"
		[search_common]="$L?q=montbrison"
		[stats]="$BASE/a/vaccins/stats"
	)
	for name in $SCENARIOS; do
		url=${URL[$name]}
		code=$(http "$TMP/check.out" -H "Cookie: $cookie" -H "Authorization: Bearer $TOKEN" "$url")
		[ "$code" = 200 ] || die "$name at $size records: answered $code ($url)"
		case $name in
		search) grep -q 'role="status">1 enregistrement<' "$TMP/check.out" \
			|| die "search at $size records: not exactly one match" ;;
		deep | api_deep | first | filtered) ;;
		esac
		ALONE[$name-$size]=$(alone_ms "$url" "$cookie")
		raw=$OUT/$name-$size.txt
		echo "  $name at $size records, ${DURATION}s ..." >&2
		env BENCH_METHOD= BENCH_BODY_FILE= BENCH_CONTENT_TYPE= BENCH_ACCEPT= \
			BENCH_COOKIE="$cookie" BENCH_TOKEN="$TOKEN" timeout $((DURATION + 60)) \
			wrk -t "$WRK_THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 5s --latency \
			-s "$SCRIPT" "$url" >"$raw" 2>&1 || die "$name: wrk failed (output in $raw)"
		line=$(grep '^BENCH ' "$raw" | tail -n 1)
		field() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
		RPS[$name-$size]=$(field rps)
		P99[$name-$size]=$(field p99_ms)
		errs=$(($(field connect) + $(field read) + $(field write) + $(field status) + $(field timeout)))
		[ "$errs" = 0 ] || FAILED=1
	done
}

echo "  making $SMALL records ..." >&2
fill 2 "$SMALL"
fill_small=$FILL_SECS
run "$SMALL"
export_csv "$SMALL"
echo "  making $LARGE records ..." >&2
fill $((SMALL + 1)) "$LARGE"
fill_large=$FILL_SECS
run "$LARGE"
export_csv "$LARGE"

rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
say ""
say "smallapps bench, lists at scale — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $rev"
say "backend: $BACKEND; form vaccins/commande; wrk $WRK_THREADS threads, $CONNS connections, ${DURATION}s each"
say "made by SQL: $SMALL records in ${fill_small}s, then up to $LARGE in ${fill_large}s"
say ""
printf '%-14s %12s %12s %8s %12s %14s\n' scenario "req/s @$SMALL" "req/s @$LARGE" ratio "p99 ms @$LARGE" "alone ms @$LARGE" | tee -a "$RESULTS"
for name in $SCENARIOS; do
	a=${RPS[$name-$SMALL]} b=${RPS[$name-$LARGE]}
	printf '%-14s %12.0f %12.0f %8s %12.2f %14s\n' "$name" "$a" "$b" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (a > 0 ? b / a : 0) }')" \
		"${P99[$name-$LARGE]}" "${ALONE[$name-$LARGE]}" | tee -a "$RESULTS"
done
say ""
say "ratio: the rate with $LARGE records over the rate with $SMALL (1.00: no slower)."
say "alone: the median of 5 requests one after the other, with $LARGE records."
say ""
for n in "$SMALL" "$LARGE"; do
	say "export.csv of $n records: ${EXPORT_SECS[$n]} s, ${EXPORT_MB[$n]} MB, server peak memory +${EXPORT_HWM[$n]} MB"
done
[ "$FAILED" = 0 ] || { echo "bench: some requests failed" >&2; exit 1; }
