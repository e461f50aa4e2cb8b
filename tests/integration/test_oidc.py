"""OpenID Connect bearer tokens against the real server (issue 7).

The test is the issuer: it generates one RSA and one EC P-256 key
(python3-cryptography), publishes them as a JWKS on a local http.server, and
signs access tokens itself (RS256, ES256; JWS done here, no JWT library).
`systole serve` runs with the demo login off and oidc.* pointing at that JWKS.
Valid tokens read QIDO with the mapped role; a role without the permission and
an account with no mapped role get 403; every bypass attempt (no token,
expired, not yet valid, forged signature, alg none, HS256 keyed with the public
key, wrong audience, wrong issuer, unknown kid, garbage) gets 401 with
`WWW-Authenticate: Bearer error="invalid_token"` and a body that names nothing
of the token or the archive.
"""
import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pydicom
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import DICOM, OUR_AE, dcmtk, http_request

CT = DICOM / "ct/pydicom__CT_small.dcm"
ISSUER = "https://idp.test.invalid/realms/cardio"
AUDIENCE = "systole"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64url(n, length=None):
    return b64url(n.to_bytes(length or (n.bit_length() + 7) // 8, "big"))


def public_jwk(key, kid):
    numbers = key.public_key().public_numbers()
    if isinstance(key, rsa.RSAPrivateKey):
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": int_b64url(numbers.n),
                "e": int_b64url(numbers.e)}
    return {"kty": "EC", "kid": kid, "use": "sig", "crv": "P-256", "x": int_b64url(numbers.x, 32),
            "y": int_b64url(numbers.y, 32)}


def jws(header, claims, sign):
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return signing_input + "." + b64url(sign(signing_input.encode()))


def rs256(key):
    return lambda data: key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def es256(key):
    def sign(data):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return sign


def claims(user="carol", groups=("staff", "cardio-readers"), **changes):
    now = int(time.time())
    base = {"iss": ISSUER, "aud": [AUDIENCE, "account"], "exp": now + 300, "iat": now - 5, "nbf": now - 5,
            "sub": "sub-" + user, "preferred_username": user, "groups": list(groups)}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


class Issuer:
    """The local identity provider: keys, its JWKS over HTTP, and token signing."""

    def __init__(self):
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.jwks = {"keys": [public_jwk(self.rsa, "rsa-1"), public_jwk(self.ec, "ec-1")]}
        self.fetches = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.fetches += 1
                body = json.dumps(issuer.jwks).encode()
                self.send_response(200 if self.path == "/certs" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/certs"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def rs256_token(self, **kw):
        return jws({"alg": "RS256", "typ": "JWT", "kid": "rsa-1"}, claims(**kw), rs256(self.rsa))

    def es256_token(self, **kw):
        return jws({"alg": "ES256", "typ": "JWT", "kid": "ec-1"}, claims(**kw), es256(self.ec))

    def stop(self):
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def oidc(tmp_path_factory):
    from conftest import Server
    issuer = Issuer()
    base = tmp_path_factory.mktemp("oidc")
    config = base / "systole.toml"
    config.write_text(f'''[server]
data_dir = "{base / 'data'}"
[http]
demo_user = ""
[oidc]
issuer = "{ISSUER}"
audience = "{AUDIENCE}"
jwks_url = "{issuer.url}"
role_claim = "groups"
role_map = ["cardio-admins=admin", "cardio-readers=cardiologist", "cardio-audit=auditor"]
''')
    server = Server(base / "data", ["--config", str(config)], log_path=base / "server.log").start()
    dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, CT)
    ds = pydicom.dcmread(CT, stop_before_pixels=True)
    yield server, issuer, ds
    server.stop()
    issuer.stop()


def get(server, path, token=None, headers=None):
    headers = dict(headers or {})
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return http_request(server.http_port, "GET", path, headers=headers)


def test_keys_are_fetched_at_start_and_logged(oidc):
    server, issuer, _ = oidc
    assert issuer.fetches >= 1
    assert f"oidc: bearer tokens of {ISSUER} for audience {AUDIENCE} accepted" in server.log()


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_signed_tokens_read_qido_with_the_mapped_role(oidc, alg):
    server, issuer, ds = oidc
    token = issuer.rs256_token() if alg == "RS256" else issuer.es256_token()
    r = get(server, "/dicomweb/studies", token, {"Accept": "application/dicom+json"})
    assert r.status == 200, r
    assert ds.StudyInstanceUID.encode() in r.body
    me = get(server, "/api/auth/me", token)
    assert me.status == 200 and me.json()["user"] == "carol" and me.json()["role"] == "cardiologist"


def test_a_role_without_the_permission_gets_403(oidc):
    server, issuer, ds = oidc
    auditor = issuer.es256_token(user="audrey", groups=["cardio-audit"])
    r = get(server, "/dicomweb/studies", auditor)
    assert r.status == 403, r
    assert ds.StudyInstanceUID.encode() not in r.body and ds.PatientID.encode() not in r.body
    assert get(server, "/api/audit?limit=1", auditor).status == 200


def test_an_account_with_no_mapped_role_gets_403_with_a_clear_message(oidc):
    server, issuer, ds = oidc
    r = get(server, "/dicomweb/studies", issuer.rs256_token(user="nina", groups=["staff", "nursing"]))
    assert r.status == 403, r
    assert r.json()["error"]["message"] == "no Systole role for this account"
    assert b"nursing" not in r.body and b"nina" not in r.body
    assert "user nina has no Systole role" in server.log()


def _bypass_tokens(issuer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = issuer.rsa.public_key().public_bytes(serialization.Encoding.PEM,
                                                       serialization.PublicFormat.SubjectPublicKeyInfo)
    admin = {"groups": ["cardio-admins"]}
    rs = {"alg": "RS256", "typ": "JWT", "kid": "rsa-1"}
    now = int(time.time())
    return {
        "expired": issuer.rs256_token(exp=now - 3600, iat=now - 7200, nbf=now - 7200, **admin),
        "not yet valid": issuer.rs256_token(nbf=now + 3600, **admin),
        "no exp": issuer.es256_token(exp=None, **admin),
        "forged signature": jws(rs, claims(**admin), rs256(other)),
        "tampered claims": (lambda t: t.split(".")[0] + "." + b64url(json.dumps(claims(**admin)).encode()) + "."
                            + t.split(".")[2])(issuer.rs256_token()),
        "alg none": jws({"alg": "none", "typ": "JWT", "kid": "rsa-1"}, claims(**admin), lambda _: b""),
        "HS256 with the public key": jws({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"}, claims(**admin),
                                         lambda data: hmac.new(public_pem, data, hashlib.sha256).digest()),
        "ES256 header on the RSA key": jws({"alg": "ES256", "kid": "rsa-1"}, claims(**admin), es256(issuer.ec)),
        "wrong audience": issuer.rs256_token(aud="another-app", **admin),
        "wrong issuer": issuer.es256_token(iss="https://evil.test.invalid/realms/cardio", **admin),
        "unknown kid": jws({"alg": "RS256", "typ": "JWT", "kid": "rsa-2"}, claims(**admin), rs256(other)),
        "garbage": "not.a.jwt",
        "garbage base64": "eyJ!!.eyJ.%%",
    }


def test_bypass_attempts_are_refused_and_leak_nothing(oidc):
    server, issuer, ds = oidc
    no_token = get(server, "/dicomweb/studies")
    assert no_token.status == 401 and no_token.headers["www-authenticate"].startswith("Bearer")
    for name, token in _bypass_tokens(issuer).items():
        for path in ("/dicomweb/studies", f"/dicomweb/studies/{ds.StudyInstanceUID}/metadata", "/api/audit"):
            r = get(server, path, token)
            assert r.status == 401, (name, path, r)
            assert 'error="invalid_token"' in r.headers.get("www-authenticate", ""), (name, r.headers)
            assert r.json() == {"error": {"status": 401, "message": "invalid or expired credentials"}}, (name, r)
            for secret in (ds.StudyInstanceUID, ds.PatientID, str(ds.PatientName), "carol", "cardio", "idp.test"):
                assert secret.encode() not in r.body, (name, secret)
    log = server.log()
    for reason in ("expired", "not valid yet (nbf)", "bad signature", "algorithm \"none\" not accepted",
                   "algorithm \"HS256\" not accepted", "wrong audience", "wrong issuer", "unknown kid", "no exp claim"):
        assert reason in log, reason
    assert get(server, "/healthz").status == 200


def test_an_unknown_kid_refetches_the_jwks_at_most_once_a_minute(oidc):
    server, issuer, _ = oidc
    before = issuer.fetches
    stranger = ec.generate_private_key(ec.SECP256R1())
    for _ in range(3):
        token = jws({"alg": "ES256", "kid": f"rotated-{time.time()}"}, claims(), es256(stranger))
        assert get(server, "/dicomweb/studies", token).status == 401
    assert issuer.fetches - before <= 1


def test_sign_ins_by_token_are_audited_first_use_once_refusals_without_a_user(oidc):
    server, issuer, ds = oidc
    dora = issuer.rs256_token(user="dora")
    for _ in range(3):
        assert get(server, "/dicomweb/studies?PatientID=" + urllib.parse.quote(ds.PatientID), dora).status == 200
    auditor = issuer.es256_token(user="audrey", groups=["cardio-audit"])
    r = get(server, "/api/audit?user=dora", auditor)
    assert r.status == 200, r
    records = r.json()["records"]
    sign_ins = [rec for rec in records if "OIDC bearer token" in json.dumps(rec["message"])]
    queries = [rec for rec in records if "OIDC bearer token" not in json.dumps(rec["message"])]
    assert len(sign_ins) == 1, records
    assert len(queries) == 3 and all(rec["patient"] == ds.PatientID for rec in queries), queries
    assert "dora (role cardiologist) signed in with an OIDC token" in server.log()
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jws({"alg": "RS256", "kid": "rsa-1"}, claims(user="dora"), rs256(forger))
    assert get(server, "/dicomweb/studies?forged=dora", forged).status == 401
    refused = [rec for rec in get(server, "/api/audit?limit=100000", auditor).json()["records"]
               if "OIDC bearer token refused: GET /dicomweb/studies" in json.dumps(rec["message"])]
    assert refused and all(rec["user"] == "" for rec in refused), refused
    assert get(server, "/api/audit?user=dora", auditor).json()["records"] == records  # nothing in her name


def test_an_https_jwks_with_an_untrusted_certificate_is_not_used(make_server, tmp_path):
    """The JWKS over https with a self-signed certificate: the server starts, says why the keys
    did not load, and refuses tokens signed with them (the certificate is checked, not trusted blindly)."""
    import datetime
    import ssl
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    issuer = Issuer()
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    issuer.httpd.socket = context.wrap_socket(issuer.httpd.socket, server_side=True)
    url = issuer.url.replace("http://", "https://")
    try:
        server = make_server("https-jwks", env={
            "SYSTOLE_HTTP_DEMO_USER": "", "SYSTOLE_OIDC_ISSUER": ISSUER, "SYSTOLE_OIDC_AUDIENCE": AUDIENCE,
            "SYSTOLE_OIDC_JWKS_URL": url, "SYSTOLE_OIDC_ROLE_MAP": "cardio-readers=cardiologist"})
        assert f"oidc: cannot load the issuer's keys from {url}" in server.log()
        assert "certificate verify failed" in server.log()
        r = get(server, "/dicomweb/studies", issuer.rs256_token())
        assert r.status == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    finally:
        issuer.stop()
