#!/usr/bin/env python3
"""Territory fields of SPEC 4.3 (issue 12.2) against the real server (fixture
tests/apps/territoires): `commune`, `departement`, `region`, `epci`, stored as the official
code, shown with the name; the form's text input takes a code, a postal code or a name and
offers the candidates when several match; the API takes and gives the code; the
/api/v1/geo/... routes and their bad inputs; the OpenAPI document; `smallapps test`.
Prints one line per test and ends with "N passed, N failed"."""
import html
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Client, Server, Suite, field_errors_html  # noqa: E402

SUITE = Suite()
test = SUITE.test
PAGE = "/a/territoires/signalement/"
NEW = PAGE + "new"
API = "/apps/territoires/signalement/records"


def created_id(r):
    assert r.status == 303, (r.status, field_errors_html(r.text) or r.text[:400])
    return int(r.header("Location").rstrip("/").split("/")[-1])


def api_fields(s, rid):
    r = Client(s, token=s.tokens["alice"]).api("GET", f"{API}/{rid}")
    assert r.status == 200, r.text
    return r.json()["fields"]


@test
def a_postal_code_in_the_form_is_stored_as_the_commune_code(s):
    c = Client(s).login("alice")
    page = c.get(NEW).text
    field = re.search(r'<label for="f-commune">.*?<input[^>]*id="f-commune"[^>]*>', page, re.S)
    assert field, page[-3000:]
    assert ('<label for="f-commune">Commune <span class="hint">(nom, code postal ou code '
            'INSEE)</span> (obligatoire)</label>') in field.group(0), field.group(0)
    assert 'type="text"' in field.group(0) and 'name="commune"' in field.group(0)
    rid = created_id(c.post_form(NEW, {"objet": "Nid de poule", "commune": "34200",
                                       "departement": "herault", "region": "Occitanie",
                                       "epci": "200066355"}))
    f = api_fields(s, rid)
    assert f["commune"] == "34301" and f["departement"] == "34", f  # 34200: Sète's
    assert f["region"] == "76" and f["epci"] == "200066355", f
    # (the harness reads digits from psql as a number: the column holds the text)
    assert str(s.sql_one("territoires", "SELECT commune FROM signalement WHERE id = ?",
                         (rid,))) == "34301"
    record = html.unescape(c.get(f"{PAGE}{rid}").text)
    assert re.search(r"Commune</dt>\s*<dd[^>]*>Sète \(34\)<", record), record[-3000:]
    assert re.search(r"Département</dt>\s*<dd[^>]*>Hérault \(34\)<", record)
    assert re.search(r"Région</dt>\s*<dd[^>]*>Occitanie<", record)
    assert re.search(r"Intercommunalité</dt>\s*<dd[^>]*>CA Sète Agglopôle Méditerranée<",
                     record)
    listing = html.unescape(c.get(PAGE).text)
    assert "Sète (34)" in listing and "Hérault (34)" in listing, listing[-2000:]
    # the list's filter takes the name, as the form does, or the code
    for typed in ("Sète", "34301", "sete (34)"):
        listing = c.get(PAGE + "?commune=" + urllib.parse.quote(typed)).text
        assert f"{PAGE}{rid}" in listing, (typed, listing[-2000:])
    listing = c.get(PAGE + "?commune=Montpellier").text
    assert f"{PAGE}{rid}" not in listing


