"""TLS everywhere: HTTPS (curl), DICOM TLS (DCMTK storescu/echoscu), MLLP over TLS (python ssl) in and
out (ORU delivery), security headers, and audit records forwarded to an RFC 5424 syslog collector over TLS.

Certificates are made here with the openssl CLI: a CA, a server certificate for
localhost/127.0.0.1 (SAN), a client certificate for the modality (CN MODALITY1), and a
client certificate from another CA (CN MODALITY1 too: only the CA differs)."""
import json
import re
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse

import hl7
import pytest

from conftest import BINARY, DICOM, TESTDATA, dcmtk, http_request

STUDY_FILE = DICOM / "cine" / "dicomparser__IM00001_implicit_le.dcm"
ADT = TESTDATA / "hl7" / "fhirconverter__ADT-A01-01.hl7"
START, END = b"\x0b", b"\x1c\x0d"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")

    def ca(name):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name}",
                "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)

    def issue(name, cn, ca_name, ext=None):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key",
                "-out", f"{name}.csr", cwd=d)
        extra = []
        if ext:
            (d / f"{name}.ext").write_text(ext)
            extra = ["-extfile", f"{name}.ext"]
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca_name}.pem", "-CAkey", f"{ca_name}.key",
                "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", *extra, cwd=d)

    ca("ca")
    ca("otherca")
    issue("server", "localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    issue("client", "MODALITY1", "ca")
    issue("wrong", "MODALITY1", "otherca")
    return d


def write_config(tmp_path, pki, text):
    path = tmp_path / "tls.toml"
    path.write_text(text.replace("PKI", str(pki)))
    return ["--config", str(path)]


def tls_ports(server):
    line = re.search(r"TLS: https_port=(\d+) dicom_tls_port=(\d+).*? hl7_tls_port=(\d+)", server.log())
    assert line, server.log()
    return {"https": int(line.group(1)), "dicom": int(line.group(2)), "hl7": int(line.group(3))}


def curl(*args):
    return subprocess.run(["curl", "-sS", "--max-time", "20", *map(str, args)], capture_output=True, text=True)


def headers_of(curl_output):
    headers = {}
    for line in curl_output.splitlines():
        if ":" in line and not line.startswith("HTTP/"):
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers


# --------------------------------------------------------------------------- HTTPS

HTTPS = """
[http]
tls_cert = "PKI/server.pem"
tls_key = "PKI/server.key"
tls_port = 0
"""

def test_https_serves_with_security_headers_and_plain_http_keeps_working(make_server, tmp_path, pki):
    server = make_server(extra_args=write_config(tmp_path, pki, HTTPS))
    port = tls_ports(server)["https"]
    got = curl("--cacert", pki / "ca.pem", "-D", "-", "-o", "/dev/null", f"https://localhost:{port}/healthz")
    assert got.returncode == 0, got.stderr
    assert got.stdout.startswith("HTTP/1.1 200"), got.stdout
    headers = headers_of(got.stdout)
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cache-control"] == "no-store"
    # The certificate is checked: without our CA curl refuses it.
    untrusted = curl("-o", "/dev/null", f"https://localhost:{port}/healthz")
    assert untrusted.returncode != 0
    # TLS 1.2 without forward secrecy (RSA key exchange, CBC) is refused by the server's cipher policy.
    weak = curl("--cacert", pki / "ca.pem", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", "AES128-SHA",
                "-o", "/dev/null", f"https://localhost:{port}/healthz")
    assert weak.returncode != 0, weak
    strong = curl("--cacert", pki / "ca.pem", "--tlsv1.2", "--tls-max", "1.2", "-o", "/dev/null", "-w", "%{http_code}",
                  f"https://localhost:{port}/healthz")
    assert strong.stdout == "200", strong
    # Plain HTTP to the TLS port gets no HTTP answer.
    plain_to_tls = curl("-o", "/dev/null", "-w", "%{http_code}", f"http://127.0.0.1:{port}/healthz")
    assert plain_to_tls.returncode != 0 or plain_to_tls.stdout == "000", plain_to_tls
    assert "TLS handshake failed" in server.log()
    # The plain port still answers (the --http-port contract), with the headers but no HSTS.
    plain = http_request(server.http_port, "GET", "/healthz")
    assert plain.status == 200
    assert "strict-transport-security" not in plain.headers
    assert plain.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors" in plain.headers["content-security-policy"]


def test_the_session_cookie_is_secure_over_https_and_still_works_over_the_plain_port(make_server, tmp_path, pki):
    """HTTPS configured, not required: a sign-in over HTTPS gets a Secure cookie; one over the plain
    port gets a cookie without Secure (a Secure one would never come back over http://), which works."""
    data = tmp_path / "cookie-data"
    subprocess.run([str(BINARY), "admin", "user", "add", "--data", str(data), "--name", "carol", "--role", "cardiologist",
                    "--password-stdin"], input="carol-password-1\n", text=True, check=True, capture_output=True)
    server = make_server("cookie", data_dir=data, extra_args=write_config(tmp_path, pki, HTTPS))
    body = json.dumps({"user": "carol", "password": "carol-password-1"})
    over_tls = curl("--cacert", pki / "ca.pem", "-D", "-", "-o", "/dev/null", "-H", "Content-Type: application/json",
                    "--data", body, f"https://localhost:{tls_ports(server)['https']}/api/auth/login")
    assert over_tls.stdout.startswith("HTTP/1.1 200"), over_tls.stdout
    assert "; Secure" in headers_of(over_tls.stdout)["set-cookie"]
    plain = http_request(server.http_port, "POST", "/api/auth/login", body, {"Content-Type": "application/json"})
    assert plain.status == 200, plain
    cookie = plain.headers["set-cookie"]
    assert "Secure" not in cookie and "HttpOnly" in cookie
    me = http_request(server.http_port, "GET", "/api/auth/me", headers={"Cookie": cookie.split(";")[0]})
    assert me.status == 200 and me.json()["user"] == "carol"


def test_tls_required_plain_port_only_redirects(make_server, tmp_path, pki):
    server = make_server(extra_args=write_config(tmp_path, pki, """
[http]
tls_cert = "PKI/server.pem"
tls_key = "PKI/server.key"
tls_port = 0
tls_required = true
frame_ancestors = ["'self'", "https://ehr.example.org"]
"""))
    port = tls_ports(server)["https"]
    redirected = http_request(server.http_port, "GET", "/dicomweb/studies?PatientID=X", headers={"Host": "localhost"})
    assert redirected.status == 301
    assert redirected.headers["location"] == f"https://localhost:{port}/dicomweb/studies"
    assert redirected.body == b""
    secure = curl("--cacert", pki / "ca.pem", "-D", "-", "-o", "/dev/null", f"https://localhost:{port}/dicomweb/studies")
    assert secure.stdout.startswith("HTTP/1.1 200"), secure.stdout + secure.stderr
    headers = headers_of(secure.stdout)
    assert headers["content-security-policy"].endswith("frame-ancestors 'self' https://ehr.example.org")
    assert "x-frame-options" not in headers


def test_bad_tls_configuration_refuses_to_start(tmp_path, pki):
    from conftest import BINARY
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f'[http]\ntls_cert = "{pki}/server.pem"\n')
    proc = subprocess.run([str(BINARY), "serve", "--data", str(tmp_path / "d"), "--config", str(cfg)],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "http.tls_cert and http.tls_key go together" in proc.stdout + proc.stderr
    cfg.write_text(f'[dicom]\ntls_cert = "{pki}/server.pem"\ntls_key = "{pki}/client.key"\ntls_port = 0\n')
    proc = subprocess.run([str(BINARY), "serve", "--data", str(tmp_path / "d"), "--config", str(cfg), "--dicom-port", "0",
                           "--http-port", "0", "--hl7-port", "0"], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0
    assert "does not match" in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- DICOM TLS

DICOM_TLS = """
[dicom]
tls_cert = "PKI/server.pem"
tls_key = "PKI/server.key"
tls_ca = "PKI/ca.pem"
tls_verify_peer = true
tls_port = 0
allowed_peers = ["MODALITY1;cn=MODALITY1", "MODALITY2;cn=MODALITY2", "PLAIN"]
"""


@pytest.fixture
def dicom_tls_server(make_server, tmp_path, pki):
    return make_server(extra_args=write_config(tmp_path, pki, DICOM_TLS))


def tls_args(pki, name):
    return ["+tls", pki / f"{name}.key", pki / f"{name}.pem", "+cf", pki / "ca.pem"]


def test_storescu_over_tls_stores_and_qido_finds_it(dicom_tls_server, pki):
    import pydicom
    port = tls_ports(dicom_tls_server)["dicom"]
    dcmtk("echoscu", *tls_args(pki, "client"), "-aet", "MODALITY1", "-aec", "SYSTOLE", "localhost", port)
    dcmtk("storescu", *tls_args(pki, "client"), "-aet", "MODALITY1", "-aec", "SYSTOLE", "localhost", port, STUDY_FILE)
    study = pydicom.dcmread(STUDY_FILE, stop_before_pixels=True).StudyInstanceUID
    found = http_request(dicom_tls_server.http_port, "GET", f"/dicomweb/studies?StudyInstanceUID={study}")
    assert found.status == 200
    assert json.loads(found.body)[0]["0020000D"]["Value"] == [study]


def test_plain_and_untrusted_associations_are_refused_on_the_tls_port(dicom_tls_server, pki):
    port = tls_ports(dicom_tls_server)["dicom"]
    plain = dcmtk("echoscu", "-aet", "PLAIN", "localhost", port, check=False, timeout=60)
    assert plain.returncode != 0, plain.stdout
    wrong_ca = dcmtk("storescu", *tls_args(pki, "wrong"), "-aet", "MODALITY1", "localhost", port, STUDY_FILE,
                     check=False, timeout=60)
    assert wrong_ca.returncode != 0, wrong_ca.stdout
    # A certificate from the right CA, but not the one configured for this AE title.
    other_subject = dcmtk("echoscu", *tls_args(pki, "client"), "-aet", "MODALITY2", "localhost", port, check=False)
    assert other_subject.returncode != 0
    assert "Association Rejected" in other_subject.stdout, other_subject.stdout
    assert "certificate CN 'MODALITY1' not the one configured" in dicom_tls_server.log()
    # The plain port is still open for plain peers.
    dcmtk("echoscu", "-aet", "PLAIN", "localhost", dicom_tls_server.port)


def test_dicom_tls_required_closes_the_plain_port(make_server, tmp_path, pki):
    server = make_server(extra_args=write_config(tmp_path, pki, DICOM_TLS + "tls_required = true\n"))
    plain = dcmtk("echoscu", "-aet", "PLAIN", "localhost", server.port, check=False, timeout=60)
    assert plain.returncode != 0
    dcmtk("echoscu", *tls_args(pki, "client"), "-aet", "MODALITY1", "localhost", server.port)


# --------------------------------------------------------------------------- MLLP TLS

def mllp_exchange(sock, payload):
    sock.sendall(START + payload + END)
    buffer = b""
    while END not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    return buffer[1:buffer.index(END)].decode()


def tls_client(pki, cert=None):
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if cert:
        context.load_cert_chain(str(pki / f"{cert}.pem"), str(pki / f"{cert}.key"))
    return context


def test_mllp_over_tls_acknowledges_and_plain_is_refused(make_server, tmp_path, pki):
    server = make_server(extra_args=write_config(tmp_path, pki, """
[hl7]
tls_cert = "PKI/server.pem"
tls_key = "PKI/server.key"
tls_ca = "PKI/ca.pem"
tls_verify_peer = true
tls_port = 0
allowed_senders = ["ADTApp"]
"""))
    port = tls_ports(server)["hl7"]
    adt = ADT.read_bytes().replace(b"\r\n", b"\r").replace(b"\n", b"\r")
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with tls_client(pki, "client").wrap_socket(raw, server_hostname="localhost") as sock:
            answer = hl7.parse(mllp_exchange(sock, adt))
            assert str(answer.segment("MSA")[1]) == "AA", str(answer)
            # allowed_senders still apply over TLS
            other = adt.replace(b"|ADTApp|", b"|Intruder|", 1)
            assert str(hl7.parse(mllp_exchange(sock, other)).segment("MSA")[1]) == "AR"
    # Plain MLLP to the TLS port: no answer, the connection is closed.
    with socket.create_connection(("127.0.0.1", port), timeout=20) as plain:
        with pytest.raises((ConnectionError, OSError)):
            mllp_exchange(plain, adt)
    # A client without a certificate is refused (TLS 1.3: the alert arrives on the first read).
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            with tls_client(pki).wrap_socket(raw, server_hostname="localhost") as sock:
                mllp_exchange(sock, adt)


# --------------------------------------------------------------------------- syslog

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<version>1) "
    r"(?P<timestamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) "
    r"(?P<host>[!-~]{1,255}) (?P<app>[!-~]{1,48}) (?P<procid>[!-~]{1,128}) (?P<msgid>[!-~]{1,32}) "
    r"(?P<sd>-|(?:\[[^\]]*\])+) (?P<msg>.*)$", re.S)


