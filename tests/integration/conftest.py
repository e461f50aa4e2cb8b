"""Fixtures for integration tests: the real `systole` binary and DCMTK peers.

Every test gets hermetic servers: port 0, a fresh data directory under pytest's
tmp_path, stopped (SIGTERM) at the end. Set SYSTOLE_BINARY to test another build.
"""
import http.client
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("SYSTOLE_BINARY", REPO / "build" / "systole"))
TESTDATA = Path(os.environ.get("SYSTOLE_TESTDATA", REPO.parent / "shared" / "testdata"))
DICOM = TESTDATA / "dicom"
OUR_AE = "SYSTOLE"


class Server:
    """A running `systole serve` with its data directory and log."""

    def __init__(self, data_dir: Path, extra_args=(), env=None, log_path: Path = None):
        self.data_dir = data_dir
        self.log_path = log_path or data_dir.parent / (data_dir.name + ".log")
        self.args = [str(BINARY), "serve", "--data", str(data_dir), "--dicom-port", "0", "--http-port", "0", "--hl7-port", "0",
                     *extra_args]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.port = None

    def start(self, timeout=20):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + timeout
        while time.time() < deadline:
            match = re.search(r"dicom_port=(\d+)", self.log())
            if match and "ready" in self.log():
                self.port = int(match.group(1))
                http = re.search(r"http_port=(\d+)", self.log())
                self.http_port = int(http.group(1)) if http else None
                hl7 = re.search(r"hl7_port=(\d+)", self.log())
                self.hl7_port = int(hl7.group(1)) if hl7 else None
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"systole exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise RuntimeError("systole did not become ready:\n" + self.log())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()
        return self.proc.returncode if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None


def pytest_configure(config):
    """Each pytest session gets its own base temp directory: CTest runs the test files as parallel
    pytest sessions, and sessions sharing /tmp/pytest-of-USER prune each other's numbered directories
    while in use (PermissionError/FileNotFoundError in unrelated tests)."""
    if not config.option.basetemp and not hasattr(config, "workerinput"):
        import tempfile
        config.option.basetemp = tempfile.mkdtemp(prefix="systole-it-")
        config._systole_own_basetemp = True


def pytest_sessionfinish(session, exitstatus):
    """Removes our own base temp directory when everything passed (kept for inspection otherwise)."""
    if getattr(session.config, "_systole_own_basetemp", False) and exitstatus == 0:
        import shutil
        shutil.rmtree(session.config.option.basetemp, ignore_errors=True)


@pytest.fixture
def make_server(tmp_path):
    servers = []

    def make(name="server", extra_args=(), env=None, data_dir=None):
        server = Server(data_dir or (tmp_path / name), extra_args, env, log_path=tmp_path / f"{name}.log")
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def server(make_server):
    return make_server()


def dcmtk(tool, *args, timeout=120, check=True):
    """Runs a DCMTK command-line tool; returns CompletedProcess (text, stderr merged)."""
    proc = subprocess.run([tool, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors="replace", timeout=timeout, env=dict(os.environ, TCP_NODELAY="1"))
    if check and proc.returncode != 0:
        raise AssertionError(f"{tool} failed ({proc.returncode}):\n{proc.stdout}")
    return proc


def systole(*args, timeout=300, check=False, input=None, env_extra=None):
    env = dict(os.environ, **env_extra) if env_extra else None
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=timeout, check=check,
                          input=input, env=env)


def parse_find_output(text):
    """Splits findscu -v output into a list of {tag: value} per response."""
    responses, current = [], None
    for line in text.splitlines():
        if "Find Response:" in line or "# Dicom-Data-Set" in line:
            if current:
                responses.append(current)
            current = {}
            continue
        m = re.match(r"^I: \(([0-9a-f]{4}),([0-9a-f]{4})\) (\w\w) (.*?)\s+#", line)
        if m and current is not None:
            tag = (m.group(1) + m.group(2)).upper()
            raw = m.group(4)
            value = raw[1:raw.rindex("]")] if raw.startswith("[") else ("" if raw.startswith("(no value") else raw)
            current[tag] = value.rstrip(" \x00")
    if current:
        responses.append(current)
    return [r for r in responses if r]


# ---------------------------------------------------------------------------
# Helpers shared by the archive-core tests (round trip, malformed, C-FIND, import).
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def make_module_server(tmp_path_factory):
    """Like make_server, but the servers live for the whole test module."""
    servers = []
    base = tmp_path_factory.mktemp("module-servers")

    def make(name="server", extra_args=(), env=None, data_dir=None):
        server = Server(data_dir or (base / name), extra_args, env)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


