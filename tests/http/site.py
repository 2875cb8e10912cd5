#!/usr/bin/env python3
"""The installation's identity, data/site.lua (SPEC 12, issue 15.1), against the real
server: the name in the header, every <title> and the mails' sender, the logo served by
the binary, the colour as a stylesheet, the DPO in the personal-data notice; a colour under 4.5:1 with
white, an unknown key or a logo that is no image stop the start naming why; without the
file, the neutral look and a warning on /admin.
Prints one line per test and ends with "N passed, N failed"."""
import email
import email.policy
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Client, Server, Suite  # noqa: E402
from smtp_server import SmtpServer  # noqa: E402

SUITE = Suite()
test = SUITE.test

LOGO = ('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="40" '
        'height="40"><rect width="40" height="40" fill="#000091"/></svg>\n')
SITE = """return {
  name = "Département de la Loire", logo = "logo.svg", color = "%s",
  contacts = { accessibility = "accessibilite@loire.fr", dpo = "dpo@loire.fr" },
  legal = { publisher = "Département de la Loire, 2 rue Charles de Gaulle, 42000 Saint-Étienne",
            director = "Le président du Département", host = "DSI du Département de la Loire" },
  accessibility = { state = "partiellement conforme", audit_date = "2026-11-30",
                    rate = 87, not_accessible = { "Les cartes des ponts ne sont pas décrites." } },
}
"""


def with_site(binary, text, logo=LOGO):
    s = Server(binary, apps=("voirie",))
    os.makedirs(s.data, exist_ok=True)
    with open(os.path.join(s.data, "site.lua"), "w") as f:
        f.write(text)
    if logo is not None:
        with open(os.path.join(s.data, "logo.svg"), "w") as f:
            f.write(logo)
    return s


def start_fails(s):
    try:
        s.start()
    except AssertionError as e:
        return str(e)
    finally:
        s.cleanup()
    raise AssertionError("the server started")


@test
def the_site_s_name_logo_and_colour_are_on_every_page(s):
    b = with_site(s.binary, SITE % "#000091")
    try:
        b.start()
        c = Client(b)
        page = c.get("/").text
        assert re.search(r"<title>[^<]* — Département de la Loire</title>", page), page[:400]
        assert re.search(r'<a class="brand" href="/"><img class="logo" src="/static/logo" '
                         r'alt="" height="40"> Département de la Loire</a>', page), page[:900]
        assert '<link rel="stylesheet" href="/static/site.css">' in page
        r = c.get("/static/logo")
        assert r.status == 200 and r.header("Content-Type") == "image/svg+xml", r.headers
        assert r.body == LOGO.encode() if hasattr(r, "body") else LOGO in r.text
        css = c.get("/static/site.css")
        assert css.status == 200 and ":root{--primary:#000091}" in css.text, css.text
        login = c.get("/login").text
        assert "— Département de la Loire</title>" in login
        notice = c.get("/a/voirie/donnees-personnelles").text
        assert 'href="mailto:dpo@loire.fr"' in notice, notice[-1500:]
        admin = Client(b).login("admin", password=b.env["SMALLAPPS_ADMIN_PASSWORD"])
        assert "data/site.lua" not in admin.get("/admin").text
    finally:
        b.cleanup()


@test
def every_footer_links_the_pages_a_public_site_must_have(s):
    b = with_site(s.binary, SITE % "#000091")
    try:
        b.start()
        c = Client(b)
        for path in ("/", "/login", "/a/voirie/donnees-personnelles"):
            page = c.get(path).text
            footer = re.search(r'<footer class="site">.*?</footer>', page, re.S).group(0)
            assert '<a href="/accessibilite">Accessibilité : partiellement conforme</a>' in \
                footer, (path, footer)
            assert '<a href="/mentions-legales">Mentions légales</a>' in footer
            assert '<a href="/donnees-personnelles">Données personnelles</a>' in footer
        a = c.get("/accessibilite")
        assert a.status == 200, a.status
        for piece in ("Déclaration d'accessibilité", "<strong>partiellement conforme</strong>",
                      "87 % des critères", "30/11/2026", "Les cartes des ponts ne sont pas "
                      "décrites.", 'href="mailto:accessibilite@loire.fr"', "Défenseur des droits",
                      "Voies de recours", "Retour d'information et contact"):
            assert piece in a.text.replace("&#39;", "'"), (piece, a.text[-2500:])
        m = c.get("/mentions-legales").text
        for piece in ("2 rue Charles de Gaulle", "Le président du Département",
                      "DSI du Département de la Loire"):
            assert piece in m, (piece, m[-1500:])
        d = c.get("/donnees-personnelles").text
        assert '<a href="/a/voirie/donnees-personnelles">Voirie</a>' in d, d[-1500:]
        assert "strictement nécessaires" in d
    finally:
        b.cleanup()


