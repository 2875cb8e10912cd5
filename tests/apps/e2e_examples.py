#!/usr/bin/env python3
"""End-to-end scenarios of the three example apps (vaccins, ponts-sete, reclamations)
through the real server and its JSON API: creation with the apps' own validation,
access rules, workflows with their guards, actions and separation of duties.

    python3 tests/apps/e2e_examples.py [--binary ./smallapps]

Prints one line per failure and "N passed, N failed" last; exits 1 on failure."""
import argparse
import html
import os
import re
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
from harness import ROOT, Client, Server  # noqa: E402

# A Wednesday morning in March (UTC); deliveries and slots below are relative to it.
NOW = "2026-03-04T09:00:00Z"

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        line = traceback.extract_stack(limit=2)[0].lineno
        print(f"FAIL tests/apps/e2e_examples.py:{line}: {what}")
    return cond


def fields_of(r):
    try:
        return r.json()["error"].get("fields") or {}
    except Exception:
        return {}


def api_client(s, login):
    return Client(s, token=s.token(login))


# ---------------------------------------------------------------- vaccins

COMMANDE = {
    "centre": "Centre de vaccination de Saint-Étienne", "type_centre": "centre",
    "adresse": "2 rue de la Charité", "code_postal": "42000", "commune": "42218",
    "contact_nom": "Dr Anne Martin", "contact_email": "centre@example.org",
    "contact_telephone": "04 77 00 00 00", "lignes": [{"vaccin": "spikevax", "doses": 100}],
    "publics": ["plus_65", "soignants"], "capacite_stockage": 500,
    "date_souhaitee": "2026-03-09", "urgent": False,
}


