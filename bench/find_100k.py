#!/usr/bin/env python3
"""C-FIND at archive scale: generate N tiny instances, measure study-level C-FIND.

  find_100k.py gen --out DIR [--instances 100000] [--studies 5000] [--patients 3000]
      DIR/data/<study>/<series>_<n>.dcm (8x8 US / XA images, ~1 KB each) + DIR/manifest.json
  find_100k.py measure --manifest DIR/manifest.json --port N --out OUT.json [--aet SYSTOLE]
      study-level C-FIND with the shared harness's 14 return keys, measured as
      ../shared/bench/bench_core.py does: per process (median of single findscu runs) and
      inside one association ((findscu --repeat 20 run - single run) / 19, medians of runs),
      plus a --repeat 200 estimate (less noisy for sub-millisecond queries).

Studies: 20 instances each (series of 12, 6 and 2), 80 % echo (US), 20 % cath (XA);
patients: the first `patients` studies get one patient each, the rest go to earlier
patients with a skew (some have many follow-ups); dates 2015-2024; deterministic (--seed).
"""
import argparse
import datetime as dt
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

LAST = ["SMITH", "JONES", "GARCIA", "MARTIN", "DUBOIS", "MULLER", "ROSSI", "NOVAK", "KOWALSKI", "SILVA",
        "JANSEN", "NIELSEN", "MORENO", "LAMBERT", "FISCHER", "BROWN", "TAYLOR", "WILSON", "EVANS", "THOMAS",
        "ROBERTS", "WALKER", "WRIGHT", "PETIT", "LEROY", "WEBER", "BECKER", "ROMANO", "COSTA", "HANSEN"]
FIRST = ["JOHN", "MARY", "PIERRE", "ANNA", "LUCA", "SOFIA", "JAN", "EMMA", "CARLOS", "LEA", "PAUL", "NINA",
         "TOMAS", "EVA", "MARC", "IDA", "HUGO", "ZOE", "OLIVER", "MIA"]
ROOT = "1.2.826.0.1.3680043.10.1394.77"
US_SF = "1.2.840.10008.5.1.4.1.1.6.1"
XA = "1.2.840.10008.5.1.4.1.1.12.1"
SERIES = [(1, 12), (2, 6), (3, 2)]


def plan(n_instances, n_studies, n_patients, seed):
    rng = random.Random(seed)
    per_study = max(1, n_instances // n_studies)
    patients = []
    for p in range(n_patients):
        patients.append({"id": "PID%07d" % (1000000 + p * 7919 % 9000000),
                         "name": "%s^%s" % (rng.choice(LAST), rng.choice(FIRST)),
                         "birth": (dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(25000))).strftime("%Y%m%d"),
                         "sex": rng.choice("MF")})
    studies = []
    for k in range(n_studies):
        if k < n_patients:
            p = k
        else:  # follow-ups: skewed towards a minority of patients
            p = int(n_patients * (rng.random() ** 1.5))
        date = dt.date(2015, 1, 1) + dt.timedelta(days=rng.randrange(3650))
        cath = rng.random() < 0.2
        studies.append({"k": k, "patient": p, "uid": "%s.1%07d" % (ROOT, k), "date": date.strftime("%Y%m%d"),
                        "time": "%02d%02d%02d" % (rng.randrange(7, 19), rng.randrange(60), rng.randrange(60)),
                        "modality": "XA" if cath else "US", "accession": "ACC%08d" % (20000000 + k),
                        "desc": "CORONARY ANGIOGRAPHY" if cath else "TTE ADULT COMPLETE"})
    return patients, studies, per_study


def write_study(args):
    out, st, pat, per_study = args
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian
    d = os.path.join(out, "data", "%05d" % st["k"])
    os.makedirs(d, exist_ok=True)
    sizes = SERIES if per_study == 20 else [(1, per_study)]
    n = 0
    for sn, count in sizes:
        se_uid = "%s.2%07d.%d" % (ROOT, st["k"], sn)
        for i in range(count):
            n += 1
            ds = Dataset()
            ds.SpecificCharacterSet = "ISO_IR 100"
            ds.SOPClassUID = XA if st["modality"] == "XA" else US_SF
            ds.SOPInstanceUID = "%s.3%07d.%d.%d" % (ROOT, st["k"], sn, i + 1)
            ds.StudyDate = ds.SeriesDate = ds.ContentDate = st["date"]
            ds.StudyTime = ds.SeriesTime = ds.ContentTime = st["time"]
            ds.AccessionNumber = st["accession"]
            ds.Modality = st["modality"]
            ds.Manufacturer = "SYSTOLE BENCH"
            ds.ReferringPhysicianName = "HOUSE^GREGORY"
            ds.StudyDescription = st["desc"]
            ds.SeriesDescription = "SERIES %d" % sn
            ds.PatientName = pat["name"]
            ds.PatientID = pat["id"]
            ds.PatientBirthDate = pat["birth"]
            ds.PatientSex = pat["sex"]
            ds.StudyInstanceUID = st["uid"]
            ds.SeriesInstanceUID = se_uid
            ds.StudyID = str(st["k"])
            ds.SeriesNumber = sn
            ds.InstanceNumber = i + 1
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.Rows = ds.Columns = 8
            ds.BitsAllocated = ds.BitsStored = 8
            ds.HighBit = 7
            ds.PixelRepresentation = 0
            ds.PixelData = bytes((st["k"] + i + j) & 0xFF for j in range(64))
            fm = FileMetaDataset()
            fm.MediaStorageSOPClassUID = ds.SOPClassUID
            fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            fm.TransferSyntaxUID = ExplicitVRLittleEndian
            fm.ImplementationClassUID = ROOT + ".0"
            ds.file_meta = fm
            ds.is_little_endian, ds.is_implicit_VR = True, False
            pydicom.dcmwrite(os.path.join(d, "%d_%02d.dcm" % (sn, i + 1)), ds, write_like_original=False)
    return n


