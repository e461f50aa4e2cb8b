"""Writes two instances derived from a real echo cine into OUT_DIR, in the same study:
a second loop (new series, same pixels) and an instance without pixel data (bad data the
viewer must survive). Usage: make_test_study.py SOURCE.dcm OUT_DIR"""
import sys
from pathlib import Path

import pydicom
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

loop = pydicom.dcmread(str(source))
loop.SeriesInstanceUID = generate_uid()
loop.SOPInstanceUID = generate_uid()
loop.file_meta.MediaStorageSOPInstanceUID = loop.SOPInstanceUID
loop.SeriesNumber = 2
loop.SeriesDescription = "second loop"
loop.save_as(str(out / "second_loop.dcm"))

bare = pydicom.dcmread(str(source))
del bare.PixelData
bare.SeriesInstanceUID = generate_uid()
bare.SOPInstanceUID = generate_uid()
bare.file_meta.MediaStorageSOPInstanceUID = bare.SOPInstanceUID
bare.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
bare.SeriesNumber = 3
bare.SeriesDescription = "no pixel data"
bare.save_as(str(out / "no_pixels.dcm"), write_like_original=False)

# A second study (another patient) for measurements: the same echo with its
# ECG strip turned into a pulsed-wave Doppler spectrum (cm/s along y, baseline
# 20 rows into the region), and a copy with no calibration at all.
measure_study = generate_uid()
doppler = pydicom.dcmread(str(source))
doppler.PatientID = "SYSTOLE_MEASURE"
doppler.PatientName = "MEASURE^DOPPLER"
doppler.StudyInstanceUID = measure_study
doppler.SeriesInstanceUID = generate_uid()
doppler.SOPInstanceUID = generate_uid()
doppler.file_meta.MediaStorageSOPInstanceUID = doppler.SOPInstanceUID
doppler.SeriesNumber = 1
doppler.SeriesDescription = "doppler"
spectral = doppler.SequenceOfUltrasoundRegions[1]
spectral.RegionSpatialFormat = 3  # spectral
spectral.RegionDataType = 3  # PW Doppler
spectral.RegionLocationMinY0 = 360
spectral.RegionLocationMaxY1 = 429
spectral.PhysicalUnitsXDirection = 4  # seconds
spectral.PhysicalUnitsYDirection = 7  # cm/s
spectral.PhysicalDeltaY = -4.0
spectral.ReferencePixelY0 = 20
doppler.save_as(str(out / "doppler.dcm"))

uncalibrated = pydicom.dcmread(str(source))
uncalibrated.PatientID = "SYSTOLE_MEASURE"
uncalibrated.PatientName = "MEASURE^DOPPLER"
uncalibrated.StudyInstanceUID = measure_study
uncalibrated.SeriesInstanceUID = generate_uid()
uncalibrated.SOPInstanceUID = generate_uid()
uncalibrated.file_meta.MediaStorageSOPInstanceUID = uncalibrated.SOPInstanceUID
uncalibrated.SeriesNumber = 2
uncalibrated.SeriesDescription = "uncalibrated"
del uncalibrated.SequenceOfUltrasoundRegions
uncalibrated.save_as(str(out / "uncalibrated.dcm"))

# A third study for synchronized review: the echo as acquired (34 frames at
# 30 ms) and a copy rewritten to another length and rate (the first 24
# frames at 45 ms: 1080 ms instead of 1020 ms), as a rest/peak pair.
from pydicom.encaps import encapsulate, generate_pixel_data_frame

sync_study = generate_uid()
for number, (name, frames, frame_time) in enumerate([("rest", None, None), ("peak", 24, 45)], start=1):
    ds = pydicom.dcmread(str(source))
    ds.PatientID = "SYSTOLE_SYNC"
    ds.PatientName = "SYNC^STRESS"
    ds.StudyInstanceUID = sync_study
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesNumber = number
    ds.SeriesDescription = name
    ds.StageName = name.upper()
    ds.StageNumber = number
    ds.ViewName = "A4C"
    if frames is not None:
        all_frames = list(generate_pixel_data_frame(ds.PixelData, int(ds.NumberOfFrames)))
        ds.PixelData = encapsulate(all_frames[:frames], has_bot=True)
        ds.NumberOfFrames = frames
        ds.FrameTime = frame_time
        for tag in ("FrameTimeVector", "CineRate", "RecommendedDisplayFrameRate", "ActualFrameDuration"):
            if tag in ds:
                delattr(ds, tag)
    ds.save_as(str(out / f"sync_{name}.dcm"))
