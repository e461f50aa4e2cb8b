#!/usr/bin/python3
"""Synthetic echocardiography measurement SRs built from PS3.16, for tests.

There is no public cart SR in the shared test data, so this writes two
Comprehensive SR objects that exercise what real carts do:

  echo_tid5200.dcm  TID 5200 "Echocardiography Procedure Report": Echo Sections
                    (TID 5202) holding Measurement Groups holding Echo
                    Measurements (TID 5203 / TID 300).
  echo_tid5300.dcm  TID 5300-style "Simplified Echo Procedure Report": NUMs in
                    the Pre-coordinated / Post-coordinated / Adhoc containers,
                    each carrying its own modifiers and a by-value Source of
                    Measurement image reference with a frame number.

Covered on purpose: values written per beat plus a mean with Selection Status
(121404, DCM); Finding Site / Image Mode / Cardiac Cycle Point inherited from
enclosing containers with one NUM overriding; the same concept coded SRT
(SNOMED-RT) and SCT (SNOMED CT); mm vs cm, cm/s vs m/s, ml vs mL; a NUM without
a value but with a Numeric Value Qualifier; a private-coded measurement.

EXPECTED (below) lists, per file, every NUM the reader must find, so the C++
unit tests and the integration test check against one source of truth.

    tools/make_echo_sr.py --out DIR [--study-uid UID] [--patient-id ID]

Needs Debian's python3-pydicom only. Deterministic: same arguments, same bytes.
"""
import argparse
import json
import sys
import uuid
from pathlib import Path

COMP_SR = "1.2.840.10008.5.1.4.1.1.88.33"
US_MF = "1.2.840.10008.5.1.4.1.1.3.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
NS = uuid.UUID("6d0c1f5e-4b1e-4d59-9a53-5e2b0c9b7a11")


def uid(key):
    return "2.25.%d" % uuid.uuid5(NS, key).int


# Codes (meanings as in PS3.16; the reader matches by value+scheme only).
# Modifier concept names: PS3.17 Annex N.2 "Measurement Terminology Composition".
FINDING_SITE_SRT = ("G-C0E3", "SRT", "Finding Site")
FINDING_SITE = ("363698007", "SCT", "Finding Site")
IMAGE_MODE_SRT = ("G-0373", "SRT", "Image Mode")
IMAGE_MODE = ("399264008", "SCT", "Image Mode")
IMAGE_VIEW = ("111031", "DCM", "Image View")
CARDIAC_PHASE_SRT = ("R-40899", "SRT", "Cardiac Cycle Point")
CARDIAC_PHASE = ("272518008", "SCT", "Cardiac Cycle Point")
FLOW_DIRECTION = ("260674002", "SCT", "Flow Direction")
METHOD = ("370129005", "SCT", "Measurement Method")
DERIVATION = ("121401", "DCM", "Derivation")
SELECTION = ("121404", "DCM", "Selection Status")
STAGE = ("18139-6", "LN", "Stage")
MEAN = ("373098007", "SCT", "Mean")
MEAN_CHOSEN = ("121412", "DCM", "Mean value chosen")
USER_CHOSEN = ("121410", "DCM", "User chosen value")

LV_SRT = ("T-32600", "SRT", "Left Ventricle")
LA = ("82471001", "SCT", "Left Atrium")
AV = ("34202007", "SCT", "Aortic Valve")
MV_SRT = ("T-35300", "SRT", "Mitral Valve")
LVOT = ("13418002", "SCT", "Left Ventricle Outflow Tract")
MODE_2D_SRT = ("G-03A2", "SRT", "2D mode")
MODE_MMODE = ("399155008", "SCT", "M mode")
MODE_CW_SRT = ("R-409E3", "SRT", "Doppler Continuous Wave")
MODE_PW = ("261199008", "SCT", "Doppler Pulsed")
MODE_TDI = ("439858009", "SCT", "Tissue Doppler Imaging")
END_DIASTOLE_SRT = ("R-FAB5C", "SRT", "End Diastole")
END_SYSTOLE = ("416430001", "SCT", "End Systole")
ANTEGRADE = ("263677008", "SCT", "Antegrade Flow")
PLAX = ("399139001", "SCT", "Parasternal long axis")
A4C = ("399214001", "SCT", "Apical four chamber")
BIPLANE = ("125207", "DCM", "Method of Disks, Biplane")

