#!/usr/bin/env python3
"""Form items of SPEC 4.3 and issue 12 against the real server (fixture tests/apps/formes):
`yes_no` (two radios Oui/Non, stored 0/1, a JSON boolean, unanswered is null, required
means answered) and `info` (static text in the form, paragraphs and links, no data).
Prints one line per test and ends with "N passed, N failed"."""
import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Client, Server, Suite, field_errors_html  # noqa: E402

SUITE = Suite()
test = SUITE.test
NEW = "/a/formes/demande/new"
API = "/apps/formes/demande/records"


@test
def yes_no_is_two_radios_and_info_is_text_with_its_links(s):
    page = Client(s).login("alice").get(NEW).text
    group = re.search(r'<fieldset class="group yes-no".*?</fieldset>', page, re.S).group(0)
    assert "<legend>Êtes-vous majeur ?" in group, group
    radios = re.findall(r'<input type="radio"[^>]*>', group)
    assert len(radios) == 2 and 'value="1"' in radios[0] and 'value="0"' in radios[1], radios
    assert 'id="f-majeur"' in radios[0] and all("required" in r for r in radios), radios
    assert not any("checked" in r for r in radios), "unanswered: nothing checked"
    assert ">Oui</label>" in group and ">Non</label>" in group
    info = re.search(r'<div class="info">.*?</div>', page, re.S).group(0)
    assert info.count("<p>") == 2, info
    assert '<a href="https://www.impots.gouv.fr/accueil">' in info, info  # without the "."
    assert "&lt;b&gt;Merci&lt;/b&gt;" in info and "<b>" not in info, info
    assert "privacy-notice" not in page  # no personal data asked: no notice
    # no data: the info item is neither a control nor a column
    assert 'name="info' not in page
    cols = s.sql("formes", "SELECT * FROM demande LIMIT 0")
    assert cols == [] or "info" not in cols[0]


@test
def yes_no_through_the_form_no_is_an_answer_none_is_not(s):
    c = Client(s).login("alice")
    c.get(NEW)
    r = c.post_form(NEW, {"objet": "Sans réponse"})
    assert r.status == 422, r.status
    assert field_errors_html(r.text).get("majeur") == "Ce champ est obligatoire.", \
        field_errors_html(r.text)
    r = c.post_form(NEW, {"objet": "Peut-être", "majeur": "peut-etre"})
    assert r.status == 422 and "Répondez par Oui ou par Non." in r.text
    r = c.post_form(NEW, {"objet": "Non", "majeur": "0", "representant": "Mme Durand"})
    assert r.status == 303, (r.status, r.text[:300])
    rid = int(r.header("Location").rstrip("/").split("/")[-1])
    rec = Client(s, token=s.tokens["alice"]).api("GET", f"{API}/{rid}").json()
    assert rec["fields"]["majeur"] is False and rec["fields"]["rappel"] is None, rec
    page = c.get(f"/a/formes/demande/{rid}").text
    assert re.search(r"Êtes-vous majeur \?</dt>\s*<dd[^>]*>Non<", page), page[-2000:]


@test
def yes_no_through_the_api_is_a_boolean_or_null(s):
    api = Client(s, token=s.tokens["alice"])
    r = api.api("POST", API, {"fields": {"objet": "Oui", "majeur": True, "rappel": None}})
    assert r.status == 201 and r.json()["fields"]["majeur"] is True, r.text
    r = api.api("POST", API, {"fields": {"objet": "Texte", "majeur": "oui"}})
    assert r.status == 422 and "majeur" in r.json()["error"]["fields"], r.text
    r = api.api("POST", API, {"fields": {"objet": "Absent"}})
    assert r.status == 422 and "majeur" in r.json()["error"]["fields"], r.text
    schema = api.api("GET", "/apps/formes").json()
    fields = [f["name"] for f in schema["forms"][0]["fields"]]
    assert fields == ["objet", "majeur", "rappel", "representant", "lien"], fields


