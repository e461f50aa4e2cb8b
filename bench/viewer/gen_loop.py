#!/usr/bin/python3
"""Write the viewer benchmark's echo loop: an Ultrasound Multi-frame Image,
JPEG Baseline (Process 1), 975x743 YBR_FULL_422, 87 frames, FrameTime 35 ms
(28.6 fps) -- the loop of issue 4's OHIF anchor. No such real loop exists in
../shared/testdata (MANIFEST.md: the largest real echo cine is 480x430x34),
so it is synthetic: a speckled sector whose bright "LV wall" ellipse beats once
per loop, plus a bar that moves one step per frame, so every frame differs.

Usage: gen_loop.py --out FILE [--frames 87] [--size 975x743] [--frame-time 35]
                   [--quality 85] [--seed 4] [--study-seed N --series-number N
                   --stage NAME:NUMBER --view NAME]
--study-seed puts loops of different seeds in one study (the stress quad of
run.sh: four loops, rest and peak, two views).
Needs python3-pydicom, python3-numpy and the ffmpeg CLI (mjpeg encoder, i.e.
libjpeg-style baseline Huffman JPEG). Run with /usr/bin/python3.
"""
import argparse
import datetime
import math
import os
import subprocess
import sys
import tempfile
import uuid

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate

US_MULTIFRAME_SOP = "1.2.840.10008.5.1.4.1.1.3.1"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def uid(seed, what):
    return "2.25.%d" % uuid.uuid5(uuid.NAMESPACE_OID, "systole-viewerbench-%d-%s" % (seed, what)).int


def frames_rgb(n, w, h, seed):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    apex_x, apex_y = w / 2, 20.0
    r = np.hypot(xx - apex_x, yy - apex_y)
    ang = np.arctan2(xx - apex_x, yy - apex_y)
    sector = (r < h * 0.95) & (np.abs(ang) < math.radians(38))
    out = []
    for i in range(n):
        phase = 2 * math.pi * i / n
        # speckle: coarse noise upsampled (like real echo texture), new per frame
        coarse = rng.random((h // 4 + 1, w // 4 + 1), dtype=np.float32)
        speckle = np.kron(coarse, np.ones((4, 4), np.float32))[:h, :w]
        img = 40 + 60 * speckle
        # beating LV wall: ellipse ring whose radii follow the cardiac phase
        cx, cy = w / 2, h * 0.55
        ax, ay = w * (0.16 + 0.03 * math.cos(phase)), h * (0.26 + 0.04 * math.cos(phase))
        e = np.hypot((xx - cx) / ax, (yy - cy) / ay)
        img += 140 * np.exp(-((e - 1.0) / 0.08) ** 2) * (0.6 + 0.4 * speckle)
        img = np.where(sector, img, 0)
        g = np.clip(img, 0, 255).astype(np.uint8)
        rgb = np.stack([g, g, g], axis=-1)
        # colour-Doppler-like patch and the frame marker bar (one step per frame)
        rgb[int(h * 0.45):int(h * 0.5), int(w * 0.45):int(w * 0.55), 0] = 200 + (i % 50)
        x0 = 10 + int((w - 40) * i / n)
        rgb[h - 30:h - 8, x0:x0 + 16] = (255, 255, 0)
        out.append(rgb)
    return out


def encode_jpeg(frames, w, h, quality):
    with tempfile.TemporaryDirectory() as tmp:
        raw = b"".join(f.tobytes() for f in frames)
        q = max(2, min(31, round(2 + (100 - quality) * 0.3)))  # ffmpeg qscale
        subprocess.run(["ffmpeg", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24",
                        "-s", "%dx%d" % (w, h), "-i", "-", "-c:v", "mjpeg", "-pix_fmt", "yuvj422p",
                        "-q:v", str(q), os.path.join(tmp, "f%04d.jpg")], input=raw, check=True)
        return [open(os.path.join(tmp, "f%04d.jpg" % (i + 1)), "rb").read() for i in range(len(frames))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--frames", type=int, default=87)
    ap.add_argument("--size", default="975x743")
    ap.add_argument("--frame-time", type=float, default=35.0)
    ap.add_argument("--quality", type=int, default=85)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--study-seed", type=int, help="the study's UID and accession from this seed (default --seed)")
    ap.add_argument("--series-number", type=int, default=1)
    ap.add_argument("--stage", help="stress echo stage, NAME:NUMBER (StageName, StageNumber)")
    ap.add_argument("--view", help="ViewName (0008,2127)")
    a = ap.parse_args()
    study_seed = a.seed if a.study_seed is None else a.study_seed
    w, h = (int(v) for v in a.size.lower().split("x"))
    jpegs = encode_jpeg(frames_rgb(a.frames, w, h, a.seed), w, h, a.quality)
    for j in jpegs:
        if j[:2] != b"\xff\xd8" or b"\xff\xc0" not in j[:1000]:
            sys.exit("ffmpeg did not write baseline JPEG (no SOF0)")

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME_SOP
    meta.MediaStorageSOPInstanceUID = uid(a.seed, "sop")
    meta.TransferSyntaxUID = JPEG_BASELINE
    meta.ImplementationClassUID = "1.2.826.0.1.3680043.10.1234.1"
    ds = Dataset()
    ds.file_meta = meta
    today = datetime.date(2026, 11, 1).strftime("%Y%m%d")
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = US_MULTIFRAME_SOP
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = uid(study_seed, "study")
    ds.SeriesInstanceUID = uid(a.seed, "series")
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = today
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "101500"
    ds.AccessionNumber = "VB%04d" % study_seed
    ds.Modality = "US"
    ds.Manufacturer = "Systole viewer bench (synthetic)"
    ds.PatientName = "BENCH^VIEWER"
    ds.PatientID = "VIEWERBENCH"
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "O"
    ds.StudyDescription = "Viewer bench echo loop %dx%d x%d" % (w, h, a.frames)
    ds.SeriesDescription = "A4C synthetic"
    ds.StudyID = "1"
    ds.SeriesNumber = a.series_number
    if a.stage:
        name, _, number = a.stage.partition(":")
        ds.StageName = name
        ds.StageNumber = int(number or 1)
    if a.view:
        ds.ViewName = a.view
    ds.InstanceNumber = 1
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PlanarConfiguration = 0
    ds.Rows, ds.Columns = h, w
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = a.frames
    ds.FrameIncrementPointer = pydicom.tag.Tag(0x0018, 0x1063)
    ds.FrameTime = "%g" % a.frame_time
    ds.CineRate = round(1000 / a.frame_time)
    ds.RecommendedDisplayFrameRate = round(1000 / a.frame_time)
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.PixelData = encapsulate(jpegs)
    ds["PixelData"].VR = "OB"
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(a.out, write_like_original=False)
    print("%s: %d frames %dx%d JPEG baseline, %.1f MB, FrameTime %g ms, study %s"
          % (a.out, a.frames, w, h, os.path.getsize(a.out) / 1e6, a.frame_time, ds.StudyInstanceUID))


if __name__ == "__main__":
    main()
