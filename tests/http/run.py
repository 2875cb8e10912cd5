#!/usr/bin/env python3
"""HTTP tests: the real server on a free loopback port, driven like browsers and
programs drive it. Prints one line per test and ends with "N passed, N failed"."""
import argparse
import datetime
import email
import email.policy
import email.utils
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, ADMIN_PASSWORD, ROOT, Client, Server, field_errors_html, on_pg, sqlite_only  # noqa: E402
from smtp_server import TEST_CERT, TEST_KEY, SmtpServer  # noqa: E402

SUITE = Suite()
test = SUITE.test


VALID = {"objet": "Chaises", "quantite": "4", "categorie": "a"}
VALID_JSON = {"objet": "Chaises", "quantite": 4, "categorie": "a"}


def setup_users(s):
    s.add_user("alice", roles=["essai:demandeur"])
    s.add_user("bob", roles=["essai:demandeur"])
    s.add_user("agathe", roles=["essai:agent"])
    s.add_user("charles", roles=["essai:chef"])


def create_html(c, fields=None):
    r = c.post_form("/a/essai/demande/new", fields or VALID)
    assert r.status == 303, (r.status, r.text[:500])
    loc = r.header("Location")
    return int(loc.rstrip("/").split("/")[-1])


# ---------------------------------------------------------------- basics

@test
def healthz_and_security_headers(s):
    r = Client(s).get("/healthz")
    assert r.status == 200 and r.text.splitlines()[0] == "ok", r.text
    assert r.text.splitlines()[1] == "apps: 1 loaded, 0 failing", r.text
    r = Client(s).get("/")
    assert r.status == 200
    for h in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
              "X-Frame-Options"):
        assert r.header(h), f"missing {h}"
    assert '<html lang="fr"' in r.text
    assert r.text.count("<h1") == 1


@test
def unknown_routes_answer_404_in_both_doors(s):
    assert Client(s).get("/nulle/part").status == 404
    r = Client(s).get("/api/v1/nulle/part")
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"
    assert Client(s).get("/a/inconnue/").status == 404
    assert Client(s).get("/api/v1/apps/inconnue").status == 404


@test
def english_on_request(s):
    r = Client(s).get("/login?lang=en")
    assert '<html lang="en"' in r.text
    r = Client(s).get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en"' in r.text


# ---------------------------------------------------------------- login

@test
def login_needs_csrf_and_right_password(s):
    c = Client(s)
    c.get("/login")
    r = c.post_form("/login", {"login": "alice", "password": "motdepasse"}, csrf=False)
    assert r.status == 403 and "sa_session" not in c.cookies
    r = c.post_form("/login", {"login": "alice", "password": "faux"})
    assert r.status == 401 and "incorrect" in r.text
    r = c.post_form("/login", {"login": "alice", "password": "motdepasse", "next": "//evil.example/"})
    assert r.status == 303 and r.header("Location") == "/", r.header("Location")
    assert "HttpOnly" in [v for k, v in r.headers if k.lower() == "set-cookie" and "sa_session" in v][0]


@test
def logout_ends_the_session(s):
    c = Client(s).login("alice")
    sess = c.cookies["sa_session"]
    r = c.post_form("/logout", {})
    assert r.status == 303
    c2 = Client(s)
    c2.cookies["sa_session"] = sess
    r = c2.get("/a/essai/demande/")
    assert r.status == 303 and r.header("Location").startswith("/login")


# ---------------------------------------------------------------- HTML forms

@test
def html_create_then_record_page(s):
    c = Client(s).login("alice")
    r = c.get("/a/essai/demande/new")
    assert r.status == 200
    assert 'for="f-objet"' in r.text and 'id="f-objet"' in r.text
    assert "<fieldset" in r.text and "<legend" in r.text
    rid = create_html(c, dict(VALID, quantite="7", urgent="1", motif="Fuite"))
    r = c.get(f"/a/essai/demande/{rid}")
    assert r.status == 200 and "Chaises" in r.text and "Déposée" in r.text
    j = Client(s, token=s.token("alice")).api("GET", f"/apps/essai/demande/records/{rid}").json()
    assert j["fields"]["total"] == 14, j            # compute
    assert j["fields"]["reference"] == "REF-alice"  # on_create
    assert j["fields"]["motif"] == "Fuite" and j["state"] == "deposee" and j["version"] == 1


@test
def html_invalid_form_is_rerendered_with_values_and_linked_errors(s):
    c = Client(s).login("alice")
    r = c.post_form("/a/essai/demande/new", {"objet": "Mon <b>objet</b>", "quantite": "abc",
                                             "siret": "73282932000075", "categorie": "a"})
    assert r.status == 422, r.status
    errs = field_errors_html(r.text)
    assert "quantite" in errs and "siret" in errs, errs
    assert 'href="#f-quantite"' in r.text                      # summary links to the field
    assert re.search(r'id="f-quantite"[^>]*aria-invalid="true"', r.text) or \
        re.search(r'aria-invalid="true"[^>]*id="f-quantite"', r.text)
    assert "aria-describedby" in r.text and "f-quantite-error" in r.text
    assert "Mon &lt;b&gt;objet&lt;/b&gt;" in r.text            # value kept, escaped
    assert 'value="abc"' in r.text                             # what was typed is kept
    assert "<b>objet</b>" not in r.text


@test
def html_post_without_csrf_is_refused_and_nothing_saved(s):
    c = Client(s).login("bob")
    r = c.post_form("/a/essai/demande/new", dict(VALID, objet="SansJeton"), csrf=False)
    assert r.status == 403
    r = c.post_form("/a/essai/demande/new", list(VALID.items()) + [("_csrf", "0" * 64)], csrf=False)
    assert r.status == 403
    t = Client(s, token=s.token("agathe"))
    recs = t.api("GET", "/apps/essai/demande/records?q=SansJeton").json()["records"]
    assert recs == []


@test
def anonymous_submissions_are_limited_per_address_and_nothing_typed_is_lost(s):
    m = Server(s.binary, apps=("essai",))
    try:
        m.start()
        anon = Client(m)
        codes = [anon.api("POST", "/apps/essai/signalement/records",
                          {"fields": {"lieu": f"Quai {i}", "description": "Lampadaire"}}).status
                 for i in range(20)]
        assert codes == [201] * 20, codes
        r = anon.api("POST", "/apps/essai/signalement/records",
                     {"fields": {"lieu": "Quai 21", "description": "Lampadaire"}})
        assert r.status == 429 and r.header("Retry-After") == "60", (r.status, r.text)
        assert r.json()["error"]["code"] == "too_many_requests"
        # The HTML form answers 429 too, with what the citizen typed still in it.
        r = anon.post_form("/a/essai/signalement/new", {"lieu": "Rue de l'Étang", "description": "Nid-de-poule"})
        assert r.status == 429 and "patientez une minute" in r.text, (r.status, r.text[-1500:])
        assert 'value="Rue de l&#39;Étang"' in r.text, r.text[-2000:]
        assert "Nid-de-poule" in r.text
        # Nothing of the refused ones was stored; signed-in users are not limited.
        assert m.sql_one("essai", "SELECT count(*) FROM signalement") == 20
        m.add_user("lea", roles=["essai:demandeur"])
        lea = Client(m, token=m.token("lea"))
        r = lea.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON})
        assert r.status == 201, r.text
        assert m.stop() == 0
    finally:
        m.cleanup()


