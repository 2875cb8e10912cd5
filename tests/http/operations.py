#!/usr/bin/env python3
"""The operator's tools (issue 11, SPEC 8 and 12) against the real server: `smallapps
backup DIR` while the server is writing (the copy passes integrity_check, holds every
record acknowledged before the backup began, and the files those records use), the
refusals of a backup (a folder in use; PostgreSQL, whose tool is pg_dump), and a clean
stop under load (SIGTERM: every acknowledged write is kept, exit 0 within 10 s).
Fixture: tests/apps/pieces. Ends with "N passed, N failed"."""
import base64
import hashlib
import os
import subprocess
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, Client, Server, sqlite_only  # noqa: E402

SUITE = Suite()
test = SUITE.test
API = "/apps/pieces/dossier/records"


class Writer(threading.Thread):
    """Creates records through the API until stopped; keeps the ids acknowledged, with
    the time each answer came back."""

    def __init__(self, s, token):
        super().__init__(daemon=True)
        self.c = Client(s, token=token)
        self.acked = []      # (monotonic time of the answer, id)
        self.errors = []
        self.stop = threading.Event()

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                r = self.c.api("POST", API, {"fields": {"objet": f"Dossier {n}"}})
            except OSError as e:  # the server went away (clean stop test)
                self.errors.append(str(e))
                return
            if r.status == 201:
                self.acked.append((time.monotonic(), r.json()["id"]))
            elif r.status != 503:
                self.errors.append((r.status, r.text[:200]))


@test
def a_backup_taken_while_writing_holds_every_acknowledged_record(s):
    sqlite_only("SQLite's online backup; PostgreSQL is backed up with pg_dump")
    token = s.token("alice")
    c = Client(s, token=token)
    pdf = b"%PDF-1.4\n% piece sauvegardee\n%%EOF\n"
    r = c.api("POST", API, {"fields": {"objet": "Avec pièce", "piece": {
        "name": "p.pdf", "data": base64.b64encode(pdf).decode()}}})
    assert r.status == 201, r.text
    with_file = r.json()["id"]
    writers = [Writer(s, token) for _ in range(3)]
    for w in writers:
        w.start()
    time.sleep(0.5)
    began = time.monotonic()
    dest = os.path.join(s.tmp, "sauvegarde")
    out = s.cli("backup", dest)
    time.sleep(0.3)
    for w in writers:
        w.stop.set()
    for w in writers:
        w.join(10)
        assert not w.errors, w.errors[:3]
    before = {i for w in writers for (t, i) in w.acked if t < began}
    assert len(before) > 20, len(before)
    assert "Sauvegarde dans" in out.stdout, out.stdout
    for db in ("system.db", "apps/pieces.db"):
        con = sqlite3.connect(os.path.join(dest, db))
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    con = sqlite3.connect(os.path.join(dest, "apps/pieces.db"))
    ids = {row[0] for row in con.execute("SELECT id FROM dossier")}
    con.close()
    assert before <= ids, sorted(before - ids)[:10]
    sha = hashlib.sha256(pdf).hexdigest()
    with open(os.path.join(dest, "files", "pieces", sha[:2], sha), "rb") as f:
        assert f.read() == pdf
    assert with_file in ids
    # the backup is in the audit log; a folder in use is refused
    assert s.sql_one("system", "SELECT count(*) FROM audit WHERE action = 'backup'") == 1
    p = s.cli("backup", dest, check=False)
    assert p.returncode == 1 and "pas vide" in p.stderr, p.stderr
    # the copy serves: an engine started on it finds the records and the file
    copy = Server(s.binary, apps=("pieces",))
    try:
        os.rmdir(copy.data) if os.path.isdir(copy.data) else None
        import shutil
        shutil.copytree(dest, copy.data)
        copy.start()
        t = copy.token("alice")
        d = Client(copy, token=t).get(f"/api/v1{API}/{with_file}/files/piece")
        assert d.status == 200 and d.body == pdf, d.status
    finally:
        copy.stop()
        copy.cleanup()


