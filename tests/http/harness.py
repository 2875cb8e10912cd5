"""Test harness: starts the real `smallapps serve` on a free loopback port and talks
HTTP to it, as browsers and programs do. Standard library only."""
import html
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ADMIN_PASSWORD = "admin-secret-42"

# make test runs the suite twice: on SQLite files, then on the throw-away PostgreSQL that
# tests/pg.sh started (SMALLAPPS_TEST_DATABASE: a key=value string to its maintenance
# database). There every Server gets a database of its own.
PG_SERVER = os.environ.get("SMALLAPPS_TEST_DATABASE") or None
_made = [0]


def on_pg():
    return PG_SERVER is not None


def psql(conninfo, query):
    """Runs query with psql; rows as dicts (ints as ints, NULL as None)."""
    import csv
    import io
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--csv", "-P", "null=\\N",
                        conninfo, "-c", query], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError(f"psql: {query}: {p.stderr}")
    table = list(csv.reader(io.StringIO(p.stdout)))
    if not table:
        return []
    head = table[0]
    return [dict(zip(head, (None if v == "\\N" else int(v) if re.fullmatch(r"-?\d+", v) else v
                            for v in row))) for row in table[1:]]


def sql_literal(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (int, float)):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


class Server:
    """One engine process with its own apps/ and data/ folders."""

    def __init__(self, binary, apps=("essai",), env=None, example_apps=False, share=None):
        self.binary = os.path.abspath(binary)
        self.tmp = tempfile.mkdtemp(prefix="smallapps-test-")
        self.apps = os.path.join(self.tmp, "apps")
        self.data = os.path.join(self.tmp, "data")
        os.makedirs(self.apps)
        for a in apps:
            shutil.copytree(os.path.join(ROOT, "tests", "apps", a), os.path.join(self.apps, a))
        if example_apps:
            for a in os.listdir(os.path.join(ROOT, "apps")):
                shutil.copytree(os.path.join(ROOT, "apps", a), os.path.join(self.apps, a))
        self.env = dict(os.environ)
        self.env["SMALLAPPS_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        self.env["SMALLAPPS_STDLIB"] = os.path.join(ROOT, "stdlib-lua")
        self.env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.logs = []
        self.prefix = []          # a command to run the server under (e.g. prlimit)
        self.serve_args = []      # more options for `smallapps serve`
        self.database = None      # PostgreSQL: this server's own database
        self.owns_database = share is None
        if share is not None:     # another engine of the same cluster (PostgreSQL)
            self.database, self.dbname = share.database, share.dbname
        elif PG_SERVER:
            _made[0] += 1
            self.dbname = f"sa_h_{os.getpid()}_{_made[0]}"
            psql(PG_SERVER, f'CREATE DATABASE "{self.dbname}"')
            self.database = f"{PG_SERVER} dbname={self.dbname}"

    def storage_args(self):
        return ["--data", self.data] + (["--database", self.database] if self.database else [])

    def sql(self, db, query, params=()):
        """A raw look at a database beside the engine: db is "system" or an app id. The
        query names tables unqualified and uses ? for params. Rows as dicts."""
        if self.database:
            parts = query.split("?")
            assert len(parts) == len(params) + 1, (query, params)
            text = parts[0] + "".join(sql_literal(v) + rest for v, rest in zip(params, parts[1:]))
            schema = "smallapps" if db == "system" else "app_" + db
            return psql(f"{self.database} options='-c search_path={schema}'", text)
        path = os.path.join(self.data, "system.db" if db == "system" else f"apps/{db}.db")
        con = sqlite3.connect(path, timeout=10, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(query, params).fetchall()]
        finally:
            con.close()

    def sql_one(self, db, query, params=()):
        """The first column of the first row (None: no row)."""
        rows = self.sql(db, query, params)
        return next(iter(rows[0].values())) if rows else None

    def cli(self, *args, stdin=None, check=True):
        p = subprocess.run([self.binary, *args, "--apps", self.apps, *self.storage_args()],
                           input=stdin, capture_output=True, text=True, env=self.env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"smallapps {' '.join(args)} failed: {p.stderr}{p.stdout}")
        return p

    def start(self):
        port_file = os.path.join(self.tmp, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        log = open(os.path.join(self.tmp, f"server{len(self.logs)}.log"), "w")
        self.logs.append(log.name)
        self.proc = subprocess.Popen(
            self.prefix + [self.binary, "serve", "--apps", self.apps, *self.storage_args(),
             "--listen", "127.0.0.1:0", "--threads", "2", "--port-file", port_file,
             *self.serve_args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("server exited at start:\n" + self.log_text())
            if os.path.exists(port_file):
                txt = open(port_file).read().strip()
                if txt:
                    self.port = int(txt)
                    try:
                        if Client(self).get("/healthz").status == 200:
                            return self
                    except OSError:
                        pass
            time.sleep(0.05)
        raise AssertionError("server did not start:\n" + self.log_text())

    def log_text(self):
        return "".join(open(l).read() for l in self.logs if os.path.exists(l))

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def sanitizer_report(self):
        text = self.log_text()
        m = re.search(r"(ERROR: (Address|Leak)Sanitizer.*|.*runtime error:.*)", text)
        return m.group(0) if m else None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.database and self.owns_database:
            psql(PG_SERVER, f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.database = None

    def add_user(self, login, password="motdepasse", roles=(), admin=False):
        args = ["user", "add", login, "--password-stdin", "--name", login.capitalize()]
        if admin:
            args.append("--admin")
        self.cli(*args, stdin=password + "\n")
        for r in roles:
            self.cli("user", "grant", login, r)
        return login

    def token(self, login):
        return self.cli("token", "create", login).stdout.strip()


class HAProxy:
    """Debian's haproxy in front of engines: round robin, no stickiness, health checks on
    /healthz, X-Forwarded-For appended (start the engines with trusted_proxy())."""

    def __init__(self, servers):
        self.tmp = tempfile.mkdtemp(prefix="smallapps-haproxy-")
        self.servers = servers
        self.port = free_port()
        self.proc = None

    def start(self):
        lines = ["global", "  maxconn 2000", "defaults", "  mode http", "  timeout connect 2s",
                 "  timeout client 30s", "  timeout server 30s", "  retries 2",
                 "  option redispatch", "frontend fe",
                 f"  bind 127.0.0.1:{self.port}", "  default_backend engines", "backend engines",
                 "  balance roundrobin", "  option forwardfor",
                 "  option httpchk GET /healthz", "  http-check expect status 200"]
        for i, e in enumerate(self.servers):
            lines.append(f"  server e{i} 127.0.0.1:{e.port} check inter 300 fall 2 rise 2")
        cfg = os.path.join(self.tmp, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(self.tmp, "haproxy.log"), "w")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        wait_for(lambda: self._up(), timeout=15)
        return self

    def _up(self):
        try:
            return Client(self).get("/healthz").status == 200
        except OSError:
            return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.tmp, ignore_errors=True)


def free_port():
    import socket
    so = socket.socket()
    so.bind(("127.0.0.1", 0))
    port = so.getsockname()[1]
    so.close()
    return port


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.text)


class Client:
    """A browser-like client: keeps cookies, never follows redirects by itself."""

    def __init__(self, server, token=None, source=None):
        self.server = server
        self.cookies = {}
        self.token = token
        self.source = source      # a loopback address to connect from, e.g. "127.0.0.3"

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30,
                                          source_address=(self.source, 0) if self.source else None)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        resp = Response(r.status, r.getheaders(), r.read())
        conn.close()
        for k, v in resp.headers:
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                val = rest.split(";")[0]
                if "Max-Age=0" in v:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = val
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post_form(self, path, fields, csrf=True, headers=None):
        pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
        if csrf:
            pairs.append(("_csrf", self.csrf()))
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.request("POST", path, body=urllib.parse.urlencode(pairs, doseq=True), headers=h)

    def csrf(self):
        """The token a page of this client carries (fetches a page if needed)."""
        page = self.get("/login" if "sa_session" not in self.cookies else "/")
        m = re.search(r'name="_csrf" value="([0-9a-f]+)"', page.text)
        assert m, "no _csrf input on the page"
        return m.group(1)

    def login(self, login, password="motdepasse"):
        self.get("/login")
        r = self.post_form("/login", {"login": login, "password": password, "next": "/"})
        assert r.status == 303, f"login {login}: {r.status} {r.text[:300]}"
        assert "sa_session" in self.cookies
        return self

    def api(self, method, path, body=None, headers=None, raw=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        return self.request(method, "/api/v1" + path, body=data, headers=h)


def field_errors_html(text):
    """Field name -> error message, as the HTML form shows them."""
    out = {}
    for m in re.finditer(r'id="f-([a-z0-9_\[\].]+)-error"[^>]*>(.*?)</p>', text, re.S):
        msg = re.sub(r'<span class="icon"[^>]*>.*?</span>', "", m.group(2))
        msg = re.sub(r"<[^>]+>", "", msg).strip()
        out[m.group(1)] = html.unescape(re.sub(r"^(Erreur|Error)\s*:\s*", "", msg))
    return out


class Skip(Exception):
    """Raised by a test that does not apply to this run (e.g. SQLite files on PostgreSQL)."""


def sqlite_only(why):
    if on_pg():
        raise Skip(why)


class Suite:
    """The runner every HTTP test file shares: `suite = Suite()`, `@suite.test` on each
    test function (it receives the running Server), then `suite.main(make_server)`.
    Prints "ok NAME" or "FAIL NAME" with a traceback per test, checks the server stops
    cleanly on SIGTERM without a sanitizer report, and ends with "N passed, N failed"."""

    def __init__(self):
        self.tests = []

    def test(self, fn):
        self.tests.append(fn)
        return fn

    def main(self, make_server, default_binary=None):
        """make_server(binary) returns a Server, users added, not started. Exit code."""
        import argparse
        import sys
        import traceback
        ap = argparse.ArgumentParser()
        ap.add_argument("--binary", default=default_binary or os.path.join(ROOT, "build", "smallapps"))
        ap.add_argument("-k", default=None, help="run tests whose name contains this")
        args = ap.parse_args()
        s = make_server(args.binary)
        passed = failed = 0
        try:
            s.start()
            for t in self.tests:
                if args.k and args.k not in t.__name__:
                    continue
                try:
                    if s.proc is None or s.proc.poll() is not None:
                        s.start()
                    t(s)
                    print(f"ok {t.__name__}", flush=True)
                    passed += 1
                except Skip as why:
                    print(f"skip {t.__name__}: {why}", flush=True)
                except Exception:
                    failed += 1
                    print(f"FAIL {t.__name__}")
                    traceback.print_exc(limit=4, file=sys.stdout)
            rc = s.stop()
            if rc not in (0, None):
                print(f"FAIL server exit code {rc} on SIGTERM")
                failed += 1
            rep = s.sanitizer_report()
            if rep:
                print(f"FAIL sanitizer: {rep}")
                print(s.log_text()[-4000:])
                failed += 1
        finally:
            s.cleanup()
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0


def wait_for(fn, timeout=10, step=0.02):
    """Polls fn() until it returns a true value (returned) or the timeout passes (raises)."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s: {getattr(fn, '__name__', fn)}")
        time.sleep(step)
