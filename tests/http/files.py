#!/usr/bin/env python3
"""Attachments (issue 10.1, SPEC 4.3 `file`) against the real server, on SQLite and on
PostgreSQL: multipart uploads from the HTML form and the API, base64 in JSON, the type
read from the content (a PDF named photo.png is refused), max_size and the server's
upload limit (413), files kept across a form sent back with errors (for their sender
only), downloads only for those who may read the field of the record (stored type,
attachment, nosniff), contents stored once by SHA-256 and deleted when no record uses
them (edit, delete), a transition that takes a file, hostile bodies, and a 50 MB upload
in bounded memory. Fixture: tests/apps/pieces. Ends with "N passed, N failed"."""
import base64
import hashlib
import json
import os
import re
import sys
import urllib.parse
import zlib
import struct
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Suite, Client, Server, field_errors_html, wait_for  # noqa: E402

SUITE = Suite()
test = SUITE.test
PAGE = "/a/pieces/dossier/"
API = "/apps/pieces/dossier/records"
TOKENS = {}


def png(seed=0):
    """A real 1x1 PNG (a different pixel per seed: a different content)."""
    def chunk(kind, data):
        c = kind + data
        return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c))
    raw = b"\x00" + bytes([seed % 256, (seed >> 8) % 256, 7])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def multipart(fields, files):
    """A multipart/form-data body: fields [(name, value)], files [(name, filename, bytes,
    content type)]."""
    boundary = "----smallapps" + hashlib.sha1(os.urandom(8)).hexdigest()
    out = []
    for k, v in fields:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                   .encode() + v.encode() + b"\r\n")
    for k, name, data, ctype in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                   f'filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n'.encode("utf-8")
                   + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def post_files(c, path, fields, files, csrf=True):
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    if csrf:
        pairs.append(("_csrf", c.csrf()))
    body, ctype = multipart(pairs, files)
    return c.request("POST", path, body=body, headers={"Content-Type": ctype})


def api(s, login):
    key = (id(s), login)
    if key not in TOKENS:
        TOKENS[key] = s.token(login)
    return Client(s, token=TOKENS[key])


def record_id(r):
    assert r.status == 303, (r.status, r.text[:500])
    m = re.search(r"/(\d+)(\?|$)", r.header("Location"))
    assert m, r.header("Location")
    return int(m.group(1))


def stored(s, sha):
    """Whether the content is kept by the engine (a file on SQLite, rows on PostgreSQL)."""
    if s.database:
        return s.sql_one("pieces", "SELECT count(*) FROM _blobs WHERE sha256 = ?", (sha,)) == 1
    return os.path.exists(os.path.join(s.data, "files", "pieces", sha[:2], sha))