@test
def unknown_admin_pages_and_nul_in_urls_are_404(s):
    adm = Client(s).login("admin", ADMIN_PASSWORD)
    assert adm.get("/admin").status == 200 and adm.get("/admin/outbox").status == 200
    for path in ("/admin/nope", "/admin/people", "/admin%00x", "/admin/outbox%00",
                 "/healthz%00", "/a/essai/%00"):
        r = adm.get(path)
        assert r.status == 404, (path, r.status)
    assert adm.get("/a/essai/?q=%00").status in (200, 400)       # a query value is not a route


@test
def html_wrong_content_type_and_broken_encoding(s):
    c = Client(s).login("alice")
    r = c.request("POST", "/a/essai/demande/new", body='{"objet":"x"}',
                  headers={"Content-Type": "application/json"})
    assert r.status == 415
    r = c.request("POST", "/a/essai/demande/new", body="objet=%ff%fe&quantite=1&_csrf=" + c.csrf(),
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400
    r = c.request("POST", "/a/essai/demande/new", body="objet=%zz",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 400


@test
def anonymous_pages_redirect_to_login(s):
    r = Client(s).get("/a/essai/demande/new")
    assert r.status == 303 and r.header("Location").startswith("/login?next=")


@test
def public_form_accepts_anonymous_submissions_with_csrf(s):
    c = Client(s)
    r = c.get("/a/essai/signalement/new")
    assert r.status == 200 and "sa_csrf" in c.cookies
    r = c.post_form("/a/essai/signalement/new", {"lieu": "Place <script>", "description": "Trou"})
    assert r.status == 303 and r.header("Location").startswith("/suivi/"), (r.status, r.text[:300])
    r2 = c.get(r.header("Location"))
    assert "a bien été envoyée" in r2.text and "&lt;script&gt;" not in r2.text
    r = Client(s).post_form("/a/essai/signalement/new", {"lieu": "x", "description": "y"}, csrf=False)
    assert r.status == 403


@test
def html_edit_with_stale_version_answers_409(s):
    a = Client(s).login("alice")
    rid = create_html(a)
    page = a.get(f"/a/essai/demande/{rid}/edit")
    assert page.status == 200
    f = dict(VALID, objet="Version 2", version="1")
    r = a.post_form(f"/a/essai/demande/{rid}/edit", f)
    assert r.status == 303, (r.status, r.text[:400])
    r = a.post_form(f"/a/essai/demande/{rid}/edit", dict(VALID, objet="Version 3", version="1"))
    assert r.status == 409 and "Version 2" in r.text


@test
def injection_in_every_field_is_stored_verbatim_and_escaped(s):
    a = Client(s).login("alice")
    evil = "'); DROP TABLE demande; -- <script>alert(1)</script>"
    rid = create_html(a, dict(VALID, objet=evil[:50], details=evil))
    r = a.get(f"/a/essai/demande/{rid}")
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    j = Client(s, token=s.token("alice")).api("GET", f"/apps/essai/demande/records/{rid}").json()
    assert j["fields"]["details"] == evil
    assert a.get("/a/essai/demande/?q=%25").status == 200  # LIKE wildcard searched literally


# ---------------------------------------------------------------- access rules

@test
def own_records_hide_foreign_ids_as_404(s):
    a = Client(s).login("alice")
    rid = create_html(a, dict(VALID, objet="Secret alice"))
    b = Client(s).login("bob")
    assert b.get(f"/a/essai/demande/{rid}").status == 404
    assert b.get(f"/a/essai/demande/{rid}/edit").status == 404
    tb = Client(s, token=s.token("bob"))
    assert tb.api("GET", f"/apps/essai/demande/records/{rid}").status == 404
    assert tb.api("PATCH", f"/apps/essai/demande/records/{rid}", {"objet": "x"}).status == 404
    assert tb.api("DELETE", f"/apps/essai/demande/records/{rid}").status == 404
    lst = tb.api("GET", "/apps/essai/demande/records?limit=500").json()["records"]
    assert all(x["created_by"] == "bob" for x in lst)
    assert "Secret alice" not in b.get("/a/essai/demande/?q=Secret").text
    ag = Client(s, token=s.token("agathe"))
    assert ag.api("GET", f"/apps/essai/demande/records/{rid}").status == 200


@test
def private_fields_never_reach_other_roles(s):
    ag = Client(s, token=s.token("agathe"))
    al = Client(s, token=s.token("alice"))
    r = al.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON})
    assert r.status == 201, r.text
    rid = r.json()["id"]
    assert "note_interne" not in r.json()["fields"]
    r = ag.api("PATCH", f"/apps/essai/demande/records/{rid}", {"fields": {"note_interne": "Très confidentiel"}})
    assert r.status == 200, r.text
    assert r.json()["fields"]["note_interne"] == "Très confidentiel"
    j = al.api("GET", f"/apps/essai/demande/records/{rid}").json()
    assert "note_interne" not in j["fields"]
    h = al.api("GET", f"/apps/essai/demande/records/{rid}/history").json()["history"]
    assert "Très confidentiel" not in json.dumps(h, ensure_ascii=False), h
    h = ag.api("GET", f"/apps/essai/demande/records/{rid}/history").json()["history"]
    assert "Très confidentiel" in json.dumps(h, ensure_ascii=False)
    page = Client(s).login("alice").get(f"/a/essai/demande/{rid}")
    assert "Très confidentiel" not in page.text and "Note interne" not in page.text
    r = al.api("PATCH", f"/apps/essai/demande/records/{rid}", {"fields": {"note_interne": "pirate"}})
    assert r.status == 422 and "note_interne" in r.json()["error"]["fields"]


@test
def create_and_delete_rights(s):
    t = Client(s, token=s.token("agathe"))  # agent: no create right
    r = t.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON})
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    al = Client(s, token=s.token("alice"))
    rid = al.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON}).json()["id"]
    assert al.api("DELETE", f"/apps/essai/demande/records/{rid}").status == 403
    ch = Client(s, token=s.token("charles"))
    # charles is chef: may delete, but his read scope is none -> 404 first
    assert ch.api("DELETE", f"/apps/essai/demande/records/{rid}").status == 404
    adm = Client(s).login("admin", ADMIN_PASSWORD)
    r = adm.post_form(f"/a/essai/demande/{rid}/delete", {})
    assert r.status == 303
    assert al.api("GET", f"/apps/essai/demande/records/{rid}").status == 404


@test
def api_without_credentials_or_with_bad_token_is_401(s):
    r = Client(s).api("GET", "/apps/essai/demande/records")
    assert r.status == 401 and r.json()["error"]["code"] == "unauthenticated"
    r = Client(s, token="sa_" + "0" * 64).api("GET", "/apps/essai/demande/records")
    assert r.status == 401