def free_port():
    """A TCP port that was free a moment ago (for DCMTK peers that must listen, e.g. movescu)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TS_IMPLICIT_LE = "1.2.840.10008.1.2"
TS_EXPLICIT_LE = "1.2.840.10008.1.2.1"
TS_DEFLATED = "1.2.840.10008.1.2.1.99"
TS_EXPLICIT_BE = "1.2.840.10008.1.2.2"

# storescu option proposing exactly this transfer syntax (plus uncompressed fallbacks); with -R
# storescu proposes only the SOP classes of the files it sends.
STORESCU_TS_OPTION = {
    TS_IMPLICIT_LE: "-xi",
    TS_EXPLICIT_LE: "-xe",
    TS_EXPLICIT_BE: "-xb",
    TS_DEFLATED: "-xd",
    "1.2.840.10008.1.2.4.50": "-xy",
    "1.2.840.10008.1.2.4.51": "-xx",
    "1.2.840.10008.1.2.4.70": "-xs",
    "1.2.840.10008.1.2.4.80": "-xt",
    "1.2.840.10008.1.2.4.81": "-xu",
    "1.2.840.10008.1.2.4.90": "-xv",
    "1.2.840.10008.1.2.4.91": "-xw",
    "1.2.840.10008.1.2.5": "-xr",
}
# The same for getscu/movescu as storage SCP of the sub-operations ("prefer" options).
RECEIVER_TS_OPTION = {ts: "+" + opt[1:] for ts, opt in STORESCU_TS_OPTION.items()}


def file_transfer_syntax(path):
    """The transfer syntax of a file: from its meta header, else as pydicom detected the bare dataset."""
    import pydicom
    ds = pydicom.dcmread(str(path), force=True, stop_before_pixels=True)
    meta = getattr(ds, "file_meta", None)
    ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    if ts:
        return ts
    if ds.is_little_endian is False:
        return TS_EXPLICIT_BE
    return TS_IMPLICIT_LE if ds.is_implicit_VR else TS_EXPLICIT_LE


def storescu_args(path, workdir, sop_class=None, ts=None, profile=False):
    """storescu options that send `path` in its own transfer syntax.

    A transfer syntax without a dedicated storescu option (e.g. JPEG Lossless Process 14, .57) gets
    a one-profile association configuration (-xf) proposing exactly (SOP class, transfer syntax); so
    does profile=True (needed for SOP classes storescu -R does not know: private ones, RT Ion Plan)."""
    import pydicom
    ts = ts or file_transfer_syntax(path)
    if ts in STORESCU_TS_OPTION and not profile:
        return ["-R", STORESCU_TS_OPTION[ts]]
    if sop_class is None:
        sop_class = str(pydicom.dcmread(str(path), force=True, stop_before_pixels=True).SOPClassUID)
    cfg = Path(workdir) / f"storescu-{abs(hash((sop_class, ts)))}.cfg"
    cfg.write_text("[[TransferSyntaxes]]\n[TS]\nTransferSyntax1 = %s\n"
                   "[[PresentationContexts]]\n[PC]\nPresentationContext1 = %s\\TS\n"
                   "[[Profiles]]\n[P]\nPresentationContexts = PC\n" % (ts, sop_class))
    return ["-xf", str(cfg), "P"]


def storescu(port, path, options, timeout=120):
    """Sends one file with storescu -v -d; returns (CompletedProcess, DIMSE status, output).

    The status is the hex code storescu printed for the C-STORE response ("0000" = success,
    e.g. "A900", "C000"), or None when storescu sent nothing (it refused the file itself)."""
    proc = dcmtk("storescu", "-v", "-d", *options, "127.0.0.1", port, path, timeout=timeout, check=False)
    out = (proc.stdout or "") + (proc.stderr or "")
    status = dimse_status_hex(out) if "Received Store Response" in out else None
    return proc, status, out


def dimse_status_hex(output):
    """The last 'DIMSE Status : 0x....' printed by a DCMTK tool run with -d (upper case), or None."""
    found = re.findall(r"DIMSE Status\s*:\s*0x([0-9a-fA-F]{4})", output)
    return found[-1].upper() if found else None


def findscu(port, keys, model="-S", timeout=60, extra=()):
    """C-FIND with findscu -v -d; returns (responses, final DIMSE status hex e.g. "0000", raw output).

    keys: list of 'tag=value' / 'Keyword=value' / 'Keyword' strings (passed as -k)."""
    args = ["-v", "-d", model, *extra]
    for k in keys:
        args += ["-k", k]
    proc = dcmtk("findscu", *args, "127.0.0.1", port, timeout=timeout, check=False)
    out = (proc.stdout or "") + (proc.stderr or "")
    # With -d findscu prints the response identifiers at debug level ("D: (gggg,eeee) ..."): parse the
    # datasets that follow each "Response Identifiers:" line.
    lines, keep = [], False
    for line in out.splitlines():
        if "Response Identifiers:" in line:
            keep = True
            lines.append("I: Find Response:")
            continue
        if keep and line.startswith("D: ("):
            lines.append("I: " + line[3:])
        elif keep and not line.startswith("D: #") and line.strip() not in ("D:", "I:"):
            keep = False
    responses = [{k: v.rstrip("\x00 ") for k, v in r.items()} for r in parse_find_output("\n".join(lines))]
    status = dimse_status_hex(out) if "Received Final Find Response" in out else None
    return responses, status, out


def count_instances(port, keys=()):
    """Number of IMAGE-level C-FIND matches (Study Root)."""
    responses, status, out = findscu(port, ["QueryRetrieveLevel=IMAGE", "SOPInstanceUID", *keys])
    assert status == "0000", out
    return len(responses)


def read_dataset(path):
    import pydicom
    return pydicom.dcmread(str(path), force=True)


def _normalized_bytes(ds, elem):
    value = elem.value
    if isinstance(value, (bytes, bytearray)) and not ds.is_little_endian and elem.VR in ("OW", "US or OW", "OW or OB"):
        import numpy
        value = numpy.frombuffer(value[: len(value) // 2 * 2], dtype=">u2").astype("<u2").tobytes()
    return value


def dataset_differences(sent, received, path=""):
    """Element-by-element differences between two pydicom datasets, group 0002 excluded.

    Also excluded: group lengths (gggg,0000), retired, which DCMTK recomputes whenever it encodes a
    dataset (storescu does so for the network), and DataSetTrailingPadding (FFFC,FFFC), which DCMTK
    drops; neither is something the archive could preserve from what storescu sent.

    Compares the tag sets, the VRs and the values (recursively into sequences); bulk values
    (pixel data, OB/OW...) are compared as bytes (16-bit words normalised to little endian)."""
    diffs = []
    def kept(t):
        return t.group != 0x0002 and t.element != 0x0000 and t != 0xFFFCFFFC
    tags_a = {t for t in sent.keys() if kept(t)}
    tags_b = {t for t in received.keys() if kept(t)}
    for t in sorted(tags_a - tags_b):
        diffs.append(f"{path}{t} missing in retrieved object")
    for t in sorted(tags_b - tags_a):
        diffs.append(f"{path}{t} added in retrieved object")
    for t in sorted(tags_a & tags_b):
        a, b = sent[t], received[t]
        if a.VR == "SQ" or b.VR == "SQ":
            if len(a.value or []) != len(b.value or []):
                diffs.append(f"{path}{t} sequence length {len(a.value or [])} != {len(b.value or [])}")
                continue
            for i, (ia, ib) in enumerate(zip(a.value, b.value)):
                diffs += dataset_differences(ia, ib, f"{path}{t}[{i}].")
            continue
        va, vb = _normalized_bytes(sent, a), _normalized_bytes(received, b)
        if va != vb:
            diffs.append(f"{path}{t} {a.keyword or ''}: {str(va)[:80]!r} != {str(vb)[:80]!r}")
    return diffs


def getscu(port, out_dir, keys, receiver_option=None, model="-S", timeout=300):
    """C-GET with getscu -v -d into out_dir; returns (CompletedProcess, output)."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    args = ["-v", "-d", model, "-od", out_dir]
    if receiver_option:
        args.append(receiver_option)
    for k in keys:
        args += ["-k", k]
    proc = dcmtk("getscu", *args, "127.0.0.1", port, timeout=timeout, check=False)
    out = (proc.stdout or "") + (proc.stderr or "")
    return proc, out


