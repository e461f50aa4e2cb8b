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