@test
def api_with_session_cookie_needs_csrf_header(s):
    c = Client(s).login("alice")
    r = c.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON})
    assert r.status == 403
    tok = c.csrf()
    r = c.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON},
              headers={"X-CSRF-Token": tok})
    assert r.status == 201, r.text


# ---------------------------------------------------------------- JSON API

@test
def api_crud_with_if_match(s):
    t = Client(s, token=s.token("alice"))
    r = t.api("POST", "/apps/essai/demande/records",
              {"fields": dict(VALID_JSON, montant="1234.5", tags=["x", "z"], urgent=False, le="2026-01-31")})
    assert r.status == 201, r.text
    rec = r.json()
    assert rec["fields"]["montant"] == "1234.50" and rec["fields"]["tags"] == ["x", "z"]
    assert r.header("Location").endswith(f"/records/{rec['id']}")
    rid = rec["id"]
    r = t.api("PATCH", f"/apps/essai/demande/records/{rid}", {"fields": {"quantite": 9}},
              headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json()["version"] == 2 and r.json()["fields"]["total"] == 18
    r = t.api("PATCH", f"/apps/essai/demande/records/{rid}", {"fields": {"quantite": 10}},
              headers={"If-Match": '"1"'})
    assert r.status == 409 and r.json()["error"]["code"] == "conflict"
    h = t.api("GET", f"/apps/essai/demande/records/{rid}/history").json()["history"]
    assert [x["action"] for x in h][:2] in (["create", "update"], ["update", "create"])
    upd = [x for x in h if x["action"] == "update"][0]
    assert upd["changes"]["quantite"] == [4, 9], upd


@test
def api_rejects_malformed_bodies(s):
    t = Client(s, token=s.token("alice"))
    p = "/apps/essai/demande/records"
    r = t.api("POST", p, raw="{not json")
    assert r.status == 400 and r.json()["error"]["code"] == "bad_request"
    r = t.api("POST", p, raw=b'{"fields": {"objet": "\xff\xfe"}}')
    assert r.status == 400
    r = t.api("POST", p, raw="[1,2]")
    assert r.status == 400
    r = t.api("POST", p, {"fields": VALID_JSON}, headers={"Content-Type": "text/plain"})
    assert r.status == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    r = t.api("POST", p, raw='{"fields": {"objet": "a", "objet": "b"}}')
    assert r.status == 400
    big = json.dumps({"fields": dict(VALID_JSON, details="x" * (2 * 1024 * 1024))})
    r = t.api("POST", p, raw=big)
    assert r.status == 413 and r.json()["error"]["code"] == "too_large"


@test
def api_wrong_types_and_unknown_fields_are_422_with_fields(s):
    t = Client(s, token=s.token("alice"))
    r = t.api("POST", "/apps/essai/demande/records",
              {"fields": dict(VALID_JSON, quantite="beaucoup", urgent="oui", inconnu=1, total=5)})
    assert r.status == 422
    f = r.json()["error"]["fields"]
    assert set(["quantite", "urgent", "inconnu", "total"]) <= set(f), f


@test
def api_bad_query_values_are_400(s):
    t = Client(s, token=s.token("agathe"))
    p = "/apps/essai/demande/records"
    for q in ("limit=0", "limit=501", "limit=abc", "after=%%%", "after=garbage", "sort=nope",
              "state=inconnu", "colonne=1", "overdue=peut-etre"):
        r = t.api("GET", p + "?" + q)
        assert r.status == 400, (q, r.status, r.text)
        assert r.json()["error"]["code"] == "bad_request"


@test
def api_keyset_pages_cover_every_record_once(s):
    s.add_user("paul", roles=["essai:demandeur"])
    t = Client(s, token=s.token("paul"))
    for i in range(23):
        assert t.api("POST", "/apps/essai/demande/records",
                     {"fields": dict(VALID_JSON, objet=f"P{i:02d}", quantite=(i % 5) + 1)}).status == 201
    for sort in ("-created_at", "objet", "-quantite", "id"):
        seen, after = [], None
        for _ in range(10):
            q = f"?limit=7&sort={sort}" + (f"&after={urllib.parse.quote(after)}" if after else "")
            j = t.api("GET", "/apps/essai/demande/records" + q).json()
            seen += [x["id"] for x in j["records"]]
            after = j["next"]
            if not after:
                break
        assert len(seen) == 23 and len(set(seen)) == 23, (sort, seen)
    j = t.api("GET", "/apps/essai/demande/records?limit=500&categorie=a&q=P1").json()
    assert len(j["records"]) == 10


@test
def api_describes_apps_with_json_schema(s):
    t = Client(s, token=s.token("alice"))
    apps = t.api("GET", "/apps").json()["apps"]
    assert any(a["id"] == "essai" for a in apps)
    d = t.api("GET", "/apps/essai").json()
    form = [f for f in d["forms"] if f["id"] == "demande"][0]
    sch = form["schema"]
    assert sch["properties"]["quantite"]["type"][0] == "integer"
    assert "objet" in sch["required"] and "note_interne" not in sch["properties"]
    assert form["workflow"]["initial"] == "deposee"


# ---------------------------------------------------------------- one pipeline

PARITY = [
    ({"quantite": "500"}, {"quantite": 500}),
    ({"quantite": "0"}, {"quantite": 0}),
    ({"siret": "73282932000075"}, {"siret": "73282932000075"}),
    ({"siren": "732829321"}, {"siren": "732829321"}),
    ({"iban": "FR7630006000011234567890188"}, {"iban": "FR7630006000011234567890188"}),
    ({"tel": "12345"}, {"tel": "12345"}),
    ({"cp": "750"}, {"cp": "750"}),
    ({"courriel": "pas-une-adresse"}, {"courriel": "pas-une-adresse"}),
    ({"categorie": "zz"}, {"categorie": "zz"}),
    ({"categorie": "b"}, {"categorie": "b"}),                    # required_if precision
    ({"urgent": "1"}, {"urgent": True}),                         # visible + required motif
    ({"objet": ""}, {"objet": None}),
    ({"objet": "x" * 51}, {"objet": "x" * 51}),
    ({"le": "2019-12-31"}, {"le": "2019-12-31"}),
    ({"site": "ftp://x"}, {"site": "ftp://x"}),
    ({"objet": "interdit"}, {"objet": "interdit"}),              # validate hook
]


@test
def same_bad_payloads_give_same_field_errors_in_html_and_api(s):
    h = Client(s).login("alice")
    t = Client(s, token=s.token("alice"))
    for form_delta, json_delta in PARITY:
        r1 = h.post_form("/a/essai/demande/new", dict(VALID, **form_delta))
        r2 = t.api("POST", "/apps/essai/demande/records", {"fields": dict(VALID_JSON, **json_delta)})
        assert r1.status == 422 and r2.status == 422, (form_delta, r1.status, r2.status, r2.text)
        e1 = field_errors_html(r1.text)
        e2 = r2.json()["error"]["fields"]
        assert e1 == e2, (form_delta, e1, e2)


@test
def hidden_fields_are_stored_as_null(s):
    t = Client(s, token=s.token("alice"))
    r = t.api("POST", "/apps/essai/demande/records",
              {"fields": dict(VALID_JSON, urgent=False, motif="ignoré")})
    assert r.status == 201 and r.json()["fields"]["motif"] is None, r.text


@test
def runaway_hook_is_stopped_with_500_and_the_server_goes_on(s):
    s.add_user("lena", roles=[])
    t = Client(s, token=s.token("lena"))
    r = t.api("POST", "/apps/essai/lent/records", {"fields": {"x": "a"}})
    assert r.status == 500 and r.json()["error"]["code"] == "internal"
    rid = r.json()["error"]["id"]
    assert rid and rid in s.log_text()
    assert Client(s).get("/healthz").status == 200
    r = t.api("POST", "/apps/essai/demande/records", {"fields": VALID_JSON})
    assert r.status == 403  # lena has no role, and the server still answers


# ---------------------------------------------------------------- live reload

@test
def deploy_by_copying_a_folder_and_broken_versions_keep_the_last_good(s):
    src = os.path.join(ROOT, "tests", "apps", "essai", "app.lua")
    dst = os.path.join(s.apps, "_copie")
    os.makedirs(dst)
    text = open(src).read().replace('title = "Essai"', 'title = "Copie déployée"')
    open(os.path.join(dst, "app.lua"), "w").write(text)
    os.rename(dst, os.path.join(s.apps, "copie"))
    adm = Client(s).login("admin", ADMIN_PASSWORD)
    for _ in range(40):
        if adm.get("/a/copie/").status == 200:
            break
        time.sleep(0.1)
    assert "Copie déployée" in adm.get("/a/copie/").text
    open(os.path.join(s.apps, "copie", "app.lua"), "w").write(text.replace("title =", "titre =", 1))
    for _ in range(40):
        if "copie" in adm.get("/admin").text and "titre" in adm.get("/admin").text:
            break
        time.sleep(0.1)
    assert "titre" in adm.get("/admin").text
    assert "Copie déployée" in adm.get("/a/copie/").text  # the last good version serves
    # ...writes included: a worker that opens its Lua state only now runs the version
    # loaded, not the broken file on disk (it used to answer 500 on those workers).
    api = Client(s, token=s.token("admin"))
    codes = [api.api("POST", "/apps/copie/demande/records", {"fields": VALID_JSON}).status
             for _ in range(12)]
    assert codes == [201] * 12, codes
    shutil.rmtree(os.path.join(s.apps, "copie"))
    for _ in range(40):
        if adm.get("/a/copie/").status == 404:
            break
        time.sleep(0.1)
    assert adm.get("/a/copie/").status == 404


def wait_for(fn, timeout=10):
    deadline = time.time() + timeout
    while not fn() and time.time() < deadline:
        time.sleep(0.1)
    return fn()


def one_more_scan(m, name):
    """Waits until the server has scanned the apps folder again: a new app folder `name`
    appears in the log as loaded (then it is removed). Proof of a scan, not a guess of
    how long one takes."""
    src = os.path.join(ROOT, "tests", "apps", "essai", "app.lua")
    dst = os.path.join(m.apps, name)
    os.makedirs(dst)
    shutil.copy(src, os.path.join(dst, "app.lua"))
    assert wait_for(lambda: f"{name}: loaded" in m.log_text(), timeout=20), m.log_text()[-2000:]
    shutil.rmtree(dst)


@test
def an_unreadable_apps_folder_or_app_lua_never_unloads_what_is_served(s):
    m = Server(s.binary, apps=("essai",))
    try:
        m.start()
        c = Client(m).login("admin", ADMIN_PASSWORD)
        assert c.get("/a/essai/").status == 200
        # The folder gone for a moment (a mount lost, a deploy script): apps keep serving.
        os.rename(m.apps, m.apps + ".ailleurs")
        try:
            assert wait_for(lambda: "cannot read" in m.log_text()), m.log_text()[-2000:]
            assert c.get("/a/essai/").status == 200
        finally:
            os.rename(m.apps + ".ailleurs", m.apps)
        assert "essai: unloaded" not in m.log_text()
        # app.lua that is not a file: said once in the log and on /admin, and a version
        # already loaded keeps serving.
        os.makedirs(os.path.join(m.apps, "cassee", "app.lua"))
        assert wait_for(lambda: "cassee" in c.get("/admin").text), c.get("/admin").text[-2000:]
        assert "fichier illisible ou absent" in c.get("/admin").text
        app_lua = os.path.join(m.apps, "essai", "app.lua")
        good = open(app_lua).read()
        os.unlink(app_lua)
        assert wait_for(lambda: "essai: " in m.log_text() and "keeps serving" in m.log_text())
        one_more_scan(m, "temoin")                        # more scans: still one line each
        one_more_scan(m, "temoin-bis")
        assert m.log_text().count("cassee/app.lua : fichier illisible") == 1, m.log_text()
        assert c.get("/a/essai/").status == 200
        open(app_lua, "w").write(good)
        assert "essai: unloaded" not in m.log_text()
        assert m.stop() == 0
    finally:
        m.cleanup()


@test
def a_crowd_of_idle_connections_meets_the_connection_limit_not_emfile(s):
    # 1,100 idle connections against 1,024 descriptors used to make accept, then the
    # apps folder scan, fail with EMFILE: every app was unloaded and the log flooded.
    m = Server(s.binary, apps=("essai",))
    m.prefix = ["prlimit", "--nofile=400:400"]
    socks = []
    try:
        m.start()
        for _ in range(600):
            k = socket.create_connection(("127.0.0.1", m.port))
            socks.append(k)
        one_more_scan(m, "temoin")                        # two scans of the apps folder
        one_more_scan(m, "temoin-bis")                    # while the crowd holds on
        for k in socks:
            k.close()
        socks = []
        c = Client(m).login("admin", ADMIN_PASSWORD)
        assert wait_for(lambda: c.get("/a/essai/").status == 200)
        log = m.log_text()
        assert "essai: unloaded" not in log and "Too many open files" not in log, log[-3000:]
        assert log.count("connection limit") <= 2, log.count("connection limit")
        assert m.stop() == 0
    finally:
        for k in socks:
            k.close()
        m.cleanup()


@test
def a_damaged_app_database_is_taken_again_once_repaired(s):
    sqlite_only("a damaged SQLite file; PostgreSQL's failures: cluster.py")
    m = Server(s.binary, apps=("essai",))
    try:
        m.start()
        m.stop()
        path = os.path.join(m.data, "apps", "essai.db")
        good = open(path, "rb").read()
        for ext in ("-wal", "-shm"):
            if os.path.exists(path + ext):
                os.unlink(path + ext)
        open(path, "wb").write(b"pas une base SQLite " * 100)
        m.start()
        c = Client(m).login("admin", ADMIN_PASSWORD)
        assert "not a database" in c.get("/admin").text
        assert c.get("/a/essai/").status == 404
        open(path, "wb").write(good)                      # restored from the backup
        assert wait_for(lambda: c.get("/a/essai/").status == 200), m.log_text()[-2000:]
        assert m.log_text().count("not a database") == 1, m.log_text()
        assert m.stop() == 0
    finally:
        m.cleanup()


@test
def serve_refuses_a_missing_apps_folder_and_a_lost_system_db(s):
    m = Server(s.binary, apps=("essai",))
    try:
        m.start()
        m.stop()
        r = subprocess.run([m.binary, "serve", "--apps", m.apps + "-typo", "--data", m.data],
                           capture_output=True, text=True, env=m.env, timeout=30)
        assert r.returncode == 1 and "--apps" in r.stderr and "No such file" in r.stderr, r.stderr
        if on_pg():
            return  # no system.db file to lose on PostgreSQL
        # system.db emptied (a bad restore, a full disk) next to the app data: not a first start.
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(os.path.join(m.data, "system.db" + ext)):
                os.unlink(os.path.join(m.data, "system.db" + ext))
        open(os.path.join(m.data, "system.db"), "w").close()
        r = subprocess.run([m.binary, "serve", "--apps", m.apps, "--data", m.data],
                           capture_output=True, text=True, env=m.env, timeout=30)
        assert r.returncode == 1 and "system.db is missing or empty" in r.stderr, r.stderr
        assert "First start" not in r.stdout
        r = m.cli("user", "list", check=False)
        assert r.returncode == 1 and "restore system.db" in r.stderr, r.stderr
        m.env["SMALLAPPS_NEW_SYSTEM_DB"] = "1"                # the admin's explicit choice
        m.start()
        assert "First start" in m.log_text()
        assert m.stop() == 0
    finally:
        m.cleanup()


@test
def demo_users_get_roles_in_the_named_apps_only_and_existing_accounts_are_untouched(s):
    m = Server(s.binary, apps=("essai", "flux"))
    try:
        m.cli("user", "add", "agent1")                  # a real account, without roles
        out = m.cli("demo", "flux").stdout
        assert "agent1           flux: Agent (already exists: left unchanged)" in out, out
        assert "chef1            flux: Chef\n" in out and "essai" not in out, out
        users = m.cli("user", "list").stdout
        lines = {l.split()[0]: l for l in users.splitlines()}
        assert "flux:" not in lines["agent1"], users
        assert "flux:chef" in lines["chef1"] and "essai:" not in lines["chef1"], users
        assert "flux:demandeur" in lines["demandeur1"], users
        # Run again (as every `make run` does): nothing changes, a revoked grant stays revoked.
        m.cli("user", "revoke", "chef1", "flux:chef")
        m.cli("demo", "flux")
        assert "flux:chef" not in {l.split()[0]: l for l in m.cli("user", "list").stdout.splitlines()}["chef1"]
        r = m.cli("demo", "absente", check=False)
        assert r.returncode == 1 and 'no app "absente"' in r.stderr, r.stderr
    finally:
        m.cleanup()


# ---------------------------------------------------------------- outbox (mail)
# Rows are put straight into the app database, as a committed transition leaves them;
# a private SMTP server (smtp_server.py) receives what the engine sends. The engine's
# clock is SMALLAPPS_NOW: a retry is due at now + backoff, so a test "waits" for it by
# restarting the server with a later SMALLAPPS_NOW (the sender looks at start-up).

MAIL_NOW = "2026-11-23T10:00:00Z"


def iso_plus(iso, seconds):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ") + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def queue_mail(srv, to, subject, body, at=MAIL_NOW, app="essai"):
    return srv.sql(app, "INSERT INTO _outbox (form, record_id, created_at, to_spec, subject, body,"
                   " status, attempts, next_attempt_at) VALUES ('demande', 1, ?, ?, ?, ?,"
                   " 'pending', 0, ?) RETURNING id", (at, to, subject, body, at))[0]["id"]


def outbox_row(srv, rid, app="essai"):
    rows = srv.sql(app, "SELECT * FROM _outbox WHERE id = ?", (rid,))
    return rows[0] if rows else None


def wait_row(srv, rid, pred, timeout=15):
    deadline = time.time() + timeout
    while True:
        row = outbox_row(srv, rid)
        if pred(row) or time.time() > deadline:
            return row
        time.sleep(0.05)


def wait_outcome(srv, rid, attempts, timeout=15):
    """The row once the outcome of its attempt number `attempts` is written (the row is
    claimed, attempts + 1, before it is sent: the count alone does not say it is over)."""
    pat = re.compile(rf"outbox app=essai id={rid} status=\w+ attempts={attempts}\b")
    deadline = time.time() + timeout
    while not pat.search(srv.log_text()) and time.time() < deadline:
        time.sleep(0.05)
    return outbox_row(srv, rid)


def mail_server(s, smtp, now=MAIL_NOW, **env):
    """A server of its own that sends through smtp; started once so its databases exist."""
    m = Server(s.binary, env=dict({"SMALLAPPS_SMTP": smtp.url if smtp else "",
                                   "SMALLAPPS_NOW": now}, **env))
    m.start()
    m.stop()
    return m


def restart_at(m, now):
    m.stop()
    m.env["SMALLAPPS_NOW"] = now
    m.start()


def finish(m):
    rc = m.stop()
    assert rc == 0, f"exit code {rc}"
    assert not m.sanitizer_report(), m.sanitizer_report()


@test
def mail_is_delivered_as_mime_utf8_and_marked_sent_with_the_answer(s):
    smtp = SmtpServer().start()
    m = mail_server(s, smtp, SMALLAPPS_MAIL_FROM="Mairie de Sète <noreply@mairie.example>")
    try:
        m.start()
        subject = "Votre demande n°7 « été » est acceptée — merci de votre patience, à bientôt"
        body = ("Bonjour Éloïse,\n.\n..deux points\nMontant : 1 234,56 € = total  \n" +
                "é" * 100 + "\n\nhttp://127.0.0.1/a/essai/demande/1\n")
        rid = queue_mail(m, "eloise@example.org", subject, body)   # the 5 s poll finds it
        msg = smtp.wait_messages(1)[0]
        assert msg.mail_from == "noreply@mairie.example", msg.mail_from
        assert msg.rcpt_to == ["eloise@example.org"], msg.rcpt_to
        raw = msg.data
        assert raw.count(b"\n") == raw.count(b"\r\n"), "bare LF in the message"
        assert max(len(l) for l in raw.split(b"\r\n")) <= 78
        assert raw.isascii() and b"Subject: =?UTF-8?B?" in raw
        e = email.message_from_bytes(raw, policy=email.policy.default)
        assert e["Subject"] == subject, e["Subject"]
        assert e.get_content().replace("\r\n", "\n") == body     # dots, accents, = intact
        assert e.get_content_type() == "text/plain" and e.get_content_charset() == "utf-8"
        assert e["MIME-Version"] == "1.0"
        assert e["Content-Transfer-Encoding"] == "quoted-printable"
        assert email.utils.parsedate_to_datetime(e["Date"]) == \
            datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.timezone.utc), e["Date"]
        assert re.fullmatch(r"<[^<>@\s]+@mairie\.example>", e["Message-ID"]), e["Message-ID"]
        assert e["To"] == "eloise@example.org"
        assert e["From"].addresses[0].display_name == "Mairie de Sète"
        assert e["From"].addresses[0].addr_spec == "noreply@mairie.example"
        row = wait_row(m, rid, lambda r: r["status"] != "pending")
        assert row["status"] == "sent" and row["attempts"] == 1, row
        assert row["sent_at"] == MAIL_NOW, row
        assert row["smtp_reply"] == "250 2.0.0 Ok: queued as TEST1", row
        t0 = time.time()
        finish(m)
        assert time.time() - t0 < 3, "the sender held up the stop"
    finally:
        m.cleanup()
        smtp.stop()


