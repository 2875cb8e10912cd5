#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests, from Debian's postgresql package.
#   tests/pg.sh start DIR   initdb + start in DIR (fsync on, local trust only); prints the
#                           connection string of its maintenance database on stdout
#   tests/pg.sh stop DIR    stops it and removes DIR
#   tests/pg.sh restart DIR stops and starts it again (failure tests)
# As root, the server runs as the system user "postgres" (initdb refuses root).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "tests/pg.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tests/pg.sh start|stop|restart DIR" >&2; exit 2; }

port_of() { cat "$dir/port"; }

start_server() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-k $dir -p $(port_of) -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=400" \
    start >/dev/null
}

case "$cmd" in
start)
  mkdir -p "$dir"
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  # A free port: the kernel's pick for a socket closed at once.
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' >"$dir/port"
  start_server
  echo "host=$dir port=$(port_of) user=postgres dbname=postgres"
  ;;
stop)
  [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
restart)
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true  # may be down already
  start_server
  ;;
*)
  echo "usage: tests/pg.sh start|stop|restart DIR" >&2
  exit 2
  ;;
esac