@test
def a_name_shared_by_several_communes_comes_back_with_the_choices(s):
    c = Client(s).login("alice")
    c.get(NEW)
    r = c.post_form(NEW, {"objet": "Homonymes", "commune": "Saint-Aubin"})
    assert r.status == 422, r.status
    err = field_errors_html(r.text)["commune"]
    assert err == ("Plusieurs communes correspondent à « Saint-Aubin » : choisissez la "
                   "bonne ci-dessous."), err
    group = re.search(r'<fieldset class="group geo-choices has-error"[^>]*>.*?</fieldset>',
                      r.text, re.S)
    assert group, r.text[-4000:]
    group = group.group(0)
    assert 'aria-describedby="f-commune-error"' in group.split(">")[0], group[:200]
    assert "<legend>Commune (obligatoire)</legend>" in group, group[:400]
    radios = re.findall(r'<input type="radio"[^>]*>', group)
    assert len(radios) == 10, radios
    assert 'id="f-commune"' in radios[0] and 'id="f-commune-10"' in radios[-1], radios
    values = [html.unescape(re.search(r'value="([^"]*)"', x).group(1)) for x in radios]
    assert "Saint-Aubin (02)" in values and "Saint-Aubin (91)" in values, values
    labels = [html.unescape(x) for x in re.findall(r'<label for="f-commune(?:-\d+)?">(.*?)</label>',
                                                    group)]
    assert labels[values.index("Saint-Aubin (02)")] == "Saint-Aubin (02) — 02300", labels
    other = re.search(r'<label for="f-commune-other">Ou saisissez une autre commune</label>\s*'
                      r'<input type="text"[^>]*>', group)
    assert other and 'name="commune"' in other.group(0), group[-600:]
    assert 'value="Saint-Aubin"' in other.group(0), other.group(0)
    # the error summary links to the first choice
    assert '<a href="#f-commune">Commune : Plusieurs communes' in r.text
    # choosing one: the radio comes before the text box, which still holds the name
    rid = created_id(c.post_form(NEW, [("objet", "Homonymes"), ("commune", "Saint-Aubin (02)"),
                                       ("commune", "Saint-Aubin")]))
    assert api_fields(s, rid)["commune"] == "02671"
    # a postal code shared by 46 communes: every one offered
    r = c.post_form(NEW, {"objet": "Code partagé", "commune": "51300"})
    assert r.status == 422 and len(re.findall(r'<input type="radio"', r.text)) == 46
    # a name's start is only offered, to be confirmed
    r = c.post_form(NEW, {"objet": "Début", "commune": "Montpel"})
    assert r.status == 422 and len(re.findall(r'<input type="radio"', r.text)) == 2, r.text
    # nothing matches, or too many: the text input again, with what was typed
    r = c.post_form(NEW, {"objet": "Rien", "commune": "Zzyzx"})
    assert r.status == 422 and 'value="Zzyzx"' in r.text and 'type="radio"' not in r.text
    assert field_errors_html(r.text)["commune"].startswith("Aucune commune ne correspond à "
                                                            "« Zzyzx »")
    r = c.post_form(NEW, {"objet": "Trop", "commune": "Saint"})
    assert r.status == 422 and "Trop de communes" in field_errors_html(r.text)["commune"]


@test
def the_restriction_holds_in_the_form(s):
    c = Client(s).login("alice")
    c.get(NEW)
    r = c.post_form(NEW, {"objet": "Hors", "commune": "Sète", "commune_herault": "Nîmes",
                          "departement": "Paris"})
    assert r.status == 422, r.status
    errs = field_errors_html(r.text)
    assert errs["commune_herault"] == ("Aucune commune du département de l'Hérault (34) ne "
                                       "correspond à « Nîmes » : saisissez son nom, son code "
                                       "postal ou son code INSEE."), errs
    assert errs["departement"].startswith("Aucun département de la région Occitanie ne "
                                          "correspond à « Paris »"), errs
    assert "commune" not in errs
    # a commune déléguée where only current communes go: offered as its commune
    r = c.post_form(NEW, {"objet": "Déléguée", "commune": "Béon (01)", "ancienne": "Béon (01)"})
    assert r.status == 422 and "commune" in field_errors_html(r.text)
    assert "ancienne" not in field_errors_html(r.text)
    group = re.search(r'<fieldset class="group geo-choices.*?</fieldset>', r.text, re.S).group(0)
    assert "Culoz-Béon (01)" in html.unescape(group), group