@test
def a_backup_on_postgresql_says_which_tool_to_use(s):
    if not s.database:
        from harness import Skip
        raise Skip("PostgreSQL only")
    p = s.cli("backup", os.path.join(s.tmp, "pg-copy"), check=False)
    assert p.returncode == 1 and "pg_dump" in p.stderr, p.stderr


@test
def the_audit_chain_finds_a_changed_or_removed_line(s):
    s.token("alice")  # audit lines: token.create, and the users made at set-up
    Client(s).login("alice")
    for wrong in ((), ("check",), ("verify", "now")):    # a usage error, not a verdict
        p = s.cli("audit", *wrong, check=False)
        assert p.returncode == 2 and "usage: smallapps audit verify" in p.stderr, (wrong, p)
    out = s.cli("audit", "verify")
    assert "intact" in out.stdout, out.stdout
    rows = s.sql("system", "SELECT id, at, actor, action, target, detail, hash FROM audit "
                           "ORDER BY id")
    assert len(rows) >= 3 and all(r["hash"] and len(r["hash"]) == 64 for r in rows), rows
    victim = rows[1]
    s.sql("system", "UPDATE audit SET detail = ? WHERE id = ?", ("falsifié", victim["id"]))
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1 and f"n° {victim['id']} " in p.stdout, p.stdout
    s.sql("system", "UPDATE audit SET detail = ? WHERE id = ?", (victim["detail"], victim["id"]))
    assert s.cli("audit", "verify", check=False).returncode == 0
    # a line removed in the middle breaks the chain at the next one
    s.sql("system", "DELETE FROM audit WHERE id = ?", (victim["id"],))
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1 and f"n° {rows[2]['id']} " in p.stdout, p.stdout
    v = victim
    s.sql("system", "INSERT INTO audit (id, at, actor, action, target, detail, hash) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
          (v["id"], v["at"], v["actor"], v["action"], v["target"], v["detail"], v["hash"]))
    assert s.cli("audit", "verify", check=False).returncode == 0


@test
def every_command_has_its_help_and_a_typo_is_named(s):
    def run(*args):
        return subprocess.run([s.binary, *args], capture_output=True, text=True, env=s.env)
    for args in (("help",), ("help", "serve"), ("serve", "--help"), ("test", "-h"),
                 ("export", "--help"), ("user", "--help")):
        p = run(*args)
        assert p.returncode == 0 and p.stdout.startswith("usage: smallapps"), (args, p)
    assert "--coverage" in run("help", "test").stdout
    assert "--port-file" in run("serve", "--help").stdout
    p = run("serve", "--aps", "apps")
    assert p.returncode == 2 and "unknown option --aps (did you mean --apps?)" in p.stderr, p
    assert "--listen" in p.stderr and "--port-file" in p.stderr, p.stderr
    p = run("help", "servir")
    assert p.returncode == 2 and 'unknown command "servir"' in p.stderr, p


@test
def removing_the_last_audit_lines_is_seen_too(s):
    s.token("alice")
    assert s.cli("audit", "verify", check=False).returncode == 0
    last = s.sql_one("system", "SELECT max(id) FROM audit")
    s.sql("system", "DELETE FROM audit WHERE id = ?", (last,))
    p = s.cli("audit", "verify", check=False)
    assert p.returncode == 1 and f"n° {last} " in p.stdout, p.stdout