@test
def starttls_is_used_when_offered_and_a_bad_certificate_is_never_bypassed(s):
    smtp = SmtpServer(tls=(TEST_CERT, TEST_KEY)).start()
    try:
        # The relay's certificate is signed by the file given to --smtp-ca: over TLS.
        m = mail_server(s, smtp, SMALLAPPS_SMTP_CA=TEST_CERT)
        try:
            rid = queue_mail(m, "lea@example.org", "Chiffré", "Texte")
            m.start()
            row = wait_row(m, rid, lambda r: r["status"] != "pending")
            assert row["status"] == "sent", row
            msg = smtp.wait_messages(1)[0]
            assert msg.tls, "the mail went in clear although the relay offered STARTTLS"
            finish(m)
        finally:
            m.cleanup()
        # Without it the certificate does not verify: the attempt fails and is retried
        # later; the mail never goes in clear instead.
        m = mail_server(s, smtp)
        try:
            rid = queue_mail(m, "lea@example.org", "Chiffré", "Texte")
            m.start()
            row = wait_outcome(m, rid, 1)
            assert row["status"] == "pending" and row["attempts"] == 1, row
            assert "certificate" in row["last_error"].lower(), row
            assert len(smtp.messages) == 1, [x.rcpt_to for x in smtp.messages]
            finish(m)
        finally:
            m.cleanup()
        # A login in the URL is never sent in clear: no STARTTLS, no mail.
        plain = SmtpServer().start()
        m = mail_server(s, None, SMALLAPPS_SMTP=f"smtp://dsi:secret@127.0.0.1:{plain.port}")
        try:
            rid = queue_mail(m, "lea@example.org", "Chiffré", "Texte")
            m.start()
            row = wait_outcome(m, rid, 1)
            assert row["status"] == "pending" and row["attempts"] == 1, row
            assert "tls" in row["last_error"].lower() or "ssl" in row["last_error"].lower(), row
            assert plain.messages == [] and not any(c.upper().startswith(("AUTH", "MAIL"))
                                                    for c in plain.commands), plain.commands
            assert "secret" not in m.log_text()
            finish(m)
        finally:
            m.cleanup()
            plain.stop()
        # A certificate file that cannot be read stops serve at start, with its reason.
        m = mail_server(s, None, SMALLAPPS_SMTP=smtp.url)
        try:
            m.env["SMALLAPPS_SMTP_CA"] = os.path.join(m.tmp, "absent.pem")
            try:
                m.start()
                raise AssertionError("serve started with an unreadable --smtp-ca")
            except AssertionError as e:
                assert "absent.pem" in str(e) and "cannot be read" in str(e), str(e)
        finally:
            m.cleanup()
    finally:
        smtp.stop()