class TlsListener:
    """A loopback TLS server (python ssl, our server certificate): each connection is handed to serve(conn)."""

    def __init__(self, pki, cert="server"):
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(pki / f"{cert}.pem"), str(pki / f"{cert}.key"))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.errors = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                raw, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw):
        try:
            with self.context.wrap_socket(raw, server_side=True) as conn:
                self.serve(conn)
        except (OSError, ssl.SSLError) as error:
            self.errors.append(str(error))

    def close(self):
        self.listener.close()


class SyslogReceiver(TlsListener):
    """RFC 5425: TLS, octet-counted frames ("LEN SP MSG")."""

    def __init__(self, pki):
        self.frames = []
        super().__init__(pki)

    def serve(self, conn):
        buffer = b""
        while True:
            chunk = conn.recv(65536)
            if not chunk:
                return
            buffer += chunk
            while b" " in buffer:
                length, rest = buffer.split(b" ", 1)
                if not length.isdigit():
                    self.errors.append(f"bad frame length {length[:20]!r}")
                    return
                if len(rest) < int(length):
                    break
                self.frames.append(rest[:int(length)].decode("utf-8"))
                buffer = rest[int(length):]


def test_audit_records_reach_syslog_over_tls_as_rfc5424(make_server, tmp_path, pki):
    receiver = SyslogReceiver(pki)
    try:
        server = make_server(extra_args=write_config(tmp_path, pki, f"""
[audit]
syslog_host = "localhost"
syslog_port = {receiver.port}
syslog_transport = "tls"
syslog_ca = "PKI/ca.pem"
"""))
        query = http_request(server.http_port, "GET", "/dicomweb/studies?PatientID=TLS-AUDIT")
        assert query.status == 200
        deadline = time.time() + 15
        lines = []
        while time.time() < deadline and not lines:
            lines = [f for f in receiver.frames if " 110112 " in f and "TLS-AUDIT" in f]
            time.sleep(0.1)
        assert lines, (receiver.frames, receiver.errors, server.log()[-2000:])
        match = RFC5424.match(lines[0])
        assert match, lines[0]
        assert match["pri"] == "85"  # facility 10 (authpriv), severity 5 (notice)
        assert match["app"] == "systole"
        assert match["msgid"] == "110112"
        assert match["sd"] == "-"
        assert match["procid"] == str(server.proc.pid)
        message = json.loads(match["msg"])
        assert message["EventIdentification"]["EventID"]["csd-code"] == "110112"
        assert "PatientID=TLS-AUDIT" in urllib.parse.unquote(json.dumps(message))
        assert receiver.errors == []
    finally:
        receiver.close()


