#!/usr/bin/env python3
"""PASS/FAIL of Systole's performance targets for one preset, from two results.json
files made in the same run (Orthanc anchor, Systole) and physical_limits.sh's JSON.

  bench/verdict.py --preset small ORTHANC/results.json SYSTOLE/results.json PHYSICAL.json [--md OUT]

With repeats, pass comma-separated lists (O1,O2,... S1,S2,...): every figure is then the
median over the runs of that server.

Targets (issue "make bench"):
  1. C-STORE, 1 association: Systole inst/s >= 2x Orthanc's.
  2. C-STORE, 4 associations: Systole inst/s >= min(2x Orthanc's inst/s,
     0.9 x disk fdatasync MB/s / mean instance size of that phase).
  3. Study-level C-FIND by PatientID inside an association: Orthanc ms / Systole ms >= 2.
Exit status 0 always (the verdict is in the text); 'FAIL' lines are greppable.
"""
import argparse
import json
import statistics


def load(paths):
    runs = [json.load(open(p)) for p in paths.split(",") if p]
    merged = dict(runs[0])
    keys = {k for r in runs for k in r.get("metrics", {})}
    merged["metrics"] = {}
    for k in keys:
        vals = [r["metrics"][k]["value"] for r in runs if k in r.get("metrics", {})]
        merged["metrics"][k] = dict(runs[0].get("metrics", {}).get(k) or {}, value=statistics.median(vals))
    merged["errors"] = [e for r in runs for e in r.get("errors", [])]
    merged["runs"] = len(runs)
    return merged


def metric(r, key):
    m = r.get("metrics", {}).get(key)
    return m["value"] if m else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="")
    ap.add_argument("orthanc")
    ap.add_argument("systole")
    ap.add_argument("physical")
    ap.add_argument("--md", default="")
    a = ap.parse_args()
    o = load(a.orthanc)
    s = load(a.systole)
    try:
        phys = json.load(open(a.physical))
    except (OSError, ValueError):
        phys = {}
    disk = phys.get("disk_seq_write_fdatasync_mb_s")
    lines = ["## Verdict: %s (%s vs %s)%s" % (
        a.preset or s["meta"]["workload"]["name"], s["meta"].get("label"), o["meta"].get("label"),
        ", medians over %d / %d runs" % (o["runs"], s["runs"]) if max(o["runs"], s["runs"]) > 1 else ""), ""]
    rows = []

    def add(name, ok, detail):
        status = "n/a" if ok is None else ("PASS" if ok else "FAIL")
        rows.append("| %s | **%s** | %s |" % (name, status, detail))

    # 1. ingest, 1 association
    oi, si = metric(o, "ingest.single.instances_per_s"), metric(s, "ingest.single.instances_per_s")
    if oi and si:
        add("C-STORE 1 assoc >= 2x Orthanc inst/s", si / oi >= 2,
            "Systole %.1f inst/s (%.0f MB/s) vs Orthanc %.1f inst/s (%.0f MB/s): **%.2fx**; server CPU/inst %s vs %s ms" % (
                si, metric(s, "ingest.single.mb_per_s") or 0, oi, metric(o, "ingest.single.mb_per_s") or 0, si / oi,
                metric(s, "ingest.single.server_cpu_ms_per_instance"),
                metric(o, "ingest.single.server_cpu_ms_per_instance")))
    else:
        add("C-STORE 1 assoc >= 2x Orthanc inst/s", None, "missing ingest.single figures")

    # 2. ingest, N associations
    op, sp = metric(o, "ingest.parallel.instances_per_s"), metric(s, "ingest.parallel.instances_per_s")
    ph = s.get("steps", {}).get("ingest", {}).get("parallel", {})
    if op and sp and ph.get("instances"):
        mean = ph["bytes"] / ph["instances"]
        goal, why = 2 * op, "2x Orthanc"
        if disk:
            disk_inst = 0.9 * disk * 1e6 / mean
            if disk_inst < goal:
                goal, why = disk_inst, "0.9 x disk %s MB/s / %.1f MB mean instance" % (disk, mean / 1e6)
        add("C-STORE %d assoc >= min(2x Orthanc, 0.9 x disk)" % ph.get("associations", 4), sp >= goal,
            "Systole %.1f inst/s (%.0f MB/s) vs goal %.1f inst/s (%s); Orthanc %.1f inst/s (%.0f MB/s): %.2fx; "
            "disk fdatasync %s MB/s; server CPU/inst %s vs %s ms" % (
                sp, metric(s, "ingest.parallel.mb_per_s") or 0, goal, why, op,
                metric(o, "ingest.parallel.mb_per_s") or 0, sp / op, disk,
                metric(s, "ingest.parallel.server_cpu_ms_per_instance"),
                metric(o, "ingest.parallel.server_cpu_ms_per_instance")))
    else:
        add("C-STORE 4 assoc", None, "missing ingest.parallel figures")

    # 3. C-FIND by PatientID in association (+ informative: all studies, date range)
    for key, target in (("study_by_patientid", 2.0), ("study_all", None), ("study_by_date_range", None)):
        of = metric(o, "cfind.%s.in_association_ms" % key)
        sf = metric(s, "cfind.%s.in_association_ms" % key)
        name = "C-FIND %s in association" % key + (" >= 2x faster" if target else " (info)")
        if of is None or sf is None:
            add(name, None, "missing")
            continue
        speed = of / sf if sf > 0 else float("inf")
        add(name, (speed >= target) if target else None,
            "Systole %.3f ms vs Orthanc %.3f ms: **%.2fx** faster; per process %s vs %s ms" % (
                sf, of, speed, metric(s, "cfind.%s.per_process_ms" % key), metric(o, "cfind.%s.per_process_ms" % key)))

    errs_o, errs_s = len(o.get("errors", [])), len(s.get("errors", []))
    lines += ["| target | verdict | figures |", "|---|---|---|"] + rows
    lines += ["", "harness errors: Orthanc %d, Systole %d%s" % (
        errs_o, errs_s, "" if not errs_s else " (Systole: " + "; ".join(
            "%s: %s" % (e["step"], e["msg"].splitlines()[0][:160]) for e in s["errors"][:6]) + ")"),
        "verify: Orthanc %s, Systole %s" % (o.get("steps", {}).get("verify", {}).get("ok"),
                                            s.get("steps", {}).get("verify", {}).get("ok")), ""]
    txt = "\n".join(lines) + "\n"
    print(txt)
    if a.md:
        with open(a.md, "w") as f:
            f.write(txt)


if __name__ == "__main__":
    main()
