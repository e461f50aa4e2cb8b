"""Who may see which study (issue 7): scopes, share links and break-glass, on the real server.

Users are created with `systole admin user add` (a referring physician with
--referring-name, a cardiologist limited with --institution), sign in with POST
/api/auth/login (the AI service with an API token). Three studies, copies of one
CT with their own patient, ReferringPhysicianName and InstitutionName, are
stored over DIMSE:
  A  patient PA, referred by SMITH^JOHN, NORTH  (a final report)
  B  patient PB, referred by OTHER^DOC,  SOUTH
  C  patient PC, no referrer,            NORTH  (a draft report)
A study outside a scope answers 404 and is absent from searches; share links
open a session on one study; break-glass opens a study for a short time, flagged
in the audit trail. Clock-dependent checks use short durations (≤ 3 s sleeps).
"""
import http.client
import json
import time
import urllib.parse

import pydicom
import pytest
from pydicom.uid import generate_uid

from conftest import DICOM, OUR_AE, dcmtk, http_request, systole

CT = DICOM / "ct/pydicom__CT_small.dcm"
SR = DICOM / "sr/pydicom__test-SR.dcm"
PASSWORD = "a-long-password-1"
USERS = [("root", "admin", []), ("carol", "cardiologist", []), ("audrey", "auditor", []),
         ("sam", "sonographer", []), ("smith", "referring", ["--referring-name", "SMITH^JOHN"]),
         ("jones", "referring", []), ("ai1", "ai", []), ("north", "cardiologist", ["--institution", "NORTH"])]
STUDIES = {"A": ("PA", "SMITH^JOHN", "NORTH"), "B": ("PB", "OTHER^DOC", "SOUTH"), "C": ("PC", "", "NORTH")}
BREAK_GLASS_SECONDS = 2.4


def write_config(path, data_dir):
    path.write_text(f'[server]\ndata_dir = "{data_dir}"\n[http]\ndemo_user = ""\n'
                    f'[security]\nbreak_glass_minutes = {BREAK_GLASS_SECONDS / 60}\nshare_pin_attempts = 3\n'
                    '[reporting]\nsigners = ["carol"]\n')
    return path


def login(port, user):
    r = http_request(port, "POST", "/api/auth/login", json.dumps({"user": user, "password": PASSWORD}),
                     {"Content-Type": "application/json"})
    assert r.status == 200, r
    return {"Authorization": f"Bearer {r.json()['token']}"}


def call(port, who, method, path, body=None):
    headers = dict(who)
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(body)
    return http_request(port, method, path, body, headers)


def qido_studies(port, who, path="/dicomweb/studies"):
    r = call(port, who, "GET", path)
    assert r.status in (200, 204), r
    return {s["0020000D"]["Value"][0] for s in (r.json() if r.body else [])}


def make_copy(source, out, patient, referring, institution, study=None):
    ds = pydicom.dcmread(source)
    ds.PatientID, ds.PatientName = patient, f"DOE^{patient}"
    ds.ReferringPhysicianName = referring
    ds.InstitutionName = institution
    ds.StudyInstanceUID = study or generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.save_as(out)
    return ds


def stow(port, who, path, files):
    boundary = "scope-test-boundary"
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read_bytes()
                    + b"\r\n" for f in files) + b"--" + boundary.encode() + b"--\r\n"
    headers = dict(who)
    headers["Content-Type"] = f'multipart/related; type="application/dicom"; boundary={boundary}'
    return http_request(port, "POST", path, body, headers)


def audit(port, **query):
    r = call(port, login(port, "audrey"), "GET", "/api/audit?" + urllib.parse.urlencode(query))
    assert r.status == 200, r
    return r.json()["records"]


def requests_of(records):
    return [r["message"]["SystoleRequest"] for r in records]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from conftest import Server
    base = tmp_path_factory.mktemp("scopes")
    data = base / "data"
    config = write_config(base / "systole.toml", data)
    for user, role, extra in USERS:
        proc = systole("admin", "user", "add", "--config", config, "--name", user, "--role", role, *extra,
                       "--password-stdin", input=PASSWORD + "\n")
        assert proc.returncode == 0, proc.stderr
    server = Server(data, ["--config", str(config)], log_path=base / "server.log").start()
    uids = {}
    for name, (patient, referring, institution) in STUDIES.items():
        ds = make_copy(CT, base / f"{name}.dcm", patient, referring, institution)
        dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, base / f"{name}.dcm")
        uids[name] = ds.StudyInstanceUID
    port = server.http_port
    carol = login(port, "carol")
    reports = {}
    for name in ("A", "C"):
        r = call(port, carol, "POST", f"/api/studies/{uids[name]}/reports", {"template": "tte"})
        assert r.status == 201, r
        reports[name] = r.json()["id"]
    assert call(port, carol, "PUT", f"/api/reports/{reports['A']}/text",
                {"findings": "Normal.", "impression": "Normal study."}).status == 200
    for status in ("preliminary", "final"):
        r = call(port, carol, "POST", f"/api/reports/{reports['A']}/status", {"status": status})
        assert r.status == 200, r
    yield {"server": server, "port": port, "uids": uids, "reports": reports, "base": base}
    server.stop()


