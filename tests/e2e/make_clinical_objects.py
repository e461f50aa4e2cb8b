"""Writes the objects of the clinical e2e tests into OUT_DIR, from a real JPEG
baseline echo cine and a real 12-lead ECG:
- bad data the viewer must survive, in one study (patient SYSTOLE_BAD): the
  cine as is (the good loop), the cine with frame 3's JPEG data replaced by
  junk (an undecodable frame), and the cine relabelled with a transfer syntax
  nobody decodes (JPEG XL, 1.2.840.10008.1.2.4.112);
- an echo study with an ECG (patient SYSTOLE_ECG): the cine acquired 2 s after
  the ECG started (AcquisitionDateTime), and the ECG.
Usage: make_clinical_objects.py CINE.dcm ECG.dcm OUT_DIR"""
import sys
from pathlib import Path

import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.uid import generate_uid

source, ecg_source, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
out.mkdir(parents=True, exist_ok=True)
study = generate_uid()


def copy(number, description, patient=("SYSTOLE_BAD", "BAD^DATA"), study_uid=study, path=source):
    ds = pydicom.dcmread(str(path))
    ds.PatientID, ds.PatientName = patient
    ds.StudyInstanceUID = study_uid
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

ecg_study = generate_uid()
patient = ("SYSTOLE_ECG", "ECG^ECHO")
cine = copy(1, "A4C with ECG", patient, ecg_study)
cine.AcquisitionDateTime = "20130125105921"
cine.save_as(str(out / "ecg_cine.dcm"))
ecg = copy(2, "12-lead ECG", patient, ecg_study, ecg_source)
ecg.AcquisitionDateTime = "20130125105919"
ecg.save_as(str(out / "ecg.dcm"))
