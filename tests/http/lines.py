#!/usr/bin/env python3
"""Repeated lines (`repeat`, SPEC 4.3, issue 12.4) against the real server, fixture
tests/apps/lignes: an order whose articles are lines. JSON arrays of objects through the
API with errors named `lignes[2].quantite`; in HTML, lines added and removed by submit
buttons (values kept), errors tied to the right input; Lua sees `r.lignes` as an array;
the record page, history, CSV (a column per sub-field, `lines=` a row per line), the
OpenAPI document. Prints one line per test and ends with "N passed, N failed"."""
import csv
import html
import io
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, Suite, field_errors_html  # noqa: E402

SUITE = Suite()
test = SUITE.test
NEW = "/a/lignes/commande/new"
PAGE = "/a/lignes/commande/"
API = "/apps/lignes/commande/records"
LINES = [{"article": "stylo", "quantite": 3, "prix": "1.50"},
         {"article": "cahier", "quantite": 2}]


def api(s):
    return Client(s, token=s.tokens["alice"])


def create(s, lines, objet="Fournitures"):
    r = api(s).api("POST", API, {"fields": {"objet": objet, "lignes": lines}})
    assert r.status == 201, r.text
    return r.json()


def the_form(text):
    return re.search(r'<form method="post" novalidate.*?</form>', text, re.S).group(0)


def rows(text):
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))


@test
def the_api_takes_and_gives_an_array_of_lines(s):
    rec = create(s, LINES)
    got = rec["fields"]["lignes"]
    # a box left out is unticked, as the form sends it
    assert got == [{"article": "stylo", "quantite": 3, "prix": "1.50", "urgent": False},
                   {"article": "cahier", "quantite": 2, "prix": None, "urgent": False}], got
    assert rec["fields"]["total"] == 5, "compute saw r.lignes as a Lua array"
    again = api(s).api("GET", f"{API}/{rec['id']}").json()
    assert again["fields"]["lignes"] == got


@test
def each_line_is_checked_and_its_errors_are_named_after_it(s):
    c = api(s)
    r = c.api("POST", API, {"fields": {"objet": "x", "lignes": [
        {"article": "stylo", "quantite": 0}, {"article": "zz", "quantite": "a", "bad": 1},
        {}, 3, {"article": "stylo", "quantite": 501}]}})
    assert r.status == 422, r.text
    e = r.json()["error"]["fields"]
    assert e["lignes[1].quantite"] == "La valeur doit être au moins 1.", e
    assert e["lignes[2].article"] == "Choisissez une des options proposées.", e
    assert e["lignes[2].quantite"] == "La valeur doit être un nombre entier.", e
    assert e["lignes[2].bad"] == "Champ inconnu.", e
    assert e["lignes[3].quantite"] == "Ce champ est obligatoire.", e
    assert "lignes[4]" in e, e
    assert e["lignes[5].quantite"] == "500 au plus par ligne.", "the sub-field's own message"
    # the count of lines: max 3, required means at least one
    four = [{"article": "stylo", "quantite": 1}] * 4
    r = c.api("POST", API, {"fields": {"objet": "x", "lignes": four}})
    assert r.json()["error"]["fields"] == {"lignes": "Au plus 3 lignes."}, r.text
    for empty in (None, []):
        r = c.api("POST", API, {"fields": {"objet": "x", "lignes": empty}})
        assert r.json()["error"]["fields"] == {"lignes": "Ce champ est obligatoire."}, r.text
    for junk in ("stylo", {"article": "stylo"}, 12, [[1]] * 250):
        r = c.api("POST", API, {"fields": {"objet": "x", "lignes": junk}})
        assert r.status == 422 and "lignes" in str(r.json()["error"]["fields"]), (junk, r.text)
    # validate names a line's field: "lignes[1].quantite"
    r = c.api("POST", API, {"fields": {"objet": "x", "lignes": [
        {"article": "agrafeuse", "quantite": 3}]}})
    assert r.json()["error"]["fields"] == {"lignes[1].quantite": "Deux agrafeuses au plus."}


