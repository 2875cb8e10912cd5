"""Several engines on one PostgreSQL database (SPEC 14): they behave like one server.

Runs only in the PostgreSQL pass of make test (every test is skipped on SQLite files,
where there is one engine by construction). Each test starts its own engines on a
database of its own; HAProxy tests start Debian's haproxy in front of them."""
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ADMIN_PASSWORD, ROOT, Client, HAProxy, Server, Skip, Suite, free_port,  # noqa: E402
                     on_pg, wait_for)

SUITE = Suite()
test = SUITE.test


def pg_only():
    if not on_pg():
        raise Skip("several engines share a PostgreSQL database only")


def engines(s, n, apps=(("essai",),)):
    """n engines on one database: the first makes it; apps[i] are engine i's folders."""
    out = []
    for i in range(n):
        a = apps[i] if i < len(apps) else ()
        out.append(Server(s.binary, apps=a, share=out[0] if out else None))
    return out


def stop_all(es):
    for e in reversed(es):
        e.cleanup()


def served(e, app):
    try:
        return Client(e).get(f"/a/{app}/").status in (200, 302, 303)
    except OSError:
        return False


def copy_app(e, app, as_name=None):
    shutil.copytree(os.path.join(ROOT, "tests", "apps", app), os.path.join(e.apps, as_name or app))


@test
def a_folder_copied_on_one_engine_is_served_by_all_within_2_s(s):
    pg_only()
    es = engines(s, 2, apps=((), ()))
    try:
        for e in es:
            e.start()
        assert not served(es[1], "essai")
        copy_app(es[0], "essai")
        t0 = time.time()
        assert wait_for(lambda: served(es[1], "essai"), timeout=5), es[1].log_text()[-2000:]
        assert time.time() - t0 < 2.5, time.time() - t0
        assert served(es[0], "essai")
        # One release, one audit line (by the engine that published), tables made once.
        assert es[0].sql_one("system", "SELECT count(*) FROM _releases WHERE app = 'essai'") == 1
        assert es[0].sql_one("system", "SELECT count(*) FROM audit WHERE action = 'app.load'") == 1
        # A new version, copied on the second engine this time.
        path = os.path.join(es[1].apps, "essai")
        shutil.copytree(os.path.join(ROOT, "tests", "apps", "essai"), path)
        with open(os.path.join(path, "app.lua")) as f:
            text = f.read()
        with open(os.path.join(path, "app.lua"), "w") as f:
            f.write(text.replace('title = "Essai"', 'title = "Essai deux"', 1))
        assert wait_for(lambda: "Essai deux" in Client(es[0]).get("/").text, timeout=5), \
            es[0].log_text()[-2000:]
    finally:
        stop_all(es)


@test
def a_broken_version_is_refused_and_the_last_good_one_serves_everywhere(s):
    pg_only()
    es = engines(s, 2, apps=(("essai",), ()))
    try:
        for e in es:
            e.start()
        assert wait_for(lambda: served(es[1], "essai"), timeout=5)
        with open(os.path.join(es[0].apps, "essai", "app.lua"), "a") as f:
            f.write("\nce n'est pas du Lua\n")
        assert wait_for(lambda: "not loaded" in es[0].log_text(), timeout=5), es[0].log_text()[-2000:]
        time.sleep(1.5)  # a scan of the other engine, which must change nothing
        assert served(es[0], "essai") and served(es[1], "essai")
        assert es[0].sql_one("system", "SELECT count(*) FROM _releases WHERE app = 'essai'") == 1
        assert es[0].sql_one("system", "SELECT count(*) FROM audit WHERE action = 'app.refused'") == 1
        root = Client(es[0]).login("admin", ADMIN_PASSWORD)
        assert "ce n" in root.get("/admin").text or "essai" in root.get("/admin").text
    finally:
        stop_all(es)


@test
def removing_the_folder_that_is_served_withdraws_the_app_everywhere(s):
    pg_only()
    es = engines(s, 2, apps=(("essai",), ()))
    try:
        for e in es:
            e.start()
        assert wait_for(lambda: served(es[1], "essai"), timeout=5)
        shutil.rmtree(os.path.join(es[0].apps, "essai"))
        assert wait_for(lambda: not served(es[1], "essai"), timeout=5), es[1].log_text()[-2000:]
        assert wait_for(lambda: not served(es[0], "essai"), timeout=5)
        # Copied back: served again, its data intact.
        copy_app(es[1], "essai")
        assert wait_for(lambda: served(es[0], "essai"), timeout=5)
    finally:
        stop_all(es)


