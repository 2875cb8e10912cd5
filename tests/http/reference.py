#!/usr/bin/env python3
"""The reference field type of SPEC 4.3 (issue 12.3) against the real server (fixture
tests/apps/liens): a rendez-vous names a centre (a record of another form), stored as its
id and shown by the centre's name with a link, only to those who may read that centre.
Both doors refuse an unknown id, a centre the person may not read and a deleted one with
the same message; the HTML form offers a select of the readable centres, or over 50
records (lieux) a text box whose search resolves one match or offers several.
Prints one line per test and ends with "N passed, N failed"."""
import html
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, Suite, field_errors_html  # noqa: E402

SUITE = Suite()
test = SUITE.test
RDV = "/a/liens/rdv/"
API = "/apps/liens/{}/records"
UNKNOWN = "Aucun enregistrement accessible n'a ce numéro."


def api(s, who):
    return Client(s, token=s.tokens[who])


def make(s, who, form, fields):
    r = api(s, who).api("POST", API.format(form), {"fields": fields})
    assert r.status == 201, (r.status, r.text)
    return r.json()["id"]


def centre(s, who, nom):
    return make(s, who, "centre", {"nom": nom})


def created_id(r):
    assert r.status == 303, (r.status, field_errors_html(r.text) or r.text[:400])
    return int(r.header("Location").rstrip("/").split("/")[-1])


@test
def the_api_takes_a_readable_id_and_gives_it_back(s):
    cid = centre(s, "alice", "Centre Jean Moulin")
    rid = make(s, "alice", "rdv", {"patient": "Dupont", "centre": cid})
    r = api(s, "alice").api("GET", API.format("rdv") + f"/{rid}")
    assert r.status == 200 and r.json()["fields"]["centre"] == cid, r.text
    assert s.sql_one("liens", "SELECT centre FROM rdv WHERE id = ?", (rid,)) == cid


@test
def unknown_unreadable_and_deleted_ids_get_one_message(s):
    theirs = centre(s, "bob", "Centre de Bob")  # alice may not read it (own)
    gone = centre(s, "alice", "Centre fermé")
    r = api(s, "alice").api("DELETE", API.format("centre") + f"/{gone}")
    assert r.status in (200, 204), (r.status, r.text)
    for cid in (999999, theirs, gone):
        r = api(s, "alice").api("POST", API.format("rdv"),
                                {"fields": {"patient": "X", "centre": cid}})
        assert r.status == 422, (cid, r.status, r.text)
        assert r.json()["error"]["fields"]["centre"] == UNKNOWN, (cid, r.text)
    for bad in (0, -3, "douze"):
        r = api(s, "alice").api("POST", API.format("rdv"),
                                {"fields": {"patient": "X", "centre": bad}})
        assert r.status == 422, (bad, r.status, r.text)
    # the HTML door says the same
    c = Client(s).login("alice")
    c.get(RDV + "new")
    r = c.post_form(RDV + "new", {"patient": "X", "centre": str(theirs)})
    assert r.status == 422 and field_errors_html(r.text)["centre"] == UNKNOWN, r.status
    assert "Centre de Bob" not in html.unescape(r.text)
    # bob's own may use it; gestion reads every centre, so may name it too
    make(s, "bob", "rdv", {"patient": "Y", "centre": theirs})
    make(s, "gestion", "rdv", {"patient": "Z", "centre": theirs})


@test
def the_form_offers_a_select_of_the_readable_centres(s):
    a = centre(s, "alice", "Abbaye")
    centre(s, "bob", "Bastide de Bob")
    c = Client(s).login("alice")
    page = html.unescape(c.get(RDV + "new").text)
    sel = re.search(r'<select[^>]*name="centre"[^>]*>(.*?)</select>', page, re.S)
    assert sel, page[-3000:]
    names = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', sel.group(1))
    assert (str(a), "Abbaye") in names, names
    assert names == sorted(names, key=lambda x: x[1]), names  # by label
    assert all("Bob" not in n for _, n in names), names
    rid = created_id(c.post_form(RDV + "new", {"patient": "Martin", "centre": str(a)}))
    edit = c.get(f"{RDV}{rid}/edit").text
    assert re.search(rf'<option value="{a}" selected>', edit), edit[-2000:]


@test
def a_transition_field_offers_the_same_select_and_checks_the_same_rights(s):
    a = centre(s, "alice", "Aubrac")
    b = centre(s, "bob", "Bocage de Bob")
    did = make(s, "alice", "dossier", {"objet": "Orientation"})
    c = Client(s).login("alice")
    page = html.unescape(c.get(f"/a/liens/dossier/{did}/do/orienter").text)
    sel = re.search(r'<select[^>]*name="vers"[^>]*>(.*?)</select>', page, re.S)
    assert sel, page[-3000:]
    names = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', sel.group(1))
    assert (str(a), "Aubrac") in names and all("Bob" not in n for _, n in names), names
    # bob's centre, named by its number: as unknown as a typo
    r = api(s, "alice").api("POST", f"/apps/liens/dossier/records/{did}/transitions/orienter",
                            {"fields": {"vers": b}})
    assert r.status == 422 and r.json()["error"]["fields"]["vers"] == UNKNOWN, r.text
    r = c.post_form(f"/a/liens/dossier/{did}/do/orienter", {"vers": str(a), "version": "1"})
    assert r.status == 303, (r.status, r.text[:300])