@test
def temporary_refusal_is_retried_after_a_doubling_backoff(s):
    smtp = SmtpServer().start()
    m = mail_server(s, smtp)
    try:
        rid = queue_mail(m, "lea@example.org", "Relance", "Texte")
        smtp.fail_next(451, 1, "rcpt")
        m.start()                                   # at MAIL_NOW: 451
        row = wait_outcome(m, rid, 1)
        assert row["status"] == "pending" and row["attempts"] == 1, row
        assert row["next_attempt_at"] == iso_plus(MAIL_NOW, 60), row
        assert row["last_error"].startswith("451 4.3.0"), row
        # 59 s later it is not due: another row goes, this one waits.
        marker = queue_mail(m, "marqueur@example.org", "Témoin", "x")
        restart_at(m, iso_plus(MAIL_NOW, 59))
        assert wait_row(m, marker, lambda r: r["status"] == "sent")["status"] == "sent"
        assert outbox_row(m, rid)["attempts"] == 1
        # Due at +60 s: refused again, the wait doubles.
        smtp.fail_next(451, 1, "rcpt")
        restart_at(m, iso_plus(MAIL_NOW, 60))
        row = wait_outcome(m, rid, 2)
        assert row["status"] == "pending" and row["attempts"] == 2, row
        assert row["next_attempt_at"] == iso_plus(MAIL_NOW, 60 + 120), row
        restart_at(m, iso_plus(MAIL_NOW, 180))
        row = wait_row(m, rid, lambda r: r["status"] != "pending")
        assert row["status"] == "sent" and row["attempts"] == 3, row
        assert row["sent_at"] == iso_plus(MAIL_NOW, 180)
        assert row["last_error"].startswith("451"), row   # the history of the retry stays
        assert [x.rcpt_to for x in smtp.messages] == [["marqueur@example.org"], ["lea@example.org"]]
        finish(m)
    finally:
        m.cleanup()
        smtp.stop()


