#!/usr/bin/env python3
"""People and their rights in the browser (issue 11.3, SPEC 6): /admin/users for global
admins only — the list with last sign-ins, a person added with a generated password shown
once (which then signs in), roles given and taken back from a select of the apps' roles
(a role no app declares is refused), disabling (the person's session and API token stop at
once) and enabling, a new password, API tokens made (shown once, usable) and revoked;
every change audited under the admin's login; CSRF refused; non-admins refused.
Fixture: tests/apps/pieces. Ends with "N passed, N failed"."""
import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, Client, Server, ADMIN_PASSWORD  # noqa: E402

SUITE = Suite()
test = SUITE.test


def admin(s):
    return Client(s).login("admin", ADMIN_PASSWORD)


def secret(page):
    m = re.search(r'<div class="secret" role="status"><p>[^<]*</p>\s*<p><code>([^<]+)</code>', page)
    assert m, page[:3000]
    return html.unescape(m.group(1))


def audited(s, action, target):
    return s.sql("system", "SELECT actor FROM audit WHERE action = ? AND target = ?",
                 (action, target))


@test
def the_pages_are_for_global_admins_only(s):
    assert Client(s).login("alice").get("/admin/users").status == 403
    anon = Client(s).get("/admin/users")
    assert anon.status in (302, 303) and "/login" in anon.header("Location")
    a = admin(s)
    page = a.get("/admin/users")
    assert page.status == 200
    assert 'href="/admin/users/alice"' in page.text and "jamais" in page.text
    # no CSRF token: refused, nothing made
    r = a.post_form("/admin/users", {"login": "mallory"}, csrf=False)
    assert r.status == 403
    assert s.sql_one("system", "SELECT count(*) FROM users WHERE login = 'mallory'") == 0
    assert a.get("/admin/users/nobody").status == 404
    assert a.request("DELETE", "/admin/users/alice").status == 405


@test
def a_person_added_with_a_generated_password_signs_in(s):
    a = admin(s)
    r = a.post_form("/admin/users", {"login": "claire", "name": "Claire <Agent>",
                                     "email": "claire@example.org", "password": ""})
    assert r.status == 201, r.text[:500]
    assert "Claire &lt;Agent&gt;" in r.text
    pw = secret(r.text)
    assert len(pw) == 20
    assert pw not in a.get("/admin/users/claire").text  # shown once
    c = Client(s).login("claire", pw)
    assert "sa_session" in c.cookies
    assert a.get("/admin/users").text.count("claire") >= 1
    assert audited(s, "user.add", "claire")[0]["actor"] == "admin"
    # refusals come back with what was typed
    r = a.post_form("/admin/users", {"login": "claire", "name": "Doublon"})
    assert r.status == 409 and 'value="Doublon"' in r.text
    r = a.post_form("/admin/users", {"login": "Pas Valide", "name": "x"})
    assert r.status == 422 and "Pas Valide" in r.text


@test
def roles_are_given_from_the_apps_and_taken_back(s):
    a = admin(s)
    page = a.get("/admin/users/alice")
    assert '<option value="pieces:agent">' in page.text
    r = a.post_form("/admin/users/alice/grant", {"grant": "pieces:agent"})
    assert r.status == 303 and r.header("Location") == "/admin/users/alice"
    assert "pieces:agent" in a.get("/admin/users/alice").text
    assert audited(s, "grant", "alice")[-1]["actor"] == "admin"
    # a role no app declares, or an app not served: refused, not stored
    for bad in ("pieces:chef", "inconnue:agent", "pieces", ""):
        r = a.post_form("/admin/users/alice/grant", {"grant": bad})
        assert r.status == 422, (bad, r.status)
    r = a.post_form("/admin/users/alice/revoke", {"grant": "pieces:agent"})
    assert r.status == 303
    assert s.sql_one("system", "SELECT count(*) FROM grants g JOIN users u ON u.id = g.user_id "
                               "WHERE u.login = 'alice' AND g.role = 'agent'") == 0
    assert audited(s, "revoke", "alice")[-1]["actor"] == "admin"


@test
def disabling_stops_sessions_and_tokens_at_once(s):
    a = admin(s)
    bob = Client(s).login("bob")
    token = s.token("bob")
    api = Client(s, token=token)
    assert bob.get("/a/pieces/").status == 200
    assert api.get("/api/v1/apps/pieces/dossier/records").status == 200
    assert a.post_form("/admin/users/bob/disable", {}).status == 303
    assert bob.get("/a/pieces/dossier/new").status in (302, 303)  # signed out
    assert api.get("/api/v1/apps/pieces/dossier/records").status == 401
    assert "désactivé" in a.get("/admin/users/bob").text
    assert a.post_form("/admin/users/bob/enable", {}).status == 303
    assert api.get("/api/v1/apps/pieces/dossier/records").status == 200
    assert [x["actor"] for x in audited(s, "user.disable", "bob")] == ["admin"]
    assert [x["actor"] for x in audited(s, "user.enable", "bob")] == ["admin"]
    # an admin does not disable themselves
    assert a.post_form("/admin/users/admin/disable", {}).status == 409
    assert a.get("/admin/users").status == 200


@test
def a_new_password_and_tokens_are_shown_once(s):
    a = admin(s)
    r = a.post_form("/admin/users/bob/password", {})
    assert r.status == 200
    pw = secret(r.text)
    Client(s).login("bob", pw)
    assert audited(s, "user.password", "bob")[-1]["actor"] == "admin"
    r = a.post_form("/admin/users/bob/tokens", {"label": "Tableau <de bord>"})
    assert r.status == 201
    token = secret(r.text)
    api = Client(s, token=token)
    assert api.get("/api/v1/apps/pieces/dossier/records").status == 200
    page = a.get("/admin/users/bob").text
    assert token not in page and "Tableau &lt;de bord&gt;" in page
    m = re.search(r'<li>Tableau &lt;de bord&gt;[^\n]*?action="/admin/users/bob/tokens/'
                  r'([0-9a-f]{64})/revoke"', page)
    assert m, page
    assert a.post_form(f"/admin/users/bob/tokens/{m.group(1)}/revoke", {}).status == 303
    assert api.get("/api/v1/apps/pieces/dossier/records").status == 401
    assert a.post_form(f"/admin/users/bob/tokens/{m.group(1)}/revoke", {}).status == 404
    assert audited(s, "token.revoke", "bob")[-1]["actor"] == "admin"


def make_server(binary):
    s = Server(binary, apps=("pieces",))
    s.add_user("alice", roles=("pieces:usager",))
    s.add_user("bob", roles=("pieces:usager",))
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
