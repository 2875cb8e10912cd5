#!/usr/bin/env python3
"""Exports (issue 10, SPEC 8) against the real server, on SQLite and on PostgreSQL: the
CSV a French spreadsheet opens (BOM, ';', CRLF, labels, decimal comma, JJ/MM/AAAA, oui/non,
formulas neutralised), JSON Lines as the API writes records, what each reader may export
(rows by the read rule, columns without others' private fields), open data (no personal,
private or file field, no people) and its Table Schema, the list's query, bad requests,
the audit line, `smallapps export`, and a large export in constant memory.
Fixture: tests/apps/essai. Ends with "N passed, N failed"."""
import csv
import io
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, Client, Server, wait_for  # noqa: E402

SUITE = Suite()
test = SUITE.test
BASE = "/apps/essai/demande/records"
PAGE = "/a/essai/demande/"

RECORD = {
    "objet": 'Réparation; "urgente"',
    "details": "=SOMME(A1:A2)\nsur deux lignes",
    "quantite": 12,
    "taux": 1.5,
    "montant": "1234.50",
    "urgent": True,
    "motif": "-10 % sur la facture",
    "le": "2026-03-09",
    "rdv": "2026-03-09T14:30",
    "courriel": "camille@example.org",
    "tel": "04 77 12 34 56",
    "categorie": "b",
    "precision": "@mention",
    "tags": ["x", "z"],
}
TOKENS = {}


def api(s, login):
    """A program calling the API as login (a token, made once per server)."""
    key = (id(s), login)
    if key not in TOKENS:
        TOKENS[key] = s.token(login)
    return Client(s, token=TOKENS[key])


def create(s, login, fields):
    r = api(s, login).api("POST", BASE, {"fields": fields})
    assert r.status == 201, (r.status, r.text)
    return r.json()["id"]


def sheet(body):
    """The CSV as a French spreadsheet reads it: rows of cells."""
    assert body.startswith(b"\xef\xbb\xbf"), body[:20]
    text = body[3:].decode("utf-8")
    assert text.endswith("\r\n")
    # every line break outside a quoted cell is CRLF
    assert "\n" not in re.sub(r'"(?:[^"]|"")*"', "", text).replace("\r\n", ""), text[:300]
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def by_header(rows):
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


def export(c, what="export.csv", query=""):
    r = c.get(PAGE + what + query)
    assert r.status == 200, (r.status, r.text[:300])
    return r


@test
def csv_is_for_french_spreadsheets(s):
    rid = create(s, "alice", RECORD)
    agent = Client(s).login("agent")
    r = export(agent, query="?q=urgente")
    assert r.header("Content-Type") == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="essai-demande-\d{4}-\d\d-\d\d\.csv"',
                        r.header("Content-Disposition")), r.header("Content-Disposition")
    rows = sheet(r.body)
    head = rows[0]
    assert head[0] == "N°" and head[1:4] == ["Objet", "Détails", "Quantité"], head
    assert head[-3:] == ["État", "Créé le", "Créé par"], head
    assert "Note interne" in head  # the agent reads it
    row = [x for x in by_header(rows) if x["N°"] == str(rid)][0]
    assert row["Objet"] == RECORD["objet"]           # ; " and a line break, quoted
    assert row["Détails"] == "'=SOMME(A1:A2)\nsur deux lignes"  # a formula, neutralised
    assert row["Motif de l'urgence"] == "'-10 % sur la facture"
    assert row["Précision"] == "'@mention"
    assert row["Quantité"] == "12" and row["Total"] == "24"
    assert row["Taux"] == "1,5"
    assert row["Montant"] == "1234,50"
    assert row["Urgent"] == "oui"
    assert row["Pour le"] == "09/03/2026"
    assert row["Rendez-vous"] == "09/03/2026 14:30"
    assert row["Téléphone"] == "04 77 12 34 56"
    assert row["Catégorie"] == "Catégorie B"
    assert row["Étiquettes"] == "x, z"
    assert row["État"] == "Déposée"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", row["Créé le"]), row["Créé le"]
    assert row["Créé par"] == "alice"


