#!/usr/bin/env python3
"""A Lua error in a hook (issue 9): the person gets a 500 with the request id only, on the
page and in the JSON body; the server's log line with that id has the message and the app
frames, the lib file's line and the app.lua line that called it. Fixture: tests/apps/traces.
Prints one line per test and ends with "N passed, N failed"."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Client, Server, Suite, wait_for  # noqa: E402

SUITE = Suite()
test = SUITE.test

APP = os.path.join(ROOT, "tests", "apps", "traces")


def line_of(rel, marker):
    with open(os.path.join(APP, rel), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if marker in line:
                return n
    raise AssertionError(f"{marker!r} not in {rel}")


LIB_AT = "traces/lib/calcul.lua:%d in function 'total'" % line_of("lib/calcul.lua", "the lib line")
APP_AT = "traces/app.lua:%d in hook validate" % line_of("app.lua", "the app.lua line")
# What the person must never see: the message, a file, a frame.
DETAILS = ("attempt to index", "calcul.lua", "app.lua", "traceback", "lignes")


def error_line(s, rid):
    """The log line of the error with id rid, once the server has written it."""
    def logged():
        return next((ln for ln in s.log_text().splitlines() if f" error id={rid} " in ln), None)
    return wait_for(logged)


def assert_frames_logged(s, rid):
    line = error_line(s, rid)
    assert "attempt to index a nil value (local 'lignes') [traceback: " in line, line
    # innermost first: the lib's line, then the app.lua line that called it
    assert f"[traceback: {LIB_AT} < {APP_AT}]" in line, line


@test
def api_500_shows_only_the_id_and_the_log_names_the_lib_and_app_lines(s):
    alice = Client(s, token=s.token("alice"))
    r = alice.api("POST", "/apps/traces/facture/records", {"fields": {"objet": "Chaises"}})
    assert r.status == 500, (r.status, r.text)
    err = r.json()["error"]
    assert err["code"] == "internal" and err["id"] == r.header("X-Request-Id"), err
    assert set(err) == {"code", "message", "id"}, err
    for d in DETAILS:
        assert d not in r.text, (d, r.text)
    assert_frames_logged(s, err["id"])


@test
def html_500_shows_only_the_id_and_the_log_names_the_lib_and_app_lines(s):
    c = Client(s).login("alice")
    assert c.get("/a/traces/facture/new").status == 200
    r = c.post_form("/a/traces/facture/new", {"objet": "Tables"})
    assert r.status == 500, (r.status, r.text[-1500:])
    rid = r.header("X-Request-Id")
    assert rid and f"<code>{rid}</code>" in r.text, r.text[-1500:]
    for d in DETAILS:
        assert d not in r.text, (d, r.text[-1500:])
    assert_frames_logged(s, rid)


def make_server(binary):
    s = Server(binary, apps=("traces",))
    s.add_user("alice")
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
