"""Authentication bypass attempts that test_security.py does not cover (issue 7).

A server with the demo login off and one admin made with `systole admin user
add`: oversized headers are refused (431/400) and the server keeps serving; a
tampered or signed-out session cookie is refused; SQL meta characters in every
query parameter of every search and API route are data: the answer is 400 or a
normal (empty or filtered) result, never 500, never SQL text, and the users
table is intact afterwards.
"""
import json
import re
import socket
import urllib.parse

import pydicom
import pytest

from conftest import DICOM, OUR_AE, REPO, dcmtk, http_request, systole

CT = DICOM / "ct/pydicom__CT_small.dcm"
PASSWORD = "root-password-1"
NASTY = ["' OR '1'='1' --", "x\"); DROP TABLE users;--", "%' UNION SELECT name, password_hash FROM users; *\\'_%"]
# What a leaked SQLite error would say (the values above are echoed in some 400 messages: not these words).
SQL_TEXT = re.compile(rb"sqlite|syntax error|no such (table|column)|unrecognized token|near \\?\"", re.I)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    from conftest import Server
    base = tmp_path_factory.mktemp("bypass")
    config = base / "systole.toml"
    config.write_text(f'[server]\ndata_dir = "{base / "data"}"\n[http]\ndemo_user = ""\n')
    proc = systole("admin", "user", "add", "--config", config, "--name", "root", "--role", "admin", "--password-stdin",
                   input=PASSWORD + "\n")
    assert proc.returncode == 0, proc.stderr
    server = Server(base / "data", ["--config", str(config)], log_path=base / "server.log").start()
    dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, CT)
    server.config = config
    yield server, pydicom.dcmread(CT, stop_before_pixels=True)
    server.stop()


def login(server):
    r = http_request(server.http_port, "POST", "/api/auth/login", json.dumps({"user": "root", "password": PASSWORD}),
                     {"Content-Type": "application/json"})
    assert r.status == 200, r
    return r.json()["token"], r.headers["set-cookie"].split(";")[0]


