#!/usr/bin/env python3
"""Writes the hand-made seed inputs of tests/fuzz/corpus/<target>/ (run from anywhere).

The seeds are real requests, bodies, cursors and definitions as the HTTP tests
(tests/http/*.py) and the example apps use them, one small file each. Files written
here are named seed-*; files libFuzzer added (make fuzz-merge) have hash names and are
left alone. Run it again after changing a seed below, then review `git status`.
"""
import base64
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

VALID_FORM = ("objet=Tables+%3Cfz%3E&details=Pour+la+salle&quantite=3&taux=12%2C5"
              "&montant=1+234%2C56&le=23%2F11%2F2026&rdv=2026-11-23T10%3A30"
              "&courriel=a%40example.fr&tel=01+23+45+67+89&cp=34200&siret=73282932000074"
              "&siren=732829320&iban=FR76+3000+6000+0112+3456+7890+189"
              "&site=https%3A%2F%2Fexample.fr&categorie=b&tags=x&tags=y&precision=bleu")
VALID_JSON = {"objet": "Tables <fz>", "details": "Pour la salle", "quantite": 3, "taux": 12.5,
              "montant": "1234.56", "urgent": True, "motif": "vite", "le": "2026-11-23",
              "rdv": "2026-11-23T10:30:00+01:00", "courriel": "a@example.fr",
              "tel": "+33 1 23 45 67 89", "cp": "34200", "siret": "73282932000074",
              "siren": "732829320", "iban": "FR7630006000011234567890189",
              "site": "https://example.fr/a?b=c", "categorie": "b", "tags": ["x", "z"],
              "precision": "bleu"}


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# Lengths of what tests/fuzz/http.c puts in place of its placeholders: an API token
# ("sa_" and 64 hex digits), a session cookie and a CSRF token (64 hex digits each).
PLACEHOLDER_LEN = {b"T": 67, b"S": 64, b"C": 64}


def substituted_len(body):
    """The body's length once http.c has replaced its placeholders (@TA@, @CD@, ...)."""
    n = len(body)
    for kind, size in PLACEHOLDER_LEN.items():
        for who in (b"A", b"G", b"D"):
            n += body.count(b"@" + kind + who + b"@") * (size - 4)
    return n


