#!/usr/bin/env python3
"""Workflow tests (issue 3) against the real server: transitions through the HTML and
JSON doors with each error answer in its order, atomic rollback of a failing action,
history, deadlines (overdue), automatic transitions with `smallapps tick`, mails
queued in the outbox, public tracking links. Fixture: tests/apps/flux.
Prints one line per test and ends with "N passed, N failed"."""
import argparse
import os
import re
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, ADMIN_PASSWORD, ROOT, Client, Server, on_pg  # noqa: E402

SUITE = Suite()
NOW = "2026-03-02T09:00:00Z"          # a Monday
LATER = "2026-03-06T09:00:00Z"        # 4 days later: "depose" (due 2 days) is overdue
MUCH_LATER = "2026-03-08T09:00:00Z"   # 6 days later: "expirer" (after 5 days) is due


test = SUITE.test


DOSSIER = {"objet": "Subvention fête", "montant": 500, "courriel": "asso@example.org",
           "priorite": "haute"}
BASE = "/apps/flux/dossier/records"


def api_create(c, fields=None):
    r = c.api("POST", BASE, {"fields": fields or DOSSIER})
    assert r.status == 201, (r.status, r.text)
    return r.json()


def trigger(c, rid, t, body=None):
    return c.api("POST", f"{BASE}/{rid}/transitions/{t}", body if body is not None else {})


def outbox_rows(s, rid):
    return [(r["to_spec"], r["subject"], r["body"], r["status"]) for r in s.sql(
        "flux", "SELECT to_spec, subject, body, status FROM _outbox WHERE record_id = ? ORDER BY id",
        (rid,))]


def history(c, rid):
    r = c.api("GET", f"{BASE}/{rid}/history")
    assert r.status == 200, r.text
    return r.json()["history"]


def restart_at(s, now):
    s.stop()
    s.env["SMALLAPPS_NOW"] = now
    s.start()


# ---------------------------------------------------------------- API door

