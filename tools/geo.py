#!/usr/bin/env python3
"""Writes geo/geo_data.c, the French administrative divisions compiled into smallapps,
from the npm package @etalab/decoupage-administratif (MIT licence, Etalab).

    tools/geo.py [--version X.Y.Z] [--package DIR] [--out geo/geo_data.c]

Without --package, `npm pack` fetches the package (the given version, else the latest)
into a temporary folder; with it, DIR is an unpacked package (its package.json and
data/). `make geo` runs this. The layout of the tables is engine/geo_data.h's; engine/geo.c
reads them. Only what the engine uses is kept: codes, names, the article of a name
(typeLiaison), département, région, EPCI, postal codes, the kind of commune and the
commune a déléguée, associée or arrondissement belongs to. The régions are the 18 of
regions.json outside the collectivités d'outre-mer (zone "com"), whose "region" codes
are their département codes; their départements and communes are kept, without région.

The package's LICENSE (MIT, Etalab) is copied into the header of the file, as the licence
asks of copies. The output depends only on the package: the same version, the same bytes.
"""
import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "@etalab/decoupage-administratif"
KINDS = {"commune-actuelle": 0, "commune-deleguee": 1, "commune-associee": 2,
         "arrondissement-municipal": 3}
CHUNK = 4000      # bytes of a name-pool literal (ISO C guarantees 4095)
EPCI_MAXDEPS = 8  # engine/geo_data.h GEO_EPCI_MAXDEPS
NONE8 = 0xFF


def fetch(version, tmp):
    spec = PACKAGE + ("@" + version if version else "")
    out = subprocess.run(["npm", "pack", "--silent", spec], cwd=tmp, check=True,
                         capture_output=True, text=True).stdout.split()
    tgz = os.path.join(tmp, out[-1])
    with tarfile.open(tgz) as t:
        for m in t.getmembers():
            if not (m.isfile() or m.isdir()) or m.name.startswith("/") or ".." in m.name:
                sys.exit(f"geo.py: unexpected member {m.name!r} in {tgz}")
        t.extractall(tmp)
    return os.path.join(tmp, "package")


def load(pkg):
    with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("name") != PACKAGE:
        sys.exit(f"geo.py: {pkg} is not {PACKAGE}")
    with open(os.path.join(pkg, "LICENSE"), encoding="utf-8") as f:
        licence = f.read().strip()
    if "*/" in licence:
        sys.exit("geo.py: the package's LICENSE would end the C comment")
    data = {}
    for name in ("communes", "departements", "regions", "epci"):
        with open(os.path.join(pkg, "data", name + ".json"), encoding="utf-8") as f:
            data[name] = json.load(f)
    return meta["version"], licence, data