@test
def three_engines_started_at_once_on_an_empty_database_come_up_healthy(s):
    pg_only()
    es = engines(s, 3, apps=(("essai", "flux"), ("essai", "flux"), ("essai", "flux")))
    try:
        procs = []
        for e in es:  # not waiting for one before starting the next
            procs.append(e)
        import threading
        errors = []

        def start(e):
            try:
                e.start()
            except Exception as x:  # noqa: BLE001
                errors.append(str(x))
        th = [threading.Thread(target=start, args=(e,)) for e in es]
        for t in th:
            t.start()
        for t in th:
            t.join()
        assert not errors, errors
        for e in es:
            assert Client(e).get("/healthz").status == 200
            assert wait_for(lambda e=e: served(e, "essai") and served(e, "flux"), timeout=5)
        # Each app published once (the same folders everywhere), one admin.
        assert es[0].sql_one("system", "SELECT count(*) FROM _releases") == 2, \
            es[0].sql("system", "SELECT app, hash, by FROM _releases")
        assert es[0].sql_one("system", "SELECT count(*) FROM users WHERE admin <> 0") == 1
        for e in es:
            assert e.sanitizer_report() is None
    finally:
        stop_all(es)


@test
def throttles_count_across_engines(s):
    pg_only()
    es = engines(s, 2, apps=(("essai",), ()))
    try:
        for e in es:
            e.start()
        assert wait_for(lambda: served(es[1], "essai"), timeout=5)
        # Anonymous submissions: 20 a minute per address, whichever engine takes them.
        codes = []
        for i in range(21):
            c = Client(es[i % 2])
            r = c.post_form("/a/essai/signalement/new", {"lieu": f"Rue {i}", "description": "Trou"})
            codes.append(r.status)
        assert codes[:20] == [303] * 20 and codes[20] == 429, codes
        assert es[0].sql_one("essai", "SELECT count(*) FROM signalement") == 20
        # Sign-in: 20 failures a minute per address, counted together.
        codes = []
        for i in range(21):
            c = Client(es[i % 2])
            c.get("/login")
            r = c.post_form("/login", {"login": f"personne{i}", "password": "faux", "next": "/"})
            codes.append(r.status)
        assert codes[20] == 429 and 429 not in codes[:20], codes
    finally:
        stop_all(es)


@test
def three_ticks_at_once_move_each_record_once(s):
    pg_only()
    es = engines(s, 1, apps=(("flux",),))
    e = es[0]
    try:
        e.env["SMALLAPPS_NOW"] = "2026-03-01T09:00:00Z"
        e.start()
        for i in range(12):
            r = Client(e).post_form("/a/flux/dossier/new", {
                "objet": f"Dossier {i}", "montant": "10", "courriel": f"c{i}@example.org"})
            assert r.status == 303, r.text[:300]
        e.stop()
        import subprocess
        env = dict(e.env, SMALLAPPS_NOW="2026-03-07T09:00:00Z")   # past expirer's 5 days
        cmd = [e.binary, "tick", "--apps", e.apps, *e.storage_args()]
        ps = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True) for _ in range(3)]
        outs = [p.communicate(timeout=60) for p in ps]
        assert all(p.returncode == 0 for p in ps), outs
        moved = [o for o, _ in outs if o.startswith("12 ")]
        assert len(moved) == 1, outs
        assert sum("celui de" in o for o, _ in outs) == 2, outs
        # Each record moved once, with one expiry mail each.
        assert e.sql_one("flux", "SELECT count(*) FROM _history WHERE transition = 'expirer'") == 12
        assert e.sql_one("flux", "SELECT count(*) FROM dossier WHERE _state = 'expire'") == 12
        assert e.sql_one("flux", "SELECT count(*) FROM _outbox WHERE subject LIKE '%expiré'") == 12
    finally:
        stop_all(es)


