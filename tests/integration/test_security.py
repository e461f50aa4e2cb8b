"""Sign-in, roles, and the audit trail against the real server (issue 7).

A server with the demo auto-login off (http.demo_user = ""), users created with
`systole admin user add`, one CT study stored over DIMSE. Every route of
config/permissions.json is tried without credentials; sign-in, lockout,
cookie, bearer, roles, path tricks and SQL meta characters are checked; each
audited action leaves exactly one DICOM audit message; `systole admin audit
verify` passes, then finds a record modified and a record deleted with sqlite3.
"""
import json
import re
import shutil
import sqlite3
import time
import urllib.parse

import pydicom
import pytest

from conftest import DICOM, OUR_AE, REPO, dcmtk, http_request, systole

CT = DICOM / "ct/pydicom__CT_small.dcm"
PASSWORDS = {"root": "root-password-1", "carol": "carol-password-1", "fred": "fred-password-1",
             "audrey": "audrey-password-1", "sam": "sam-password-12"}
ROLES = {"root": "admin", "carol": "cardiologist", "fred": "fellow", "audrey": "auditor", "sam": "sonographer"}


def write_config(path, data_dir):
    path.write_text(f'[server]\ndata_dir = "{data_dir}"\n[http]\ndemo_user = ""\n[security]\nlockout_failures = 3\n')
    return path


def login(port, user, password):
    return http_request(port, "POST", "/api/auth/login", json.dumps({"user": user, "password": password}),
                        {"Content-Type": "application/json"})


def token_of(port, user):
    r = login(port, user, PASSWORDS[user])
    assert r.status == 200, r
    return r.json()["token"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def audit(port, **query):
    r = http_request(port, "GET", "/api/audit?" + urllib.parse.urlencode(query), headers=bearer(token_of(port, "audrey")))
    assert r.status == 200, r
    return r.json()["records"]


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    from conftest import Server
    base = tmp_path_factory.mktemp("security")
    data = base / "data"
    config = write_config(base / "systole.toml", data)
    for user, role in ROLES.items():
        proc = systole("admin", "user", "add", "--config", config, "--name", user, "--role", role, "--password-stdin",
                       input=PASSWORDS[user] + "\n")
        assert proc.returncode == 0, proc.stderr
    server = Server(data, ["--config", str(config)], log_path=base / "server.log").start()
    dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, CT)
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    yield server, config, ds
    server.stop()


def fill(pattern, ds):
    values = {"study": ds.StudyInstanceUID, "StudyInstanceUID": ds.StudyInstanceUID, "series": ds.SeriesInstanceUID,
              "instance": ds.SOPInstanceUID, "frames": "1", "tag": "7FE00010", "id": "1", "n": "1",
              "field_id": "lv.ef", "type": "Patient", "token": "x" * 43}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], pattern)


def test_users_are_listed_without_secrets(secured):
    _, config, _ = secured
    proc = systole("admin", "user", "list", "--config", config)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^carol\tcardiologist\t", proc.stdout, re.M), proc.stdout
    assert "argon2" not in proc.stdout and "carol-password" not in proc.stdout
    again = systole("admin", "user", "add", "--config", config, "--name", "carol", "--role", "admin",
                    "--password-stdin", input="another-password\n")
    assert again.returncode == 1 and "exists" in again.stderr
    weak = systole("admin", "user", "add", "--config", config, "--name", "weak", "--role", "admin", "--password-stdin",
                   input="short\n")
    assert weak.returncode == 1 and "10 characters" in weak.stderr


def test_every_protected_route_refuses_without_credentials_and_leaks_nothing(secured):
    server, _, ds = secured
    table = json.loads((REPO / "config/permissions.json").read_text())
    tried = 0
    for rule in table["routes"]:
        if rule["permission"] == "public":
            continue
        path = fill(rule["pattern"], ds)
        r = http_request(server.http_port, rule["method"], path, body=b"" if rule["method"] == "POST" else None)
        assert r.status == 401, (rule, r)
        assert r.headers.get("www-authenticate", "").startswith("Bearer"), rule
        assert r.json()["error"]["status"] == 401
        for secret in (ds.StudyInstanceUID, str(ds.PatientName), ds.PatientID):
            assert secret.encode() not in r.body, (rule, r)
        tried += 1
    assert tried >= 25
    forged = http_request(server.http_port, "GET", "/dicomweb/studies", headers=bearer("A" * 43))
    assert forged.status == 401 and b"CompressedSamples" not in forged.body