@test
def html_and_sql_in_fields_come_out_as_they_went_in(s):
    evil = "<script>alert(1)</script>'; DROP TABLE demande; --"
    rid = create(s, "alice", {"objet": evil[:50], "quantite": 3})
    plus = create(s, "alice", {"objet": "+33 1 23 45 67 89", "quantite": 3})
    rows = by_header(sheet(export(Client(s).login("agent")).body))
    assert [x["Objet"] for x in rows if x["N°"] == str(rid)] == [evil[:50]]
    assert [x["Objet"] for x in rows if x["N°"] == str(plus)] == ["'+33 1 23 45 67 89"]
    assert s.sql_one("essai", "SELECT count(*) FROM demande WHERE id = ?", (rid,)) == 1


@test
def each_reader_exports_what_they_may_read(s):
    alice = Client(s).login("alice")
    mine = create(s, "alice", {"objet": "de alice", "quantite": 1})
    theirs = create(s, "bob", {"objet": "de bob", "quantite": 2})
    rows = sheet(export(alice).body)
    ids = {x["N°"] for x in by_header(rows)}
    assert str(mine) in ids and str(theirs) not in ids
    assert "Note interne" not in rows[0]            # private to agents
    lines = export(alice, "export.jsonl").text.splitlines()
    assert all("note_interne" not in json.loads(l)["fields"] for l in lines)
    assert str(theirs) in {x["N°"] for x in by_header(sheet(export(Client(s).login("agent")).body))}
    # nobody signed in: the sign-in page; through the API: 401
    r = Client(s).get(PAGE + "export.csv")
    assert r.status == 303 and "/login" in r.header("Location"), r.status
    assert Client(s).api("GET", "/apps/essai/demande/export.csv").status == 401


@test
def an_export_follows_the_lists_query(s):
    alice = Client(s).login("alice")
    for q, cat in ((7, "a"), (9, "b"), (8, "a")):
        create(s, "alice", {"objet": f"lot {q}", "quantite": q, "categorie": cat,
                            "precision": "p" if cat == "b" else None})
    rows = by_header(sheet(export(alice, query="?q=lot&categorie=a&sort=-quantite").body))
    assert [x["Quantité"] for x in rows] == ["8", "7"], rows
    rows = by_header(sheet(export(alice, query="?q=lot&sort=quantite").body))
    assert [x["Quantité"] for x in rows] == ["7", "8", "9"]
    assert export(alice, query="?q=lot&state=traitee").body.count(b"\r\n") == 1  # header only
    r = api(s, "alice").api("GET", "/apps/essai/demande/export.jsonl?q=lot&categorie=b")
    assert r.status == 200 and r.header("Content-Type").startswith("application/jsonl")
    assert [json.loads(l)["fields"]["quantite"] for l in r.text.splitlines()] == [9]


@test
def bad_export_requests_are_answered_clearly(s):
    alice = Client(s).login("alice")
    assert alice.get(PAGE + "export.csv?sort=nope").status == 400
    tok = api(s, "alice")
    for q in ("?sort=nope", "?limit=10", "?after=abc", "?inconnu=1", "?state=nulle"):
        r = tok.api("GET", "/apps/essai/demande/export.csv" + q)
        assert r.status == 400 and r.json()["error"]["code"] == "bad_request", (q, r.text)
    assert alice.post_form(PAGE + "export.csv", {}).status == 405
    assert tok.api("POST", "/apps/essai/demande/export.csv", {}).status == 405
    assert alice.get(PAGE + "export.xlsx").status == 404


@test
def jsonl_lines_are_the_records_as_the_api_gives_them(s):
    alice = api(s, "alice")
    rid = create(s, "alice", dict(RECORD, objet="ligne json"))
    r = alice.api("GET", "/apps/essai/demande/export.jsonl?q=json")
    lines = r.text.split("\n")
    assert lines[-1] == "" and len(lines) == 2, r.text[:300]
    assert json.loads(lines[0]) == alice.api("GET", f"{BASE}/{rid}").json()


