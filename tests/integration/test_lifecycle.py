"""The serve command line contract: ports, peers, configuration precedence,
SIGTERM drain, refusals that leave the server running, a full disk."""
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pydicom
import pytest

from conftest import DICOM, OUR_AE, acknowledged_files, dcmtk, parse_find_output, systole

CINE = DICOM / "cine" / "dicomparser__IM00001_implicit_le.dcm"
MR = DICOM / "mr" / "pydicom__MR_small.dcm"


def test_port_zero_is_logged_and_echo_works(server):
    assert re.search(r"ready: .*dicom_port=\d+", server.log())
    assert server.port > 0
    dcmtk("echoscu", "-aec", OUR_AE, "127.0.0.1", server.port)


def test_environment_overrides_flags_which_override_the_file(make_server, tmp_path):
    config = tmp_path / "systole.toml"
    config.write_text('[dicom]\nae_title = "FILEAE"\nmax_associations = 3\n')
    server = make_server(extra_args=["--config", str(config), "--ae-title", "FLAGAE"],
                         env={"SYSTOLE_DICOM_AE_TITLE": "ENVAE"})
    assert "ae_title=ENVAE" in server.log()
    flag_only = make_server(name="flag", extra_args=["--config", str(config), "--ae-title", "FLAGAE"])
    assert "ae_title=FLAGAE" in flag_only.log()


def test_a_bad_configuration_is_refused_with_the_key_named(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[dicom]\nport = 99999\n")
    proc = systole("serve", "--config", config, "--data", tmp_path / "d")
    assert proc.returncode == 2
    assert "dicom.port" in proc.stderr


def test_allowed_peers_restrict_calling_ae_titles(make_server):
    server = make_server(extra_args=["--allow-peer", "GOODSCU", "--allow-peer", "HOSTSCU@127.0.0.1",
                                     "--allow-peer", "ELSEWHERE@192.0.2.1"])
    dcmtk("echoscu", "-aet", "GOODSCU", "-aec", OUR_AE, "127.0.0.1", server.port)
    dcmtk("echoscu", "-aet", "HOSTSCU", "-aec", OUR_AE, "127.0.0.1", server.port)
    for refused in ("BADSCU", "ELSEWHERE"):
        proc = dcmtk("echoscu", "-aet", refused, "-aec", OUR_AE, "127.0.0.1", server.port, check=False)
        assert proc.returncode != 0
        assert "Association Rejected" in proc.stdout
    assert "refused: calling AE title not in allowed_peers" in server.log()
    dcmtk("echoscu", "-aet", "GOODSCU", "-aec", OUR_AE, "127.0.0.1", server.port)


def test_open_embedded_default_warns_that_any_ae_is_accepted(server):
    assert "no allowed_peers configured" in server.log()


def test_unknown_move_destination_is_refused_with_a801(server):
    dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, MR)
    proc = dcmtk("movescu", "-aet", "MOVER", "-aem", "NOWHERE", "-aec", OUR_AE, "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=1.3.6.1.4.1.5962.1.2.4.20040826185059.5457",
                 "127.0.0.1", server.port, check=False)
    assert "0xa801" in proc.stdout.lower() or "MoveDestinationUnknown" in proc.stdout, proc.stdout
    assert "move destination 'NOWHERE' unknown" in server.log()


def test_sigterm_drains_a_running_ingest_and_exits_cleanly(make_server, tmp_path):
    server = make_server()
    files = [CINE] * 1 + sorted((DICOM / "mr").glob("*.dcm")) + sorted((DICOM / "ct").glob("*.dcm"))
    sender = subprocess.Popen(["storescu", "-v", "-aec", OUR_AE, "127.0.0.1", str(server.port), *map(str, files)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in sender.stdout:  # SIGTERM right after the first acknowledged C-STORE, while others follow
        lines.append(line)
        if "Received Store Response" in line:
            break
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=60) == 0
    rest, _ = sender.communicate(timeout=60)
    output = "".join(lines) + rest
    assert "stopped cleanly" in server.log()
    # Whatever storescu saw acknowledged is stored; the drain let the running C-STORE finish.
    acknowledged = {pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in acknowledged_files(output)}
    assert acknowledged, "SIGTERM arrived before any C-STORE finished: the drain did not let it complete"
    restarted = make_server(name="after", data_dir=server.data_dir)
    out = dcmtk("findscu", "-v", "-S", "-aec", OUR_AE, "-k", "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID",
                "127.0.0.1", restarted.port).stdout
    stored = {r["00080018"] for r in parse_find_output(out) if r.get("00080018")}
    assert acknowledged <= stored


def test_a_full_disk_answers_out_of_resources_and_keeps_what_was_stored(make_server, tmp_path):
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.strip()}")
    try:
        server = make_server(data_dir=mount_point / "data", env={"SYSTOLE_STORAGE_MIN_FREE_MB": "0"})
        dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, MR)  # 10 KB: fits
        # 1.8 MB each, distinct instances: the disk fills on the third or fourth.
        big = tmp_path / "big"
        big.mkdir()
        statuses = []
        for i in range(6):
            ds = pydicom.dcmread(CINE)
            ds.SOPInstanceUID = f"{ds.SOPInstanceUID}.{i + 1}"
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            path = big / f"cine{i}.dcm"
            ds.save_as(path)
            proc = dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", server.port, path, check=False)
            statuses.append(proc.returncode == 0 and "Error" not in proc.stdout)
        assert any(statuses) and not all(statuses), statuses
        assert re.search(r"C-STORE .* refused \(0xA700\)", server.log()), server.log()[-2000:]
        assert server.alive()
        dcmtk("echoscu", "-aec", OUR_AE, "127.0.0.1", server.port)
        # Nothing half-written: no staged leftovers, every indexed file verifies.
        assert not list((mount_point / "data" / "blobs" / "tmp").iterdir())
        server.stop()
        verify = systole("admin", "verify", "--data", mount_point / "data")
        assert verify.returncode == 0, verify.stdout
        assert " 0 missing, 0 corrupt" in verify.stdout
        # With the default reserve the server refuses before writing at all.
        reserve = make_server(name="reserve", data_dir=mount_point / "data")
        proc = dcmtk("storescu", "-aec", OUR_AE, "127.0.0.1", reserve.port, big / "cine5.dcm", check=False)
        assert "storage full" in reserve.log()
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)
