#!/usr/bin/env bash
# A throw-away OpenLDAP directory for the tests, from Debian's slapd package: a town's
# people and groups, as a DSI keeps them (dc=ville,dc=fr).
#   tests/ldap.sh start DIR   a slapd.conf, an empty mdb database and the entries below,
#                             served on a free loopback port; prints the ldap:// URL
#   tests/ldap.sh stop DIR    stops it and removes DIR
#   tests/ldap.sh stopped DIR stops it and keeps DIR (a directory out of reach)
# Entries: ou=people (alice, agathe, bruno; passwords "<login>-secret"), ou=groups
# (voirie: alice, agathe; elus: bruno). Admin: cn=admin,dc=ville,dc=fr / admin-secret.
set -euo pipefail

slapd=/usr/sbin/slapd
if [ ! -x "$slapd" ] || ! command -v ldapadd >/dev/null; then
  echo "tests/ldap.sh: OpenLDAP is not installed (apt-get install slapd ldap-utils)" >&2
  exit 1
fi
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: tests/ldap.sh start|stop|stopped DIR" >&2; exit 2; }

stop_server() {
  local pid
  pid=$(cat "$dir/slapd.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$dir/slapd.pid"
}

case "$cmd" in
start)
  mkdir -p "$dir/db"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $dir/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 10485760
suffix "dc=ville,dc=fr"
rootdn "cn=admin,dc=ville,dc=fr"
rootpw admin-secret
directory $dir/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
  pw() { /usr/sbin/slappasswd -s "$1"; }
  cat >"$dir/entries.ldif" <<EOF
dn: dc=ville,dc=fr
objectClass: dcObject
objectClass: organization
o: Ville
dc: ville

dn: ou=people,dc=ville,dc=fr
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=ville,dc=fr
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,dc=ville,dc=fr
objectClass: inetOrgPerson
uid: alice
cn: Alice Martin
sn: Martin
mail: alice.martin@ville.fr
userPassword: $(pw alice-secret)

dn: uid=agathe,ou=people,dc=ville,dc=fr
objectClass: inetOrgPerson
uid: agathe
cn: Agathe Durand
sn: Durand
mail: agathe.durand@ville.fr
userPassword: $(pw agathe-secret)

dn: uid=bruno,ou=people,dc=ville,dc=fr
objectClass: inetOrgPerson
uid: bruno
cn: Bruno Petit
sn: Petit
userPassword: $(pw bruno-secret)

dn: cn=voirie,ou=groups,dc=ville,dc=fr
objectClass: groupOfNames
cn: voirie
member: uid=alice,ou=people,dc=ville,dc=fr
member: uid=agathe,ou=people,dc=ville,dc=fr

dn: cn=elus,ou=groups,dc=ville,dc=fr
objectClass: groupOfNames
cn: elus
member: uid=bruno,ou=people,dc=ville,dc=fr
EOF
  /usr/sbin/slapadd -f "$dir/slapd.conf" -l "$dir/entries.ldif" >"$dir/slapadd.log" 2>&1 \
    || { cat "$dir/slapadd.log" >&2; exit 1; }
  echo "$port" >"$dir/port"
  "$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" >"$dir/slapd.log" 2>&1 \
    || { cat "$dir/slapd.log" >&2; exit 1; }
  for _ in $(seq 100); do
    ldapsearch -x -H "ldap://127.0.0.1:$port" -b dc=ville,dc=fr -s base >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "ldap://127.0.0.1:$port"
  ;;
stop)
  stop_server
  rm -rf "$dir"
  ;;
stopped)
  stop_server
  ;;
*)
  echo "usage: tests/ldap.sh start|stop|stopped DIR" >&2
  exit 2
  ;;
esac
