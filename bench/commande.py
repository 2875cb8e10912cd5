#!/usr/bin/env python3
"""bench/commande.py CSRF FORM_BODY JSON_BODY: a valid vaccins commande, as a urlencoded form
body (with CSRF as _csrf) and as the API's JSON ({"fields": ...}, and JSON_BODY.flat with the
bare fields object). apps/vaccins/app.lua wants every required field, a centre in the Loire
(42), Spikevax in whole vials of 10, no more doses than the declared storage, a delivery on
a working day three weeks ahead (it refuses weekends, public holidays and less than two
working days), urgent left unchecked so motif_urgence stays hidden."""
import datetime, json, sys, urllib.parse
csrf, form_path, json_path = sys.argv[1:4]

def easter(y):
    a, b, c = y % 19, y // 100, y % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l) // 433
    month = (h + l - 7 * m + 90) // 25
    return datetime.date(y, month, (h + l - 7 * m + 33 * month + 19) % 32)

def holiday(d):
    e = easter(d.year)
    movable = {e + datetime.timedelta(days=n) for n in (1, 39, 50)}
    return (d.month, d.day) in {(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)} \
        or d in movable

day = datetime.date.today() + datetime.timedelta(days=21)
while day.weekday() >= 5 or holiday(day):
    day += datetime.timedelta(days=1)

fields = {
    "centre": "Centre de vaccination de Saint-Étienne Centre-Deux",
    "type_centre": "centre",
    "adresse": "12 rue de la République",
    "code_postal": "42000",
    "commune": "42218",
    "contact_nom": "Camille Martin",
    "contact_email": "camille.martin@example.org",
    "contact_telephone": "04 77 12 34 56",
    "lignes": [{"vaccin": "spikevax", "doses": 120}],
    "publics": ["tout_public"],
    "capacite_stockage": 1000,
    "date_souhaitee": day.isoformat(),
    "creneau": "matin",
}
pairs = [("_csrf", csrf)]
for k, v in fields.items():
    if k == "lignes":  # a repeat: lignes[1].vaccin=…, as the form names its inputs
        for n, line in enumerate(v, 1):
            pairs += [(f"{k}[{n}].{sub}", str(x)) for sub, x in line.items()]
        continue
    for item in (v if isinstance(v, list) else [v]):
        pairs.append((k, str(item)))
with open(form_path, "w") as f:
    f.write(urllib.parse.urlencode(pairs))
with open(json_path, "w") as f:
    json.dump({"fields": fields}, f, ensure_ascii=False)
with open(json_path + ".flat", "w") as f:
    json.dump(fields, f, ensure_ascii=False)