@test
def open_data_leaves_out_people_private_and_personal_fields(s):
    alice = Client(s).login("alice")
    create(s, "alice", dict(RECORD, objet="ouvert"))
    agent = Client(s).login("agent")
    r = export(agent, query="?q=ouvert&open_data=1")
    assert "donnees-ouvertes" in r.header("Content-Disposition")
    rows = sheet(r.body)
    for gone in ("Courriel", "Téléphone", "Note interne", "Créé par"):
        assert gone not in rows[0], rows[0]
    assert rows[0][:2] == ["N°", "Objet"] and rows[0][-2:] == ["État", "Créé le"]
    assert len(rows[1]) == len(rows[0]) and re.fullmatch(r"[\d/]{10} [\d:]{5}", rows[1][-1])
    line = json.loads(export(agent, "export.jsonl", "?q=ouvert&open_data=1").text)
    assert "created_by" not in line and "updated_by" not in line
    assert not {"courriel", "tel", "note_interne"} & set(line["fields"]), line["fields"]
    # only for those who read every record (and admins)
    r = alice.get(PAGE + "export.csv?open_data=1")
    assert r.status == 403, r.status
    assert api(s, "alice").api("GET", "/apps/essai/demande/export.csv?open_data=true").status == 403
    admin = Client(s).login("admin", "admin-secret-42")
    assert export(admin, query="?open_data=1").status == 200
    # the list page offers it to the agent only
    assert "open_data=1" in agent.get(PAGE).text
    assert "export.csv" in alice.get(PAGE).text and "open_data=1" not in alice.get(PAGE).text


@test
def the_table_schema_describes_the_open_data_csv(s):
    agent = Client(s).login("agent")
    schema = export(agent, "schema.json").json()
    head = sheet(export(agent, query="?open_data=1").body)[0]
    fields = schema["fields"]
    assert [f["title"] for f in fields] == head, ([f["title"] for f in fields], head)
    assert fields[0]["name"] == "id" and schema["primaryKey"] == "id"
    by = {f["name"]: f for f in fields}
    assert {"courriel", "tel", "note_interne"}.isdisjoint(by)
    assert by["quantite"]["type"] == "integer"
    assert by["quantite"]["description"] == "Nombre d'unités demandées."
    assert by["taux"] == {"name": "taux", "title": "Taux", "type": "number", "decimalChar": ","}
    assert by["montant"]["type"] == "number"
    assert by["urgent"]["type"] == "boolean" and by["urgent"]["trueValues"] == ["oui"]
    assert by["le"]["type"] == "date" and by["le"]["format"] == "%d/%m/%Y"
    assert by["rdv"]["type"] == "datetime" and by["rdv"]["format"] == "%d/%m/%Y %H:%M"
    assert by["categorie"]["constraints"]["enum"] == ["Catégorie A", "Catégorie B"]
    assert by["site"]["format"] == "uri"
    assert schema["name"] == "essai-demande"
    assert schema["$schema"].startswith("https://frictionlessdata.io/")
    assert api(s, "agent").api("GET", "/apps/essai/demande/schema.json").json() == schema


@test
def every_export_writes_an_audit_line(s):
    agent = Client(s).login("agent")
    n = s.sql_one("system", "SELECT count(*) FROM audit WHERE action = 'export'")
    body = export(agent, query="?open_data=1").body
    rows = len(sheet(body)) - 1
    # written once the last byte is sent
    wait_for(lambda: s.sql_one("system", "SELECT count(*) FROM audit WHERE action = 'export'")
             == n + 1)
    line = s.sql("system", "SELECT actor, target, detail FROM audit WHERE action = 'export' "
                 "ORDER BY id DESC LIMIT 1")[0]
    assert line["actor"] == "agent" and line["target"] == "essai/demande", line
    assert line["detail"].startswith(f"{rows} ligne(s), csv, données ouvertes"), line
    assert "via web" in line["detail"]