@test
def unreachable_smtp_server_is_a_temporary_failure(s):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()                                   # nothing listens there now
    m = mail_server(s, None, SMALLAPPS_SMTP=f"smtp://127.0.0.1:{port}")
    try:
        rid = queue_mail(m, "lea@example.org", "Relance", "Texte")
        m.start()
        row = wait_outcome(m, rid, 1)
        assert row["status"] == "pending" and row["attempts"] == 1, row
        assert row["next_attempt_at"] == iso_plus(MAIL_NOW, 60), row
        assert "connect" in row["last_error"].lower(), row
        finish(m)
    finally:
        m.cleanup()


@test
def sigterm_during_a_hung_smtp_exchange_stops_promptly_and_keeps_the_row(s):
    mute = socket.socket()                          # accepts, then never says a word
    mute.bind(("127.0.0.1", 0))
    mute.listen(4)
    m = mail_server(s, None, SMALLAPPS_SMTP=f"smtp://127.0.0.1:{mute.getsockname()[1]}")
    try:
        rid = queue_mail(m, "lea@example.org", "Relance", "Texte")
        m.start()
        mute.settimeout(10)
        conn, _ = mute.accept()                     # the sender is waiting for a greeting
        t0 = time.time()
        finish(m)
        assert time.time() - t0 < 5, "SIGTERM waited for the SMTP timeout"
        row = outbox_row(m, rid)
        assert row["status"] == "pending" and row["attempts"] == 0, row   # not an attempt:
        assert row["next_attempt_at"] == MAIL_NOW, row                    # the claim is undone
        conn.close()
    finally:
        mute.close()
        m.cleanup()


