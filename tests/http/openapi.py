#!/usr/bin/env python3
"""OpenAPI tests (GET /api/v1/openapi.json) against the real server: the document is
structurally valid OpenAPI 3.1 (every $ref resolves, path parameters declared,
operationIds unique, errors reference Error), it documents every form and transition
of the fixtures, its list parameters are exactly what the list accepts, private fields
are flagged for their roles and absent for others, real request and answer bodies
validate against its schemas (a small validator for the JSON Schema subset the engine
emits; no external modules), and it shows each caller the apps GET /api/v1/apps shows.
Fixtures: tests/apps/essai, tests/apps/flux, tests/apps/brouillons (drafts), and a "prive"
app written here.
Prints one line per test and ends with "N passed, N failed"."""
import argparse
import os
import re
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, ROOT, Client, Server  # noqa: E402

SUITE = Suite()
NOW = "2026-03-02T09:00:00Z"
DOC = "/api/v1/openapi.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# An app no anonymous caller may see: no public form.
PRIVE_APP = """return {
  title = "Privé", description = "Réservé aux agents", owner = "Tests", version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    { id = "fiche", title = "Fiche",
      fields = { { name = "nom", type = "text", label = "Nom", required = true } },
      access = { create = { "agent" }, read = { agent = "all" } } },
  },
}
"""

DEMANDE = {"objet": "Chaises", "quantite": 3, "taux": 1.25, "montant": "120.50", "urgent": True,
           "motif": "Réunion demain", "le": "2026-03-10", "courriel": "a@example.org",
           "cp": "34200", "categorie": "b", "precision": "pliantes", "tags": ["x", "y"]}


test = SUITE.test


# ---------------------------------------------------------------- helpers

def get_doc(c, headers=None):
    r = c.get(DOC, headers=headers)
    assert r.status == 200, (r.status, r.text[:300])
    assert r.header("Content-Type").startswith("application/json"), r.header("Content-Type")
    return r.json()


def resolve(doc, ref):
    assert ref.startswith("#/"), f"external $ref {ref}"
    node = doc
    for tok in ref[2:].split("/"):
        tok = tok.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and tok in node, f"$ref {ref} does not resolve"
        node = node[tok]
    return node


def deref(doc, node):
    seen = 0
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
        seen += 1
        assert seen < 20, "$ref loop"
    return node


