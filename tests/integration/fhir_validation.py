"""FHIR R4 structure checks for the integration tests: the HL7 R4 JSON Schema (fhir_r4/, validated with
Debian's python3-jsonschema), the required elements the schema cannot express (1..1 / 1..* primitives),
and references that resolve on the server."""
import json
from pathlib import Path

import jsonschema

SCHEMA = json.loads((Path(__file__).parent / "fhir_r4" / "fhir.schema.json").read_text())
_VALIDATOR = jsonschema.Draft6Validator(SCHEMA)

# Elements with a minimum cardinality of 1 in R4 (core resources and the backbone elements we emit).
REQUIRED = {
    "Patient": [],
    "ImagingStudy": ["status", "subject"],
    "ServiceRequest": ["status", "intent", "subject"],
    "DiagnosticReport": ["status", "code"],
    "Observation": ["status", "code"],
    "Endpoint": ["status", "connectionType", "payloadType", "address"],
    "Bundle": ["type"],
    "OperationOutcome": ["issue"],
    "CapabilityStatement": ["status", "date", "kind", "fhirVersion", "format"],
}
BACKBONE_REQUIRED = {
    ("ImagingStudy", "series"): ["uid", "modality"],
    ("ImagingStudy", "instance"): ["uid", "sopClass"],
    ("Bundle", "link"): ["relation", "url"],
    ("OperationOutcome", "issue"): ["severity", "code"],
}


def structure_errors(resource):
    """Every schema violation and missing required element of one resource (recursing into a Bundle)."""
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in _VALIDATOR.iter_errors(resource)]
    kind = resource.get("resourceType")
    if kind not in REQUIRED:
        return errors + [f"unexpected resourceType {kind!r}"]
    for element in REQUIRED[kind]:
        if resource.get(element) in (None, "", [], {}):
            errors.append(f"{kind}.{element} is required")
    if kind == "ImagingStudy":
        for series in resource.get("series", []):
            errors += [f"ImagingStudy.series.{e} is required" for e in BACKBONE_REQUIRED[("ImagingStudy", "series")] if e not in series]
            for instance in series.get("instance", []):
                errors += [f"ImagingStudy.series.instance.{e} is required"
                           for e in BACKBONE_REQUIRED[("ImagingStudy", "instance")] if e not in instance]
    if kind == "Bundle":
        for link in resource.get("link", []):
            errors += [f"Bundle.link.{e} is required" for e in BACKBONE_REQUIRED[("Bundle", "link")] if e not in link]
        for entry in resource.get("entry", []):
            errors += structure_errors(entry["resource"])
    if kind == "OperationOutcome":
        for issue in resource.get("issue", []):
            errors += [f"OperationOutcome.issue.{e} is required" for e in BACKBONE_REQUIRED[("OperationOutcome", "issue")] if e not in issue]
    return errors


def references(value):
    """Every literal relative reference ("Type/id") inside a resource."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found += references(item)
    elif isinstance(value, list):
        for item in value:
            found += references(item)
    return found
