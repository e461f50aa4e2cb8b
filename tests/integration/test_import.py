"""`systole import` of the whole shared testdata folder: progress on stderr, a summary on stdout whose
stored/duplicate/refused counts match a model computed here from the files, refusals grouped by reason
with the files listed; a second run makes everything a duplicate; `systole admin verify` passes, and
fails naming the instance once a stored file is corrupted.

The model reads each file's identifiers with dcmdump (the DCMTK view, which is also what decides
whether a file is parseable at all) and applies the archive's documented rules: parseable, SOP Class /
Instance / Study / Series UIDs present and valid, Study != Series != Instance, meta header
MediaStorageSOPInstanceUID equal to the dataset's, one patient (PatientID + Issuer) per study; then
one stored instance per SOP Instance UID, the other files being duplicates.
"""
import collections
import re
import resource
import subprocess

import pytest

from conftest import TESTDATA, systole

UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
KEYS = {"0008,0016": "SOPClassUID", "0008,0018": "SOPInstanceUID", "0020,000d": "StudyInstanceUID",
        "0020,000e": "SeriesInstanceUID", "0010,0020": "PatientID", "0010,0021": "IssuerOfPatientID",
        "0002,0002": "MediaStorageSOPClassUID", "0002,0003": "MediaStorageSOPInstanceUID"}


def _unlimited_stack():
    # the deeply nested sequence file needs more than 8 MB of stack for DCMTK's recursive parser
    resource.setrlimit(resource.RLIMIT_STACK, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))


def identifiers(path):
    """(parseable, {keyword: top-level value}) as DCMTK reads the file."""
    args = ["dcmdump", "-q", "-M", "-Un", "+L", "+uc"]  # +uc: UN-encoded standard elements read with their VR, as Systole does
    for t in KEYS:
        args += ["+P", t]
    proc = subprocess.run([*args, str(path)], capture_output=True, text=True, errors="replace",
                          preexec_fn=_unlimited_stack, timeout=300)
    values = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"^\(([0-9a-f]{4},[0-9a-f]{4})\) (\w\w) (.*?)\s+#", line)  # top level only: no indent
        if m and m.group(1) in KEYS and KEYS[m.group(1)] not in values:
            raw = m.group(3)
            value = raw[1:raw.rindex("]")] if raw.startswith("[") else ("" if raw.startswith("(no value") else raw)
            if m.group(2) == "UN":
                value = "<UN>"  # an unknown (private) element left as UN
            values[KEYS[m.group(1)]] = value.rstrip("\x00 ")
    return proc.returncode == 0, values


def model(files):
    refused, accepted = {}, []
    for f in files:
        ok, v = identifiers(f)
        if not ok:
            refused[f] = "not parseable"
            continue
        if v.get("MediaStorageSOPClassUID") == "1.2.840.10008.1.3.10":
            refused[f] = "DICOMDIR"  # a media storage directory, not an instance
            continue
        bad = next((k for k in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID")
                    if not UID_RE.match(v.get(k, "")) or len(v.get(k, "")) > 64), None)
        if bad:
            refused[f] = bad
        elif v["StudyInstanceUID"] == v["SeriesInstanceUID"] or v["SOPInstanceUID"] in (v["StudyInstanceUID"], v["SeriesInstanceUID"]):
            refused[f] = "inconsistent"
        elif v.get("MediaStorageSOPInstanceUID") and v["MediaStorageSOPInstanceUID"] != v["SOPInstanceUID"]:
            refused[f] = "inconsistent: meta header"
        else:
            accepted.append((f, v))
    # one patient per study: of the distinct instances of a study held under different patients, only one
    # patient's group can be stored; which one depends on the (parallel) import order.
    by_uid = {}
    for f, v in accepted:
        by_uid.setdefault(v["SOPInstanceUID"], v)
    groups = collections.defaultdict(lambda: collections.Counter())
    for v in by_uid.values():
        groups[v["StudyInstanceUID"]][(v.get("PatientID", ""), v.get("IssuerOfPatientID", ""))] += 1
    conflict_low = sum(sum(c.values()) - max(c.values()) for c in groups.values())
    conflict_high = sum(sum(c.values()) - min(c.values()) for c in groups.values() if len(c) > 1)
    return refused, accepted, len(by_uid), (conflict_low, max(conflict_low, conflict_high))