@test
def the_audit_page_is_for_admins_filters_and_pages(s):
    import re
    from harness import ADMIN_PASSWORD
    for _ in range(55):
        s.token("alice")
    admin = Client(s).login("admin", ADMIN_PASSWORD)
    page = admin.get("/admin/audit")
    assert page.status == 200, page.status
    assert "Journal d'audit" in page.text
    assert ("Chaîne intacte" in page.text) or ("Chaîne rompue" in page.text)
    assert page.text.count("<tr><td>") == 50
    nxt = re.search(r'href="/admin/audit\?([^"]+)">Lignes plus anciennes', page.text)
    assert nxt, "no link to older lines"
    older = admin.get("/admin/audit?" + nxt.group(1).replace("&amp;", "&"))
    assert older.status == 200 and older.text.count("<tr><td>") >= 5
    only = admin.get("/admin/audit?kind=token&user=cli")
    assert only.status == 200
    actions = set(re.findall(r"<td><code>([a-z_.]+)</code></td>", only.text))
    assert actions == {"token.create"}, actions
    day = time.strftime("%Y-%m-%d", time.gmtime())
    assert admin.get(f"/admin/audit?from={day}&to={day}").text.count("<tr><td>") == 50
    assert admin.get("/admin/audit?from=2000-01-01&to=2000-01-02").text.count("<tr><td>") == 0
    assert admin.get("/admin/audit?kind=nope").status == 400
    assert admin.get("/admin/audit?from=31/12/2026").status == 400
    assert Client(s).login("alice").get("/admin/audit").status == 403
    anon = Client(s).get("/admin/audit")
    assert anon.status in (302, 303) and "/login" in anon.header("Location")


def prometheus(text):
    """The samples of a Prometheus text exposition: {(name, frozenset(labels)): value};
    every sample's family must have been declared by a # TYPE line before it."""
    import re
    types, samples = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-z_:][a-z0-9_:]*)(\{([^}]*)\})? (-?[0-9.e+]+|\+Inf|NaN)', line)
        assert m, f"not Prometheus text: {line!r}"
        name = m.group(1)
        family = re.sub(r"_(bucket|sum|count)$", "", name) if name not in types else name
        assert family in types, f"{name} has no # TYPE"
        labels = frozenset(re.findall(r'([a-z_]+)="([^"]*)"', m.group(3) or ""))
        samples[(name, labels)] = float(m.group(4))
    return samples


@test
def metrics_are_prometheus_text_by_kind_and_healthz_counts_apps(s):
    c = Client(s)
    assert c.get("/a/pieces/").status in (200, 302, 303)
    assert c.get("/api/v1/apps").status == 200
    c.get("/static/style.css")
    h = c.get("/healthz")
    assert h.status == 200 and h.text.splitlines() == ["ok", "apps: 1 loaded, 0 failing"], h.text
    m = prometheus(c.get("/metrics").text)
    def get(name, **labels):
        return m.get((name, frozenset(labels.items())))
    assert get("smallapps_http_requests_total", kind="api", status="2xx") >= 1
    assert get("smallapps_http_requests_total", kind="static", status="2xx") >= 1
    assert get("smallapps_http_requests_total", kind="health", status="2xx") >= 1
    assert get("smallapps_http_request_duration_seconds_count", kind="api") >= 1
    assert get("smallapps_http_request_duration_seconds_bucket", kind="api", le="+Inf") >= 1
    assert get("smallapps_records", app="pieces", form="dossier") is not None
    assert get("smallapps_outbox_pending", app="pieces") == 0
    assert get("smallapps_lua_errors_total") is not None
    # an app that fails to load is counted, and said by /healthz
    os.makedirs(os.path.join(s.apps, "casse"))
    open(os.path.join(s.apps, "casse", "app.lua"), "w").write("return { title = ")
    from harness import wait_for
    wait_for(lambda: "1 failing" in c.get("/healthz").text, timeout=10)
    m = prometheus(c.get("/metrics").text)
    assert m.get(("smallapps_app_load_errors", frozenset({("app", "casse")}))) == 1
    import shutil
    shutil.rmtree(os.path.join(s.apps, "casse"))


@test
def sigterm_under_load_keeps_every_acknowledged_write_and_exits_0(s):
    token = s.token("alice")
    writers = [Writer(s, token) for _ in range(4)]
    for w in writers:
        w.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    rc = s.stop()
    took = time.monotonic() - t0
    for w in writers:
        w.stop.set()
        w.join(10)
    assert rc == 0, rc
    assert took < 10, took
    acked = {i for w in writers for (_, i) in w.acked}
    assert len(acked) > 20
    rows = {r["id"] for r in s.sql("pieces", "SELECT id FROM dossier")}
    assert acked <= rows, sorted(acked - rows)[:10]
    s.start()


def make_server(binary):
    s = Server(binary, apps=("pieces",))
    s.add_user("alice", roles=("pieces:usager",))
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
