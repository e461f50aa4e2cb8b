"""HL7 v2 over MLLP: ADT and orders into the index, ACKs checked with python3-hl7 (an independent
parser), malformed messages answered AE/AR on a connection that keeps working, the resulting
Modality Worklist queried with DCMTK findscu -W, and ADT A08/A40 reflected in C-FIND and QIDO-RS."""
import json
import socket
import urllib.request
from pathlib import Path

import hl7
import pytest

from conftest import DICOM, TESTDATA, dcmtk, findscu

SAMPLES = TESTDATA / "hl7"
START, END = b"\x0b", b"\x1c\x0d"


class MllpClient:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buffer = b""

    def send(self, payload):
        """Sends one message (str or bytes) framed, returns the answer's payload as text."""
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        self.sock.sendall(START + data + END)
        return self.receive()

    def send_raw(self, data):
        self.sock.sendall(data)

    def receive(self):
        while END not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buffer += chunk
        frame, self.buffer = self.buffer.split(END, 1)
        assert frame.startswith(START), frame[:20]
        return frame[1:].decode("utf-8")

    def close(self):
        self.sock.close()


def ack_of(text):
    """(MSA-1, MSA-2, ERR segment text or None), parsed by python3-hl7."""
    message = hl7.parse(text)
    assert str(message.segment("MSH")[9][0][0]) == "ACK", text
    msa = message.segment("MSA")
    try:
        err = str(message.segment("ERR"))
    except KeyError:
        err = None
    return str(msa[1]), str(msa[2]), err


def msh(event, control_id, version="2.5.1", sender="RIS", facility="HOSP"):
    return f"MSH|^~\\&|{sender}|{facility}|SYSTOLE|CARDIO|20240301120000||{event}|{control_id}|P|{version}\r"


@pytest.fixture(scope="module")
def hl7_server(make_module_server):
    return make_module_server("hl7")


