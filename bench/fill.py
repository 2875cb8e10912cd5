#!/usr/bin/env python3
"""bench/fill.py BACKEND TARGET TEMPLATE_ID FROM TO: makes records FROM..TO of
vaccins/commande for bench/scale.sh, by SQL, as copies of the record TEMPLATE_ID (made
through the API, so every column holds what the engine writes) varied in what lists look
at: reference, centre, commune, contact, vaccine, delivery date, state, creation time and
creator, and the folded search text (_search) that goes with them. The database's own
triggers keep the full-text index and the dashboard's tallies.

BACKEND is sqlite (TARGET: the app's database file, data/apps/vaccins.db) or pg (TARGET:
a libpq connection string; the table is app_vaccins.commande). Rows go in by 100,000 per
transaction. Run while no engine writes to the form."""
import sqlite3
import subprocess
import sys

backend, target, template = sys.argv[1], sys.argv[2], int(sys.argv[3])
first, last = int(sys.argv[4]), int(sys.argv[5])
CHUNK = 100_000
TABLE = '"commande"' if backend == "sqlite" else 'app_vaccins."commande"'


def case(expr, values):
    return "CASE %s %% %d %s END" % (
        expr, len(values), " ".join("WHEN %d THEN '%s'" % (k, v) for k, v in enumerate(values)))


# The centres' communes: their names in the centre's name (searched), their INSEE codes in
# the commune field (a territory field holds the official code).
COMMUNES = ["Saint-Etienne", "Roanne", "Montbrison", "Firminy", "Rive-de-Gier", "Feurs",
            "Andrezieux-Boutheon", "Saint-Chamond", "Le Chambon-Feugerolles", "Veauche",
            "Riorges", "Mably", "Unieux", "La Ricamarie", "Villars", "Sorbiers", "Roche-la-Moliere",
            "Saint-Just-Saint-Rambert", "Boen-sur-Lignon", "Charlieu"]
COMMUNE_CODES = ["42218", "42187", "42147", "42095", "42186", "42094", "42005", "42207", "42044",
                 "42323", "42184", "42127", "42316", "42183", "42330", "42302", "42189", "42279",
                 "42019", "42052"]
VACCINS = ["comirnaty", "spikevax", "vaxigrip", "influvac", "efluelda", "abrysvo", "arexvy"]
STATES = ["soumise", "validee", "receptionnee", "refusee", "annulee"]  # not livree: its tacit
# reception (an automatic transition) would move a fifth of them during the bench
EPOCH = 1735689600  # 2025-01-01T00:00:00Z: a record a minute for a million minutes

if backend == "sqlite":
    pad = "printf('%%08d', %s)"
    day = "date('2025-01-01', '+' || (%s %% 730) || ' days')"
    stamp = "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', " + str(EPOCH) + " + %s * 60, 'unixepoch')"
    nl = "char(10)"
    series = ("(WITH RECURSIVE c(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM c WHERE i < %d) "
              "SELECT i FROM c) AS n")
else:
    pad = "lpad((%s)::text, 8, '0')"
    day = "to_char(date '2025-01-01' + (%s %% 730)::int, 'YYYY-MM-DD')"
    stamp = ("to_char(to_timestamp(" + str(EPOCH) + " + %s * 60) AT TIME ZONE 'UTC', "
             "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
    nl = "chr(10)"
    series = "generate_series(%d, %d) AS n(i)"

VARIED = {
    "reference": "'CMD-' || " + pad % "n.i",
    "centre": "'Centre de vaccination de ' || " + case("n.i", COMMUNES) + " || ' ' || (n.i % 500)",
    "commune": case("n.i", COMMUNE_CODES),
    "contact_nom": "'Agent ' || (n.i % 1000)",
    # one line of one vaccine, and its summary (computed by the app from the lines)
    "lignes": "'[{\"vaccin\":\"' || " + case("n.i", VACCINS) + " || '\",\"doses\":100}]'",
    "vaccins": case("n.i", [v.capitalize() + " × 100" for v in VACCINS]),
    "date_souhaitee": day % "n.i",
    "_state": case("n.i", STATES),
    "_state_since": stamp % "n.i",
    "_created_at": stamp % "n.i",
    "_updated_at": stamp % "n.i",
    "_created_by": "'centre-' || (n.i % 200)",
    "_updated_by": "'centre-' || (n.i % 200)",
}
SEARCH = ["reference", "centre", "vaccins", "contact_nom"]  # list.search, in order


def columns():
    if backend == "sqlite":
        with sqlite3.connect(target) as db:
            return [r[1] for r in db.execute("SELECT * FROM pragma_table_info('commande')")]
    out = subprocess.run(
        ["psql", "-X", "-At", target, "-c",
         "SELECT column_name FROM information_schema.columns WHERE table_schema = "
         "'app_vaccins' AND table_name = 'commande' AND is_generated = 'NEVER' "
         "ORDER BY ordinal_position"],
        check=True, capture_output=True, text=True).stdout
    return out.split()


def insert_sql(cols, lo, hi):
    names = [c for c in cols if c != "id"]
    inner = ", ".join("%s AS \"%s\"" % (VARIED[c], c) for c in VARIED)
    search = (" || " + nl + " || ").join("lower(v.\"%s\")" % c for c in SEARCH)
    outer = []
    for c in names:
        if c == "_search":
            outer.append(search)
        elif c in VARIED:
            outer.append('v."%s"' % c)
        else:
            outer.append('t."%s"' % c)
    return ("INSERT INTO %s (%s) SELECT %s FROM (SELECT %s FROM %s) AS v, %s AS t "
            "WHERE t.id = %d" % (TABLE, ", ".join('"%s"' % c for c in names), ", ".join(outer),
                                 inner, series % (lo, hi), TABLE, template))


def main():
    cols = columns()
    if "_search" not in cols:
        sys.exit("fill: commande has no _search column (an engine older than the search index?)")
    for lo in range(first, last + 1, CHUNK):
        sql = insert_sql(cols, lo, min(last, lo + CHUNK - 1))
        if backend == "sqlite":
            db = sqlite3.connect(target, timeout=60)
            db.execute("PRAGMA journal_mode = WAL")
            with db:
                db.execute(sql)
            db.close()
        else:
            subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", target, "-c", sql],
                           check=True)
    if backend == "pg":  # as autovacuum would after such a load
        subprocess.run(["psql", "-X", "-q", target, "-c", "ANALYZE app_vaccins.commande"],
                       check=True)


main()