UNITS = {
    "mm": ("mm", "UCUM", "millimeter"), "cm": ("cm", "UCUM", "centimeter"),
    "cm/s": ("cm/s", "UCUM", "centimeter per second"), "m/s": ("m/s", "UCUM", "meter per second"),
    "ml": ("ml", "UCUM", "milliliter"), "mL": ("mL", "UCUM", "milliliter"),
    "%": ("%", "UCUM", "percent"), "mm[Hg]": ("mm[Hg]", "UCUM", "mmHg"), "ms": ("ms", "UCUM", "millisecond"),
    "l/min": ("l/min", "UCUM", "liter per minute"), "{ratio}": ("{ratio}", "UCUM", "ratio"),
    "/min": ("/min", "UCUM", "per minute"), "cm2": ("cm2", "UCUM", "square centimeter"),
    "m2": ("m2", "UCUM", "square meter"),
}


def build(out, study_uid, patient_id):
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.sequence import Sequence

    def code(c):
        d = Dataset()
        d.CodeValue, d.CodingSchemeDesignator, d.CodeMeaning = c
        return d

    def item(rel, vt, concept=None, **kw):
        d = Dataset()
        d.RelationshipType = rel
        d.ValueType = vt
        if concept:
            d.ConceptNameCodeSequence = Sequence([code(concept)])
        for k, v in kw.items():
            setattr(d, k, v)
        return d

    def mod(concept, value, rel="HAS CONCEPT MOD"):
        return item(rel, "CODE", concept, ConceptCodeSequence=Sequence([code(value)]))

    def container(concept, children, rel="CONTAINS"):
        d = item(rel, "CONTAINER", concept, ContinuityOfContent="SEPARATE")
        d.ContentSequence = Sequence(children)
        return d

    def num(concept, value, unit, children=(), qualifier=None):
        # TID 300 row 1 / TID 5203 row 1: NUM with Measured Value Sequence; an
        # empty one plus Numeric Value Qualifier when there is no value (C.18.1).
        d = item("CONTAINS", "NUM", concept)
        if value is None:
            d.MeasuredValueSequence = Sequence([])
            d.NumericValueQualifierCodeSequence = Sequence([code(qualifier)])
        else:
            mv = Dataset()
            mv.MeasurementUnitsCodeSequence = Sequence([code(UNITS[unit])])
            mv.NumericValue = value
            d.MeasuredValueSequence = Sequence([mv])
        if children:
            d.ContentSequence = Sequence(list(children))
        return d

    def source_image(sop, frame):
        # TID 320 "Image or Spatial Coordinates": (121112, DCM, "Source of Measurement"), by value.
        d = item("INFERRED FROM", "IMAGE", ("121112", "DCM", "Source of Measurement"))
        r = Dataset()
        r.ReferencedSOPClassUID = US_MF
        r.ReferencedSOPInstanceUID = sop
        r.ReferencedFrameNumber = str(frame)
        d.ReferencedSOPSequence = Sequence([r])
        return d

    def observer_device(name):
        # TID 1002 Observer Context + TID 1004 Device Observer Identifying Attributes.
        return [
            mod(("121005", "DCM", "Observer Type"), ("121007", "DCM", "Device"), rel="HAS OBS CONTEXT"),
            item("HAS OBS CONTEXT", "UIDREF", ("121012", "DCM", "Device Observer UID"), UID=uid("device/" + name)),
            item("HAS OBS CONTEXT", "TEXT", ("121013", "DCM", "Device Observer Name"), TextValue=name),
            item("HAS OBS CONTEXT", "TEXT", ("121014", "DCM", "Device Observer Manufacturer"), TextValue="ACME Ultrasound"),
            item("HAS OBS CONTEXT", "TEXT", ("121015", "DCM", "Device Observer Model Name"), TextValue="Vivace 9"),
        ]

    def dataset(sop_uid, series_uid, number, template, content, evidence):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 192"
        ds.SOPClassUID = COMP_SR
        ds.SOPInstanceUID = sop_uid
        ds.StudyDate = ds.SeriesDate = ds.ContentDate = ds.InstanceCreationDate = "20240314"
        ds.StudyTime = ds.SeriesTime = ds.ContentTime = ds.InstanceCreationTime = "101500"
        ds.AccessionNumber = "ECHO-SR-1"
        ds.Modality = "SR"
        ds.Manufacturer = "ACME Ultrasound"
        ds.ManufacturerModelName = "Vivace 9"
        ds.SoftwareVersions = "make_echo_sr 1"
        ds.DeviceSerialNumber = "SN-42"
        ds.ReferringPhysicianName = "Referrer^Rita"
        ds.StudyDescription = "TTE"
        ds.SeriesDescription = "Echo measurements TID %s" % template
        ds.PatientName = "SR^Echo"
        ds.PatientID = patient_id
        ds.PatientBirthDate = "19650412"
        ds.PatientSex = "F"
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.StudyID = "1"
        ds.SeriesNumber = number
        ds.InstanceNumber = 1
        ds.ReferencedPerformedProcedureStepSequence = Sequence([])
        ds.PerformedProcedureCodeSequence = Sequence([])
        ds.ValueType = "CONTAINER"
        ds.ConceptNameCodeSequence = Sequence([code(("125200", "DCM", "Adult Echocardiography Procedure Report"))])
        ds.ContinuityOfContent = "SEPARATE"
        tpl = Dataset()
        tpl.MappingResource = "DCMR"
        tpl.TemplateIdentifier = template
        ds.ContentTemplateSequence = Sequence([tpl])
        ds.CompletionFlag = "COMPLETE"
        ds.VerificationFlag = "UNVERIFIED"
        ds.ContentSequence = Sequence(content)
        # SR Document General Module: every referenced image is listed as evidence.
        ev = Dataset()
        ev.StudyInstanceUID = study_uid
        series = Dataset()
        series.SeriesInstanceUID = uid(study_uid + "/series/cine")
        refs = []
        for sop in evidence:
            r = Dataset()
            r.ReferencedSOPClassUID = US_MF
            r.ReferencedSOPInstanceUID = sop
            refs.append(r)
        series.ReferencedSOPSequence = Sequence(refs)
        ev.ReferencedSeriesSequence = Sequence([series])
        ds.CurrentRequestedProcedureEvidenceSequence = Sequence([ev])
        return ds

    def write(ds, name):
        fm = FileMetaDataset()
        fm.FileMetaInformationVersion = b"\x00\x01"
        fm.MediaStorageSOPClassUID = ds.SOPClassUID
        fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        fm.TransferSyntaxUID = EXPLICIT_LE
        fm.ImplementationClassUID = uid("implementation")
        fm.ImplementationVersionName = "SYSTOLE_ECHOSR"
        ds.file_meta = fm
        ds.preamble = b"\x00" * 128
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        path = out / name
        pydicom.dcmwrite(str(path), ds, write_like_original=False)
        return path

    cine_sop = uid(study_uid + "/cine/plax")
    a4c_sop = uid(study_uid + "/cine/a4c")
    language = mod(("121049", "DCM", "Language of Content Item and Descendants"), ("en-US", "RFC5646", "English (United States)"))

    # ---------------------------------------------------------------- TID 5200
    lvidd = ("29436-3", "LN", "Left Ventricle Internal End Diastolic Dimension")
    e_prime_srt = ("G-037A", "SRT", "Left Ventricular Peak Early Diastolic Tissue Velocity")
    e_prime = ("399133000", "SCT", "Left Ventricular Peak Early Diastolic Tissue Velocity")
    content = [
        language,                                                  # TID 5200 row 2 (TID 1204)
        *observer_device("CART-7"),                                # TID 5200 row 3 (TID 1001)
        container(("121118", "DCM", "Patient Characteristics"), [  # TID 5200 row 6 -> TID 5201
            num(("8302-2", "LN", "Patient Height"), "168", "cm"),
            num(("8277-6", "LN", "Body Surface Area"), "1.81", "m2"),
        ]),
        # TID 5200 row 9: Echo Section (TID 5202) for the Left Ventricle, SRT site code.
        container(("121070", "DCM", "Findings"), [
            mod(FINDING_SITE_SRT, LV_SRT),                          # TID 5202 row 2
            container(("125007", "DCM", "Measurement Group"), [     # TID 5202 row 3
                mod(IMAGE_MODE_SRT, MODE_2D_SRT),                   # TID 5202 row 4 (SRT concept and value)
                mod(CARDIAC_PHASE, END_DIASTOLE_SRT),               # vendor variation: phase on the group
                # TID 5203 row 1 (+ TID 300 rows for Derivation / Selection Status):
                # three beats in mm, their mean in cm, the mean chosen.
                num(lvidd, "47", "mm", [mod(IMAGE_VIEW, PLAX, rel="HAS ACQ CONTEXT"), source_image(cine_sop, 12)]),
                num(lvidd, "48", "mm", [mod(IMAGE_VIEW, PLAX, rel="HAS ACQ CONTEXT"), source_image(cine_sop, 40)]),
                num(lvidd, "49", "mm", [mod(IMAGE_VIEW, PLAX, rel="HAS ACQ CONTEXT"), source_image(cine_sop, 68)]),
                num(lvidd, "4.8", "cm", [mod(DERIVATION, MEAN), mod(SELECTION, MEAN_CHOSEN)]),
                # Overrides the group's cardiac phase.
                num(("29438-9", "LN", "Left Ventricle Internal Systolic Dimension"), "3.1", "cm",
                    [mod(CARDIAC_PHASE, END_SYSTOLE)]),
                num(("18154-5", "LN", "Interventricular Septum Diastolic Thickness"), "10", "mm"),
                num(("18152-9", "LN", "Left Ventricle Posterior Wall Diastolic Thickness"), "0.9", "cm"),
            ]),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE_SRT, MODE_2D_SRT),
                num(("18026-5", "LN", "Left Ventricular End Diastolic Volume"), "120", "ml", [mod(METHOD, BIPLANE)]),
                num(("18043-0", "LN", "Left Ventricular Ejection Fraction by US"), "58", "%", [mod(METHOD, BIPLANE)]),
                # No value, a qualifier instead (C.18.1.1 Numeric Value Qualifier, CID 42).
                num(("18087-7", "LN", "Left Ventricle Mass"), None, None,
                    qualifier=("114006", "DCM", "Measurement failure")),
                # Private-coded measurement: kept and shown by meaning.
                num(("ACME-GLS", "99ACME", "Global longitudinal strain (ACME)"), "-18.5", "%"),
                num(("F-32100", "SRT", "Cardiac Output"), "5.2", "l/min"),   # SRT concept (CID 12239)
                num(("90096001", "SCT", "Stroke Volume"), "72", "mL"),       # SCT concept (CID 12239)
            ]),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE, MODE_TDI),
                # The same concept written with its old SRT and its SCT code, in cm/s and m/s.
                num(e_prime_srt, "8", "cm/s"),
                num(e_prime, "0.09", "m/s"),
                num(e_prime, "8.5", "cm/s", [mod(DERIVATION, MEAN), mod(SELECTION, MEAN_CHOSEN)]),
            ]),
        ]),
        # TID 5200 row 11: Left Atrium section, SCT site code.
        container(("121070", "DCM", "Findings"), [
            mod(FINDING_SITE, LA),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE, MODE_MMODE),
                num(("29469-4", "LN", "Left Atrium Antero-posterior Systolic Dimension"), "3.6", "cm"),
            ]),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE_SRT, MODE_2D_SRT),
                num(("399235004", "SCT", "Left Atrium Systolic Volume"), "52", "mL", [mod(METHOD, BIPLANE)]),
            ]),
        ]),
        # TID 5200 row 13: Aortic Valve section.
        container(("121070", "DCM", "Findings"), [
            mod(FINDING_SITE, AV),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE_SRT, MODE_CW_SRT),
                # CID 12222 Orifice Flow Properties: pure properties, site from the section.
                num(("11726-7", "LN", "Peak Velocity"), "2.5", "m/s", [mod(FLOW_DIRECTION, ANTEGRADE)]),
                num(("20256-4", "LN", "Mean Gradient"), "14", "mm[Hg]"),
                num(("20247-3", "LN", "Peak Gradient"), "25", "mm[Hg]"),
            ]),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE, MODE_PW),
                # Overrides the section's finding site (the LVOT, measured for continuity).
                num(("20354-7", "LN", "Velocity Time Integral"), "22", "cm", [mod(FINDING_SITE, LVOT)]),
                num(("G-038F", "SRT", "Cardiovascular Orifice Diameter"), "21", "mm", [mod(FINDING_SITE, LVOT)]),
            ]),
        ]),
        # TID 5200 row 14: Mitral Valve section, SRT site code.
        container(("121070", "DCM", "Findings"), [
            mod(FINDING_SITE_SRT, MV_SRT),
            container(("125007", "DCM", "Measurement Group"), [
                mod(IMAGE_MODE, MODE_PW),
                num(("18037-2", "LN", "Mitral Valve E-Wave Peak Velocity"), "0.8", "m/s"),
                num(("17978-8", "LN", "Mitral Valve A-Wave Peak Velocity"), "60", "cm/s"),
                num(("18038-0", "LN", "Mitral Valve E to A Ratio"), "1.33", "{ratio}"),
                num(("399354002", "SCT", "Mitral Valve E-Wave Deceleration Time"), "190", "ms"),
            ]),
        ]),
    ]
    p5200 = write(dataset(uid(study_uid + "/sr/5200"), uid(study_uid + "/series/sr5200"), 90, "5200", content, [cine_sop]),
                  "echo_tid5200.dcm")

    # ---------------------------------------------------------------- TID 5300
    ef_biplane = ("18043-0", "LN", "Left Ventricular Ejection Fraction by US")
    content = [
        language,
        *observer_device("CART-7"),
        container(("125301", "DCM", "Pre-coordinated Measurements"), [
            # TID 5301-style: a pre-coordinated code; only Selection Status and the source image as modifiers.
            num(ef_biplane, "57", "%", [source_image(a4c_sop, 3)]),
            num(ef_biplane, "59", "%", [source_image(a4c_sop, 31), mod(SELECTION, USER_CHOSEN)]),
            num(("8867-4", "LN", "Heart rate"), "64", "/min"),
        ]),
        container(("125302", "DCM", "Post-coordinated Measurements"), [
            # TID 5302-style: every modifier on the NUM itself.
            num(("11726-7", "LN", "Peak Velocity"), "95", "cm/s", [
                mod(FINDING_SITE, ("91134007", "SCT", "Mitral Valve")), mod(IMAGE_MODE, MODE_PW, rel="HAS ACQ CONTEXT"),
                mod(CARDIAC_PHASE_SRT, ("R-40B1C", "SRT", "Diastolic Rapid Inflow")),
                mod(FLOW_DIRECTION, ANTEGRADE), source_image(a4c_sop, 7)]),
        ]),
        container(("125303", "DCM", "Adhoc Measurements"), [
            num(("ACME-LAA", "99ACME", "LA appendage emptying velocity"), "45", "cm/s",
                [mod(FINDING_SITE, LA)]),
        ]),
    ]
    p5300 = write(dataset(uid(study_uid + "/sr/5300"), uid(study_uid + "/series/sr5300"), 91, "5300", content, [a4c_sop]),
                  "echo_tid5300.dcm")
    return [p5200, p5300]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--study-uid", default=uid("study/echo-sr"))
    ap.add_argument("--patient-id", default="SRECHO01")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = build(args.out, args.study_uid, args.patient_id)
    print(json.dumps({"study": args.study_uid, "files": [str(p) for p in paths]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