@test
def one_idempotency_key_through_two_engines_makes_one_record(s):
    pg_only()
    es = engines(s, 2, apps=(("essai",), ()))
    try:
        for e in es:
            e.start()
        es[0].add_user("alice", roles=["essai:demandeur"])
        tok = es[0].token("alice")
        assert wait_for(lambda: served(es[1], "essai"), timeout=5)
        import threading
        answers = []
        body = {"fields": {"objet": "Chaises", "quantite": 4, "categorie": "a"}}

        def send(e):
            answers.append(Client(e, token=tok).api(
                "POST", "/apps/essai/demande/records", body,
                headers={"Idempotency-Key": "deux-moteurs-1"}))
        th = [threading.Thread(target=send, args=(es[i % 2],)) for i in range(8)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        assert es[0].sql_one("essai", "SELECT count(*) FROM demande") == 1
        ok = [a for a in answers if a.status == 201]
        assert ok and all(a.status in (201, 409) for a in answers), [a.status for a in answers]
        assert len({a.json()["id"] for a in ok}) == 1
        # Later retries, on either engine, get the first answer.
        for e in es:
            r = Client(e, token=tok).api("POST", "/apps/essai/demande/records", body,
                                         headers={"Idempotency-Key": "deux-moteurs-1"})
            assert r.status == 201 and r.header("Idempotent-Replayed") == "true", r.text
    finally:
        stop_all(es)


def behind_proxy(es):
    """The engines' options to believe the proxy's X-Forwarded-For, on fixed ports."""
    for e in es:
        e.fixed_port = free_port()
        e.serve_args = ["--listen", f"127.0.0.1:{e.fixed_port}", "--trust-header",
                        "X-Forwarded-For", "--trusted-proxies", "127.0.0.1"]


@test
def behind_haproxy_two_engines_behave_like_one_server(s):
    pg_only()
    es = engines(s, 2, apps=(("essai",), ("essai",)))
    proxy = None
    try:
        behind_proxy(es)
        for e in es:
            e.start()
        es[0].add_user("alice", roles=["essai:demandeur"])
        es[0].add_user("agathe")
        proxy = HAProxy(es).start()
        # A session made through one engine is good on the other (round robin).
        alice = Client(proxy, source="127.0.0.21").login("alice")
        for _ in range(4):
            assert alice.get("/a/essai/demande/").status == 200
        # The page a create redirects to shows the record, whichever engine serves it.
        for i in range(10):
            r = alice.post_form("/a/essai/demande/new",
                                {"objet": f"Chaise {i}", "quantite": "2", "categorie": "a"})
            assert r.status == 303, r.text[:300]
            page = alice.get(r.header("Location"))
            assert page.status == 200 and f"Chaise {i}" in page.text, page.status
        # A grant made on one engine holds on the other at once; so does a sign-out.
        agathe = Client(proxy, source="127.0.0.22").login("agathe")
        assert agathe.get("/a/essai/demande/").status == 403
        es[1].cli("user", "grant", "agathe", "essai:agent")
        assert all(agathe.get("/a/essai/demande/").status == 200 for _ in range(4))
        es[0].cli("user", "revoke", "agathe", "essai:agent")
        assert all(agathe.get("/a/essai/demande/").status == 403 for _ in range(4))
        r = agathe.post_form("/logout", {})
        assert r.status in (302, 303)
        assert all(agathe.get("/a/essai/demande/").status in (302, 303, 401) for _ in range(4))
        # The client is the address the proxy appended: the throttle counts it, not the proxy.
        citizen = Client(proxy, source="127.0.0.23")
        codes = [citizen.post_form("/a/essai/signalement/new",
                                   {"lieu": f"Place {i}", "description": "Banc"}).status
                 for i in range(21)]
        assert codes[:20] == [303] * 20 and codes[20] == 429, codes
        neighbour = Client(proxy, source="127.0.0.24")
        assert neighbour.post_form("/a/essai/signalement/new",
                                   {"lieu": "Quai", "description": "Lampe"}).status == 303
        audit = es[0].sql("system", "SELECT target FROM audit WHERE action = 'login' "
                                    "ORDER BY id")
        assert {"127.0.0.21", "127.0.0.22"} <= {a["target"] for a in audit}, audit
    finally:
        if proxy:
            proxy.stop()
        stop_all(es)


@test
def one_engine_killed_behind_haproxy_loses_only_its_requests_in_flight(s):
    pg_only()
    import signal
    import threading
    es = engines(s, 2, apps=(("essai",), ("essai",)))
    proxy = None
    try:
        behind_proxy(es)
        for e in es:
            e.start()
        es[0].add_user("alice", roles=["essai:demandeur"])
        tok = es[0].token("alice")
        proxy = HAProxy(es).start()
        acked, failures, stop = [], [], threading.Event()

        def load(n):
            c = Client(proxy, token=tok)
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    r = c.api("POST", "/apps/essai/demande/records", {"fields": {
                        "objet": f"w{n}-{i}", "quantite": 1, "categorie": "a"}})
                    (acked if r.status == 201 else failures).append(
                        f"w{n}-{i}" if r.status == 201 else r.status)
                except OSError as x:
                    failures.append(str(x))
        th = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in th:
            t.start()
        wait_for(lambda: len(acked) > 100, timeout=30)
        es[0].proc.send_signal(signal.SIGKILL)
        es[0].proc.wait()
        before = len(acked)
        wait_for(lambda: len(acked) > before + 200, timeout=30)
        # It rejoins once restarted.
        es[0].start()
        wait_for(lambda: "UP" in open(proxy.log.name).read() or len(acked) > before + 400,
                 timeout=30)
        stop.set()
        for t in th:
            t.join()
        # Only the dead engine's requests in flight failed (a handful at most).
        assert len(failures) <= 8, failures[:20]
        rows = es[1].sql("essai", "SELECT objet FROM demande")
        stored = [r["objet"] for r in rows]
        assert set(acked) <= set(stored), len(set(acked) - set(stored))
        assert len(stored) == len(set(stored)), "a create was stored twice"
    finally:
        if proxy:
            proxy.stop()
        stop_all(es)


@test
def postgresql_restarted_under_load_answers_503_fast_and_loses_nothing(s):
    pg_only()
    import subprocess
    import threading
    pgdir = os.environ.get("SMALLAPPS_TEST_PGDIR")
    if not pgdir:
        raise Skip("SMALLAPPS_TEST_PGDIR: the test server's folder, to restart it")
    es = engines(s, 1, apps=(("essai",),))
    e = es[0]
    try:
        e.start()
        e.add_user("alice", roles=["essai:demandeur"])
        tok = e.token("alice")
        acked, statuses, slow, stop = [], [], [], threading.Event()

        def load(n):
            c = Client(e, token=tok)
            i = 0
            while not stop.is_set():
                i += 1
                t0 = time.time()
                try:
                    r = c.api("POST", "/apps/essai/demande/records", {"fields": {
                        "objet": f"p{n}-{i}", "quantite": 1, "categorie": "a"}})
                except OSError as x:
                    statuses.append(str(x))
                    continue
                if time.time() - t0 > 5:
                    slow.append(time.time() - t0)
                statuses.append(r.status)
                if r.status == 201:
                    acked.append(f"p{n}-{i}")
                elif r.status == 503:
                    assert r.header("Retry-After"), r.headers
        th = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for t in th:
            t.start()
        wait_for(lambda: len(acked) > 50, timeout=30)
        # Stopped for a few seconds, then back.
        bin_dir = subprocess.run("ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1",
                                 shell=True, capture_output=True, text=True).stdout.strip()
        as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run(as_pg + [f"{bin_dir}/pg_ctl", "-D", f"{pgdir}/data", "-m", "fast",
                                "-w", "stop"], check=True, capture_output=True)
        down = time.time()
        assert wait_for(lambda: Client(e).get("/healthz").status == 503, timeout=5)
        time.sleep(3)
        subprocess.run(["bash", os.path.join(ROOT, "tests", "pg.sh"), "restart", pgdir],
                       capture_output=True)  # its stop finds nothing, its start brings it back
        up = time.time()
        assert wait_for(lambda: Client(e).get("/healthz").status == 200, timeout=10)
        assert time.time() - up < 3.5, time.time() - up
        n = len(acked)
        wait_for(lambda: len(acked) > n + 50, timeout=30)
        stop.set()
        for t in th:
            t.join()
        assert 503 in statuses, sorted(set(map(str, statuses)))
        assert all(x in (201, 503) for x in statuses), sorted(set(map(str, statuses)))
        assert not slow, slow
        stored = [r["objet"] for r in e.sql("essai", "SELECT objet FROM demande")]
        assert set(acked) <= set(stored) and len(stored) == len(set(stored))
        assert e.sanitizer_report() is None
        del down
    finally:
        stop_all(es)


def make_server(binary):
    return Server(binary, apps=())


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
