"""DiagnosticReport and Observation as Systole maps a signed report (number, coded choice, text values;
an addendum), checked against the FHIR R4 schema and required cardinalities. Reports reach /fhir only
once the reporting service's ReportCatalog is wired, so the mapping is checked through fhir_report_dump."""
import json
import subprocess

from conftest import BINARY
from fhir_validation import references, structure_errors

DUMP = BINARY.parent / "src" / "protocols" / "fhir" / "fhir_report_dump"


def test_report_resources_have_the_r4_structure():
    resources = json.loads(subprocess.run([str(DUMP)], capture_output=True, text=True, check=True, timeout=60).stdout)
    report, observations = resources[0], resources[1:]
    for resource in resources:
        assert structure_errors(resource) == [], (resource["id"], structure_errors(resource))
    assert report["resourceType"] == "DiagnosticReport" and report["status"] == "amended"
    assert sorted(r.split("/", 1)[1] for r in references(report) if r.startswith("Observation/")) == \
        sorted(o["id"] for o in observations)
    assert {o["resourceType"] for o in observations} == {"Observation"}
    quantities = [o["valueQuantity"] for o in observations if "valueQuantity" in o]
    assert quantities and all(q["system"] == "http://unitsofmeasure.org" for q in quantities)