@test
def a_section_with_visible_if_hides_its_whole_group(s):
    api = Client(s, token=s.tokens["alice"])
    # a minor: the legal representative's group applies, and its required field with it
    r = api.api("POST", API, {"fields": {"objet": "Mineur", "majeur": False}})
    assert r.status == 422 and "representant" in r.json()["error"]["fields"], r.text
    r = api.api("POST", API, {"fields": {"objet": "Mineur", "majeur": False,
                                         "representant": "M. Petit", "lien": "père"}})
    assert r.status == 201 and r.json()["fields"]["lien"] == "père", r.text
    # an adult: the group is hidden, its values are not kept, nothing of it is required
    r = api.api("POST", API, {"fields": {"objet": "Majeur", "majeur": True, "lien": "moi"}})
    assert r.status == 201, r.text
    assert r.json()["fields"]["lien"] is None and r.json()["fields"]["representant"] is None
    # without script the group is shown, with when it applies
    page = Client(s).login("alice").get(NEW).text
    group = re.search(r'<fieldset class="section"[^>]*>.*?</fieldset>', page, re.S).group(0)
    assert "<legend>Représentant légal</legend>" in group, group
    assert re.search(r'<p class="hint cond">[^<]*Êtes-vous majeur', group), group
    # the OpenAPI document: nullable and not required, as for a field's own visible_if
    fields = api.api("GET", "/openapi.json").json()["components"]["schemas"][
        "formes.demande.Fields"]
    assert fields["required"] == ["objet", "majeur"], fields["required"]
    assert "null" in fields["properties"]["representant"]["type"], fields["properties"]


@test
def conditions_are_written_for_the_page_script_served_by_the_binary(s):
    """The page says which conditions apply (data attributes) and loads web/conditions.js
    under a hashed name, kept forever by browsers; the CSP lets only our own script run."""
    c = Client(s).login("alice")
    r = c.get(NEW)
    page = r.text
    section = re.search(r'<fieldset class="section"([^>]*)>', page).group(1)
    assert section == (' data-visible-if="[{&quot;f&quot;:&quot;majeur&quot;,&quot;t&quot;:'
                       '&quot;boolean&quot;,&quot;v&quot;:[&quot;false&quot;]}]"'), section
    assert re.search(r'<form method="post" novalidate data-conditions', page), page[:2000]
    src = re.search(r'<script src="(/static/conditions\.[0-9a-f]{16}\.js)" defer></script>',
                    page).group(1)
    assert "script-src 'self'" in r.header("Content-Security-Policy")
    assert "connect-src 'self'" in r.header("Content-Security-Policy")  # its suggestions
    assert "'unsafe-inline'" not in r.header("Content-Security-Policy")
    js = c.get(src)
    assert js.status == 200 and js.header("Content-Type").startswith("text/javascript")
    assert "immutable" in js.header("Cache-Control") and "smallappsMatches" in js.text
    with open(os.path.join(ROOT, "web", "conditions.js"), encoding="utf-8") as f:
        assert js.text == f.read(), "the binary serves web/conditions.js as it is"
    css = re.search(r'href="(/static/style\.[0-9a-f]{16}\.css)"', page).group(1)
    assert "immutable" in c.get(css).header("Cache-Control")
    # the plain names still answer (an old page in a cache), but are not kept forever
    assert c.get("/static/style.css").header("Cache-Control") == "no-store"
    assert c.get("/static/conditions.js").status == 200
    for bad in ("/static/conditions.0000000000000000.js", "/static/../app.lua",
                "/static/style.css.bak", "/static/"):
        assert c.get(bad).status == 404, bad
    # a form without conditions does not load it
    login = Client(s).get("/login").text
    assert "<script" not in login


AV = "/apps/avertis/inscription/records"


@test
def a_field_s_own_messages_replace_the_engine_s_on_both_doors(s):
    api = Client(s, token=s.tokens["alice"])
    r = api.api("POST", AV, {"fields": {"age": 10, "code": "12a4"}})
    assert r.status == 422, r.text
    assert r.json()["error"]["fields"] == {"nom": "Indiquez votre nom.",
                                           "age": "Il faut avoir 16 ans.",
                                           "code": "Le code a 4 chiffres."}, r.text
    r = api.api("POST", AV, {"fields": {"nom": "N" * 61, "age": "dix"}})
    assert r.json()["error"]["fields"] == {"nom": "Nom trop long : 60 caractères au plus.",
                                           "age": "Indiquez un âge en chiffres."}, r.text
    # English when given, else the French one (the app's words, not the engine's)
    r = api.api("POST", AV, {"fields": {"nom": "N" * 61}}, headers={"Accept-Language": "en"})
    assert r.json()["error"]["fields"]["nom"] == "Name too long: 60 characters at most.", r.text
    r = api.api("POST", AV, {"fields": {"age": 10}}, headers={"Accept-Language": "en"})
    assert r.json()["error"]["fields"] == {"nom": "Indiquez votre nom.",
                                           "age": "Il faut avoir 16 ans."}, r.text
    # rules without a message of the app keep the engine's
    r = api.api("POST", AV, {"fields": {"nom": "Ana", "enfants": -1}})
    assert "au moins 0" in r.json()["error"]["fields"]["enfants"], r.text
    # the HTML door says the same, tied to its input
    c = Client(s).login("alice")
    r = c.post_form("/a/avertis/inscription/new", {"nom": "", "age": "dix", "code": "1"})
    assert r.status == 422
    errs = field_errors_html(r.text)
    assert errs["nom"] == "Indiquez votre nom." and errs["age"] == "Indiquez un âge en chiffres." \
        and errs["code"] == "Le code a 4 chiffres.", errs