SUMMARY = re.compile(r"import summary: (\d+) file\(s\): (\d+) stored, (\d+) duplicate, (\d+) replaced, (\d+) refused")


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    data = tmp_path_factory.mktemp("import") / "data"
    first = systole("import", "--data", data, TESTDATA, timeout=600)
    second = systole("import", "--data", data, TESTDATA, timeout=600)
    files = sorted(p for p in TESTDATA.rglob("*") if p.is_file() and not p.name.startswith("."))
    return data, first, second, files, model(files)


def test_first_import_counts(imported):
    data, first, _, files, (refused, accepted, distinct, (conflict_low, conflict_high)) = imported
    assert first.returncode == 1, "something is refused, so the exit code is 1"
    m = SUMMARY.search(first.stdout)
    assert m, first.stdout
    total, stored, duplicate, replaced, refused_n = map(int, m.groups())
    assert total == len(files)
    assert replaced == 0
    # conflicting-patient studies move instances from "stored" to "refused"
    assert distinct - conflict_high <= stored <= distinct - conflict_low, (stored, distinct, conflict_low, conflict_high)
    assert duplicate == len(accepted) - distinct, (duplicate, len(accepted), distinct)
    assert refused_n == len(refused) + (distinct - stored)
    assert total == stored + duplicate + refused_n


def test_progress_on_stderr_summary_on_stdout(imported):
    _, first, _, files, _ = imported
    assert re.search(rf"100% \({len(files)}/{len(files)} files\)", first.stderr), first.stderr[-500:]
    assert "import summary" not in first.stderr and "%" not in first.stdout


def test_refusals_grouped_with_reasons_and_files(imported):
    _, first, _, files, (refused, _, _, _) = imported
    groups, current = {}, None
    for line in first.stdout.splitlines():
        m = re.match(r"^  refused \((\d+)\): (.+)$", line)
        if m:
            current = m.group(2)
            groups[current] = (int(m.group(1)), [])
        elif current and line.startswith("      "):
            groups[current][1].append(line.strip())
    assert groups, first.stdout
    for reason, (count, listed) in groups.items():
        assert count == len(listed), reason
    listed = {f for _, fs in groups.values() for f in fs}
    for f, why in refused.items():
        assert str(f) in listed, f"{f} ({why}) not listed as refused"
        reason = next(r for r, (_, fs) in groups.items() if str(f) in fs)
        if why in ("SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID"):
            assert why in reason, (f, reason)  # names the missing/invalid identifier
        else:
            assert why.split(":")[0] in reason, (f, reason)
    # the non-DICOM files of the folder are refused as such
    assert any("not parseable" in r for r in groups)


def test_second_import_everything_duplicate(imported):
    _, first, second, files, _ = imported
    a = list(map(int, SUMMARY.search(first.stdout).groups()))
    b = list(map(int, SUMMARY.search(second.stdout).groups()))
    assert b == [a[0], 0, a[1] + a[2], 0, a[4]], (first.stdout.splitlines()[0], second.stdout.splitlines()[0])


def test_verify_then_corrupt(imported, tmp_path):
    data, first, _, _, _ = imported
    ok = systole("admin", "verify", "--data", data)
    stored = int(SUMMARY.search(first.stdout).group(2))
    assert ok.returncode == 0, ok.stdout
    assert f"{stored} instance(s) checked, 0 missing, 0 corrupt" in ok.stdout, ok.stdout
    blob = sorted(p for p in (data / "blobs").rglob("*.dcm") if p.is_file())[0]
    original = blob.read_bytes()
    try:
        with open(blob, "r+b") as f:
            f.seek(len(original) // 2)
            f.write(bytes(b ^ 0xFF for b in original[len(original) // 2: len(original) // 2 + 8]))
        bad = systole("admin", "verify", "--data", data)
        assert bad.returncode == 1, bad.stdout
        uid = blob.name.rsplit(".", 2)[0]
        assert re.search(rf"^CORRUPT\s+{re.escape(uid)}\b", bad.stdout, re.M), bad.stdout
        assert "1 corrupt" in bad.stdout
    finally:
        blob.write_bytes(original)