def test_absent_syslog_collector_never_fails_requests(make_server, tmp_path, pki):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead_port = s.getsockname()[1]
    server = make_server(extra_args=write_config(tmp_path, pki, f"""
[audit]
syslog_host = "127.0.0.1"
syslog_port = {dead_port}
syslog_transport = "tcp"
"""))
    started = time.time()
    for _ in range(5):
        assert http_request(server.http_port, "GET", "/dicomweb/studies").status == 200
    assert time.time() - started < 5
    time.sleep(0.5)
    assert "cannot connect" in server.log()


# --------------------------------------------------------------------------- ORU delivery over TLS

class TlsMllpReceiver(TlsListener):
    """An MLLP/TLS receiver that acknowledges every ORU with AA."""

    def __init__(self, pki, cert="server"):
        self.messages = []
        super().__init__(pki, cert)

    def serve(self, conn):
        data = b""
        while not data.endswith(END):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        text = data.strip(b"\x0b\x1c\r").decode("utf-8")
        self.messages.append(text)
        control = str(hl7.parse(text.replace("\n", "\r")).segment("MSH")(10))
        ack = f"MSH|^~\\&|EHR|X|SYSTOLE||20261123||ACK|A1|P|2.5.1\rMSA|AA|{control}"
        conn.sendall(START + ack.encode() + END)


