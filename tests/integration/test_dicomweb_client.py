"""An independent DICOMweb client against the real `systole serve`: dicomweb-client from npm (the library
OHIF and Slim use), run by Node (tests/node/dicomweb_client_check.mjs, dependencies pinned by
tests/node/package-lock.json and installed here with `npm ci` when missing or stale).

The client STOREs real files (storeInstances), then discovers and retrieves everything through the
server (searchFor*, retrieve*Metadata, retrieveInstance, retrieveInstanceFrames) and writes what it got
into a directory; these tests compare it with what pydicom (and DCMTK's decoders) read from the files.
"""
import io
import json
import os
import re
import shutil
import subprocess

import pydicom
import pydicom.encaps
import pytest

from conftest import DICOM, REPO, dcmtk

NODE_DIR = REPO / "tests" / "node"
SCRIPT = NODE_DIR / "dicomweb_client_check.mjs"

FILES = {
    "native": "cine/dicomparser__IM00001_implicit_le.dcm",      # US cine, RGB, implicit VR LE, 8 frames
    "jpeg": "cine/orthanc__Issue16.dcm",                         # US cine, JPEG baseline YBR_FULL_422, 34 frames
    "rle": "cine/octave-dicom__US-PAL-8-10x-echo_rle.dcm",       # US cine, palette colour, RLE, 10 frames
    "jpegls": "mr/pydicomdata__emri_small_jpeg_ls_lossless.dcm",  # enhanced MR, 16 bit, JPEG-LS lossless, 10 frames
    "sr": "sr/pydicom__test-SR.dcm",                             # comprehensive SR, no pixels
    "ecg": "waveform/pydicom__waveform_ecg.dcm",                 # 12-lead ECG waveform, no pixels
}
LOSSLESS_DECODER = {"1.2.840.10008.1.2.5": "dcmdrle", "1.2.840.10008.1.2.4.80": "dcmdjpls",
                    "1.2.840.10008.1.2.4.70": "dcmdjpeg", "1.2.840.10008.1.2.4.57": "dcmdjpeg"}


def read(rel, pixels=False):
    return pydicom.dcmread(str(DICOM / rel), force=True, stop_before_pixels=not pixels)


def uid(ds, keyword):
    return str(ds.get(keyword, "") or "")


def normalized_date(value):
    """DA as the index keeps it: legacy "YYYY.MM.DD" read as YYYYMMDD."""
    return str(value or "").replace(".", "")


# --------------------------------------------------------------------------------------------------
# Node dependencies
# --------------------------------------------------------------------------------------------------

