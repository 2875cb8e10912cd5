#!/usr/bin/env python3
"""tests/apps/apptest.py --binary BUILD/smallapps: `smallapps test` itself (SPEC 13).

Each case writes a small app and its tests/*.lua into a throw-away folder, runs the
real binary and checks what an author reads: a failing assertion's file:line with
expected and got, a Lua error's file:line, the counts, the exit status, a fresh
database per file, the coverage of transitions and states, and the scaffold of
`smallapps new`, which must pass as it is.
Prints one line per failure and "N passed, N failed" last; exits 1 on failure."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
passed = failed = 0
BIN = None

APP = """return {
  title = "Essai", version = "1.0.0",
  roles = { agent = "Agent" },
  forms = {
    { id = "demande", title = "Demande",
      fields = {
        { name = "objet", type = "text", label = "Objet", required = true },
        { name = "nombre", type = "integer", label = "Nombre", min = 1 },
      },
      validate = function(r)
        if r.objet == "interdit" then return { objet = "Objet interdit." } end
      end,
      access = { create = { "user" }, read = { user = "own", agent = "all" } },
      workflow = {
        initial = "recue",
        states = {
          { id = "recue", label = "Reçue" },
          { id = "acceptee", label = "Acceptée", final = true },
          { id = "refusee", label = "Refusée", final = true },
          { id = "classee", label = "Classée", final = true },
        },
        transitions = {
          { id = "accepter", label = "Accepter", from = "recue", to = "acceptee",
            roles = { "agent" },
            fields = { { name = "avis", type = "text", label = "Avis" } },
            notify = { to = "role:agent", subject = "Demande acceptée", body = "Bonne nouvelle." } },
          { id = "refuser", label = "Refuser", from = "recue", to = "refusee",
            roles = { "agent" }, comment = "required" },
          { id = "classer", label = "Classer", from = "recue", to = "classee",
            after_days = 30 },
        },
      },
    },
  },
}
"""


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def app(tmp, tests, app_lua=APP, name="essai"):
    d = os.path.join(tmp, "apps", name)
    os.makedirs(os.path.join(d, "tests"))
    with open(os.path.join(d, "app.lua"), "w") as f:
        f.write(app_lua)
    for fname, text in tests.items():
        with open(os.path.join(d, "tests", fname), "w") as f:
            f.write('local T = require("smallapps.test")\nT.clock("2026-11-23T10:00:00Z")\n' + text)
    return os.path.join("apps", name)


def run(tmp, *args, timeout=60):
    env = dict(os.environ, SMALLAPPS_STDLIB=os.path.join(ROOT, "stdlib-lua"), TMPDIR=tmp)
    p = subprocess.run([BIN, "test", *args], cwd=tmp, env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout + p.stderr


def case(fn):
    tmp = tempfile.mkdtemp(prefix="apptest-")
    try:
        fn(tmp)
    except Exception as e:  # a crash of the case is its failure, not the suite's
        check(fn.__name__, False, repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def a_failed_assertion_says_where_what_was_expected_and_what_came(tmp):
    d = app(tmp, {"a.lua": (
        'local alice = T.user("alice", {})\n'
        'local r = alice:create("demande", { objet = "Banc" })\n'      # line 4
        'T.ok(r)\n'
        'T.eq(r.fields.objet, "Chaise")\n'                              # line 6
        'T.ok(alice:create("demande", { nombre = 0 }))\n'               # line 7
        'T.invalid(alice:create("demande", { nombre = 0 }), "nombre", "au moins")\n'
        'T.state(r, "acceptee", "pas encore")\n')})                     # line 9
    rc, out = run(tmp, d)
    check("exit 1 on a failure", rc == 1, f"exit {rc}\n{out}")
    check("eq: file:line, expected, got",
          f'{d}/tests/a.lua:6: expected "Chaise", got "Banc"' in out, out)
    check("a result shows its status and field errors",
          re.search(rf"{d}/tests/a.lua:7: expected ok, got invalid \(nombre: .*; objet: .*\)", out)
          is not None, out)
    check("state with a message", f'{d}/tests/a.lua:9: pas encore : expected state "acceptee", '
          'got state "recue"' in out, out)
    check("the counts are of assertions", out.rstrip().endswith("2 passed, 3 failed"), out)


def a_lua_error_stops_its_file_not_the_others(tmp):
    d = app(tmp, {
        "1_erreur.lua": 'T.ok(T.user("alice", {}):create("demande", { objet = "x" }))\n'
                        'local t = nil\nlocal v = t.champ\n',                  # line 5
        "2_suite.lua": 'T.eq(1, 1)\n',
        "3_role.lua": 'T.user("bob", { "chef" })\n',
        "4_form.lua": 'T.user("zed", {}):create("nope", {})\n'})
    rc, out = run(tmp, d)
    check("a Lua error as file:line: message",
          f"{d}/tests/1_erreur.lua:5: attempt to index a nil value (local 't')" in out, out)
    check("the next file runs", f"ok   {d}/tests/2_suite.lua: 1 passed, 0 failed" in out, out)
    check("an unknown role is said, with the app's roles",
          f"{d}/tests/3_role.lua:3: T.user : rôle inconnu « chef » (rôles de l'app : agent)" in out,
          out)
    check("an unknown form is said at the test's line, with the app's forms",
          f"{d}/tests/4_form.lua:3: create : formulaire inconnu « nope » (formulaires : demande)"
          in out, out)
    check("errors count as failures", rc == 1 and out.rstrip().endswith("2 passed, 3 failed"), out)


def each_file_has_a_fresh_database(tmp):
    # (the app's hook runs in each file: a state kept from the first file's definition
    # once crashed the second)
    make = 'local a = T.user("agathe", { "agent" })\n' \
           'T.ok(T.user("alice", {}):create("demande", { objet = "x" }))\n' \
           'T.invalid(T.user("alice", {}):create("demande", { objet = "interdit" }), ' \
           '"objet", "interdit")\n' \
           'T.eq(#a:list("demande").records, 1)\n'
    d = app(tmp, {"a.lua": make, "b.lua": make, "c.lua": make})
    rc, out = run(tmp, d)
    check("fresh database per file", rc == 0 and "9 passed, 0 failed" in out, out)
    check("nothing left behind", not [n for n in os.listdir(tmp) if n.startswith("smallapps-test")],
          os.listdir(tmp))


def rules_clock_scheduler_and_mail_are_the_engine_s(tmp):
    d = app(tmp, {"a.lua": (
        'local alice, bob = T.user("alice", {}), T.user("bob", {})\n'
        'local agathe = T.user("agathe", { "agent" })\n'
        'local r = alice:create("demande", { objet = "Banc" })\n'
        'T.not_found(bob:read("demande", r.id))\n'
        'T.forbidden(T.anonymous():create("demande", { objet = "x" }))\n'
        'T.forbidden(alice:trigger("demande", r.id, "accepter"))\n'
        'T.invalid(agathe:trigger("demande", r.id, "refuser"), "_comment", "obligatoire")\n'
        'T.ok(agathe:trigger("demande", r.id, "accepter", { fields = { avis = "oui" } }))\n'
        'T.conflict(agathe:trigger("demande", r.id, "refuser", { comment = "non" }))\n'
        'T.eq(#T.mails(), 1)\n'
        'T.eq(T.mails()[1].subject, "Demande acceptée")\n'
        'local s = alice:create("demande", { objet = "Vieux" })\n'
        'T.advance(29); T.tick(); T.state(alice:read("demande", s.id), "recue")\n'
        'T.advance(2); T.tick(); T.state(alice:read("demande", s.id), "classee")\n'
        'T.eq(agathe:list("demande", { state = "classee" }).total, 1)\n')})
    rc, out = run(tmp, "--coverage", d)
    check("access, workflow, clock, scheduler, mail", rc == 0 and "11 passed, 0 failed" in out, out)
    check("coverage: transitions 2/3, states 3/4",
          "coverage essai: transitions 2/3, states 3/4" in out, out)
    check("coverage names what no test reached",
          "transition demande.refuser never triggered" in out and
          "state demande.refusee never reached" in out, out)


def a_looping_test_is_stopped_by_the_budget(tmp):
    d = app(tmp, {"a.lua": "while true do end\n"})
    rc, out = run(tmp, d, timeout=60)
    check("a loop ends in an error", rc == 1 and "a.lua:3:" in out and "1 failed" in out, out)


def new_scaffolds_a_test_that_passes(tmp):
    env = dict(os.environ, SMALLAPPS_STDLIB=os.path.join(ROOT, "stdlib-lua"), TMPDIR=tmp)
    p = subprocess.run([BIN, "new", "essai"], cwd=tmp, env=env, capture_output=True, text=True)
    check("new writes tests/exemple.lua",
          p.returncode == 0 and os.path.exists(os.path.join(tmp, "apps/essai/tests/exemple.lua")),
          p.stdout + p.stderr)
    rc, out = run(tmp)
    check("the scaffold's test passes (every app by default)",
          rc == 0 and re.search(r"\n(\d+) passed, 0 failed$", out.rstrip()) is not None, out)


def a_folder_that_is_not_an_app_is_a_usage_error(tmp):
    os.makedirs(os.path.join(tmp, "rien"))
    rc, out = run(tmp, "rien")
    check("not an app: exit 2", rc == 2 and "rien n'est pas le dossier d'une app" in out, out)


def bad_arguments_to_the_test_api_are_said(tmp):
    # each wrong call raises an error that names it; pcall lets one file try them all
    calls = [
        ('T.user("alice", {}):read("demande", "x")', "id attendu"),
        ('(function() local a = T.user("bob", {}); '
         'a.login = "fantome"; return a:read("demande", 1) end)()', "n'existe pas"),
        ('T.clock("demain")', "date et heure attendues"),
        ('T.advance(-1)', "un nombre de jours"),
        ('T.user("alice", {}):list("demande", { couleur = "bleu" })', "critère inconnu"),
        ('T.user("", {})', "identifiant attendu"),
        ('T.user("alice", {}):create("demande", { objet = function() end })',
         "arguments invalides"),
    ]
    text = "".join(f"do local ok, e = pcall(function() {c} end)\n"
                   f"  T.truthy(not ok and tostring(e):find({w!r}, 1, true), {c!r}) end\n"
                   for c, w in calls)
    d = app(tmp, {"a.lua": text})
    rc, out = run(tmp, d)
    check("bad arguments are errors that say what is wrong",
          rc == 0 and f"{len(calls)} passed, 0 failed" in out, out)


def main():
    global BIN
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    BIN = os.path.abspath(ap.parse_args().binary)
    for fn in (a_failed_assertion_says_where_what_was_expected_and_what_came,
               a_lua_error_stops_its_file_not_the_others, each_file_has_a_fresh_database,
               rules_clock_scheduler_and_mail_are_the_engine_s,
               a_looping_test_is_stopped_by_the_budget, new_scaffolds_a_test_that_passes,
               bad_arguments_to_the_test_api_are_said,
               a_folder_that_is_not_an_app_is_a_usage_error):
        case(fn)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
