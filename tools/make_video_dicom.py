#!/usr/bin/python3
"""Write a video DICOM file (PS3.5 8.2.5): an Ultrasound Multi-frame Image
whose pixel data is one H.264 or MPEG-2 elementary stream, for tests and demos.

Usage:
    tools/make_video_dicom.py --out FILE [--codec h264|mpeg2] [--frames N]
        [--fps F] [--size WxH] [--study-uid UID] [--patient-id ID] [--seed N]

  --codec h264   MPEG-4 AVC/H.264 High Profile / Level 4.1
                 (1.2.840.10008.1.2.4.102); at most 1920x1080, even sizes,
                 at most 30 fps above 1280x720 and 60 fps up to it.
  --codec mpeg2  MPEG-2 Main Profile / Main Level (1.2.840.10008.1.2.4.100);
                 PS3.5 allows only 720x480 at 29.97/30 fps or 720x576 at 25 fps.
  --fps          a number or a fraction (30000/1001).

Needs Debian 12's python3-pydicom (2.3.x), python3-numpy and the ffmpeg CLI
(with libx264). Run with /usr/bin/python3. The picture is synthetic: a bright
disc circling over a gradient, with a bar that grows frame by frame, so every
frame differs. Nothing in the output is real patient data.
"""

import argparse
import datetime
import fractions
import math
import shutil
import subprocess
import sys
import uuid

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence

US_MULTIFRAME_SOP = "1.2.840.10008.5.1.4.1.1.3.1"
TRANSFER_SYNTAX = {
    "h264": "1.2.840.10008.1.2.4.102",   # MPEG-4 AVC/H.264 High Profile / Level 4.1
    "mpeg2": "1.2.840.10008.1.2.4.100",  # MPEG2 Main Profile / Main Level
}
COMPRESSION_METHOD = {"h264": "ISO_14496_10", "mpeg2": "ISO_13818_2"}
FRAGMENT_BYTES = 1 << 20  # even; any size up to 2^32-2 is allowed


def new_uid():
    return "2.25.%d" % uuid.uuid4().int


def parse_size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("size must look like 640x480")
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError("size must be positive")
    return w, h


def parse_fps(text):
    try:
        rate = fractions.Fraction(text).limit_denominator(100000)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError("fps must be a number or a fraction such as 30000/1001")
    if rate <= 0 or rate > 240:
        raise argparse.ArgumentTypeError("fps must be in (0, 240]")
    return rate


def check_constraints(codec, width, height, fps):
    """The transfer syntax's limits (PS3.5 8.2.5, 8.2.6); a message or None."""
    if codec == "mpeg2":
        ntsc = (width, height) == (720, 480) and abs(float(fps) - 30) < 0.05
        pal = (width, height) == (720, 576) and fps == 25
        if not (ntsc or pal):
            return ("MPEG-2 MP@ML in DICOM allows only 720x480 at 29.97/30 fps or 720x576 at 25 fps "
                    "(got %dx%d at %s fps)" % (width, height, float(fps)))
        return None
    if width % 2 or height % 2:
        return "H.264 4:2:0 needs even width and height (got %dx%d)" % (width, height)
    if width > 1920 or height > 1080:
        return "H.264 Level 4.1 in DICOM allows at most 1920x1080 (got %dx%d)" % (width, height)
    limit = 30 if width * height > 1280 * 720 else 60
    if float(fps) > limit + 1e-6:
        return "H.264 Level 4.1 in DICOM allows at most %d fps at %dx%d" % (limit, width, height)
    return None