@test
def editing_shows_the_label_and_keeps_the_code(s):
    c = Client(s).login("alice")
    c.get(NEW)
    rid = created_id(c.post_form(NEW, {"objet": "Édition", "commune": "34301",
                                       "epci": "247400666"}))
    page = c.get(f"{PAGE}{rid}/edit").text
    inputs = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="text" id="f-([a-z_]+)" name="[a-z_]+"[^>]*? value="([^"]*)"', page)}
    assert inputs["commune"] == "Sète (34)", inputs
    # two EPCI share this name: its text carries the code to read back as itself
    assert inputs["epci"] == "CC des Quatre Rivières (247400666)", inputs
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {k: v for k, v in inputs.items()}
    form.update(objet="Édition", version=version)
    r = c.post_form(f"{PAGE}{rid}/edit", form)
    assert r.status == 303, (r.status, field_errors_html(r.text))
    f = api_fields(s, rid)
    assert f["commune"] == "34301" and f["epci"] == "247400666", f
    # changing it: the history tells the names
    page = c.get(f"{PAGE}{rid}/edit").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    r = c.post_form(f"{PAGE}{rid}/edit", dict(form, commune="Montpellier", version=version))
    assert r.status == 303, (r.status, field_errors_html(r.text))
    assert api_fields(s, rid)["commune"] == "34172"
    history = html.unescape(c.get(f"{PAGE}{rid}").text.split('class="history"')[1])
    assert "Sète (34)" in history and "Montpellier (34)" in history, history[:3000]
    hist = Client(s, token=s.tokens["alice"]).api("GET", f"{API}/{rid}/history").json()
    assert any(h["changes"].get("commune") == ["34301", "34172"] for h in hist["history"]), hist


@test
def the_api_takes_and_gives_the_code(s):
    api = Client(s, token=s.tokens["alice"])
    r = api.api("POST", API, {"fields": {"objet": "API", "commune": "34301",
                                         "commune_herault": "34172", "departement": "2a",
                                         "region": "76", "epci": "200066355",
                                         "ancienne": "01039"}})
    assert r.status == 422 and "departement" in r.json()["error"]["fields"], r.text  # 2A: Corse
    r = api.api("POST", API, {"fields": {"objet": "API", "commune": "2a004",
                                         "commune_herault": "34172", "departement": "34",
                                         "region": "94", "epci": "200066355",
                                         "ancienne": "01039"}})
    assert r.status == 201, r.text
    f = r.json()["fields"]
    assert f["commune"] == "2A004" and f["commune_herault"] == "34172", f
    assert f["ancienne"] == "01039" and f["region"] == "94", f
    cases = [({"commune": "99999"},
              "commune", "« 99999 » n'est pas un code de commune (code INSEE, par exemple "
                         "34301)."),
             ({"commune": "Sète"}, "commune", None),
             ({"commune": 34301}, "commune", None),
             ({"commune": "34301", "commune_herault": "30189"},
              "commune_herault", "Cette commune n'est pas dans le département de l'Hérault (34)."),
             ({"commune": "34301", "departement": "75"},
              "departement", "Ce département n'est pas dans la région Occitanie."),
             ({"commune": "01039"}, "commune", None),
             ({"commune": "34301", "epci": "123456789"}, "epci", None),
             ({"commune": "34301", "region": "975"}, "region", None)]
    for fields, name, msg in cases:
        r = api.api("POST", API, {"fields": dict({"objet": "x"}, **fields)})
        assert r.status == 422, (fields, r.status, r.text)
        got = r.json()["error"]["fields"]
        assert list(got) == [name], (fields, got)
        assert msg is None or got[name] == msg, (fields, got)
    # a déléguée's message names its commune
    r = api.api("POST", API, {"fields": {"objet": "x", "commune": "01039"}})
    assert "Culoz-Béon (01), code 01138" in r.json()["error"]["fields"]["commune"], r.text
    # English
    r = api.api("POST", API + "?lang=en", {"fields": {"objet": "x", "commune": "34301",
                                                      "commune_herault": "30189"}})
    assert r.json()["error"]["fields"]["commune_herault"] == \
        "This commune is not in the département Hérault (34).", r.text
    # the list filters by code
    r = api.api("GET", API + "?commune=2A004")
    assert r.status == 200 and [x["fields"]["commune"] for x in r.json()["records"]] == ["2A004"]


