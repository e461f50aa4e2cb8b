#!/usr/bin/python3
"""Synthetic echo objects with known timing, for the viewer's Doppler time
tools and the ECG a cine carries itself; a JSON description on stdout.

Usage:
    tools/make_doppler_ecg.py OUT_DIR [--r-wave-time-vector]

One study (patient SYSTOLE_DOPPLER), two instances:
- doppler.dcm: a US Image (one frame, 480 x 400) with two ultrasound regions:
  rows 0-199 a 2D tissue region (cm), rows 200-399 a PW spectral Doppler
  region (RegionSpatialFormat 3, RegionDataType 3; x in seconds, y in cm/s,
  PhysicalDeltaX 4 ms per pixel, PhysicalDeltaY -1 cm/s per pixel, the
  baseline at region row 100). Drawn in it: mitral E waves, each rising to
  its peak and falling linearly back to the baseline; the JSON gives the peak
  and the end of the deceleration (pixel centres) and the expected interval,
  slope and deceleration time.
- ecg_cine.dcm: a US multi-frame loop (60 frames, FrameTime 20 ms) carrying
  its own ECG in a Waveform Sequence (5400,0100): lead II, 500 Hz, 16-bit,
  R waves at the times listed in the JSON (heart rate 75/min); no R Wave
  Pointer. With --r-wave-time-vector the loop also gets (0018,6060) R Wave
  Time Vector with those times.

Explicit VR Little Endian, MONOCHROME2, uncompressed; deterministic. Needs
only Debian's python3-pydicom and python3-numpy.
"""

import argparse
import json
import uuid
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence

US_IMAGE_SOP = "1.2.840.10008.5.1.4.1.1.6.1"
US_MF_SOP = "1.2.840.10008.5.1.4.1.1.3.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
PATIENT = ("SYSTOLE_DOPPLER", "DOPPLER^TIMING")

# The Doppler image.
D_ROWS, D_COLUMNS = 400, 480
SPECTRAL_TOP = 200  # first row of the spectral region
BASELINE = 100  # ReferencePixelY0: the zero-velocity row, relative to the region
S_PER_PIXEL = 0.004
CMS_PER_PIXEL = -1.0  # velocity grows upwards
E_WAVES = [(60, 100, 150), (300, 340, 390)]  # columns: onset, peak, end of deceleration
E_PEAK_ROW = 20  # region row of the E peak: 80 cm/s above the baseline

# The cine with an ECG.
C_ROWS, C_COLUMNS = 160, 200
FRAMES = 60
FRAME_TIME_MS = 20.0
ECG_HZ = 500
R_WAVES_MS = [100.0, 900.0]  # 800 ms R-R: 75/min


def uid(*parts):
    return "2.25." + str(uuid.uuid5(uuid.NAMESPACE_URL, "urn:systole:doppler-ecg:" + ":".join(map(str, parts))).int)


def velocity(region_row):
    """cm/s of a pixel in region row region_row (an integer), as the viewer reads it."""
    return (region_row - BASELINE) * CMS_PER_PIXEL


def instance(sop_class, name, series_number, description):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid(name, "sop")
    meta.TransferSyntaxUID = EXPLICIT_LE
    meta.ImplementationClassUID = uid("implementation")
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, meta.MediaStorageSOPInstanceUID
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = "20260310"
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = "090000"
    ds.AcquisitionDateTime = "20260310090000"
    ds.Modality, ds.Manufacturer = "US", "Systole Doppler/ECG generator"
    ds.PatientID, ds.PatientName = PATIENT
    ds.PatientBirthDate, ds.PatientSex = "19700101", "O"
    ds.StudyInstanceUID = uid("study")
    ds.SeriesInstanceUID = uid(name, "series")
    ds.StudyID, ds.AccessionNumber, ds.ReferringPhysicianName = "1", "DOPPLER1", ""
    ds.StudyDescription = "Doppler timing and embedded ECG"
    ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = description, series_number, 1
    ds.ImageType = ["DERIVED", "SECONDARY"]
    ds.PatientOrientation = ""
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    return ds


