"""Bad DICOMweb requests against the real `systole serve`: each is answered with the right 4xx and a
JSON error body ({"error": {"status", "message"}}), and none crashes or blocks the server.

Complements test_dicomweb.py (which covers unknown UIDs, malformed multipart bodies, STOW media types,
retrieve Accept headers, frame-number syntax, path traversal, malformed HTTP and wrong methods one by
one): here every bad request is followed by good requests on the same server, and the cases it does
not cover are added: oversized and lying Content-Length, Accept errors on frames / metadata / QIDO /
bulk data, unknown transfer syntaxes in Accept, more STOW Content-Type errors, and slow
(slowloris-style) or abandoned requests held open while other clients are served.
"""
import concurrent.futures
import json
import socket
import threading
import time
import uuid

import pydicom
import pytest

from conftest import DICOM, http_request

CT = "ct/pydicom__CT_small.dcm"                # 1 frame, explicit VR LE
CINE = "cine/dicomparser__IM00001_implicit_le.dcm"  # 8 frames, native
JPEG = "cine/orthanc__Issue16.dcm"             # 34 frames, JPEG baseline
SR = "sr/pydicom__test-SR.dcm"                 # no pixel data
MULTIPART_DICOM = 'multipart/related; type="application/dicom"'


def request(port, method, path, body=None, headers=None, timeout=60):
    return http_request(port, method, path, body, headers, timeout)


def get(port, path, accept=None, timeout=60):
    return request(port, "GET", path, headers={"Accept": accept} if accept else {}, timeout=timeout)


def multipart(parts, boundary=None):
    boundary = boundary or "bad-requests-" + uuid.uuid4().hex
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + (b"Content-Type: " + ct.encode() + b"\r\n" if ct else b"")
                    + b"\r\n" + data + b"\r\n" for ct, data in parts)
    return boundary, body + b"--" + boundary.encode() + b"--\r\n"


def assert_json_error(response, *statuses):
    assert response.status in statuses, response
    assert response.content_type.startswith("application/json"), response
    error = response.json()["error"]
    assert error["status"] == response.status, response
    assert isinstance(error["message"], str) and error["message"].strip(), response


def read(rel):
    return pydicom.dcmread(str(DICOM / rel), force=True, stop_before_pixels=True)


def instance_path(ds):
    return f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"