def raw_request(port, data):
    """Sends bytes as they are; the status code of the answer (0 if the connection was closed unanswered)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                chunk = s.recv(4096)
                if not chunk:
                    break
                answer += chunk
        except ConnectionResetError:
            pass
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return int(match.group(1)) if match else 0


@pytest.mark.parametrize("header", ["Cookie: systole_session=", "Authorization: Bearer ", "X-Padding: "])
def test_oversized_headers_are_refused_and_the_server_keeps_serving(guarded, header):
    server, _ = guarded
    request = f"GET /dicomweb/studies HTTP/1.1\r\nHost: x\r\n{header}{'A' * 65536}\r\n\r\n".encode()
    assert raw_request(server.http_port, request) in (431, 400)
    many = "".join(f"X-H{i}: {'b' * 100}\r\n" for i in range(1000))
    assert raw_request(server.http_port, f"GET /healthz HTTP/1.1\r\nHost: x\r\n{many}\r\n".encode()) in (431, 400)
    assert server.alive() and http_request(server.http_port, "GET", "/healthz").status == 200


def test_a_tampered_or_signed_out_session_cookie_is_refused(guarded):
    server, ds = guarded
    token, cookie = login(server)
    assert http_request(server.http_port, "GET", "/api/auth/me", headers={"Cookie": cookie}).status == 200
    name, value = cookie.split("=", 1)
    flipped = value[:-1] + ("A" if value[-1] != "A" else "B")
    for forged in (f"{name}={flipped}", f"{name}={value}x", f"{name}={value[:-1]}", f"{name}=",
                   f"{name}={value.upper()}", f"{name}=../../{value}", f"{name}={flipped}; {name}={value}"):
        r = http_request(server.http_port, "GET", "/dicomweb/studies", headers={"Cookie": forged})
        assert r.status == 401, (forged, r)
        assert ds.StudyInstanceUID.encode() not in r.body and value.encode() not in r.body
    out = http_request(server.http_port, "POST", "/api/auth/logout", b"", {"Cookie": cookie})
    assert out.status == 200
    replay = http_request(server.http_port, "GET", "/dicomweb/studies", headers={"Cookie": cookie})
    assert replay.status == 401, replay
    assert http_request(server.http_port, "GET", "/dicomweb/studies", headers={"Authorization": f"Bearer {token}"}).status == 401


def _query_parameter_names():
    """Every query parameter a handler reads (request.Param("…") in src/protocols) and the QIDO keys."""
    names = set()
    for source in (REPO / "src/protocols").rglob("*.cpp"):
        if not source.name.endswith("_test.cpp"):
            names.update(re.findall(r'Param\("([A-Za-z_.]+)"\)', source.read_text()))
    names.update(["PatientName", "PatientID", "AccessionNumber", "StudyInstanceUID", "StudyDate", "StudyTime",
                  "ModalitiesInStudy", "ReferringPhysicianName", "StudyDescription", "StudyID", "PatientBirthDate",
                  "PatientSex", "SeriesInstanceUID", "Modality", "SeriesNumber", "SeriesDescription", "SOPInstanceUID",
                  "SOPClassUID", "InstanceNumber", "limit", "offset", "includefield", "fuzzymatching", "00100020"])
    return sorted(names)


def _search_routes(server, token, ds):
    """The GET routes that take query parameters: QIDO, WADO-URI, rendered, the API lists, FHIR searches."""
    study, series, instance = ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID
    routes = ["/dicomweb/studies", "/dicomweb/series", "/dicomweb/instances", f"/dicomweb/studies/{study}/series",
              f"/dicomweb/studies/{study}/instances", f"/dicomweb/studies/{study}/series/{series}/instances",
              f"/dicomweb/studies/{study}/series/{series}/instances/{instance}/rendered", "/wado", "/launch",
              "/api/audit", "/api/deliveries", "/api/admin/orphans", "/api/admin/mismatches",
              "/api/admin/duplicate-patients", "/api/admin/reconciliation-log", "/api/templates",
              f"/api/studies/{study}/reports", f"/api/studies/{study}/measurements"]
    table = json.loads((REPO / "config/permissions.json").read_text())
    patterns = {rule["pattern"] for rule in table["routes"] if rule["method"] == "GET"}
    for route in routes:
        pattern = re.sub(r"/1\.[0-9.]+", "/{x}", route)
        assert any(re.sub(r"\{\w+\}", "{x}", p) == pattern for p in patterns), f"{route} is no longer a route"
    capability = http_request(server.http_port, "GET", "/fhir/metadata", headers={"Authorization": f"Bearer {token}"})
    assert capability.status == 200, capability
    fhir = {}
    for resource in capability.json()["rest"][0]["resource"]:
        routes.append(f"/fhir/{resource['type']}")
        fhir[f"/fhir/{resource['type']}"] = [p["name"] for p in resource.get("searchParam", [])]
    return routes, fhir


def test_sql_meta_characters_in_every_query_parameter_are_data(guarded):
    server, ds = guarded
    token, _ = login(server)
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/dicom+json, application/json, */*"}
    routes, fhir = _search_routes(server, token, ds)
    names = _query_parameter_names()
    tried = 0
    for route in routes:
        for name in names + fhir.get(route, []) + ["_count", "_offset"]:
            for value in NASTY:
                query = urllib.parse.urlencode({name: value})
                r = http_request(server.http_port, "GET", f"{route}?{query}", headers=auth)
                tried += 1
                assert r.status < 500, (route, name, value, r)
                assert not SQL_TEXT.search(r.body), (route, name, value, r)
                if r.status == 200 and route.startswith("/dicomweb/") and name in ("PatientID", "StudyInstanceUID"):
                    assert ds.StudyInstanceUID.encode() not in r.body, (route, name, value)
    assert tried > 1000
    assert server.alive()
    token, _ = login(server)  # the users and sessions tables are intact
    listed = systole("admin", "user", "list", "--config", server.config)
    assert re.search(r"^root\tadmin\t", listed.stdout, re.M), listed