def vaccins(s):
    s.add_user("centre1", roles=["vaccins:centre"])
    s.add_user("centre2", roles=["vaccins:centre"])
    s.add_user("pharmacie1", roles=["vaccins:pharmacie"])
    s.add_user("pharmacie2", roles=["vaccins:pharmacie", "vaccins:centre"])
    c1, c2 = api_client(s, "centre1"), api_client(s, "centre2")
    ph, ph2 = api_client(s, "pharmacie1"), api_client(s, "pharmacie2")
    base = "/apps/vaccins/commande/records"

    r = c1.api("POST", base, {"fields": COMMANDE})
    if not check(r.status == 201, f"create order: {r.status} {r.text[:400]}"):
        return
    rec = r.json()
    rid = rec["id"]
    f = rec["fields"]
    check(rec["state"] == "soumise", "initial state")
    check(re.fullmatch(r"CMD-20260304-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}", f.get("reference") or ""),
          f"reference from on_create: {f.get('reference')}")
    check(f.get("flacons") == 10, f"computed vials: {f.get('flacons')}")
    check(f.get("priorite") == "normale", "priority set by on_create")
    check(f.get("contact_telephone") == "+33477000000", "phone stored as E.164")
    check("note_interne" not in f, "private note not sent to the centre")

    # Pages that show what matters (issue 15.4): the blank form, only what a centre fills;
    # the record page, no later step's field before that step; the creation line, folded.
    web = Client(s).login("centre1")
    page = web.get("/a/vaccins/commande/new").text
    for gone in (">Référence de la commande<", ">Nombre de flacons ou seringues<",
                 ">Priorité de préparation<", ">Délai commande → livraison (jours)<"):
        check(gone not in page, f"new order form shows {gone}")
    check('id="f-lignes[1].doses"' in page, "new order form asks the doses of its first line")
    page = web.get(f"/a/vaccins/commande/{rid}").text
    check("Livraison conforme" not in page, "record page shows receptionner's field before it")
    check(re.search(r"<details><summary>Valeurs saisies</summary>\s*<ul class=\"changes\"",
                    page) is not None, "creation line folded in <details>")

    r = c1.api("POST", base, {"fields": dict(COMMANDE, lignes=[{"vaccin": "spikevax", "doses": 105}])})
    check(r.status == 422 and "10 doses" in fields_of(r).get("lignes[1].doses", ""),
          f"Spikevax vials: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, lignes=[{"vaccin": "spikevax", "doses": 100},
                                                               {"vaccin": "arexvy", "doses": 20}])})
    check(r.status == 201 and r.json()["fields"]["doses"] == 120
          and r.json()["fields"]["flacons"] == 30, f"an order of two vaccines: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, date_souhaitee="2026-03-05")})
    check(r.status == 422 and "date_souhaitee" in fields_of(r), f"lead time: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, date_souhaitee="2026-03-05", urgent=True)})
    check(r.status == 422 and "motif_urgence" in fields_of(r), f"urgent needs a reason: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, date_souhaitee="2026-03-05", urgent=True,
                                             motif_urgence="Rupture de stock au centre")})
    check(r.status == 201 and r.json()["fields"].get("priorite") == "haute", f"urgent order: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, code_postal="69003")})
    check(r.status == 422 and "code_postal" in fields_of(r), "centre outside the département")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, type_centre="ehpad")})
    check(r.status == 422 and "finess" in fields_of(r), f"FINESS required for an EHPAD: {r.text[:300]}")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, type_centre="ehpad", finess="42000123")})
    check(r.status == 422 and "finess" in fields_of(r), "FINESS pattern")
    r = c1.api("POST", base, {"fields": dict(COMMANDE, note_interne="hop")})
    check(r.status == 422, f"a centre cannot write the pharmacy's note: {r.status}")

    check(c2.api("GET", f"{base}/{rid}").status == 404, "another centre does not see the order")
    r = ph.api("GET", f"{base}/{rid}")
    check(r.status == 200 and "note_interne" in r.json()["fields"], "pharmacy sees the private note field")

    r = ph.api("POST", f"{base}/{rid}/transitions/valider",
               {"fields": {"doses_validees": 120, "livraison_prevue": "2026-03-09"}})
    check(r.status in (403, 409, 422), f"guard: more than ordered: {r.status} {r.text[:300]}")
    r = ph.api("POST", f"{base}/{rid}/transitions/valider",
               {"fields": {"livraison_prevue": "2026-03-09"}, "comment": "OK"})
    check(r.status == 200 and r.json()["state"] == "validee", f"validate: {r.status} {r.text[:300]}")
    if r.status == 200:
        check(r.json()["fields"].get("doses_validees") == 100, "action fills doses_validees")
    r = ph.api("POST", f"{base}/{rid}/transitions/livrer",
               {"fields": {"livree_le": "2026-03-04", "numeros_lots": "FK1234, FK1235"}})
    check(r.status == 200 and r.json()["state"] == "livree", f"deliver: {r.status} {r.text[:300]}")
    if r.status == 200:
        check(r.json()["fields"].get("delai_jours") == 0, f"delay: {r.json()['fields'].get('delai_jours')}")
    r = c2.api("POST", f"{base}/{rid}/transitions/receptionner", {"fields": {}})
    check(r.status in (403, 404), "only the ordering centre confirms receipt")
    r = c1.api("POST", f"{base}/{rid}/transitions/receptionner", {"fields": {"reception_conforme": True}})
    check(r.status == 200 and r.json()["state"] == "receptionnee", f"receipt: {r.status} {r.text[:300]}")

    # Refusal needs a comment; separation of duties on validation.
    r = ph2.api("POST", base, {"fields": COMMANDE})
    check(r.status == 201, f"pharmacist who is also a centre orders: {r.status} {r.text[:200]}")
    own = r.json()["id"]
    r = ph2.api("POST", f"{base}/{own}/transitions/valider", {"fields": {"livraison_prevue": "2026-03-09"}})
    check(r.status == 403, f"no self-approval: {r.status} {r.text[:200]}")
    r = ph.api("POST", f"{base}/{own}/transitions/refuser", {"fields": {"motif_refus": "Rupture de stock"}})
    check(r.status == 422, f"refusal needs a comment: {r.status} {r.text[:200]}")
    r = ph.api("POST", f"{base}/{own}/transitions/refuser",
               {"fields": {"motif_refus": "Rupture de stock"}, "comment": "Plus de Spikevax cette semaine."})
    check(r.status == 200 and r.json()["state"] == "refusee", f"refuse: {r.status} {r.text[:200]}")

    # The stock register: a form without workflow, pharmacy only.
    lots = "/apps/vaccins/lot/records"
    lot = {"vaccin": "comirnaty", "numero_lot": "HD8123", "date_reception": "2026-03-02",
           "date_peremption": "2026-09-30", "doses_recues": 1200, "prix_unitaire": "19,50",
           "fournisseur": "spf", "conservation": "2_8"}
    check(c1.api("POST", lots, {"fields": lot}).status == 403, "centres do not register lots")
    r = ph.api("POST", lots, {"fields": lot})
    check(r.status == 201 and r.json()["fields"].get("prix_unitaire") == "19.50", f"lot: {r.status} {r.text[:300]}")
    if r.status == 201:
        lid = r.json()["id"]
        r = ph.api("PATCH", f"{lots}/{lid}", {"fields": {"doses_recues": 1188}})
        check(r.status == 200, f"pharmacy updates a lot: {r.status} {r.text[:200]}")
    r = ph.api("POST", lots, {"fields": dict(lot, date_peremption="2026-03-01")})
    check(r.status == 422 and "date_peremption" in fields_of(r), "expired lot refused")