def raw_exchange(port, data, timeout=20, shutdown_write=False):
    """Sends raw bytes; returns (status or None, response bytes, seconds until the server answered/closed)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        if shutdown_write:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks) and not shutdown_write:
                    # Enough for the status line and headers; read the body if it has a length.
                    head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                    length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")]
                    if length and len(rest) >= length[0]:
                        break
        except (ConnectionResetError, socket.timeout):
            pass
    response = b"".join(chunks)
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.") else None
    return status, response, time.monotonic() - started


def raw_json_error(response):
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"application/json" in head.lower(), head
    error = json.loads(body)["error"]
    assert error["message"], body
    return error


class Archive:
    def __init__(self, server):
        self.server, self.port = server, server.http_port
        self.ct, self.cine, self.jpeg, self.sr = read(CT), read(CINE), read(JPEG), read(SR)
        self.cine_frame_size = self.cine.Rows * self.cine.Columns * self.cine.SamplesPerPixel

    def get(self, path, accept=None, timeout=60):
        return get(self.port, path, accept, timeout)

    def assert_serving(self, timeout=10):
        """Good requests are answered promptly: a search, a metadata request and a frame."""
        started = time.monotonic()
        r = self.get(f"/dicomweb/studies?StudyInstanceUID={self.cine.StudyInstanceUID}", timeout=timeout)
        assert r.status == 200 and len(r.json()) == 1, r
        r = self.get(instance_path(self.ct) + "/metadata", timeout=timeout)
        assert r.status == 200 and r.json()[0]["00080018"]["Value"] == [str(self.ct.SOPInstanceUID)], r
        r = self.get(instance_path(self.cine) + "/frames/8", timeout=timeout)
        assert r.status == 200 and len(r.body) > self.cine_frame_size, r
        assert self.server.alive()
        assert time.monotonic() - started < timeout


@pytest.fixture(scope="module")
def archive(make_module_server):
    server = make_module_server("bad-requests")
    boundary, body = multipart([("application/dicom", (DICOM / rel).read_bytes()) for rel in (CT, CINE, JPEG, SR)])
    r = request(server.http_port, "POST", "/dicomweb/studies", body,
                {"Content-Type": f"{MULTIPART_DICOM}; boundary={boundary}"})
    assert r.status == 200, r
    return Archive(server)


# --------------------------------------------------------------------------------------------------
# Unknown UIDs, path traversal, frame numbers: right status, JSON error, server still serving
# --------------------------------------------------------------------------------------------------

def test_unknown_uids_then_good_requests(archive):
    ct = archive.ct
    for path in (f"/dicomweb/studies/1.2.3.4.5.999/metadata",
                 f"/dicomweb/studies/{ct.StudyInstanceUID}/series/1.2.3.999/instances/{ct.SOPInstanceUID}/metadata",
                 f"/dicomweb/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}/instances/1.2.3.999/frames/1",
                 f"/dicomweb/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}/instances/1.2.3.999",
                 f"/dicomweb/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}/instances/1.2.3.999/bulk/7FE00010",
                 "/wado?requestType=WADO&studyUID=1.2.3&seriesUID=1.2.4&objectUID=1.2.5&contentType=application/dicom"):
        assert_json_error(archive.get(path), 404)
        archive.assert_serving()


@pytest.mark.parametrize("path", [
    "/dicomweb/studies/../../../../etc/passwd",
    "/dicomweb/studies/%2e%2e%2f%2e%2e%2fetc%2fpasswd/metadata",
    "/dicomweb/studies/1.2.3/series/%2e%2e/instances/%2e%2e/frames/1",
    "/dicomweb/studies/..%5c..%5c..%5cwindows%5cwin.ini",
    "/dicomweb/studies/1.2.3%00.dcm/metadata",
    "/dicomweb/studies/1.2.3/series/4.5.6/instances/7.8.9/bulk/..%2f..%2f..%2fetc%2fpasswd",
])
def test_path_traversal_then_good_requests(archive, path):
    r = archive.get(path)
    assert_json_error(r, 400, 404)
    assert b"root:" not in r.body
    archive.assert_serving()


@pytest.mark.parametrize("frames,statuses", [
    ("0", (400, 404)), ("abc", (400,)), ("1,,2", (400,)), ("9", (400, 404)), ("1,2,9", (400, 404)),
    ("4294967297", (400, 404)), ("1-3", (400,)), ("", (400, 404)),
])
def test_bad_frame_numbers_then_good_requests(archive, frames, statuses):
    assert_json_error(archive.get(instance_path(archive.cine) + f"/frames/{frames}"), *statuses)
    archive.assert_serving()


def test_frames_of_an_instance_without_pixel_data(archive):
    assert_json_error(archive.get(instance_path(archive.sr) + "/frames/1"), 404, 400)
    archive.assert_serving()


@pytest.mark.parametrize("tag,statuses", [("ZZZZZZZZ", (400,)), ("7FE0", (400,)), ("00100010", (404,)),
                                          ("..%2f..%2f", (400, 404))])
def test_bad_bulk_data_paths(archive, tag, statuses):
    assert_json_error(archive.get(instance_path(archive.ct) + f"/bulk/{tag}"), *statuses)
    archive.assert_serving()


# --------------------------------------------------------------------------------------------------
# Accept headers
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("accept", [
    "image/jpeg",
    "application/dicom",
    'multipart/related; type="application/dicom"',
    'multipart/related; type="image/jpeg"; transfer-syntax=1.2.840.10008.1.2.4.50',
    "text/html",
])
def test_frames_with_unacceptable_accept_are_406(archive, accept):
    assert_json_error(archive.get(instance_path(archive.cine) + "/frames/1", accept=accept), 406)
    archive.assert_serving()


@pytest.mark.parametrize("accept", [
    'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.3.4.5.6.999',
    'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.4.50',
    'multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.2',
])
def test_frames_with_unknown_transfer_syntax_in_accept_are_406(archive, accept):
    assert_json_error(archive.get(instance_path(archive.cine) + "/frames/1", accept=accept), 406)


@pytest.mark.parametrize("accept", [
    'multipart/related; type="application/dicom"; transfer-syntax=1.2.3.4.5.6.999',
    'multipart/related; type="application/pdf"',
    "application/dicom+xml",
])
def test_instance_retrieve_with_unknown_syntax_or_type_is_406(archive, accept):
    assert_json_error(archive.get(instance_path(archive.cine), accept=accept), 406)
    archive.assert_serving()


@pytest.mark.parametrize("what,accept", [
    ("metadata", "image/jpeg"),
    ("metadata", 'multipart/related; type="application/dicom"'),
    ("metadata", "text/html"),
    ("qido", "image/jpeg"),
    ("qido", "application/dicom"),
    ("qido", "text/html"),
])
def test_metadata_and_qido_with_unacceptable_accept_are_406(archive, what, accept):
    path = instance_path(archive.ct) + "/metadata" if what == "metadata" else "/dicomweb/studies"
    assert_json_error(archive.get(path, accept=accept), 406)


@pytest.mark.parametrize("accept", ["application/dicom+json", "application/json", "*/*",
                                    "application/dicom+json, application/json;q=0.5"])
def test_metadata_and_qido_acceptable_accept_headers(archive, accept):
    for path in (instance_path(archive.ct) + "/metadata", "/dicomweb/studies"):
        r = archive.get(path, accept=accept)
        assert r.status == 200 and r.content_type.startswith("application/dicom+json"), (path, accept, r)


# --------------------------------------------------------------------------------------------------
# STOW-RS Content-Type and body errors
# --------------------------------------------------------------------------------------------------

def stow_raw(archive, body, content_type, path="/dicomweb/studies"):
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return request(archive.port, "POST", path, body, headers)


@pytest.mark.parametrize("content_type", [
    "multipart/form-data; boundary=XYZ",
    "multipart/mixed; boundary=XYZ",
    'multipart/related; type="text/plain"; boundary=XYZ',
    'multipart/related; type="application/dicom+xml"; boundary=XYZ',
    "image/jpeg",
    "",
    ";;;",
])
def test_stow_unsupported_content_types_are_415(archive, content_type):
    boundary, body = multipart([("application/dicom", (DICOM / CT).read_bytes())], boundary="XYZ")
    assert_json_error(stow_raw(archive, body, content_type), 415)
    archive.assert_serving()


@pytest.mark.parametrize("case", ["boundary-empty", "boundary-only-quotes", "no-crlf-after-delimiter",
                                  "garbage-after-close", "many-empty-parts", "part-header-flood"])
def test_stow_odd_multipart_bodies_get_4xx_json(archive, case):
    data = (DICOM / CT).read_bytes()
    if case == "boundary-empty":
        r = stow_raw(archive, b"--\r\n\r\n" + data + b"\r\n----\r\n", f"{MULTIPART_DICOM}; boundary=")
        assert_json_error(r, 400)
    elif case == "boundary-only-quotes":
        r = stow_raw(archive, b"--\r\n\r\n" + data + b"\r\n----\r\n", f'{MULTIPART_DICOM}; boundary=""')
        assert_json_error(r, 400)
    elif case == "no-crlf-after-delimiter":
        r = stow_raw(archive, b"--B" + data + b"\r\n--B--", f"{MULTIPART_DICOM}; boundary=B")
        assert 400 <= r.status < 500, r
        assert r.content_type.startswith(("application/json", "application/dicom+json")), r
    elif case == "garbage-after-close":
        _, body = multipart([("application/dicom", data)], boundary="B")
        r = stow_raw(archive, body + b"\x00\xff" * 1000, f"{MULTIPART_DICOM}; boundary=B")
        assert r.status in (200, 400), r  # an epilogue is allowed (RFC 2046); either way no crash
    elif case == "many-empty-parts":
        body = b"".join(b"--B\r\nContent-Type: application/dicom\r\n\r\n\r\n" for _ in range(20000)) + b"--B--\r\n"
        started = time.monotonic()
        r = stow_raw(archive, body, f"{MULTIPART_DICOM}; boundary=B")
        assert r.status in (400, 409, 413), r
        assert r.content_type.startswith(("application/json", "application/dicom+json")), r
        assert time.monotonic() - started < 30
    elif case == "part-header-flood":
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 50) for i in range(20000))
        body = b"--B\r\n" + headers + b"Content-Type: application/dicom\r\n\r\n" + data + b"\r\n--B--\r\n"
        r = stow_raw(archive, body, f"{MULTIPART_DICOM}; boundary=B")
        assert r.status in (200, 400, 413), r
    archive.assert_serving()


def test_stow_to_unknown_route_or_bad_study_uid(archive):
    boundary, body = multipart([("application/dicom", (DICOM / CT).read_bytes())])
    ct = f"{MULTIPART_DICOM}; boundary={boundary}"
    assert_json_error(stow_raw(archive, body, ct, "/dicomweb/studies/1.2.3/series"), 404, 405)
    r = stow_raw(archive, body, ct, "/dicomweb/studies/not-a-uid")
    assert r.status in (400, 404, 409), r
    archive.assert_serving()


# --------------------------------------------------------------------------------------------------
# Oversized and lying bodies
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("length", [str(3 << 30), str(1 << 62), "99999999999999999999999"])
def test_oversized_declared_body_is_413_without_reading_it(archive, length):
    """A Content-Length over the body limit (2 GiB) is refused from the headers alone: 413 (or 400 for a
    length that is not a number Beast can hold), JSON, at once, without waiting for the body."""
    head = (f"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: {MULTIPART_DICOM}; boundary=B\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    status, response, seconds = raw_exchange(archive.port, head + b"--B\r\n" + b"x" * 1000)
    assert status in (413, 400), response[:300]
    if length == str(3 << 30):
        assert status == 413, response[:300]
    raw_json_error(response)
    assert seconds < 5
    archive.assert_serving()


def test_oversized_chunked_stow_body_does_not_block(archive):
    """A chunked body whose chunk-size line claims more than the limit is refused, not buffered."""
    head = (f"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: {MULTIPART_DICOM}; boundary=B\r\n"
            "Transfer-Encoding: chunked\r\n\r\n").encode()
    status, response, seconds = raw_exchange(archive.port, head + b"FFFFFFFFFF\r\n" + b"x" * 1000)
    assert status in (413, 400), response[:300]
    raw_json_error(response)
    assert seconds < 5
    archive.assert_serving()


def test_body_shorter_than_content_length_then_close(archive):
    """The client announces 10 MB, sends 1 KB and closes its side: the server gives up on that
    connection (no answer needed) and keeps serving others."""
    head = (f"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: {MULTIPART_DICOM}; boundary=B\r\n"
            f"Content-Length: {10 << 20}\r\n\r\n").encode()
    status, response, seconds = raw_exchange(archive.port, head + b"--B\r\n" + b"x" * 1000, shutdown_write=True)
    assert status in (None, 400), response[:300]
    assert seconds < 5
    archive.assert_serving()


def test_large_valid_looking_garbage_body_is_refused_cleanly(archive):
    """40 MB that is not DICOM in one part: a STOW failure (409) with a reason, not a crash or a hang."""
    boundary, body = multipart([("application/dicom", b"\x00DICM-but-not-really" * (2 << 20))])
    started = time.monotonic()
    r = stow_raw(archive, body, f"{MULTIPART_DICOM}; boundary={boundary}")
    assert r.status == 409, r
    assert "00081198" in r.json()
    assert time.monotonic() - started < 60
    archive.assert_serving()


# --------------------------------------------------------------------------------------------------
# Slow and abandoned clients must not block the others
# --------------------------------------------------------------------------------------------------

def test_slowloris_partial_requests_do_not_block_other_clients(archive):
    """20 connections each send half a request line / half the headers and then stall; meanwhile 30
    good requests from other connections are answered promptly, in parallel."""
    stalled = []
    try:
        for i in range(20):
            s = socket.create_connection(("127.0.0.1", archive.port), timeout=30)
            s.sendall(b"GET /dicomweb/studies HTTP/1.1\r\nHost: x\r\nX-Slow-" if i % 2 else b"GET /dicomweb/stu")
            stalled.append(s)
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: archive.get(instance_path(archive.cine) + "/frames/1", timeout=15).status,
                                    range(30)))
        assert results == [200] * 30
        assert time.monotonic() - started < 20
        archive.assert_serving()
    finally:
        for s in stalled:
            s.close()


def test_slow_body_upload_does_not_block_other_clients(archive):
    """One STOW upload trickles its body (a few bytes at a time); other clients are served meanwhile,
    and the trickled upload still completes correctly."""
    data = (DICOM / CT).read_bytes()
    boundary, body = multipart([("application/dicom", data)])
    head = (f"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Content-Type: {MULTIPART_DICOM}; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    result = {}

    def trickle():
        with socket.create_connection(("127.0.0.1", archive.port), timeout=30) as s:
            s.sendall(head)
            step = max(1, len(body) // 20)
            for k in range(0, len(body), step):
                s.sendall(body[k:k + step])
                time.sleep(0.1)
            chunks = []
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
            result["response"] = b"".join(chunks)

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        for _ in range(5):
            archive.assert_serving(timeout=5)
    finally:
        thread.join(timeout=60)
    assert result.get("response", b"").startswith(b"HTTP/1.1 200"), result.get("response", b"")[:300]


def test_many_idle_connections_beyond_the_limit_get_a_prompt_answer(archive):
    """More idle connections than http max_connections (64): a new client is still answered at once
    (503 while the pool is full is acceptable: it is not left hanging), and once the idle connections
    go away good requests are served again."""
    idle = []
    try:
        for _ in range(70):
            idle.append(socket.create_connection(("127.0.0.1", archive.port), timeout=30))
        time.sleep(0.5)
        started = time.monotonic()
        status, response, _ = raw_exchange(archive.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                           timeout=10)
        assert status in (200, 503), response[:300]
        assert time.monotonic() - started < 5
        print(f"\nwith 70 idle connections open, a new client got {status}")
    finally:
        for s in idle:
            s.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if archive.get("/healthz", timeout=5).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    archive.assert_serving()


def test_seventy_stalled_partial_requests_do_not_lock_out_a_new_client(archive):
    stalled = []
    try:
        for _ in range(70):
            s = socket.create_connection(("127.0.0.1", archive.port), timeout=30)
            s.sendall(b"GET /dicomweb/studies HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            stalled.append(s)
        time.sleep(0.5)
        status, response, seconds = raw_exchange(
            archive.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout=10)
        assert status == 200, response[:300]
    finally:
        for s in stalled:
            s.close()


def closed_by_server_within(s, seconds):
    """Seconds until the server closed `s` (recv gives EOF or a reset), or None if it stayed open."""
    s.settimeout(seconds)
    started = time.monotonic()
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def test_idle_and_stalled_connections_are_closed_after_the_idle_timeout(make_server):
    """http.idle_timeout (2 s here): a connection that sends nothing, one that stalls in its headers,
    one that stops half-way through its body and a keep-alive connection idle after its answer are all
    closed by the server (each logged), while a request sent in time is answered on the same server."""
    server = make_server("idle-timeout", env={"SYSTOLE_HTTP_IDLE_TIMEOUT": "2"})
    port = server.http_port
    silent = socket.create_connection(("127.0.0.1", port))
    headers = socket.create_connection(("127.0.0.1", port))
    headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    body = socket.create_connection(("127.0.0.1", port))
    body.sendall(b"POST /dicomweb/studies HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom\r\n"
                 b"Content-Length: 1000\r\n\r\n" + b"x" * 100)
    kept = socket.create_connection(("127.0.0.1", port))
    kept.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert kept.recv(65536).startswith(b"HTTP/1.1 200")
    try:
        for s in (silent, headers, body, kept):
            seconds = closed_by_server_within(s, 6)
            assert seconds is not None, "the connection is still open 6 s after a 2 s idle timeout"
        status, response, _ = raw_exchange(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                           timeout=10)
        assert status == 200, response[:300]
        assert server.log().count("did not send or take data in time") >= 4
    finally:
        for s in (silent, headers, body, kept):
            s.close()


def test_a_client_that_stops_reading_a_large_answer_is_cut_after_the_idle_timeout(make_server, tmp_path):
    """A 40 MB instance asked for and never read (more than every socket buffer holds): the server
    closes the connection once a 64 KiB slice of the answer is not taken within http.idle_timeout
    (2 s) plus 4 s (16 KiB/s), logs it, and serves on."""
    server = make_server("slow-reader", env={"SYSTOLE_HTTP_IDLE_TIMEOUT": "2"})
    ds = pydicom.dcmread(DICOM / CT)
    ds.SOPInstanceUID = pydicom.uid.generate_uid()
    ds.Rows, ds.Columns, ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 2048, 2048, 16, 16, 15, 0
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.NumberOfFrames = 1, "MONOCHROME2", 5
    ds.PixelData = bytes(range(256)) * (2048 * 2048 * 2 * 5 // 256)
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    big = tmp_path / "big.dcm"
    ds.save_as(big, write_like_original=False)
    boundary, body = multipart([("application/dicom", big.read_bytes())])
    stored = request(server.http_port, "POST", "/dicomweb/studies", body, {"Content-Type": f"{MULTIPART_DICOM}; boundary={boundary}"})
    assert stored.status == 200, stored
    path = f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", server.http_port))
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: {MULTIPART_DICOM}; transfer-syntax=*\r\n\r\n".encode())
        deadline = time.monotonic() + 15  # not reading: the server's writes stall, their deadline passes
        while "did not send or take data in time" not in server.log() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "did not send or take data in time" in server.log()
        received = 0
        s.settimeout(10)
        while chunk := s.recv(1 << 20):  # what was buffered, then the end
            received += len(chunk)
        assert received < len(ds.PixelData), "the whole answer went through: nothing was stalled"
        status, response, _ = raw_exchange(server.http_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status == 200, response[:300]
    finally:
        s.close()


def test_concurrent_bad_and_good_requests(archive):
    """Bad requests of every kind fired in parallel with good ones: every bad one is a 4xx JSON error,
    every good one succeeds."""
    cine = instance_path(archive.cine)
    bad = [(cine + "/frames/0", None), (cine + "/frames/abc", None), ("/dicomweb/studies/1.2.999/metadata", None),
           (cine + "/frames/1", "image/jpeg"), ("/dicomweb/studies?NoSuchKey=1", None),
           ("/dicomweb/studies/%2e%2e/%2e%2e/etc/passwd", None), (cine, "application/json")] * 6
    good = [(cine + "/frames/1", None), ("/dicomweb/studies", None), (cine + "/metadata", None)] * 10

    def run(item):
        path, accept = item
        return path, accept, archive.get(path, accept=accept, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, bad + good))
    for path, accept, r in results[:len(bad)]:
        assert 400 <= r.status < 500, (path, accept, r)
        assert_json_error(r, r.status)
    for path, accept, r in results[len(bad):]:
        assert r.status == 200, (path, r)
    archive.assert_serving()


def test_no_5xx_and_server_alive_at_the_end(archive):
    import re
    archive.assert_serving()
    errors = [line for line in archive.server.log().splitlines()
              if re.search(r" http: \S+ \S+ \S+ 5\d\d \d+ ", line) or "handler failed" in line]
    assert not errors, errors[:5]
