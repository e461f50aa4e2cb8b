"""Fixtures for integration tests: the real `systole` binary and DCMTK peers.

Every test gets hermetic servers: port 0, a fresh data directory under pytest's
tmp_path, stopped (SIGTERM) at the end. Set SYSTOLE_BINARY to test another build.
"""
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

    def __init__(self, data_dir: Path, extra_args=(), env=None):
        self.data_dir = data_dir
        self.log_path = data_dir.parent / (data_dir.name + ".log")
        self.args = [str(BINARY), "serve", "--data", str(data_dir), "--dicom-port", "0", *extra_args]
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


@pytest.fixture
def make_server(tmp_path):
    servers = []

    def make(name="server", extra_args=(), env=None, data_dir=None):
        server = Server(data_dir or (tmp_path / name), extra_args, env)
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
    proc = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, errors="replace", timeout=timeout,
                          env=dict(os.environ, TCP_NODELAY="1"))
    if check and proc.returncode != 0:
        raise AssertionError(f"{tool} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def systole(*args, timeout=300, check=False):
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, timeout=timeout, check=check)


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
            current[tag] = value.rstrip()
    if current:
        responses.append(current)
    return [r for r in responses if r]