def retrieved_by_uid(out_dir):
    """{SOPInstanceUID: path} of the files a retrieve wrote into out_dir."""
    import pydicom
    result = {}
    for f in Path(out_dir).iterdir():
        if f.is_file():
            ds = pydicom.dcmread(str(f), force=True, stop_before_pixels=True)
            result[str(ds.SOPInstanceUID)] = f
    return result


def server_alive(server):
    """The server process runs and answers C-ECHO."""
    if not server.alive():
        return False
    return dcmtk("echoscu", "127.0.0.1", server.port, check=False, timeout=30).returncode == 0


def acknowledged_files(storescu_output):
    """Files whose C-STORE-RSP was Success, from `storescu -v` output."""
    acknowledged, current = [], None
    for line in storescu_output.splitlines():
        m = re.search(r"Sending file: (\S+)", line)
        if m:
            current = m.group(1)
        elif "Received Store Response (Success)" in line and current:
            acknowledged.append(current)
            current = None
    return acknowledged


class Response:
    """An HTTP answer: status, lower-case headers, body bytes."""

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def content_type(self):
        return self.headers.get("content-type", "")

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.content_type} {self.body[:300]!r}>"


def http_request(port, method, path, body=None, headers=None, timeout=120):
    """One request on a fresh loopback connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        conn.close()