@test
def exports_show_the_name_and_jsonl_the_code(s):
    c = Client(s).login("alice")
    c.get(NEW)
    rid = created_id(c.post_form(NEW, {"objet": "Export", "commune": "Sète",
                                       "region": "76"}))
    agent = Client(s).login("agent")
    r = agent.get(PAGE + "export.csv")
    assert r.status == 200, r.status
    text = r.body.decode("utf-8-sig")
    row = [x for x in text.split("\r\n") if x.startswith(f"{rid};")]
    assert row and "Sète (34)" in row[0] and "Occitanie" in row[0], (row, text[:400])
    r = agent.get(PAGE + "export.jsonl")
    line = [x for x in r.text.splitlines() if f'"id":{rid},' in x]
    assert line and '"commune":"34301"' in line[0] and '"region":"76"' in line[0], line


@test
def the_geo_routes_find_codes_by_name(s):
    anon = Client(s)  # public data: no sign-in
    r = anon.api("GET", "/geo/communes?q=" + urllib.parse.quote("sète"))
    assert r.status == 200, r.text
    first = r.json()["results"][0]
    assert first == {"code": "34301", "name": "Sète", "label": "Sète (34)",
                     "type": "commune-actuelle", "departement": "34", "region": "76",
                     "epci": "200066355", "postal_codes": ["34200"]}, first
    assert r.json()["source"].startswith("@etalab/decoupage-administratif ")
    # five digits: the postal code first (Sète), then the INSEE code (Pézènes-les-Mines)
    r = anon.api("GET", "/geo/communes?q=34200")
    assert [x["code"] for x in r.json()["results"]] == ["34301", "34200"], r.text
    r = anon.api("GET", "/geo/communes?q=342&limit=50")
    assert all(any(p.startswith("342") for p in x["postal_codes"])
               for x in r.json()["results"]) and len(r.json()["results"]) > 5, r.text
    r = anon.api("GET", "/geo/communes?q=saint&departement=34&limit=50")
    res = r.json()["results"]
    assert len(res) == 50 and all(x["departement"] == "34" for x in res), res[:3]
    r = anon.api("GET", "/geo/communes?q=saint&region=76")
    assert len(r.json()["results"]) == 20 and all(x["region"] == "76" for x in
                                                  r.json()["results"])
    r = anon.api("GET", "/geo/communes?q=B%C3%A9on&deleguees=true")
    assert "01039" in [x["code"] for x in r.json()["results"]], r.text
    r = anon.api("GET", "/geo/departements?q=her")
    assert r.json()["results"][0] == {"code": "34", "name": "Hérault", "label": "Hérault (34)",
                                      "region": "76"}, r.text
    r = anon.api("GET", "/geo/regions?q=occ")
    assert r.json()["results"] == [{"code": "76", "name": "Occitanie", "label": "Occitanie"}]
    r = anon.api("GET", "/geo/epcis?q=" + urllib.parse.quote("CA Sète"))
    e = r.json()["results"][0]
    assert e["code"] == "200066355" and e["type"] == "CA" and e["departements"] == ["34"], e
    r = anon.api("GET", "/geo/communes?q=zzzzzz")
    assert r.status == 200 and r.json()["results"] == []