@test
def mail_is_sent_once_when_the_database_is_locked_during_delivery(s):
    # Another connection holds the write lock for 11 s: longer than a 5 s poll plus the
    # store's 5 s busy wait, so the first status write of the row fails whatever the
    # poll's phase. The sender claims a row (attempts + 1, next attempt after the
    # backoff) before sending it: a failed write postpones the mail, it is not sent
    # again at every poll.
    sqlite_only("SQLite's write lock; PostgreSQL's row claims: cluster.py")
    smtp = SmtpServer().start()
    m = mail_server(s, smtp)
    try:
        m.start()
        db = sqlite3.connect(os.path.join(m.data, "apps", "essai.db"), isolation_level=None,
                             timeout=10)
        try:
            rid = db.execute(
                "INSERT INTO _outbox (form, record_id, created_at, to_spec, subject, body,"
                " status, attempts, next_attempt_at) VALUES ('demande', 1, ?, ?, ?, ?,"
                " 'pending', 0, ?)",
                (MAIL_NOW, "lea@example.org", "Verrou", "Texte", MAIL_NOW)).lastrowid
            db.execute("BEGIN IMMEDIATE")           # the row is due and not claimed yet
            assert db.execute("SELECT attempts FROM _outbox WHERE id = ?",
                              (rid,)).fetchone() == (0,)
            # Until the sender has tried to claim the row and given up (the lock held).
            assert wait_for(lambda: f"id={rid} not sent: cannot claim it" in m.log_text(),
                            timeout=40), m.log_text()[-2000:]
            db.execute("COMMIT")
        finally:
            db.close()
        row = wait_row(m, rid, lambda r: r["status"] != "pending", timeout=20)
        assert row["status"] == "sent" and row["attempts"] == 1, row
        assert len(smtp.messages) == 1, f"{len(smtp.messages)} copies sent"
        finish(m)
    finally:
        m.cleanup()
        smtp.stop()


@test
def permanent_refusal_marks_the_row_failed_and_keeps_the_answer(s):
    smtp = SmtpServer().start()
    m = mail_server(s, smtp)
    try:
        r1 = queue_mail(m, "inconnu@example.org", "Un", "x")
        r2 = queue_mail(m, "lea@example.org", "Deux", "x")
        smtp.fail_next(550, 1, "rcpt")              # r1's recipient
        smtp.fail_next(554, 1, "data")              # r2's message
        m.start()
        a = wait_row(m, r1, lambda r: r["status"] != "pending")
        b = wait_row(m, r2, lambda r: r["status"] != "pending")
        assert a["status"] == "failed" and a["attempts"] == 1, a
        assert a["last_error"] == "550 5.1.1 No such user here", a
        assert b["status"] == "failed" and b["last_error"] == "554 5.7.1 Message refused", b
        assert a["sent_at"] is None and b["smtp_reply"] is None
        assert smtp.messages == []
        finish(m)
    finally:
        m.cleanup()
        smtp.stop()


@test
def role_recipients_are_the_granted_users_addresses(s):
    smtp = SmtpServer().start()
    m = mail_server(s, smtp)
    try:
        for login, email_, grant in [("agent1", "b.agent@example.org", "essai:agent"),
                                     ("agent2", "a.agent@example.org", "essai:agent"),
                                     ("agent3", None, "essai:agent"),
                                     ("ailleurs", "ailleurs@example.org", "autre:agent"),
                                     ("chef1", None, "essai:chef")]:
            args = ["user", "add", login] + (["--email", email_] if email_ else [])
            m.cli(*args)
            if grant.startswith("autre:"):
                # A grant in an app not served here (the CLI refuses to make one).
                m.sql("system", "INSERT INTO grants(user_id, app, role) SELECT id, 'autre', "
                      "'agent' FROM users WHERE login = ?", (login,))
            else:
                m.cli("user", "grant", login, grant)
        r1 = queue_mail(m, "role:agent", "Nouvelle demande", "À traiter")
        r2 = queue_mail(m, "role:chef", "Validation", "À valider")
        m.start()
        a = wait_row(m, r1, lambda r: r["status"] != "pending")
        b = wait_row(m, r2, lambda r: r["status"] != "pending")
        assert a["status"] == "sent", a
        msg = smtp.wait_messages(1)[0]
        assert msg.rcpt_to == ["a.agent@example.org", "b.agent@example.org"], msg.rcpt_to
        e = email.message_from_bytes(msg.data, policy=email.policy.default)
        assert sorted(x.addr_spec for x in e["To"].addresses) == msg.rcpt_to
        assert b["status"] == "failed" and "chef" in b["last_error"], b
        assert "adresse" in b["last_error"], b
        assert len(smtp.messages) == 1
        finish(m)
    finally:
        m.cleanup()
        smtp.stop()


@test
def a_refused_recipient_does_not_cost_the_others_their_mail(s):
    smtp = SmtpServer().start()
    m = mail_server(s, smtp)
    try:
        for login, addr in [("ag1", "a.agent@example.org"), ("ag2", "b.agent@example.org"),
                            ("ag3", "c.agent@example.org")]:
            m.cli("user", "add", login, "--email", addr)
            m.cli("user", "grant", login, "essai:agent")
        rid = queue_mail(m, "role:agent", "Nouvelle demande", "À traiter")
        smtp.fail_next(550, 1, "rcpt")              # a.agent left: the mailbox is gone
        smtp.fail_next(452, 1, "rcpt")              # b.agent's mailbox is full for now
        m.start()
        row = wait_row(m, rid, lambda r: r["status"] != "pending")
        assert row["status"] == "sent", row
        assert row["last_error"] == "Refusé pour a.agent@example.org : 550 5.1.1 No such user here", row
        assert smtp.wait_messages(1)[0].rcpt_to == ["c.agent@example.org"]
        # b.agent's copy waits in a row of its own, with the same text, for the backoff.
        retry = m.sql_one("essai", "SELECT id FROM _outbox WHERE to_spec = 'b.agent@example.org'")
        r2 = outbox_row(m, retry)
        assert r2["status"] == "pending" and r2["attempts"] == 1, r2
        assert r2["next_attempt_at"] == iso_plus(MAIL_NOW, 60), r2
        assert r2["last_error"].startswith("452 4.3.0"), r2
        assert (r2["subject"], r2["body"]) == ("Nouvelle demande", "À traiter"), r2
        assert "b.agent@example.org" not in m.log_text() and "refused=1 requeued=1" in m.log_text()
        admin = Client(m)
        admin.login("admin", ADMIN_PASSWORD)
        assert "Refusé pour a.agent@example.org : 550 5.1.1 No such user here" in admin.get("/admin/outbox").text
        restart_at(m, iso_plus(MAIL_NOW, 60))
        assert wait_row(m, retry, lambda r: r["status"] != "pending")["status"] == "sent"
        assert smtp.wait_messages(2)[1].rcpt_to == ["b.agent@example.org"]
        # Everybody refused: the row fails with the answer, as for a single address.
        rid = queue_mail(m, "role:agent", "Deuxième", "x", at=iso_plus(MAIL_NOW, 60))
        smtp.fail_next(550, 3, "rcpt")
        row = wait_row(m, rid, lambda r: r["status"] != "pending")
        assert row["status"] == "failed" and row["last_error"].startswith("550"), row
        assert len(smtp.messages) == 2
        # Nobody accepted it, but one only for now: the row fails for the others, and
        # that one gets a row of their own.
        rid = queue_mail(m, "role:agent", "Troisième", "y", at=iso_plus(MAIL_NOW, 60))
        smtp.fail_next(452, 1, "rcpt")
        smtp.fail_next(550, 2, "rcpt")
        row = wait_row(m, rid, lambda r: r["status"] != "pending")
        assert row["status"] == "failed", row
        assert row["last_error"].startswith("Refusé pour b.agent@example.org : 550"), row
        assert "c.agent@example.org : 550" in row["last_error"], row
        again = [(r["status"], r["subject"]) for r in m.sql(
            "essai", "SELECT status, subject FROM _outbox WHERE to_spec = 'a.agent@example.org'")]
        assert again == [("pending", "Troisième")], again
        finish(m)
    finally:
        m.cleanup()
        smtp.stop()