def test_sign_in_cookie_and_bearer(secured):
    server, _, ds = secured
    wrong = login(server.http_port, "carol", "not-her-password")
    assert wrong.status == 401 and "wrong user name or password" in wrong.json()["error"]["message"]
    assert login(server.http_port, "nobody", "whatever-123").json() == wrong.json()
    r = login(server.http_port, "carol", PASSWORDS["carol"])
    assert r.status == 200 and r.json()["role"] == "cardiologist"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("systole_session=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = cookie.split(";")[0]
    studies = http_request(server.http_port, "GET", "/dicomweb/studies", headers={"Cookie": session})
    assert studies.status == 200 and ds.StudyInstanceUID.encode() in studies.body
    me = http_request(server.http_port, "GET", "/api/auth/me", headers={"Cookie": session}).json()
    # …with what the role may do, as the permission table says (the UI offers only those actions)
    table = json.loads((REPO / "config/permissions.json").read_text())
    assert me == {"user": "carol", "role": "cardiologist", "demo": False,
                  "permissions": sorted(table["roles"]["cardiologist"])}
    assert "measure" in me["permissions"] and "admin" not in me["permissions"]
    tampered = session[:-2] + ("AA" if not session.endswith("AA") else "BB")
    assert http_request(server.http_port, "GET", "/dicomweb/studies", headers={"Cookie": tampered}).status == 401
    token = r.json()["token"]
    assert http_request(server.http_port, "GET", "/dicomweb/studies", headers=bearer(token)).status == 200
    out = http_request(server.http_port, "POST", "/api/auth/logout", headers={"Cookie": session})
    assert out.status == 200 and "Max-Age=0" in out.headers["set-cookie"]
    assert http_request(server.http_port, "GET", "/dicomweb/studies", headers=bearer(token)).status == 401


def test_repeated_failures_lock_the_account(secured):
    server, _, _ = secured
    statuses = [login(server.http_port, "sam", f"guess-{i}").status for i in range(3)]
    assert statuses == [401, 401, 429]
    locked = login(server.http_port, "sam", PASSWORDS["sam"])
    assert locked.status == 429 and "locked" in locked.json()["error"]["message"]
    assert int(locked.headers["retry-after"]) > 0
    assert "account locked until" in server.log()


def test_api_tokens_are_made_by_an_admin(secured):
    server, _, _ = secured
    body = json.dumps({"user": "fred", "label": "echo AI"})
    assert http_request(server.http_port, "POST", "/api/auth/tokens", body, bearer(token_of(server.http_port, "carol"))).status == 403
    made = http_request(server.http_port, "POST", "/api/auth/tokens", body, bearer(token_of(server.http_port, "root")))
    assert made.status == 201, made
    # It expires security.api_token_days (default 365) after it was made.
    assert abs(made.json()["expires_at"] - (time.time() + 365 * 86400)) < 120
    me = http_request(server.http_port, "GET", "/api/auth/me", headers=bearer(made.json()["token"]))
    assert me.json()["user"] == "fred"


def test_roles_without_the_permission_get_403(secured):
    server, _, ds = secured
    audrey, fred = token_of(server.http_port, "audrey"), token_of(server.http_port, "fred")
    r = http_request(server.http_port, "GET", f"/dicomweb/studies/{ds.StudyInstanceUID}/metadata", headers=bearer(audrey))
    assert r.status == 403 and r.json()["error"]["status"] == 403
    assert ds.PatientID.encode() not in r.body
    assert http_request(server.http_port, "GET", "/api/audit", headers=bearer(fred)).status == 403
    stow = http_request(server.http_port, "POST", "/dicomweb/studies", b"", {**bearer(audrey), "Content-Type": "application/dicom"})
    assert stow.status == 403


@pytest.mark.parametrize("path", [
    "/dicomweb/studies/../studies", "/dicomweb/studies/%2e%2e/studies", "/dicomweb/studies/..%2Fstudies",
    "/dicomweb/%2e%2e/%2e%2e/etc/passwd", "/api/..%2f..%2fapi/audit",
])
def test_path_tricks_are_refused(secured, path):
    server, _, ds = secured
    for headers in ({}, bearer(token_of(server.http_port, "carol"))):
        r = http_request(server.http_port, "GET", path, headers=headers)
        assert r.status == 400, (path, r)
        assert ds.PatientID.encode() not in r.body and b"root:" not in r.body


def test_double_encoding_is_only_a_literal_segment(secured):
    server, _, ds = secured
    carol = bearer(token_of(server.http_port, "carol"))
    path = "/dicomweb/studies/%252e%252e%252f%252e%252e/metadata"
    assert http_request(server.http_port, "GET", path).status == 401
    r = http_request(server.http_port, "GET", path, headers=carol)
    assert r.status == 404 and ds.StudyInstanceUID.encode() not in r.body


@pytest.mark.parametrize("value", ["' OR '1'='1", "x'; DROP TABLE users;--", "*\" OR 1=1 --", "%' --", "\\'"])
def test_sql_meta_characters_in_query_parameters_are_data(secured, value):
    server, _, ds = secured
    carol = bearer(token_of(server.http_port, "carol"))
    q = urllib.parse.quote(value)
    for path in (f"/dicomweb/studies?PatientName={q}", f"/dicomweb/studies?PatientID={q}",
                 f"/dicomweb/studies?AccessionNumber={q}", f"/dicomweb/studies?StudyInstanceUID={q}"):
        r = http_request(server.http_port, "GET", path, headers=carol)
        assert r.status in (200, 204, 400), (path, r)
        assert ds.StudyInstanceUID.encode() not in r.body, (path, r)
    for name in ("user", "patient", "study"):
        r = http_request(server.http_port, "GET", f"/api/audit?{name}={q}", headers=bearer(token_of(server.http_port, "audrey")))
        # Only the records of this test's own queries, which carried the value as data.
        assert r.status == 200 and all(rec[name] == value for rec in r.json()["records"]), (name, r)
    assert login(server.http_port, value, value).status == 401
    assert login(server.http_port, "carol", PASSWORDS["carol"]).status == 200  # users table intact


def test_each_audited_action_is_recorded_once_with_its_fields(secured):
    server, _, ds = secured
    carol = bearer(token_of(server.http_port, "carol"))
    series = ds.SeriesInstanceUID
    path = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{series}/metadata"
    before = audit(server.http_port, study=ds.StudyInstanceUID)
    assert http_request(server.http_port, "GET", path, headers=carol).status == 200
    records = audit(server.http_port, study=ds.StudyInstanceUID)
    assert len(records) == len(before) + 1
    record = records[-1]
    message = record["message"]
    assert record["user"] == "carol"
    assert message["EventIdentification"]["EventID"]["csd-code"] == "110103"
    assert message["EventIdentification"]["EventActionCode"] == "R"
    assert message["EventIdentification"]["EventOutcomeIndicator"] == "0"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", message["EventIdentification"]["EventDateTime"])
    assert message["ActiveParticipant"][0]["UserID"] == "carol"
    assert message["ActiveParticipant"][0]["NetworkAccessPointID"] == "127.0.0.1"
    study = [o for o in message["ParticipantObjectIdentification"] if o["ParticipantObjectID"] == ds.StudyInstanceUID]
    assert len(study) == 1 and study[0]["ParticipantObjectDetail"][0]["value"] == series
    assert message["AuditSourceIdentification"]["AuditSourceID"] == OUR_AE

    # A query names the patient searched for.
    assert http_request(server.http_port, "GET", f"/dicomweb/studies?PatientID={ds.PatientID}", headers=carol).status == 200
    queries = audit(server.http_port, patient=ds.PatientID)
    assert queries[-1]["message"]["EventIdentification"]["EventID"]["csd-code"] == "110112"

    # A failed sign-in, with the name tried, outcome "minor failure".
    login(server.http_port, "fred", "wrong-password")
    failed = audit(server.http_port, user="fred")[-1]["message"]
    assert failed["EventIdentification"]["EventID"]["csd-code"] == "110114"
    assert failed["EventIdentification"]["EventOutcomeIndicator"] == "4"

    # Refused access is recorded too (who tried, outcome 4); the admin CLI's user changes are there.
    admin_changes = [r for r in audit(server.http_port) if r["message"]["EventIdentification"]["EventID"]["csd-code"] == "110137"]
    assert len(admin_changes) >= len(ROLES)


def test_audit_verify_passes_then_finds_modified_and_deleted_records(secured, tmp_path):
    server, config, _ = secured
    proc = systole("admin", "audit", "verify", "--config", config)
    assert proc.returncode == 0 and "intact" in proc.stdout, proc.stdout + proc.stderr
    count = int(re.search(r"(\d+) records", proc.stdout).group(1))
    assert count > 10

    def verify_tampered(name, sql, trigger):
        """verify on a copy of the index where `sql` ran (after dropping the append-only `trigger`)."""
        target = tmp_path / name
        target.mkdir()
        source, db = sqlite3.connect(server.data_dir / "index.db"), sqlite3.connect(target / "index.db")
        source.backup(db)
        source.close()
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
        db.execute(f"DROP TRIGGER {trigger}")
        db.execute(sql)
        db.commit()
        db.close()
        return systole("admin", "audit", "verify", "--data", target)

    proc = verify_tampered("modified", "UPDATE audit_log SET user = 'mallory' WHERE seq = 5", "audit_log_no_update")
    assert proc.returncode == 1 and "record 5 was modified" in proc.stdout, proc.stdout + proc.stderr
    proc = verify_tampered("deleted", "DELETE FROM audit_log WHERE seq = 7", "audit_log_no_delete")
    assert proc.returncode == 1 and "record 7 is missing" in proc.stdout, proc.stdout + proc.stderr


def test_first_run_without_users_says_how_to_create_the_admin(make_server, tmp_path):
    data = tmp_path / "fresh"
    config = write_config(tmp_path / "fresh.toml", data)
    server = make_server("fresh", ["--config", str(config)], data_dir=data)
    assert "systole admin user add --name NAME --role admin" in server.log()
    assert http_request(server.http_port, "GET", "/dicomweb/studies").status == 401


def test_demo_login_is_loopback_only(tmp_path):
    proc = systole("serve", "--data", tmp_path / "d", "--dicom-port", "0", "--http-port", "0", "--hl7-port", "0",
                   timeout=60, env_extra={"SYSTOLE_HTTP_BIND": "0.0.0.0"})
    assert proc.returncode == 2 and "loopback" in proc.stderr + proc.stdout


def test_serve_refuses_to_start_when_a_route_has_no_rule(tmp_path):
    table = json.loads((REPO / "config/permissions.json").read_text())
    table["routes"] = [r for r in table["routes"] if r["pattern"] != "/api/audit"]
    (tmp_path / "permissions.json").write_text(json.dumps(table))
    proc = systole("serve", "--data", tmp_path / "d", "--dicom-port", "0", "--http-port", "0", "--hl7-port", "0",
                   timeout=60, env_extra={"SYSTOLE_SECURITY_PERMISSIONS_FILE": str(tmp_path / "permissions.json")})
    assert proc.returncode == 2 and "GET /api/audit: no rule in the permission table" in proc.stderr + proc.stdout


def test_dicom_peers_use_only_the_services_of_their_role(make_server):
    """DICOM peers by role (dicom.allowed_peers ";role=R", dicom_services in the permission table),
    with real DCMTK tools: a modality stores and echoes but its C-FIND is refused at negotiation
    (logged with the role); a dicom_node (the default role) queries; an unlisted AE gets nothing."""
    server = make_server("dicom-roles", extra_args=["--allow-peer", "MOD1;role=modality", "--allow-peer", "PACS2"])
    echo = DICOM / "cine/orthanc__Issue16.dcm"
    dcmtk("echoscu", "-aet", "MOD1", "-aec", OUR_AE, "127.0.0.1", server.port)
    dcmtk("storescu", "-aet", "MOD1", "-aec", OUR_AE, "-xy", "127.0.0.1", server.port, echo)
    refused = dcmtk("findscu", "-S", "-aet", "MOD1", "-aec", OUR_AE, "-k", "QueryRetrieveLevel=STUDY",
                    "-k", "StudyInstanceUID", "127.0.0.1", server.port, check=False)
    assert refused.returncode != 0 and "No Acceptable Presentation Contexts" in refused.stdout, refused.stdout
    assert "(role modality): presentation contexts refused, the role may not use C-FIND" in server.log()
    found = dcmtk("findscu", "-v", "-S", "-aet", "PACS2", "-aec", OUR_AE, "-k", "QueryRetrieveLevel=STUDY",
                  "-k", "StudyInstanceUID", "127.0.0.1", server.port)
    assert "(0020,000d)" in found.stdout.lower(), found.stdout  # the stored study comes back to a dicom_node
    stranger = dcmtk("echoscu", "-aet", "STRANGER", "-aec", OUR_AE, "127.0.0.1", server.port, check=False)
    assert stranger.returncode != 0
