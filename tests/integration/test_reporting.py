"""Structured reporting end to end (issue 5): SRs stored by C-STORE (storescu), a TTE report
created over HTTP and auto-populated from them, reader edits, a newer SR arriving, and the
lifecycle draft -> preliminary -> final -> addendum with every version kept.

The echo SRs come from tools/make_echo_sr.py (PS3.16 TID 5200 and a TID 5300-style report);
expected values are the generator's, converted to the template's units. The shared SR samples
(testdata/dicom/sr) are stored too: reports over their studies must work even when none of
their concepts maps to a field.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

import pydicom
import pytest
from pydicom.uid import generate_uid

from conftest import DICOM, REPO, dcmtk, http_request, storescu, storescu_args

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def store(port, *paths):
    dcmtk("storescu", "-aec", "SYSTOLE", "127.0.0.1", port, *paths)


def api(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if body is not None else {}
    return http_request(server.http_port, method, path, data, headers)


@pytest.fixture(scope="module")
def echo_srs(tmp_path_factory):
    out = tmp_path_factory.mktemp("echo_sr")
    run = subprocess.run([sys.executable, str(REPO / "tools" / "make_echo_sr.py"), "--out", str(out)],
                         capture_output=True, text=True, check=True)
    made = json.loads(run.stdout)
    return made["study"], [Path(f) for f in made["files"]]


def fields_of(report):
    return {f["id"]: f for f in report["fields"]}


def newer_sr(path, out_dir, changes):
    """A copy of an SR as a new object (new SOP/Series Instance UID) with some NUM values changed
    and the patient's height and weight in the header."""
    ds = pydicom.dcmread(str(path))
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber = 95
    ds.PatientSize = "1.68"
    ds.PatientWeight = "70"

    def walk(items):
        for item in items:
            if item.ValueType == "NUM" and item.ConceptNameCodeSequence[0].CodeValue in changes:
                item.MeasuredValueSequence[0].NumericValue = changes[item.ConceptNameCodeSequence[0].CodeValue]
            walk(item.get("ContentSequence", []))

    walk(ds.ContentSequence)
    out = out_dir / "newer.dcm"
    ds.save_as(str(out), write_like_original=False)
    return out, str(ds.SOPInstanceUID)


