"""kill -9 during a multi-association ingest loses no acknowledged instance.

Three storescu processes send cine loops at once; the server is SIGKILLed at
several moments (kill points). After each restart every instance whose C-STORE
was answered with Success must be queryable, retrievable byte-identical, and
pass `systole admin verify`. Instances in flight may be lost (never
acknowledged) — but never half-stored.
"""
import re
import signal
import subprocess
import threading
import time

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

from conftest import OUR_AE, dcmtk, parse_find_output, systole

# Kill points: the server is killed once this many C-STOREs of the run were
# acknowledged (progress-based, so the test means the same on any machine speed).
KILL_AFTER_ACKS = [1, 4, 9, 17, 28, 41, 52]
LOOPS_PER_SENDER = 20
SENDERS = 3


def make_loop(path, study, series, index, rng):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.3.1"
    meta.MediaStorageSOPInstanceUID = f"2.25.{study}{series:02d}{index:04d}77"
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = f"2.25.{study}1"
    ds.SeriesInstanceUID = f"2.25.{study}{series:02d}2"
    ds.PatientID = f"CRASH{study}"
    ds.PatientName = "Crash^Test"
    ds.Modality = "US"
    ds.StudyDate = "20240101"
    ds.SeriesNumber = series
    ds.InstanceNumber = index
    ds.Rows, ds.Columns, ds.NumberOfFrames = 480, 640, 12
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.FrameTime = "33.3"
    ds.PixelData = rng.integers(0, 256, size=480 * 640 * 12, dtype=np.uint8).tobytes()
    ds.save_as(str(path), write_like_original=False)


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash_workload")
    rng = np.random.default_rng(7)
    senders = []
    for sender in range(SENDERS):
        folder = root / f"sender{sender}"
        folder.mkdir()
        files = []
        for i in range(LOOPS_PER_SENDER):
            path = folder / f"loop{i:03d}.dcm"
            make_loop(path, 10 + sender, i // 4, i, rng)
            files.append(path)
        senders.append(files)
    return senders


def send_and_record(port, files, acknowledged, lock):
    """storescu -v: record each file whose C-STORE-RSP said Success."""
    proc = subprocess.Popen(["storescu", "-v", "-aec", OUR_AE, "127.0.0.1", str(port), *map(str, files)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    current = None
    for line in proc.stdout:
        m = re.search(r"Sending file: (\S+)", line)
        if m:
            current = m.group(1)
        elif "Received Store Response (Success)" in line and current:
            with lock:
                acknowledged.add(current)
            current = None
    proc.wait()


def stored_sop_uids(port):
    out = dcmtk("findscu", "-v", "-S", "-aec", OUR_AE, "-k", "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID",
                "-k", "StudyInstanceUID", "127.0.0.1", port).stdout
    return {r["00080018"] for r in parse_find_output(out) if r.get("00080018")}


def test_kill9_during_parallel_ingest_loses_no_acknowledged_instance(make_server, workload, tmp_path):
    data_dir = tmp_path / "crashdata"
    acknowledged_total = set()
    interrupted_runs = 0
    total_files = sum(len(files) for files in workload)
    for kill_point, threshold in enumerate(KILL_AFTER_ACKS):
        server = make_server(name=f"run{kill_point}", data_dir=data_dir)
        acknowledged, lock = set(), threading.Lock()
        threads = [threading.Thread(target=send_and_record, args=(server.port, files, acknowledged, lock))
                   for files in workload]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while time.time() < deadline and any(t.is_alive() for t in threads):
            with lock:
                if len(acknowledged) >= threshold:
                    break
            time.sleep(0.002)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        for t in threads:
            t.join(timeout=60)
        acknowledged_total |= acknowledged
        interrupted_runs += len(acknowledged) < total_files

        # Restart on the same data: everything acknowledged so far must be there.
        check = make_server(name=f"check{kill_point}", data_dir=data_dir)
        stored = stored_sop_uids(check.port)
        expected = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in acknowledged_total}
        missing = expected - stored
        assert not missing, f"kill point {kill_point} (after {threshold} acks): acknowledged but lost: {sorted(missing)}"
        check.stop()
        print(f"kill point {kill_point} after {threshold} acks: {len(acknowledged)} acknowledged in this run, "
              f"{len(stored)} stored in total")

    assert acknowledged_total, "no C-STORE was acknowledged before any kill: kill points too early"
    assert interrupted_runs >= 5, f"only {interrupted_runs} kill points hit a running ingest: workload too small"
    verify = systole("admin", "verify", "--data", data_dir)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert " 0 missing, 0 corrupt" in verify.stdout

    # Every acknowledged instance comes back byte-identical in its pixel data.
    final = make_server(name="final", data_dir=data_dir)
    out_dir = tmp_path / "retrieved"
    out_dir.mkdir()
    for sender_files in workload:
        study = pydicom.dcmread(sender_files[0], stop_before_pixels=True).StudyInstanceUID
        dcmtk("getscu", "-aec", OUR_AE, "-od", out_dir, "-k", "QueryRetrieveLevel=STUDY",
              "-k", f"StudyInstanceUID={study}", "127.0.0.1", final.port, check=False)
    retrieved = {pydicom.dcmread(p).SOPInstanceUID: p for p in out_dir.iterdir()}
    for source in acknowledged_total:
        original = pydicom.dcmread(source)
        assert original.SOPInstanceUID in retrieved, f"{source} not retrievable"
        back = pydicom.dcmread(retrieved[original.SOPInstanceUID])
        assert back.PixelData == original.PixelData
        assert back.SOPInstanceUID == original.SOPInstanceUID
