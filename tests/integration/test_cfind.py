"""C-FIND against a known archive content, attribute by attribute against pydicom's reading of the
source files, at PATIENT (Patient Root) and STUDY/SERIES/IMAGE (Study Root) levels; matching rules;
character sets; refusals.

The archive is filled with `systole import` (the same ingest path as C-STORE) from the cine, xa, sr,
waveform and mr folders plus the orthanc Lena charset files, then served by one `systole serve`.
"""
import collections
import re

import pydicom
import pytest

from conftest import DICOM, findscu, server_alive, systole

FOLDERS = ["cine", "xa", "sr", "waveform", "mr"]
# Left out on purpose (each is covered elsewhere):
EXCLUDED = {
    # explicit VR "UN" for standard elements: DCMTK reads no SOPClassUID (see test_dimse_roundtrip)
    "cine/derived__IM00001_j2k_lossless.dcm",
    # same StudyInstanceUID as mr/orthanc__StructuredReports_IM631.dcm but without IssuerOfPatientID:
    # refused as "study already stored for another patient" (test_dimse_roundtrip)
    "sr/orthanc__StructuredReports_IM0.dcm",
    # meta MediaStorageSOPInstanceUID 1.3.6.1.4.1.6018.1.1 != dataset 1.3.6.1.4.1.6018.3.999: import
    # refuses it (two identities; see test_import)
    "waveform/dicomparser__wave_dfl_hemodynamic_deflated.dcm",
}


def _files():
    files = [p for f in FOLDERS for p in sorted((DICOM / f).glob("*.dcm"))]
    files += sorted((DICOM / "other/charset").glob("orthanc__Lena-*.dcm"))
    return [p for p in files if p.relative_to(DICOM).as_posix() not in EXCLUDED]


def s(ds, keyword):
    """A value as the index should return it: text, trailing spaces/NULs stripped; '' when absent."""
    value = ds.get(keyword, "")
    if value is None:
        return ""
    if isinstance(value, pydicom.multival.MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value).strip(" \x00")


class Model:
    """The expected index: first file per SOP Instance UID."""

    def __init__(self, files):
        self.instances = {}
        for path in files:
            ds = pydicom.dcmread(str(path), stop_before_pixels=True)
            self.instances.setdefault(str(ds.SOPInstanceUID), ds)
        self.series = collections.defaultdict(list)
        self.studies = collections.defaultdict(list)
        self.patients = collections.defaultdict(set)
        for ds in self.instances.values():
            self.series[str(ds.SeriesInstanceUID)].append(ds)
            self.studies[str(ds.StudyInstanceUID)].append(ds)
            self.patients[s(ds, "PatientID")].add(str(ds.StudyInstanceUID))


@pytest.fixture(scope="module")
def archive(make_module_server, tmp_path_factory):
    data = tmp_path_factory.mktemp("cfind") / "data"
    files = _files()
    model = Model(files)
    proc = systole("import", "--data", data, *files)
    assert proc.returncode == 0, proc.stdout
    assert f"{len(model.instances)} stored" in proc.stdout and f"{len(files) - len(model.instances)} duplicate" in proc.stdout, proc.stdout
    server = make_module_server("cfind", data_dir=data)
    return server, model


def find(server, keys, model="-S"):
    responses, status, out = findscu(server.port, keys, model=model)
    assert status == "0000", out[-2000:]
    for r in responses:
        assert r.get("00080005") == "ISO_IR 192", r  # every response declares UTF-8
    return responses


def tag(keyword):
    t = pydicom.datadict.tag_for_keyword(keyword)
    return f"{t >> 16:04X}{t & 0xFFFF:04X}"


def test_patient_level(archive):
    server, model = archive
    keys = ["PatientID", "PatientName", "PatientBirthDate", "PatientSex"]
    rows = find(server, ["QueryRetrieveLevel=PATIENT", *keys], model="-P")
    by_id = {r[tag("PatientID")]: r for r in rows}
    for pid, studies in model.patients.items():
        if not pid:
            continue
        ds = model.studies[next(iter(studies))][0]
        assert pid in by_id, (pid, sorted(by_id))
        for k in keys:
            assert by_id[pid][tag(k)] == s(ds, k), (pid, k)


def test_study_level(archive):
    """Includes the patient attributes of each study: several studies here have no PatientID (the
    IM00001 echo, the US-PAL echo, some SRs); each must still report its own PatientName."""
    server, model = archive
    keys = ["StudyInstanceUID", "StudyDate", "StudyTime", "AccessionNumber", "StudyDescription", "PatientID",
            "PatientName", "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances"]
    rows = find(server, ["QueryRetrieveLevel=STUDY", *keys])
    assert len(rows) == len(model.studies)
    by_uid = {r[tag("StudyInstanceUID")]: r for r in rows}
    for uid, instances in model.studies.items():
        row, ds = by_uid[uid], instances[0]
        for k in keys[1:7]:
            expected = d(ds) if k == "StudyDate" else s(ds, k)  # ACR-NEMA yyyy.mm.dd is answered as yyyymmdd
            assert row[tag(k)] == expected, (uid, k)
        assert set(row[tag("ModalitiesInStudy")].split("\\")) == {s(i, "Modality") for i in instances}, uid
        assert int(row[tag("NumberOfStudyRelatedSeries")]) == len({str(i.SeriesInstanceUID) for i in instances})
        assert int(row[tag("NumberOfStudyRelatedInstances")]) == len(instances)


