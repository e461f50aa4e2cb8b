"""Round trip through the real `systole serve` with DCMTK peers: C-ECHO, C-STORE of every DICOM file
under testdata/dicom (except malformed/, see test_malformed.py), C-FIND counts, C-GET and C-MOVE back,
and an element-by-element comparison (group 0002 aside) with the file that was sent first for each
SOP Instance UID (duplicate policy keep-first).

One server for the module; storescu runs once per file, in sorted path order, keeping each file's
transfer syntax (-R plus the matching -x option, or a one-profile -xf configuration).
"""
import collections
from pathlib import Path

import pydicom
import pytest

from conftest import (DICOM, RECEIVER_TS_OPTION, count_instances, dataset_differences, dcmtk, file_transfer_syntax,
                      findscu, free_port, getscu, read_dataset, retrieved_by_uid, server_alive, storescu,
                      storescu_args, systole)

# Files storescu cannot send even with -R / -x options / -xf, and why. Each is still attempted once
# and the test asserts that it was indeed not stored (so this table cannot silently go stale).
NOT_SENDABLE = {
    # Not an instance: a media directory. storescu finds no SOP Class/Instance UID in its dataset
    # ("missing SOP class (or instance) in file"); `systole import` must refuse it as a DICOMDIR.
    "other/dicomdir/DICOMDIR": "missing SOP class",
    # pydicom charset test fragments: a dataset with only a few charset/name elements, no SOP Class
    # or Instance UID at all, so storescu refuses them before associating.
    "other/charset/pydicom__chrSQEncoding.dcm": "missing SOP class",
    "other/charset/pydicom__chrSQEncoding1.dcm": "missing SOP class",
    # HTJ2K (1.2.840.10008.1.2.4.201 / .203) is newer than DCMTK 3.6.7: storescu has no option for it,
    # and Systole (built on DCMTK 3.6.7) only accepts transfer syntaxes DCMTK knows, so it refuses the
    # one presentation context proposed through -xf. (Import stores them; see test_import.py.)
    "other/pydicomdata__HTJ2KLossless_08_RGB.dcm": "No Acceptable Presentation Contexts",
    "other/pydicomdata__HTJ2K_08_RGB.dcm": "No Acceptable Presentation Contexts",
    # gdcmconv wrote this JPEG 2000 re-encoding with explicit VR "UN" for standard elements, SOPClassUID
    # and SOPInstanceUID included; DCMTK does not reinterpret UN values, so storescu finds no SOP Class.
    "cine/derived__IM00001_j2k_lossless.dcm": "missing SOP class",
}


def _expected_refusal(ds, studies):
    """Why the server must refuse a sendable file (computed from the file with pydicom), or None.

    studies: StudyInstanceUID -> (PatientID, IssuerOfPatientID) of the studies stored so far."""
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID"):
        if not str(ds.get(keyword, "")).strip():
            return "missing " + keyword
    patient = (str(ds.get("PatientID", "")).strip(), str(ds.get("IssuerOfPatientID", "")).strip())
    study = str(ds.StudyInstanceUID)
    if study in studies and studies[study] != patient:
        # Systole keeps a study under one patient: the same study UID with another PatientID is refused.
        return "inconsistent: study"
    return None


def _inventory():
    """Every file under dicom/ outside malformed/, except the text worklist dumps."""
    files = []
    for path in sorted(DICOM.rglob("*")):
        rel = path.relative_to(DICOM).as_posix()
        if not path.is_file() or rel.startswith("malformed/") or path.suffix == ".dump":
            continue
        files.append(rel)
    return files


FILES = _inventory()


class Archive:
    pass


@pytest.fixture(scope="module")
def archive(make_module_server, tmp_path_factory):
    """Starts the server and sends every file once; records storescu's outcome per file."""
    work = tmp_path_factory.mktemp("roundtrip")
    move_port = free_port()
    server = make_module_server("roundtrip", extra_args=["--peer", f"MOVESCU=127.0.0.1:{move_port}"])
    a = Archive()
    a.server, a.work, a.move_port = server, work, move_port
    a.sent = {}          # rel → (status hex or None, output)
    a.first = {}         # SOPInstanceUID → rel of the first file sent successfully
    a.duplicates = collections.defaultdict(list)  # SOPInstanceUID → later rels
    a.expected_refusals = {}  # rel → reason the server must give
    studies = {}
    for rel in FILES:
        path = DICOM / rel
        ds = pydicom.dcmread(str(path), force=True, stop_before_pixels=True)
        sop_class = str(ds.get("SOPClassUID", "")) or None
        options = storescu_args(path, work, sop_class=sop_class) if sop_class else ["-R", "-xe"]
        _, status, out = storescu(server.port, path, options)
        a.sent[rel] = (status, out)
        if rel not in NOT_SENDABLE:
            reason = _expected_refusal(ds, studies)
            if reason:
                a.expected_refusals[rel] = reason
            elif str(ds.SOPInstanceUID) not in a.first:
                studies.setdefault(str(ds.StudyInstanceUID),
                                   (str(ds.get("PatientID", "")).strip(), str(ds.get("IssuerOfPatientID", "")).strip()))
        if status == "0000":
            uid = str(ds.SOPInstanceUID)
            if uid in a.first:
                a.duplicates[uid].append(rel)
            else:
                a.first[uid] = rel
    return a