@test
def the_geo_routes_refuse_bad_input(s):
    anon = Client(s)
    cases = [("/geo/communes", 400, "q est obligatoire"),
             ("/geo/communes?q=", 400, "q est obligatoire"),
             ("/geo/communes?q=%20%20", 400, "q est obligatoire"),
             ("/geo/communes?q=" + "a" * 201, 400, "trop long"),
             ("/geo/communes?q=sete&dep=34", 400, "paramètre de requête inconnu"),
             ("/geo/communes?q=sete&departement=99", 400, "departement"),
             ("/geo/communes?q=sete&region=975", 400, "region"),
             ("/geo/regions?q=occ&departement=34", 400, "paramètre de requête inconnu"),
             ("/geo/departements?q=h&deleguees=true", 400, "paramètre de requête inconnu"),
             ("/geo/communes?q=sete&deleguees=oui", 400, "deleguees"),
             ("/geo/communes?q=sete&limit=0", 400, "limit"),
             ("/geo/communes?q=sete&limit=51", 400, "limit"),
             ("/geo/communes?q=sete&limit=1x", 400, "limit"),
             ("/geo/communes?q=%FF", 400, None),
             ("/geo/villes?q=sete", 404, None),
             ("/geo/communes/34301", 404, None)]
    for path, status, words in cases:
        r = anon.api("GET", path)
        assert r.status == status, (path, r.status, r.text)
        err = r.json()["error"]
        assert words is None or words in err["message"], (path, err)
    r = anon.api("POST", "/geo/communes?q=sete", {})
    assert r.status in (403, 405), r.status  # no cookie: 405 (a cookie without CSRF: 403)
    r = Client(s, token=s.tokens["alice"]).api("POST", "/geo/communes?q=sete", {})
    assert r.status == 405, r.text


@test
def the_openapi_document_describes_fields_and_routes(s):
    doc = Client(s, token=s.tokens["alice"]).api("GET", "/openapi.json").json()
    fields = doc["components"]["schemas"]["territoires.signalement.Fields"]["properties"]
    assert fields["commune"]["pattern"] == "^[0-9][0-9AB][0-9]{3}$", fields["commune"]
    assert fields["departement"]["pattern"] == "^(2A|2B|[0-9]{2,3})$"
    assert fields["region"]["pattern"] == "^[0-9]{2}$"
    assert fields["epci"]["pattern"] == "^[0-9]{9}$"
    assert "@etalab/decoupage-administratif" in fields["commune"]["description"]
    assert "département 34" in fields["commune_herault"]["description"]
    app = Client(s, token=s.tokens["alice"]).api("GET", "/apps/territoires").json()
    described = {f["name"]: f for f in app["forms"][0]["fields"]}
    assert described["commune_herault"]["type"] == "commune", described
    assert described["commune_herault"]["departement"] == "34"
    assert described["departement"]["region"] == "76" and described["ancienne"]["deleguees"]
    assert "departement" not in described["commune"], described["commune"]
    for kind in ("communes", "departements", "regions", "epcis"):
        op = doc["paths"][f"/api/v1/geo/{kind}"]["get"]
        names = [p["name"] for p in op["parameters"]]
        assert names[0] == "q" and "limit" in names, (kind, names)
        assert ("departement" in names) == (kind in ("communes", "epcis")), (kind, names)
        assert "200" in op["responses"] and "400" in op["responses"], op["responses"]
        assert op["security"] == [{}], op


@test
def app_tests_create_with_codes(s):
    p = subprocess.run([s.binary, "test", os.path.join(ROOT, "tests", "apps", "territoires")],
                       capture_output=True, text=True, env=s.env, timeout=120)
    out = p.stdout + p.stderr
    assert p.returncode == 0 and re.search(r"^\d+ passed, 0 failed$", out, re.M), out
    p = subprocess.run([s.binary, "check", os.path.join(ROOT, "tests", "apps", "territoires")],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "avertissement" not in p.stdout + p.stderr, p


def make_server(binary):
    s = Server(binary, apps=("territoires",))
    s.add_user("alice")
    s.add_user("agent", roles=("territoires:agent",))
    s.start()
    s.tokens = {"alice": s.token("alice")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
