#!/usr/bin/env bash
# bench/run.sh — `make bench`: load scenarios against a real server, beside a baseline.
#
# Usage: bench/run.sh [BUILD_DIR]      (default: build; needs BUILD_DIR/smallapps and
#                                       BUILD_DIR/baseline, which `make bench` builds)
#
# Starts a throw-away installation (data in a `mktemp -d` folder, the repository's apps/),
# a bench user with role centre in vaccins, a session and an API token, then runs wrk on
# 127.0.0.1 against, in this order:
#   0 baseline     bench/baseline.c answering a fixed page as big as the form page
#   1 form_get     GET  /a/vaccins/commande/new                 (logged in)
#   4 record_get   GET  /a/vaccins/commande/<id>                (logged in)
#   5 list_api     GET  /api/v1/apps/vaccins/commande/records?limit=50   (Bearer token)
#   5 list_html    GET  /a/vaccins/commande/                    (logged in)
#   2 form_post    POST /a/vaccins/commande/new  urlencoded, _csrf + fields -> 303
#   3 api_post     POST /api/v1/apps/vaccins/commande/records  JSON -> 201
#   6 transition   POST /api/v1/apps/ponts-sete/ouverture/records/<id>/transitions/replanifier
#                  (a transition field, a required comment, a mail queued in the outbox; each
#                  request on the next of BENCH_TRANSITION_RECORDS planned requests) -> 200
#   7 isolation    the record page of vaccins, measured alone then while 4 clients POST to
#                  bench/apps/boucle, whose validate hook never ends: the ratio of the two
#                  (target: >= 50%; app code runs on its own threads, a share per app, and
#                  an app that keeps overrunning its budget is suspended)
# Reads run before the creates, on the ~BENCH_RECORDS records made at set-up, so every run
# reads the same data. Every scenario is first tried once with curl and must give the
# expected status, so a broken request is reported as such and not measured as a fast 4xx.
#
# Environment:
#   BENCH_DURATION     seconds per scenario (default 10; "10s" is accepted)
#   BENCH_CONNECTIONS  wrk connections (default 32)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_RECORDS      records created at set-up for the list scenarios (default 100)
#   BENCH_TRANSITION_RECORDS  planned ponts-sete requests the transition scenario cycles
#                      through (default 400)
#   BENCH_SCENARIOS    which scenarios, by name, space-separated (default: all of them)
#   BENCH_TMPDIR       where the throw-away data folder goes (default: $TMPDIR or /tmp);
#                      put it on the disk you deploy on: on tmpfs an fsync costs nothing
#   BENCH_OUT          where results.txt and the raw wrk outputs go (default BUILD_DIR/bench)
#   BENCH_PAGE_SIZE    baseline page size when the engine is not run (default 8192)
#   BENCH_APPS         the apps folder to serve (default: the repository's apps/)
#   BENCH_STRICT=1     exit 1 when a target is missed (default: report only)
#   BENCH_BACKEND      sqlite (default: SQLite files under the data folder), pg (one engine
#                      on a throw-away PostgreSQL, fsync on, started by tests/pg.sh), or pg2
#                      (two engines on it behind Debian's haproxy, round robin); pg and pg2
#                      also measure pgbench's single-row inserts at BENCH_CONNECTIONS clients,
#                      the ceiling for creates on that server
# Exit status: 0 when every scenario ran without errors (and, with BENCH_STRICT=1, every
# target was met); 1 on a set-up failure or a scenario with failed requests.
#
# Everything is bounded: each wait has a count and a time limit, wrk runs under timeout(1),
# and the server and baseline are stopped (SIGTERM, then SIGKILL) and the data folder
# removed on every exit path.

set -eu -o pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=$BUILD/smallapps
BASELINE=$BUILD/baseline
APPS=${BENCH_APPS:-$ROOT/apps}
SCRIPT=$ROOT/bench/scenario.lua