def test_echo(archive):
    out = dcmtk("echoscu", "-v", "127.0.0.1", archive.server.port).stdout
    assert archive.server.alive()


def test_every_sendable_identifiable_file_is_acknowledged_with_success(archive):
    failures = {rel: (status, out[-600:]) for rel, (status, out) in archive.sent.items()
                if rel not in NOT_SENDABLE and rel not in archive.expected_refusals and status != "0000"}
    assert not failures, failures
    assert server_alive(archive.server)


def test_unidentifiable_or_inconsistent_files_are_refused_with_reason(archive):
    """Outside malformed/ a few files still cannot be archived: the JPEG-LS near-lossless pydicom
    samples have no StudyInstanceUID/SeriesInstanceUID, and sr/orthanc__StructuredReports_IM0.dcm
    reuses the StudyInstanceUID of mr/orthanc__StructuredReports_IM631.dcm under another PatientID."""
    assert archive.expected_refusals, "expected at least the two JPEG-LS near-lossless samples"
    log = archive.server.log()
    for rel, reason in archive.expected_refusals.items():
        status, out = archive.sent[rel]
        assert status in ("A900", "C000"), (rel, status, out[-600:])
        assert reason in out, (rel, reason, out[-600:])  # ErrorComment of the response
        uid = str(pydicom.dcmread(str(DICOM / rel), stop_before_pixels=True).SOPInstanceUID)
        assert any("refused" in line and reason in line and uid in line for line in log.splitlines()), (rel, reason)
        assert uid in archive.first or count_instances(archive.server.port, [f"SOPInstanceUID={uid}"]) == 0


@pytest.mark.parametrize("rel", sorted(NOT_SENDABLE))
def test_not_sendable_files_are_not_stored(archive, rel):
    status, out = archive.sent[rel]
    assert status is None, f"{rel} was sent (status {status}); update NOT_SENDABLE\n{out[-800:]}"
    assert NOT_SENDABLE[rel] in out, out[-800:]
    ds = pydicom.dcmread(str(DICOM / rel), force=True, stop_before_pixels=True)
    if "SOPInstanceUID" in ds and str(ds.SOPInstanceUID) not in archive.first:  # not stored by a twin file
        assert count_instances(archive.server.port, [f"SOPInstanceUID={ds.SOPInstanceUID}"]) == 0


def test_dicomdir_is_refused_by_import_as_not_an_instance(tmp_path):
    proc = systole("import", "--data", tmp_path / "data", DICOM / "other/dicomdir/DICOMDIR")
    assert proc.returncode == 1, (proc.stdout or "") + (proc.stderr or "")
    assert "0 stored" in proc.stdout and "1 refused" in proc.stdout, proc.stdout
    reason = [l for l in proc.stdout.splitlines() if "refused (1):" in l]
    # The reason itself must say it is a directory, not merely that an identifier is missing.
    assert reason and ("DICOMDIR" in reason[0] or "not an instance" in reason[0]), proc.stdout


def test_duplicates_acknowledged_but_stored_once(archive):
    # The shared-UID groups of the MANIFEST that live outside malformed/ must be among the duplicates.
    assert archive.duplicates, "expected several files sharing a SOP Instance UID"
    for uid, rels in archive.duplicates.items():
        for rel in rels:
            assert archive.sent[rel][0] == "0000", rel
        assert count_instances(archive.server.port, [f"SOPInstanceUID={uid}"]) == 1, (uid, rels)
    assert count_instances(archive.server.port) == len(archive.first)


def _retrieve_all_with_getscu(archive, out_dir):
    """C-GET at IMAGE level, one getscu per stored transfer syntax (UID list), preferring that syntax."""
    by_ts = collections.defaultdict(list)
    for uid, rel in archive.first.items():
        by_ts[file_transfer_syntax(DICOM / rel)].append(uid)
    outputs = {}
    for ts, uids in by_ts.items():
        option = RECEIVER_TS_OPTION.get(ts)
        if option is None:
            continue  # no getscu option for it: retrieved with movescu (test_move_study_*)
        _, out = getscu(archive.server.port, out_dir / ts, ["QueryRetrieveLevel=IMAGE", "SOPInstanceUID=" + "\\".join(uids)],
                        receiver_option=option)
        outputs[ts] = (uids, out)
    return outputs


