#!/usr/bin/env python3
"""Sign-in through the collectivité's directory (SPEC 12, data/annuaire.lua) against a
real OpenLDAP: Debian's slapd, started by tests/ldap.sh on a loopback port with a
throw-away database (people alice, agathe, bruno; groups voirie and elus). Checks the
bind (right, wrong, empty password), the account made with the directory's name and
e-mail, grants from groups and their removal at the next sign-in, an LDAP filter
injection, local accounts left alone, throttling, a broken file stopping the start, and
the directory out of reach (503, the local admin still signs in).
Prints one line per test and ends with "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ADMIN_PASSWORD, ROOT, Client, Server, Suite  # noqa: E402

SUITE = Suite()
test = SUITE.test
LDAP_DIR = tempfile.mkdtemp(prefix="smallapps-ldap-")
LDAP_URL = None
PEOPLE = "ou=people,dc=ville,dc=fr"

ANNUAIRE = """return {
  url = "%s",
  base = "ou=people,dc=ville,dc=fr", user_filter = "(uid=%%s)",
  name_attr = "cn", email_attr = "mail",
  group_base = "ou=groups,dc=ville,dc=fr",
  group_filter = "(&(objectClass=groupOfNames)(member=%%s))",
  groups = {
    ["cn=voirie,ou=groups,dc=ville,dc=fr"] = { "voirie:agent" },
    ["cn=elus,ou=groups,dc=ville,dc=fr"] = { "voirie:elu" },
  },
}
"""


def sign_in(s, login, password, source="127.0.0.1"):
    c = Client(s, source=source)
    c.get("/login")
    r = c.post_form("/login", {"login": login, "password": password, "next": "/"})
    return r, c


def roles(s, login):
    rows = s.sql("system", "SELECT g.app || ':' || g.role FROM grants g JOIN users u "
                 "ON u.id = g.user_id WHERE u.login = ? ORDER BY 1", (login,))
    return [next(iter(r.values())) for r in rows]


def ldap_modify(ldif):
    subprocess.run(["ldapmodify", "-x", "-H", LDAP_URL, "-D", "cn=admin,dc=ville,dc=fr",
                    "-w", "admin-secret"], input=ldif, text=True, check=True,
                   capture_output=True)


@test
def a_directory_person_signs_in_with_their_name_email_and_group_grants(s):
    r, c = sign_in(s, "alice", "alice-secret")
    assert r.status == 303 and "sa_session" in c.cookies, (r.status, r.text[:300])
    row = s.sql("system", "SELECT name, email, password_hash FROM users WHERE login = ?",
                ("alice",))[0]
    assert list(row.values()) == ["Alice Martin", "alice.martin@ville.fr", None], row
    assert roles(s, "alice") == ["voirie:agent"], roles(s, "alice")
    assert c.get("/a/voirie/stats").status == 200          # an agent reads every record
    line = s.sql("system", "SELECT actor, detail FROM audit WHERE action = 'login' "
                 "ORDER BY id DESC LIMIT 1")[0]
    assert list(line.values()) == ["alice", "annuaire"], line
    r, c = sign_in(s, "bruno", "bruno-secret")                # no mail in his entry
    assert r.status == 303 and roles(s, "bruno") == ["voirie:elu"], roles(s, "bruno")


@test
def wrong_unknown_and_empty_passwords_are_refused(s):
    for login, pw in (("alice", "wrong"), ("zoe", "zoe-secret"), ("agathe", ""),
                      ("alice", " ")):
        r, c = sign_in(s, login, pw, source="127.0.0.21")
        # (an empty password is refused by the form itself, 422: never an anonymous bind)
        assert r.status in ((401, 422) if pw == "" else (401,)) and \
            "sa_session" not in c.cookies, (login, pw, r.status)
    assert s.sql_one("system", "SELECT count(*) FROM users WHERE login = 'zoe'") == 0


@test
def a_filter_in_the_login_is_taken_literally(s):
    # (uid=b*) would find bruno: escaped, it finds nobody
    for login in ("b*", "bruno)(uid=*", "*"):
        r, c = sign_in(s, login, "bruno-secret", source="127.0.0.22")
        assert r.status in (400, 401) and "sa_session" not in c.cookies, (login, r.status)


@test
def a_group_removed_in_the_directory_is_gone_at_the_next_sign_in(s):
    r, _ = sign_in(s, "agathe", "agathe-secret")
    assert r.status == 303 and roles(s, "agathe") == ["voirie:agent"]
    ldap_modify("dn: cn=voirie,ou=groups,dc=ville,dc=fr\nchangetype: modify\n"
                "delete: member\nmember: uid=agathe,%s\n" % PEOPLE)
    try:
        r, c = sign_in(s, "agathe", "agathe-secret")
        assert r.status == 303 and roles(s, "agathe") == [], roles(s, "agathe")
        assert c.get("/a/voirie/stats").status in (403, 404)
        revoke = s.sql("system", "SELECT actor, detail FROM audit WHERE action = 'revoke' "
                       "AND target = 'agathe'")
        assert [list(x.values()) for x in revoke] == [["annuaire", "voirie:agent"]], revoke
    finally:
        ldap_modify("dn: cn=voirie,ou=groups,dc=ville,dc=fr\nchangetype: modify\n"
                    "add: member\nmember: uid=agathe,%s\n" % PEOPLE)
    r, _ = sign_in(s, "agathe", "agathe-secret")
    assert r.status == 303 and roles(s, "agathe") == ["voirie:agent"]


@test
def local_accounts_sign_in_locally_and_are_not_taken_over(s):
    r, _ = sign_in(s, "admin", ADMIN_PASSWORD)
    assert r.status == 303, r.status
    # a local account: its own password, never the directory's
    s.add_user("bruno-local", password="local-password")
    r, _ = sign_in(s, "bruno-local", "local-password")
    assert r.status == 303
    # (a local sign-in's audit line has no "annuaire" detail)
    assert s.sql_one("system", "SELECT CASE WHEN coalesce(detail, '') = '' THEN 1 ELSE 0 END "
                     "FROM audit WHERE action = 'login' ORDER BY id DESC LIMIT 1") == 1
    # the directory's bruno is not the local bruno-local, and a local password is never
    # checked against the directory
    r, _ = sign_in(s, "bruno-local", "bruno-secret")
    assert r.status == 401, r.status


@test
def failed_attempts_are_throttled_as_for_local_accounts(s):
    codes = [sign_in(s, "bruno", "x%d" % i, source="127.0.0.23")[0].status for i in range(12)]
    assert codes[0] == 401 and 429 in codes, codes


@test
def a_broken_annuaire_file_stops_the_start_with_its_reason(s):
    b = Server(s.binary, apps=("voirie",))
    try:
        os.makedirs(b.data, exist_ok=True)
        with open(os.path.join(b.data, "annuaire.lua"), "w") as f:
            f.write(ANNUAIRE.replace("user_filter", "user_filtre") % LDAP_URL)
        try:
            b.start()
            raise AssertionError("the server started with a broken annuaire.lua")
        except AssertionError as e:
            assert "clé inconnue « user_filtre »" in str(e), str(e)[-600:]
    finally:
        b.cleanup()
    good = ANNUAIRE % LDAP_URL
    for broken, why in ((good.replace("(uid=%s)", "(uid=alice)"), "doit contenir %s une fois"),
                        (good.replace("ldap://", "http://"), "« url » : ldap://"),
                        (good.replace("name_attr", "timeout = 0,\n  name_attr"),
                         "« timeout » : un nombre de secondes de 1 à 60"),
                        (good.replace('{ "voirie:agent" }', '{ "voirie" }'), "« app:rôle » attendu"),
                        ("return 42", "doit renvoyer une table")):
        b = Server(s.binary, apps=("voirie",))
        try:
            os.makedirs(b.data, exist_ok=True)
            with open(os.path.join(b.data, "annuaire.lua"), "w") as f:
                f.write(broken)
            try:
                b.start()
                raise AssertionError("started with: " + broken[:80])
            except AssertionError as e:
                assert why in str(e), (why, str(e)[-600:])
        finally:
            b.cleanup()


@test
def a_service_account_searches_when_the_file_names_one(s):
    for password, want in (("admin-secret", 303), ("wrong-secret", 503)):
        b = Server(s.binary, apps=("voirie",))
        try:
            os.makedirs(b.data, exist_ok=True)
            with open(os.path.join(b.data, "annuaire.lua"), "w") as f:
                f.write((ANNUAIRE % LDAP_URL).replace(
                    "  name_attr", '  bind_dn = "cn=admin,dc=ville,dc=fr", bind_password = "%s",\n'
                    "  name_attr" % password))
            b.start()
            r, _ = sign_in(b, "alice", "alice-secret")
            assert r.status == want, (password, r.status)
            if want == 303:
                assert roles(b, "alice") == ["voirie:agent"], roles(b, "alice")
        finally:
            b.cleanup()


@test
def the_directory_out_of_reach_is_a_503_and_the_local_admin_still_signs_in(s):
    subprocess.run([os.path.join(ROOT, "tests", "ldap.sh"), "stopped", LDAP_DIR], check=True)
    r, c = sign_in(s, "alice", "alice-secret", source="127.0.0.24")
    assert r.status == 503 and "sa_session" not in c.cookies, r.status
    assert "réessayez" in r.text and r.header("Retry-After"), r.headers
    r, _ = sign_in(s, "admin", ADMIN_PASSWORD, source="127.0.0.24")
    assert r.status == 303, r.status


def make_server(binary):
    global LDAP_URL
    LDAP_URL = subprocess.run([os.path.join(ROOT, "tests", "ldap.sh"), "start", LDAP_DIR],
                              check=True, capture_output=True, text=True).stdout.strip()
    s = Server(binary, apps=("voirie",))
    os.makedirs(s.data, exist_ok=True)
    with open(os.path.join(s.data, "annuaire.lua"), "w") as f:
        f.write(ANNUAIRE % LDAP_URL)
    return s


try:
    rc = SUITE.main(make_server)
finally:
    subprocess.run([os.path.join(ROOT, "tests", "ldap.sh"), "stop", LDAP_DIR])
sys.exit(rc)