def walk(node, path="#"):
    """Yields (json pointer, dict) for every object in the tree."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}/{i}")


def operations(doc):
    for p, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                yield p, m, item[m]


def op_params(doc, path, method):
    item = doc["paths"][path]
    out = {}
    for p in item.get("parameters", []) + item[method].get("parameters", []):
        p = deref(doc, p)
        out[(p["name"], p["in"])] = p
    return out


def body_schema(doc, op):
    rb = deref(doc, op["requestBody"])
    return rb["content"]["application/json"]["schema"]


def response_schema(doc, op, status):
    r = deref(doc, op["responses"][str(status)])
    return r["content"]["application/json"]["schema"]


# The JSON Schema keywords the engine emits; the validator below knows every one.
KEYWORDS = {"type", "title", "description", "enum", "properties", "required",
            "additionalProperties", "items", "minimum", "maximum", "minLength", "maxLength",
            "pattern", "format", "minItems", "maxItems", "uniqueItems", "readOnly", "anyOf",
            "$ref", "default", "x-smallapps-private-roles"}
TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
         "array": list, "object": dict, "null": type(None)}


def is_type(v, t):
    if t in ("integer", "number") and isinstance(v, bool):
        return False
    if t == "integer" and isinstance(v, float):
        return v.is_integer()
    return isinstance(v, TYPES[t])


def validate(doc, schema, v, where="$"):
    """Errors of v against schema (the subset in KEYWORDS), as a list of strings."""
    errs = []
    if "$ref" in schema:
        return validate(doc, resolve(doc, schema["$ref"]), v, where)
    if "anyOf" in schema:
        alts = [validate(doc, s, v, where) for s in schema["anyOf"]]
        if all(alts):
            errs.append(f"{where}: matches no anyOf branch: {alts}")
    t = schema.get("type")
    if t is not None:
        ts = t if isinstance(t, list) else [t]
        if not any(is_type(v, x) for x in ts):
            return errs + [f"{where}: {v!r} is not of type {ts}"]
    if "enum" in schema and v not in schema["enum"]:
        errs.append(f"{where}: {v!r} not in {schema['enum']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in schema and v < schema["minimum"]:
            errs.append(f"{where}: {v} < {schema['minimum']}")
        if "maximum" in schema and v > schema["maximum"]:
            errs.append(f"{where}: {v} > {schema['maximum']}")
    if isinstance(v, str):
        if "minLength" in schema and len(v) < schema["minLength"]:
            errs.append(f"{where}: shorter than {schema['minLength']}")
        if "maxLength" in schema and len(v) > schema["maxLength"]:
            errs.append(f"{where}: longer than {schema['maxLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], v):
            errs.append(f"{where}: {v!r} does not match {schema['pattern']}")
    if isinstance(v, list):
        if "minItems" in schema and len(v) < schema["minItems"]:
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(v) > schema["maxItems"]:
            errs.append(f"{where}: more than {schema['maxItems']} items")
        if schema.get("uniqueItems") and len({repr(x) for x in v}) != len(v):
            errs.append(f"{where}: items not unique")
        if "items" in schema:
            for i, x in enumerate(v):
                errs += validate(doc, schema["items"], x, f"{where}[{i}]")
    if isinstance(v, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in v:
                errs.append(f"{where}: required {k} missing")
        for k, x in v.items():
            if k in props:
                errs += validate(doc, props[k], x, f"{where}.{k}")
            elif schema.get("additionalProperties") is False:
                errs.append(f"{where}: unexpected {k}")
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(doc, schema["additionalProperties"], x, f"{where}.{k}")
    return errs


def assert_valid(doc, schema, v, what):
    errs = validate(doc, schema, v)
    assert not errs, f"{what}: {errs}\n{v}"


def app_ids_in(doc):
    return {t["name"] for t in doc.get("tags", [])}


def describe(s, app):
    r = Client(s, token=s.tokens["root"]).api("GET", f"/apps/{app}")
    assert r.status == 200, r.text
    return r.json()


# ---------------------------------------------------------------- structure

@test
def document_is_structurally_valid_openapi_3_1(s):
    doc = get_doc(Client(s, token=s.tokens["root"]))
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "smallapps" and isinstance(doc["info"]["version"], str)
    assert doc["servers"] == [{"url": f"http://127.0.0.1:{s.port}"}], doc["servers"]
    assert set(doc) <= {"openapi", "info", "servers", "paths", "components", "security", "tags",
                        "jsonSchemaDialect", "webhooks", "externalDocs"}, set(doc)
    comp = doc["components"]
    for kind, names in comp.items():
        for n in names:
            assert re.fullmatch(r"[a-zA-Z0-9._-]+", n), f"component name {kind}/{n}"
    # Every $ref resolves inside the document.
    refs = 0
    for where, node in walk(doc):
        if "$ref" in node and isinstance(node["$ref"], str):
            resolve(doc, node["$ref"])
            refs += 1
    assert refs > 50, refs
    # Every schema uses only the keywords the validator checks (so the checks below mean something).
    for name, sch in comp["schemas"].items():
        stack = [sch]
        while stack:
            n = stack.pop()
            assert set(n) <= KEYWORDS, f"{name}: unknown keywords {set(n) - KEYWORDS}"
            for k in ("items", "additionalProperties"):
                if isinstance(n.get(k), dict):
                    stack.append(n[k])
            stack += list(n.get("properties", {}).values()) + n.get("anyOf", [])
    ids = []
    for path, m, op in operations(doc):
        assert path.startswith("/api/v1/"), path
        ids.append(op["operationId"])
        assert re.fullmatch(r"[A-Za-z0-9_]+", op["operationId"]), op["operationId"]
        assert op.get("summary"), (path, m)
        # Path parameters: each {x} declared once, in: path, required; nothing declared extra.
        params = op_params(doc, path, m)
        templ = set(re.findall(r"\{([^}]+)\}", path))
        declared = {n for (n, i) in params if i == "path"}
        assert templ == declared, (path, m, templ, declared)
        for (n, i), p in params.items():
            assert i in ("query", "header", "path", "cookie"), p
            assert "schema" in p, p
            if i == "path":
                assert p.get("required") is True, p
        for lst in (doc["paths"][path].get("parameters", []), op.get("parameters", [])):
            keys = [(deref(doc, q)["name"], deref(doc, q)["in"]) for q in lst]
            assert len(keys) == len(set(keys)), (path, m, keys)   # unique by name and location
        # Responses: a success, and every error answer is the Error shape.
        codes = set(op["responses"])
        assert all(re.fullmatch(r"[1-5][0-9][0-9]", c) for c in codes), codes
        assert any(c.startswith("2") for c in codes), (path, m, codes)
        for c in codes:
            r = deref(doc, op["responses"][c])
            assert r.get("description"), (path, m, c)
            if c[0] in "45":
                assert r["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (path, m, c)
        if "requestBody" in op:
            assert "application/json" in deref(doc, op["requestBody"])["content"]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    sec = comp["securitySchemes"]
    assert sec["bearerAuth"] == {**sec["bearerAuth"], "type": "http", "scheme": "bearer"}
    ck = sec["cookieAuth"]
    assert (ck["type"], ck["in"], ck["name"]) == ("apiKey", "cookie", "sa_session")
    assert "X-CSRF-Token" in ck["description"]
    for req in doc["security"]:
        assert set(req) <= set(sec)
    err = comp["schemas"]["Error"]
    assert err["required"] == ["error"]
    e = err["properties"]["error"]
    assert set(e["required"]) == {"code", "message"}
    assert {"bad_request", "unauthenticated", "forbidden", "not_found", "conflict", "too_large",
            "unsupported_media_type", "validation_failed", "internal"} <= set(e["properties"]["code"]["enum"])


@test
def every_form_and_transition_of_the_fixtures_is_documented(s):
    doc = get_doc(Client(s, token=s.tokens["root"]))
    schemas = doc["components"]["schemas"]
    for app in ("essai", "flux", "prive"):
        d = describe(s, app)
        assert f"/api/v1/apps/{app}" in doc["paths"]
        for form in d["forms"]:
            f = form["id"]
            base = f"/api/v1/apps/{app}/{f}/records"
            one = base + "/{id}"
            p = doc["paths"]
            assert {"get", "post"} <= set(p[base]), (base, p[base].keys())
            assert {"get", "patch", "delete"} <= set(p[one])
            assert "get" in p[one + "/history"]
            pre = f"{app}.{f}"
            for suffix in ("Record", "Fields", "FieldsPatch"):
                assert f"{pre}.{suffix}" in schemas, f"{pre}.{suffix}"
            assert "201" in p[base]["post"]["responses"]
            assert "204" in p[one]["delete"]["responses"]
            patch = p[one]["patch"]
            assert "409" in patch["responses"] and "422" in patch["responses"]
            assert ("If-Match", "header") in op_params(doc, one, "patch")
            rec = schemas[f"{pre}.Record"]
            assert set(rec["required"]) == {"id", "state", "version", "created_at", "created_by",
                                            "updated_at", "updated_by", "overdue", "purged_at",
                                            "fields"}
            # Every readable field of the description is a property of the record.
            names = {fd["name"] for fd in form["fields"]}
            assert names <= set(rec["properties"]["fields"]["properties"]), (pre, names)
            wf = form.get("workflow")
            if not wf:
                assert rec["properties"]["state"] == {"type": "null"}
                assert not [k for k in p if k.startswith(one + "/transitions/")]
                continue
            assert rec["properties"]["state"]["enum"] == [st["id"] for st in wf["states"]]
            params = op_params(doc, base, "get")
            assert params[("state", "query")]["schema"]["enum"] == [st["id"] for st in wf["states"]]
            for t in wf["transitions"]:
                tp = f"{one}/transitions/{t['id']}"
                op = p[tp]["post"]
                assert {"200", "403", "404", "409", "422"} <= set(op["responses"]), op["responses"]
                assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
                    "$ref": f"#/components/schemas/{pre}.Record"}
                ts = schemas[f"{pre}.Transition.{t['id']}"]
                assert body_schema(doc, op) == {"$ref": f"#/components/schemas/{pre}.Transition.{t['id']}"}
                tf = ts["properties"]["fields"]
                assert set(tf["properties"]) == {x["name"] for x in t["fields"]}, (t["id"], tf)
                assert set(tf.get("required", [])) == {x["name"] for x in t["fields"] if x["required"]}
                if t["comment"] == "required":
                    assert "comment" in ts["required"] and ts["properties"]["comment"]["minLength"] == 1
                elif t["comment"] == "optional":
                    assert "comment" in ts["properties"] and "comment" not in ts.get("required", [])
                else:
                    assert "comment" not in ts["properties"]
    # The ones this file relies on, by name.
    for opid in ("flux_dossier_transition_accorder", "essai_demande_create", "essai_demande_list",
                 "essai_demande_update", "essai_demande_delete", "essai_demande_history",
                 "essai_signalement_get", "prive_fiche_create"):
        assert opid in {op["operationId"] for _, _, op in operations(doc)}, opid


@test
def list_parameters_are_exactly_what_the_list_accepts(s):
    root = Client(s, token=s.tokens["root"])
    dora = Client(s, token=s.tokens["dora"])
    for _ in range(2):
        assert dora.api("POST", "/apps/essai/demande/records", {"fields": DEMANDE}).status == 201
    doc = get_doc(root)
    path = "/api/v1/apps/essai/demande/records"
    params = op_params(doc, path, "get")
    assert all(i == "query" for (_, i) in params), params
    names = {n for (n, _) in params}
    assert {"limit", "after", "sort", "q", "state", "overdue"} <= names, names
    lim = params[("limit", "query")]["schema"]
    assert (lim["type"], lim["minimum"], lim["maximum"]) == ("integer", 1, 500)
    # The signalement form has no workflow: no state parameter (the list would answer 400).
    assert ("state", "query") not in op_params(doc, "/api/v1/apps/essai/signalement/records", "get")
    first = root.get(path + "?limit=1").json()
    assert first["next"]
    samples = {"limit": ["1", "500"], "after": [first["next"]], "q": ["chaise"],
               "overdue": ["true", "false"], "lang": ["fr", "en"]}
    for (n, _), p in sorted(params.items()):
        sch = p["schema"]
        vals = samples.get(n) or (
            [str(v) for v in sch["enum"]] if "enum" in sch else
            ["true", "false"] if sch["type"] == "boolean" else
            ["2"] if sch["type"] in ("integer", "number") else ["x"])
        for v in vals:
            r = root.get(f"{path}?{n}={v}")
            assert r.status == 200, (n, v, r.status, r.text)
    # What is not documented is refused.
    for q in ("limit=0", "limit=501", "sort=inconnu", "state=inconnu", "overdue=peut-etre",
              "inconnu=1"):
        r = root.get(f"{path}?{q}")
        assert r.status == 400, (q, r.status)
        assert_valid(doc, doc["components"]["schemas"]["Error"], r.json(), q)
        n, v = q.split("=")
        sch = params[(n, "query")]["schema"] if (n, "query") in params else None
        assert sch is None or validate(doc, sch, int(v) if sch["type"] == "integer" else v), q


@test
def private_field_is_flagged_for_its_roles_and_absent_for_others(s):
    agathe = Client(s, token=s.tokens["agathe"])
    for lang, text in (("fr", "Visible uniquement par les rôles : agent"),
                       ("en", "Visible only to roles: agent")):
        doc = get_doc(agathe, headers={"Accept-Language": lang})
        for app, form, roles in (("essai", "demande", ["agent"]), ("flux", "dossier", ["agent", "chef"])):
            for kind in ("Record", "Fields", "FieldsPatch"):
                sch = doc["components"]["schemas"][f"{app}.{form}.{kind}"]
                props = sch["properties"]["fields"]["properties"] if kind == "Record" else sch["properties"]
                ni = props["note_interne"]
                assert ni["x-smallapps-private-roles"] == roles, ni
                assert text in ni["description"], ni["description"]
        # Public fields carry no such mark.
        assert "x-smallapps-private-roles" not in doc["components"]["schemas"][
            "essai.demande.Record"]["properties"]["fields"]["properties"]["objet"]
    # Callers who may not read it do not see its name anywhere (as GET /api/v1/apps/<app>).
    for c in (Client(s), Client(s, token=s.tokens["dora"])):
        assert "note_interne" not in c.get(DOC).text, "a private field's name leaked"
        for app in ("essai", "flux"):
            assert "note_interne" not in c.api("GET", f"/apps/{app}").text


@test
def real_bodies_validate_against_the_schemas_both_ways(s):
    dora = Client(s, token=s.tokens["dora"])
    agathe = Client(s, token=s.tokens["agathe"])
    doc = get_doc(dora)
    path = "/api/v1/apps/essai/demande/records"
    create = doc["paths"][path]["post"]
    body = {"fields": DEMANDE}
    assert_valid(doc, body_schema(doc, create), body, "create body")
    assert_valid(doc, body_schema(doc, create), DEMANDE, "bare create body")
    fields = doc["components"]["schemas"]["essai.demande.Fields"]
    assert {"objet", "quantite"} <= set(fields["required"]), fields["required"]
    assert "motif" not in fields["required"]            # visible_if: not always asked
    assert "categorie" not in fields["required"]        # has a default
    for f in ("total", "reference"):                    # computed, readonly: not writable
        assert f not in fields["properties"]
    types = {k: v["type"] for k, v in fields["properties"].items()}
    assert types["quantite"] == ["integer"] and types["urgent"] == ["boolean", "null"]
    assert types["montant"] == ["string", "number", "null"] and types["tags"] == ["array", "null"]
    r = dora.api("POST", path[len("/api/v1"):], body)
    assert r.status == 201, r.text
    assert r.header("Location") and r.header("ETag")
    rec = r.json()
    rec_schema = response_schema(doc, create, 201)
    assert_valid(doc, rec_schema, rec, "create answer")
    rid = rec["id"]
    # Each bad body is refused by the schema and answered 422 on the same field.
    for bad, field in (({"quantite": 2}, "objet"),
                       ({**DEMANDE, "quantite": "beaucoup"}, "quantite"),
                       ({**DEMANDE, "quantite": 0}, "quantite"),
                       ({**DEMANDE, "categorie": "z"}, "categorie"),
                       ({**DEMANDE, "total": 9}, "total"),
                       ({**DEMANDE, "inconnu": 1}, "inconnu")):
        errs = validate(doc, fields, bad)
        assert any(field in e for e in errs), (bad, errs)
        r = dora.api("POST", path[len("/api/v1"):], {"fields": bad})
        assert r.status == 422 and field in r.json()["error"]["fields"], (bad, r.status, r.text)
        assert_valid(doc, response_schema(doc, create, 422), r.json(), "422 answer")
    # Read, list, patch, history: every answer matches its documented schema.
    one = path + "/{id}"
    r = dora.get(f"{path}/{rid}")
    assert_valid(doc, response_schema(doc, doc["paths"][one]["get"], 200), r.json(), "get")
    r = dora.get(path)
    assert_valid(doc, response_schema(doc, doc["paths"][path]["get"], 200), r.json(), "list")
    upd = {"fields": {"objet": "Tables"}}
    assert_valid(doc, body_schema(doc, doc["paths"][one]["patch"]), upd, "patch body")
    assert validate(doc, doc["components"]["schemas"]["essai.demande.Fields"], upd["fields"])
    r = dora.api("PATCH", f"{path[len('/api/v1'):]}/{rid}", upd, headers={"If-Match": '"1"'})
    assert r.status == 200, r.text
    assert_valid(doc, response_schema(doc, doc["paths"][one]["patch"], 200), r.json(), "patch")
    r = dora.api("PATCH", f"{path[len('/api/v1'):]}/{rid}", upd, headers={"If-Match": '"1"'})
    assert r.status == 409
    assert_valid(doc, response_schema(doc, doc["paths"][one]["patch"], 409), r.json(), "409")
    r = dora.get(f"{path}/{rid}/history")
    assert r.status == 200
    assert_valid(doc, response_schema(doc, doc["paths"][one + "/history"]["get"], 200), r.json(), "history")
    # A transition body and its answer, as the agent sees them (private field included).
    adoc = get_doc(agathe)
    tp = one + "/transitions/traiter"
    assert_valid(adoc, body_schema(adoc, adoc["paths"][tp]["post"]), {}, "traiter body")
    r = agathe.api("POST", f"/apps/essai/demande/records/{rid}/transitions/traiter", {})
    assert r.status == 200, r.text
    assert "note_interne" in r.json()["fields"]
    assert_valid(adoc, response_schema(adoc, adoc["paths"][tp]["post"], 200), r.json(), "transition")
    assert validate(doc, response_schema(doc, doc["paths"][tp]["post"], 200), r.json()), \
        "the demandeur's Record schema must not admit the agent-only field"
    # An anonymous submission (created_by null) matches too.
    anon = Client(s)
    sp = "/api/v1/apps/essai/signalement/records"
    sdoc = get_doc(anon)
    sb = {"fields": {"lieu": "Quai", "description": "Lampadaire"}}
    assert_valid(sdoc, body_schema(sdoc, sdoc["paths"][sp]["post"]), sb, "signalement body")
    r = anon.api("POST", "/apps/essai/signalement/records", sb)
    assert r.status == 201, r.text
    assert r.json()["created_by"] is None and r.json()["state"] is None
    assert_valid(sdoc, response_schema(sdoc, sdoc["paths"][sp]["post"], 201), r.json(), "anon create")
    # ...and says where to follow it: the caller cannot read the record back.
    m = re.fullmatch(r"http://127\.0\.0\.1:\d+(/suivi/[0-9a-f]{40})", r.json()["tracking_url"])
    assert m and r.header("Location") == m.group(1), (r.json(), r.header("Location"))
    assert anon.get(m.group(1)).status == 200


@test
def transition_bodies_follow_fields_and_comment_rules(s):
    alice = Client(s, token=s.tokens["dora"])
    agathe = Client(s, token=s.tokens["agathe"])
    charles = Client(s, token=s.tokens["charles"])
    doc = get_doc(agathe)
    sch = doc["components"]["schemas"]
    base = "/apps/flux/dossier/records"
    r = alice.api("POST", base, {"fields": {"objet": "Fête", "montant": 500}})
    assert r.status == 201, r.text
    rid = r.json()["id"]
    # refuser: comment required
    ref = sch["flux.dossier.Transition.refuser"]
    assert any("comment" in e for e in validate(doc, ref, {}))
    r = agathe.api("POST", f"{base}/{rid}/transitions/refuser", {})
    assert r.status == 422 and "_comment" in r.json()["error"]["fields"]
    # instruire: no comment
    ins = sch["flux.dossier.Transition.instruire"]
    assert validate(doc, ins, {"comment": "non"})
    assert agathe.api("POST", f"{base}/{rid}/transitions/instruire", {"comment": "non"}).status == 422
    assert not validate(doc, ins, {})
    assert agathe.api("POST", f"{base}/{rid}/transitions/instruire", {}).status == 200
    # accorder: required transition fields, typed; optional comment
    acc = sch["flux.dossier.Transition.accorder"]
    bad = {"fields": {"accorde": "beaucoup"}}
    errs = validate(doc, acc, bad)
    assert any("accorde_le" in e for e in errs) and any("'beaucoup'" in e for e in errs), errs
    r = charles.api("POST", f"{base}/{rid}/transitions/accorder", bad)
    assert r.status == 422 and {"accorde", "accorde_le"} <= set(r.json()["error"]["fields"])
    good = {"fields": {"accorde": 400, "accorde_le": "2026-03-02"}, "comment": "Vu"}
    assert_valid(doc, acc, good, "accorder body")
    cdoc = get_doc(charles)
    r = charles.api("POST", f"{base}/{rid}/transitions/accorder", good)
    assert r.status == 200, r.text
    op = cdoc["paths"]["/api/v1/apps/flux/dossier/records/{id}/transitions/accorder"]["post"]
    assert_valid(cdoc, response_schema(cdoc, op, 200), r.json(), "accorder answer")
    r = charles.api("POST", f"{base}/{rid}/transitions/accorder", good)
    assert r.status == 409
    assert_valid(cdoc, response_schema(cdoc, op, 409), r.json(), "409")


# ---------------------------------------------------------------- methods and callers

@test
def other_methods_are_405(s):
    for c in (Client(s), Client(s, token=s.tokens["root"])):
        for m in ("POST", "PUT", "PATCH", "DELETE"):
            r = c.api(m, "/openapi.json", {})
            assert r.status == 405, (m, r.status, r.text)
            assert r.json()["error"]["code"] == "method_not_allowed"


@test
def each_caller_sees_the_apps_get_apps_shows_them(s):
    callers = {"anonyme": Client(s), "dora": Client(s, token=s.tokens["dora"]),
               "paul": Client(s, token=s.tokens["paul"]), "root": Client(s, token=s.tokens["root"]),
               "session": Client(s).login("paul")}
    # (brouillons has a public form: everyone sees it)
    expect = {"anonyme": {"essai", "flux", "brouillons"}, "dora": {"essai", "flux", "brouillons"},
              "paul": {"essai", "flux", "prive", "brouillons"},
              "root": {"essai", "flux", "prive", "brouillons"},
              "session": {"essai", "flux", "prive", "brouillons"}}
    for who, c in callers.items():
        apps = {a["id"] for a in c.api("GET", "/apps").json()["apps"]}
        doc = get_doc(c)
        assert apps == expect[who], (who, apps)
        assert app_ids_in(doc) == apps, (who, app_ids_in(doc))
        in_paths = {p.split("/")[4] for p in doc["paths"] if p.startswith("/api/v1/apps/")}
        assert in_paths == apps, (who, in_paths)
        in_schemas = {n.split(".")[0] for n in doc["components"]["schemas"] if "." in n}
        assert in_schemas == apps, (who, in_schemas)
    # A wrong token is refused as on every API route.
    r = Client(s, token="0" * 64).get(DOC)
    assert r.status == 401 and r.json()["error"]["code"] == "unauthenticated"
    # The language follows the request.
    fr = get_doc(Client(s))["paths"]["/api/v1/apps/essai/signalement/records"]["get"]["summary"]
    en = get_doc(Client(s), headers={"Accept-Language": "en"})[
        "paths"]["/api/v1/apps/essai/signalement/records"]["get"]["summary"]
    assert fr.startswith("Lister") and en.startswith("List:"), (fr, en)


@test
def drafts_are_documented_and_their_answers_validate(s):
    c = Client(s, token=s.tokens["dora"])
    doc = get_doc(c)
    base = "/api/v1/apps/brouillons/demande/drafts"
    for path, methods in ((base, {"get", "post"}), (base + "/{key}", {"get", "put", "delete"}),
                          (base + "/{key}/submit", {"post"})):
        assert methods <= set(doc["paths"].get(path, {})), (path, doc["paths"].get(path))
    for path in (base + "/{key}", base + "/{key}/submit"):   # the path parameter is declared
        assert ("key", "path") in op_params(doc, path, "post" if "submit" in path else "get")
    assert "/api/v1/apps/brouillons/simple/drafts" not in doc["paths"]   # no drafts there
    r = c.api("POST", "/apps/brouillons/demande/drafts", {"fields": {"nom": "Ana",
                                                                     "montant": "beaucoup"}})
    assert r.status == 201, r.text
    assert_valid(doc, response_schema(doc, doc["paths"][base]["post"], 201), r.json(), "draft")
    assert_valid(doc, body_schema(doc, doc["paths"][base]["post"]),
                 {"fields": {"nom": "Ana"}, "step": 0}, "draft body")
    key = r.json()["id"]
    r = c.api("GET", base[len("/api/v1"):])
    assert_valid(doc, response_schema(doc, doc["paths"][base]["get"], 200), r.json(), "drafts")
    r = c.api("PUT", f"/apps/brouillons/demande/drafts/{key}", {"fields": {"nom": "Ana",
                                                                           "montant": 3}})
    assert r.status == 200, r.text
    r = c.api("POST", f"/apps/brouillons/demande/drafts/{key}/submit")
    assert r.status == 201, r.text
    assert_valid(doc, response_schema(doc, doc["paths"][base + "/{key}/submit"]["post"], 201),
                 r.json(), "record from a draft")


def make_server(binary):
    s = Server(binary, apps=("essai", "flux", "brouillons"), env={"SMALLAPPS_NOW": NOW})
    os.makedirs(os.path.join(s.apps, "prive"))
    with open(os.path.join(s.apps, "prive", "app.lua"), "w") as f:
        f.write(PRIVE_APP)
    s.add_user("root", admin=True)
    s.add_user("dora", roles=["essai:demandeur", "flux:demandeur"])
    s.add_user("agathe", roles=["essai:agent", "flux:agent"])
    s.add_user("charles", roles=["flux:chef"])
    s.add_user("paul", roles=["prive:agent"])
    s.tokens = {u: s.token(u) for u in ("root", "dora", "agathe", "charles", "paul")}
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
