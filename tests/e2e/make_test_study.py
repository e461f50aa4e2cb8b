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