def qido(server, query):
    with urllib.request.urlopen(f"http://127.0.0.1:{server.http_port}/dicomweb/studies?{query}", timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else []


def store_study(server, tmp_path, patient_id, name):
    import pydicom
    ds = pydicom.dcmread(str(DICOM / "mr" / "pydicom__MR_small.dcm"))
    ds.PatientID = patient_id
    ds.PatientName = name
    ds.IssuerOfPatientID = ""
    ds.StudyInstanceUID = f"1.2.826.0.1.3680043.8.498.{abs(hash(patient_id)) % 10**12}"
    ds.SeriesInstanceUID = ds.StudyInstanceUID + ".1"
    ds.SOPInstanceUID = ds.StudyInstanceUID + ".1.1"
    path = tmp_path / f"{patient_id}.dcm"
    ds.save_as(str(path))
    dcmtk("storescu", "-xe", "127.0.0.1", server.port, path)
    return ds.StudyInstanceUID


def test_samples_are_acknowledged_as_expected(hl7_server):
    expected = {
        "dcm4che__ADT_A31-UpdatePersonInfo.hl7": "AA",
        "fhirconverter__ADT-A01-01.hl7": "AA",
        "fhirconverter__ADT-A04-01.hl7": "AA",
        "fhirconverter__ADT-A08-01.hl7": "AA",
        "dcm4che__OMI_O23-ImagingOrder.hl7": "AA",
        "dcm4che__ORM_O01-GeneralOrder.hl7": "AA",   # MSH-9 says OMI^O23 without IPC: accession from OBR-18
        "fhirconverter__ORM-O01-01.hl7": "AA",
        "fhirconverter__ORM-O01-02.hl7": "AA",
        "dcm4che__ADT_A40-PatientMerge.hl7": "AE",   # merges OLD_PID_1, which nobody told us about
        "fhirconverter__ADT-A40-01.hl7": "AE",
        "dcm4che__ADT_A47-ChangePatientID.hl7": "AR",
        "dcm4che__ORU_R01-SR.hl7": "AR",
        "dcm4che__SIU_S12-NewAppointmentBooking.hl7": "AR",
        "fhirconverter__MDM-T02-01.hl7": "AR",
    }
    client = MllpClient(hl7_server.hl7_port)
    try:
        for name, code in expected.items():
            raw = (SAMPLES / name).read_bytes()
            control_id = str(hl7.parse(raw.decode("utf-8-sig").replace("\n", "\r")).segment("MSH")[10])
            answer, acked_id, err = ack_of(client.send(raw))
            assert (answer, acked_id) == (code, control_id), (name, answer, err)
            if code != "AA":
                assert err, name
    finally:
        client.close()


def test_malformed_messages_get_ae_or_ar_and_the_connection_keeps_working(hl7_server):
    client = MllpClient(hl7_server.hl7_port)
    try:
        cases = [
            "this is not HL7 at all",
            "PID|||12345^^^HOSP||Doe^John\r",                          # no MSH
            "MSH|^~\\&|RIS",                                          # truncated
            "MSH|^^\\&|RIS|HOSP|SYSTOLE|CARDIO|2024||ADT^A08|77|P|2.5\rPID|||1\r",  # wrong encoding characters
            msh("ADT^A08", "M1") + "EVN|A08\r",                       # PID missing
            msh("ADT^A08", "M2", "2.3") + "PID|||||Doe^John\r",       # PID-3 missing (v2.3 ERR layout)
            msh("ORM^O01", "M3") + "PID|||P9^^^HOSP\rORC|NW\rOBR|1\r",  # no accession anywhere
            msh("ORM^O01", "M4") + "PID|||P9^^^HOSP\rORC|ZZ|1|2\rOBR|1|1|2\r",  # unknown order control
            msh("ADT^A99", "M5") + "PID|||P9^^^HOSP\r",               # unsupported event
        ]
        for text in cases:
            answer, _, err = ack_of(client.send(text))
            assert answer in ("AE", "AR"), (text, answer)
            assert err and len(err) > 6, (text, err)
        client.send_raw(b"noise before a frame ")
        answer, control_id, _ = ack_of(client.send(msh("ADT^A31", "OK1") + "PID|||P9^^^HOSP||Still^Working\r"))
        assert (answer, control_id) == ("AA", "OK1")
    finally:
        client.close()
    assert hl7_server.alive()


def test_orders_are_served_by_the_modality_worklist(hl7_server):
    client = MllpClient(hl7_server.hl7_port)
    try:
        orm = (msh("ORM^O01", "ORD1", "2.3") +
               "PID|||ECHO77^^^HOSP||Heart^Harriet||19600101|F\r"
               "PV1||O|||||||^Referrer^Rita\r"
               "ORC|NW|PL77|FI77||SC||^^^20240315093000^^R\r"
               "OBR|1|PL77|FI77|93306^TTE complete^CPT||||||||||||^Orderer^Oscar||ACC77|RP77|SPS77|ECHO1|||US\r")
        assert ack_of(client.send(orm))[0] == "AA"
        assert ack_of(client.send((SAMPLES / "dcm4che__OMI_O23-ImagingOrder.hl7").read_bytes()))[0] == "AA"
    finally:
        client.close()
    port = hl7_server.port
    base = ["AccessionNumber", "PatientID", "PatientName", "StudyInstanceUID", "ScheduledProcedureStepSequence[0].Modality",
            "ScheduledProcedureStepSequence[0].ScheduledStationAETitle"]

    def worklist(*keys):
        responses, status, out = findscu(port, [*base, *keys], model="-W")
        assert status == "0000", out
        return responses, out

    echo, out = worklist("ScheduledProcedureStepSequence[0].ScheduledStationAETitle=ECHO1",
                         "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate=20240301-20240331")
    assert [r.get("00080050") for r in echo] == ["ACC77"], out
    assert echo[0]["00100020"] == "ECHO77"
    assert echo[0]["00100010"] == "Heart^Harriet"
    assert "(0008,0060) CS [US]" in out
    ct, out = worklist("ScheduledProcedureStepSequence[0].Modality=CT",
                       "ScheduledProcedureStepSequence[0].ScheduledStationAETitle=ScheduledStationAET2")
    assert "AccessionNumber" in [r.get("00080050") for r in ct], out
    assert all(r["00100020"] == "PID_1" for r in ct if r.get("00080050") == "AccessionNumber")
    by_name, out = worklist("PatientName=heart*")
    assert [r.get("00080050") for r in by_name] == ["ACC77"], out
    none, _ = worklist("PatientID=ECHO77", "ScheduledProcedureStepSequence[0].Modality=CT")
    assert none == []

    # Cancel: the step leaves the worklist.
    client = MllpClient(hl7_server.hl7_port)
    try:
        cancel = (msh("ORM^O01", "ORD2", "2.3") + "PID|||ECHO77^^^HOSP\rORC|CA|PL77|FI77\r"
                  "OBR|1|PL77|FI77|||||||||||||||ACC77\r")
        assert ack_of(client.send(cancel))[0] == "AA"
    finally:
        client.close()
    gone, _ = worklist("AccessionNumber=ACC77")
    assert gone == []


def test_a08_renames_and_a40_moves_stored_studies(hl7_server, tmp_path):
    study = store_study(hl7_server, tmp_path, "CARD001", "Before^Name")
    assert qido(hl7_server, "PatientID=CARD001")[0]["00100010"]["Value"][0]["Alphabetic"] == "Before^Name"
    client = MllpClient(hl7_server.hl7_port)
    try:
        a08 = msh("ADT^A08", "A08-1") + "EVN|A08\rPID|||CARD001^^^HOSP^MR||After^Renamed||19700101|F\r"
        assert ack_of(client.send(a08))[:2] == ("AA", "A08-1")
        studies = qido(hl7_server, "PatientID=CARD001")
        assert studies[0]["00100010"]["Value"][0]["Alphabetic"] == "After^Renamed"
        responses, status, out = findscu(hl7_server.port, ["QueryRetrieveLevel=PATIENT", "PatientID=CARD001", "PatientName"],
                                         model="-P")
        assert status == "0000" and responses[0]["00100010"] == "After^Renamed", out
        responses, status, out = findscu(hl7_server.port, ["QueryRetrieveLevel=STUDY", "PatientID=CARD001", "PatientName"])
        assert responses[0]["00100010"] == "After^Renamed", out

        a40 = (msh("ADT^A40", "A40-1") + "EVN|A40\rPID|||SURV001^^^HOSP^MR||Survivor^Sam||19700101|F\r"
               "MRG|CARD001^^^HOSP^MR\r")
        assert ack_of(client.send(a40))[:2] == ("AA", "A40-1")
    finally:
        client.close()
    moved = qido(hl7_server, "PatientID=SURV001")
    assert [s["0020000D"]["Value"][0] for s in moved] == [study]
    assert moved[0]["00100010"]["Value"][0]["Alphabetic"] == "Survivor^Sam"
    assert qido(hl7_server, "PatientID=CARD001") == []
    # The stored file itself is unchanged (demographics live in the index).
    responses, status, _ = findscu(hl7_server.port, ["QueryRetrieveLevel=STUDY", f"StudyInstanceUID={study}", "PatientID"])
    assert responses[0]["00100020"] == "SURV001"


def test_raw_messages_are_kept(hl7_server):
    import sqlite3
    db = sqlite3.connect(f"file:{hl7_server.data_dir / 'index.db'}?mode=ro", uri=True)
    rows = db.execute("SELECT ack_code, message_type, length(raw) FROM hl7_messages").fetchall()
    db.close()
    assert len(rows) >= 10
    assert {r[0] for r in rows} >= {"AA", "AE", "AR"}