DURATION=${BENCH_DURATION:-10}
DURATION=${DURATION%s}
CONNS=${BENCH_CONNECTIONS:-32}
WRK_THREADS=${BENCH_THREADS:-2}
NRECORDS=${BENCH_RECORDS:-100}
NTRANS=${BENCH_TRANSITION_RECORDS:-400}
ALL_SCENARIOS="baseline form_get record_get list_api list_html form_post api_post transition isolation"
PG_SCENARIOS="form_get record_get list_api list_html form_post api_post"
case ${BENCH_BACKEND:-sqlite} in
sqlite) SCENARIOS=${BENCH_SCENARIOS:-$ALL_SCENARIOS} ;;
*) SCENARIOS=${BENCH_SCENARIOS:-$PG_SCENARIOS} ;;
esac
OUT=${BENCH_OUT:-$BUILD/bench}
STRICT=${BENCH_STRICT:-0}
BACKEND=${BENCH_BACKEND:-sqlite}
case $BACKEND in sqlite | pg | pg2) ;; *) echo "bench: BENCH_BACKEND is sqlite, pg or pg2" >&2; exit 1 ;; esac

APP=vaccins
FORM=commande
PASSWORD=bench-password-0123456789
ADMIN_PASSWORD=bench-admin-0123456789

# Targets (issue point 10; on PostgreSQL, SPEC 14's floor for this 2-core machine).
TARGET_FORM_RATIO=0.30   # GET form page >= 30% of the baseline's req/s
TARGET_CREATE_RPS=5000   # durable creates per second, form POST and JSON
TARGET_P99_MS=20         # p99 latency, every scenario
TARGET_ISOLATION=0.50    # the record page keeps half its rate while another app's hook loops
if [ "$BACKEND" != sqlite ]; then
	TARGET_CREATE_RPS=1000
	TARGET_P99_MS=100
fi

. "$ROOT/bench/lib.sh"

for v in DURATION CONNS WRK_THREADS NRECORDS; do
	is_uint "${!v}" || die "$v must be a whole number (got '${!v}')"
done
[ "$DURATION" -ge 1 ] && [ "$DURATION" -le 3600 ] || die "BENCH_DURATION must be 1..3600 seconds"
[ "$NRECORDS" -le 100000 ] || die "BENCH_RECORDS must be <= 100000"
[ "$CONNS" -ge "$WRK_THREADS" ] && [ "$WRK_THREADS" -ge 1 ] || die "need 1 <= BENCH_THREADS <= BENCH_CONNECTIONS"
for s in $SCENARIOS; do
	case " $ALL_SCENARIOS " in *" $s "*) ;; *) die "unknown scenario '$s' (known: $ALL_SCENARIOS)" ;; esac
done
for tool in wrk curl python3 timeout; do
	command -v "$tool" >/dev/null || die "$tool not found (apt-get install wrk curl python3 coreutils)"
done
[ -x "$BASELINE" ] || die "$BASELINE missing: run 'make bench' (or 'make $BUILD/baseline')"