@test
def without_script_lines_are_added_and_removed_by_buttons_keeping_values(s):
    c = Client(s).login("alice")
    form = the_form(c.get(NEW).text)
    # one line to start (min 1), no remove button to click, an add button
    assert form.count('<fieldset class="line"') == 1, form
    assert re.search(r'<legend>Ligne 1</legend>', form)
    assert re.search(r'<button type="submit" class="secondary" name="_remove" '
                     r'value="lignes\[1\]" formnovalidate hidden>', form), form
    assert 'name="_add" value="lignes"' in form
    assert '<label for="f-lignes[1].quantite">Quantité (obligatoire)</label>' in form
    # Enter in a text box must send, not add a line: the first submit button sends
    first = re.search(r'<button[^>]*>', form).group(0)
    assert 'class="default-submit"' in first and "_add" not in first, first
    base = [("objet", "Fournitures"), ("lignes[1].article", "stylo"),
            ("lignes[1].quantite", "5"), ("lignes[1].prix", "1,20")]
    r = c.post_form(NEW, base + [("_add", "lignes")])
    assert r.status == 200, r.text[:500]
    form = the_form(r.text)
    assert form.count('<fieldset class="line"') == 2
    assert 'name="lignes[1].quantite" value="5"' in form and 'value="Fournitures"' in form
    assert 'name="lignes[2].quantite" value=""' in form
    assert "error-summary" not in r.text, "adding a line checks nothing"
    # the person goes on in the new line: its first control takes the focus
    assert re.findall(r'<(?:input|select|textarea) autofocus[^>]*name="([^"]+)"', form) == [
        "lignes[2].article"], form
    # at max (3 lines) there is no add button any more
    r = c.post_form(NEW, base + [("lignes[2].quantite", ""), ("lignes[3].quantite", ""),
                                 ("_add", "lignes")])
    assert the_form(r.text).count('<fieldset class="line"') == 3
    assert 'name="_add"' not in the_form(r.text)
    # removing line 1 renumbers the rest
    r = c.post_form(NEW, base + [("lignes[2].article", "cahier"), ("lignes[2].quantite", "7"),
                                 ("_remove", "lignes[1]")])
    form = the_form(r.text)
    assert form.count('<fieldset class="line"') == 1
    assert 'name="lignes[1].quantite" value="7"' in form, form
    assert re.findall(r'<(?:input|select|textarea) autofocus[^>]*name="([^"]+)"', form) == [
        "lignes[1].article"], form
    # a blank line is dropped on sending; the rest is saved
    r = c.post_form(NEW, base + [("lignes[2].article", ""), ("lignes[2].quantite", ""),
                                 ("lignes[3].article", "cahier"), ("lignes[3].quantite", "2"),
                                 ("lignes[3].urgent", "1")])
    assert r.status == 303, r.text[:800]
    rid = int(r.header("Location").rsplit("/", 1)[1])
    got = api(s).api("GET", f"{API}/{rid}").json()["fields"]["lignes"]
    assert [(l["article"], l["quantite"], l["prix"], l["urgent"]) for l in got] == [
        ("stylo", 5, "1.20", False), ("cahier", 2, None, True)], got
    # hostile names and buttons: ignored, answered, nothing crashes
    for extra in ([("_remove", "lignes[99]")], [("_remove", "<script>")],
                  [("_add", "objet")], [("lignes[99999999999].quantite", "1")],
                  [("lignes[0].quantite", "1")], [("lignes[1].inconnu", "1")]):
        r = c.post_form(NEW, base + extra)
        assert r.status in (200, 303), (extra, r.status)
        assert "<script>" not in r.text


@test
def html_errors_are_tied_to_the_input_of_their_line(s):
    c = Client(s).login("alice")
    r = c.post_form(NEW, [("objet", "x"), ("lignes[1].article", "stylo"),
                          ("lignes[1].quantite", "2"), ("lignes[2].article", "cahier"),
                          ("lignes[2].quantite", "beaucoup")])
    assert r.status == 422, r.text[:300]
    errs = field_errors_html(r.text)
    assert errs == {"lignes[2].quantite": "Saisissez un nombre entier."}, errs
    box = re.search(r'<input[^>]*name="lignes\[2\]\.quantite"[^>]*>', r.text).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="f-lignes[2].quantite-error"' in box
    assert 'value="beaucoup"' in box, "what was typed is shown again"
    summary = re.search(r'<div class="error-summary".*?</div>', r.text, re.S).group(0)
    assert ('<a href="#f-lignes[2].quantite">Articles commandés, ligne 2, Quantité : '
            'Saisissez un nombre entier.</a>') in summary, summary
    # a missing line: the group's own error, linked to the group
    r = c.post_form(NEW, [("objet", "x"), ("lignes[1].article", ""), ("lignes[1].quantite", "")])
    assert field_errors_html(r.text) == {"lignes": "Ce champ est obligatoire."}
    assert '<a href="#f-lignes">Articles commandés : Ce champ est obligatoire.</a>' in r.text


