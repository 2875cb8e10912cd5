#!/usr/bin/env python3
"""Form items of SPEC 4.3 and issue 12 against the real server (fixture tests/apps/formes):
`yes_no` (two radios Oui/Non, stored 0/1, a JSON boolean, unanswered is null, required
means answered) and `info` (static text in the form, paragraphs and links, no data).
Prints one line per test and ends with "N passed, N failed"."""
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
    group = re.search(r'<fieldset class="section">.*?</fieldset>', page, re.S).group(0)
    assert "<legend>Représentant légal</legend>" in group, group
    assert re.search(r'<p class="hint">[^<]*Êtes-vous majeur', group), group
    # the OpenAPI document: nullable and not required, as for a field's own visible_if
    fields = api.api("GET", "/openapi.json").json()["components"]["schemas"][
        "formes.demande.Fields"]
    assert fields["required"] == ["objet", "majeur"], fields["required"]
    assert "null" in fields["properties"]["representant"]["type"], fields["properties"]


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
    s = Server(binary, apps=("formes",))
    s.add_user("alice")
    s.start()
    s.tokens = {"alice": s.token("alice")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