@test
def without_smtp_mails_stay_pending_and_admin_outbox_lists_them(s):
    rid = queue_mail(s, "role:agent", "Objet <script>alert(1)</script> été", "Corps")
    adm = Client(s).login("admin", ADMIN_PASSWORD)
    assert 'href="/admin/outbox"' in adm.get("/admin").text
    r = adm.get("/admin/outbox")
    assert r.status == 200, r.status
    assert r.text.count("<h1") == 1 and "Messages sortants" in r.text
    assert '<caption id="cap-outbox">' in r.text and '<th scope="col">Statut</th>' in r.text
    assert f'<th scope="row">{rid}</th>' in r.text
    assert "Objet &lt;script&gt;alert(1)&lt;/script&gt; été" in r.text
    assert "<script>alert(1)" not in r.text
    assert "En attente" in r.text and "role:agent" in r.text
    assert "Pending" in adm.get("/admin/outbox?lang=en").text
    assert adm.post_form("/admin/outbox", {}).status in (403, 405)
    assert Client(s).get("/admin/outbox").status == 303          # to the login page
    assert Client(s).login("alice").get("/admin/outbox").status == 403
    row = outbox_row(s, rid)                 # without --smtp there is no sender to change it
    assert row["status"] == "pending" and row["attempts"] == 0, row


# ---------------------------------------------------------------- signals

@test
def sigterm_right_after_start_stops_cleanly(s):
    # Every thread of `serve` is born with SIGTERM blocked, so a SIGTERM that arrives
    # while the server is still starting waits for the main thread's sigwait instead of
    # killing the process. Sent as soon as the apps are loaded (the store writers and the
    # watcher run) or as soon as the port file exists (before /healthz), several times.
    m = Server(s.binary)
    port_file = os.path.join(m.tmp, "port")
    try:
        for i in range(6):
            if os.path.exists(port_file):
                os.unlink(port_file)
            log = os.path.join(m.tmp, f"server{len(m.logs)}.log")
            m.logs.append(log)
            with open(log, "w") as out:
                m.proc = subprocess.Popen(
                    [m.binary, "serve", "--apps", m.apps, "--data", m.data, "--listen",
                     "127.0.0.1:0", "--threads", "2", "--port-file", port_file],
                    stdout=out, stderr=subprocess.STDOUT, env=m.env)
            deadline = time.time() + 30
            while time.time() < deadline and m.proc.poll() is None:
                if i % 2 == 0 and os.path.exists(port_file):
                    break
                if i % 2 == 1 and "essai: loaded" in open(log).read():
                    break
                time.sleep(0.001)
            m.proc.send_signal(signal.SIGTERM)
            rc = m.proc.wait(timeout=30)
            m.proc = None
            text = open(log).read()
            assert rc == 0, f"start {i}: exit code {rc}\n{text}"
            assert "server stopped" in text, f"start {i}:\n{text}"
        assert not m.sanitizer_report(), m.sanitizer_report()
    finally:
        m.cleanup()


# ---------------------------------------------------------------- durability

@test
def kill_9_during_concurrent_writes_loses_no_acknowledged_record(s):
    s.add_user("durable", roles=["essai:demandeur"])
    tok = s.token("durable")
    acked, lock, stop = [], threading.Lock(), threading.Event()

    def writer(n):
        t = Client(s, token=tok)
        i = 0
        while not stop.is_set() and i < 2000:
            i += 1
            try:
                r = t.api("POST", "/apps/essai/demande/records",
                          {"fields": dict(VALID_JSON, objet=f"W{n}-{i}")})
            except Exception:
                return
            if r.status == 201:
                with lock:
                    acked.append(r.json()["id"])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for th in threads:
        th.start()
    assert wait_for(lambda: len(acked) >= 300, timeout=60), len(acked)   # writes in flight
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    stop.set()
    for th in threads:
        th.join()
    assert len(acked) > 50, len(acked)
    s.start()
    t = Client(s, token=tok)
    seen, after = set(), None
    for _ in range(1000):
        j = t.api("GET", "/apps/essai/demande/records?limit=500&sort=id" +
                  (f"&after={urllib.parse.quote(after)}" if after else "")).json()
        seen |= {x["id"] for x in j["records"]}
        after = j["next"]
        if not after:
            break
    missing = set(acked) - seen
    assert not missing, f"{len(missing)} acknowledged records lost"


@test
def idempotency_keys_make_one_record_and_give_back_the_first_answer(s):
    alice = Client(s, token=s.token("alice"))
    bob = Client(s, token=s.token("bob"))
    path = "/apps/essai/demande/records"
    count = lambda: s.sql_one("essai", "SELECT count(*) FROM demande")  # noqa: E731
    before = count()
    key = {"Idempotency-Key": "3f1c2b9e-commande-17"}
    first = alice.api("POST", path, {"fields": VALID_JSON}, headers=key)
    assert first.status == 201, first.text
    # The retry (a lost answer, a double click): the first answer, no second record.
    again = alice.api("POST", path, {"fields": dict(reversed(list(VALID_JSON.items())))},
                      headers=key)
    assert again.status == 201 and again.json() == first.json(), (again.status, again.text)
    assert again.header("Idempotent-Replayed") == "true"
    assert again.header("Location") == first.header("Location")
    assert count() == before + 1
    # The same key with another request: refused, nothing made.
    other = alice.api("POST", path, {"fields": dict(VALID_JSON, quantite=5)}, headers=key)
    assert other.status == 422 and other.json()["error"]["code"] == "idempotency_key_reused", \
        other.text
    assert count() == before + 1
    # Keys belong to their person: bob's same key is his own.
    b = bob.api("POST", path, {"fields": VALID_JSON}, headers=key)
    assert b.status == 201 and b.json()["id"] != first.json()["id"], b.text
    assert count() == before + 2
    # Malformed keys are refused before anything is read.
    for bad in ("", "x" * 256, "clé", "a b"):
        r = alice.api("POST", path, {"fields": VALID_JSON}, headers={"Idempotency-Key": bad})
        assert r.status == 400, (bad, r.status, r.text)
    # The same request sent ten times at once: one record; the others get its answer or 409.
    import threading
    key2 = {"Idempotency-Key": "rafale-1"}
    answers = []

    def send():
        answers.append(Client(s, token=alice.token).api("POST", path, {"fields": VALID_JSON},
                                                         headers=key2))
    th = [threading.Thread(target=send) for _ in range(10)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert count() == before + 3, count()
    ids = {a.json()["id"] for a in answers if a.status == 201}
    assert len(ids) == 1 and all(a.status in (201, 409) for a in answers), \
        [(a.status, a.text[:80]) for a in answers]


def make_server(binary):
    s = Server(binary)
    setup_users(s)
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
