#!/usr/bin/env python3
"""Drafts (issue 12.6, SPEC 4.2 `drafts`) against the real server, fixture
tests/apps/brouillons: "Enregistrer le brouillon" keeps what was typed without checking
required fields or formats (HTML with CSRF, and the API); a draft is in no list, export,
count or stats; its page fills the form again and "Envoyer" sends it through the create
(errors: the draft stays; success: the record exists and the draft is gone); another
person's draft answers 404; an anonymous person gets a resume link once (only its hash
is stored, a wrong token is 404); the steps of a multi-step form; the purge of drafts
past their days by `smallapps tick`.
Prints one line per test and ends with "N passed, N failed"."""
import hashlib
import html
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, Suite, field_errors_html  # noqa: E402

SUITE = Suite()
test = SUITE.test
NEW = "/a/brouillons/demande/new"
API = "/apps/brouillons/demande"


def drafts_in_db(s, form=None):
    q = "SELECT * FROM _drafts" + (" WHERE form = ?" if form else "") + " ORDER BY id"
    return s.sql("brouillons", q, (form,) if form else ())


def save_html(c, path, fields):
    return c.post_form(path, list(fields.items()) + [("_brouillon", "1")])


def status_text(page):
    m = re.search(r'<div class="notice success" role="status"><p>(.*?)</p>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))) if m else None


def input_value(page, name):
    m = re.search(r'<input[^>]*name="%s"[^>]*>' % name, page)
    if not m:
        return None
    v = re.search(r'value="([^"]*)"', m.group(0))
    return html.unescape(v.group(1)) if v else ""


@test
def an_incomplete_draft_is_saved_resumed_and_sent_in_html(s):
    c = Client(s).login("alice")
    page = c.get(NEW).text
    assert re.search(r'<button type="submit" name="_brouillon" value="1"[^>]*>'
                     r"Enregistrer le brouillon</button>", page), page[-1500:]
    before = s.sql_one("brouillons", "SELECT COUNT(*) FROM demande")
    # no montant (required), a motif, and a montant that is no number: kept as typed
    r = save_html(c, NEW, {"nom": "Ana", "montant": "beaucoup", "motif": "Un  projet"})
    assert r.status == 303, (r.status, r.text[:500])
    loc = r.header("Location")
    assert re.fullmatch(r"/a/brouillons/demande/brouillons/\d+", loc), loc
    assert s.sql_one("brouillons", "SELECT COUNT(*) FROM demande") == before  # not a record
    page = c.get(loc)
    assert page.status == 200
    st = status_text(page.text)
    assert st and st.startswith("Brouillon enregistré le ") and "conservé jusqu'au" in st, st
    assert input_value(page.text, "nom") == "Ana" and input_value(page.text, "montant") == \
        "beaucoup", page.text[-3000:]
    assert "Un  projet" in page.text
    key = loc.rsplit("/", 1)[1]
    assert input_value(page.text, "_draft") == key
    assert 'action="%s/supprimer"' % loc in page.text
    # saving again from its page updates the same draft
    r = c.post_form(NEW, {"nom": "Ana B.", "montant": "beaucoup", "_draft": key,
                          "_brouillon": "1"})
    assert r.status == 303 and r.header("Location") == loc, (r.status, r.header("Location"))
    assert len(drafts_in_db(s, "demande")) == 1
    # "Envoyer" with an error: the form again, 422, the draft kept
    r = c.post_form(NEW, {"nom": "Ana B.", "montant": "beaucoup", "_draft": key})
    assert r.status == 422, r.status
    assert "montant" in field_errors_html(r.text), field_errors_html(r.text)
    assert input_value(r.text, "_draft") == key
    assert c.get(loc).status == 200
    r = c.post_form(NEW, {"nom": "Ana B.", "_draft": key})                # required missing
    assert r.status == 422 and field_errors_html(r.text).get("montant") == \
        "Ce champ est obligatoire.", field_errors_html(r.text)
    assert s.sql_one("brouillons", "SELECT COUNT(*) FROM demande") == before
    # complete: the record, and the draft is gone
    r = c.post_form(NEW, {"nom": "Ana B.", "montant": "1200", "motif": "Un  projet",
                          "_draft": key})
    assert r.status == 303, (r.status, r.text[:500])
    rid = int(r.header("Location").rstrip("/").split("/")[-1])
    row = s.sql("brouillons", "SELECT nom, montant FROM demande WHERE id = ?", (rid,))[0]
    assert row == {"nom": "Ana B.", "montant": 1200}, row
    assert c.get(loc).status == 404
    assert drafts_in_db(s, "demande") == []
    # sent twice (a second tab): refused, no second record
    r = c.post_form(NEW, {"nom": "Ana B.", "montant": "1200", "_draft": key})
    assert r.status == 404, r.status
    assert s.sql_one("brouillons", "SELECT COUNT(*) FROM demande") == before + 1


@test
def a_draft_without_csrf_is_refused(s):
    c = Client(s).login("alice")
    c.get(NEW)
    n = len(drafts_in_db(s))
    r = c.post_form(NEW, {"nom": "Sans jeton", "_brouillon": "1"}, csrf=False)
    assert r.status == 403, r.status
    r = c.post_form(NEW, {"nom": "Faux jeton", "_brouillon": "1", "_csrf": "0" * 64},
                    csrf=False)
    assert r.status == 403, r.status
    assert len(drafts_in_db(s)) == n


@test
def drafts_through_the_api(s):
    api = Client(s, token=s.tokens["alice"])
    r = api.api("POST", f"{API}/drafts", {"fields": {"nom": "Léa", "montant": "12 euros"}})
    assert r.status == 201, r.text
    d = r.json()
    assert d["fields"] == {"nom": "Léa", "montant": "12 euros"}, d   # kept as typed
    assert d["form"] == "demande" and d["expires_at"] > d["updated_at"], d
    assert "token" not in d
    assert r.header("Location") == f"/api/v1{API}/drafts/{d['id']}"
    # unknown fields and fields the person may not write are refused, as for a create
    r = api.api("POST", f"{API}/drafts", {"fields": {"nom": "X", "nmo": "typo"}})
    assert r.status == 422 and "nmo" in r.json()["error"]["fields"], r.text
    r = api.api("POST", f"{API}/drafts", {"fields": {"nom": "X", "note": "agent only"}})
    assert r.status == 422 and "note" in r.json()["error"]["fields"], r.text
    r = api.api("POST", f"{API}/drafts", raw="[1]")
    assert r.status == 400, r.text
    # mine only
    mine = api.api("GET", f"{API}/drafts").json()["drafts"]
    assert [x["id"] for x in mine] == [d["id"]], mine
    # send: 422 with the usual shape, the draft kept
    r = api.api("POST", f"{API}/drafts/{d['id']}/submit")
    assert r.status == 422 and r.json()["error"]["code"] == "validation_failed", r.text
    assert "montant" in r.json()["error"]["fields"], r.text
    assert api.api("GET", f"{API}/drafts/{d['id']}").status == 200
    r = api.api("PUT", f"{API}/drafts/{d['id']}", {"fields": {"nom": "Léa", "montant": 12}})
    assert r.status == 200 and r.json()["fields"]["montant"] == 12, r.text
    r = api.api("POST", f"{API}/drafts/{d['id']}/submit")
    assert r.status == 201, r.text
    assert r.header("Location") == f"/api/v1{API}/records/{r.json()['id']}"
    assert r.json()["fields"]["nom"] == "Léa" and r.json()["state"] == "recue", r.text
    assert api.api("GET", f"{API}/drafts/{d['id']}").status == 404
    assert api.api("POST", f"{API}/drafts/{d['id']}/submit").status == 404
    # delete
    r = api.api("POST", f"{API}/drafts", {"nom": "À jeter"})
    assert r.status == 201, r.text
    k = r.json()["id"]
    assert api.api("DELETE", f"{API}/drafts/{k}").status == 204
    assert api.api("GET", f"{API}/drafts/{k}").status == 404
    # a form without drafts has none
    assert api.api("GET", "/apps/brouillons/simple/drafts").status == 404
    assert api.api("POST", "/apps/brouillons/simple/drafts", {"nom": "x"}).status == 404


@test
def another_persons_draft_is_not_found(s):
    alice = Client(s, token=s.tokens["alice"])
    d = alice.api("POST", f"{API}/drafts", {"nom": "Secret", "motif": "à moi"}).json()
    for who in ("bob", "agnes"):
        other = Client(s, token=s.tokens[who])
        for method, path, body in (("GET", "", None), ("PUT", "", {"nom": "pris"}),
                                   ("DELETE", "", None), ("POST", "/submit", None)):
            r = other.api(method, f"{API}/drafts/{d['id']}{path}", body)
            assert r.status == 404, (who, method, path, r.status, r.text)
        assert other.api("GET", f"{API}/drafts").json()["drafts"] == []
    page = Client(s).login("bob")
    assert page.get(f"/a/brouillons/demande/brouillons/{d['id']}").status == 404
    r = page.post_form(f"/a/brouillons/demande/brouillons/{d['id']}/supprimer", {})
    assert r.status == 404, r.status
    r = page.post_form(NEW, {"nom": "pris", "_draft": str(d["id"]), "_brouillon": "1"})
    assert r.status == 404, r.status
    assert "Secret" not in page.get("/a/brouillons/brouillons").text
    # an anonymous person asking for an id is asked to sign in
    r = Client(s).get(f"/a/brouillons/demande/brouillons/{d['id']}")
    assert r.status == 303 and r.header("Location").startswith("/login"), r.status
    row = [x for x in drafts_in_db(s) if x["id"] == d["id"]][0]
    assert row["fields"] == '{"nom":"Secret","motif":"à moi"}' and row["owner"] == "alice", row


@test
def drafts_are_in_no_list_export_count_or_stats(s):
    alice = Client(s, token=s.tokens["alice"])
    agent = Client(s, token=s.tokens["agnes"])
    stats = agent.api("GET", "/apps/brouillons/stats").json()["forms"]["demande"]["total"]
    n = len(agent.api("GET", f"{API}/records").json()["records"])
    r = alice.api("POST", f"{API}/drafts", {"nom": "Brouillon invisible", "montant": 5})
    assert r.status == 201, r.text
    did = r.json()["id"]
    assert len(agent.api("GET", f"{API}/records").json()["records"]) == n
    assert agent.api("GET", "/apps/brouillons/stats").json()["forms"]["demande"]["total"] == stats
    for what in ("export.csv", "export.jsonl"):
        r = agent.request("GET", f"/api/v1{API}/{what}")
        assert r.status == 200 and "Brouillon invisible" not in r.text, (what, r.status)
    web = Client(s).login("agnes")
    assert "Brouillon invisible" not in web.get("/a/brouillons/demande/").text
    assert "Brouillon invisible" not in web.get("/a/brouillons/demande/?q=invisible").text
    assert s.sql_one("brouillons", "SELECT COUNT(*) FROM _history WHERE changes LIKE ?",
                     ("%invisible%",)) == 0
    # "Mes brouillons" lists it for its owner, with a link to its page
    mine = Client(s).login("alice")
    home = mine.get("/a/brouillons/").text
    assert '<a href="/a/brouillons/brouillons">Mes brouillons</a>' in home, home[-2000:]
    page = mine.get("/a/brouillons/brouillons")
    assert page.status == 200 and "<h1>Mes brouillons</h1>" in page.text
    assert f'href="/a/brouillons/demande/brouillons/{did}"' in page.text
    assert "Conservé jusqu'au" in page.text and '<html lang="fr"' in page.text
    en = mine.get("/a/brouillons/brouillons?lang=en").text
    assert "<h1>My drafts</h1>" in en
    # anonymous: no link, and the page asks to sign in
    assert "Mes brouillons" not in Client(s).get("/a/brouillons/").text
    assert Client(s).get("/a/brouillons/brouillons").status == 303


@test
def an_anonymous_draft_has_a_resume_link(s):
    anon = Client(s)
    page = anon.get("/a/brouillons/plainte/new").text
    assert "Enregistrer le brouillon" in page
    r = save_html(anon, "/a/brouillons/plainte/new", {"objet": "Bruit la nuit"})
    assert r.status == 200, (r.status, r.text[:300])
    assert "Quiconque a le lien peut lire le brouillon" in r.text, r.text[-2000:]
    url = re.search(r'<input type="text" id="lien-brouillon" readonly value="([^"]+)"',
                    r.text).group(1)
    assert re.search(r'<label for="lien-brouillon">', r.text)
    m = re.fullmatch(r"http://[^/]+(/a/brouillons/plainte/brouillon/([0-9a-f]{40}))", url)
    assert m, url
    path, token = m.group(1), m.group(2)
    # only the hash is stored
    row = drafts_in_db(s, "plainte")[-1]
    assert row["owner"] is None and row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(drafts_in_db(s))
    # the link works in another browser, a wrong token does not
    other = Client(s)
    page = other.get(path)
    assert page.status == 200 and input_value(page.text, "objet") == "Bruit la nuit"
    assert input_value(page.text, "_draft") == token
    wrong = path[:-1] + ("0" if path[-1] != "0" else "1")
    assert other.get(wrong).status == 404
    assert other.get(path + "0").status == 404
    # saved again, then sent: the tracking page, the draft gone
    r = other.post_form("/a/brouillons/plainte/new", {"objet": "Bruit la nuit",
                                                      "detail": "Tous les soirs",
                                                      "_draft": token, "_brouillon": "1"})
    assert r.status == 303 and r.header("Location") == path, (r.status, r.header("Location"))
    r = other.post_form("/a/brouillons/plainte/new", {"objet": "Bruit la nuit", "_draft": token})
    assert r.status == 422, r.status       # detail is required: the draft stays
    assert other.get(path).status == 200
    r = other.post_form("/a/brouillons/plainte/new", {"objet": "Bruit la nuit",
                                                      "detail": "Tous les soirs",
                                                      "_draft": token})
    assert r.status == 303 and r.header("Location").startswith("/suivi/"), r.header("Location")
    assert other.get(path).status == 404
    # the API gives the token once, by the POST that made the draft
    r = Client(s).api("POST", "/apps/brouillons/plainte/drafts", {"objet": "Par l'API"})
    assert r.status == 201 and re.fullmatch(r"[0-9a-f]{40}", r.json()["token"]), r.text
    t = r.json()["token"]
    assert r.json()["resume_url"].endswith(f"/a/brouillons/plainte/brouillon/{t}")
    got = Client(s).api("GET", f"/apps/brouillons/plainte/drafts/{t}")
    assert got.status == 200 and "token" not in got.json(), got.text
    assert Client(s).api("GET", f"/apps/brouillons/plainte/drafts/{r.json()['id']}").status == 404
    assert Client(s).api("DELETE", f"/apps/brouillons/plainte/drafts/{t}").status == 204
    # a signed-in person's drafts are not reachable by a token, nor the reverse
    assert Client(s).api("GET", "/apps/brouillons/demande/drafts").status == 401


@test
def a_multi_step_draft_comes_back_at_its_step(s):
    c = Client(s).login("alice")
    new = "/a/brouillons/etapes/new"
    first = c.get(new).text
    assert "Enregistrer le brouillon" in first
    r = c.post_form(new, {"_step": "0", "_nav": "next", "nom": "Zoé"})
    assert r.status == 200 and "Étape 2 sur 3" in r.text, r.text[-1500:]
    assert "Enregistrer le brouillon" in r.text
    r = c.post_form(new, {"_step": "1", "nom": "Zoé", "projet": "", "_brouillon": "1"})
    assert r.status == 303, (r.status, r.text[:400])
    page = c.get(r.header("Location")).text
    assert "Étape 2 sur 3" in page and input_value(page, "nom") == "Zoé", page[-2500:]
    assert status_text(page).startswith("Brouillon enregistré")
    row = drafts_in_db(s, "etapes")[-1]
    assert row["step"] == 1 and row["fields"] == '{"nom":"Zoé"}', row


@test
def drafts_past_their_days_are_purged_by_the_tick(s):
    api = Client(s, token=s.tokens["bob"])
    short = api.api("POST", "/apps/brouillons/etapes/drafts", {"nom": "Un jour"}).json()
    long = api.api("POST", f"{API}/drafts", {"nom": "Trente jours"}).json()
    assert short["expires_at"] < long["expires_at"]
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2 * 86400 + 60))
    old = s.env.get("SMALLAPPS_NOW")
    s.env["SMALLAPPS_NOW"] = later
    try:
        out = s.cli("tick").stdout
    finally:
        if old is None:
            del s.env["SMALLAPPS_NOW"]
        else:
            s.env["SMALLAPPS_NOW"] = old
    assert re.search(r"^[1-9]\d* brouillon\(s\) supprimé\(s\)", out, re.M), out
    assert api.api("GET", f"/apps/brouillons/etapes/drafts/{short['id']}").status == 404
    assert api.api("GET", f"{API}/drafts/{long['id']}").status == 200
    ids = [r["id"] for r in drafts_in_db(s)]
    assert short["id"] not in ids and long["id"] in ids, ids


def make_server(binary):
    s = Server(binary, apps=("brouillons",))
    for u in ("alice", "bob"):
        s.add_user(u)
    s.add_user("agnes", roles=["brouillons:agent"])
    s.start()
    s.tokens = {u: s.token(u) for u in ("alice", "bob", "agnes")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