def test_series_level(archive):
    server, model = archive
    keys = ["SeriesInstanceUID", "StudyInstanceUID", "Modality", "SeriesNumber", "NumberOfSeriesRelatedInstances"]
    rows = find(server, ["QueryRetrieveLevel=SERIES", *keys])
    assert len(rows) == len(model.series)
    by_uid = {r[tag("SeriesInstanceUID")]: r for r in rows}
    for uid, instances in model.series.items():
        row, ds = by_uid[uid], instances[0]
        for k in ("StudyInstanceUID", "Modality", "SeriesNumber"):
            assert row[tag(k)] == s(ds, k), (uid, k)
        assert int(row[tag("NumberOfSeriesRelatedInstances")]) == len(instances)


def test_image_level(archive):
    server, model = archive
    keys = ["SOPInstanceUID", "SOPClassUID", "SeriesInstanceUID", "InstanceNumber", "NumberOfFrames"]
    rows = find(server, ["QueryRetrieveLevel=IMAGE", *keys])
    assert len(rows) == len(model.instances)
    by_uid = {r[tag("SOPInstanceUID")]: r for r in rows}
    for uid, ds in model.instances.items():
        assert same_uid(by_uid[uid][tag("SOPClassUID")], s(ds, "SOPClassUID")), uid
        for k in keys[2:]:
            assert by_uid[uid][tag(k)] == s(ds, k), (uid, k)


def d(ds):
    return s(ds, "StudyDate").replace(".", "")


def same_uid(returned, uid):
    """findscu prints well-known UIDs by DCMTK name ("=CTImageStorage")."""
    if returned.startswith("="):
        name = pydicom.uid.UID(uid).keyword or ""
        return returned[1:].lower() == name.lower()
    return returned == uid


def _studies_where(model, predicate):
    return {uid for uid, inst in model.studies.items() if predicate(inst[0])}


@pytest.mark.parametrize("key,predicate", [
    ("PatientID=556342B", lambda ds: s(ds, "PatientID") == "556342B"),                   # single value
    ("PatientName=Rubo*", lambda ds: s(ds, "PatientName").startswith("Rubo")),           # wildcard *
    ("PatientID=55634?B", lambda ds: s(ds, "PatientID") == "556342B"),                   # wildcard ?
    ("PatientName=rubo demo", lambda ds: s(ds, "PatientName").upper() == "RUBO DEMO"),   # case-insensitive PN
    ("PatientName=*demo", lambda ds: s(ds, "PatientName").upper().endswith("DEMO")),
    # dates compared as dates; the ACR-NEMA form 1994.01.30 of the US-PAL echo is 19940130
    ("StudyDate=20130101-20141231", lambda ds: "20130101" <= d(ds) <= "20141231"),
    ("StudyDate=20130101-", lambda ds: d(ds) >= "20130101"),
    ("StudyDate=-19991231", lambda ds: "" < d(ds) <= "19991231"),
    ("ModalitiesInStudy=XA", lambda ds: False),  # filled below: studies having an XA series
])
def test_matching(archive, key, predicate):
    server, model = archive
    if key == "ModalitiesInStudy=XA":
        expected = {uid for uid, inst in model.studies.items() if any(s(i, "Modality") == "XA" for i in inst)}
    else:
        expected = _studies_where(model, predicate)
    assert expected, key  # every case must match something, or it proves nothing
    rows = find(server, ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", key])
    assert {r[tag("StudyInstanceUID")] for r in rows} == expected, key


def test_uid_list_matching(archive):
    server, model = archive
    two = sorted(model.studies)[:2]
    rows = find(server, ["QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + "\\".join(two)])
    assert sorted(r[tag("StudyInstanceUID")] for r in rows) == two


def test_unindexed_key_returned_empty_and_sequence_key_empty_sequence(archive):
    server, model = archive
    uid = sorted(model.studies)[0]
    responses, status, out = findscu(server.port, ["QueryRetrieveLevel=STUDY", f"StudyInstanceUID={uid}",
                                                   "InstitutionName", "ProcedureCodeSequence"])
    assert status == "0000" and len(responses) == 1, out[-2000:]
    assert tag("InstitutionName") in responses[0] and responses[0][tag("InstitutionName")] == ""
    assert tag("ProcedureCodeSequence") in responses[0], responses[0]
    dump = out[out.index("Response Identifiers:"):]
    assert re.search(r"\(0008,1032\) SQ \(Sequence with (explicit|undefined) length #=0\)", dump), dump[:2000]


@pytest.mark.parametrize("charset_file", sorted(p.name for p in (DICOM / "other/charset").glob("orthanc__Lena-*.dcm")))
def test_non_ascii_names_come_back_in_utf8(archive, charset_file):
    server, _ = archive
    ds = pydicom.dcmread(str(DICOM / "other/charset" / charset_file), stop_before_pixels=True)
    rows = find(server, ["QueryRetrieveLevel=STUDY", f"PatientID={ds.PatientID}", "PatientName"])
    assert [r[tag("PatientName")] for r in rows] == [str(ds.PatientName)], charset_file


def test_study_root_patient_level_refused(make_server):
    server = make_server()
    responses, status, out = findscu(server.port, ["QueryRetrieveLevel=PATIENT", "PatientID"], model="-S")
    assert status == "A900", out[-1500:]
    assert "PATIENT level is not part of the Study Root model" in out
    assert server_alive(server), "server died after refusing a C-FIND:\n" + server.log()[-1500:]


@pytest.mark.parametrize("value", ["20141231-20130101", "2013-", "201301"])
def test_malformed_date_range_refused(make_server, value):
    server = make_server()
    responses, status, out = findscu(server.port, ["QueryRetrieveLevel=STUDY", f"StudyDate={value}"])
    assert status not in (None, "0000", "FF00") and not responses, out[-1500:]
    assert "StudyDate" in out  # the ErrorComment names the faulty key
    assert server_alive(server), "server died after refusing a C-FIND:\n" + server.log()[-1500:]
