"""Measurement ingest end to end: synthetic echo SRs (tools/make_echo_sr.py, built from PS3.16
TID 5200 and a TID 5300-style simplified report) are stored by STOW-RS, and
GET /api/studies/{StudyInstanceUID}/measurements must show every numeric content item.

The expected NUMs are read from the generated files with pydicom, independently of Systole's
reader; inheritance, selection and SRT/SCT folding are checked against the values written in
the generator.
"""
import csv
import http.client
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pydicom
import pytest

from conftest import REPO

MULTIPART_DICOM = 'multipart/related; type="application/dicom"'
CONCEPT_MAP = REPO / "templates" / "concept_map.csv"
# The SNOMED-RT codes the generator writes, with their SNOMED CT ids (PS3.16 context groups).
SRT_TO_SCT = {"G-037A": "399133000", "F-32100": "82799009", "G-038F": "399027007"}


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def stow(port, files):
    boundary = "systole-sr-" + uuid.uuid4().hex
    body = b""
    for f in files:
        body += b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read_bytes() + b"\r\n"
    body += b"--" + boundary.encode() + b"--\r\n"
    return request(port, "POST", "/dicomweb/studies", body, {"Content-Type": f"{MULTIPART_DICOM}; boundary={boundary}"})


def nums(dataset):
    """Every NUM content item of an SR dataset, depth first: (concept code, scheme, value or None)."""
    out = []

    def walk(items):
        for item in items:
            if item.ValueType == "NUM":
                concept = item.ConceptNameCodeSequence[0]
                mv = item.get("MeasuredValueSequence")
                value = str(mv[0].NumericValue) if mv else None
                out.append((concept.CodeValue, concept.CodingSchemeDesignator, value))
            walk(item.get("ContentSequence", []))

    walk(dataset.ContentSequence)
    return out


def code(entry_field):
    return None if entry_field is None else (entry_field["scheme"], entry_field["code"])


@pytest.fixture(scope="module")
def stored(make_module_server, tmp_path_factory):
    out = tmp_path_factory.mktemp("echo_sr")
    study = "2.25.%d" % uuid.uuid4().int
    subprocess.run([sys.executable, str(REPO / "tools" / "make_echo_sr.py"), "--out", str(out), "--study-uid", study],
                   check=True, capture_output=True)
    files = [out / "echo_tid5200.dcm", out / "echo_tid5300.dcm"]
    server = make_module_server("measurements")
    status, body = stow(server.http_port, files)
    assert status == 200, body
    status, body = request(server.http_port, "GET", f"/api/studies/{study}/measurements")
    assert status == 200, body
    return dict(server=server, study=study, files=files, entries=json.loads(body)["measurements"],
                datasets=[pydicom.dcmread(str(f)) for f in files])


def by_concept(entries, scheme, value, sop=None):
    return [e for e in entries if (e["concept"]["scheme"], e["concept"]["code"]) == (scheme, value)
            and (sop is None or e["sopInstanceUID"] == sop)]


def test_every_numeric_content_item_is_there_exactly_once(stored):
    for ds in stored["datasets"]:
        raw = nums(ds)
        entries = [e for e in stored["entries"] if e["sopInstanceUID"] == ds.SOPInstanceUID]
        seen = []
        for e in entries:
            for v in [e] + e["samples"]:
                seen.append((v["conceptAsWritten"]["code"], v["conceptAsWritten"]["scheme"], v["value"]))
        assert sorted(seen, key=str) == sorted(raw, key=str)
    assert sum(len(nums(ds)) for ds in stored["datasets"]) == 34
    assert not [line for line in stored["server"].log().splitlines() if "content not readable" in line]


def test_known_concepts_have_the_right_value_and_canonical_unit(stored):
    with open(CONCEPT_MAP, newline="") as f:
        rows = [r for r in csv.DictReader(line for line in f if not line.startswith("#"))]
    known = {(r["concept_scheme"], r["concept_code"]): r["unit"] for r in rows}
    checked = 0
    for ds in stored["datasets"]:
        for concept_code, scheme, value in nums(ds):
            canonical = ("SCT", SRT_TO_SCT[concept_code]) if scheme == "SRT" else (scheme, concept_code)
            if canonical not in known or value is None:
                continue
            matches = [v for e in by_concept(stored["entries"], *canonical, sop=ds.SOPInstanceUID)
                       for v in [e] + e["samples"] if v["value"] == value
                       and v["conceptAsWritten"]["code"] == concept_code]
            assert matches, (canonical, value)
            assert all(v["canonicalUnit"] == known[canonical] for v in matches), (canonical, matches)
            checked += 1
    # TID 5200: 29 NUMs less LV mass (no value) and the private GLS; TID 5300: 5 less the private one.
    assert checked == 31