@test
def api_transition_checks_answer_in_order(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rec = api_create(alice)
    rid = rec["id"]
    assert rec["state"] == "depose"
    r = trigger(agathe, rid, "inconnue")
    assert r.status == 404 and r.json()["error"]["code"] == "not_found"
    r = trigger(alice, rid, "instruire")                   # not an agent
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    r = trigger(agathe, rid, "accorder", {"fields": {"accorde": 10, "accorde_le": "2026-03-02"}})
    assert r.status == 409 and r.json()["error"]["code"] == "conflict", r.text   # wrong state
    r = trigger(agathe, rid, "refuser", {})
    assert r.status == 422 and "_comment" in r.json()["error"]["fields"], r.text
    r = trigger(agathe, rid, "instruire", {"comment": "pas de commentaire ici"})
    assert r.status == 422 and "_comment" in r.json()["error"]["fields"]
    r = trigger(agathe, rid, "instruire", {"fields": {"objet": "autre", "objt": 1}})
    assert r.status == 422, r.text
    assert r.json()["error"]["fields"] == {"objet": "Cette transition ne renseigne pas ce champ.",
                                           "objt": "Champ inconnu."}, r.text
    r = trigger(agathe, rid, "instruire")
    assert r.status == 200, r.text
    body = r.json()
    assert body["state"] == "instruit" and body["version"] == rec["version"] + 1
    assert body["fields"]["note_interne"] == "instruit par agathe"   # set by the action
    assert r.header("ETag") == f'"{body["version"]}"'
    r = trigger(agathe, rid, "instruire")                  # already moved
    assert r.status == 409


@test
def api_guard_refusal_is_409_with_its_reason(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rid = api_create(alice, dict(DOSSIER, objet="bloque"))["id"]
    r = trigger(agathe, rid, "instruire")
    assert r.status == 409, r.text
    assert r.json()["error"]["message"] == "Un dossier bloqué ne peut pas être instruit."
    assert alice.api("GET", f"{BASE}/{rid}").json()["state"] == "depose"


@test
def transition_fields_are_checked_then_the_record_validation(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rid = api_create(alice)["id"]
    assert trigger(agathe, rid, "instruire").status == 200
    r = trigger(agathe, rid, "accorder", {"fields": {"accorde": "beaucoup"}})
    assert r.status == 422, r.text
    f = r.json()["error"]["fields"]
    assert f.get("accorde") and f.get("accorde_le"), f          # wrong type, and required
    r = trigger(agathe, rid, "accorder", {"fields": {"accorde": 900, "accorde_le": "2026-03-02"}})
    assert r.status == 422 and "dépasse" in r.json()["error"]["fields"]["accorde"], r.text
    r = trigger(agathe, rid, "accorder", {"fields": {"accorde": 400, "accorde_le": "2026-03-02"},
                                         "comment": "Vu en commission"})
    assert r.status == 200, r.text
    assert r.json()["state"] == "accorde" and r.json()["fields"]["accorde"] == 400


@test
def malformed_transition_bodies_are_400(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rid = api_create(alice)["id"]
    for raw in (b"{", b'{"fields": 3}', b'{"comment": 12}', b'{"autre": 1}', b"[1]",
                b'{"fields": {}, "fields": {}}'):
        r = agathe.api("POST", f"{BASE}/{rid}/transitions/instruire", raw=raw)
        assert r.status == 400, (raw, r.status, r.text)
    r = agathe.api("POST", f"{BASE}/{rid}/transitions/instruire", raw=b'{"comment": "\xff"}')
    assert r.status == 400
    r = agathe.api("GET", f"{BASE}/{rid}/transitions/instruire")
    assert r.status == 405
    assert alice.api("GET", f"{BASE}/{rid}").json()["state"] == "depose"


@test
def self_approval_false_refuses_the_creator_even_with_the_role(s):
    agathe = Client(s, token=s.tokens["agathe"])
    charles = Client(s, token=s.tokens["charles"])
    # agathe is agent AND demandeur: she files a dossier, then may not grant it herself.
    rid = api_create(agathe)["id"]
    assert trigger(charles, rid, "refuser", {"comment": "x"}).status in (200,)
    rid = api_create(agathe)["id"]
    r = trigger(charles, rid, "instruire")                        # chef may not instruire
    assert r.status == 403 and r.json()["error"]["message"] == "Cette action est réservée à : Agent.", r.text
    assert trigger(agathe, rid, "instruire").status == 200        # no self_approval rule here
    r = trigger(agathe, rid, "accorder", {"fields": {"accorde": 10, "accorde_le": "2026-03-02"}})
    # The refusal says why: a bare "Accès refusé." left the agent guessing.
    assert r.status == 403 and "séparation des tâches" in r.json()["error"]["message"], r.text
    page = Client(s).login("agathe").get(f"/a/flux/dossier/{rid}/do/accorder")
    assert page.status == 403 and "séparation des tâches" in page.text, page.text[:500]
    r = trigger(charles, rid, "accorder", {"fields": {"accorde": 10, "accorde_le": "2026-03-02"}})
    assert r.status == 200, r.text


@test
def foreign_records_stay_404_for_transitions(s):
    alice, bob = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["bob"])
    rid = api_create(alice)["id"]
    r = trigger(bob, rid, "instruire")
    assert r.status == 404
    r = trigger(Client(s), rid, "instruire")
    assert r.status == 401


@test
def transition_fields_are_no_back_door_and_computed_fields_follow(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    charles = Client(s, token=s.tokens["charles"])
    rid = api_create(alice)["id"]
    # The owner may "compléter", but its field shares the column of the agent's opinion
    # (editable_by agent).
    r = trigger(alice, rid, "completer", {"fields": {"avis_agent": "écrit par le demandeur"}})
    assert r.status == 422 and r.json()["error"]["fields"].get("avis_agent"), r.text
    c = Client(s)
    c.login("alice")
    assert 'name="avis_agent"' not in c.get(f"/a/flux/dossier/{rid}/do/completer").text
    r = c.post_form(f"/a/flux/dossier/{rid}/do/completer", {"version": "1", "avis_agent": "x"})
    assert r.status == 303, r.status                       # not offered, a posted value is ignored
    assert agathe.api("GET", f"{BASE}/{rid}").json()["fields"]["avis_agent"] is None
    # A required field must be given with each transition, not inherited from the last one.
    assert trigger(agathe, rid, "instruire").status == 200
    assert trigger(agathe, rid, "reevaluer", {"fields": {"estimation": 300}}).status == 200
    r = trigger(agathe, rid, "reevaluer", {})
    assert r.status == 422 and r.json()["error"]["fields"].get("estimation"), r.text
    # A computed field is recomputed from the transition's fields.
    r = trigger(charles, rid, "accorder", {"fields": {"accorde": 420, "accorde_le": "2026-03-02"}})
    assert r.status == 200, r.text
    assert r.json()["fields"]["reste"] == DOSSIER["montant"] - 420


@test
def html_input_that_does_not_parse_never_reaches_the_guard(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rid = api_create(alice)["id"]
    assert trigger(agathe, rid, "instruire").status == 200
    c = Client(s)
    c.login("charles")
    r = c.post_form(f"/a/flux/dossier/{rid}/do/accorder",
                    {"version": "2", "accorde": "beaucoup", "accorde_le": "2026-03-02"})
    assert r.status == 422, (r.status, r.text[-500:])      # was a 500: the guard compared a string
    r = c.post_form(f"/a/flux/dossier/{rid}/do/accorder",
                    {"version": "2", "accorde": "200000", "accorde_le": "2026-03-02"})
    assert r.status == 409 and "le conseil décide" in r.text


# ---------------------------------------------------------------- atomicity

@test
def failing_action_rolls_everything_back_with_500_and_id(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rec = api_create(alice)
    rid = rec["id"]
    before = history(agathe, rid)
    r = trigger(agathe, rid, "casser")
    assert r.status == 500, r.text
    err = r.json()["error"]
    assert err["code"] == "internal" and err["id"]
    assert f"id={err['id']}" in s.log_text() and "panne volontaire" in s.log_text()
    after = agathe.api("GET", f"{BASE}/{rid}").json()
    assert after["state"] == "depose" and after["version"] == rec["version"]
    assert after["fields"]["note_interne"] is None
    assert history(agathe, rid) == before
    assert outbox_rows(s, rid) == []
    # A runaway action is stopped by its budget, the same way, and the server goes on.
    r = trigger(agathe, rid, "boucler")
    assert r.status == 500 and r.json()["error"]["id"]
    assert agathe.api("GET", f"{BASE}/{rid}").json()["version"] == rec["version"]
    assert trigger(agathe, rid, "instruire").status == 200


# ---------------------------------------------------------------- history and mails

@test
def history_tells_who_did_what_and_hides_private_fields(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    charles = Client(s, token=s.tokens["charles"])
    rid = api_create(alice)["id"]
    # An agent's edit of the private note alone: the owner does not even see that it happened.
    r = agathe.api("PATCH", f"/apps/flux/dossier/records/{rid}", {"fields": {"note_interne": "à vérifier"}},
                   headers={"If-Match": '"1"'})
    assert r.status == 200, r.text
    assert trigger(agathe, rid, "instruire").status == 200
    assert trigger(charles, rid, "accorder", {"fields": {"accorde": 300, "accorde_le": "2026-03-03"},
                                              "comment": "Accord du chef"}).status == 200
    h = history(charles, rid)
    assert [l["action"] for l in h] == ["create", "update", "transition", "transition"]
    assert h[1]["changes"] == {"note_interne": [None, "à vérifier"]}
    h = [h[0]] + h[2:]
    t1, t2 = h[1], h[2]
    assert (t1["from"], t1["to"], t1["transition"], t1["actor"]) == ("depose", "instruit", "instruire", "agathe")
    assert t1["changes"]["note_interne"] == ["à vérifier", "instruit par agathe"]
    assert (t2["from"], t2["to"], t2["actor"], t2["comment"]) == ("instruit", "accorde", "charles", "Accord du chef")
    assert t2["changes"]["accorde"] == [None, 300] and t2["changes"]["accorde_le"] == [None, "2026-03-03"]
    # The owner reads the history without the agents' private note.
    mine = history(alice, rid)
    assert [l["action"] for l in mine] == ["create", "transition", "transition"], mine
    assert "note_interne" not in mine[1]["changes"]
    # The record page shows the same history, as text.
    c = Client(s)
    c.login("alice")
    page = c.get(f"/a/flux/dossier/{rid}").text
    assert "Accord du chef" in page and "instruit par agathe" not in page
    assert page.count("<li>\n<p>") == 3, page.count("<li>\n<p>")


@test
def notify_and_ctx_notify_queue_rendered_mails_in_the_same_transaction(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    charles = Client(s, token=s.tokens["charles"])
    rid = api_create(alice)["id"]
    assert trigger(agathe, rid, "instruire").status == 200
    rows = outbox_rows(s, rid)
    assert rows == [("role:chef", f"Dossier {rid} à suivre",
                     rows[0][2], "pending")], rows
    assert "Le dossier Subvention fête est en instruction." in rows[0][2]
    assert f"/a/flux/dossier/{rid}" in rows[0][2]                   # link for staff
    assert trigger(charles, rid, "accorder", {"fields": {"accorde": 250, "accorde_le": "2026-03-02"}}).status == 200
    rows = outbox_rows(s, rid)
    assert len(rows) == 2 and rows[1][0] == "asso@example.org", rows
    assert rows[1][1] == "Dossier Subvention fête accordé"
    assert "250" in rows[1][2]
    # Admins see them, pending (no --smtp here).
    admin = Client(s)
    admin.login("admin", ADMIN_PASSWORD)
    page = admin.get("/admin/outbox")
    assert page.status == 200 and "Dossier Subvention fête accordé" in page.text


@test
def search_and_sort_never_reveal_private_fields(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    rid = api_create(alice, dict(DOSSIER, objet="Kermesse"))["id"]
    assert trigger(agathe, rid, "instruire").status == 200      # note_interne = "instruit par agathe"
    ids = lambda c, q: [x["id"] for x in c.api("GET", f"{BASE}?q={q}").json()["records"]]
    assert rid in ids(agathe, "instruit%20par")                  # the agent may search it
    assert rid not in ids(alice, "instruit%20par")               # the owner may not
    assert rid in ids(alice, "Kermesse")
    assert alice.api("GET", f"{BASE}?sort=note_interne").status == 400
    c = Client(s)
    c.login("alice")
    page = c.get("/a/flux/dossier/?q=instruit+par").text
    assert "Kermesse" not in page
    assert "Kermesse" in c.get("/a/flux/dossier/?q=Kermesse").text
    assert c.get("/a/flux/dossier/?sort=note_interne").status == 200   # ignored, not an oracle


# ---------------------------------------------------------------- HTML door

@test
def html_record_page_offers_allowed_transitions_and_triggers_them(s):
    alice = Client(s, token=s.tokens["alice"])
    rid = api_create(alice)["id"]
    c = Client(s)
    c.login("agathe")
    page = c.get(f"/a/flux/dossier/{rid}").text
    assert f'action="/a/flux/dossier/{rid}/do/instruire"' in page      # a one-click button
    assert f'href="/a/flux/dossier/{rid}/do/refuser"' in page          # has a comment: its own form
    assert "/do/accorder" not in page and "/do/expirer" not in page
    own = Client(s)
    own.login("alice")
    assert re.findall(r"/do/([a-z_]+)", own.get(f"/a/flux/dossier/{rid}").text) == ["completer"]
    # No CSRF token: refused, nothing moves.
    r = c.post_form(f"/a/flux/dossier/{rid}/do/instruire", {"version": "1"}, csrf=False)
    assert r.status == 403
    r = c.post_form(f"/a/flux/dossier/{rid}/do/instruire", {"version": "1"})
    assert r.status == 303 and r.header("Location") == f"/a/flux/dossier/{rid}?fait=instruire"
    page = c.get(r.header("Location")).text
    assert "En instruction" in page and "Action effectuée : Instruire." in page
    # Stale version (the page was shown before someone else acted): 409, not a second move.
    r = c.post_form(f"/a/flux/dossier/{rid}/do/refuser", {"version": "1", "_comment": "non"})
    assert r.status == 409
    assert f'<a href="/a/flux/dossier/{rid}">Revenir à l’enregistrement</a>' in r.text
    # A transition the record's state no longer allows: 409, and the way back to it.
    r = c.post_form(f"/a/flux/dossier/{rid}/do/instruire", {"version": "2"})
    assert r.status == 409 and f'href="/a/flux/dossier/{rid}"' in r.text, r.text[-1500:]


@test
def html_transition_form_rerenders_errors_accessibly(s):
    alice = Client(s, token=s.tokens["alice"])
    rid = api_create(alice)["id"]
    assert trigger(Client(s, token=s.tokens["agathe"]), rid, "instruire").status == 200
    c = Client(s)
    c.login("charles")
    r = c.get(f"/a/flux/dossier/{rid}/do/accorder")
    assert r.status == 200
    assert 'for="f-accorde"' in r.text or 'for="accorde"' in r.text, r.text[:3000]
    assert 'name="_comment"' in r.text and r.text.count("<h1") == 1
    r = c.post_form(f"/a/flux/dossier/{rid}/do/accorder",
                    {"version": "2", "accorde": "<script>x</script>", "accorde_le": ""})
    assert r.status == 422, r.status
    assert "<script>x</script>" not in r.text and "&lt;script&gt;" in r.text
    assert 'aria-invalid="true"' in r.text and 'role="alert"' in r.text or "erreur" in r.text.lower()
    r = c.post_form(f"/a/flux/dossier/{rid}/do/accorder",
                    {"version": "2", "accorde": "120", "accorde_le": "2026-03-02", "_comment": "OK"})
    assert r.status == 303, r.text[:500]
    assert alice.api("GET", f"{BASE}/{rid}").json()["state"] == "accorde"
    # Guard refusal in HTML: 409 with the reason on the page.
    rid = api_create(alice, dict(DOSSIER, objet="bloque"))["id"]
    c2 = Client(s)
    c2.login("agathe")
    r = c2.post_form(f"/a/flux/dossier/{rid}/do/instruire", {"version": "1"})
    assert r.status == 409 and "Un dossier bloqué ne peut pas être instruit." in r.text
    assert c2.get(f"/a/flux/dossier/{rid}/do/inconnue").status == 404
    assert Client(s).get(f"/a/flux/dossier/{rid}/do/instruire").status in (303, 401, 404)


# ---------------------------------------------------------------- deadlines and ticks

@test
def overdue_records_are_flagged_filtered_and_counted(s):
    alice, agathe = Client(s, token=s.tokens["alice"]), Client(s, token=s.tokens["agathe"])
    late = api_create(alice, dict(DOSSIER, objet="dossier oublié"))["id"]
    moving = api_create(alice, dict(DOSSIER, objet="instruit vite"))["id"]
    assert trigger(agathe, moving, "instruire").status == 200
    assert agathe.api("GET", f"{BASE}/{late}").json()["overdue"] is False
    restart_at(s, LATER)
    try:
        assert agathe.api("GET", f"{BASE}/{late}").json()["overdue"] is True
        assert agathe.api("GET", f"{BASE}/{moving}").json()["overdue"] is False   # due 10 days
        c = Client(s)
        c.login("agathe")
        page = c.get("/a/flux/dossier/?overdue=1")
        assert page.status == 200, page.status
        assert "dossier oublié" in page.text and "instruit vite" not in page.text
        assert re.search(r"[Ee]n retard", c.get(f"/a/flux/dossier/{late}").text)
        home = c.get("/a/flux/").text
        assert re.search(r"[Ee]n retard", home)
    finally:
        restart_at(s, NOW)


@test
def tick_runs_automatic_transitions_once(s):
    alice = Client(s, token=s.tokens["alice"])
    agathe = Client(s, token=s.tokens["agathe"])
    old = api_create(alice, dict(DOSSIER, objet="oublié"))["id"]
    taken = api_create(alice, dict(DOSSIER, objet="pris en charge"))["id"]
    assert trigger(agathe, taken, "instruire").status == 200
    s.stop()
    try:
        s.env["SMALLAPPS_NOW"] = LATER                       # 4 days: not yet due
        p = s.cli("tick")
        assert p.stdout.startswith("0 "), p.stdout
        s.env["SMALLAPPS_NOW"] = MUCH_LATER
        p = s.cli("tick")
        moved = int(p.stdout.split()[0])
        assert moved >= 1, p.stdout + p.stderr
        p = s.cli("tick")
        assert p.stdout.startswith("0 "), p.stdout               # idempotent
    finally:
        s.env["SMALLAPPS_NOW"] = NOW
        s.start()
    assert agathe.api("GET", f"{BASE}/{old}").json()["state"] == "expire"
    assert agathe.api("GET", f"{BASE}/{taken}").json()["state"] == "instruit"
    h = history(agathe, old)
    assert h[-1]["actor"] == "system" and h[-1]["transition"] == "expirer"
    assert [l for l in history(agathe, old) if l["action"] == "transition"].__len__() == 1
    rows = outbox_rows(s, old)
    assert rows and rows[-1][0] == "asso@example.org" and "expiré" in rows[-1][1]


# ---------------------------------------------------------------- public tracking

@test
def anonymous_submission_gets_a_tracking_link(s):
    c = Client(s)
    r = c.post_form("/a/flux/dossier/new", {"objet": "Trottoir abîmé", "montant": "10",
                                           "courriel": "citoyen@example.org"})
    assert r.status == 303, r.text[:800]
    loc = r.header("Location")
    m = re.fullmatch(r"/suivi/([0-9a-f]{40})\?recu=1", loc)
    assert m, loc
    token = m.group(1)
    page = c.get(loc)
    assert page.status == 200 and "Dossier" in page.text and "Déposé" in page.text
    assert "Conservez cette adresse" in page.text and token in page.text
    assert "citoyen@example.org" not in page.text and "Trottoir" not in page.text
    assert page.header("Cache-Control") == "no-store"
    # Only a hash is stored, and the secret behind the tokens is not in the app database.
    assert s.sql_one("flux", "SELECT count(*) FROM _tracking WHERE token_hash = ?", (token,)) == 0
    assert s.sql_one("flux", "SELECT count(*) FROM _meta WHERE key LIKE '%key%'") == 0
    rid = s.sql("flux", "SELECT record_id FROM _tracking ORDER BY record_id")[-1]["record_id"]
    if on_pg():  # the key is the cluster's, in the system schema, never in an app's
        assert s.sql_one("system", "SELECT count(*) FROM _secrets WHERE name = 'tracking'") == 1
    else:
        key_file = os.path.join(s.data, "tracking.key")
        assert os.stat(key_file).st_mode & 0o777 == 0o600
    # It follows the record through the workflow.
    agathe = Client(s, token=s.tokens["agathe"])
    assert trigger(agathe, rid, "refuser", {"comment": "Hors compétence — voir la mairie"}).status == 200
    page = c.get(f"/suivi/{token}").text
    assert "Refusé" in page and "Hors compétence" not in page and "agathe" not in page
    # Unknown, truncated or foreign-looking tokens are 404.
    for bad in ("0" * 40, token[:-1], token.upper(), "../../etc/passwd", token + "0"):
        assert c.get(f"/suivi/{bad}").status == 404, bad
    # Deleting the record kills the link and drops its hash: nothing is left behind.
    admin = Client(s)
    admin.login("admin", ADMIN_PASSWORD)
    r = admin.post_form(f"/a/flux/dossier/{rid}/delete", {})
    assert r.status == 303, (r.status, r.text[:500])
    assert c.get(f"/suivi/{token}").status == 404
    assert s.sql_one("flux", "SELECT count(*) FROM _tracking WHERE record_id = ?", (rid,)) == 0
    # Logged-in submitters see their record instead.
    own = Client(s)
    own.login("alice")
    r = own.post_form("/a/flux/dossier/new", {"objet": "Par Alice", "montant": "5"})
    assert r.status == 303 and r.header("Location").startswith("/a/flux/dossier/")


@test
def a_transition_mails_the_anonymous_submitter_their_tracking_link(s):
    from email import message_from_bytes, policy
    from smtp_server import SmtpServer
    smtp = SmtpServer()
    smtp.start()
    try:
        s.stop()
        s.env["SMALLAPPS_SMTP"] = smtp.url
        s.env["SMALLAPPS_BASE_URL"] = "https://demarches.example.fr"
        s.start()
        c = Client(s)
        r = c.post_form("/a/flux/dossier/new", {"objet": "Banc cassé", "montant": "80",
                                               "courriel": "élodie@example.org"})
        assert r.status == 303, r.text[:500]
        token = re.search(r"/suivi/([0-9a-f]{40})", r.header("Location")).group(1)
        rid = s.sql_one("flux", "SELECT max(id) FROM dossier")
        agathe = Client(s, token=s.tokens["agathe"])
        charles = Client(s, token=s.tokens["charles"])
        assert trigger(agathe, rid, "instruire").status == 200
        r = trigger(charles, rid, "accorder", {"fields": {"accorde": 80, "accorde_le": "2026-03-02"}})
        assert r.status == 200, r.text
        # Mails queued by the tests before (without --smtp) leave too: look for ours.
        deadline, mine = time.time() + 15, []
        while not mine and time.time() < deadline:
            time.sleep(0.1)
            with smtp.lock:
                mine = [m for m in smtp.messages if "élodie@example.org" in " ".join(m.rcpt_to)]
        assert len(mine) == 1, [m.rcpt_to for m in smtp.messages]
        mail = message_from_bytes(mine[0].data, policy=policy.default)
        assert mail["Subject"] == "Dossier Banc cassé accordé"
        body = mail.get_content()
        assert "accordé pour 80 euros" in body
        assert f"https://demarches.example.fr/suivi/{token}" in body       # not the staff page
        # The server has the mail before the sender records it as sent, and the
        # chef's mail (role:chef, no address granted) fails with a clear reason:
        # wait for both rows to leave "pending".
        deadline = time.time() + 10
        while True:
            st = {r["to_spec"]: r["status"] for r in s.sql(
                "flux", "SELECT to_spec, status FROM _outbox WHERE record_id = ?", (rid,))}
            if "pending" not in st.values() or time.time() > deadline:
                break
            time.sleep(0.1)
        assert st["élodie@example.org"] == "sent", st
        assert st["role:chef"] == "failed", st
    finally:
        smtp.stop()
        s.stop()
        s.env.pop("SMALLAPPS_SMTP", None)
        s.env.pop("SMALLAPPS_BASE_URL", None)
        s.start()



@test
def a_quorum_transition_happens_at_the_second_distinct_approval(s):
    """approvals = { count = 2, distinct = true }: each trigger is an approval line; the
    second person's moves the record; the same person twice is refused, the drafter too
    (self_approval = false) with the reason; approvals count again once the state is
    entered again."""
    q = Server(s.binary, apps=("quorum",), env={"SMALLAPPS_NOW": NOW})
    try:
        q.add_user("redac", roles=["quorum:redacteur", "quorum:elu"])
        for u in ("elu1", "elu2"):
            q.add_user(u, roles=["quorum:elu"])
        tok = {u: q.token(u) for u in ("redac", "elu1", "elu2")}
        q.start()
        api = {u: Client(q, token=t) for u, t in tok.items()}
        base = "/apps/quorum/deliberation/records"
        r = api["redac"].api("POST", base, {"fields": {"objet": "Budget 2027"}})
        assert r.status == 201, r.text
        rid, v0 = r.json()["id"], r.json()["version"]
        # the drafter may not approve: said why, not a bare refusal
        r = api["redac"].api("POST", f"{base}/{rid}/transitions/adopter", {})
        assert r.status == 403 and "séparation des tâches" in r.json()["error"]["message"], r.text
        # first approval: recorded, the record stays, a new version
        r = api["elu1"].api("POST", f"{base}/{rid}/transitions/adopter",
                            {"comment": "Pour"})
        assert r.status == 200, r.text
        body = r.json()
        assert body["state"] == "proposee" and body["version"] == v0 + 1, body
        assert body["approvals"] == {"transition": "adopter", "count": 1, "required": 2}, body
        # the same person again: refused, nothing written
        r = api["elu1"].api("POST", f"{base}/{rid}/transitions/adopter", {})
        assert r.status == 409 and "déjà approuvé" in r.json()["error"]["message"], r.text
        page = Client(q).login("elu2").get(f"/a/quorum/deliberation/{rid}").text
        assert '<p class="approvals">Adopter : 1 approbation sur 2 (par elu1).</p>' in page, page
        assert "Approbation de « Adopter »" in page
        # the second, through the HTML door: the transition happens
        c = Client(q).login("elu2")
        page = c.get(f"/a/quorum/deliberation/{rid}/do/adopter").text
        csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
        r = c.request("POST", f"/a/quorum/deliberation/{rid}/do/adopter",
                      body=f"_csrf={csrf}&version={v0 + 1}&_comment=Pour",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 303 and r.header("Location").endswith("?fait=adopter"), (r.status, r.text)
        rec = api["elu1"].api("GET", f"{base}/{rid}").json()
        assert rec["state"] == "adoptee" and "approvals" not in rec, rec
        lines = api["elu1"].api("GET", f"{base}/{rid}/history").json()
        acts = [(h["action"], h["actor"]) for h in (lines.get("history", lines)
                                                    if isinstance(lines, dict) else lines)]
        assert acts[-3:] == [("approval", "elu1"), ("approval", "elu2"),
                             ("transition", "elu2")], acts
        # back in "proposee": the approvals count again from zero
        r = api["elu1"].api("POST", f"{base}/{rid}/transitions/rouvrir", {})
        assert r.status == 200 and r.json()["state"] == "proposee", r.text
        page = Client(q).login("elu1").get(f"/a/quorum/deliberation/{rid}").text
        assert "Adopter : 0 approbation sur 2." in page, page
        r = api["elu1"].api("POST", f"{base}/{rid}/transitions/adopter", {})
        assert r.status == 200 and r.json()["approvals"]["count"] == 1, r.text
        # the OpenAPI document says so
        schemas = api["elu1"].api("GET", "/openapi.json").json()["components"]["schemas"]
        with_approvals = [n for n, sc in schemas.items()
                          if "approvals" in sc.get("properties", {})]
        assert with_approvals and all(n.startswith("quorum.") for n in with_approvals), \
            with_approvals
    finally:
        q.cleanup()

def make_server(binary):
    s = Server(binary, apps=("flux",), env={"SMALLAPPS_NOW": NOW})
    s.add_user("alice", roles=["flux:demandeur"])
    s.add_user("bob", roles=["flux:demandeur"])
    s.add_user("agathe", roles=["flux:agent", "flux:demandeur"])
    s.add_user("charles", roles=["flux:chef"])
    s.tokens = {u: s.token(u) for u in ("alice", "bob", "agathe", "charles")}
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