@test
def pages_show_the_label_with_a_link_and_csv_the_label(s):
    cid = centre(s, "alice", "Centre <Pasteur>")
    rid = make(s, "alice", "rdv", {"patient": "Durand", "centre": cid})
    c = Client(s).login("alice")
    link = f'<a href="/a/liens/centre/{cid}">Centre &lt;Pasteur&gt;</a>'
    page = c.get(f"{RDV}{rid}").text
    assert link in page, page[-3000:]
    listing = c.get(RDV).text
    assert link in listing, listing[-3000:]
    g = Client(s).login("gestion")
    r = g.get(RDV + "export.csv")
    assert r.status == 200, r.status
    row = [x for x in r.body.decode("utf-8-sig").split("\r\n") if x.startswith(f"{rid};")]
    assert row and "Centre <Pasteur>" in row[0], row
    r = g.get(RDV + "export.jsonl")
    line = [x for x in r.text.splitlines() if f'"id":{rid},' in x]
    assert line and f'"centre":{cid}' in line[0], line


@test
def a_reader_who_may_not_read_the_target_sees_its_number_only(s):
    cid = centre(s, "alice", "Centre Secret")
    rid = make(s, "alice", "rdv", {"patient": "Petit", "centre": cid})
    c = Client(s).login("secr")
    for path in (f"{RDV}{rid}", RDV):
        page = c.get(path).text
        assert "Centre Secret" not in page, path
        assert f"/a/liens/centre/{cid}" not in page, path
        assert f"n° {cid}" in page, (path, page[-2000:])


@test
def over_50_records_the_input_is_a_search(s):
    for i in range(52):
        make(s, "gestion", "lieu", {"nom": f"Salle {i:02d}"})
    make(s, "gestion", "lieu", {"nom": "Gymnase Coubertin"})
    make(s, "gestion", "lieu", {"nom": "Gymnase Lafayette"})
    cid = centre(s, "alice", "Centre Lieux")
    c = Client(s).login("alice")
    page = c.get(RDV + "new").text
    assert re.search(r'<input type="text"[^>]*name="lieu"', page), page[-3000:]
    assert not re.search(r'<select[^>]*name="lieu"', page)
    rid = created_id(c.post_form(RDV + "new", {"patient": "A", "centre": str(cid),
                                                "lieu": "coubertin"}))
    lid = api(s, "alice").api("GET", API.format("rdv") + f"/{rid}").json()["fields"]["lieu"]
    assert s.sql_one("liens", "SELECT nom FROM lieu WHERE id = ?", (lid,)) == \
        "Gymnase Coubertin"
    r = c.post_form(RDV + "new", {"patient": "B", "centre": str(cid), "lieu": "gymnase"})
    assert r.status == 422, r.status
    err = field_errors_html(r.text)["lieu"]
    assert err.startswith("Plusieurs enregistrements correspondent à « gymnase »"), err
    group = re.search(r'<fieldset class="group ref-choices.*?</fieldset>', r.text, re.S)
    assert group, r.text[-3000:]
    radios = re.findall(r'type="radio"[^>]*value="(\d+)"', group.group(0))
    assert len(radios) == 2, group.group(0)
    # the chosen radio comes first in the form data and wins
    rid = created_id(c.post_form(RDV + "new", [("patient", "B"), ("centre", str(cid)),
                                                ("lieu", radios[1]), ("lieu", "gymnase")]))
    r = c.post_form(RDV + "new", {"patient": "C", "centre": str(cid), "lieu": "piscine"})
    assert r.status == 422
    assert "Aucun enregistrement accessible ne correspond" in field_errors_html(r.text)["lieu"]


@test
def the_openapi_document_says_integer_and_names_the_target(s):
    doc = api(s, "alice").api("GET", "/openapi.json").json()
    f = doc["components"]["schemas"]["liens.rdv.Fields"]["properties"]["centre"]
    assert "integer" in f["type"] and f["minimum"] == 1, f
    assert '"centre"' in f["description"], f
    app = api(s, "alice").api("GET", "/apps/liens").json()
    rdv = [x for x in app["forms"] if x["id"] == "rdv"][0]
    d = {x["name"]: x for x in rdv["fields"]}
    assert d["centre"]["type"] == "reference" and d["centre"]["form"] == "centre", d


def make_server(binary):
    s = Server(binary, apps=("liens",))
    s.add_user("alice")
    s.add_user("bob")
    s.add_user("gestion", roles=("liens:gestion",))
    s.add_user("secr", roles=("liens:secretariat",))
    s.start()
    s.tokens = {u: s.token(u) for u in ("alice", "bob", "gestion")}
    s.stop()
    return s


sys.exit(SUITE.main(make_server))