@test
def the_command_line_exports_to_stdout_or_a_file(s):
    out = s.cli("export", "essai", "demande").stdout
    assert out.startswith("\ufeffN°;Objet;"), out[:40]
    lines = s.cli("export", "essai", "demande", "--format", "json").stdout.splitlines()
    assert all(json.loads(l)["id"] > 0 for l in lines) and lines
    f = os.path.join(s.tmp, "demandes.csv")
    p = s.cli("export", "essai", "demande", "--open-data", "--out", f)
    assert "enregistrement(s) exporté(s)" in p.stderr, p.stderr
    assert "Courriel" not in open(f, encoding="utf-8-sig").readline()
    with open(os.path.join(s.tmp, "demandes.schema.json"), encoding="utf-8") as sf:
        on_disk = json.load(sf)
    assert on_disk == export(Client(s).login("agent"), "schema.json").json()
    assert s.cli("export", "essai", "demande", "--format", "xml", check=False).returncode == 2
    p = s.cli("export", "essai", "nulle", check=False)
    assert p.returncode == 1 and "no form" in p.stderr, p.stderr
    p = s.cli("export", "absente", "demande", check=False)
    assert p.returncode == 1 and "no app" in p.stderr, p.stderr
    line = s.sql("system", "SELECT actor, detail FROM audit WHERE action = 'export' "
                 "ORDER BY id DESC LIMIT 1")[0]
    assert line["actor"].startswith("cli:") and "via cli" in line["detail"], line


def vm_hwm_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


@test
def a_large_export_streams_in_constant_memory(s):
    """80,000 records made by SQL; the server's peak memory barely moves while it sends
    them (ASan keeps freed memory in a quarantine: a small one here)."""
    big = Server(s.binary, env={"ASAN_OPTIONS": "detect_leaks=1:quarantine_size_mb=4"})
    try:
        big.add_user("agent", roles=("essai:agent",))
        big.add_user("alice", roles=("essai:demandeur",))
        big.start()
        rid = create(big, "alice", RECORD)
        # (PostgreSQL computes _words from _search: a generated column takes no value)
        cols = [c for c in big.sql("essai", "SELECT * FROM demande WHERE id = ?", (rid,))[0]
                if c not in ("id", "_words")]
        names = ", ".join(f'"{c}"' for c in cols)
        big.sql("essai", f'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n '
                f'WHERE i < 79999) INSERT INTO demande ({names}) SELECT {names} FROM n, '
                f'demande WHERE demande.id = {rid}')
        agent = Client(big).login("agent")
        export(agent, query="?q=nothing-matches")
        before = vm_hwm_kb(big.proc.pid)
        r = export(agent)
        grown = vm_hwm_kb(big.proc.pid) - before
        assert len(sheet(r.body)) == 80001
        # buffered whole, the answer alone would take 20 MB
        assert grown < 8 * 1024, f"peak memory grew by {grown} kB for {len(r.body)} bytes"
        assert len(r.body) > 15 * 1024 * 1024
        # a client that leaves half way: the export stops, its audit line says so
        import socket
        sock = socket.create_connection(("127.0.0.1", big.port))
        cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
        sock.sendall(f"GET {PAGE}export.csv HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n"
                     .encode())
        got = b""
        while len(got) < 256 * 1024:
            got += sock.recv(65536)
        sock.close()
        wait_for(lambda: big.sql_one("system", "SELECT count(*) FROM audit WHERE action = "
                                     "'export' AND detail LIKE '%interrompu%'") == 1)
        assert Client(big).get("/healthz").status == 200
    finally:
        big.cleanup()


def make_server(binary):
    s = Server(binary)
    s.add_user("alice", roles=("essai:demandeur",))
    s.add_user("bob", roles=("essai:demandeur",))
    s.add_user("agent", roles=("essai:agent",))
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