def queue_report_for(tmp_path, make_server, args, name):
    """Creates the index with a first start, then queues a signed report for the EHR destination."""
    import sqlite3
    from test_delivery import report
    data = tmp_path / name
    make_server(f"{name}-init", extra_args=args, data_dir=data).stop()
    with sqlite3.connect(data / "index.db") as db:
        db.execute("INSERT INTO delivery_jobs (report_id, version, destination, state, document, created_at, "
                   "next_attempt_at) VALUES ('RPT-IT-1', 1, 'EHR', 'pending', ?, '2026-11-23T00:00:00.000Z', "
                   "'2026-11-23T00:00:00.000Z')", (json.dumps(report()),))
    return data


def ehr_job(server):
    jobs = json.loads(http_request(server.http_port, "GET", "/api/deliveries").body)["deliveries"]
    return [j for j in jobs if j["destination"] == "EHR"][0]


def test_oru_is_delivered_over_tls_and_an_untrusted_receiver_gets_nothing(make_server, tmp_path, pki):
    trusted, impostor = TlsMllpReceiver(pki), TlsMllpReceiver(pki, cert="wrong")
    try:
        for receiver, name in ((trusted, "trusted"), (impostor, "impostor")):
            (tmp_path / name).mkdir()
            args = write_config(tmp_path / name, pki, f"""
[delivery]
retry_initial_seconds = 1
hl7_destinations = ["EHR=localhost:{receiver.port};tls"]
hl7_tls_ca = "PKI/ca.pem"
""")
            data = queue_report_for(tmp_path, make_server, args, name + "-data")
            server = make_server(name, extra_args=args, data_dir=data)
            deadline = time.time() + 30
            while time.time() < deadline and not ehr_job(server)["attempts"]:
                time.sleep(0.2)
            job = ehr_job(server)
            assert job["attempts"], job
            if receiver is trusted:
                assert job["state"] == "delivered", job
                assert job["attempts"][-1]["ackCode"] == "AA"
                assert len(trusted.messages) == 1 and "|ORU^R01" in trusted.messages[0], trusted.messages
            else:
                assert job["state"] == "pending", job
                assert "certificate" in job["attempts"][0]["detail"], job
                assert impostor.messages == []
    finally:
        trusted.close()
        impostor.close()
