"""End to end, as a hospital runs it: ADT A04 → ORM new order → the cart sees the step with findscu -W →
storescu sends the study with that accession → it is linked to its order (the API shows the order
context) → ADT A40 merges the patient → QIDO-RS and FHIR ImagingStudy search list the study under the
surviving patient, and
WADO-RS metadata, WADO-RS instance retrieve, WADO-URI and C-GET serve the surviving patient's ID while
the stored file stays as received (IHE PIR). Unknown accessions land on the orphan list; a study whose
birth date disagrees with the order is flagged, not linked; admin link/resolve/correct are logged.
Real MLLP over TCP, real DCMTK findscu/storescu/getscu, ACKs parsed by python3-hl7."""
import hashlib
import io
import json

import pydicom
import pytest

from conftest import DICOM, dcmtk, findscu, getscu, http_request, retrieved_by_uid
from fhir_validation import structure_errors
from test_dicomweb import parse_multipart
from test_hl7 import MllpClient, ack_of, msh

SOURCE = DICOM / "mr" / "pydicom__MR_small.dcm"


@pytest.fixture(scope="module")
def site(make_module_server):
    return make_module_server("e2e")


def hl7_send(server, *messages):
    """Sends each message on one MLLP connection; returns the (code, control id) of each ACK."""
    client = MllpClient(server.hl7_port)
    try:
        return [ack_of(client.send(m))[:2] for m in messages]
    finally:
        client.close()


def a04(control, pid, name, birth_date, sex):
    return msh("ADT^A04", control) + f"EVN|A04\rPID|||{pid}^^^HOSP^MR||{name}||{birth_date}|{sex}\r"


def orm(control, pid, name, birth_date, sex, accession):
    return (msh("ORM^O01", control, "2.3") +
            f"PID|||{pid}^^^HOSP||{name}||{birth_date}|{sex}\r"
            "PV1||O||||||^Referrer^Rita\r"  # PV1-8 referring doctor
            f"ORC|NW|PL-{accession}|FI-{accession}||SC||^^^20240315093000^^S\r"
            f"OBR|1|PL-{accession}|FI-{accession}|93306^TTE complete^CPT||||||||||||^Orderer^Oscar||{accession}|"
            f"RP-{accession}|SPS-{accession}|ECHO1|||US|||||||^Dyspnoea on exertion\r")


def store(server, tmp_path, tag, patient_id, name, birth_date, sex, accession):
    """Sends a one-instance study with storescu; returns (Study Instance UID, the file sent)."""
    ds = pydicom.dcmread(str(SOURCE))
    ds.PatientID, ds.IssuerOfPatientID, ds.PatientName = patient_id, "HOSP", name
    ds.PatientBirthDate, ds.PatientSex, ds.AccessionNumber = birth_date, sex, accession
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.77.{tag}"
    ds.SeriesInstanceUID = ds.StudyInstanceUID + ".1"
    ds.SOPInstanceUID = ds.StudyInstanceUID + ".1.1"
    path = tmp_path / f"{tag}.dcm"
    ds.save_as(str(path))
    dcmtk("storescu", "-xe", "127.0.0.1", server.port, path)
    return ds.StudyInstanceUID, path


def api(server, method, path, body=None):
    response = http_request(server.http_port, method, path,
                            json.dumps(body) if body is not None else None,
                            {"Content-Type": "application/json"} if body is not None else None)
    return response.status, (response.json() if response.body else None)


def blob_digests(server):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (server.data_dir / "blobs").rglob("*") if p.is_file()}


