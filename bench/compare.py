#!/usr/bin/env python3
"""bench/compare.py OUT: the three backends of one `make bench` side by side.

Reads OUT/sqlite/results.txt, OUT/pg/results.txt and OUT/pg2/results.txt (bench/run.sh's
tables), prints each scenario's req/s and p99 on each backend as ratios to the baseline
and to SQLite, and checks SPEC 14's floor on this machine: on PostgreSQL, durable creates
>= 1,000/s with p99 < 100 ms, lists at least half of SQLite's rate; the pgbench line is
the server's own ceiling for single-row inserts. Exit 1 when a floor is missed."""
import os
import re
import sys

out = sys.argv[1] if len(sys.argv) > 1 else "build/bench"
ROW = re.compile(r"^(\w+)\s+.*?\s(\d+)\s+([\d.]+)\s+(\S+)\s+(\d+)\s")


def table(backend):
    path = os.path.join(out, backend, "results.txt")
    rows, pgbench = {}, None
    if not os.path.exists(path):
        return rows, pgbench
    for line in open(path, encoding="utf-8"):
        m = ROW.match(line)
        if m and m.group(1) != "scenario":
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)))
        m = re.match(r"^pgbench: (\d+) ", line)
        if m:
            pgbench = float(m.group(1))
    return rows, pgbench


lite, _ = table("sqlite")
pg, pg_ceiling = table("pg")
pg2, pg2_ceiling = table("pg2")
base = lite.get("baseline", (0, 0))[0]
print(f"{'scenario':<12} {'SQLite':>16} {'PostgreSQL':>22} {'2 engines + haproxy':>24}")
missed = []
for name in ("form_get", "record_get", "list_api", "list_html", "form_post", "api_post"):
    cells = []
    for rows in (lite, pg, pg2):
        if name not in rows:
            cells.append("-")
            continue
        rps, p99 = rows[name]
        vs_base = f"{100 * rps / base:.0f}%b" if base else ""
        vs_lite = f" {100 * rps / lite[name][0]:.0f}%s" if rows is not lite and name in lite else ""
        cells.append(f"{rps:.0f}/s {p99:.0f}ms {vs_base}{vs_lite}")
    print(f"{name:<12} {cells[0]:>16} {cells[1]:>22} {cells[2]:>24}")
    for label, rows in (("pg", pg), ("pg2", pg2)):
        if name not in rows:
            continue
        rps, p99 = rows[name]
        if name.endswith("_post") and (rps < 1000 or p99 >= 100):
            missed.append(f"{label} {name}: {rps:.0f}/s, p99 {p99:.0f} ms (floor: 1000/s, p99 < 100 ms)")
        if name.startswith("list_") and name in lite and rps < 0.5 * lite[name][0]:
            missed.append(f"{label} {name}: {rps:.0f}/s < half of SQLite's {lite[name][0]:.0f}/s")
for label, ceiling, rows in (("pg", pg_ceiling, pg), ("pg2", pg2_ceiling, pg2)):
    if ceiling and "api_post" in rows:
        print(f"{label}: pgbench {ceiling:.0f} inserts/s; JSON creates at "
              f"{100 * rows['api_post'][0] / ceiling:.0f}% of it")
print("floors: " + ("met" if not missed else "MISSED: " + "; ".join(missed)))
sys.exit(1 if missed else 0)
