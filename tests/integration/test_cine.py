"""The cine engine over HTTP: video instances (H.264, MPEG-2) decoded into frames, the MP4 video
rendition checked with ffprobe/ffmpeg, byte ranges, gzip'd JSON, CORS, and the frame contract
(frame N is the same pixels from /frames, /frames/N/rendered and the video)."""
import gzip
import http.client
import io
import json
import re
import subprocess
from pathlib import Path

import numpy
import pydicom
import pytest
from PIL import Image

from conftest import DICOM

REPO = Path(__file__).resolve().parents[2]
NATIVE_LOOP = "cine/dicomparser__IM00001_implicit_le.dcm"  # 8 frames, 320x240 RGB
PDF = "other/orthanc__sample-pdf_coronarographie.dcm"  # Encapsulated PDF: 20 KB of bulk data


def request(port, method, path, headers=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, data


def stow(port, files):
    boundary = "cine-test-boundary"
    body = b"".join(b"--" + boundary.encode() + b"\r\nContent-Type: application/dicom\r\n\r\n" + f.read_bytes() + b"\r\n"
                    for f in files) + b"--" + boundary.encode() + b"--\r\n"
    status, _, data = request(port, "POST", "/dicomweb/studies", {
        "Content-Type": f'multipart/related; type="application/dicom"; boundary={boundary}'}, body)
    assert status == 200, data[:500]


def parts(headers, body):
    boundary = re.search(r'boundary="?([^";]+)"?', headers["content-type"]).group(1).encode()
    out = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, payload = chunk.partition(b"\r\n\r\n")
        out.append((head.decode(), payload[:-2] if payload.endswith(b"\r\n") else payload))
    return out


def path_of(ds):
    return f"/dicomweb/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}"


def ffprobe(data, tmp_path):
    f = tmp_path / "probe.mp4"
    f.write_bytes(data)
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_streams", "-show_format", "-of", "json", str(f)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def mp4_frames(data, tmp_path, width, height):
    """Every frame of an MP4 as RGB arrays, decoded by the ffmpeg CLI (an independent decoder)."""
    f = tmp_path / "frames.mp4"
    f.write_bytes(data)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(f), "-vsync", "passthrough", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return numpy.frombuffer(raw, dtype=numpy.uint8).reshape(-1, height, width, 3)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    out = tmp_path_factory.mktemp("video")
    made = {}
    for codec, frames, size, fps in (("h264", 45, "320x240", "25"), ("mpeg2", 12, "720x480", "30000/1001")):
        f = out / f"{codec}.dcm"
        subprocess.run(["/usr/bin/python3", str(REPO / "tools/make_video_dicom.py"), "--out", str(f), "--codec", codec,
                        "--frames", str(frames), "--size", size, "--fps", fps], check=True, capture_output=True)
        made[codec] = f
    return made


@pytest.fixture(scope="module")
def server(make_module_server, videos):
    s = make_module_server("cine", env={"SYSTOLE_HTTP_CORS_ORIGINS": "https://viewer.example"})
    stow(s.http_port, [videos["h264"], videos["mpeg2"], DICOM / NATIVE_LOOP,
                       DICOM / "cine/derived__IM00001_j2k_lossless.dcm", DICOM / PDF])
    return s


@pytest.mark.parametrize("codec", ["h264", "mpeg2"])
def test_video_instances_decode_into_frames(server, videos, codec):
    ds = pydicom.dcmread(str(videos[codec]), stop_before_pixels=True)
    n = int(ds.NumberOfFrames)
    status, headers, body = request(server.http_port, "GET", path_of(ds) + f"/frames/1,{n}")
    assert status == 200, body[:300]
    frames = parts(headers, body)
    assert len(frames) == 2
    for head, payload in frames:
        assert "application/octet-stream" in head
        assert len(payload) == ds.Rows * ds.Columns * 3
    # The synthetic video moves: first and last frame differ; a frame beyond the end is refused.
    assert frames[0][1] != frames[1][1]
    assert request(server.http_port, "GET", path_of(ds) + f"/frames/{n + 1}")[0] == 404


def test_video_stream_in_its_own_syntax_is_the_whole_stream(server, videos):
    ds = pydicom.dcmread(str(videos["h264"]))
    status, headers, body = request(server.http_port, "GET", path_of(ds) + "/frames/1",
                                    {"Accept": 'multipart/related; type="video/mp4"'})
    assert status == 200, body[:300]
    (head, payload), = parts(headers, body)
    assert "video/mp4" in head and "1.2.840.10008.1.2.4.102" in head
    fp = pydicom.filebase.DicomBytesIO(ds.PixelData)
    fp.is_little_endian = True
    fragments = b"".join(pydicom.encaps.generate_pixel_data_fragment(fp))
    assert payload.rstrip(b"\0") == fragments.rstrip(b"\0")


def test_h264_instance_video_rendition_is_the_stream_at_its_rate(server, videos, tmp_path):
    ds = pydicom.dcmread(str(videos["h264"]), stop_before_pixels=True)
    status, headers, body = request(server.http_port, "GET", path_of(ds) + "/rendered", {"Accept": "video/mp4"})
    assert status == 200 and headers["content-type"] == "video/mp4", body[:300]
    probe = ffprobe(body, tmp_path)
    stream = probe["streams"][0]
    assert stream["codec_name"] == "h264"
    assert int(stream["nb_read_frames"]) == int(ds.NumberOfFrames)
    assert stream["avg_frame_rate"] == "25/1"


@pytest.mark.parametrize("rel,codec", [(NATIVE_LOOP, "native"), ("mpeg2", "mpeg2")])
def test_video_rendition_of_a_loop_plays_at_the_acquired_rate(server, videos, tmp_path, rel, codec):
    f = videos[rel] if rel in videos else DICOM / rel
    ds = pydicom.dcmread(str(f), stop_before_pixels=True)
    status, headers, body = request(server.http_port, "GET", path_of(ds) + "/rendered", {"Accept": "video/mp4"})
    assert status == 200 and headers["content-type"] == "video/mp4", body[:300]
    stream = ffprobe(body, tmp_path)["streams"][0]
    assert stream["codec_name"] == "h264"
    assert int(stream["nb_read_frames"]) == int(ds.NumberOfFrames)
    if "FrameTime" in ds:
        expected = 1000.0 / float(ds.FrameTime)
    elif "FrameTimeVector" in ds:  # increments between frames (the first is to frame 1, often 0)
        steps = [float(v) for v in ds.FrameTimeVector][1:]
        expected = 1000.0 / (sum(steps) / len(steps))
    else:
        expected = float(ds.CineRate) if "CineRate" in ds else 30000 / 1001
    num, den = (int(x) for x in stream["avg_frame_rate"].split("/"))
    assert abs(num / den - expected) < 0.05 * expected, (stream["avg_frame_rate"], expected)


def test_frame_contract_video_rendered_and_frames_agree(server, tmp_path):
    """Frame N of a loop: the decoded frame, its PNG rendition and frame N of the MP4 are the same
    picture (exactly for PNG, within H.264's loss for the video)."""
    ds = pydicom.dcmread(str(DICOM / NATIVE_LOOP))
    original = ds.pixel_array  # (frames, rows, cols, 3)
    status, headers, body = request(server.http_port, "GET", path_of(ds) + "/rendered", {"Accept": "video/mp4"})
    assert status == 200
    video = mp4_frames(body, tmp_path, ds.Columns, ds.Rows)
    assert video.shape[0] == original.shape[0]
    for n in (1, 4, 8):
        status, headers, body = request(server.http_port, "GET", path_of(ds) + f"/frames/{n}")
        raw = parts(headers, body)[0][1]
        assert raw == original[n - 1].tobytes()
        status, headers, png = request(server.http_port, "GET", path_of(ds) + f"/frames/{n}/rendered",
                                       {"Accept": "image/png"})
        assert status == 200 and headers["content-type"] == "image/png"
        rendered = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
        assert numpy.array_equal(rendered, original[n - 1]), f"PNG of frame {n} is not the frame"
        # H.264 is lossy (4:2:0 chroma on speckle): video frame n must be closest to frame n of all the
        # loop's frames (no shift, no duplicate) and close in absolute terms.
        errors = [numpy.abs(video[n - 1].astype(int) - frame.astype(int)).mean() for frame in original]
        assert int(numpy.argmin(errors)) == n - 1, (n, errors)
        assert errors[n - 1] < 10, f"video frame {n} differs from frame {n} by {errors[n - 1]:.1f} on average"


def test_video_supports_byte_ranges(server, videos):
    ds = pydicom.dcmread(str(videos["h264"]), stop_before_pixels=True)
    path = path_of(ds) + "/rendered"
    _, headers, whole = request(server.http_port, "GET", path, {"Accept": "video/mp4"})
    assert headers.get("accept-ranges") == "bytes"
    status, headers, part = request(server.http_port, "GET", path, {"Accept": "video/mp4", "Range": "bytes=100-1099"})
    assert status == 206 and part == whole[100:1100]
    assert headers["content-range"] == f"bytes 100-1099/{len(whole)}"
    status, _, body = request(server.http_port, "GET", path, {"Accept": "video/mp4", "Range": f"bytes={len(whole)}-"})
    assert status == 416 and json.loads(body)["error"]["status"] == 416


def test_pixel_bulk_data_single_part_with_ranges(server):
    ds = pydicom.dcmread(str(DICOM / NATIVE_LOOP))
    path = path_of(ds) + "/bulk/7FE00010"
    status, headers, body = request(server.http_port, "GET", path, {"Accept": "application/octet-stream"})
    assert status == 200 and body == ds.PixelData
    status, headers, body = request(server.http_port, "GET", path,
                                    {"Accept": "application/octet-stream", "Range": "bytes=1000-1999"})
    assert status == 206 and body == ds.PixelData[1000:2000]


def test_j2k_instance_default_retrieve_is_decoded_losslessly(server):
    native = pydicom.dcmread(str(DICOM / NATIVE_LOOP))
    ds = pydicom.dcmread(str(DICOM / "cine/derived__IM00001_j2k_lossless.dcm"), stop_before_pixels=True)
    status, headers, body = request(server.http_port, "GET", path_of(ds) + "?x=1".replace("?x=1", ""),
                                    {"Accept": 'multipart/related; type="application/dicom"'})
    assert status == 200, body[:300]
    (head, payload), = parts(headers, body)
    assert "transfer-syntax=1.2.840.10008.1.2.1" in head
    got = pydicom.dcmread(io.BytesIO(payload))
    assert got.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    assert got.PixelData == native.PixelData
    assert got.PhotometricInterpretation == "RGB"


def test_metadata_is_gzipped_when_asked_and_carries_timing(server):
    ds = pydicom.dcmread(str(DICOM / NATIVE_LOOP), stop_before_pixels=True)
    path = f"/dicomweb/studies/{ds.StudyInstanceUID}/metadata"
    _, headers, plain = request(server.http_port, "GET", path)
    status, headers, zipped = request(server.http_port, "GET", path, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("content-encoding") == "gzip"
    assert gzip.decompress(zipped) == plain and len(zipped) < len(plain)
    instance = next(i for i in json.loads(plain) if i["00080018"]["Value"][0] == ds.SOPInstanceUID)
    # Frame timing and the ultrasound calibration reach the viewer untouched.
    vector = [float(v) for v in ds.FrameTimeVector]
    assert instance["00181065"]["Value"] == pytest.approx(vector)
    assert instance["00280008"]["Value"][0] == int(ds.NumberOfFrames)
    assert instance["00083002"]["Value"][0] == "1.2.840.10008.1.2"
    if "SequenceOfUltrasoundRegions" in ds:
        region = instance["00186011"]["Value"][0]
        assert region["0018602C"]["Value"][0] == pytest.approx(float(ds.SequenceOfUltrasoundRegions[0].PhysicalDeltaX))


def test_cors_for_the_configured_origin_only(server):
    _, headers, _ = request(server.http_port, "GET", "/dicomweb/studies", {"Origin": "https://viewer.example"})
    assert headers.get("access-control-allow-origin") == "https://viewer.example"
    _, headers, _ = request(server.http_port, "GET", "/dicomweb/studies", {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers
    status, headers, _ = request(server.http_port, "OPTIONS", "/dicomweb/studies", {
        "Origin": "https://viewer.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 204 and "POST" in headers["access-control-allow-methods"]
    status, _, _ = request(server.http_port, "OPTIONS", "/dicomweb/studies", {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 403


def test_bulk_data_uri_of_a_non_pixel_value_serves_it(server):
    ds = pydicom.dcmread(str(DICOM / PDF))
    status, _, body = request(server.http_port, "GET", path_of(ds) + "/metadata")
    uri = json.loads(body)[0]["00420011"]["BulkDataURI"]
    path = uri[uri.index("/dicomweb/"):]
    status, headers, body = request(server.http_port, "GET", path)
    assert status == 200, body[:200]
    (head, payload), = parts(headers, body)
    assert payload == ds.EncapsulatedDocument and payload.startswith(b"%PDF")
    status, _, body = request(server.http_port, "GET", path, {"Accept": "application/octet-stream", "Range": "bytes=0-3"})
    assert status == 206 and body == b"%PDF"
    status, _, body = request(server.http_port, "GET", path_of(ds) + "/bulk/00100010")  # PatientName is no bulk data
    assert status in (404, 400) and json.loads(body)["error"]


def test_htj2k_frames_decode(server, tmp_path):
    """High-Throughput JPEG 2000 (newer than DCMTK 3.6.7) decodes through OpenJPEG: the lossless and
    the lossy encodings of the same picture agree, and it renders. (The samples carry no study/series
    UIDs, which Systole requires: the test gives them some.)"""
    def element(group, elem, vr, text):  # explicit VR little endian, even length
        value = text.encode() + (b"\0" if len(text) % 2 else b"")
        return (group.to_bytes(2, "little") + elem.to_bytes(2, "little") + vr.encode() + len(value).to_bytes(2, "little")
                + value)

    files = []
    for name in ("HTJ2KLossless_08_RGB", "HTJ2K_08_RGB"):
        # pydicom here cannot write the HTJ2K syntax: the identifiers are spliced into the bytes, in tag order.
        data = (DICOM / f"other/pydicomdata__{name}.dcm").read_bytes()
        at = data.index(b"\x28\x00\x02\x00US")  # (0028,0002), the first element after them
        ids = (element(0x0010, 0x0020, "LO", "HTJ2K") + element(0x0020, 0x000D, "UI", "1.2.826.0.1.99.1")
               + element(0x0020, 0x000E, "UI", f"1.2.826.0.1.99.1.{len(files) + 1}"))
        files.append(tmp_path / f"{name}.dcm")
        files[-1].write_bytes(data[:at] + ids + data[at:])
    lossless, lossy = (pydicom.dcmread(str(f), stop_before_pixels=True) for f in files)
    stow(server.http_port, files)
    frames = []
    for ds in (lossless, lossy):
        status, headers, body = request(server.http_port, "GET", path_of(ds) + "/frames/1")
        assert status == 200, body[:300]
        (_, payload), = parts(headers, body)
        assert len(payload) == ds.Rows * ds.Columns * 3
        frames.append(numpy.frombuffer(payload, dtype=numpy.uint8).astype(int))
    assert numpy.abs(frames[0] - frames[1]).mean() < 3 and frames[0].std() > 10
    status, headers, png = request(server.http_port, "GET", path_of(lossless) + "/rendered", {"Accept": "image/png"})
    assert status == 200 and numpy.asarray(Image.open(io.BytesIO(png))).std() > 10


def test_series_thumbnail_uses_the_first_instance_with_an_image(server, tmp_path):
    """A series whose first instance is an SR (no pixels) is shown by its first image."""
    image = pydicom.dcmread(str(DICOM / NATIVE_LOOP))
    report = pydicom.dcmread(str(DICOM / "sr/pydicom__test-SR.dcm"))
    study, series = pydicom.uid.generate_uid(), pydicom.uid.generate_uid()
    for ds, number in ((report, 1), (image, 2)):
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.InstanceNumber = study, series, number
        ds.SOPInstanceUID = pydicom.uid.generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.PatientID = "THUMB-1"
    files = [tmp_path / "sr.dcm", tmp_path / "image.dcm"]
    report.save_as(str(files[0]))
    image.save_as(str(files[1]))
    stow(server.http_port, files)
    for path in (f"/dicomweb/studies/{study}/series/{series}/thumbnail", f"/dicomweb/studies/{study}/thumbnail"):
        status, headers, body = request(server.http_port, "GET", path)
        assert status == 200 and headers["content-type"] == "image/jpeg", (path, body[:200])
    status, _, body = request(server.http_port, "GET", path_of(report) + "/thumbnail")
    assert status == 404, body[:200]  # the SR itself has no image


def test_rendered_frame_list_is_the_frames_rendered_one_by_one(server):
    """Several rendered frames in one multipart response (our extension, the viewer's loop loading):
    each part is byte-identical to that frame's own rendered resource, in the list's order; a
    list needs a multipart Accept, frame numbers in range and well formed."""
    ds = pydicom.dcmread(str(DICOM / NATIVE_LOOP), stop_before_pixels=True)
    for media in ("image/jpeg", "image/png"):
        status, headers, body = request(server.http_port, "GET", path_of(ds) + "/frames/3,1,8,2/rendered",
                                        {"Accept": f'multipart/related; type="{media}"'})
        assert status == 200, body[:300]
        assert headers["content-type"].startswith(f'multipart/related; type="{media}"')
        got = parts(headers, body)
        assert len(got) == 4
        for n, (head, payload) in zip((3, 1, 8, 2), got):
            assert f"Content-Type: {media}" in head
            _, _, single = request(server.http_port, "GET", path_of(ds) + f"/frames/{n}/rendered", {"Accept": media})
            assert payload == single, f"part for frame {n} differs from /frames/{n}/rendered ({media})"
    cases = [("1,2", "image/jpeg", 406), ("1,9", 'multipart/related; type="image/jpeg"', 404),
             ("1,,2", 'multipart/related; type="image/jpeg"', 400), ("1,0", 'multipart/related; type="image/jpeg"', 400)]
    for frames, accept, expected in cases:
        status, _, body = request(server.http_port, "GET", path_of(ds) + f"/frames/{frames}/rendered", {"Accept": accept})
        assert status == expected, (frames, accept, status, body[:200])
        assert json.loads(body)["error"]["message"]