def vm_hwm(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


@test
def the_form_uploads_and_the_record_page_links_the_file(s):
    alice = Client(s).login("alice")
    page = alice.get(PAGE + "new")
    assert 'enctype="multipart/form-data"' in page.text
    assert re.search(r'<input type="file" id="f-photo" name="photo"[^>]*accept="image/png,image/jpeg"',
                     page.text), page.text
    assert 'for="f-photo"' in page.text
    data = png(1)
    r = post_files(alice, PAGE + "new", {"objet": "Trottoir"},
                   [("photo", "trottoir <1>.png", data, "application/octet-stream")])
    rid = record_id(r)
    rec = alice.get(f"{PAGE}{rid}")
    assert rec.status == 200
    href = f"{PAGE}{rid}/files/photo"
    assert f'href="{href}"' in rec.text, rec.text
    assert "trottoir &lt;1&gt;.png" in rec.text and "image PNG" in rec.text
    d = alice.get(href)
    assert d.status == 200 and d.body == data
    assert d.header("Content-Type") == "image/png"
    assert d.header("X-Content-Type-Options") == "nosniff"
    assert d.header("Content-Disposition") == \
        "attachment; filename*=UTF-8''" + urllib.parse.quote("trottoir <1>.png", safe="")
    sha = hashlib.sha256(data).hexdigest()
    assert stored(s, sha)
    j = api(s, "alice").api("GET", f"{API}/{rid}").json()
    assert j["fields"]["photo"] == {
        "name": "trottoir <1>.png", "size": len(data), "type": "image/png", "sha256": sha,
        "url": f"/api/v1{API}/{rid}/files/photo"}, j["fields"]["photo"]
    d = api(s, "alice").get(j["fields"]["photo"]["url"])
    assert d.status == 200 and d.body == data


@test
def the_type_comes_from_the_content_not_the_name(s):
    alice = Client(s).login("alice")
    r = post_files(alice, PAGE + "new", {"objet": "Faux"},
                   [("photo", "photo.png", PDF, "image/png")])
    assert r.status == 422, r.status
    assert field_errors_html(r.text)["photo"] == "Ce fichier n'est pas une image PNG ou JPEG.", \
        field_errors_html(r.text)
    assert 'value="Faux"' in r.text
    assert not stored(s, hashlib.sha256(PDF).hexdigest())
    # through the API likewise, with the same words
    r = api(s, "alice").api("POST", API, {"fields": {
        "objet": "Faux", "photo": {"name": "photo.png", "data": base64.b64encode(PDF).decode()}}})
    assert r.status == 422, r.text
    assert r.json()["error"]["fields"]["photo"] == "Ce fichier n'est pas une image PNG ou JPEG."
    # a real PDF where a PDF is asked is fine
    r = post_files(alice, PAGE + "new", {"objet": "Vrai"},
                   [("piece", "justificatif.bin", PDF, "application/octet-stream")])
    rid = record_id(r)
    d = alice.get(f"{PAGE}{rid}/files/piece")
    assert d.header("Content-Type") == "application/pdf" and d.body == PDF


@test
def max_size_is_a_field_error_and_the_server_limit_a_413(s):
    alice = Client(s).login("alice")
    big = png(2) + b"\x00" * 250000  # still a PNG by its first bytes
    r = post_files(alice, PAGE + "new", {"objet": "Gros"}, [("photo", "gros.png", big, "image/png")])
    assert r.status == 422
    assert field_errors_html(r.text)["photo"] == "Ce fichier dépasse 196 Ko.", field_errors_html(r.text)
    assert not stored(s, hashlib.sha256(big).hexdigest())
    small = Server(s.binary, apps=("pieces",))
    small.serve_args = ["--max-upload", "1"]
    small.add_user("alice", roles=("pieces:usager",))
    try:
        small.start()
        c = Client(small).login("alice")
        r = post_files(c, PAGE + "new", {"objet": "Trop"},
                       [("piece", "gros.pdf", PDF + b"\x00" * (2 << 20), "application/pdf")])
        assert r.status == 413, r.status
        assert "1 Mo" in r.text
        assert os.listdir(os.path.join(small.data, "tmp")) == []
        assert c.get("/healthz").status == 200
    finally:
        small.stop()
        small.cleanup()


@test
def a_file_is_kept_when_the_form_comes_back_for_its_sender_only(s):
    alice = Client(s).login("alice")
    data = png(3)
    r = post_files(alice, PAGE + "new", {"objet": ""}, [("photo", "garde.png", data, "image/png")])
    assert r.status == 422
    assert "objet" in field_errors_html(r.text)
    m = re.search(r'name="photo__keep" value="([0-9a-f]{32})"', r.text)
    assert m, r.text
    assert "garde.png" in r.text and "Fichier reçu" in r.text
    token = m.group(1)
    # someone else cannot use it
    bob = Client(s).login("bob")
    r = post_files(bob, PAGE + "new", {"objet": "Vol", "photo__keep": token}, [])
    rid = record_id(r)
    assert api(s, "bob").api("GET", f"{API}/{rid}").json()["fields"]["photo"] is None
    # its sender sends the form again without choosing the file again
    r = post_files(alice, PAGE + "new", {"objet": "Gardée", "photo__keep": token}, [])
    rid = record_id(r)
    j = api(s, "alice").api("GET", f"{API}/{rid}").json()
    assert j["fields"]["photo"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert alice.get(f"{PAGE}{rid}/files/photo").body == data
    # used: the kept file is gone from the temporary folder
    assert not [n for n in os.listdir(os.path.join(s.data, "tmp")) if token in n]


@test
def downloads_only_for_those_who_may_read_the_field(s):
    alice = Client(s).login("alice")
    rid = record_id(post_files(alice, PAGE + "new", {"objet": "Privé"},
                               [("photo", "a.png", png(4), "image/png")]))
    agent = Client(s).login("agent")
    note = PDF + b"% note interne\n"
    r = post_files(agent, f"{PAGE}{rid}/edit",
                   {"objet": "Privé", "version": "1"}, [("interne", "note.pdf", note, "application/pdf")])
    assert r.status == 303, (r.status, r.text[:400])
    assert agent.get(f"{PAGE}{rid}/files/interne").body == note
    assert agent.get(f"{PAGE}{rid}/files/photo").status == 200
    # the owner does not see the agent's private field, not even its name
    assert alice.get(f"{PAGE}{rid}/files/interne").status == 404
    assert "note.pdf" not in alice.get(f"{PAGE}{rid}").text
    assert "interne" not in api(s, "alice").api("GET", f"{API}/{rid}").json()["fields"]
    # another person, anonymous, unknown field, no file, unknown record
    assert Client(s).login("bob").get(f"{PAGE}{rid}/files/photo").status == 404
    assert api(s, "bob").get(f"/api/v1{API}/{rid}/files/photo").status == 404
    anon = Client(s).get(f"{PAGE}{rid}/files/photo")
    assert anon.status in (302, 303) and "/login" in anon.header("Location")
    assert Client(s).get(f"/api/v1{API}/{rid}/files/photo").status == 401
    assert alice.get(f"{PAGE}{rid}/files/objet").status == 404
    assert alice.get(f"{PAGE}{rid}/files/nope").status == 404
    assert alice.get(f"{PAGE}{rid}/files/piece").status == 404
    assert alice.get(f"{PAGE}999999/files/photo").status == 404


@test
def the_api_takes_base64_and_multipart_and_nothing_that_names_a_content(s):
    c = api(s, "alice")
    data = png(5)
    r = c.api("POST", API, {"fields": {"objet": "JSON", "photo": {
        "name": "json.png", "data": base64.b64encode(data).decode()}}})
    assert r.status == 201, r.text
    first = r.json()
    assert first["fields"]["photo"]["size"] == len(data)
    assert c.get(first["fields"]["photo"]["url"]).body == data
    # multipart to the API: the fields as the HTML form sends them
    body, ctype = multipart([("objet", "Multipart")], [("photo", "m.png", png(6), "image/png")])
    r = c.request("POST", "/api/v1" + API, body=body, headers={"Content-Type": ctype})
    assert r.status == 201, r.text
    assert r.json()["fields"]["photo"]["type"] == "image/png"
    # naming another record's content is refused; bad base64 is a field error
    steal = dict(first["fields"]["photo"])
    del steal["url"]
    r = api(s, "bob").api("POST", API, {"fields": {"objet": "Vol", "photo": steal}})
    assert r.status == 422 and "photo" in r.json()["error"]["fields"], r.text
    r = c.api("POST", API, {"fields": {"objet": "x", "photo": {"name": "a.png", "data": "@@@"}}})
    assert r.status == 422 and "base64" in r.json()["error"]["fields"]["photo"], r.text
    r = c.api("POST", API, {"fields": {"objet": "x", "photo": "a.png"}})
    assert r.status == 422 and "photo" in r.json()["error"]["fields"]
    # keeping the current file by naming it, clearing it with null
    rid = first["id"]
    keep = dict(first["fields"]["photo"])
    r = c.api("PATCH", f"{API}/{rid}", {"fields": {"objet": "JSON 2", "photo": keep}},
              headers={"If-Match": '"1"'})
    assert r.status == 200, r.text
    assert r.json()["fields"]["photo"]["sha256"] == keep["sha256"]
    r = c.api("PATCH", f"{API}/{rid}", {"fields": {"photo": None}}, headers={"If-Match": '"2"'})
    assert r.status == 200 and r.json()["fields"]["photo"] is None, r.text


@test
def a_content_is_stored_once_and_deleted_with_its_last_record(s):
    alice = Client(s).login("alice")
    agent = Client(s).login("agent")
    data = png(7)
    sha = hashlib.sha256(data).hexdigest()
    a = record_id(post_files(alice, PAGE + "new", {"objet": "A"}, [("photo", "a.png", data, "image/png")]))
    b = record_id(post_files(alice, PAGE + "new", {"objet": "B"}, [("photo", "b.png", data, "image/png")]))
    assert stored(s, sha)
    # the edit form shows the current file, and keeps it when nothing new is chosen
    page = alice.get(f"{PAGE}{a}/edit")
    assert "Fichier actuel" in page.text and 'name="photo__clear"' in page.text
    r = post_files(alice, f"{PAGE}{a}/edit", {"objet": "A2", "version": "1"}, [])
    assert r.status == 303, r.text[:300]
    assert alice.get(f"{PAGE}{a}/files/photo").body == data
    # replaced in one, still used by the other
    other = png(8)
    r = post_files(alice, f"{PAGE}{a}/edit", {"objet": "A3", "version": "2"},
                   [("photo", "autre.png", other, "image/png")])
    assert r.status == 303
    assert stored(s, sha) and stored(s, hashlib.sha256(other).hexdigest())
    # deleted with the last record that used it
    assert agent.post_form(f"{PAGE}{b}/delete", {}).status == 303
    assert not stored(s, sha)
    # removed from its record: gone
    r = post_files(alice, f"{PAGE}{a}/edit", {"objet": "A4", "version": "3", "photo__clear": "1"}, [])
    assert r.status == 303
    assert not stored(s, hashlib.sha256(other).hexdigest())
    assert alice.get(f"{PAGE}{a}/files/photo").status == 404


@test
def a_transition_takes_a_file(s):
    alice = Client(s).login("alice")
    agent = Client(s).login("agent")
    rid = record_id(post_files(alice, PAGE + "new", {"objet": "À clore"}, []))
    page = agent.get(f"{PAGE}{rid}/do/clore")
    assert 'enctype="multipart/form-data"' in page.text and 'name="reponse"' in page.text
    r = post_files(agent, f"{PAGE}{rid}/do/clore", {"version": "1"},
                   [("reponse", "reponse.pdf", PDF, "application/pdf")])
    assert r.status == 303, (r.status, r.text[:400])
    assert alice.get(f"{PAGE}{rid}/files/reponse").body == PDF


@test
def an_anonymous_citizen_uploads_a_photo(s):
    anon = Client(s)
    data = png(9)
    r = post_files(anon, "/a/pieces/signalement/new", {"lieu": ""},
                   [("photo", "nid-de-poule.png", data, "image/png")])
    assert r.status == 422
    token = re.search(r'name="photo__keep" value="([0-9a-f]{32})"', r.text).group(1)
    # another anonymous visitor (another browser) cannot take it
    r = post_files(Client(s), "/a/pieces/signalement/new", {"lieu": "Ailleurs", "photo__keep": token}, [])
    assert r.status == 303
    r = post_files(anon, "/a/pieces/signalement/new", {"lieu": "Rue Haute", "photo__keep": token}, [])
    assert r.status == 303
    rows = s.sql("pieces", "SELECT lieu, photo FROM signalement ORDER BY id")
    assert rows[0]["photo"] is None
    assert json.loads(rows[1]["photo"])["sha256"] == hashlib.sha256(data).hexdigest()


@test
def hostile_bodies_are_answered_and_leave_nothing(s):
    alice = Client(s).login("alice")
    csrf = alice.csrf()
    # no boundary, a cut body, a NUL in a text part, no CSRF
    r = alice.request("POST", PAGE + "new", body=b"x", headers={"Content-Type": "multipart/form-data"})
    assert r.status == 400, r.status
    body, ctype = multipart([("objet", "x"), ("_csrf", csrf)], [("photo", "a.png", png(10), "image/png")])
    r = alice.request("POST", PAGE + "new", body=body[:-40], headers={"Content-Type": ctype})
    assert r.status in (400, 422), r.status
    body, ctype = multipart([("objet", "a\x00b"), ("_csrf", csrf)], [])
    assert alice.request("POST", PAGE + "new", body=body, headers={"Content-Type": ctype}).status == 400
    r = post_files(alice, PAGE + "new", {"objet": "x"}, [("photo", "a.png", png(11), "image/png")],
                   csrf=False)
    assert r.status == 403
    # a name with a path and markup: only its last part is kept, and escaped
    rid = record_id(post_files(alice, PAGE + "new", {"objet": "Nom"},
                               [("photo", "..\\../etc/<img src=x>.png", png(12), "image/png")]))
    j = api(s, "alice").api("GET", f"{API}/{rid}").json()
    assert j["fields"]["photo"]["name"] == "<img src=x>.png", j["fields"]["photo"]
    page = alice.get(f"{PAGE}{rid}").text
    assert "<img" not in page and "&lt;img src=x&gt;.png" in page
    # nothing left behind in the temporary folder but kept uploads
    left = [n for n in os.listdir(os.path.join(s.data, "tmp")) if n.startswith("up-")]
    assert left == [], left
    assert Client(s).get("/healthz").status == 200


@test
def retention_deletes_the_files_and_the_hourly_pass_what_was_left(s):
    alice = Client(s).login("alice")
    agent = Client(s).login("agent")
    data = png(13)
    sha = hashlib.sha256(data).hexdigest()
    rid = record_id(post_files(alice, PAGE + "new", {"objet": "Ancien"},
                               [("photo", "ancien.png", data, "image/png")]))
    assert post_files(agent, f"{PAGE}{rid}/do/clore", {"version": "1"},
                      [("reponse", "r.pdf", PDF + b"%ancien\n", "application/pdf")]).status == 303
    assert stored(s, sha)
    # left behind: a temporary upload two days old, and (SQLite) a content nobody uses
    tmp = os.path.join(s.data, "tmp")
    os.makedirs(tmp, exist_ok=True)
    stale = os.path.join(tmp, "up-stale1")
    open(stale, "wb").write(b"x")
    os.utime(stale, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    orphan = "ab" * 32
    if not s.database:
        os.makedirs(os.path.join(s.data, "files", "pieces", "ab"), exist_ok=True)
        open(os.path.join(s.data, "files", "pieces", "ab", orphan), "wb").write(b"orphan")
    later = time.strftime("%Y-%m-%dT%H:00:00Z", time.gmtime(time.time() + 40 * 86400))
    old = s.env.get("SMALLAPPS_NOW")
    s.env["SMALLAPPS_NOW"] = later
    try:
        out = s.cli("tick").stdout
    finally:
        if old is None:
            del s.env["SMALLAPPS_NOW"]
        else:
            s.env["SMALLAPPS_NOW"] = old
    assert "purgé" in out, out
    assert not stored(s, sha)
    assert not stored(s, hashlib.sha256(PDF + b"%ancien\n").hexdigest())
    assert alice.get(f"{PAGE}{rid}/files/photo").status == 404
    assert not os.path.exists(stale)
    assert not os.path.exists(os.path.join(s.data, "files", "pieces", "ab", orphan))


@test
def a_50_mb_upload_is_streamed_to_disk(s):
    alice = Client(s).login("alice")
    data = PDF + os.urandom(50 * 1024 * 1024)
    before = vm_hwm(s.proc.pid)
    r = post_files(alice, PAGE + "new", {"objet": "Gros dossier"},
                   [("piece", "gros.pdf", data, "application/pdf")])
    rid = record_id(r)
    grown = vm_hwm(s.proc.pid) - before
    assert grown < 16 * 1024, f"peak memory grew by {grown} kB for a 50 MB upload"
    d = alice.get(f"{PAGE}{rid}/files/piece")
    assert d.status == 200 and hashlib.sha256(d.body).hexdigest() == hashlib.sha256(data).hexdigest()
    assert vm_hwm(s.proc.pid) - before < 16 * 1024, "the download was held in memory"


def make_server(binary):
    s = Server(binary, apps=("pieces",))
    s.add_user("alice", roles=("pieces:usager",))
    s.add_user("bob", roles=("pieces:usager",))
    s.add_user("agent", roles=("pieces:agent",))
    return s


if __name__ == "__main__":
    sys.exit(SUITE.main(make_server))