@test
def warnings_ask_for_a_confirmation_and_write_nothing_until_given(s):
    api = Client(s, token=s.tokens["alice"])
    before = s.sql_one("avertis", "SELECT COUNT(*) FROM inscription")
    r = api.api("POST", AV, {"fields": {"nom": "Ana", "age": 95, "enfants": 12}})
    assert r.status == 422, r.text
    e = r.json()["error"]
    assert e["code"] == "confirmation_required" and "confirm" in e["message"], e
    assert e["warnings"] == {"age": "Plus de 90 ans : vérifiez l'âge saisi.",
                             "_": "Plus de 10 enfants à charge : est-ce bien cela ?"}, e
    assert s.sql_one("avertis", "SELECT COUNT(*) FROM inscription") == before
    # an error still comes first: warnings are for a valid record
    r = api.api("POST", AV, {"fields": {"age": 95}})
    assert r.json()["error"]["code"] == "validation_failed", r.text
    # confirmed: written
    r = api.api("POST", AV, {"fields": {"nom": "Ana", "age": 95, "enfants": 12}, "confirm": True})
    assert r.status == 201 and r.json()["fields"]["age"] == 95, r.text
    rid = r.json()["id"]
    # an edit asks too; "confirm" must be a boolean beside "fields"
    r = api.api("PATCH", f"{AV}/{rid}", {"fields": {"age": 96}})
    assert r.status == 422 and r.json()["error"]["code"] == "confirmation_required", r.text
    r = api.api("PATCH", f"{AV}/{rid}", {"fields": {"age": 96}, "confirm": "oui"})
    assert r.status == 400, r.text
    r = api.api("PATCH", f"{AV}/{rid}", {"fields": {"age": 96}, "confirm": True})
    assert r.status == 200 and r.json()["fields"]["age"] == 96, r.text
    # the HTML door: the form again with the warnings and "Confirmer quand même"
    c = Client(s).login("alice")
    fields = {"nom": "Léa", "age": "97", "code": "", "enfants": ""}
    r = c.post_form("/a/avertis/inscription/new", fields)
    assert r.status == 422 and "Vérifiez avant d'enregistrer" in r.text, r.text
    assert '<a href="#f-age">Âge : Plus de 90 ans : vérifiez l&#39;âge saisi.</a>' in r.text, r.text
    assert '<button type="submit" name="_confirm" value="1">Confirmer quand même</button>' in r.text
    assert 'value="97"' in r.text  # what was typed stays
    n = s.sql_one("avertis", "SELECT COUNT(*) FROM inscription")
    r = c.post_form("/a/avertis/inscription/new", dict(fields, _confirm="1"))
    assert r.status == 303, r.text
    assert s.sql_one("avertis", "SELECT COUNT(*) FROM inscription") == n + 1


ET = "/a/etapes/demande/new"


def hidden(page):
    """The hidden inputs of a page, as (name, value) pairs in order (what travels)."""
    return [(html.unescape(n), html.unescape(v)) for n, v in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
            if n != "_csrf"]