def test_order_to_merge_end_to_end(site, tmp_path):
    assert hl7_send(site, a04("E2E-A04", "E2E001", "Pulse^Paula", "19650412", "F"),
                    orm("E2E-ORM", "E2E001", "Pulse^Paula", "19650412", "F", "E2EACC1")) == \
        [("AA", "E2E-A04"), ("AA", "E2E-ORM")]

    # The cart queries its worklist and sees the step.
    responses, status, out = findscu(site.port, [
        "AccessionNumber", "PatientID", "PatientName", "PatientBirthDate",
        "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=ECHO1",
        "ScheduledProcedureStepSequence[0].Modality"], model="-W")
    assert status == "0000", out
    step = [r for r in responses if r.get("00080050") == "E2EACC1"]
    assert len(step) == 1, out
    assert step[0]["00100020"] == "E2E001" and step[0]["00100010"] == "Pulse^Paula"

    # The cart sends the study with that accession: linked, the order context attached.
    study, sent = store(site, tmp_path, 1, "E2E001", "Pulse^Paula", "19650412", "F", "E2EACC1")
    status, record = api(site, "GET", f"/api/studies/{study}/reconciliation")
    assert status == 200, record
    assert record["state"] == "linked"
    assert record["order"] == {"accession_number": "E2EACC1", "requested_procedure": "TTE complete",
                               "indication": "Dyspnoea on exertion", "priority": "STAT",
                               "referring_physician": "Referrer^Rita"}
    stored_before = blob_digests(site)

    # Nothing changed yet: instance retrieve is the stored file, byte for byte (the fast path).
    instance = f"/dicomweb/studies/{study}/series/{study}.1/instances/{study}.1.1"
    as_stored = {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'}
    (_, before_bytes), = parse_multipart(http_request(site.http_port, "GET", instance, headers=as_stored))
    assert pydicom.dcmread(io.BytesIO(before_bytes)).PatientID == "E2E001"
    assert before_bytes in [p.read_bytes() for p in (site.data_dir / "blobs").rglob("*") if p.is_file()]

    # ADT A40: E2E001 is merged into E2E900.
    a40 = (msh("ADT^A40", "E2E-A40") + "EVN|A40\rPID|||E2E900^^^HOSP^MR||Pulse^Paula^M||19650412|F\r"
           "MRG|E2E001^^^HOSP^MR\r")
    assert hl7_send(site, a40) == [("AA", "E2E-A40")]

    qido = http_request(site.http_port, "GET", "/dicomweb/studies?PatientID=E2E900")
    assert qido.status == 200, qido
    assert [s["0020000D"]["Value"][0] for s in qido.json()] == [study]
    assert http_request(site.http_port, "GET", "/dicomweb/studies?PatientID=E2E001").body in (b"", b"[]")

    # FHIR R4 sees the merge too: ImagingStudy by the surviving patient's identifier (the chained form EHRs
    # use), with a subject that resolves to the surviving Patient; nothing left under the merged one.
    fhir = http_request(site.http_port, "GET", "/fhir/ImagingStudy?patient.identifier=E2E900")
    assert fhir.status == 200, fhir
    bundle = fhir.json()
    assert structure_errors(bundle) == []
    assert [e["resource"]["id"] for e in bundle["entry"] if e.get("search", {}).get("mode") != "outcome"] == [study]
    (entry,) = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "ImagingStudy"]
    subject = http_request(site.http_port, "GET", "/fhir/" + entry["resource"]["subject"]["reference"])
    assert subject.status == 200 and structure_errors(subject.json()) == []
    assert [i["value"] for i in subject.json()["identifier"]] == ["E2E900"]
    merged = http_request(site.http_port, "GET", "/fhir/ImagingStudy?patient.identifier=E2E001").json()
    assert [e for e in merged.get("entry", []) if e["resource"]["resourceType"] == "ImagingStudy"] == []

    # What is served carries the surviving patient; the stored file is untouched.
    metadata = http_request(site.http_port, "GET", f"/dicomweb/studies/{study}/metadata")
    assert metadata.status == 200, metadata
    (item,) = metadata.json()
    assert item["00100020"]["Value"] == ["E2E900"]
    assert item["00100010"]["Value"] == [{"Alphabetic": "Pulse^Paula^M"}]
    assert item["0020000D"]["Value"] == [study]

    (head, payload), = parse_multipart(http_request(site.http_port, "GET", instance, headers=as_stored))
    served = pydicom.dcmread(io.BytesIO(payload))
    original = pydicom.dcmread(str(sent))
    assert served.PatientID == "E2E900" and served.PatientName == "Pulse^Paula^M"
    assert served.SOPInstanceUID == original.SOPInstanceUID
    assert served.file_meta.TransferSyntaxUID == original.file_meta.TransferSyntaxUID
    assert served.PixelData == original.PixelData

    uri = http_request(site.http_port, "GET", f"/wado?requestType=WADO&studyUID={study}&seriesUID={study}.1"
                                              f"&objectUID={study}.1.1&contentType=application/dicom")
    assert uri.status == 200, uri
    assert pydicom.dcmread(io.BytesIO(uri.body)).PatientID == "E2E900"

    proc, out = getscu(site.port, tmp_path / "get", ["QueryRetrieveLevel=STUDY", f"StudyInstanceUID={study}"])
    assert proc.returncode == 0, out
    (got,) = retrieved_by_uid(tmp_path / "get").values()
    got_ds = pydicom.dcmread(str(got))
    assert got_ds.PatientID == "E2E900" and got_ds.PixelData == original.PixelData

    assert blob_digests(site) == stored_before
    assert pydicom.dcmread(io.BytesIO(before_bytes)).PatientID == "E2E001"