def c_string(s):
    """A C string literal of s (UTF-8 kept as is; quotes, backslashes and ? escaped)."""
    out = []
    for ch in s:
        if ch in '"\\?':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f:
            sys.exit(f"geo.py: control character in name {s!r}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class Pool:
    """Names, each once, in chunks of at most CHUNK bytes: offset = chunk << 12 | byte."""

    def __init__(self):
        self.chunks = [[]]
        self.size = 0
        self.at = {}

    def add(self, name):
        if name in self.at:
            return self.at[name]
        n = len(name.encode("utf-8")) + 1
        if n > 255:
            sys.exit(f"geo.py: name too long: {name!r}")
        if self.size + n > CHUNK:
            self.chunks.append([])
            self.size = 0
        off = (len(self.chunks) - 1) << 12 | self.size
        self.chunks[-1].append(name)
        self.size += n
        self.at[name] = off
        return off


def build(data):
    pool = Pool()
    regions = sorted((r for r in data["regions"] if r.get("zone") != "com"),
                     key=lambda r: r["code"])
    reg_index = {r["code"]: i for i, r in enumerate(regions)}
    deps = sorted(data["departements"], key=lambda d: d["code"])
    dep_index = {d["code"]: i for i, d in enumerate(deps)}
    if len(deps) >= NONE8 or len(regions) >= NONE8:
        sys.exit("geo.py: too many départements or régions for one byte")

    communes = sorted(data["communes"], key=lambda c: (c["code"], KINDS[c["type"]], c["nom"]))
    actuelle = {}
    for i, c in enumerate(communes):
        if c["type"] == "commune-actuelle":
            actuelle.setdefault(c["code"], i)
        if dep_index.get(c["departement"]) is None:
            sys.exit(f"geo.py: commune {c['code']}: unknown département {c['departement']}")
        d = deps[dep_index[c["departement"]]]
        if d["region"] != c["region"]:
            sys.exit(f"geo.py: commune {c['code']}: région {c['region']} is not its "
                     f"département's ({d['region']})")

    epcis = sorted(data["epci"], key=lambda e: e["code"])
    epci_of = {}
    epci_rows = []
    for i, e in enumerate(epcis):
        ds = []
        for m in e["membres"]:
            if m["code"] in epci_of:
                sys.exit(f"geo.py: commune {m['code']} in two EPCI")
            epci_of[m["code"]] = i
            j = actuelle.get(m["code"])
            if j is None:
                sys.exit(f"geo.py: EPCI {e['code']}: member {m['code']} is no current commune")
            dc = dep_index[communes[j]["departement"]]
            if dc not in ds:
                ds.append(dc)
        ds.sort()
        if len(ds) > EPCI_MAXDEPS or len(e["type"]) > 5:
            sys.exit(f"geo.py: EPCI {e['code']}: {len(ds)} départements, type {e['type']}")
        epci_rows.append((e["code"], e["type"], ds, pool.add(e["nom"])))

    cps, rows = [], []
    for c in communes:
        kind = KINDS[c["type"]]
        parent = 0
        if kind != 0:
            pc = c.get("chefLieu") or c.get("commune")
            if pc not in actuelle:
                sys.exit(f"geo.py: {c['type']} {c['code']}: no current commune {pc}")
            parent = actuelle[pc] + 1
        top = communes[parent - 1]["code"] if parent else c["code"]
        epci = epci_of[top] + 1 if top in epci_of else 0
        first = len(cps)
        for p in c.get("codesPostaux", []):
            if len(p) != 5 or not p.isdigit():
                sys.exit(f"geo.py: commune {c['code']}: postal code {p!r}")
            cps.append(int(p))
        if len(cps) - first > 255:
            sys.exit(f"geo.py: commune {c['code']}: too many postal codes")
        rows.append((c["code"], kind, dep_index[c["departement"]], epci, parent,
                     len(cps) - first, pool.add(c["nom"]), first))
    if len(rows) >= 65535 or len(cps) >= 65536 or len(epcis) >= 65535:
        sys.exit("geo.py: tables too large for their 16-bit indexes")
    # Postal codes in order, each naming its position in cps (the commune is found from it).
    order = sorted(range(len(cps)), key=lambda k: (cps[k], k))

    dep_rows = [(d["code"], reg_index.get(d["region"], NONE8), d["typeLiaison"],
                 pool.add(d["nom"])) for d in deps]
    reg_rows = [(r["code"], r["typeLiaison"], pool.add(r["nom"])) for r in regions]
    return pool, reg_rows, dep_rows, epci_rows, rows, cps, order


def write(out, version, licence, tables):
    pool, regs, deps, epcis, communes, cps, order = tables
    w = []
    w.append(f"/*\n * Generated by tools/geo.py (make geo) from the npm package {PACKAGE}\n"
             f" * {version}: the French administrative divisions. Do not edit.\n"
             " * Layout: engine/geo_data.h; read by engine/geo.c only.\n *\n"
             " * The package's licence:\n *\n" +
             "\n".join((" * " + line).rstrip() for line in licence.splitlines()) + "\n */")
    w.append('#include "geo_data.h"\n')
    w.append(f'const char geo_data_version[] = "{version}";\n')
    for i, chunk in enumerate(pool.chunks):
        w.append(f"static const char names_{i}[] =")
        w.extend(c_string(n)[:-1] + '\\0"' for n in chunk)
        w[-1] += ";"
    w.append("const char *const geo_name_chunks[] = {")
    w.extend(f"\tnames_{i}," for i in range(len(pool.chunks)))
    w.append("};")
    w.append("const size_t geo_nname_chunks = sizeof geo_name_chunks / sizeof *geo_name_chunks;\n")

    w.append("const geo_region_row geo_regions[] = {")
    w.extend(f'{{{n},"{c}",{l}}},' for c, l, n in regs)
    w.append("};")
    w.append("const size_t geo_nregions = sizeof geo_regions / sizeof *geo_regions;\n")

    w.append("const geo_departement_row geo_departements[] = {")
    w.extend(f'{{{n},"{c}",{r},{l}}},' for c, r, l, n in deps)
    w.append("};")
    w.append("const size_t geo_ndepartements = "
             "sizeof geo_departements / sizeof *geo_departements;\n")

    w.append("const geo_epci_row geo_epcis[] = {")
    for c, t, ds, n in epcis:
        w.append(f'{{{n},"{c}","{t}",{len(ds)},{{{",".join(map(str, ds))}}}}},')
    w.append("};")
    w.append("const size_t geo_nepcis = sizeof geo_epcis / sizeof *geo_epcis;\n")

    w.append("/* name, first postal code, EPCI + 1, commune + 1, code, kind, département, "
             "postal codes */")
    w.append("const geo_commune_row geo_communes[] = {")
    w.extend(f'{{{n},{cp},{e},{p},"{c}",{k},{d},{ncp}}},'
             for c, k, d, e, p, ncp, n, cp in communes)
    w.append("};")
    w.append("const size_t geo_ncommunes = sizeof geo_communes / sizeof *geo_communes;\n")

    w.append("const uint32_t geo_postal_codes[] = {")
    for i in range(0, len(cps), 16):
        w.append(",".join(str(x) for x in cps[i:i + 16]) + ",")
    w.append("};")
    w.append("const size_t geo_npostal_codes = "
             "sizeof geo_postal_codes / sizeof *geo_postal_codes;\n")
    w.append("/* positions in geo_postal_codes, by postal code */")
    w.append("const uint16_t geo_postal_order[] = {")
    for i in range(0, len(order), 16):
        w.append(",".join(str(x) for x in order[i:i + 16]) + ",")
    w.append("};")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(w) + "\n")
    os.replace(tmp, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version", help=f"version of {PACKAGE} (default: the latest)")
    ap.add_argument("--package", help="an unpacked package folder instead of npm pack")
    ap.add_argument("--out", default="geo/geo_data.c")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pkg = a.package or fetch(a.version, tmp)
        version, licence, data = load(pkg)
        tables = build(data)
    write(a.out, version, licence, tables)
    pool, regs, deps, epcis, communes, cps, _ = tables
    print(f"{a.out}: {PACKAGE} {version}: {len(regs)} régions, {len(deps)} départements, "
          f"{len(epcis)} EPCI, {len(communes)} communes, {len(cps)} postal codes, "
          f"{sum(len(n.encode()) + 1 for c in pool.chunks for n in c)} bytes of names")


if __name__ == "__main__":
    main()