@test
def the_record_page_shows_a_table_and_history_says_what_lines_changed(s):
    rec = create(s, LINES)
    c = Client(s).login("alice")
    page = c.get(f"{PAGE}{rec['id']}").text
    table = re.search(r'<table>\s*<caption id="cap-lignes">.*?</table>', page, re.S).group(0)
    assert "Articles commandés (2)" in table
    assert re.search(r'<tr><th scope="row">1</th><td>Stylo</td><td>3</td><td>1,50\u202f€</td>', table)
    # an edit through the HTML door: a line added, a quantity changed
    edit = c.get(f"{PAGE}{rec['id']}/edit").text
    version = re.search(r'name="version" value="(\d+)"', edit).group(1)
    typed = [("version", version), ("objet", "Fournitures"),
             ("lignes[1].article", "stylo"), ("lignes[1].quantite", "4"),
             ("lignes[1].prix", "1,50"), ("lignes[2].article", "cahier"),
             ("lignes[2].quantite", "2")]
    r = c.post_form(f"{PAGE}{rec['id']}/edit", typed + [("_add", "lignes")])
    assert r.status == 200 and the_form(r.text).count('<fieldset class="line"') == 3, r.text[:300]
    assert f'name="version" value="{version}"' in r.text
    r = c.post_form(f"{PAGE}{rec['id']}/edit", typed + [("lignes[3].article", "agrafeuse"),
                                                       ("lignes[3].quantite", "1")])
    assert r.status == 303, r.text[:800]
    page = c.get(f"{PAGE}{rec['id']}").text
    hist = re.search(r'<ol class="history">.*?</ol>', page, re.S).group(0)
    assert ("Articles commandés : ligne 1, Quantité : 3 → 4 ; ligne 3 ajoutée "
            "(Article : Agrafeuse, Quantité : 1, Urgent : Non)") in html.unescape(hist), hist
    assert api(s).api("GET", f"{API}/{rec['id']}").json()["fields"]["total"] == 7


@test
def csv_has_a_column_per_sub_field_and_lines_gives_a_row_per_line(s):
    rec = create(s, LINES, objet="Export")
    c = Client(s).login("alice")
    r = c.get(PAGE + "export.csv?q=Export")
    assert r.status == 200
    t = rows(r.text)
    assert t[0][:6] == ["N°", "Objet", "Articles commandés — Article",
                        "Articles commandés — Quantité", "Articles commandés — Prix unitaire",
                        "Articles commandés — Urgent"], t[0]
    mine = [row for row in t[1:] if row[0] == str(rec["id"])][0]
    assert mine[2:5] == ["Stylo | Cahier", "3 | 2", "1,50 | "], mine
    r = c.get(PAGE + "export.csv?lines=lignes&q=Export")
    assert r.status == 200 and "-lignes-" in r.header("Content-Disposition")
    t = rows(r.text)
    assert t[0] == ["N°", "Ligne", "Article", "Quantité", "Prix unitaire", "Urgent"], t[0]
    assert [str(rec["id"]), "1", "Stylo", "3", "1,50", "non"] in t, t
    assert [str(rec["id"]), "2", "Cahier", "2", "", "non"] in t
    assert "lines=lignes" in c.get(PAGE).text, "the list offers the lines export"
    # the open-data schema names the CSV's columns, a repeat's one per sub-field
    schema = c.get(PAGE + "schema.json").json()
    titles = [f["title"] for f in schema["fields"]]
    assert titles[1:6] == ["Objet", "Articles commandés — Article", "Articles commandés — Quantité",
                           "Articles commandés — Prix unitaire", "Articles commandés — Urgent"], titles
    assert [f["name"] for f in schema["fields"]][2] == "lignes.article"
    a = api(s)
    assert a.api("GET", "/apps/lignes/commande/export.csv?lines=lignes").status == 200
    for bad in ("objet", "zz", ""):
        r = a.api("GET", f"/apps/lignes/commande/export.csv?lines={bad}")
        assert r.status == 400, (bad, r.status)
        assert c.get(PAGE + f"export.csv?lines={bad}").status == 400
    # lines are not a filter
    assert a.api("GET", API + "?lignes=stylo").status == 400


@test
def the_openapi_document_and_the_description_give_the_lines(s):
    a = api(s)
    doc = a.api("GET", "/openapi.json").json()
    p = doc["components"]["schemas"]["lignes.commande.Fields"]["properties"]["lignes"]
    assert p["type"] == ["array"] and p["minItems"] == 1 and p["maxItems"] == 3, p
    assert p["items"]["required"] == ["article", "quantite"], p
    assert p["items"]["additionalProperties"] is False
    assert p["items"]["properties"]["quantite"]["maximum"] == 500
    params = doc["paths"]["/api/v1/apps/lignes/commande/export.csv"]["get"]["parameters"]
    lines = [q for q in params if q["name"] == "lines"][0]
    assert lines["schema"]["enum"] == ["lignes"], lines
    listp = doc["paths"]["/api/v1/apps/lignes/commande/records"]["get"]["parameters"]
    assert "lignes" not in [q["name"] for q in listp]
    d = [f for f in a.api("GET", "/apps/lignes").json()["forms"][0]["fields"]
         if f["name"] == "lignes"][0]
    assert d["min"] == 1 and d["max"] == 3
    assert [f["name"] for f in d["fields"]] == ["article", "quantite", "prix", "urgent"]


