"""EHR launch (/launch) on the real server: the chart's patient (+ issuer, + accession) opens the right
study or that patient's study list; unknown or ambiguous context answers a clear page (404/409) that
shows nothing of another patient."""
import urllib.parse

import pytest

from conftest import http_request
from ehr_context import adt_a04, send_hl7, store_study

ONE = "1.2.826.0.1.3680043.8.498.88001"
MANY = ["1.2.826.0.1.3680043.8.498.88002", "1.2.826.0.1.3680043.8.498.88003"]


@pytest.fixture(scope="module")
def launch_server(make_module_server, tmp_path_factory):
    server = make_module_server("launch")
    send_hl7(server, adt_a04("L-1", "LONE", "HOSP", "Single^Sam"), adt_a04("L-2", "LMANY", "HOSP", "Many^Mary"),
             adt_a04("L-3", "TWIN", "HOSP_A", "Twin^Anna"), adt_a04("L-4", "TWIN", "HOSP_B", "Twin^Bert"),
             adt_a04("L-5", "EMPTY", "HOSP", "Empty^Eve"))
    tmp = tmp_path_factory.mktemp("launch-studies")
    store_study(server, tmp, "LONE", "HOSP", "ACC-ONE", "20240301", ONE, "Single^Sam")
    store_study(server, tmp, "LMANY", "HOSP", "ACC-M1", "20240302", MANY[0], "Many^Mary")
    store_study(server, tmp, "LMANY", "HOSP", "ACC-M2", "20240303", MANY[1], "Many^Mary")
    store_study(server, tmp, "TWIN", "HOSP_A", "ACC-TA", "20240304", "1.2.826.0.1.3680043.8.498.88004", "Twin^Anna")
    return server


def launch(server, **params):
    return http_request(server.http_port, "GET", "/launch?" + urllib.parse.urlencode(params))


def assert_page(response, status, *phrases):
    assert response.status == status, response
    assert response.content_type.startswith("text/html"), response
    text = response.body.decode()
    for phrase in phrases:
        assert phrase in text, (phrase, text)
    return text


def test_one_study_opens_the_viewer(launch_server):
    response = launch(launch_server, patient="LONE", issuer="HOSP")
    assert response.status == 302, response
    assert response.headers["location"] == f"/viewer/{ONE}"
    by_identifier = launch(launch_server, **{"patient.identifier": "urn:systole:issuer:HOSP|LONE"})
    assert by_identifier.headers["location"] == f"/viewer/{ONE}"
    # The viewer page it points to is served.
    assert http_request(launch_server.http_port, "GET", response.headers["location"]).status in (200, 503)


def test_several_studies_open_the_patients_study_list(launch_server):
    response = launch(launch_server, patient="LMANY", issuer="HOSP")
    assert response.status == 302, response
    location = response.headers["location"]
    assert location == "/studies?patientId=LMANY&issuer=HOSP"
    # The list's query (PatientID + IssuerOfPatientID in QIDO-RS) finds exactly that patient's studies.
    qido = http_request(launch_server.http_port, "GET",
                        "/dicomweb/studies?PatientID=LMANY&IssuerOfPatientID=HOSP&includefield=StudyInstanceUID")
    assert sorted(s["0020000D"]["Value"][0] for s in qido.json()) == MANY


def test_accession_opens_that_study(launch_server):
    response = launch(launch_server, patient="LMANY", issuer="HOSP", accession="ACC-M1")
    assert (response.status, response.headers["location"]) == (302, f"/viewer/{MANY[0]}")


def test_unknown_patient_or_accession_is_404(launch_server):
    assert_page(launch(launch_server, patient="NOBODY", issuer="HOSP"), 404, "Unknown patient")
    assert_page(launch(launch_server, patient="LONE", issuer="OTHER"), 404, "Unknown patient")
    assert_page(launch(launch_server, patient="LONE", issuer="HOSP", accession="ACC-NONE"), 404, "ACC-NONE")
    assert_page(launch(launch_server, patient="EMPTY", issuer="HOSP"), 404, "no studies")
    assert_page(http_request(launch_server.http_port, "GET", "/launch"), 400, "names no patient")


def test_accession_of_another_patient_is_refused(launch_server):
    text = assert_page(launch(launch_server, patient="LONE", issuer="HOSP", accession="ACC-M1"), 409,
                       "does not belong to patient LONE")
    assert MANY[0] not in text and "Many" not in text and "LMANY" not in text
    assert "belongs to another patient" in launch_server.log()


def test_ambiguous_identity_is_refused(launch_server):
    text = assert_page(launch(launch_server, patient="TWIN"), 409, "several issuers", "HOSP_A", "HOSP_B")
    assert "/viewer/" not in text
    response = launch(launch_server, patient="TWIN", issuer="HOSP_A")
    assert (response.status, response.headers["location"]) == (302, "/viewer/1.2.826.0.1.3680043.8.498.88004")
    assert_page(launch(launch_server, patient="TWIN", issuer="HOSP_B"), 404, "no studies")


def test_page_escapes_what_the_url_carried(launch_server):
    text = assert_page(launch(launch_server, patient="<script>alert(1)</script>"), 404)
    assert "<script>" not in text and "&lt;script&gt;" in text