def region(top, bottom, spatial, data_type, units_x, units_y, dx, dy, ref_y):
    r = Dataset()
    r.RegionSpatialFormat, r.RegionDataType, r.RegionFlags = spatial, data_type, 0
    r.RegionLocationMinX0, r.RegionLocationMinY0 = 0, top
    r.RegionLocationMaxX1, r.RegionLocationMaxY1 = D_COLUMNS - 1, bottom
    r.PhysicalUnitsXDirection, r.PhysicalUnitsYDirection = units_x, units_y
    r.PhysicalDeltaX, r.PhysicalDeltaY = dx, dy
    r.ReferencePixelX0, r.ReferencePixelY0 = 0, ref_y
    r.ReferencePixelPhysicalValueX, r.ReferencePixelPhysicalValueY = 0.0, 0.0
    return r


def doppler(out):
    ds = instance(US_IMAGE_SOP, "doppler", 1, "MV inflow PW")
    ds.Rows, ds.Columns = D_ROWS, D_COLUMNS
    ds.SequenceOfUltrasoundRegions = Sequence([
        region(0, SPECTRAL_TOP - 1, 1, 1, 3, 3, 0.05, 0.05, 0),  # 2D tissue, cm
        region(SPECTRAL_TOP, D_ROWS - 1, 3, 3, 4, 7, S_PER_PIXEL, CMS_PER_PIXEL, BASELINE),  # PW Doppler
    ])
    img = np.full((D_ROWS, D_COLUMNS), 20, np.uint8)
    img[:SPECTRAL_TOP] = 60 + (np.arange(D_COLUMNS)[None, :] % 40)  # some texture in the 2D region
    img[SPECTRAL_TOP + BASELINE] = 120  # the baseline
    for onset, peak, end in E_WAVES:
        for col in range(onset, end + 1):
            share = (col - onset) / (peak - onset) if col <= peak else (end - col) / (end - peak)
            top = round(BASELINE - share * (BASELINE - E_PEAK_ROW))
            img[SPECTRAL_TOP + top:SPECTRAL_TOP + BASELINE, col] = 220  # the filled envelope
    ds.PixelData = img.tobytes()
    path = out / "doppler.dcm"
    ds.save_as(str(path), write_like_original=False)
    onset, peak, end = E_WAVES[0]
    v = velocity(E_PEAK_ROW)
    seconds = (end - peak) * S_PER_PIXEL
    return {
        "file": str(path), "sopInstanceUID": ds.SOPInstanceUID, "rows": D_ROWS, "columns": D_COLUMNS,
        "spectralTop": SPECTRAL_TOP, "baselineRow": SPECTRAL_TOP + BASELINE, "sPerPixel": S_PER_PIXEL,
        # image points (pixel centres): the E peak and the end of its deceleration on the baseline
        "peak": [peak + 0.5, SPECTRAL_TOP + E_PEAK_ROW + 0.5], "decelerationEnd": [end + 0.5, SPECTRAL_TOP + BASELINE + 0.5],
        "nextPeak": [E_WAVES[1][1] + 0.5, SPECTRAL_TOP + E_PEAK_ROW + 0.5],
        "expected": {
            "peakToEndMs": seconds * 1000, "peakToPeakMs": (E_WAVES[1][1] - peak) * S_PER_PIXEL * 1000,
            "peakCmPerSecond": v, "slopeCmPerSecond2": abs(v) / seconds, "decelerationMs": seconds * 1000,
        },
    }


