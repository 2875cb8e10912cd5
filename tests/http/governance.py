#!/usr/bin/env python3
"""Governed data (issue 10, points 3 to 5) against the real server: the dashboard
(GET /a/<app>/stats and /api/v1/apps/<app>/stats, the same numbers, exactly, on a known
data set built by moving SMALLAPPS_NOW), who may see it, the GDPR register
(/admin/registre and /api/v1/registre), `check`'s privacy warnings, and retention
purges by `smallapps tick` (counts, idempotence, what is erased and what is kept).
Fixtures: tests/apps/voirie (retention 60 days), tests/apps/flux (personal fields, no
privacy block). Prints one line per test and ends with "N passed, N failed"."""
import html
import html.parser
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, Skip, Suite, on_pg, wait_for  # noqa: E402

SUITE = Suite()
test = SUITE.test

# The data set's clock: records made and moved at T0..T3, everything read at NOW.
T0 = "2026-01-10T09:00:00Z"
T1 = "2026-01-11T21:00:00Z"   # 1.5 days after T0
T2 = "2026-03-05T09:00:00Z"   # 52.5 days after T1, 54 after T0
T3 = "2026-03-09T09:00:00Z"   # 4 days after T2
NOW = "2026-03-10T12:00:00Z"
BASE = "/apps/voirie/signalement/records"
MONTHS = ["2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10",
          "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]

# What the dashboard must say of signalement at NOW (see build()).
EXPECTED = {
    "total": 5,
    "overdue": 1,                     # E, in "recu" for 5.1 days (due 3); B was relaunched
    "by_state": {"recu": 1, "en_cours": 2, "traite": 1, "rejete": 1},
    "by_month": [{"month": m, "count": {"2026-01": 3, "2026-03": 2}.get(m, 0)} for m in MONTHS],
    # recu: A, B, C left after 1.5 days, D after 4 -> ranks 2 and ceil(3.6) = 4
    # en_cours: A after 52.5 days (B's relaunch to the same state ends nothing)
    "time_in_state_days": {"recu": {"count": 4, "median": 1.5, "p90": 4.0},
                           "en_cours": {"count": 1, "median": 52.5, "p90": 52.5}},
    # C rejected after 1.5 days, A done after 54: ranks 1 and 2
    "time_to_final_days": {"count": 2, "median": 1.5, "p90": 54.0},
    "by_choice": {"nature": {"nid": 3, "eclairage": 1, "proprete": 1},
                  "urgence": {"faible": 0, "forte": 1}},
}


def restart_at(s, now):
    s.stop()
    s.env["SMALLAPPS_NOW"] = now
    s.start()


def created(c, fields):
    r = c.api("POST", BASE, {"fields": fields})
    assert r.status == 201, (r.status, r.text)
    return r.json()["id"]


def trigger(c, rid, t, comment=None):
    r = c.api("POST", f"{BASE}/{rid}/transitions/{t}", {"comment": comment} if comment else {})
    assert r.status == 200, (t, r.status, r.text)


def build(s):
    """The data set, made once through the API at the times above: five signalements
    (A..E) and their moves. Returns their ids by letter."""
    if getattr(s, "ids", None):
        return s.ids
    alice, agathe, root = (Client(s, token=s.tokens[u]) for u in ("alice", "agathe", "root"))
    ids = {}
    restart_at(s, T0)
    ids["A"] = created(alice, {"nom": "Dupont", "courriel": "dupont@exemple.fr",
                               "lieu": "Rue des Lilas", "nature": "nid"})
    ids["B"] = created(root, {"nom": "Martin", "telephone": "01 23 45 67 89",
                              "lieu": "Place du Marché", "nature": "nid", "urgence": "forte"})
    ids["C"] = created(alice, {"nom": "Durand", "courriel": "durand@exemple.fr",
                               "lieu": "Impasse Verte", "nature": "eclairage"})
    restart_at(s, T1)
    trigger(agathe, ids["A"], "prendre")
    trigger(agathe, ids["B"], "prendre")
    trigger(agathe, ids["C"], "rejeter", "Adresse inexistante, M. Durand rappelé au 06 12 34 56 78")
    restart_at(s, T2)
    ids["D"] = created(alice, {"nom": "Petit", "lieu": "Quai Nord", "nature": "proprete"})
    ids["E"] = created(alice, {"nom": "Roux", "lieu": "Rue Haute", "nature": "nid"})
    trigger(agathe, ids["A"], "traiter", "Réparé, merci M. Dupont")
    trigger(agathe, ids["B"], "relancer", "Relance de Mme Martin")
    restart_at(s, T3)
    trigger(agathe, ids["D"], "prendre")
    restart_at(s, NOW)
    s.ids = ids
    return ids


def stats_json(s, who):
    r = Client(s, token=s.tokens[who]).api("GET", "/apps/voirie/stats")
    assert r.status == 200, (who, r.status, r.text)
    return r.json()


def browser(s, who):
    """A signed-in browser ("admin": root, a global admin)."""
    return Client(s).login("root" if who == "admin" else who)


class Markup(html.parser.HTMLParser):
    """Balanced elements, and what accessibility asks of the governance pages."""
    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.ids, self.labelledby = [], [], set(), []
        self.h1 = self.tables = self.captions = self.svgs = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in self.ids:
                self.problems.append(f"duplicate id {a['id']}")
            self.ids.add(a["id"])
        if tag == "h1":
            self.h1 += 1
        if tag == "table":
            self.tables += 1
        if tag == "caption":
            self.captions += 1
        if tag == "th" and a.get("scope") not in ("col", "row"):
            self.problems.append("th without scope")
        if tag == "svg":
            self.svgs += 1
            if a.get("role") != "img" or not a.get("aria-labelledby"):
                self.problems.append("svg without role=img and aria-labelledby")
            self.labelledby += a.get("aria-labelledby", "").split()
        if tag == "script" or any(k.startswith("on") for k in a) or "style" in a:
            self.problems.append(f"script or inline style on <{tag}>")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()

    def check(self, text):
        self.feed(text)
        self.problems += [f"{i} labels nothing" for i in self.labelledby if i not in self.ids]
        if self.stack:
            self.problems.append(f"unclosed {self.stack}")
        if self.h1 != 1:
            self.problems.append(f"{self.h1} h1")
        if self.captions != self.tables:
            self.problems.append("a table without caption")
        return self


def rows(page, caption_start):
    """The body rows of the table whose caption starts so, as lists of cell texts."""
    m = re.search(r"<caption[^>]*>(?:<span class=\"cap\">)?" + re.escape(caption_start) + r".*?</caption>(.*?)</table>",
                  page, re.S)
    assert m, f"no table {caption_start!r}"
    body = m.group(1).split("<tbody>")[1]
    out = []
    for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        out.append([html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
    return out


def days(v):
    """A duration as the French page writes it."""
    return "—non renseigné" if v is None else f"{v:.1f}".replace(".", ",")


# ---------------------------------------------------------------- the dashboard

@test
def stats_numbers_are_exact_on_a_known_data_set(s):
    build(s)
    d = stats_json(s, "root")
    assert d["app"] == "voirie" and d["generated_at"] == NOW, d
    assert set(d["forms"]) == {"signalement", "note"}, d["forms"].keys()
    assert d["forms"]["signalement"] == EXPECTED, d["forms"]["signalement"]
    note = d["forms"]["note"]
    assert note["total"] == 0 and note["by_state"] == {} and note["by_choice"] == {}, note
    assert note["time_to_final_days"] == {"count": 0, "median": None, "p90": None}, note
    assert [m["month"] for m in note["by_month"]] == MONTHS
    # one decimal, always, as written: 4.0 is not 4
    r = Client(s, token=s.tokens["root"]).api("GET", "/apps/voirie/stats")
    assert '"p90":4.0' in r.text and '"median":52.5' in r.text, r.text


@test
def the_admin_catalog_gives_each_form_its_records_overdue_and_last_activity(s):
    build(s)
    page = browser(s, "admin").get("/admin").text
    got = {r[0]: r[1:] for r in rows(page, "Enregistrements, retards")}
    # signalement: 5 records, 1 overdue, last written at T3 (10:00 in Paris)
    assert got["Signalement"][:3] == ["Voirie", "5", "1"], got
    assert got["Signalement"][3].startswith("09/03/2026") and "10:00" in got["Signalement"][3], got
    assert got["Note interne"][1:] == ["0", "—non renseigné", "—non renseigné"], got
    assert not Markup().check(page).problems, Markup().check(page).problems


@test
def the_page_shows_the_same_numbers_as_the_api(s):
    build(s)
    d = stats_json(s, "root")["forms"]["signalement"]
    page = browser(s, "admin").get("/a/voirie/stats")
    assert page.status == 200, page.status
    text = page.text
    months = rows(text, "Enregistrements créés par mois : Signalement")
    assert [int(r[1]) for r in months] == [m["count"] for m in d["by_month"]], months
    assert months[9][0] == "janvier 2026" and months[11][0] == "mars 2026", months
    states = {r[0]: r[1:] for r in rows(text, "États et durées : Signalement")}
    labels = {"recu": "Reçu", "en_cours": "En cours", "traite": "Traité", "rejete": "Rejeté"}
    for sid, label in labels.items():
        got = states[label]
        assert int(got[0]) == d["by_state"][sid], (label, got)
        if sid in d["time_in_state_days"]:
            t = d["time_in_state_days"][sid]
            assert got[1:] == [str(t["count"]), days(t["median"]), days(t["p90"])], (label, got)
        else:
            assert got[1] == "état final", got
    nature = {r[0]: int(r[1]) for r in rows(text, "Enregistrements par valeur de « Nature »")}
    assert nature == {"Nid-de-poule": 3, "Éclairage": 1, "Propreté": 1}, nature
    dl = html.unescape(re.sub(r"<[^>]+>", "|", text.split('<section class="stats">')[1]))
    assert "Enregistrements||5|" in dl and "En retard||1|" in dl, dl[:400]
    assert "médiane 1,5 ; 90e centile 54,0" in dl, dl[:600]


@test
def the_page_is_accessible_markup_without_script(s):
    build(s)
    text = browser(s, "admin").get("/a/voirie/stats").text
    m = Markup().check(text)
    assert not m.problems, m.problems
    assert m.svgs == 2 * 1 + 1, m.svgs            # signalement: months, states; note: months
    # every bar chart says its values in words
    desc = re.search(r'<desc id="graphe-signalement-mois-d">(.*?)</desc>', text).group(1)
    assert "janvier 2026 : 3" in html.unescape(desc) and "mars 2026 : 2" in html.unescape(desc)
    desc = re.search(r'<desc id="graphe-signalement-etats-d">(.*?)</desc>', text).group(1)
    assert html.unescape(desc) == "Reçu : 1 ; En cours : 2 ; Traité : 1 ; Rejeté : 1", desc
    en = browser(s, "admin").get("/a/voirie/stats?lang=en").text
    assert '<html lang="en">' in en and "Records created per month" in en
    assert "1.5" in en and not Markup().check(en).problems


@test
def only_readers_of_every_record_see_the_dashboard(s):
    build(s)
    # an elected official reads every signalement, not the private "urgence", no note
    d = stats_json(s, "eloi")
    assert set(d["forms"]) == {"signalement"}, d["forms"].keys()
    assert set(d["forms"]["signalement"]["by_choice"]) == {"nature"}
    assert d["forms"]["signalement"]["total"] == EXPECTED["total"]
    # agents read notes of their own only: left out
    assert set(stats_json(s, "agathe")["forms"]) == {"signalement"}
    # a demandeur reads only their own records: nothing to show
    alice = Client(s, token=s.tokens["alice"])
    r = alice.api("GET", "/apps/voirie/stats")
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden", r.text
    assert browser(s, "alice").get("/a/voirie/stats").status == 403
    assert Client(s).api("GET", "/apps/voirie/stats").status == 401
    anon = Client(s).get("/a/voirie/stats")
    assert anon.status == 303 and "/login" in anon.header("Location"), anon.status
    assert Client(s, token=s.tokens["root"]).api("POST", "/apps/voirie/stats", {}).status == 405
    assert Client(s, token=s.tokens["root"]).api("GET", "/apps/nulle/stats").status == 404
    # the app's home links the dashboard for those who may see it
    assert 'href="/a/voirie/stats"' in browser(s, "eloi").get("/a/voirie/").text
    assert 'href="/a/voirie/stats"' not in browser(s, "alice").get("/a/voirie/").text


@test
def the_answers_follow_their_openapi_schemas(s):
    """The dashboard, the register and a record (purged_at) as openapi.json describes them."""
    import openapi
    ids = build(s)
    root = Client(s, token=s.tokens["root"])
    doc = root.get("/api/v1/openapi.json").json()
    for path, answer in (("/api/v1/apps/voirie/stats", root.api("GET", "/apps/voirie/stats")),
                         ("/api/v1/registre", root.api("GET", "/registre"))):
        op = doc["paths"][path]["get"]
        assert {"401", "403"} <= set(op["responses"]), op["responses"]
        schema = openapi.response_schema(doc, op, 200)
        openapi.assert_valid(doc, schema, answer.json(), path)
    one = "/api/v1/apps/voirie/signalement/records/{id}"
    schema = openapi.response_schema(doc, doc["paths"][one]["get"], 200)
    openapi.assert_valid(doc, schema, root.api("GET", f"{BASE}/{ids['C']}").json(), "record")
    # every caller sees the dashboard of the apps they see (access is decided per request)
    eloi = Client(s, token=s.tokens["eloi"]).get("/api/v1/openapi.json").json()
    assert "/api/v1/apps/voirie/stats" in eloi["paths"]


# ---------------------------------------------------------------- the register

@test
def the_register_lists_processing_and_who_reads_personal_fields(s):
    r = Client(s, token=s.tokens["root"]).api("GET", "/registre")
    assert r.status == 200, r.text
    apps = {a["app"]: a for a in r.json()["apps"]}
    v = apps["voirie"]
    assert (v["title"], v["owner"], v["purpose"], v["legal_basis"], v["retention_days"],
            v["recipients"], v["contact"], v["warnings"]) == (
        "Voirie", "Direction de la voirie", "Traitement des signalements de voirie",
        "Mission d'intérêt public", 60, ["Service voirie", "Prestataire d'entretien"],
        "dpo@ville.example", []), v
    fields = {(f["form"], f["field"]): f for f in v["personal_fields"]}
    assert set(fields) == {("signalement", "nom"), ("signalement", "courriel"),
                           ("signalement", "telephone"), ("note", "auteur")}, fields.keys()
    readers = {k: {(x["role"], x["scope"]) for x in f["readers"]} for k, f in fields.items()}
    assert readers[("signalement", "nom")] == {("demandeur", "own"), ("agent", "all"),
                                               ("elu", "all"), ("admin", "all")}, readers
    # private to agents: the elected official and the demandeur do not read it
    assert readers[("signalement", "telephone")] == {("agent", "all"), ("admin", "all")}
    assert readers[("note", "auteur")] == {("agent", "own"), ("admin", "all")}
    f = fields[("signalement", "courriel")]
    assert (f["label"], f["type"], f["form_title"]) == ("Courriel", "email", "Signalement"), f
    flux = apps["flux"]
    assert flux["warnings"] == ["privacy_missing"] and flux["retention_days"] is None, flux
    assert "essai" in apps and apps["essai"]["warnings"] == [], apps["essai"]


@test
def the_register_page_is_for_admins_and_printable(s):
    admin = browser(s, "admin")
    assert 'href="/admin/registre"' in admin.get("/admin").text
    page = admin.get("/admin/registre")
    assert page.status == 200
    m = Markup().check(page.text)
    assert not m.problems, m.problems
    text = html.unescape(page.text)
    assert "Registre des traitements (RGPD)" in text and "60 jours après" in text
    assert "Traitement des signalements de voirie" in text and "dpo@ville.example" in text
    tel = [r for r in rows(page.text, "Données personnelles et qui peut les lire : Voirie")
           if r[1] == "Téléphone"]
    assert tel == [["Signalement", "Téléphone", "phone",
                    "Agent (tous les enregistrements)Administrateurs (tous les enregistrements)"]], tel
    assert "pas de bloc « privacy »" in text, "flux's warning"
    css = Client(s).get("/static/style.css").text
    assert "@media print" in css
    assert browser(s, "eloi").get("/admin/registre").status == 403
    assert Client(s).get("/admin/registre").status == 303
    r = Client(s, token=s.tokens["eloi"]).api("GET", "/registre")
    assert r.status == 403 and r.json()["error"]["code"] == "forbidden"
    assert Client(s).api("GET", "/registre").status == 401


@test
def check_warns_about_privacy_but_does_not_fail(s):
    def check(*dirs):
        return subprocess.run([s.binary, "check", *dirs], capture_output=True, text=True,
                              env=s.env, timeout=60)
    p = check(os.path.join(s.apps, "flux"))
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r'flux/app\.lua: avertissement : des champs personnels \(dossier\.courriel\) '
                     r'mais pas de bloc "privacy"', p.stdout), p.stdout
    assert p.stdout.rstrip().endswith("1 avertissement"), p.stdout
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "sans-duree")
        os.makedirs(app)
        with open(os.path.join(app, "app.lua"), "w") as f:
            f.write('return { title = "T", privacy = { purpose = "p" }, forms = { { id = "f", '
                    'title = "F", fields = { { name = "n", type = "text", label = "N", '
                    'personal = true } } } } }\n')
        p = check(app)
        assert p.returncode == 0, p.stdout + p.stderr
        assert 'sans-duree/app.lua: privacy: avertissement : pas de "retention_days"' in p.stdout, \
            p.stdout
        p = subprocess.run([s.binary, "check", "--json", app], capture_output=True, text=True,
                           env=s.env, timeout=60)
        assert p.returncode == 0 and '"warning": true' in p.stdout, p.stdout
    p = check(os.path.join(s.apps, "voirie"))
    assert p.returncode == 0 and "avertissement" not in p.stdout, p.stdout


# ---------------------------------------------------------------- retention

def tick_at(s, now):
    """`smallapps tick` as of now, the server stopped (its own scheduler runs at NOW)."""
    s.stop()
    env = dict(s.env, SMALLAPPS_NOW=now)
    p = subprocess.run([s.binary, "tick", "--apps", s.apps, *s.storage_args()],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"^(\d+) enregistrement\(s\) purgé\(s\)", p.stdout, re.M)
    assert m, p.stdout
    return int(m.group(1))


def record(s, rid):
    r = Client(s, token=s.tokens["root"]).api("GET", f"{BASE}/{rid}")
    assert r.status == 200, r.text
    return r.json()


def purge(s):
    """The purges, run once: C as of 60.5 days after its rejection, then A 61 days after
    it was done, each tick run again a minute later. What was seen before and the counts."""
    if getattr(s, "purged", None):
        return s.purged
    ids = build(s)
    before = {k: record(s, v) for k, v in ids.items()}
    stats_before = stats_json(s, "root")
    seen = {}
    try:
        seen["C"] = [tick_at(s, "2026-03-13T09:00:00Z"), tick_at(s, "2026-03-13T09:01:00Z")]
        s.start()
        seen["A before"] = record(s, ids["A"])
        seen["A"] = [tick_at(s, "2026-05-05T09:00:00Z"), tick_at(s, "2026-05-05T09:01:00Z")]
    finally:
        restart_at(s, NOW)
    s.purged = before, stats_before, seen
    return s.purged


@test
def retention_purges_final_records_once_and_keeps_what_is_not_personal(s):
    ids = build(s)
    before, stats_before, seen = purge(s)
    # C was rejected 60.5 days before: purged; then nothing (idempotent)
    assert seen["C"] == [1, 0], seen
    # A, done 8 days before, waited; its turn came 61 days after
    assert seen["A before"] == before["A"], seen["A before"]
    assert seen["A"] == [1, 0], seen
    c = record(s, ids["C"])
    assert c["purged_at"] == "2026-03-13T09:00:00Z", c
    assert c["fields"]["nom"] is None and c["fields"]["courriel"] is None, c
    assert c["fields"]["lieu"] == "Impasse Verte" and c["fields"]["nature"] == "eclairage"
    assert c["state"] == "rejete" and c["created_by"] == "alice"
    assert c["version"] == before["C"]["version"] + 1
    a = record(s, ids["A"])
    assert a["purged_at"] == "2026-05-05T09:00:00Z" and a["fields"]["nom"] is None, a
    assert a["fields"]["lieu"] == "Rue des Lilas", a
    for k in ("B", "D", "E"):                                 # not final: untouched
        assert record(s, ids[k]) == before[k], k
    assert before["B"]["fields"]["telephone"] == "+33123456789", before["B"]
    # the statistics stay true
    after = stats_json(s, "root")
    assert after["forms"] == stats_before["forms"], (after, stats_before)


@test
def a_purged_history_keeps_the_transitions_not_the_personal_values(s):
    ids = build(s)
    purge(s)
    root = Client(s, token=s.tokens["root"])
    h = root.api("GET", f"{BASE}/{ids['C']}/history").json()["history"]
    assert [(l["action"], l["actor"], l.get("from"), l.get("to")) for l in h] == [
        ("create", "alice", None, "recu"), ("transition", "agathe", "recu", "rejete"),
        ("purge", "system", None, None)], h
    assert h[1]["at"] == T1 and h[1]["transition"] == "rejeter" and not h[1].get("comment"), h
    assert h[0]["changes"]["nom"] == [None, None] and h[0]["changes"]["courriel"] == [None, None]
    assert h[0]["changes"]["lieu"] == [None, "Impasse Verte"], h[0]
    # nothing personal left anywhere in the stored history of the purged records
    for rid, words in ((ids["C"], ("Durand", "durand@", "06 12")), (ids["A"], ("Dupont", "dupont@"))):
        for line in s.sql("voirie", "SELECT changes, comment FROM _history WHERE record_id = ?",
                          (rid,)):
            blob = f"{line['changes']} {line['comment']}"
            assert not any(w in blob for w in words), (rid, blob)
    # the others keep theirs
    b = root.api("GET", f"{BASE}/{ids['B']}/history").json()["history"]
    assert b[0]["changes"]["nom"] == [None, "Martin"] and b[-1]["comment"] == "Relance de Mme Martin"
    # the record page says so, in words
    page = browser(s, "admin").get(f"/a/voirie/signalement/{ids['C']}").text
    assert "Données personnelles effacées le" in page and "Dupont" not in page
    assert "durée de conservation écoulée" in page
    audit = s.sql("system", "SELECT actor, target, detail FROM audit WHERE action = ? ORDER BY id",
                  ("retention.purge",))
    assert [(a["actor"], a["target"]) for a in audit] == [("system", "voirie/signalement")] * 2, audit
    assert audit[0]["detail"].startswith("1 enregistrement(s) purgé(s)"), audit


@test
def transitions_through_two_engines_at_once_keep_the_durations_exact(s):
    """Several engines' group commits count stays into the same few rows of _durations:
    nothing is lost, nothing waits forever, every transition answers 200."""
    if not on_pg():
        raise Skip("several engines share a PostgreSQL database only")
    e1 = Server(s.binary, apps=("voirie",), env={"SMALLAPPS_NOW": NOW})
    e2 = Server(s.binary, apps=(), share=e1, env={"SMALLAPPS_NOW": NOW})
    try:
        e1.add_user("alice", roles=["voirie:demandeur"])
        e1.add_user("agathe", roles=["voirie:agent"])
        e1.add_user("root", admin=True)
        tok = {u: e1.token(u) for u in ("alice", "agathe", "root")}
        e1.start()
        e2.start()
        wait_for(lambda: Client(e2, token=tok["root"]).api("GET", "/apps/voirie").status == 200)
        alice = Client(e1, token=tok["alice"])
        ids = [created(alice, {"nom": f"N{i}", "lieu": "L"}) for i in range(80)]
        statuses = []

        def worker(k):
            for rid in ids[k::8]:
                c = Client(e1 if rid % 2 else e2, token=tok["agathe"])
                statuses.append(c.api("POST", f"{BASE}/{rid}/transitions/prendre", {}).status)

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert statuses == [200] * 80, statuses
        d = Client(e2, token=tok["root"]).api("GET", "/apps/voirie/stats").json()
        f = d["forms"]["signalement"]
        assert f["by_state"]["en_cours"] == 80, f
        assert f["time_in_state_days"]["recu"] == {"count": 80, "median": 0.0, "p90": 0.0}, f
    finally:
        e2.cleanup()
        e1.cleanup()


def make_server(binary):
    s = Server(binary, apps=("voirie", "flux", "essai"), env={"SMALLAPPS_NOW": NOW})
    s.add_user("alice", roles=["voirie:demandeur"])
    s.add_user("agathe", roles=["voirie:agent"])
    s.add_user("eloi", roles=["voirie:elu"])
    s.add_user("root", admin=True)
    s.tokens = {u: s.token(u) for u in ("alice", "agathe", "eloi", "root")}
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