def test_referring_sees_only_their_patients_studies(world):
    port, uids = world["port"], world["uids"]
    smith = login(port, "smith")
    assert qido_studies(port, smith) == {uids["A"]}
    assert qido_studies(port, smith, f"/dicomweb/studies?PatientID=PB") == set()
    assert call(port, smith, "GET", f"/dicomweb/studies/{uids['A']}/metadata").status == 200
    for path in (f"/dicomweb/studies/{uids['B']}/metadata", f"/dicomweb/studies/{uids['B']}/series",
                 f"/dicomweb/studies/{uids['B']}", f"/api/studies/{uids['B']}/reports",
                 f"/wado?requestType=WADO&studyUID={uids['B']}&seriesUID=1&objectUID=1"):
        r = call(port, smith, "GET", path)
        assert r.status == 404, (path, r)
        assert b"PB" not in r.body and b"OTHER" not in r.body
    # Instance-level QIDO across studies is filtered too.
    r = call(port, smith, "GET", "/dicomweb/instances")
    assert {i["0020000D"]["Value"][0] for i in r.json()} == {uids["A"]}
    # FHIR: ImagingStudy searches are filtered; other resources are not served to a restricted scope.
    bundle = call(port, smith, "GET", "/fhir/ImagingStudy").json()
    assert bundle["total"] == 1, bundle
    assert call(port, smith, "GET", "/fhir/Patient").status == 403


def test_referring_sees_only_final_reports(world):
    port, uids, reports = world["port"], world["uids"], world["reports"]
    smith = login(port, "smith")
    listed = call(port, smith, "GET", f"/api/studies/{uids['A']}/reports").json()["reports"]
    assert [r["id"] for r in listed] == [reports["A"]] and listed[0]["status"] == "final"
    assert call(port, smith, "GET", f"/api/reports/{reports['A']}").status == 200
    assert call(port, smith, "GET", f"/api/reports/{reports['C']}").status == 404
    # A patient link opens patient PC's study to jones, but its draft report stays hidden.
    root, jones = login(port, "root"), login(port, "jones")
    assert qido_studies(port, jones) == set()
    assert call(port, root, "POST", "/api/admin/patient-links", {"user": "jones", "patient": "PC"}).status == 201
    assert qido_studies(port, jones) == {uids["C"]}
    assert call(port, jones, "GET", f"/api/studies/{uids['C']}/reports").json()["reports"] == []
    assert call(port, jones, "GET", f"/api/reports/{reports['C']}").status == 404
    carol = login(port, "carol")
    assert len(call(port, carol, "GET", f"/api/studies/{uids['C']}/reports").json()["reports"]) == 1
    assert call(port, root, "DELETE", "/api/admin/patient-links?user=jones&patient=PC").status == 200
    assert qido_studies(port, jones) == set()
    assert call(port, root, "DELETE", "/api/admin/patient-links?user=jones&patient=PC").status == 404