# ---------------------------------------------------------------- ponts-sete

OUVERTURE = {
    "societe": "Thau Transports Maritimes", "siret": "44306184100047", "contact_nom": "Jean Pons",
    "contact_email": "armement@example.org", "telephone_capitaine": "06 12 34 56 78",
    "navire": "Lou Pescadou", "categorie": "peche", "immatriculation": "st 925432", "longueur": 24.5,
    "largeur": 7.2, "tirant_air": 11.8, "tirant_eau": 3.1, "personnes_a_bord": 6, "sens": "vers_mer",
    "ponts": ["gare", "sadi_carnot"], "creneau_souhaite": "2026-03-05T16:30",
}


def ponts(s):
    s.add_user("armateur1", roles=["ponts-sete:armateur"])
    s.add_user("armateur2", roles=["ponts-sete:armateur"])
    s.add_user("regulation1", roles=["ponts-sete:regulation"])
    s.add_user("regulation2", roles=["ponts-sete:regulation"])
    a1, a2 = api_client(s, "armateur1"), api_client(s, "armateur2")
    g1, g2 = api_client(s, "regulation1"), api_client(s, "regulation2")
    base = "/apps/ponts-sete/ouverture/records"

    r = a1.api("POST", base, {"fields": OUVERTURE})
    if not check(r.status == 201, f"create request: {r.status} {r.text[:400]}"):
        return
    rid = r.json()["id"]
    f = r.json()["fields"]
    check(f.get("navire") == "LOU PESCADOU" and f.get("immatriculation") == "ST 925432", "on_create upper-cases")
    check(f.get("ouverture_necessaire") is True, "computed: opening needed")

    r = a1.api("POST", base, {"fields": dict(OUVERTURE, tirant_air=1.2)})
    check(r.status == 422 and "1,20 m" in fields_of(r).get("tirant_air", ""), f"no opening needed: {r.text[:300]}")
    r = a1.api("POST", base, {"fields": dict(OUVERTURE, categorie="commerce")})
    check(r.status == 422 and "imo" in fields_of(r), "IMO required for merchant ships")
    r = a1.api("POST", base, {"fields": dict(OUVERTURE, categorie="commerce", imo="9074728")})
    check(r.status == 422 and "imo" in fields_of(r), "IMO check digit")
    r = a1.api("POST", base, {"fields": dict(OUVERTURE, categorie="commerce", imo="9074729")})
    check(r.status == 201, f"valid IMO: {r.status} {r.text[:300]}")
    r = a1.api("POST", base, {"fields": dict(OUVERTURE, creneau_souhaite="2026-03-04T18:00")})
    check(r.status == 422 and "creneau_souhaite" in fields_of(r), "24 h notice")
    r = a1.api("POST", base, {"fields": dict(OUVERTURE, matieres_dangereuses=True)})
    check(r.status == 422 and "classe_imdg" in fields_of(r), "IMDG classes required")

    check(a2.api("GET", f"{base}/{rid}").status == 404, "operators only see their own requests")
    r = g1.api("POST", f"{base}/{rid}/transitions/planifier", {"fields": {"creneau_confirme": "2026-03-05T17:00"}})
    check(r.status == 200 and r.json()["state"] == "planifiee", f"plan: {r.status} {r.text[:300]}")
    r = g1.api("POST", f"{base}/{rid}/transitions/confirmer", {"fields": {"vent_kn": 40}})
    check(r.status in (403, 409, 422) and "40" in r.text, f"too much wind: {r.status} {r.text[:300]}")
    r = g1.api("POST", f"{base}/{rid}/transitions/confirmer", {"fields": {"vent_kn": 12}})
    check(r.status == 200 and r.json()["state"] == "confirmee", f"confirm: {r.status} {r.text[:300]}")
    r = g1.api("POST", f"{base}/{rid}/transitions/consigner_passage",
               {"fields": {"heure_passage": "2026-03-05T17:20"}})
    check(r.status == 200 and r.json()["state"] == "passee", f"passage: {r.status} {r.text[:300]}")
    if r.status == 200:
        check(r.json()["fields"].get("ecart_minutes") == 20, f"delay: {r.json()['fields'].get('ecart_minutes')}")

    # A request typed in by a regulation agent (phone call) is confirmed by another one.
    r = g1.api("POST", base, {"fields": OUVERTURE})
    check(r.status == 201, f"regulation files a phone request: {r.status} {r.text[:200]}")
    pid = r.json()["id"]
    g1.api("POST", f"{base}/{pid}/transitions/planifier", {"fields": {"creneau_confirme": "2026-03-05T17:00"}})
    r = g1.api("POST", f"{base}/{pid}/transitions/confirmer", {"fields": {"vent_kn": 5}})
    check(r.status == 403, f"no self-confirmation: {r.status} {r.text[:200]}")
    r = g2.api("POST", f"{base}/{pid}/transitions/confirmer", {"fields": {"vent_kn": 5}})
    check(r.status == 200, f"another agent confirms: {r.status} {r.text[:200]}")
    r = g2.api("POST", f"{base}/{pid}/transitions/refuser",
               {"fields": {"motif_refus": "Autre motif"}, "comment": "x"})
    check(r.status == 409, f"no refusal once confirmed: {r.status}")
    r = a1.api("POST", f"{base}/{pid}/transitions/annuler", {})
    check(r.status in (403, 404), f"operator cannot cancel someone else's request: {r.status}")