@test
def a_multi_step_form_goes_step_by_step_without_javascript(s):
    c = Client(s).login("alice")
    page = c.get(ET).text
    assert "<title>Demande de subvention — nouvel enregistrement — étape 1 sur 4" in page, page[:400]
    assert '<h2>Demandeur <span class="step-state">Étape 1 sur 4</span></h2>' in page, page
    assert "Étape suivante : Société" in page
    assert 'id="f-nom"' in page and 'id="f-siret"' not in page and 'id="f-montant"' not in page
    assert '<button type="submit" name="_nav" value="next">Suivant</button>' in page
    assert 'value="prev"' not in page  # no "Précédent" on the first step
    # "Suivant" with an error of this step: held here, with only this step's errors
    r = c.post_form(ET, {"_step": "0", "_nav": "next", "nom": "", "societe": "1"})
    assert r.status == 422 and "Étape 1 sur 4" in r.text
    assert set(field_errors_html(r.text)) == {"nom"}, field_errors_html(r.text)
    # valid: step 2, what was typed travels as hidden inputs
    r = c.post_form(ET, {"_step": "0", "_nav": "next", "nom": "Club <b>", "societe": "1"})
    assert r.status == 200 and "Étape 2 sur 4" in r.text, r.text
    carried = dict(hidden(r.text))
    assert carried["nom"] == "Club <b>" and carried["societe"] == "1" and carried["_step"] == "1"
    assert "Club <b>" not in r.text  # escaped
    # "Précédent" keeps what this step had
    back = c.post_form(ET, dict(hidden(r.text), _nav="prev", siret="73282932000074"))
    assert "Étape 1 sur 4" in back.text and 'value="Club &lt;b&gt;"' in back.text
    assert dict(hidden(back.text))["siret"] == "73282932000074"
    # a person, not a company: the "Société" step is skipped both ways
    r = c.post_form(ET, {"_step": "0", "_nav": "next", "nom": "Ana", "societe": "0"})
    assert "Étape 3 sur 4" in r.text and "<h2>Projet " in r.text, r.text
    back = c.post_form(ET, dict(hidden(r.text), _nav="prev"))
    assert "Étape 1 sur 4" in back.text
    # the last step goes to the summary
    fields = dict(hidden(r.text), _nav="next", montant="1 200,50", themes=["sport", "social"],
                  urgent="1")
    r = c.post_form(ET, fields)
    assert "Récapitulatif" in r.text and "Étape 4 sur 4" in r.text, r.text
    assert re.search(r"<dd>1\s200,50\s€</dd>", r.text) and "<dd>sport, social</dd>" in r.text, r.text
    assert "<h3>Société</h3>" not in r.text  # a step that does not apply
    assert '<button type="submit" name="_goto" value="0" class="secondary">Modifier' in r.text
    summary = hidden(r.text)
    assert ("themes", "sport") in summary and ("themes", "social") in summary, summary
    # "Modifier" goes back to that step with everything
    r2 = c.post_form(ET, dict(summary, _goto="2"))
    assert "Étape 3 sur 4" in r2.text and 'value="1200,50"' in r2.text, r2.text
    # "Envoyer": created, once
    n = s.sql_one("etapes", "SELECT COUNT(*) FROM demande")
    r = c.post_form(ET, summary + [("_nav", "submit")])
    assert r.status == 303, r.text
    assert s.sql_one("etapes", "SELECT COUNT(*) FROM demande") == n + 1
    row = s.sql("etapes", "SELECT nom, montant, urgent FROM demande ORDER BY id DESC LIMIT 1")[0]
    assert row == {"nom": "Ana", "montant": 120050, "urgent": 1}, row
    # a value changed on the way is checked again: back to its step with the error
    bad = [(k, "0" if k == "montant" else v) for k, v in summary] + [("_nav", "submit")]
    r = c.post_form(ET, bad)
    assert r.status == 422 and "Étape 3 sur 4" in r.text, r.text
    assert "montant" in field_errors_html(r.text)
    # a step number out of range is read as the summary, never a crash
    r = c.post_form(ET, {"_step": "99999", "_nav": "next", "nom": "X", "societe": "0"})
    assert r.status in (200, 303, 422), r.status
    # the API takes the whole record at once, as always
    r = Client(s, token=s.tokens["alice"]).api("POST", "/apps/etapes/demande/records",
                                               {"fields": {"nom": "B", "societe": False,
                                                           "montant": "10"}})
    assert r.status == 201, r.text


@test
def check_warns_about_two_controls_with_one_name(s):
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="formes-")
    os.makedirs(os.path.join(d, "doublon"))
    with open(os.path.join(d, "doublon", "app.lua"), "w") as f:
        f.write("""return { title = "D", version = "1", roles = { a = "A" }, forms = { {
          id = "f", title = "F", access = { create = { "a" }, read = { a = "all" } },
          fields = {
            { name = "canal", type = "choice", label = "Par", widget = "radio",
              options = { { "mel", "Courriel" }, { "tel", "Téléphone" } } },
            { name = "mel", type = "email", label = "courriel" },
            { name = "ok1", type = "yes_no", label = "Un ?" },
            { name = "ok2", type = "yes_no", label = "Deux ?" } } } } }""")
    p = subprocess.run([s.binary, "check", os.path.join(d, "doublon")], capture_output=True,
                       text=True)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert out.count("avertissement :") == 1 and "« Courriel »" in out, out
    assert 'option de "canal" et champ "mel"' in out, out
    # two yes_no groups (Oui, Non twice) are told apart by their legends; the examples pass
    for app in ("tests/apps/formes", "apps/vaccins", "apps/ponts-sete", "apps/reclamations"):
        p = subprocess.run([s.binary, "check", os.path.join(ROOT, app)], capture_output=True,
                           text=True)
        assert p.returncode == 0 and "avertissement" not in p.stdout + p.stderr, (app, p)


def make_server(binary):
    s = Server(binary, apps=("formes", "avertis", "etapes"))
    s.add_user("alice")
    s.start()
    s.tokens = {"alice": s.token("alice")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