wants() { case " $SCENARIOS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
ENGINE=0
for s in $SCENARIOS; do [ "$s" = baseline ] || ENGINE=1; done
if [ "$ENGINE" = 1 ]; then
	[ -x "$BIN" ] || die "$BIN missing: run 'make bench'"
	[ -f "$APPS/$APP/app.lua" ] || die "$APPS/$APP/app.lua missing"
fi

# ---------------------------------------------------------------- processes and clean-up

TMP=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/smallapps-bench.XXXXXX")
# PostgreSQL runs as its own user when we are root: it must be able to reach its folder.
chmod 711 "$TMP"
DATA=$TMP/data
SERVER_PID=
BASELINE_PID=
SERVER_LOG=

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	stop_pid "$BASELINE_PID"
	stop_pid "$SERVER_PID"
	stop_pid "${SERVER2_PID:-}"
	stop_pid "${PROXY_PID:-}"
	[ -z "${PG_DIR:-}" ] || "$ROOT/tests/pg.sh" stop "$PG_DIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: >"$RESULTS"
say() { echo "$@" | tee -a "$RESULTS"; }

# The environment must not redirect the server elsewhere.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^SMALLAPPS_' || true)
export SMALLAPPS_ADMIN_PASSWORD=$ADMIN_PASSWORD

# pg2: a second engine on the same database, then haproxy in front of both (round robin,
# health checks on /healthz); BASE becomes the proxy's address.
start_second_engine_and_proxy() {
	command -v haproxy >/dev/null || die "haproxy not found (apt-get install haproxy)"
	local port2 pport i
	port2=$(free_port)
	mkdir -p "$TMP/data2"
	"$BIN" serve --apps "$SERVE_APPS" --data "$TMP/data2" "${DBARGS[@]}" \
		--listen "127.0.0.1:$port2" --trust-header X-Forwarded-For --trusted-proxies 127.0.0.1 \
		>"$TMP/server2.log" 2>&1 &
	SERVER2_PID=$!
	wait_http "http://127.0.0.1:$port2/healthz" "$SERVER2_PID" || die "the second engine did not start"
	pport=$(free_port)
	cat >"$TMP/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend fe
  bind 127.0.0.1:$pport
  default_backend engines
backend engines
  balance roundrobin
  option forwardfor
  option httpchk GET /healthz
  server e1 127.0.0.1:$PORT check inter 1000
  server e2 127.0.0.1:$port2 check inter 1000
CFG
	haproxy -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
	PROXY_PID=$!
	wait_http "http://127.0.0.1:$pport/healthz" "$PROXY_PID" || die "haproxy did not start"
	BASE=http://127.0.0.1:$pport
}

# ---------------------------------------------------------------- the engine

COOKIE=
TOKEN=
RECORD_ID=
FORM_BODY=$TMP/form.body
JSON_BODY=$TMP/json.body
PAGE_SIZE=${BENCH_PAGE_SIZE:-8192}

if [ "$ENGINE" = 1 ]; then
	mkdir -p "$DATA"
	SERVER_LOG=$TMP/server.log
	# The apps served: the repository's (or BENCH_APPS), and the looping one of `isolation`.
	SERVE_APPS=$TMP/apps
	mkdir -p "$SERVE_APPS"
	cp -r "$APPS"/. "$SERVE_APPS"/
	cp -r "$ROOT/bench/apps/boucle" "$SERVE_APPS/"
	DBARGS=()
	if [ "$BACKEND" != sqlite ]; then
		PG_DIR=$TMP/pg
		PG_ADMIN=$("$ROOT/tests/pg.sh" start "$PG_DIR") || die "cannot start PostgreSQL (tests/pg.sh)"
		psql -X -q "$PG_ADMIN" -c 'CREATE DATABASE bench' >/dev/null || die "cannot create the bench database"
		PG_DB="$PG_ADMIN dbname=bench"
		DBARGS=(--database "$PG_DB")
	fi
	sa() { timeout 60 "$BIN" "$@" "${DBARGS[@]}"; }

	printf '%s\n' "$PASSWORD" | sa user add bench --name Bench --password-stdin --data "$DATA" \
		>"$TMP/cli.log" 2>&1 || die "'smallapps user add' failed: $(cat "$TMP/cli.log")"
	sa user grant bench "$APP:centre" --data "$DATA" >"$TMP/cli.log" 2>&1 \
		|| die "'smallapps user grant' failed: $(cat "$TMP/cli.log")"
	TOKEN=$(sa token create bench --data "$DATA" 2>"$TMP/cli.log" | tr -d '[:space:]') \
		|| die "'smallapps token create' failed: $(cat "$TMP/cli.log")"
	[ -n "$TOKEN" ] || die "'smallapps token create' printed no token"

	# A free port can be taken between the probe and the bind: three tries.
	for attempt in 1 2 3; do
		PORT=$(free_port)
		"$BIN" serve --apps "$SERVE_APPS" --data "$DATA" "${DBARGS[@]}" \
			--listen "127.0.0.1:$PORT" >"$SERVER_LOG" 2>&1 &
		SERVER_PID=$!
		if wait_http "http://127.0.0.1:$PORT/healthz" "$SERVER_PID"; then
			break
		fi
		stop_pid "$SERVER_PID"
		SERVER_PID=
		[ "$attempt" -lt 3 ] || die "the server did not answer /healthz on 127.0.0.1:$PORT"
	done
	BASE=http://127.0.0.1:$PORT
	[ "$BACKEND" = pg2 ] && start_second_engine_and_proxy

	COOKIE=$(login "$BASE" bench "$PASSWORD")

	# The form page: its size sizes the baseline, its _csrf is the session's token.
	FORM_URL=$BASE/a/$APP/$FORM/new
	code=$(http "$TMP/new.html" -H "Cookie: $COOKIE" "$FORM_URL")
	[ "$code" = 200 ] || die "GET $FORM_URL answered $code"
	PAGE_SIZE=$(wc -c <"$TMP/new.html" | tr -d ' ')
	form_csrf=$(csrf_from "$TMP/new.html")
	[ -n "$form_csrf" ] || die "no _csrf hidden input on the form page"

	# A valid commande, the same values through both doors.
	python3 "$ROOT/bench/commande.py" "$form_csrf" "$FORM_BODY" "$JSON_BODY"

	# One create through the form: it must answer 303 to the new record's page.
	code=$(http "$TMP/create.out" -X POST -H "Cookie: $COOKIE" \
		-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$FORM_BODY" "$FORM_URL")
	if [ "$code" != 303 ]; then
		cp "$TMP/create.out" "$OUT/form_post.error.html" 2>/dev/null || true
		die "POST $FORM_URL answered $code, expected 303 (page kept in $OUT/form_post.error.html)"
	fi
	location=$(header_from "$TMP/create.out.h" Location)
	RECORD_ID=$(printf '%s' "$location" | sed -nE 's#.*/a/'"$APP/$FORM"'/([0-9]+)/?$#\1#p')
	[ -n "$RECORD_ID" ] || die "the create answered Location '$location', not a record page"

	# The JSON create body is {"fields": {...}} (SPEC 7's record shape); fall back to the
	# bare fields object if that is what the API takes.
	API_URL=$BASE/api/v1/apps/$APP/$FORM/records
	api_create() {
		http "$TMP/api.out" -X POST -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' --data-binary "@$1" "$API_URL"
	}
	code=$(api_create "$JSON_BODY")
	if [ "$code" != 201 ]; then
		first=$code
		cp "$TMP/api.out" "$TMP/api.first"
		code=$(api_create "$JSON_BODY.flat")
		[ "$code" = 201 ] || die "POST $API_URL answered $first ($(head -c 300 "$TMP/api.first")) and, with bare fields, $code"
		mv "$JSON_BODY.flat" "$JSON_BODY"
		JSON_SHAPE="bare fields object"
	else
		JSON_SHAPE='{"fields": {...}}'
	fi

	# Records for the list scenarios (two already exist).
	for i in $(seq 3 "$NRECORDS"); do
		code=$(api_create "$JSON_BODY")
		[ "$code" = 201 ] || die "set-up create $i answered $code: $(head -c 300 "$TMP/api.out")"
	done

	# The transition scenario: ponts-sete requests filed by an operator, planned by the
	# bridge regulation service; the scenario then re-plans them over and over.
	if wants transition; then
		for u in armateur regulation; do
			printf '%s\n' "$PASSWORD" | sa user add "bench-$u" --password-stdin --data "$DATA" \
				>"$TMP/cli.log" 2>&1 || die "'smallapps user add bench-$u' failed: $(cat "$TMP/cli.log")"
			sa user grant "bench-$u" "ponts-sete:$u" --data "$DATA" >"$TMP/cli.log" 2>&1 \
				|| die "'smallapps user grant bench-$u' failed: $(cat "$TMP/cli.log")"
		done
		ARM_TOKEN=$(sa token create bench-armateur --data "$DATA" 2>/dev/null | tr -d '[:space:]')
		REG_TOKEN=$(sa token create bench-regulation --data "$DATA" 2>/dev/null | tr -d '[:space:]')
		[ -n "$ARM_TOKEN" ] && [ -n "$REG_TOKEN" ] || die "cannot create the ponts-sete bench tokens"
		TRANS_BASE=/api/v1/apps/ponts-sete/ouverture/records
		python3 - "$TMP/ouverture.json" "$TMP/planifier.json" "$TMP/replanifier.json" <<'PY'
import datetime, json, sys
slot = (datetime.datetime.now() + datetime.timedelta(days=3)).replace(hour=16, minute=30)
later = slot + datetime.timedelta(minutes=30)
fields = {
    "societe": "Thau Transports Maritimes", "siret": "44306184100047", "contact_nom": "Jean Pons",
    "contact_email": "armement@example.org", "telephone_capitaine": "06 12 34 56 78",
    "navire": "Lou Pescadou", "categorie": "peche", "immatriculation": "st 925432",
    "longueur": 24.5, "largeur": 7.2, "tirant_air": 11.8, "tirant_eau": 3.1,
    "personnes_a_bord": 6, "sens": "vers_mer", "ponts": ["gare", "sadi_carnot"],
    "creneau_souhaite": slot.strftime("%Y-%m-%dT%H:%M"),
}
json.dump({"fields": fields}, open(sys.argv[1], "w"), ensure_ascii=False)
json.dump({"fields": {"creneau_confirme": slot.strftime("%Y-%m-%dT%H:%M")}}, open(sys.argv[2], "w"))
json.dump({"fields": {"creneau_confirme": later.strftime("%Y-%m-%dT%H:%M")},
           "comment": "Créneau décalé : manœuvre d'un autre navire."},
          open(sys.argv[3], "w"), ensure_ascii=False)
PY
		: >"$TMP/transition.ids"
		for i in $(seq 1 "$NTRANS"); do
			code=$(http "$TMP/t.out" -X POST -H "Authorization: Bearer $ARM_TOKEN" \
				-H 'Content-Type: application/json' --data-binary "@$TMP/ouverture.json" "$BASE$TRANS_BASE")
			[ "$code" = 201 ] || die "set-up ponts-sete create $i answered $code: $(head -c 300 "$TMP/t.out")"
			id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/t.out")
			code=$(http "$TMP/t.out" -X POST -H "Authorization: Bearer $REG_TOKEN" \
				-H 'Content-Type: application/json' --data-binary "@$TMP/planifier.json" \
				"$BASE$TRANS_BASE/$id/transitions/planifier")
			[ "$code" = 200 ] || die "set-up planifier $id answered $code: $(head -c 300 "$TMP/t.out")"
			echo "$id" >>"$TMP/transition.ids"
		done
	fi
fi

# ---------------------------------------------------------------- scenarios

declare -A RPS P99 ERRS REQS LABEL TARGET
ORDER=()
FAILED=0
MISSED=0

# check NAME EXPECTED_STATUS [curl args...]: one request by curl before measuring.
check() {
	local name=$1 expected=$2 code
	shift 2
	code=$(http "$TMP/check.out" "$@")
	if [ "$code" != "$expected" ]; then
		cp "$TMP/check.out" "$OUT/$name.error" 2>/dev/null || true
		die "$name: answered $code, expected $expected (body in $OUT/$name.error)"
	fi
}

# measure NAME LABEL URL [VAR=VALUE...]: runs wrk with scenario.lua, records the figures.
measure() {
	local name=$1 label=$2 url=$3 line raw script=${MEASURE_SCRIPT:-$SCRIPT}
	shift 3
	raw=$OUT/$name.txt
	echo "  running $name for ${DURATION}s ..." >&2
	if ! env BENCH_METHOD= BENCH_BODY_FILE= BENCH_CONTENT_TYPE= BENCH_COOKIE= BENCH_TOKEN= \
		BENCH_ACCEPT= "$@" timeout $((DURATION + 60)) \
		wrk -t "$WRK_THREADS" -c "$CONNS" -d "${DURATION}s" --timeout 5s --latency \
		-s "$script" "$url" >"$raw" 2>&1; then
		die "$name: wrk failed (output in $raw)"
	fi
	line=$(grep '^BENCH ' "$raw" | tail -n 1)
	[ -n "$line" ] || die "$name: no figures in the wrk output ($raw)"
	field() { printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	LABEL[$name]=$label
	RPS[$name]=$(field rps)
	P99[$name]=$(field p99_ms)
	REQS[$name]=$(field requests)
	ERRS[$name]=$(($(field connect) + $(field read) + $(field write) + $(field status) + $(field timeout)))
	ORDER+=("$name")
	if [ "${ERRS[$name]}" -gt 0 ]; then
		FAILED=1
	fi
}

if wants baseline; then
	: >"$TMP/baseline.out"
	"$BASELINE" --size "$PAGE_SIZE" >"$TMP/baseline.out" 2>&1 &
	BASELINE_PID=$!
	for i in $(seq 1 50); do
		grep -q '^port ' "$TMP/baseline.out" && break
		kill -0 "$BASELINE_PID" 2>/dev/null || break
		sleep 0.1
	done
	BPORT=$(sed -n 's/^port //p' "$TMP/baseline.out")
	[ -n "$BPORT" ] || die "the baseline did not start: $(cat "$TMP/baseline.out")"
	check baseline 200 "http://127.0.0.1:$BPORT/"
	measure baseline "fixed $PAGE_SIZE-byte page (bench/baseline.c)" "http://127.0.0.1:$BPORT/"
	stop_pid "$BASELINE_PID"
	BASELINE_PID=
fi

if [ "$ENGINE" = 1 ]; then
	RECORD_URL=$BASE/a/$APP/$FORM/$RECORD_ID
	LIST_API_URL="$API_URL?limit=50"
	LIST_HTML_URL=$BASE/a/$APP/$FORM/

	if wants form_get; then
		check form_get 200 -H "Cookie: $COOKIE" "$FORM_URL"
		measure form_get "GET form page (/a/$APP/$FORM/new)" "$FORM_URL" BENCH_COOKIE="$COOKIE"
	fi
	if wants record_get; then
		check record_get 200 -H "Cookie: $COOKIE" "$RECORD_URL"
		measure record_get "GET record page (/a/$APP/$FORM/<id>)" "$RECORD_URL" BENCH_COOKIE="$COOKIE"
	fi
	if wants list_api; then
		check list_api 200 -H "Authorization: Bearer $TOKEN" "$LIST_API_URL"
		n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["records"]))' "$TMP/check.out") \
			|| die "list_api: the answer is not {\"records\": [...]}"
		expect=$((NRECORDS < 2 ? 2 : NRECORDS < 50 ? NRECORDS : 50))
		[ "$n" -eq "$expect" ] || die "list_api: $n records in the answer, expected $expect"
		measure list_api "GET 50 records, JSON (?limit=50)" "$LIST_API_URL" BENCH_TOKEN="$TOKEN"
	fi
	if wants list_html; then
		check list_html 200 -H "Cookie: $COOKIE" "$LIST_HTML_URL"
		measure list_html "GET records list page (/a/$APP/$FORM/)" "$LIST_HTML_URL" BENCH_COOKIE="$COOKIE"
	fi
	if wants form_post; then
		check form_post 303 -X POST -H "Cookie: $COOKIE" \
			-H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$FORM_BODY" "$FORM_URL"
		measure form_post "POST form, create (303)" "$FORM_URL" BENCH_METHOD=POST \
			BENCH_COOKIE="$COOKIE" BENCH_BODY_FILE="$FORM_BODY" \
			BENCH_CONTENT_TYPE=application/x-www-form-urlencoded
	fi
	if wants api_post; then
		check api_post 201 -X POST -H "Authorization: Bearer $TOKEN" \
			-H 'Content-Type: application/json' --data-binary "@$JSON_BODY" "$API_URL"
		measure api_post "POST JSON create (201)" "$API_URL" BENCH_METHOD=POST \
			BENCH_TOKEN="$TOKEN" BENCH_BODY_FILE="$JSON_BODY" BENCH_CONTENT_TYPE=application/json
	fi
	if wants transition; then
		first=$(head -n 1 "$TMP/transition.ids")
		check transition 200 -X POST -H "Authorization: Bearer $REG_TOKEN" \
			-H 'Content-Type: application/json' --data-binary "@$TMP/replanifier.json" \
			"$BASE$TRANS_BASE/$first/transitions/replanifier"
		MEASURE_SCRIPT=$ROOT/bench/transition.lua measure transition \
			"POST a transition, JSON (ponts-sete replanifier)" "$BASE" \
			BENCH_TOKEN="$REG_TOKEN" BENCH_BODY_FILE="$TMP/replanifier.json" \
			BENCH_BASE_PATH="$TRANS_BASE" BENCH_IDS_FILE="$TMP/transition.ids" \
			BENCH_WRK_THREADS="$WRK_THREADS"
	fi
	if wants isolation; then
		BOUCLE_URL=$BASE/api/v1/apps/boucle/interne/records
		check isolation 200 -H "Cookie: $COOKIE" "$RECORD_URL"
		measure isolation_alone "GET record page, alone" "$RECORD_URL" BENCH_COOKIE="$COOKIE"
		# 4 clients POST to the looping hook for the whole measurement, and a bit more.
		env BENCH_METHOD=POST BENCH_TOKEN="$TOKEN" BENCH_BODY_FILE="$ROOT/bench/apps/boucle.json" \
			BENCH_CONTENT_TYPE=application/json BENCH_COOKIE= BENCH_ACCEPT= \
			timeout $((DURATION + 60)) wrk -t 1 -c 4 -d "$((DURATION + 2))s" --timeout 5s \
			-s "$SCRIPT" "$BOUCLE_URL" >"$OUT/isolation_attack.txt" 2>&1 &
		ATTACK_PID=$!
		sleep 1
		measure isolation "GET record page, another app's hook looping" "$RECORD_URL" \
			BENCH_COOKIE="$COOKIE"
		wait "$ATTACK_PID" || true
		ATTACK_LINE=$(grep '^BENCH ' "$OUT/isolation_attack.txt" | tail -n 1)
	fi
fi

# pg, pg2: the server's own ceiling for single-row durable inserts at the same concurrency.
PGBENCH_TPS=
if [ "$ENGINE" = 1 ] && [ "$BACKEND" != sqlite ] && command -v pgbench >/dev/null; then
	psql -X -q "$PG_DB" -c 'CREATE TABLE bench_insert (id bigserial PRIMARY KEY, v text)' >/dev/null
	echo "INSERT INTO bench_insert (v) VALUES ('une ligne de la taille d''une petite demande');" \
		>"$TMP/insert.sql"
	echo "  running pgbench for ${DURATION}s ..." >&2
	timeout $((DURATION + 60)) pgbench -n -c "$CONNS" -j "$WRK_THREADS" -T "$DURATION" \
		-f "$TMP/insert.sql" "$PG_DB" >"$OUT/pgbench.txt" 2>&1 || true
	PGBENCH_TPS=$(sed -nE 's/^tps = ([0-9.]+).*/\1/p' "$OUT/pgbench.txt" | tail -n 1)
fi

# ---------------------------------------------------------------- report

fmt_tps() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
cores=$(nproc 2>/dev/null || echo '?')
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
fs=$(stat -f -c %T "$TMP" 2>/dev/null || echo '?')
rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo '+changes' || true)
say ""
say "smallapps bench — $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $rev$dirty"
say "machine: $cores cores${cpu:+, $cpu}; data folder on $fs"
say "wrk: $WRK_THREADS threads, $CONNS connections, ${DURATION}s per scenario, 127.0.0.1"
[ "$ENGINE" = 0 ] || say "engine: $(basename "$BIN") serve, threads = cores; JSON create body: $JSON_SHAPE"
case $BACKEND in
sqlite) say "backend: SQLite files (WAL, synchronous=FULL)" ;;
pg) say "backend: PostgreSQL $(psql -X -At "$PG_ADMIN" -c 'SHOW server_version'), one engine (fsync on)" ;;
pg2) say "backend: PostgreSQL $(psql -X -At "$PG_ADMIN" -c 'SHOW server_version'), two engines behind haproxy (fsync on)" ;;
esac
[ -z "$PGBENCH_TPS" ] || say "pgbench: $(fmt_tps "$PGBENCH_TPS") single-row inserts/s at $CONNS clients (the ceiling for creates)"
case $fs in tmpfs | ramfs) say "WARNING: the data folder is in memory: fsync is free, create figures are not durable ones (set BENCH_TMPDIR)" ;; esac
say ""