# ---------------------------------------------------------------- reclamations

RECLAMATION = {
    "categorie": "voirie", "objet": "Nid-de-poule dangereux",
    "description": "Un trou profond sur la chaussée, deux cyclistes sont tombés cette semaine.",
    "adresse": "12 allée du Comminges", "code_postal": "31770", "commune": "31149",
    "danger": True, "souhaite_reponse": True, "canal_reponse": "courriel",
    "nom": "Camille Durand", "courriel": "camille@example.org",
}


def reclamations(s):
    s.add_user("citoyen1")
    s.add_user("agent1", roles=["reclamations:agent"])
    s.add_user("responsable1", roles=["reclamations:responsable"])
    s.add_user("responsable2", roles=["reclamations:responsable"])
    cit, ag = api_client(s, "citoyen1"), api_client(s, "agent1")
    re1, re2 = api_client(s, "responsable1"), api_client(s, "responsable2")
    base = "/apps/reclamations/reclamation/records"

    # GDPR art. 13: the form that collects personal data says what happens to it, before
    # its button, and links the app's notice, public
    anon = Client(s)
    page = anon.get("/a/reclamations/reclamation/new").text
    notice = page.find('class="privacy-notice"')
    check(0 < notice < page.find('<button type="submit"'), "notice before the submit button")
    check("1095 jours après la clôture du dossier" in page[notice:], "retention in the notice")
    check('href="/a/reclamations/donnees-personnelles"' in page[notice:], "link to the notice")
    r = anon.get("/a/reclamations/donnees-personnelles")
    check(r.status == 200, f"notice page for anyone: {r.status}")
    for piece in ("Traitement des réclamations", "mission d'intérêt public", "1095 jours",
                  "Direction de la Relation aux usagers", "Adresse électronique",
                  "dpd@collectivite.example", "cnil.fr/fr/plaintes", "strictement nécessaires"):
        check(piece in html.unescape(r.text), f"the notice says {piece!r}")

    r = cit.api("POST", base, {"fields": RECLAMATION})
    if not check(r.status == 201, f"citizen files: {r.status} {r.text[:400]}"):
        return
    rid = r.json()["id"]
    f = r.json()["fields"]
    check("priorite" not in f and "note_interne" not in f, "agents' fields hidden from the citizen")
    check(f.get("mode_reponse") == "courriel", "computed answer channel")

    r = cit.api("POST", base, {"fields": dict(RECLAMATION, code_postal="75011")})
    check(r.status == 422 and "code_postal" in fields_of(r), "outside the territory")
    r = cit.api("POST", base, {"fields": dict(RECLAMATION, canal_reponse="telephone")})
    check(r.status == 422 and "telephone" in fields_of(r), "phone required for a phone answer")
    r = cit.api("POST", base, {"fields": dict(RECLAMATION, demande_indemnisation=True, montant_dommage="250,00",
                                              iban="FR76 3000 6000 0112 3456 7890 189")})
    check(r.status == 422 and "date_constat" in fields_of(r), f"compensation needs a date: {r.text[:300]}")
    r = cit.api("POST", base, {"fields": dict(RECLAMATION, demande_indemnisation=True, montant_dommage="250,00",
                                              iban="FR76 3000 6000 0112 3456 7890 189",
                                              date_constat="2026-03-01")})
    check(r.status == 201, f"compensation claim: {r.status} {r.text[:300]}")
    if r.status == 201:
        check(r.json()["fields"].get("iban") == "FR7630006000011234567890189", "IBAN normalised")
        check(cit.api("GET", f"{base}/{r.json()['id']}").status == 200, "the citizen reads their claim")
        r2 = ag.api("GET", f"{base}/{r.json()['id']}")
        check(r2.json()["fields"].get("iban") == "FR7630006000011234567890189", "agents see the IBAN")
    r = cit.api("POST", base, {"fields": dict(RECLAMATION, categorie="bruit", demande_indemnisation=True,
                                              montant_dommage="250,00")})
    check(r.status == 201 and r.json()["fields"].get("montant_dommage") is None,
          f"no compensation block for noise: {r.status} {r.text[:300]}")
    # Anonymous filing.
    r = Client(s).api("POST", base, {"fields": dict(RECLAMATION, souhaite_reponse=False, nom=None,
                                                    courriel=None, canal_reponse=None)})
    check(r.status == 201, f"anonymous filing through the API: {r.status} {r.text[:300]}")

    r = ag.api("GET", f"{base}/{rid}")
    check(r.json()["fields"].get("priorite") == "urgente", "danger -> urgent")
    r = ag.api("PATCH", f"{base}/{rid}", {"fields": {"priorite": "normale"}})
    check(r.status == 200, f"agent sets the priority: {r.status} {r.text[:200]}")
    r = ag.api("POST", f"{base}/{rid}/transitions/qualifier", {"fields": {"service": "voirie"}})
    check(r.status in (403, 409, 422), f"guard: danger with a normal priority: {r.status} {r.text[:200]}")
    ag.api("PATCH", f"{base}/{rid}", {"fields": {"priorite": "urgente"}})
    r = ag.api("POST", f"{base}/{rid}/transitions/qualifier", {"fields": {"service": "voirie"}})
    check(r.status == 200 and r.json()["state"] == "qualifiee", f"qualify: {r.status} {r.text[:200]}")
    r = ag.api("POST", f"{base}/{rid}/transitions/affecter",
               {"fields": {"referent": "agent2", "echeance": "2026-03-20"}})
    check(r.status in (403, 409, 422), f"urgent deadline too far: {r.status} {r.text[:200]}")
    r = ag.api("POST", f"{base}/{rid}/transitions/affecter",
               {"fields": {"referent": "agent2", "echeance": "2026-03-05"}})
    check(r.status == 200 and r.json()["state"] == "en_traitement", f"assign: {r.status} {r.text[:200]}")
    r = cit.api("GET", f"{base}/{rid}")
    check(r.status == 200 and "referent" not in r.json()["fields"], "referent hidden from the citizen")
    r = ag.api("POST", f"{base}/{rid}/transitions/repondre",
               {"fields": {"reponse": "La chaussée a été reprise ce matin par l'équipe voirie. Merci."}})
    check(r.status == 200 and r.json()["state"] == "repondue", f"answer: {r.status} {r.text[:200]}")
    if r.status == 200:
        check(r.json()["fields"].get("repondu_le") == "2026-03-04", "answer date set by the action")
    r = ag.api("POST", f"{base}/{rid}/transitions/cloturer", {})
    check(r.status == 403, f"agents do not close: {r.status}")
    r = re1.api("POST", f"{base}/{rid}/transitions/cloturer", {})
    check(r.status == 200 and r.json()["state"] == "cloturee", f"close: {r.status} {r.text[:200]}")

    # A complaint typed in by a supervisor is closed by another one.
    r = re1.api("POST", base, {"fields": dict(RECLAMATION, danger=False)})
    oid = r.json()["id"]
    for t, body in (("qualifier", {"service": "voirie"}), ("affecter", {"referent": "x", "echeance": "2026-03-20"}),
                    ("repondre", {"reponse": "Intervention programmée la semaine prochaine."})):
        r = re1.api("POST", f"{base}/{oid}/transitions/{t}", {"fields": body})
        check(r.status == 200, f"{t}: {r.status} {r.text[:200]}")
    check(re1.api("POST", f"{base}/{oid}/transitions/cloturer", {}).status == 403, "no self-closing")
    check(re2.api("POST", f"{base}/{oid}/transitions/cloturer", {}).status == 200, "another supervisor closes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "smallapps"))
    args = ap.parse_args()
    s = Server(args.binary, apps=(), example_apps=True, env={"SMALLAPPS_NOW": NOW})
    try:
        s.start()
        for scenario in (vaccins, ponts, reclamations):
            try:
                scenario(s)
            except Exception:
                check(False, f"{scenario.__name__} crashed:\n{traceback.format_exc()}")
    finally:
        s.cleanup()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