def req(method, path, headers=(), body=b""):
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += list(headers)
    if body:
        lines.append(f"Content-Length: {substituted_len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


FORM = "Content-Type: application/x-www-form-urlencoded"
JSONCT = "Content-Type: application/json"
ANON_CSRF = "0123456789abcdef0123456789abcdef"
ANON = "Cookie: sa_csrf=" + ANON_CSRF
API = "/api/v1/apps/essai/demande/records"


def bearer(who):
    return f"Authorization: Bearer @T{who}@"


def session(who):
    return f"Cookie: sa_session=@S{who}@"


def http():
    t = "http"
    write(t, "healthz", req("GET", "/healthz"))
    write(t, "head-healthz", req("HEAD", "/healthz"))
    write(t, "portal-en", req("GET", "/", ["Accept-Language: en-GB,en;q=0.8"]))
    write(t, "portal-lang", req("GET", "/?lang=en", ["Cookie: sa_lang=fr; other=1"]))
    write(t, "static", req("GET", "/static/style.css"))
    write(t, "metrics", req("GET", "/metrics"))
    write(t, "app-anon", req("GET", "/a/essai/"))
    write(t, "list-agent", req("GET", "/a/essai/demande/?q=Tables&sort=-quantite&categorie=a"
                                      "&urgent=true", [session("G")]))
    write(t, "new-form", req("GET", "/a/essai/demande/new", [session("D")]))
    write(t, "create-form", req("POST", "/a/essai/demande/new", [session("D"), FORM],
                                VALID_FORM + "&_csrf=@CD@"))
    write(t, "create-anon", req("POST", "/a/essai/signalement/new", [ANON, FORM],
                                "lieu=Quai+%3Cfz%3E&description=Trou&_csrf=" + ANON_CSRF))
    write(t, "record-page", req("GET", "/a/essai/demande/1?ok=1", [session("G")]))
    write(t, "edit-form", req("POST", "/a/essai/demande/1/edit", [session("G"), FORM],
                              "_csrf=@CG@&version=1&objet=Chaises&quantite=4"))
    write(t, "transition-form", req("POST", "/a/essai/demande/1/do/traiter", [session("G"), FORM],
                                    "_csrf=@CG@"))
    write(t, "delete-form", req("POST", "/a/essai/demande/2/delete", [session("A"), FORM],
                                "_csrf=@CA@"))
    write(t, "login-page", req("GET", "/login?next=/a/essai/"))
    write(t, "login", req("POST", "/login", [ANON, FORM],
                          "login=admin&password=fuzz-admin-pw&next=%2Fa%2Fessai%2F&_csrf="
                          + ANON_CSRF))
    write(t, "login-evil-next", req("GET", "/login?next=/%09/evil.example"))
    write(t, "logout", req("POST", "/logout", [session("D"), FORM], "_csrf=@CD@"))
    write(t, "admin", req("GET", "/admin/outbox?lang=en", [session("A")]))
    write(t, "tracking", req("GET", "/suivi/" + "ab" * 20 + "?recu=1"))
    write(t, "api-openapi", req("GET", "/api/v1/openapi.json"))
    write(t, "api-apps", req("GET", "/api/v1/apps", [bearer("D")]))
    write(t, "api-app", req("GET", "/api/v1/apps/essai", [bearer("D")]))
    write(t, "api-create", req("POST", API, [bearer("D"), JSONCT],
                               json.dumps({"fields": VALID_JSON})))
    write(t, "api-list", req("GET", API + "?limit=2&sort=-quantite&q=Ta&state=deposee",
                             [bearer("A")]))
    after = cursor("-created_at", "2026-11-23T10:00:00Z", 1)
    write(t, "api-list-after", req("GET", API + "?limit=1&after=" + after, [bearer("G")]))
    write(t, "api-get", req("GET", API + "/1", [bearer("A")]))
    write(t, "api-patch", req("PATCH", API + "/1", [bearer("G"), JSONCT, 'If-Match: "1"'],
                              '{"fields":{"objet":"Bancs","note_interne":"vu"}}'))
    write(t, "api-history", req("GET", API + "/1/history", [bearer("G")]))
    write(t, "api-transition", req("POST", API + "/1/transitions/traiter", [bearer("G"), JSONCT],
                                   '{}'))
    write(t, "api-delete", req("DELETE", API + "/3", [bearer("A")]))
    write(t, "api-anon-create", req("POST", "/api/v1/apps/essai/signalement/records", [JSONCT],
                                    '{"lieu":"Quai","description":"Trou"}'))
    write(t, "api-cookie-csrf", req("POST", API, [session("D"), "X-CSRF-Token: @CD@", JSONCT],
                                    '{"objet":"a","quantite":2}'))
    write(t, "pipelined",
          req("GET", "/healthz") + req("HEAD", "/a/essai/") + req("GET", "/api/v1/apps"))
    write(t, "chunked", b"POST /api/v1/apps/essai/signalement/records HTTP/1.1\r\nHost: x\r\n"
                        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                        b"7\r\n{\"lieu\"\r\n17\r\n:\"Q\",\"description\":\"T\"}\r\n0\r\n\r\n")
    write(t, "expect-continue", req("POST", API, [bearer("D"), JSONCT, "Expect: 100-continue"],
                                    '{"objet":"a","quantite":2}'))
    write(t, "forwarded", req("GET", "/a/essai/",
                              ["X-Forwarded-For: 203.0.113.7, 10.0.0.1",
                               "X-Forwarded-For: [2001:db8::1]:443, 127.0.0.1"]))
    write(t, "http10", b"GET /a/essai/demande/ HTTP/1.0\r\nCookie: sa_session=@SA@\r\n\r\n")
    write(t, "nul-path", req("GET", "/a/essai/%00?q=%00"))
    write(t, "odd-paths", req("GET", "//evil.example/") + req("GET", "/static/../app.lua"))
    b = "----fz"
    mp = f"Content-Type: multipart/form-data; boundary={b}"
    part = lambda k, v: f'--{b}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
    filepart = (f'--{b}\r\nContent-Disposition: form-data; name="description"; '
                f'filename="../<fz>.png"\r\nContent-Type: image/png\r\n\r\n'
                "\x89PNG\r\n\x1a\n<fz>\r\n")
    write(t, "multipart-anon", req("POST", "/a/essai/signalement/new", [ANON, mp],
                                   part("lieu", "Quai <fz>") + part("_csrf", ANON_CSRF)
                                   + filepart + f"--{b}--\r\n"))
    write(t, "multipart-form", req("POST", "/a/essai/demande/new", [session("D"), mp],
                                   part("objet", "Tables") + part("quantite", "2")
                                   + part("_csrf", "@CD@") + f"--{b}--\r\n"))
    write(t, "multipart-api", req("POST", API, [bearer("D"), mp],
                                  part("objet", "Tables") + part("quantite", "3")
                                  + filepart + f"--{b}--\r\n"))
    write(t, "multipart-cut", req("POST", "/a/essai/signalement/new", [ANON, mp],
                                  part("lieu", "Quai") + filepart[:40]))


def urlencoded():
    t = "urlencoded"
    write(t, "valid", VALID_FORM)
    write(t, "urgent", "objet=A&quantite=1&urgent=on&motif=tout+de+suite&categorie=a")
    write(t, "escapes", "objet=%C3%A9t%C3%A9+%E2%82%AC&quantite=100"
                        "&montant=10%C2%A0000%2C00+%E2%82%AC")
    write(t, "bad-escape", "objet=%4&quantite=%zz")
    write(t, "empty-pairs", "&&=&objet&quantite=&=x&")
    write(t, "not-writable", "objet=a&quantite=2&total=9&reference=R&note_interne=n&id=4")
    write(t, "bounds", "objet=interdit&quantite=13&le=31%2F12%2F2019&taux=1%2C234"
                       "&tags=x&tags=y&tags=z")
    write(t, "french-numbers", "objet=x&quantite=1+000&taux=-0%2C5&montant=-12+%E2%82%AC"
                               "&tel=%2B33612345678")
    write(t, "bad-utf8", b"objet=%C3%28&quantite=%ED%A0%80")


def json_record():
    t = "json_record"
    write(t, "valid", json.dumps({"fields": VALID_JSON}))
    write(t, "bare", json.dumps({"objet": "a", "quantite": 1}))
    write(t, "types", json.dumps({"objet": 5, "quantite": "3", "taux": "12,5", "montant": 12.345,
                                  "urgent": "true", "le": 20261123, "tags": "x",
                                  "categorie": ["a"]}))
    write(t, "nulls", json.dumps({"fields": {k: None for k in VALID_JSON}}))
    write(t, "duplicate", '{"objet":"a","objet":"b","quantite":1}')
    write(t, "not-writable", json.dumps({"objet": "a", "quantite": 2, "total": 4, "reference": "R",
                                         "note_interne": "n", "id": 3, "state": "traitee"}))
    write(t, "bounds", json.dumps({"objet": "x" * 51, "quantite": 101, "montant": "10000.01",
                                   "le": "2019-12-31", "tags": ["x", "y", "z"],
                                   "rdv": "2026-02-30T10:00"}))
    write(t, "huge-numbers", '{"objet":"a","quantite":9223372036854775807,"taux":1e308,'
                             '"montant":-9223372036854775808}')
    write(t, "unicode", json.dumps({"objet": "\u00e9t\u00e9 \U0001F600", "details": "a\u2028b",
                                    "quantite": 7}))
    write(t, "hooks", json.dumps({"objet": "interdit", "quantite": 13}))
    write(t, "wrapped-extra", json.dumps({"fields": {"objet": "a"}, "comment": "x"}))


def cursor(key, value, rid):
    raw = json.dumps([key, value, rid], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def list_query():
    t = "list_query"
    write(t, "empty", "")
    write(t, "limit", "limit=2")
    write(t, "sort-id", "limit=3&sort=id")
    write(t, "sort-desc-field", "limit=2&sort=-quantite")
    write(t, "sort-text", "limit=4&sort=objet&q=a")
    write(t, "after-created", "limit=2&after=" + cursor("-created_at", "2026-11-20T10:00:00Z", 3))
    write(t, "after-null", "limit=2&sort=taux&after=" + cursor("taux", None, 2))
    write(t, "after-wrong-sort", "sort=id&after=" + cursor("-created_at", "x", 1))
    write(t, "after-garbage", "after=not*a*cursor")
    write(t, "filters", "categorie=a&urgent=true&tags=x&state=deposee")
    write(t, "bad-filter", "urgent=peut-etre&inconnu=1")
    write(t, "search-like", "q=%25_%5C&limit=500")
    write(t, "scope-own", "_scope=own&sort=-updated_at&limit=1")
    write(t, "scope-none", "_scope=none&limit=5")
    write(t, "overdue", "overdue=true&state=deposee&sort=state")
    write(t, "private-search", "q=secret&_readable=0")


def definition():
    t = "definition"
    # Real definitions, used as text (the target reads a file starting with "--",
    # "return" or "local" as app.lua itself).
    for src in sorted(os.listdir(os.path.join(ROOT, "apps"))):
        p = os.path.join(ROOT, "apps", src, "app.lua")
        if os.path.exists(p):
            write(t, "app-" + src, open(p, "rb").read())
    for src in ("essai", "flux", "commandes"):
        p = os.path.join(ROOT, "tests", "apps", src, "app.lua")
        if os.path.exists(p):
            write(t, "test-" + src, open(p, "rb").read())
    broken = os.path.join(ROOT, "tests", "broken")
    for src in ("unknown-field-key", "cyclic-table", "transition-unknown-states", "visible-if",
                "unreachable-state", "choice-options", "min-greater-than-max", "state-moves-bad",
                "after-days-cycle", "privacy-bad", "wrong-value-types", "bad-pattern"):
        p = os.path.join(broken, src, "app.lua")
        if os.path.exists(p):
            write(t, "broken-" + src, open(p, "rb").read())
    # Generator mode: bytes that steer the structured generator (any non-text input).
    # Choices default to 0, which makes a definition the checker accepts: the empty
    # input is the smallest valid app, sparse bytes are small changes to it.
    write(t, "gen-default", b"")
    write(t, "gen-sparse", bytes([0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]))
    for i, seed in enumerate([bytes(range(1, 64)), bytes([7, 3, 1, 2, 9, 4] * 10),
                              bytes([0xff, 0x10, 0x80, 0x22] * 16)]):
        write(t, f"gen-{i}", seed)


def netaddr():
    t = "netaddr"
    write(t, "proxies", "10.0.0.0/8, 192.0.2.7, ::1, fd00::/8\n203.0.113.7, 10.0.0.1\n192.0.2.7")
    write(t, "mapped", "::ffff:10.0.0.0/104\n::ffff:198.51.100.1, [::ffff:10.1.2.3]:8080")
    write(t, "ports", "\n[2001:db8::1]:443 ,  198.51.100.9:80,,")
    write(t, "malformed", "127.0.0.1\nunknown, 203.0.113.1, 127.0.0.2")
    write(t, "spaces", " 2001:db8::/32\t127.0.0.0/8\n \t, 2001:db8:1::5 ,\t2001:db8::7")
    write(t, "bad-list", "10.0.0.0/33\n1.2.3.4")


def local_path():
    t = "local_path"
    for i, s in enumerate(["/a/essai/", "//evil.example", "/\\evil.example", " /\t/evil.example",
                           "https://evil.example/", "/login?next=/a", "\x01/a", "/a\x7fb",
                           "/\r\n/evil", "  /ok  ", "\\\\evil", "/a\\b"]):
        write(t, f"{i:02d}", s)


if __name__ == "__main__":
    for d in ("http", "urlencoded", "json_record", "list_query", "definition", "netaddr",
              "local_path"):
        p = os.path.join(CORPUS, d)
        if os.path.isdir(p):
            for f in os.listdir(p):
                if f.startswith("seed-"):
                    os.unlink(os.path.join(p, f))
    http()
    urlencoded()
    json_record()
    list_query()
    definition()
    netaddr()
    local_path()