fmt() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

printf '%-12s %-46s %9s %9s %9s %7s  %s\n' scenario what 'req/s' 'p99 ms' 'vs base' errors 'targets' | tee -a "$RESULTS"
base_rps=${RPS[baseline]:-}
for name in "${ORDER[@]}"; do
	rps=${RPS[$name]}
	p99=${P99[$name]}
	ratio='-'
	if [ -n "$base_rps" ] && ge "$base_rps" 1; then
		ratio=$(awk -v a="$rps" -v b="$base_rps" 'BEGIN { printf "%.1f%%", 100 * a / b }')
	fi
	verdict=()
	ok=1
	if [ "$name" = baseline ]; then
		verdict=("(reference)")
	elif lt "$p99" "$TARGET_P99_MS"; then
		verdict+=("p99<${TARGET_P99_MS}ms ok")
	else
		verdict+=("p99<${TARGET_P99_MS}ms MISSED")
		ok=0
	fi
	case $name in
	form_get)
		if [ -z "$base_rps" ]; then
			verdict+=(">=30% of base: no baseline run")
		elif ge "$rps" "$(awk -v b="$base_rps" -v t="$TARGET_FORM_RATIO" 'BEGIN { print b * t }')"; then
			verdict+=(">=30% of base ok")
		else
			verdict+=(">=30% of base MISSED")
			ok=0
		fi
		;;
	isolation)
		alone=${RPS[isolation_alone]:-0}
		share=$(awk -v a="$rps" -v b="$alone" 'BEGIN { printf "%.1f%%", (b > 0 ? 100 * a / b : 0) }')
		if ge "$rps" "$(awk -v b="$alone" -v t="$TARGET_ISOLATION" 'BEGIN { print b * t }')"; then
			verdict+=("$share of alone >=50% ok")
		else
			verdict+=("$share of alone >=50% MISSED")
			ok=0
		fi
		;;
	form_post | api_post)
		if ge "$rps" "$TARGET_CREATE_RPS"; then
			verdict+=(">=${TARGET_CREATE_RPS}/s ok")
		else
			verdict+=(">=${TARGET_CREATE_RPS}/s MISSED")
			ok=0
		fi
		;;
	esac
	if [ "${ERRS[$name]}" -gt 0 ]; then
		verdict+=("FAILED REQUESTS")
	fi
	[ "$ok" = 1 ] || MISSED=$((MISSED + 1))
	printf '%-12s %-46s %9s %9.2f %9s %7s  %s\n' "$name" "${LABEL[$name]}" "$(fmt "$rps")" "$p99" \
		"$ratio" "${ERRS[$name]}" "$(IFS=,; echo "${verdict[*]}" | sed 's/,/, /g')" | tee -a "$RESULTS"
done
say ""
[ -z "${ATTACK_LINE:-}" ] || say "isolation: the looping app's clients got $(printf '%s' "$ATTACK_LINE" | sed -nE 's/.* requests=([0-9]+).*status=([0-9]+).*/\1 answers, \2 of them errors (500 stopped, then 503 suspended)/p')"
say "targets: GET form page >= 30% of the baseline's req/s; creates (form and JSON) >= $TARGET_CREATE_RPS/s, durable;"
say "         record page with another app's hook looping >= 50% of its rate alone;"
say "         p99 < $TARGET_P99_MS ms everywhere. errors = failed requests (>= 400, timeouts, socket errors)."
if [ "$MISSED" -gt 0 ]; then
	say "$MISSED scenario(s) missed a target."
else
	say "every target met."
fi
say "raw wrk outputs and this table: $OUT/"

[ "$FAILED" = 0 ] || { echo "bench: some requests failed (see the errors column)" >&2; exit 1; }
if [ "$STRICT" = 1 ] && [ "$MISSED" -gt 0 ]; then
	exit 1
fi
exit 0
