"""Patient and order context as an EHR/RIS creates it, for the FHIR and EHR-launch tests: ADT and ORM
over a real MLLP connection (ACKs parsed by python3-hl7), and studies sent with DCMTK storescu."""
import pydicom

from conftest import DICOM, dcmtk
from test_hl7 import MllpClient, ack_of, msh


def send_hl7(server, *messages):
    """Sends each message on one MLLP connection; asserts every ACK is AA."""
    client = MllpClient(server.hl7_port)
    try:
        for message in messages:
            answer, _, err = ack_of(client.send(message))
            assert answer == "AA", (message, err)
    finally:
        client.close()


def adt_a04(control_id, patient_id, issuer, name, birth_date="19600101", sex="F"):
    return msh("ADT^A04", control_id) + f"EVN|A04\rPID|||{patient_id}^^^{issuer}^MR||{name}||{birth_date}|{sex}\r"


def orm_new(control_id, patient_id, issuer, accession, indication="Dyspnea on exertion"):
    return (msh("ORM^O01", control_id, "2.3") +
            f"PID|||{patient_id}^^^{issuer}\r"
            "PV1||O|||||||^Referrer^Rita\r"
            f"ORC|NW|PL-{accession}|FI-{accession}||SC||^^^20240315093000^^R\r"
            f"OBR|1|PL-{accession}|FI-{accession}|93306^TTE complete^CPT|||||||||{indication}|||^Orderer^Oscar||"
            f"{accession}|RP-{accession}|SPS-{accession}|ECHO1|||US\r")


def store_study(server, tmp_path, patient_id, issuer, accession, study_date, uid, name="Heart^Harriet"):
    """Sends one single-instance study (pydicom's MR_small relabelled) with storescu; returns its UID."""
    ds = pydicom.dcmread(str(DICOM / "mr" / "pydicom__MR_small.dcm"))
    ds.PatientID = patient_id
    ds.IssuerOfPatientID = issuer
    ds.PatientName = name
    ds.AccessionNumber = accession
    ds.StudyDate = study_date
    ds.StudyInstanceUID = uid
    ds.SeriesInstanceUID = uid + ".1"
    ds.SOPInstanceUID = uid + ".1.1"
    path = tmp_path / f"{uid}.dcm"
    ds.save_as(str(path))
    dcmtk("storescu", "-xe", "127.0.0.1", server.port, path)
    return uid