def test_report_lifecycle_over_http(make_server, echo_srs, tmp_path):
    server = make_server()
    study, files = echo_srs
    store(server.port, *files)
    samples = []
    for sample in sorted((DICOM / "sr").glob("*.dcm")):
        _, status, out = storescu(server.port, sample, storescu_args(sample, tmp_path))
        assert status == "0000", (sample.name, out[-2000:])
        samples.append(sample)
    uid_5300 = str(pydicom.dcmread(str(files[1]), stop_before_pixels=True).SOPInstanceUID)

    templates = api(server, "GET", "/api/templates")
    assert templates.status == 200, templates
    ids = {t["id"] for t in templates.json()["templates"]}
    assert {"tte", "tee", "stress_echo", "cath", "vascular", "cmr"} <= ids
    tte = api(server, "GET", "/api/templates/tte").json()
    assert any(f["id"] == "lv.ef" for s in tte["sections"] for f in s["fields"])
    assert api(server, "GET", "/api/templates/nope").status == 404

    created = api(server, "POST", f"/api/studies/{study}/reports", {"template": "tte"})
    assert created.status == 201, created
    report = created.json()
    rid = report["id"]
    assert report["status"] == "draft" and report["template"] == "tte" and report["signature"] is None
    f = fields_of(report)
    # Mapped measurements, in the field's unit, with their source (the cart) and SR.
    expected = {
        "lv.lvidd": ("4.8", "cm"),          # three beats in mm and a chosen mean in cm
        "lv.lvids": ("3.1", "cm"),
        "lv.ivsd": ("1.0", "cm"),           # written as 10 mm, LN 18154-5
        "lv.lvpwd": ("0.9", "cm"),
        "lv.edv": ("120", "mL"),
        "lv.ef": ("59", "%"),               # the TID 5300 SR came later and its user-chosen value wins
        "patient.heart_rate": ("64", "/min"),
        "av.peak_velocity": ("2.50", "m/s"),  # 2.5 m/s -> canonical cm/s -> m/s
        "av.mean_gradient": ("14", "mm[Hg]"),
        "lvot.diameter": ("2.1", "cm"),     # 21 mm, SNOMED-RT concept
        "mv.e_velocity": ("80", "cm/s"),    # 0.8 m/s
        "mv.a_velocity": ("60", "cm/s"),
        "mv.peak_velocity": ("95", "cm/s"),
    }
    for field_id, (value, unit) in expected.items():
        assert f[field_id]["value"] == value, (field_id, f[field_id])
        assert f[field_id]["unit"] == unit, (field_id, f[field_id])
        assert f[field_id]["source"] == "device", (field_id, f[field_id])
    assert f["lv.ef"]["source_detail"] == uid_5300
    # Metadata: sex and age (19650412 -> 20240314) from the header.
    assert f["patient.sex"]["value"] == "F" and f["patient.sex"]["source"] == "metadata"
    assert f["patient.age"]["value"] == "58" and f["patient.age"]["source"] == "metadata"
    # Derived: RWT = 2 x 0.9 / 4.8, LV mass by the linear method; flags against the woman's ranges.
    assert f["lv.rwt"]["value"] == "0.38" and f["lv.rwt"]["source"] == "derived"
    assert f["lv.mass"]["source"] == "derived" and f["lv.mass"]["source_detail"].startswith("ASE linear")
    assert f["lv.ivsd"]["flag"] == "H" and f["lv.ivsd"]["normal_range"] == "0.6-0.9"  # 1.0 cm > 0.9 in women
    assert "Left ventricular ejection fraction is 59 %." in report["findings"]
    listed = api(server, "GET", f"/api/studies/{study}/reports").json()["reports"]
    assert [r["id"] for r in listed] == [rid]

    # Reports over the shared samples' studies work too (whatever maps).
    for sample in samples:
        sample_study = str(pydicom.dcmread(str(sample), stop_before_pixels=True, force=True).StudyInstanceUID)
        r = api(server, "POST", f"/api/studies/{sample_study}/reports", {"template": "tte"})
        assert r.status == 201, (sample.name, r)

    # Reader edits: typed value, clear, accept; bad edits are precise 400s.
    typed = api(server, "PUT", f"/api/reports/{rid}/fields/lv.ivsd", {"value": "1.2"})
    assert typed.status == 200, typed
    assert fields_of(typed.json())["lv.ivsd"]["source"] == "typed"
    assert fields_of(typed.json())["lv.ivsd"]["value"] == "1.2"
    assert api(server, "PUT", f"/api/reports/{rid}/fields/lv.lvids", {"accept": True}).status == 200
    assert api(server, "PUT", f"/api/reports/{rid}/fields/lv.nope", {"value": "1"}).status == 400
    assert api(server, "PUT", f"/api/reports/{rid}/fields/lv.ef", {"value": "high"}).status == 400
    assert http_request(server.http_port, "PUT", f"/api/reports/{rid}/fields/lv.ef", b"{nope").status == 400
    assert api(server, "PUT", "/api/reports/nope/fields/lv.ef", {"value": "1"}).status == 404

    # A newer SR arrives: EF 62 %, IVSd 14 mm; height and weight in its header.
    newer, newer_uid = newer_sr(files[0], tmp_path, {"18043-0": "62", "18154-5": "14"})
    store(server.port, newer)
    f = fields_of(api(server, "GET", f"/api/reports/{rid}").json())
    assert f["lv.ef"]["value"] == "62" and f["lv.ef"]["source_detail"] == newer_uid
    assert "was 59" in f["lv.ef"]["note"], f["lv.ef"]
    assert f["lv.ivsd"]["value"] == "1.2" and f["lv.ivsd"]["source"] == "typed"  # never overwritten
    assert "not applied" in f["lv.ivsd"]["note"]
    assert f["patient.weight"]["value"] == "70.0" and f["patient.weight"]["source"] == "metadata"
    assert f["patient.weight"]["source_detail"].startswith("PatientWeight")

    assert api(server, "PUT", f"/api/reports/{rid}/text", {"impression": "Normal study."}).status == 200
    prelim = api(server, "POST", f"/api/reports/{rid}/status", {"status": "preliminary"})
    assert prelim.status == 200 and prelim.json()["status"] == "preliminary", prelim
    final = api(server, "POST", f"/api/reports/{rid}/status", {"status": "final"})
    assert final.status == 200, final
    signature = final.json()["signature"]
    assert signature["signer"] == "demo" and ISO_UTC.match(signature["signed_at"])
    assert re.fullmatch(r"[0-9a-f]{64}", signature["content_sha256"])

    refused = api(server, "PUT", f"/api/reports/{rid}/fields/lv.ef", {"value": "40"})
    assert refused.status == 409, refused
    assert "final" in refused.json()["error"] and "use an addendum" in refused.json()["error"]
    assert api(server, "PUT", f"/api/reports/{rid}/text", {"impression": "x"}).status == 409
    assert api(server, "POST", f"/api/reports/{rid}/status", {"status": "final"}).status == 409

    v1_before = api(server, "GET", f"/api/reports/{rid}/versions/1")
    assert v1_before.status == 200
    addendum = api(server, "POST", f"/api/reports/{rid}/addenda", {"text": "Compared with prior: unchanged."})
    assert addendum.status == 201, addendum
    assert addendum.json()["status"] == "addendum" and addendum.json()["version"] == 2

    versions = api(server, "GET", f"/api/reports/{rid}/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    v1, v2 = versions
    assert api(server, "GET", f"/api/reports/{rid}/versions/1").body == v1_before.body  # v1 untouched
    assert v1["status"] == "final" and v1["addenda"] == [] and v1["impression"] == "Normal study."
    assert v2["addenda"][0]["text"] == "Compared with prior: unchanged."
    assert v2["addenda"][0]["signature"]["content_sha256"] != v1["signature"]["content_sha256"]
    assert v2["signature"] == v1["signature"]
    assert api(server, "GET", f"/api/reports/{rid}/versions/3").status == 404
    ef_v1 = [v for s in v1["sections"] for v in s["values"] if v["field_id"] == "lv.ef"][0]
    assert ef_v1["value"] == "62" and ef_v1["code"]["code"] == "18043-0" and ef_v1["unit"] == "%"

    history = api(server, "GET", f"/api/reports/{rid}").json()["history"]
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "draft"), ("draft", "preliminary"), ("preliminary", "final"), ("final", "addendum")]
    assert all(h["user"] == "demo" and ISO_UTC.match(h["at"]) for h in history)
    assert "reporting" in server.log()


