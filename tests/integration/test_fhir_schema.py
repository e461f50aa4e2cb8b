"""The FHIR structure checks used by test_fhir.py are themselves right: HL7's own R4 examples of the
types Systole serves pass, and resources with a wrong element, type or a missing required element fail."""
import copy
import json

import pytest

from conftest import TESTDATA
from fhir_validation import structure_errors

EXAMPLES = sorted(p for p in (TESTDATA / "fhir").glob("r4__*.json")
                  if json.loads(p.read_text())["resourceType"] in ("Patient", "ImagingStudy", "ServiceRequest",
                                                                 "DiagnosticReport", "Observation", "Endpoint"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_hl7_examples_pass(path):
    assert structure_errors(json.loads(path.read_text())) == []


def test_broken_resources_fail():
    study = json.loads((TESTDATA / "fhir" / "r4__ImagingStudy-example.json").read_text())
    assert not structure_errors(study)
    misspelled = copy.deepcopy(study)
    misspelled["numberOfSerie"] = 1
    assert structure_errors(misspelled)
    wrong_type = copy.deepcopy(study)
    wrong_type["numberOfSeries"] = "one"
    assert structure_errors(wrong_type)
    no_status = copy.deepcopy(study)
    del no_status["status"]
    assert structure_errors(no_status) == ["ImagingStudy.status is required"]
    bad_id = copy.deepcopy(study)
    bad_id["id"] = "has space"
    assert structure_errors(bad_id)