def ensure_node_modules():
    """`npm ci` into tests/node/node_modules when it is missing or older than package(-lock).json."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.fail("node and npm are needed for this test (scripts/bootstrap.sh installs them)")
    installed = NODE_DIR / "node_modules" / ".package-lock.json"
    sources = [NODE_DIR / "package.json", NODE_DIR / "package-lock.json"]
    if installed.exists() and all(installed.stat().st_mtime >= s.stat().st_mtime for s in sources) \
            and (NODE_DIR / "node_modules" / "dicomweb-client" / "package.json").exists():
        return node
    proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=NODE_DIR,
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"npm ci in {NODE_DIR} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return node


# --------------------------------------------------------------------------------------------------
# The run: one server, one client session
# --------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, server, proc, out_dir):
        self.server, self.proc, self.out = server, proc, out_dir
        try:
            self.summary = json.loads(proc.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"client printed no JSON summary (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                        f"{proc.stderr[-3000:]}")
        self.ds = {key: read(rel) for key, rel in FILES.items()}
        self.by_sop = {uid(ds, "SOPInstanceUID"): key for key, ds in self.ds.items()}

    def instance(self, key):
        result = self.summary["instances"].get(uid(self.ds[key], "SOPInstanceUID"))
        assert result, f"{key}: instance not found by the client's searches"
        return result

    def file(self, key, suffix):
        return (self.out / f"{uid(self.ds[key], 'SOPInstanceUID')}{suffix}").read_bytes()


@pytest.fixture(scope="module")
def run(make_module_server, tmp_path_factory):
    node = ensure_node_modules()
    server = make_module_server("dicomweb-client")
    out_dir = tmp_path_factory.mktemp("dicomweb-client-out")
    base = f"http://127.0.0.1:{server.http_port}/dicomweb"
    proc = subprocess.run([node, str(SCRIPT), base, str(out_dir), *(str(DICOM / rel) for rel in FILES.values())],
                          capture_output=True, text=True, timeout=300, cwd=NODE_DIR)
    return Run(server, proc, out_dir)


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------

def test_client_ran_without_failures(run):
    assert run.summary["failures"] == [], json.dumps(run.summary["failures"], indent=1)
    assert run.proc.returncode == 0, run.proc.stderr[-3000:]


def test_store_references_every_file(run):
    store = run.summary["store"]
    expected = {uid(ds, "SOPInstanceUID"): uid(ds, "SOPClassUID") for ds in run.ds.values()}
    assert store["failed"] == []
    assert {r["sopInstanceUID"]: r["sopClassUID"] for r in store["referenced"]} == expected
    assert len(store["referenced"]) == len(expected)
    for ref in store["referenced"]:
        assert ref["retrieveURL"] and ref["retrieveURL"].endswith("/instances/" + ref["sopInstanceUID"]), ref
    # The same request again: duplicates are answered as stored (keep-first).
    assert sorted(store["again"]) == sorted(expected)


def test_searches_find_exactly_the_stored_studies_series_instances(run):
    expected = {}
    for ds in run.ds.values():
        expected.setdefault(uid(ds, "StudyInstanceUID"), {}).setdefault(uid(ds, "SeriesInstanceUID"), set()).add(
            uid(ds, "SOPInstanceUID"))
    found = {s["studyInstanceUID"]: {se["seriesInstanceUID"]: {i["sopInstanceUID"] for i in se["instances"]}
                                     for se in s["series"]} for s in run.summary["studies"]}
    assert found == expected
    for study in run.summary["studies"]:
        members = {sop for series in expected[study["studyInstanceUID"]].values() for sop in series}
        assert sorted(study["studyScopedInstances"]) == sorted(members)
        assert sorted(study["studyMetadataInstances"]) == sorted(members)
        assert study["numberOfStudyRelatedInstances"] == len(members)
        for series in study["series"]:
            assert sorted(series["seriesMetadataInstances"]) == sorted(i["sopInstanceUID"] for i in series["instances"])


def test_search_attributes_equal_the_files(run):
    for study in run.summary["studies"]:
        members = [ds for ds in run.ds.values() if uid(ds, "StudyInstanceUID") == study["studyInstanceUID"]]
        ds = members[0]
        assert (study["patientID"] or "") == str(ds.get("PatientID", "") or ""), study
        assert normalized_date(study["studyDate"]) == normalized_date(ds.get("StudyDate")), study
        assert sorted(study["modalitiesInStudy"]) == sorted({str(m.Modality) for m in members}), study
        for series in study["series"]:
            for inst in series["instances"]:
                f = run.ds[run.by_sop[inst["sopInstanceUID"]]]
                assert series["modality"] == str(f.Modality)
                assert inst["sopClassUID"] == uid(f, "SOPClassUID")
                assert inst["rows"] == f.get("Rows"), inst
                assert inst["columns"] == f.get("Columns"), inst
                assert (inst["numberOfFrames"] or None) == (int(f.NumberOfFrames) if "NumberOfFrames" in f else None)


def expected_query_result(run, level, params):
    """What a query should match, computed from the files with pydicom."""
    def matches(ds):
        for key, value in params.items():
            if key in ("includefield", "limit", "offset"):
                continue
            if key == "PatientID" and str(ds.get("PatientID", "") or "") != value:
                return False
            if key == "StudyDate":
                low, _, high = value.partition("-")
                date = normalized_date(ds.get("StudyDate"))
                if not date or (low and date < normalized_date(low)) or (high and date > normalized_date(high)):
                    return False
            if key == "ModalitiesInStudy":
                study = uid(ds, "StudyInstanceUID")
                if value not in {str(m.Modality) for m in run.ds.values() if uid(m, "StudyInstanceUID") == study}:
                    return False
            if key == "Modality" and str(ds.Modality) != value:
                return False
            if key in ("StudyInstanceUID", "SeriesInstanceUID") and uid(ds, key) != value:
                return False
        return True
    keyword = {"studies": "StudyInstanceUID", "series": "SeriesInstanceUID", "instances": "SOPInstanceUID"}[level]
    return sorted({uid(ds, keyword) for ds in run.ds.values() if matches(ds)})


def test_queries_with_query_params_match_the_files(run):
    queries = run.summary["queries"]
    kinds = {key for q in queries for key in q["queryParams"]}
    assert {"PatientID", "StudyDate", "ModalitiesInStudy", "Modality", "includefield"} <= kinds, kinds
    wrong = []
    for q in queries:
        expected = expected_query_result(run, q["level"], q["queryParams"])
        if q["uids"] != expected:
            wrong.append((q["level"], q["queryParams"], q["uids"], expected))
    assert not wrong, "\n".join(map(str, wrong))


def test_metadata_frames_rows_columns_equal_the_files(run):
    for key, ds in run.ds.items():
        meta = run.instance(key)["metadata"]
        assert meta["count"] == 1 and meta["sopInstanceUID"] == uid(ds, "SOPInstanceUID"), (key, meta)
        assert meta["sopClassUID"] == uid(ds, "SOPClassUID"), key
        full = read(FILES[key], pixels=True)
        if "PixelData" in full:
            assert meta["rows"] == ds.Rows and meta["columns"] == ds.Columns, (key, meta)
            assert meta["numberOfFrames"] == int(ds.NumberOfFrames), (key, meta)
            assert meta["samplesPerPixel"] == ds.SamplesPerPixel and meta["bitsAllocated"] == ds.BitsAllocated
            assert meta["pixelData"] == ["BulkDataURI", "vr"], (key, meta)
        else:
            assert meta["pixelData"] is None and meta["rows"] is None, (key, meta)
        # The whole metadata object names the file's attributes (top level, group 0002 aside).
        obj = json.loads(run.file(key, ".metadata.json"))[0]
        tags = {f"{int(t):08X}" for t in full.keys() if t.group != 0x0002 and t.element != 0}
        missing = sorted(tags - set(obj))
        assert not missing, (key, missing)


# dicomweb-client's retrieveInstance asks for application/dicom without a transfer-syntax, which PS3.18
# defines as Explicit VR Little Endian: a file stored so comes back byte for byte, others are transcoded
# and keep their identity and their (lossless: exact) pixels. (Its mediaTypes option cannot ask for '*':
# 0.11.3 computes the common media type of [application/dicom] as "application/" and throws.)
def test_retrieved_instances_are_the_files_or_their_explicit_little_endian_transcoding(run, tmp_path):
    for key, rel in FILES.items():
        inst = run.instance(key)
        assert inst["retrieved"]["transferSyntaxUID"] == "1.2.840.10008.1.2.1", (key, inst["retrieved"])
        original = read(rel, pixels=True)
        if str(original.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.1":
            assert run.file(key, ".dcm") == (DICOM / rel).read_bytes(), key
            continue
        got = pydicom.dcmread(io.BytesIO(run.file(key, ".dcm")))
        assert got.SOPInstanceUID == original.SOPInstanceUID and got.StudyInstanceUID == original.StudyInstanceUID
        if "PixelData" not in original:
            continue
        ts = str(original.file_meta.TransferSyntaxUID)
        if ts in LOSSLESS_DECODER:  # the pixels DCMTK's own decoder gives
            out = tmp_path / f"{key}.dcm"
            subprocess.run([LOSSLESS_DECODER[ts], str(DICOM / rel), str(out)], check=True, capture_output=True)
            assert got.PixelData == pydicom.dcmread(str(out)).PixelData, key
        elif ts in ("1.2.840.10008.1.2", "1.2.840.10008.1.2.2"):
            assert got.pixel_array.tobytes() == original.pixel_array.tobytes(), key
        else:  # lossy: decoded to the right size
            assert len(got.PixelData) >= got.Rows * got.Columns * got.SamplesPerPixel * int(got.get("NumberOfFrames", 1) or 1)


def native_frames(path):
    """The frames of a native (uncompressed) file as bytes, little endian, as pydicom reads them."""
    ds = pydicom.dcmread(str(path), force=True)
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel * ds.BitsAllocated // 8
    data = ds.PixelData
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    assert len(data) >= size * frames
    return [data[k * size:(k + 1) * size] for k in range(frames)]


def check_frames(run, key, expected):
    inst = run.instance(key)
    assert len(inst["frames"]) == len(expected), (key, len(inst["frames"]))
    for k, frame in enumerate(expected, start=1):
        got = run.file(key, f".frame{k}.raw")
        assert len(got) == len(frame), (key, k, len(got), len(frame))
        assert got == frame, (key, k)
    assert inst["lastFrame"]["parts"] == 1
    assert run.file(key, ".last.raw") == expected[-1], key


def test_native_frames_equal_the_files_pixel_data(run):
    check_frames(run, "native", native_frames(DICOM / FILES["native"]))


@pytest.mark.parametrize("key", ["rle", "jpegls"])
def test_lossless_frames_equal_dcmtk_decoding(run, key, tmp_path):
    ts = str(read(FILES[key]).file_meta.TransferSyntaxUID)
    decoded = tmp_path / "decoded.dcm"
    dcmtk(LOSSLESS_DECODER[ts], DICOM / FILES[key], decoded)
    check_frames(run, key, native_frames(decoded))


def test_jpeg_frames_are_decoded_frames_of_the_right_size(run):
    ds = run.ds["jpeg"]
    inst = run.instance("jpeg")
    assert len(inst["frames"]) == int(ds.NumberOfFrames)
    size = ds.Rows * ds.Columns * ds.SamplesPerPixel
    assert all(f["bytes"] == size for f in inst["frames"]), inst["frames"][:3]
    assert run.file("jpeg", ".last.raw") == run.file("jpeg", f".frame{int(ds.NumberOfFrames)}.raw")
    assert run.file("jpeg", ".frame1.raw") != run.file("jpeg", ".last.raw")


def test_frames_in_the_stored_compressed_syntax(run):
    for key in ("jpeg", "rle", "jpegls"):
        full = read(FILES[key], pixels=True)
        frames = int(full.NumberOfFrames)
        expected = list(pydicom.encaps.generate_pixel_data_frame(full.PixelData, frames))
        compressed = run.instance(key).get("compressed")
        assert compressed and compressed.get("status") == 200, (key, compressed)
        assert len(compressed["frames"]) == frames, key
        for k, frame in enumerate(expected, start=1):
            got = run.file(key, f".compressed{k}.bin")
            assert got.rstrip(b"\0") == frame.rstrip(b"\0"), (key, k)  # fragments may carry a padding byte


def test_server_answered_no_5xx(run):
    errors = [line for line in run.server.log().splitlines() if re.search(r" http: \S+ \S+ \S+ 5\d\d \d+ ", line)]
    assert not errors, errors[:5]
    assert run.server.alive()
