# bench/lib.sh — the shell helpers bench/run.sh and bench/scale.sh share. Sourced; uses
# the caller's TMP (scratch folder) and SERVER_LOG (shown when dying).

die() {
	echo "bench: $*" >&2
	if [ -n "${SERVER_LOG:-}" ] && [ -s "$SERVER_LOG" ]; then
		echo "--- last lines of the server log ($SERVER_LOG) ---" >&2
		tail -n 20 "$SERVER_LOG" >&2 || true
	fi
	exit 1
}

is_uint() { case $1 in '' | *[!0-9]*) return 1 ;; *) return 0 ;; esac; }
# Stops one process we started: SIGTERM, up to 10 s for a graceful stop, then SIGKILL.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# http OUTFILE [curl args...]: prints the status code; headers go to OUTFILE.h.
http() {
	local out=$1
	shift
	curl -sS --max-time 15 -o "$out" -D "$out.h" -w '%{http_code}' "$@" 2>>"$TMP/curl.log" || true
}

# cookie_from HEADERS NAME: the value of a Set-Cookie NAME=... in a header dump.
cookie_from() {
	tr -d '\r' <"$1" | sed -nE "s/^[Ss][Ee][Tt]-[Cc][Oo][Oo][Kk][Ii][Ee]:[[:space:]]*$2=([^;[:space:]]*).*/\1/p" | tail -n 1
}

# header_from HEADERS NAME: the value of a response header (last one).
header_from() {
	tr -d '\r' <"$1" | awk -v n="$(echo "$2" | tr 'A-Z' 'a-z')" '
		{ i = index($0, ":"); if (i > 0 && tolower(substr($0, 1, i - 1)) == n) { v = substr($0, i + 1); sub(/^[ \t]+/, "", v); last = v } }
		END { if (last != "") print last }'
}

# csrf_from HTML: the value of the hidden input named _csrf.
csrf_from() {
	python3 - "$1" <<'PY'
import html, re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for tag in re.findall(r"<input\b[^>]*>", text, re.I):
    if re.search(r"""\bname\s*=\s*["']?_csrf\b""", tag):
        m = re.search(r"""\bvalue\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", tag)
        if m:
            print(html.unescape(next(g for g in m.groups() if g is not None)))
            break
PY
}

# wait_http URL PID: up to 20 s for a 200 from URL while PID lives.
wait_http() {
	local url=$1 pid=$2 i
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		if curl -fsS --max-time 1 -o /dev/null "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	return 1
}


# login BASE LOGIN PASSWORD: logs in as a browser does (the login page sets sa_csrf and
# carries _csrf); prints the Cookie header of the session.
login() {
	local base=$1 user=$2 pass=$3 code csrf_cookie csrf session
	code=$(http "$TMP/login.html" "$base/login")
	[ "$code" = 200 ] || die "GET /login answered $code"
	csrf_cookie=$(cookie_from "$TMP/login.html.h" sa_csrf)
	csrf=$(csrf_from "$TMP/login.html")
	[ -n "$csrf" ] || die "no _csrf hidden input on /login"
	code=$(http "$TMP/login.out" -X POST ${csrf_cookie:+-H "Cookie: sa_csrf=$csrf_cookie"} \
		--data-urlencode "login=$user" --data-urlencode "password=$pass" \
		--data-urlencode "_csrf=$csrf" "$base/login")
	[ "$code" = 303 ] || die "POST /login as $user answered $code (expected 303)"
	session=$(cookie_from "$TMP/login.out.h" sa_session)
	[ -n "$session" ] || die "POST /login set no sa_session cookie"
	printf '%s' "sa_session=$session${csrf_cookie:+; sa_csrf=$csrf_cookie}"
}