def test_get_every_instance_identical(archive, tmp_path):
    outputs = _retrieve_all_with_getscu(archive, tmp_path)
    problems = {}
    checked = 0
    for ts, (uids, out) in outputs.items():
        got = retrieved_by_uid(tmp_path / ts)
        for uid in uids:
            rel = archive.first[uid]
            if uid not in got:
                problems[rel] = "not retrieved by C-GET:\n" + "\n".join(l for l in out.splitlines() if l.startswith(("E:", "W:", "F:")))[-600:]
                continue
            diffs = dataset_differences(read_dataset(DICOM / rel), read_dataset(got[uid]))
            if diffs:
                problems[rel] = diffs[:5]
            checked += 1
    assert not problems, problems
    assert checked >= len(archive.first) - sum(1 for r in archive.first.values()
                                              if file_transfer_syntax(DICOM / r) not in RECEIVER_TS_OPTION)
    assert server_alive(archive.server)


def test_keep_first_kept_the_first_encoding(archive, tmp_path):
    """For shared UIDs sent in different transfer syntaxes, the stored one is the first sent."""
    checked = 0
    for uid, rels in archive.duplicates.items():
        first_ts = file_transfer_syntax(DICOM / archive.first[uid])
        if all(file_transfer_syntax(DICOM / r) == first_ts for r in rels) or first_ts not in RECEIVER_TS_OPTION:
            continue
        getscu(archive.server.port, tmp_path / uid, ["QueryRetrieveLevel=IMAGE", f"SOPInstanceUID={uid}"],
               receiver_option=RECEIVER_TS_OPTION[first_ts])
        got = retrieved_by_uid(tmp_path / uid)
        assert uid in got, uid
        assert str(read_dataset(got[uid]).file_meta.TransferSyntaxUID) == first_ts, (uid, archive.first[uid])
        checked += 1
    assert checked >= 1


def test_move_study_to_movescu_identical(archive, tmp_path):
    """C-MOVE of a whole study (the 98892001 CT study of the DICOMDIR set, 7 instances) to movescu's
    own storage SCP (--peer MOVESCU=127.0.0.1:port), accepting all transfer syntaxes."""
    rel = "other/dicomdir/98892001/CT5N/2062"
    study = str(pydicom.dcmread(str(DICOM / rel), stop_before_pixels=True).StudyInstanceUID)
    expected = {uid: r for uid, r in archive.first.items()
                if str(pydicom.dcmread(str(DICOM / r), stop_before_pixels=True).StudyInstanceUID) == study}
    assert len(expected) >= 2
    out_dir = tmp_path / "moved"
    out_dir.mkdir()
    proc = dcmtk("movescu", "-v", "-S", "-aet", "MOVESCU", "-aem", "MOVESCU", "+P", archive.move_port, "+xa",
                 "-od", out_dir, "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={study}",
                 "127.0.0.1", archive.server.port, check=False, timeout=120)
    got = retrieved_by_uid(out_dir)
    assert set(got) == set(expected), (proc.stdout or "") + (proc.stderr or "")
    problems = {}
    for uid, r in expected.items():
        diffs = dataset_differences(read_dataset(DICOM / r), read_dataset(got[uid]))
        if diffs:
            problems[r] = diffs[:5]
    assert not problems, problems
    assert server_alive(archive.server)


def test_every_stored_transfer_syntax_is_retrievable_identical(archive, tmp_path):
    """Instances whose transfer syntax getscu cannot ask for (JPEG Process 14, .57: CT0012) are fetched
    with movescu +xa. movescu does not accept .57, so Systole must convert (it registers the JPEG
    decoders): the retrieved dataset then has the decompressed pixel data, hence only the non-pixel
    elements are compared for converted instances."""
    missing = {uid: r for uid, r in archive.first.items() if file_transfer_syntax(DICOM / r) not in RECEIVER_TS_OPTION}
    if not missing:
        return
    out_dir = tmp_path / "moved"
    out_dir.mkdir()
    proc = dcmtk("movescu", "-v", "-S", "-aet", "MOVESCU", "-aem", "MOVESCU", "+P", archive.move_port, "+xa",
                 "-od", out_dir, "-k", "QueryRetrieveLevel=IMAGE", "-k", "SOPInstanceUID=" + "\\".join(missing),
                 "127.0.0.1", archive.server.port, check=False, timeout=120)
    got = retrieved_by_uid(out_dir)
    assert set(got) == set(missing), (proc.stdout or "")[-3000:]
    for uid, r in missing.items():
        sent, received = read_dataset(DICOM / r), read_dataset(got[uid])
        if received.file_meta.TransferSyntaxUID != sent.file_meta.TransferSyntaxUID:
            del sent.PixelData, received.PixelData
        assert not dataset_differences(sent, received), r