def gen(a):
    patients, studies, per_study = plan(a.instances, a.studies, a.patients, a.seed)
    man_path = os.path.join(a.out, "manifest.json")
    if os.path.exists(man_path):
        print("workload present: %s" % man_path)
        return
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    jobs = [(a.out, st, patients[st["patient"]], per_study) for st in studies]
    total = 0
    with multiprocessing.Pool(max(1, os.cpu_count() or 1)) as pool:
        for i, n in enumerate(pool.imap_unordered(write_study, jobs, chunksize=20)):
            total += n
            if (i + 1) % 1000 == 0:
                print("  %d/%d studies, %d instances, %.0f s" % (i + 1, len(jobs), total, time.time() - t0), flush=True)
    by_pat = {}
    for st in studies:
        by_pat.setdefault(st["patient"], []).append(st)
    top = sorted(by_pat, key=lambda p: (-len(by_pat[p]), p))[0]
    single = next(p for p in sorted(by_pat) if len(by_pat[p]) == 1)
    dates = sorted(s["date"] for s in studies)
    d0 = dt.datetime.strptime(dates[len(dates) // 2], "%Y%m%d").date()
    r0, r1 = d0.strftime("%Y%m%d"), (d0 + dt.timedelta(days=30)).strftime("%Y%m%d")
    man = {"instances": total, "studies": len(studies), "patients": len(by_pat),
           "targets": {"patient_top": patients[top]["id"], "patient_top_studies": len(by_pat[top]),
                       "patient_single": patients[single]["id"],
                       "date_range": "%s-%s" % (r0, r1),
                       "date_range_studies": sum(1 for s in studies if r0 <= s["date"] <= r1)},
           "params": vars(a), "generation_s": round(time.time() - t0, 1)}
    with open(man_path, "w") as f:
        json.dump(man, f, indent=1)
    print("wrote %d instances, %d studies, %d patients in %.0f s" % (total, len(studies), len(by_pat), time.time() - t0))


def run(cmd, timeout):
    t = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout, text=True)
    return p.returncode, time.perf_counter() - t, p.stderr


def measure(a):
    sys.path.insert(0, a.shared)
    from bench_core import STUDY_KEYS  # the harness's own return keys, so both measure the same thing
    man = json.load(open(a.manifest))
    t = man["targets"]
    queries = [("study_by_patientid", {"PatientID": t["patient_top"]}, t["patient_top_studies"]),
               ("study_by_patientid_single", {"PatientID": t["patient_single"]}, 1),
               ("study_by_date_range", {"StudyDate": t["date_range"]}, t["date_range_studies"]),
               ("study_all", {}, man["studies"])]
    base = ["findscu", "-S", "-aet", "BENCHSCU", "-aec", a.aet, "-to", "10", "-ta", "10", "-td", "60"]
    out = {"instances": man["instances"], "studies": man["studies"], "patients": man["patients"], "queries": {}}
    for name, filt, expected in queries:
        keys = ["-k", "QueryRetrieveLevel=STUDY"]
        for k in STUDY_KEYS:
            keys += ["-k", "%s=%s" % (k, filt[k]) if k in filt else k]
        for k, v in filt.items():
            if k not in STUDY_KEYS:
                keys += ["-k", "%s=%s" % (k, v)]
        tail = keys + [a.host, str(a.port)]
        with tempfile.TemporaryDirectory(dir=a.tmp) as d:
            rc, _, err = run(base + ["-X", "-od", d] + tail, 120)
            got = len(os.listdir(d)) if rc == 0 else None
        per_process = [run(base + tail, 120)[1] for _ in range(a.repeats)]
        q = {"filter": filt, "expected": expected, "matches": got, "ok": got == expected,
             "per_process_ms": round(statistics.median(per_process) * 1000, 3)}
        one = statistics.median(per_process)
        for n in (20, 200):
            runs = [run(base[:1] + ["--repeat", str(n)] + base[1:] + tail, 600)[1] for _ in range(3)]
            q["in_association_ms_n%d" % n] = round(max(0.0, (statistics.median(runs) - one) / (n - 1)) * 1000, 3)
            if name == "study_all":
                break  # 200 x the whole list is long and says nothing new
        out["queries"][name] = q
        print("C-FIND %-26s matches %s/%s  %.1f ms/process, %.3f ms in-association (n=20)%s" % (
            name, got, expected, q["per_process_ms"], q["in_association_ms_n20"],
            (", %.3f ms (n=200)" % q["in_association_ms_n200"]) if "in_association_ms_n200" in q else ""), flush=True)
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen")
    g.add_argument("--out", required=True)
    g.add_argument("--instances", type=int, default=100000)
    g.add_argument("--studies", type=int, default=5000)
    g.add_argument("--patients", type=int, default=3000)
    g.add_argument("--seed", type=int, default=1)
    m = sub.add_parser("measure")
    m.add_argument("--manifest", required=True)
    m.add_argument("--host", default="127.0.0.1")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--aet", default="SYSTOLE")
    m.add_argument("--out", required=True)
    m.add_argument("--repeats", type=int, default=9)
    m.add_argument("--shared", required=True, help="the shared bench kit (for bench_core.STUDY_KEYS)")
    m.add_argument("--tmp", default="/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir())
    a = ap.parse_args()
    if a.cmd == "measure" and not (a.host.startswith("127.") or a.host == "::1"):
        sys.exit("loopback only")
    gen(a) if a.cmd == "gen" else measure(a)


if __name__ == "__main__":
    main()