def test_repeated_values_fold_and_the_selected_mean_is_marked(stored):
    sop = stored["datasets"][0].SOPInstanceUID
    (lvidd,) = by_concept(stored["entries"], "LN", "29436-3", sop)
    assert (lvidd["value"], lvidd["unit"], lvidd["canonicalValue"], lvidd["canonicalUnit"]) == ("4.8", "cm", "4.8", "cm")
    assert code(lvidd["selectionStatus"]) == ("DCM", "121412")
    assert code(lvidd["derivation"]) == ("SCT", "373098007")
    assert [(s["value"], s["unit"], s["canonicalValue"]) for s in lvidd["samples"]] == [
        ("47", "mm", "4.7"), ("48", "mm", "4.8"), ("49", "mm", "4.9")]
    assert [s["imageReference"]["frames"] for s in lvidd["samples"]] == [[12], [40], [68]]
    assert all(s["selectionStatus"] is None for s in lvidd["samples"])
    assert lvidd["source"] == "device" and lvidd["observer"] == "CART-7"
    # TID 5300-style: the user-chosen EF of two.
    (ef,) = by_concept(stored["entries"], "LN", "18043-0", stored["datasets"][1].SOPInstanceUID)
    assert ef["value"] == "59" and code(ef["selectionStatus"]) == ("DCM", "121410")
    assert [s["value"] for s in ef["samples"]] == ["57"]


def test_modifiers_are_inherited_unless_overridden(stored):
    sop = stored["datasets"][0].SOPInstanceUID
    entries = stored["entries"]
    (lvidd,) = by_concept(entries, "LN", "29436-3", sop)
    assert code(lvidd["findingSite"]) == ("SCT", "87878005")   # section: (T-32600, SRT)
    assert code(lvidd["imageMode"]) == ("SCT", "399064001")    # group: (G-03A2, SRT)
    assert code(lvidd["cardiacPhase"]) == ("SCT", "416190007")  # group: (R-FAB5C, SRT)
    (lvids,) = by_concept(entries, "LN", "29438-9", sop)
    assert code(lvids["cardiacPhase"]) == ("SCT", "416430001")  # its own
    assert code(lvids["findingSite"]) == ("SCT", "87878005")
    (vti,) = by_concept(entries, "LN", "20354-7", sop)
    assert code(vti["findingSite"]) == ("SCT", "13418002")     # overrides the Aortic Valve section
    (vmax,) = by_concept(entries, "LN", "11726-7", sop)
    assert code(vmax["findingSite"]) == ("SCT", "34202007")
    assert code(vmax["imageMode"]) == ("SCT", "261198000")
    assert code(vmax["flowDirection"]) == ("SCT", "263677008")
    assert (vmax["value"], vmax["unit"], vmax["canonicalValue"], vmax["canonicalUnit"]) == ("2.5", "m/s", "250", "cm/s")
    (la,) = by_concept(entries, "LN", "29469-4", sop)
    assert code(la["findingSite"]) == ("SCT", "82471001") and la["cardiacPhase"] is None
    (lvedv,) = by_concept(entries, "LN", "18026-5", sop)
    assert (lvedv["unit"], lvedv["canonicalUnit"]) == ("ml", "mL")
    assert code(lvedv["method"]) == ("DCM", "125207")


def test_srt_and_sct_codes_resolve_to_one_concept(stored):
    sop = stored["datasets"][0].SOPInstanceUID
    entries = stored["entries"]
    assert not [e for e in entries if e["concept"]["scheme"] == "SRT"]
    (e_prime,) = by_concept(entries, "SCT", "399133000", sop)
    assert e_prime["value"] == "8.5" and e_prime["canonicalUnit"] == "cm/s"
    assert sorted((s["conceptAsWritten"]["scheme"], s["value"], s["canonicalValue"]) for s in e_prime["samples"]) == [
        ("SCT", "0.09", "9"), ("SRT", "8", "8")]
    assert len(by_concept(entries, "SCT", "82799009", sop)) == 1  # Cardiac Output, written (F-32100, SRT)


def test_value_less_and_private_measurements_are_kept(stored):
    sop = stored["datasets"][0].SOPInstanceUID
    (mass,) = by_concept(stored["entries"], "LN", "18087-7", sop)
    assert mass["value"] is None and mass["unit"] is None
    assert code(mass["qualifier"]) == ("DCM", "114006")
    (gls,) = by_concept(stored["entries"], "99ACME", "ACME-GLS", sop)
    assert gls["concept"]["meaning"] == "Global longitudinal strain (ACME)" and gls["value"] == "-18.5"


def test_route_is_documented_and_unknown_studies_are_404(stored):
    port = stored["server"].http_port
    status, body = request(port, "GET", "/api/openapi.json")
    assert status == 200
    assert "/api/studies/{StudyInstanceUID}/measurements" in json.loads(body)["paths"]
    status, _ = request(port, "GET", "/api/studies/1.2.3.999/measurements")
    assert status == 404