def ecg_trace():
    """Lead II in µV at ECG_HZ for the loop's duration: a narrow R spike at each R time."""
    t = np.arange(int(FRAMES * FRAME_TIME_MS / 1000 * ECG_HZ)) / ECG_HZ * 1000  # ms
    uv = 50 * np.sin(2 * np.pi * t / 800)  # baseline wander
    for r in R_WAVES_MS:
        uv += 1200 * np.exp(-(((t - r) / 12) ** 2))  # R
        uv += 250 * np.exp(-(((t - r - 250) / 40) ** 2))  # T
    return uv


def waveform_sequence(uv):
    group = Dataset()
    group.MultiplexGroupTimeOffset = 0.0
    group.WaveformOriginality = "ORIGINAL"
    group.NumberOfWaveformChannels = 1
    group.NumberOfWaveformSamples = len(uv)
    group.SamplingFrequency = ECG_HZ
    group.MultiplexGroupLabel = "ECG"
    channel = Dataset()
    source = Dataset()
    source.CodeValue, source.CodingSchemeDesignator, source.CodeMeaning = "5.6.3-9-2", "SCPECG", "Lead II"
    channel.ChannelSourceSequence = Sequence([source])
    channel.ChannelSensitivity = 5.0  # µV per unit
    unit = Dataset()
    unit.CodeValue, unit.CodingSchemeDesignator, unit.CodeMeaning = "uV", "UCUM", "microvolt"
    channel.ChannelSensitivityUnitsSequence = Sequence([unit])
    channel.ChannelSensitivityCorrectionFactor = 1
    channel.ChannelBaseline = 0
    channel.ChannelSampleSkew = 0
    channel.WaveformBitsStored = 16
    group.ChannelDefinitionSequence = Sequence([channel])
    group.WaveformBitsAllocated = 16
    group.WaveformSampleInterpretation = "SS"
    group.WaveformData = np.round(uv / 5.0).astype("<i2").tobytes()
    return Sequence([group])


def ecg_cine(out, with_vector):
    ds = instance(US_MF_SOP, "ecg-cine", 2, "A4C with its own ECG")
    ds.Rows, ds.Columns = C_ROWS, C_COLUMNS
    ds.NumberOfFrames = FRAMES
    ds.FrameIncrementPointer = 0x00181063  # FrameTime
    ds.FrameTime = FRAME_TIME_MS
    ds.CineRate = round(1000 / FRAME_TIME_MS)
    if with_vector:
        ds.RWaveTimeVector = R_WAVES_MS
    ds.SequenceOfUltrasoundRegions = Sequence([region(0, C_ROWS - 1, 1, 1, 3, 3, 0.05, 0.05, 0)])
    ds.SequenceOfUltrasoundRegions[0].RegionLocationMaxX1 = C_COLUMNS - 1
    y, x = np.mgrid[0:C_ROWS, 0:C_COLUMNS]
    frames = []
    for f in range(FRAMES):
        radius = 40 + 15 * np.cos(2 * np.pi * (f * FRAME_TIME_MS - R_WAVES_MS[0]) / 800)  # largest at each R wave
        frames.append(np.where((x - 100) ** 2 + (y - 80) ** 2 < radius ** 2, 30, 170).astype(np.uint8))
    ds.PixelData = np.stack(frames).tobytes()
    ds.WaveformSequence = waveform_sequence(ecg_trace())
    path = out / "ecg_cine.dcm"
    ds.save_as(str(path), write_like_original=False)
    r_frames = [int(r // FRAME_TIME_MS) + 1 for r in R_WAVES_MS]
    return {"file": str(path), "sopInstanceUID": ds.SOPInstanceUID, "frames": FRAMES, "frameTimeMs": FRAME_TIME_MS,
            "rWavesMs": R_WAVES_MS, "rWaveFrames": r_frames, "heartRate": 60000 / (R_WAVES_MS[1] - R_WAVES_MS[0])}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--r-wave-time-vector", action="store_true")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    print(json.dumps({"studyInstanceUID": uid("study"), "patientID": PATIENT[0],
                      "doppler": doppler(args.out), "ecgCine": ecg_cine(args.out, args.r_wave_time_vector)}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
