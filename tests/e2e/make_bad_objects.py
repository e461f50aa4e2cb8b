"""Writes bad objects the viewer must survive, in one study (patient
SYSTOLE_BAD), from a real JPEG baseline echo cine: the cine as is (the good
loop), the cine with frame 3's JPEG data replaced by junk (an undecodable
frame), and the cine relabelled with a transfer syntax nobody decodes
(JPEG XL, 1.2.840.10008.1.2.4.112). Usage: make_bad_objects.py SOURCE.dcm OUT_DIR"""
import sys
from pathlib import Path

import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.uid import generate_uid

source, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
study = generate_uid()


def copy(number, description):
    ds = pydicom.dcmread(str(source))
    ds.PatientID, ds.PatientName = "SYSTOLE_BAD", "BAD^DATA"
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SeriesNumber, ds.SeriesDescription = number, description
    return ds


copy(1, "good loop").save_as(str(out / "good.dcm"))

broken = copy(2, "broken frame 3")
frames = list(generate_pixel_data_frame(broken.PixelData, int(broken.NumberOfFrames)))
frames[2] = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"  # a JPEG start, then junk
broken.PixelData = encapsulate(frames, has_bot=True)
broken.save_as(str(out / "broken_frame.dcm"))

# pydicom 2.3 does not know JPEG XL: write JPEG baseline, then rewrite the
# Transfer Syntax UID element (and the meta group length) in the bytes.
unsupported = copy(3, "unsupported syntax")
path = out / "unsupported_syntax.dcm"
unsupported.save_as(str(path))
data = bytearray(path.read_bytes())
old = unsupported.file_meta.TransferSyntaxUID.encode()
old += b"\0" * (len(old) % 2)
new = b"1.2.840.10008.1.2.4.112\0"  # JPEG XL
at = data.index(b"\x02\x00\x10\x00UI")
assert int.from_bytes(data[at + 6:at + 8], "little") == len(old)
data[at + 6:at + 8 + len(old)] = len(new).to_bytes(2, "little") + new
group_length = data.index(b"\x02\x00\x00\x00UL") + 8
value = int.from_bytes(data[group_length:group_length + 4], "little") + len(new) - len(old)
data[group_length:group_length + 4] = value.to_bytes(4, "little")
path.write_bytes(bytes(data))