@test
def mails_carry_the_site_s_name_when_mail_from_gives_none(s):
    smtp = SmtpServer().start()
    b = with_site(s.binary, SITE % "#000091")
    b.env.update(SMALLAPPS_SMTP=smtp.url, SMALLAPPS_MAIL_FROM="noreply@loire.example")
    try:
        b.start()
        b.sql("voirie", "INSERT INTO _outbox (form, record_id, created_at, to_spec, subject, "
                        "body, status, attempts, next_attempt_at) VALUES ('signalement', 1, "
                        "'2026-01-01T00:00:00Z', 'agent@loire.example', 'Objet', 'Corps', "
                        "'pending', 0, '2026-01-01T00:00:00Z')")
        msg = smtp.wait_messages(1)[0]
        e = email.message_from_bytes(msg.data, policy=email.policy.default)
        assert e["From"].addresses[0].display_name == "Département de la Loire", e["From"]
        assert e["From"].addresses[0].addr_spec == "noreply@loire.example"
    finally:
        b.cleanup()
        smtp.stop()


@test
def a_colour_under_4_5_to_1_stops_the_start_naming_the_ratio(s):
    why = start_fails(with_site(s.binary, SITE % "#7fb2e5"))
    assert "« color » #7fb2e5 : contraste de 2,2:1 avec le blanc" in why, why[-600:]
    assert "au moins 4,5:1" in why


@test
def an_unknown_key_or_a_logo_that_is_no_image_stops_the_start(s):
    why = start_fails(with_site(s.binary, (SITE % "#000091").replace("color", "colour")))
    assert "clé inconnue « colour »" in why, why[-600:]
    why = start_fails(with_site(s.binary, SITE % "#000091", logo="pas une image"))
    assert "logo « logo.svg » : ni SVG ni PNG" in why, why[-600:]
    why = start_fails(with_site(s.binary, (SITE % "#000091").replace('"logo.svg"',
                                                                     '"../etc/passwd"')))
    assert "un fichier du dossier data/, sans chemin" in why, why[-600:]
    why = start_fails(with_site(s.binary, (SITE % "#000091").replace("name =", "nom =")))
    assert "clé inconnue « nom »" in why, why[-600:]
    why = start_fails(with_site(s.binary, 'return { color = "#000091" }'))
    assert "« name » (le nom de la collectivité) est obligatoire" in why, why[-600:]
    why = start_fails(with_site(s.binary, SITE % "bleu"))
    assert "une couleur « #rrggbb » attendue" in why, why[-600:]
    why = start_fails(with_site(s.binary, (SITE % "#000091").replace("rate = 87",
                                                                     "rate = { x = 1 }")))
    assert "accessibility.rate : un texte attendu" in why, why[-600:]


@test
def without_the_file_the_look_is_neutral_and_admin_says_so(s):
    page = Client(s).get("/").text
    assert re.search(r"<title>[^<]* — smallapps</title>", page) and "site.css" not in page
    assert Client(s).get("/static/logo").status == 404
    admin = Client(s).login("admin", password=s.env["SMALLAPPS_ADMIN_PASSWORD"])
    assert "Pas de fichier <code>data/site.lua</code>" in admin.get("/admin").text
    assert "no " in s.log_text() and "site.lua" in s.log_text()
    # the pages exist all the same: "non conforme" until an audit says otherwise
    assert 'Accessibilité : non conforme</a>' in page
    a = Client(s).get("/accessibilite").text
    assert "<strong>non conforme</strong>" in a and "Aucun audit" in a
    assert "non renseigné (data/site.lua)" in Client(s).get("/mentions-legales").text



@test
def the_statement_shows_the_automated_checks_make_test_wrote(s):
    """data/accessibilite-tests.json (tests/browser writes it): shown with its date; a broken
    file is not shown, and does not stop the start."""
    import json
    good = {"date": "2026-12-07", "tool": "axe-core 4.14.1", "browser": "Chromium",
            "pages": 22, "violations": 0, "results": []}
    for text, shown in ((json.dumps(good), True),
                        (json.dumps(dict(good, pages="22")), False),
                        ('{"date": "2026-12-07", "tool": ', False)):
        b = Server(s.binary, apps=("voirie",))
        try:
            os.makedirs(b.data, exist_ok=True)
            with open(os.path.join(b.data, "accessibilite-tests.json"), "w") as f:
                f.write(text)
            b.start()
            a = Client(b).get("/accessibilite").text
            if shown:
                assert 'Tests automatiques du <time datetime="2026-12-07">07/12/2026</time> (axe-core 4.14.1' in a, a
                assert "22 types de page vérifiés, 0 anomalie détectée" in a, a
            else:
                assert "Tests automatiques" not in a, a
        finally:
            b.cleanup()


def make_server(binary):
    return Server(binary, apps=("voirie",))


sys.exit(SUITE.main(make_server))