@test
def a_draft_keeps_its_lines_as_typed_through_both_doors(s):
    c = Client(s).login("alice")
    r = c.post_form(NEW, [("objet", "Brouillon"), ("lignes[1].article", "stylo"),
                          ("lignes[1].quantite", "5"), ("lignes[2].article", "cahier"),
                          ("lignes[2].quantite", "beaucoup"), ("lignes[3].quantite", ""),
                          ("_brouillon", "1")])
    assert r.status == 303 and "/brouillons/" in r.header("Location"), (r.status, r.text[:300])
    form = the_form(c.get(r.header("Location")).text)
    assert form.count('<fieldset class="line"') == 2, "the blank line is not kept, the others are"
    assert re.search(r'name="lignes\[1\]\.quantite"[^>]*value="5"', form), form
    assert re.search(r'name="lignes\[2\]\.quantite"[^>]*value="beaucoup"', form), "kept as typed"
    assert '<option value="cahier" selected' in form
    a = api(s)
    r = a.api("POST", "/apps/lignes/commande/drafts",
              {"fields": {"objet": "API", "lignes": [{"article": "stylo", "quantite": "deux"}]}})
    assert r.status == 201, r.text
    assert r.json()["fields"]["lignes"] == [
        {"article": "stylo", "quantite": "deux", "prix": None, "urgent": False}], r.text
    r = a.api("POST", f"/apps/lignes/commande/drafts/{r.json()['id']}/submit")
    assert r.status == 422 and "lignes[1].quantite" in r.json()["error"]["fields"], r.text


@test
def the_lines_are_also_a_table_of_their_own_for_sql(s):
    """ "commande:lignes" (record_id, ligne, the sub-fields as a form's columns are stored:
    money in cents, boxes 0/1), kept by the database in the record's transaction, filled
    again from the records when it is made again."""
    rec = create(s, [{"article": "stylo", "quantite": 3, "prix": "1.50", "urgent": True},
                     {"article": "cahier", "quantite": 2}], objet="SQL")
    q = 'SELECT * FROM "commande:lignes" WHERE record_id = ? ORDER BY ligne'
    assert s.sql("lignes", q, (rec["id"],)) == [
        {"record_id": rec["id"], "ligne": 1, "article": "stylo", "quantite": 3, "prix": 150,
         "urgent": 1},
        {"record_id": rec["id"], "ligne": 2, "article": "cahier", "quantite": 2, "prix": None,
         "urgent": 0}]
    r = api(s).api("PATCH", f"{API}/{rec['id']}",
                   {"fields": {"lignes": [{"article": "agrafeuse", "quantite": 1}]}})
    assert r.status == 200, r.text
    assert [(l["ligne"], l["article"]) for l in s.sql("lignes", q, (rec["id"],))] == [
        (1, "agrafeuse")]
    r = api(s).api("PATCH", f"{API}/{rec['id']}", {"fields": {"objet": "SQL 2"}})
    assert len(s.sql("lignes", q, (rec["id"],))) == 1, "another field's edit keeps the lines"
    # made again (an older database, a lost table): filled from the records
    s.stop()
    s.sql("lignes", 'DROP TABLE "commande:lignes"')
    s.start()
    assert [(l["ligne"], l["article"]) for l in s.sql("lignes", q, (rec["id"],))] == [
        (1, "agrafeuse")]
    create(s, [{"article": "stylo", "quantite": 1}], objet="Après")
    total = s.sql_one("lignes", 'SELECT count(*) FROM "commande:lignes"')
    lines = sum(len(r["fields"]["lignes"] or [])
                for r in api(s).api("GET", API + "?limit=500").json()["records"])
    assert total == lines, (total, lines)
    s.sql("lignes", 'DELETE FROM "commande" WHERE id = ?', (rec["id"],))
    assert s.sql("lignes", q, (rec["id"],)) == [], "a record's lines go with it"


def make_server(binary):
    s = Server(binary, apps=("lignes",))
    s.add_user("alice")
    s.start()
    s.tokens = {"alice": s.token("alice")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