def test_ai_sees_assigned_studies_and_stores_only_into_them(world):
    port, uids, base = world["port"], world["uids"], world["base"]
    root = login(port, "root")
    r = call(port, root, "POST", "/api/auth/tokens", {"user": "ai1", "label": "scope test"})
    ai = {"Authorization": f"Bearer {r.json()['token']}"}
    assert qido_studies(port, ai) == set()
    assert call(port, root, "POST", "/api/admin/assignments", {"user": "ai1", "study": "1.2.3.4.404"}).status == 404
    assert call(port, root, "POST", "/api/admin/assignments", {"user": "ai1", "study": uids["B"]}).status == 201
    assert qido_studies(port, ai) == {uids["B"]}
    assert call(port, ai, "GET", f"/dicomweb/studies/{uids['B']}/metadata").status == 200
    assert call(port, ai, "GET", f"/dicomweb/studies/{uids['A']}/metadata").status == 404
    into_b = make_copy(SR, base / "sr_b.dcm", "PB", "OTHER^DOC", "SOUTH", study=uids["B"])
    stored = stow(port, ai, f"/dicomweb/studies/{uids['B']}", [base / "sr_b.dcm"])
    assert stored.status == 200, stored
    assert call(port, root, "GET", f"/dicomweb/studies/{uids['B']}/series/{into_b.SeriesInstanceUID}/metadata").status == 200
    # An AI service stores SR objects only, even into its own study.
    image = make_copy(CT, base / "ct_b.dcm", "PB", "OTHER^DOC", "SOUTH", study=uids["B"])
    assert stow(port, ai, f"/dicomweb/studies/{uids['B']}", [base / "ct_b.dcm"]).status == 409
    assert call(port, root, "GET", f"/dicomweb/studies/{uids['B']}/series/{image.SeriesInstanceUID}/metadata").status == 404
    into_a = make_copy(SR, base / "sr_a.dcm", "PA", "SMITH^JOHN", "NORTH", study=uids["A"])
    assert stow(port, ai, f"/dicomweb/studies/{uids['A']}", [base / "sr_a.dcm"]).status == 404
    assert stow(port, ai, "/dicomweb/studies", [base / "sr_a.dcm"]).status == 403
    series_of_a = call(port, root, "GET", f"/dicomweb/studies/{uids['A']}/series").json()
    assert into_a.SeriesInstanceUID not in {s["0020000E"]["Value"][0] for s in series_of_a}  # nothing landed
    assert call(port, root, "DELETE", f"/api/admin/assignments?user=ai1&study={uids['B']}").status == 200
    assert qido_studies(port, ai) == set()


def test_site_restriction(world):
    port, uids = world["port"], world["uids"]
    north = login(port, "north")
    assert qido_studies(port, north) == {uids["A"], uids["C"]}
    assert call(port, north, "GET", f"/dicomweb/studies/{uids['B']}/metadata").status == 404
    assert call(port, north, "GET", f"/dicomweb/studies/{uids['C']}/metadata").status == 200
    assert qido_studies(port, login(port, "carol")) == set(uids.values())


def open_link(port, url, pin=None):
    if pin is None:
        return http_request(port, "GET", url)
    return http_request(port, "POST", url, f"pin={pin}", {"Content-Type": "application/x-www-form-urlencoded"})


def session_of(response):
    assert response.status == 303, response
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("systole_share=") and "HttpOnly" in cookie
    return {"Cookie": cookie.split(";")[0]}


def test_share_link_view_only(world):
    port, uids = world["port"], world["uids"]
    carol = login(port, "carol")
    assert call(port, login(port, "sam"), "POST", "/api/shares",
                {"study": uids["A"], "recipient": "x", "download": False}).status == 403
    assert call(port, carol, "POST", "/api/shares",
                {"study": uids["A"], "recipient": "x", "expires_in_hours": 1000}).status == 400
    r = call(port, carol, "POST", "/api/shares", {"study": uids["A"], "recipient": "gp@example.org",
                                                  "expires_in_hours": 1, "download": False})
    assert r.status == 201, r
    share = r.json()
    assert share["url"].startswith("/share/") and len(share["url"]) == len("/share/") + 43
    opened = open_link(port, share["url"])
    assert opened.headers["location"] == f"/viewer/{uids['A']}"
    guest = session_of(opened)
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}/metadata").status == 200
    assert qido_studies(port, guest) == {uids["A"]}
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['B']}/metadata").status == 404
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}").status == 403  # no download
    assert call(port, guest, "GET", f"/api/studies/{uids['A']}/reports").status == 404  # no report
    assert call(port, guest, "POST", "/api/shares", {"study": uids["A"], "recipient": "y"}).status == 403
    listed = call(port, carol, "GET", f"/api/shares?study={uids['A']}").json()["shares"]
    assert share["id"] in [s["id"] for s in listed]
    # Revoked: the link and its session are gone, and the page says so and nothing else.
    assert call(port, carol, "DELETE", f"/api/shares/{share['id']}").status == 200
    gone = open_link(port, share["url"])
    assert gone.status == 410 and b"This link has expired or was revoked" in gone.body
    for secret in (uids["A"], "PA", "DOE"):
        assert secret.encode() not in gone.body
    after = call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}/metadata")
    assert after.status == 410 and uids["A"].encode() not in after.body
    assert call(port, carol, "DELETE", "/api/shares/nope").status == 404
    # Every use audited exactly once: opened once, one access, the revocation.
    records = audit(port, user=f"share:{share['id']}")
    actions = requests_of(records)
    assert actions.count("share link opened") == 1, actions
    assert actions.count(f"GET /dicomweb/studies/{uids['A']}/metadata") == 1, actions
    assert actions.count(f"GET /dicomweb/studies/{uids['A']}") == 1, actions  # the refused download
    assert requests_of(audit(port, user="carol")).count(f"DELETE /api/shares/{share['id']}") == 1


