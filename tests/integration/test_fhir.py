"""FHIR R4 at /fhir on the real server: patient and order from ADT + ORM over MLLP, studies by storescu,
then Patient / ImagingStudy / ServiceRequest search and read, _count paging followed to the end, and
every response checked against the HL7 R4 JSON Schema with required cardinalities and resolving references."""
import urllib.parse

import pytest

from conftest import http_request
from ehr_context import adt_a04, orm_new, send_hl7, store_study
from fhir_validation import references, structure_errors

ISSUER_SYSTEM = "urn:systole:issuer:HOSP"
UIDS = [f"1.2.826.0.1.3680043.8.498.7700{i}" for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def fhir_server(make_module_server, tmp_path_factory):
    server = make_module_server("fhir")
    send_hl7(server, adt_a04("F-A04", "FHIR1", "HOSP", "Heart^Harriet"), orm_new("F-ORM", "FHIR1", "HOSP", "ACCF1"))
    tmp = tmp_path_factory.mktemp("fhir-studies")
    for i, uid in enumerate(UIDS, start=1):
        store_study(server, tmp, "FHIR1", "HOSP", f"ACCF{i}", f"2024031{i}", uid)
    store_study(server, tmp, "OTHER9", "HOSP", "ACCX9", "20240101", "1.2.826.0.1.3680043.8.498.77009", "Other^Olga")
    return server


def get(server, path, status=200, headers=None):
    response = http_request(server.http_port, "GET", path, headers=headers)
    assert response.status == status, (path, response)
    assert response.content_type.startswith("application/fhir+json"), response
    body = response.json()
    assert structure_errors(body) == [], (path, structure_errors(body))
    return body


def resolve_all(server, resource):
    """GETs every reference in `resource`; each must answer 200 with a valid resource of the named type."""
    for reference in references(resource):
        kind, _, logical_id = reference.partition("/")
        target = get(server, f"/fhir/{kind}/{urllib.parse.quote(logical_id)}")
        assert (target["resourceType"], target["id"]) == (kind, logical_id)


def relative(url):
    return url[url.index("/fhir/"):]


def test_metadata_lists_what_is_supported(fhir_server):
    statement = get(fhir_server, "/fhir/metadata")
    resources = {r["type"]: {p["name"] for p in r["searchParam"]} for r in statement["rest"][0]["resource"]}
    assert {"Patient", "ImagingStudy", "ServiceRequest", "Endpoint"} <= set(resources)
    assert {"patient", "patient.identifier", "identifier", "date", "status", "modality", "_id"} <= resources["ImagingStudy"]
    assert statement["fhirVersion"] == "4.0.1"
    assert get(fhir_server, "/fhir/metadata?_format=json")["resourceType"] == "CapabilityStatement"


def test_patient_search_by_identifier(fhir_server):
    bundle = get(fhir_server, f"/fhir/Patient?identifier={urllib.parse.quote(ISSUER_SYSTEM + '|FHIR1')}")
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"][0] == {"use": "usual", "system": ISSUER_SYSTEM, "value": "FHIR1"}
    assert patient["name"][0]["family"] == "Heart" and patient["birthDate"] == "1960-01-01"
    assert bundle["entry"][0]["fullUrl"].endswith("/fhir/Patient/" + patient["id"])
    assert get(fhir_server, "/fhir/Patient/" + patient["id"]) == patient
    assert get(fhir_server, "/fhir/Patient?identifier=FHIR1")["total"] == 1
    assert get(fhir_server, "/fhir/Patient?identifier=urn:oid:1.2.3|FHIR1")["total"] == 0


def test_chained_imaging_study_search_pages_to_the_end(fhir_server):
    query = urllib.parse.urlencode({"patient.identifier": ISSUER_SYSTEM + "|FHIR1", "_count": "1"})
    path, seen, pages = f"/fhir/ImagingStudy?{query}", [], 0
    while path:
        bundle = get(fhir_server, path)
        assert bundle["total"] == 3
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        assert ("previous" in links) == (pages > 0)
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        for entry in bundle["entry"]:
            resolve_all(fhir_server, entry["resource"])
        path = relative(links["next"]) if "next" in links else None
        pages += 1
    assert pages == 3
    assert seen == list(reversed(UIDS))  # newest first
    bare = get(fhir_server, "/fhir/ImagingStudy?patient.identifier=FHIR1")
    assert [e["resource"]["id"] for e in bare["entry"]] == seen


def test_imaging_study_content(fhir_server):
    study = get(fhir_server, f"/fhir/ImagingStudy/{UIDS[0]}")
    assert study["status"] == "available"
    assert study["subject"]["reference"] == "Patient/FHIR1.HOSP"
    assert study["started"] == "2024-03-11"
    assert {"system": "urn:dicom:uid", "value": "urn:oid:" + UIDS[0]} in study["identifier"]
    acsn = [i for i in study["identifier"] if i.get("type", {}).get("coding", [{}])[0].get("code") == "ACSN"]
    assert acsn[0]["value"] == "ACCF1"
    assert study["basedOn"] == [{"reference": "ServiceRequest/ACCF1"}]
    assert study["numberOfSeries"] == 1 and study["numberOfInstances"] == 1
    assert study["series"][0]["uid"] == UIDS[0] + ".1"
    assert study["series"][0]["modality"]["code"] == "MR"
    assert study["series"][0]["instance"][0]["uid"] == UIDS[0] + ".1.1"
    endpoint = get(fhir_server, "/fhir/" + study["endpoint"][0]["reference"])
    assert endpoint["address"] == f"http://127.0.0.1:{fhir_server.http_port}/dicomweb"
    assert http_request(fhir_server.http_port, "GET", f"/dicomweb/studies/{UIDS[0]}/metadata").status == 200
    assert "basedOn" not in get(fhir_server, f"/fhir/ImagingStudy/{UIDS[1]}")
    assert get(fhir_server, "/fhir/ImagingStudy?identifier=ACCF2")["entry"][0]["resource"]["id"] == UIDS[1]
    assert get(fhir_server, "/fhir/ImagingStudy?accession=ACCF3")["entry"][0]["resource"]["id"] == UIDS[2]
    assert get(fhir_server, "/fhir/ImagingStudy?patient=FHIR1.HOSP&date=ge2024-03-12&modality=MR")["total"] == 2
    assert get(fhir_server, "/fhir/ImagingStudy?patient=Patient/FHIR1.HOSP&date=lt2024-03-12")["total"] == 1
    assert get(fhir_server, "/fhir/ImagingStudy?status=available")["total"] == 4
    assert get(fhir_server, "/fhir/ImagingStudy?modality=US")["total"] == 0


def test_service_request_by_accession(fhir_server):
    bundle = get(fhir_server, "/fhir/ServiceRequest?identifier=ACCF1")
    assert bundle["total"] == 1
    order = bundle["entry"][0]["resource"]
    assert order["id"] == "ACCF1" and order["status"] == "active" and order["intent"] == "order"
    assert order["subject"]["reference"] == "Patient/FHIR1.HOSP"
    assert order["code"]["coding"][0]["code"] == "93306"
    assert order["reasonCode"][0]["text"] == "Dyspnea on exertion"
    assert order["occurrenceDateTime"] == "2024-03-15"
    resolve_all(fhir_server, order)
    assert get(fhir_server, "/fhir/ServiceRequest?patient.identifier=FHIR1&status=active")["total"] == 1
    assert get(fhir_server, "/fhir/ServiceRequest?status=completed")["total"] == 0


def test_errors_are_operation_outcomes(fhir_server):
    assert get(fhir_server, "/fhir/Medication", 404)["issue"][0]["code"] == "not-supported"
    assert get(fhir_server, "/fhir/ImagingStudy/1.2.3.4.5", 404)["issue"][0]["code"] == "not-found"
    assert get(fhir_server, "/fhir/Patient/no-ZZ", 404)["resourceType"] == "OperationOutcome"
    assert get(fhir_server, "/fhir/ImagingStudy?date=2024-99", 400)["issue"][0]["code"] == "invalid"
    assert get(fhir_server, "/fhir/ImagingStudy?_count=lots", 400)["resourceType"] == "OperationOutcome"
    lenient = get(fhir_server, "/fhir/ImagingStudy?patient.identifier=FHIR1&colour=blue")
    assert lenient["total"] == 3 and lenient["entry"][-1]["search"]["mode"] == "outcome"
    assert "colour" not in lenient["link"][0]["url"]
    assert get(fhir_server, "/fhir/ImagingStudy?colour=blue", 400, {"Prefer": "handling=strict"})["issue"]
    assert get(fhir_server, "/fhir/Patient?_format=xml", 406)["resourceType"] == "OperationOutcome"
    assert "400 for /fhir/ImagingStudy" in fhir_server.log()
    assert fhir_server.alive()
