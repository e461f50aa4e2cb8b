#!/usr/bin/python3
"""LV phantom for Simpson's biplane: two synthetic US multi-frame loops (apical
4-chamber and 2-chamber views) of one left ventricle whose volumes are known
analytically, and a JSON description of the geometry on stdout.

Usage:
    tools/make_lv_phantom.py OUT_DIR [--patient-id ID] [--study-date YYYYMMDD]
                             [--ed-radii A4C A2C] [--es-radii A4C A2C]
                             [--ed-length CM] [--es-length CM]

The cavity is half a prolate ellipsoid cut at its equator by the mitral
annulus: semi-axes a (across, seen in A4C), b (across, seen in A2C) and c
(long axis, base to apex), volume V = 2/3 * pi * a * b * c. Each loop is one
cardiac cycle: end-diastole at frame 1 (R Wave Pointer 1), end-systole at
frame N/2 + 1, a and c moving with a raised cosine in between. Apex up, base
down, as on an apical echo. The section of each view through the long axis is
half an ellipse (semi-axes a or b, c): the endocardial border a reader traces.

Calibration: one 2D tissue Sequence of Ultrasound Regions item covering the
image, PhysicalDeltaX/Y in cm per pixel. Views: ViewName and View Code
Sequence (SCT 399214001 Apical four chamber, 399232001 Apical two chamber).
Explicit VR Little Endian, MONOCHROME2, uncompressed. Needs only Debian's
python3-pydicom and python3-numpy. Deterministic for given arguments.
"""

import argparse
import json
import math
import sys
import uuid
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence

US_MF_SOP = "1.2.840.10008.5.1.4.1.1.3.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
VIEWS = {"A4C": ("399214001", "Apical four chamber"), "A2C": ("399232001", "Apical two chamber")}

ROWS, COLUMNS = 400, 320
CM_PER_PIXEL = 0.04
BASE_ROW = 330.0  # the annulus (row coordinate, continuous)
CENTRE_COL = 160.0
FRAMES = 16
FRAME_TIME_MS = 50.0
WALL_CM = 0.9


def uid(*parts):
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:systole:lv-phantom:" + ":".join(map(str, parts))).int)


def half_ellipsoid_ml(a, b, c):
    return 2.0 / 3.0 * math.pi * a * b * c


def phase(frame):
    """0 at end-diastole (frame 0), 1 at end-systole (frame FRAMES/2)."""
    return (1 - math.cos(2 * math.pi * frame / FRAMES)) / 2


def frame_geometry(args, view, frame):
    k = 0 if view == "A4C" else 1
    p = phase(frame)
    radius = args.ed_radii[k] + (args.es_radii[k] - args.ed_radii[k]) * p
    length = args.ed_length + (args.es_length - args.ed_length) * p
    return radius, length