def test_unknown_accession_is_an_orphan_until_an_admin_links_it(site, tmp_path):
    study, _ = store(site, tmp_path, 2, "E2E002", "Beat^Bob", "19500101", "M", "NO-SUCH-ACC")
    status, body = api(site, "GET", "/api/admin/orphans")
    assert status == 200
    orphan = [o for o in body["orphans"] if o["study_instance_uid"] == study]
    assert len(orphan) == 1 and orphan[0]["accession_number"] == "NO-SUCH-ACC"
    assert orphan[0]["header_patient"]["id"] == "E2E002"

    assert hl7_send(site, orm("E2E-ORM2", "E2E002", "Beat^Bob", "19500101", "M", "E2EACC2"))[0][0] == "AA"
    status, record = api(site, "POST", f"/api/admin/orphans/{study}/link", {"accession": "E2EACC2"})
    assert status == 200, record
    assert record["state"] == "linked" and record["order"]["accession_number"] == "E2EACC2"
    status, body = api(site, "GET", "/api/admin/orphans")
    assert study not in [o["study_instance_uid"] for o in body["orphans"]]

    status, log = api(site, "GET", "/api/admin/reconciliation-log?limit=50")
    linked = [a for a in log["actions"] if a["study_instance_uid"] == study and a["action"] == "link"]
    assert len(linked) == 1
    assert linked[0]["user"] == "demo" and linked[0]["at"]
    assert linked[0]["before"]["state"] == "orphan" and linked[0]["after"]["state"] == "linked"

    assert api(site, "POST", f"/api/admin/orphans/{study}/link", {"accession": "NOPE"})[0] == 404
    assert api(site, "POST", "/api/admin/orphans/1.2.3.4.5/link", {"accession": "E2EACC2"})[0] == 404
    assert http_request(site.http_port, "POST", f"/api/admin/orphans/{study}/link", b"{not json").status == 400


def test_an_order_arriving_later_links_the_waiting_study(site, tmp_path):
    study, _ = store(site, tmp_path, 4, "E2E004", "Late^Larry", "19700101", "M", "E2EACC4")
    assert api(site, "GET", f"/api/studies/{study}/reconciliation")[1]["state"] == "orphan"
    assert hl7_send(site, orm("E2E-ORM4", "E2E004", "Late^Larry", "19700101", "M", "E2EACC4"))[0][0] == "AA"
    record = api(site, "GET", f"/api/studies/{study}/reconciliation")[1]
    assert record["state"] == "linked" and record["order"]["indication"] == "Dyspnoea on exertion"


def test_birth_date_disagreeing_with_the_order_is_flagged_not_linked(site, tmp_path):
    assert hl7_send(site, a04("E2E-A04-3", "E2E003", "Valve^Vera", "19800102", "F"),
                    orm("E2E-ORM3", "E2E003", "Valve^Vera", "19800102", "F", "E2EACC3"))[1][0] == "AA"
    study, _ = store(site, tmp_path, 3, "E2E003", "Valve^Vera", "19800101", "F", "E2EACC3")
    status, body = api(site, "GET", "/api/admin/mismatches")
    assert status == 200
    (flagged,) = [m for m in body["mismatches"] if m["study_instance_uid"] == study]
    assert flagged["differences"] == [{"attribute": "PatientBirthDate", "header": "19800101", "order": "19800102"}]
    record = api(site, "GET", f"/api/studies/{study}/reconciliation")[1]
    assert record["state"] == "mismatch" and "order" not in record  # not linked
    assert record["candidate_accession"] == "E2EACC3"

    assert api(site, "POST", f"/api/admin/mismatches/{study}/resolve", {"action": "merge"})[0] == 400
    status, record = api(site, "POST", f"/api/admin/mismatches/{study}/resolve", {"action": "link"})
    assert status == 200, record
    assert record["state"] == "linked"
    assert study not in [m["study_instance_uid"] for m in api(site, "GET", "/api/admin/mismatches")[1]["mismatches"]]
    actions = api(site, "GET", "/api/admin/reconciliation-log")[1]["actions"]
    assert [a["action"] for a in actions if a["study_instance_uid"] == study] == ["link", "mismatch"]


def test_admin_correction_and_duplicate_candidates(site, tmp_path):
    study, _ = store(site, tmp_path, 5, "TEMP55", "Unknown^Echo", "", "", "")
    status, record = api(site, "POST", f"/api/admin/studies/{study}/correct-patient",
                         {"id": "E2E005", "issuer": "HOSP", "name": "Right^Rhea", "birth_date": "19910203", "sex": "F"})
    assert status == 200, record
    meta = http_request(site.http_port, "GET", f"/dicomweb/studies/{study}/metadata").json()[0]
    assert meta["00100020"]["Value"] == ["E2E005"] and meta["00100030"]["Value"] == ["19910203"]
    assert [a["action"] for a in api(site, "GET", "/api/admin/reconciliation-log?limit=1")[1]["actions"]] == \
        ["correct-patient"]
    assert api(site, "POST", f"/api/admin/studies/{study}/correct-patient", {"id": "X", "sex": "Q"})[0] == 400

    assert [c for c, _ in hl7_send(site, a04("E2E-DUP1", "DUP001", "Twin^Tom", "19440404", "M"),
                                   a04("E2E-DUP2", "DUP002", "TWIN^TOM", "19440404", "M"))] == ["AA", "AA"]
    candidates = api(site, "GET", "/api/admin/duplicate-patients")[1]["candidates"]
    (twins,) = [c for c in candidates if c["birth_date"] == "19440404"]
    assert sorted(p["id"] for p in twins["patients"]) == ["DUP001", "DUP002"]
    assert site.alive()