def test_share_link_with_pin_download_and_report(world):
    port, uids, reports = world["port"], world["uids"], world["reports"]
    carol = login(port, "carol")
    share = call(port, carol, "POST", "/api/shares", {"study": uids["A"], "recipient": "patient", "pin": "2468",
                                                      "download": True, "report": True}).json()
    page = open_link(port, share["url"])
    assert page.status == 200 and b"<form" in page.body and uids["A"].encode() not in page.body
    wrong = open_link(port, share["url"], "1111")
    assert wrong.status == 401 and b"2 attempts left" in wrong.body
    guest = session_of(open_link(port, share["url"], "2468"))
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}").status == 200
    listed = call(port, guest, "GET", f"/api/studies/{uids['A']}/reports").json()["reports"]
    assert [r["status"] for r in listed] == ["final"]
    assert call(port, guest, "GET", f"/api/reports/{reports['C']}").status == 404
    records = requests_of(audit(port, user=f"share:{share['id']}"))
    assert records.count("share PIN refused") == 1 and records.count("share link opened") == 1
    # Out of attempts: the link is dead even with the right PIN.
    open_link(port, share["url"], "0000")
    assert open_link(port, share["url"], "0000").status == 410
    assert open_link(port, share["url"], "2468").status == 410


def test_share_link_expires_and_replay_is_refused(world):
    port, uids = world["port"], world["uids"]
    carol = login(port, "carol")
    share = call(port, carol, "POST", "/api/shares",
                 {"study": uids["A"], "recipient": "gp", "expires_in_hours": 2.0 / 3600}).json()
    guest = session_of(open_link(port, share["url"]))
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}/metadata").status == 200
    time.sleep(2.3)
    assert open_link(port, share["url"]).status == 410
    assert open_link(port, share["url"]).status == 410  # replayed
    assert call(port, guest, "GET", f"/dicomweb/studies/{uids['A']}/metadata").status == 410
    assert requests_of(audit(port, user=f"share:{share['id']}")).count("share link opened") == 1


def test_break_glass(world):
    port, uids = world["port"], world["uids"]
    smith, audrey = login(port, "smith"), login(port, "audrey")
    target = f"/dicomweb/studies/{uids['B']}/metadata"
    assert call(port, smith, "GET", target).status == 404
    assert call(port, smith, "POST", "/api/break-glass", {"study": uids["B"]}).status == 400
    assert call(port, smith, "POST", "/api/break-glass", {"study": uids["B"], "reason": "urgent"}).status == 400
    assert call(port, smith, "POST", "/api/break-glass", {"study": uids["A"], "reason": "already mine anyway"}).status == 409
    assert call(port, audrey, "POST", "/api/break-glass", {"study": uids["B"], "reason": "auditors may not"}).status == 403
    started = time.monotonic()
    r = call(port, smith, "POST", "/api/break-glass", {"study": uids["B"], "reason": "patient collapsed in clinic"})
    assert r.status == 201 and r.json()["active"], r
    assert call(port, smith, "GET", target).status == 200
    log = call(port, audrey, "GET", "/api/audit/break-glass").json()
    assert log["active"] >= 1 and log["items"][0]["user"] == "smith" and log["items"][0]["study"] == uids["B"]
    assert time.monotonic() - started < BREAK_GLASS_SECONDS, "too slow to check the grant while it is active"
    assert call(port, smith, "GET", "/api/audit/break-glass").status == 403
    records = sorted(audit(port, user="smith", study=uids["B"]), key=lambda r: r["seq"])
    event = lambda r: r["message"]["EventIdentification"]
    starts = [r for r in records if event(r).get("EventTypeCode", [{}])[0].get("csd-code") == "110127"]
    assert [event(r)["EventOutcomeIndicator"] for r in starts] == ["4", "4", "0"]  # two refused, one granted
    assert all(r["message"]["SystoleEmergency"] is True for r in starts)
    assert "patient collapsed" in starts[-1]["message"]["SystoleDetail"]
    accesses = [r for r in records if r["message"]["SystoleRequest"] == f"GET {target}"]
    flags = [a["message"].get("SystoleEmergency") for a in accesses]
    assert flags[-2:] == [None, True] and set(flags[:-1]) == {None}  # refused before, emergency during
    flagged = audit(port, flagged="true")
    assert {r["seq"] for r in starts + accesses[-1:]} <= {r["seq"] for r in flagged}
    assert all(r["message"].get("SystoleEmergency") for r in flagged)
    time.sleep(max(0.0, BREAK_GLASS_SECONDS + 0.2 - (time.monotonic() - started)))
    assert call(port, smith, "GET", target).status == 404
    assert call(port, audrey, "GET", "/api/audit/break-glass").json()["items"][0]["active"] is False