def test_only_configured_signers_may_sign(make_server, echo_srs):
    server = make_server("signers", env={"SYSTOLE_REPORTING_SIGNERS": "dr_jones"})
    study, files = echo_srs
    store(server.port, files[0])
    rid = api(server, "POST", f"/api/studies/{study}/reports", {"template": "tte"}).json()["id"]
    refused = api(server, "POST", f"/api/reports/{rid}/status", {"status": "final"})
    assert refused.status == 403, refused
    assert "reporting.signers" in refused.json()["error"]
    report = api(server, "GET", f"/api/reports/{rid}").json()
    assert report["status"] == "draft" and report["signature"] is None
    assert api(server, "GET", f"/api/reports/{rid}/versions").json()["versions"] == []


def test_bad_requests(make_server):
    server = make_server("bad")
    assert api(server, "POST", "/api/studies/1.2.3/reports", {"template": "tte"}).status == 404
    assert api(server, "POST", "/api/studies/1.2.3/reports", {"tmpl": "tte"}).status == 400
    assert http_request(server.http_port, "POST", "/api/studies/1.2.3/reports", b"[1,2]").status == 400
    assert api(server, "GET", "/api/reports/unknown").status == 404
    assert api(server, "GET", "/api/reports/unknown/versions").status == 404
    openapi = api(server, "GET", "/api/openapi.json").json()
    assert "/api/reports/{id}/versions/{n}" in openapi["paths"]
    assert server.alive()