def render_frames(n, width, height, seed):
    """n RGB frames (uint8, height x width x 3) of a disc circling over a gradient."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    background = np.stack([40 + 60 * x / width, 30 + 50 * y / height, 70 + 40 * (1 - x / width)], axis=-1)
    background += rng.normal(0, 4, background.shape)  # a little speckle so the encoder has texture
    radius = min(width, height) / 8
    for i in range(n):
        phase = 2 * math.pi * i / max(n, 1)
        cx = width / 2 + width / 4 * math.cos(phase)
        cy = height / 2 + height / 4 * math.sin(phase)
        inside = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2
        frame = background.copy()
        frame[inside] = (230, 200, 60)
        bar = int(round((i + 1) / n * (width - 20)))
        frame[height - 14:height - 6, 10:10 + bar] = (240, 240, 240)
        yield np.clip(frame, 0, 255).astype(np.uint8)


def encode(codec, frames, width, height, fps):
    """The elementary stream ffmpeg makes of the frames (raw RGB on stdin)."""
    if codec == "h264":
        video = ["-c:v", "libx264", "-profile:v", "high", "-level:v", "4.1", "-preset", "medium", "-crf", "18",
                 "-pix_fmt", "yuv420p", "-f", "h264"]
    else:
        video = ["-c:v", "mpeg2video", "-profile:v", "main", "-level:v", "main", "-b:v", "8M", "-maxrate", "15M",
                 "-bufsize", "1835k", "-g", "15", "-bf", "2", "-pix_fmt", "yuv420p", "-f", "mpeg2video"]
    rate = "%d/%d" % (fps.numerator, fps.denominator)
    command = (["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "%dx%d" % (width, height),
                "-r", rate, "-i", "-"] + video + ["-"])
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    # Write frames on a thread-free path: ffmpeg's output for a short clip fits
    # the pipe only if we drain it, so feed and read through communicate().
    raw = b"".join(frame.tobytes() for frame in frames)
    stream, _ = process.communicate(raw)
    if process.returncode != 0 or not stream:
        sys.exit("ffmpeg failed (exit %d)" % process.returncode)
    return stream


def count_frames(codec, stream):
    """Frames ffprobe counts in the stream, to check it before writing."""
    fmt = "h264" if codec == "h264" else "mpegvideo"  # ffprobe's demuxer names
    out = subprocess.run(["ffprobe", "-v", "error", "-f", fmt, "-count_frames", "-select_streams", "v:0",
                          "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "-"],
                         input=stream, capture_output=True, check=True).stdout
    return int(out.decode().strip().split(",")[0])


def encapsulate(stream):
    """PS3.5 A.4 encapsulation: an empty Basic Offset Table, then the stream
    in fragments of even length (the last one padded with a zero byte).
    pydicom adds the Sequence Delimitation Item when it writes the element."""
    def item(value):
        return b"\xfe\xff\x00\xe0" + len(value).to_bytes(4, "little") + value

    if len(stream) % 2:
        stream += b"\x00"
    out = [item(b"")]
    for start in range(0, len(stream), FRAGMENT_BYTES):
        out.append(item(stream[start:start + FRAGMENT_BYTES]))
    return b"".join(out)


def build_dataset(args, width, height, stream):
    now = datetime.datetime.now()
    frame_time_ms = 1000 / float(args.fps)

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = US_MULTIFRAME_SOP
    meta.MediaStorageSOPInstanceUID = new_uid()
    meta.TransferSyntaxUID = TRANSFER_SYNTAX[args.codec]
    meta.ImplementationClassUID = "2.25.%d" % uuid.uuid5(uuid.NAMESPACE_URL, "urn:systole:make-video-dicom").int
    meta.ImplementationVersionName = "SYSTOLE_VIDEO1"

    ds = Dataset()
    ds.file_meta = meta
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.SOPClassUID = US_MULTIFRAME_SOP
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.ImageType = ["ORIGINAL", "PRIMARY", "", "0001"]
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = now.strftime("%Y%m%d")
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = now.strftime("%H%M%S")
    ds.AccessionNumber = ""
    ds.Modality = "US"
    ds.Manufacturer = "Systole make_video_dicom.py"
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "Video DICOM test (%s)" % args.codec.upper()
    ds.SeriesDescription = "Synthetic %s loop" % args.codec.upper()
    ds.PatientName = "VIDEO^Test"
    ds.PatientID = args.patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyInstanceUID = args.study_uid or new_uid()
    ds.SeriesInstanceUID = new_uid()
    ds.StudyID = "1"
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1

    # Cine module: FrameTime drives the timing, CineRate is for display.
    ds.FrameTime = "%.4f" % frame_time_ms
    ds.CineRate = int(round(float(args.fps)))
    ds.RecommendedDisplayFrameRate = int(round(float(args.fps)))
    ds.FrameIncrementPointer = pydicom.tag.Tag("FrameTime")
    ds.NumberOfFrames = args.frames

    # Image pixel module as PS3.5 8.2.5/8.2.6 require for these syntaxes.
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.Rows = height
    ds.Columns = width
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = COMPRESSION_METHOD[args.codec]

    # A minimal ultrasound region so viewers know nothing is calibrated.
    region = Dataset()
    region.RegionSpatialFormat = 1
    region.RegionDataType = 1
    region.RegionFlags = 0
    region.RegionLocationMinX0 = 0
    region.RegionLocationMinY0 = 0
    region.RegionLocationMaxX1 = width - 1
    region.RegionLocationMaxY1 = height - 1
    region.PhysicalUnitsXDirection = 0
    region.PhysicalUnitsYDirection = 0
    region.PhysicalDeltaX = 0.0
    region.PhysicalDeltaY = 0.0
    ds.SequenceOfUltrasoundRegions = Sequence([region])

    ds.PixelData = encapsulate(stream)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="DICOM file to write")
    parser.add_argument("--codec", choices=sorted(TRANSFER_SYNTAX), default="h264")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--fps", type=parse_fps, default=None, help="default 30 (h264), 30000/1001 (mpeg2)")
    parser.add_argument("--size", type=parse_size, default=None, help="WxH; default 640x480 (h264), 720x480 (mpeg2)")
    parser.add_argument("--study-uid", default=None)
    parser.add_argument("--patient-id", default="VIDEO0001")
    parser.add_argument("--seed", type=int, default=1, help="seed of the speckle noise")
    args = parser.parse_args()

    if args.frames < 1:
        parser.error("--frames must be at least 1")
    if args.fps is None:
        args.fps = fractions.Fraction(30) if args.codec == "h264" else fractions.Fraction(30000, 1001)
    width, height = args.size or ((640, 480) if args.codec == "h264" else (720, 480))
    problem = check_constraints(args.codec, width, height, args.fps)
    if problem:
        parser.error(problem)
    for tool in ("ffmpeg", "ffprobe"):
        if not shutil.which(tool):
            sys.exit("%s not found on PATH" % tool)

    stream = encode(args.codec, render_frames(args.frames, width, height, args.seed), width, height, args.fps)
    counted = count_frames(args.codec, stream)
    if counted != args.frames:
        sys.exit("ffmpeg produced %d frames instead of %d" % (counted, args.frames))
    ds = build_dataset(args, width, height, stream)
    ds.save_as(args.out, write_like_original=False)
    print("%s: %s %dx%d, %d frames at %.4g fps, %d-byte stream, transfer syntax %s"
          % (args.out, args.codec, width, height, args.frames, float(args.fps), len(stream),
             TRANSFER_SYNTAX[args.codec]))


if __name__ == "__main__":
    main()