def render(radius_cm, length_cm, seed):
    """One frame: dark cavity, bright myocardium, speckle outside."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:ROWS, 0:COLUMNS].astype(np.float64) + 0.5  # pixel centres
    dx = (x - CENTRE_COL) * CM_PER_PIXEL
    dy = (BASE_ROW - y) * CM_PER_PIXEL  # towards the apex
    r_in = np.sqrt((dx / radius_cm) ** 2 + (dy / length_cm) ** 2)
    r_out = np.sqrt((dx / (radius_cm + WALL_CM)) ** 2 + (dy / (length_cm + WALL_CM)) ** 2)
    img = 40 + rng.integers(0, 30, size=(ROWS, COLUMNS))
    above = dy >= 0
    img = np.where(above & (r_out <= 1), 190 + rng.integers(0, 40, size=(ROWS, COLUMNS)), img)
    img = np.where(above & (r_in < 1), 8 + rng.integers(0, 10, size=(ROWS, COLUMNS)), img)
    # the left atrium below the annulus: darker, smaller
    la = np.sqrt((dx / (radius_cm * 0.9)) ** 2 + (dy / 3.5) ** 2)
    img = np.where(~above & (la < 1), 15, img)
    return img.astype(np.uint8)


def code(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def region():
    r = Dataset()
    r.RegionSpatialFormat = 1  # 2D
    r.RegionDataType = 1  # tissue
    r.RegionFlags = 0
    r.RegionLocationMinX0, r.RegionLocationMinY0 = 0, 0
    r.RegionLocationMaxX1, r.RegionLocationMaxY1 = COLUMNS - 1, ROWS - 1
    r.PhysicalUnitsXDirection = 3  # cm
    r.PhysicalUnitsYDirection = 3
    r.PhysicalDeltaX = CM_PER_PIXEL
    r.PhysicalDeltaY = CM_PER_PIXEL
    r.ReferencePixelX0 = int(CENTRE_COL)
    r.ReferencePixelY0 = 0
    r.ReferencePixelPhysicalValueX = 0.0
    r.ReferencePixelPhysicalValueY = 0.0
    return r


def write_loop(out, args, study_uid, view, series_number):
    sop_uid = uid(args.patient_id, args.study_date, view, "sop", args.ed_radii, args.es_radii, args.ed_length, args.es_length)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MF_SOP
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = EXPLICIT_LE
    meta.ImplementationClassUID = uid("implementation")
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = US_MF_SOP, sop_uid
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = args.study_date
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "100000"
    ds.AcquisitionDateTime = args.study_date + "100000"
    ds.Modality = "US"
    ds.Manufacturer = "Systole LV phantom"
    ds.PatientName = args.patient_name
    ds.PatientID = args.patient_id
    ds.PatientBirthDate, ds.PatientSex = "19600101", "O"
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = uid(args.patient_id, args.study_date, view, "series")
    ds.StudyID, ds.AccessionNumber, ds.ReferringPhysicianName = "1", "PH" + args.study_date, ""
    ds.StudyDescription = "LV phantom (Simpson)"
    ds.SeriesDescription = view
    ds.SeriesNumber, ds.InstanceNumber = series_number, 1
    ds.ViewName = view
    ds.ViewCodeSequence = Sequence([code(VIEWS[view][0], "SCT", VIEWS[view][1])])
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.PatientOrientation = ""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = ROWS, COLUMNS
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = FRAMES
    ds.FrameIncrementPointer = 0x00181063  # FrameTime
    ds.FrameTime = FRAME_TIME_MS
    ds.CineRate = round(1000 / FRAME_TIME_MS)
    ds.HeartRate = round(60000 / (FRAMES * FRAME_TIME_MS))
    ds.RWavePointer = [1]
    ds.SequenceOfUltrasoundRegions = Sequence([region()])
    frames = [render(*frame_geometry(args, view, f), seed=series_number * 1000 + f) for f in range(FRAMES)]
    ds.PixelData = np.stack(frames).tobytes()
    path = out / f"lv_{view.lower()}_{args.study_date}.dcm"
    ds.save_as(str(path), write_like_original=False)
    return path, sop_uid


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--patient-id", default="SYSTOLE_PHANTOM")
    ap.add_argument("--patient-name", default="PHANTOM^LV")
    ap.add_argument("--study-date", default="20260301")
    ap.add_argument("--ed-radii", type=float, nargs=2, default=[2.5, 2.2], metavar=("A4C", "A2C"))
    ap.add_argument("--es-radii", type=float, nargs=2, default=[1.7, 1.5], metavar=("A4C", "A2C"))
    ap.add_argument("--ed-length", type=float, default=8.0)
    ap.add_argument("--es-length", type=float, default=7.0)
    args = ap.parse_args(argv)
    for v in [*args.ed_radii, *args.es_radii, args.ed_length, args.es_length]:
        if not (0.3 <= v <= 10.0):
            ap.error("radii and lengths must be between 0.3 and 10 cm")
    if max(args.ed_length, args.es_length) + WALL_CM > BASE_ROW * CM_PER_PIXEL - 0.2:
        ap.error(f"the long axis must fit in the image (at most {BASE_ROW * CM_PER_PIXEL - WALL_CM - 0.2:.1f} cm)")
    args.out.mkdir(parents=True, exist_ok=True)
    study_uid = uid(args.patient_id, args.study_date, "study")
    loops = {}
    for number, view in enumerate(VIEWS, start=1):
        path, sop = write_loop(args.out, args, study_uid, view, number)
        k = number - 1
        loops[view] = {"file": str(path), "sopInstanceUID": sop, "edRadiusCm": args.ed_radii[k], "esRadiusCm": args.es_radii[k]}
    edv = half_ellipsoid_ml(args.ed_radii[0], args.ed_radii[1], args.ed_length)
    esv = half_ellipsoid_ml(args.es_radii[0], args.es_radii[1], args.es_length)
    mono = {view: (half_ellipsoid_ml(loops[view]["edRadiusCm"], loops[view]["edRadiusCm"], args.ed_length),
                   half_ellipsoid_ml(loops[view]["esRadiusCm"], loops[view]["esRadiusCm"], args.es_length)) for view in VIEWS}
    print(json.dumps({
        "studyInstanceUID": study_uid,
        "patientID": args.patient_id,
        "rows": ROWS, "columns": COLUMNS, "cmPerPixel": CM_PER_PIXEL,
        "baseRow": BASE_ROW, "centreColumn": CENTRE_COL,
        "frames": FRAMES, "frameTimeMs": FRAME_TIME_MS,
        "edFrame": 1, "esFrame": FRAMES // 2 + 1,  # 1-based
        "edLengthCm": args.ed_length, "esLengthCm": args.es_length,
        "loops": loops,
        "biplane": {"edvMl": edv, "esvMl": esv, "svMl": edv - esv, "efPercent": (edv - esv) / edv * 100},
        "monoplane": {v: {"edvMl": e, "esvMl": s, "efPercent": (e - s) / e * 100} for v, (e, s) in mono.items()},
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
