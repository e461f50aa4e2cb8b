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
DICOMweb / cine targets (issue "DICOMweb and cine delivery"), when the runs have them:
  4. QIDO-RS study searches (by PatientID, date range, name wildcard, all): the issue gives
     no number; PASS = faster than Orthanc (ratio shown). Fresh connection per request.
  5. WADO-RS time to first frame: warm (retrieve.wadors_frame1_ms) < 5 ms; never-touched
     loop (retrieve.wadors_first_frame_cold_ms) < 20 ms.
  6. frames one by one on one keep-alive connection: fps >= max(5x Orthanc, 300).
  7. all frames of a 100-frame 640x480 loop in one request < 60 ms (other loop lengths:
     the goal is scaled per frame, 0.6 ms/frame, and the line says so).
  8. study metadata of a 50-instance study < 30 ms (other study sizes: scaled per
     instance, 0.6 ms/instance, and the line says so).
  9. a rendered frame (frames/1/rendered, JPEG) < 5 ms.
 10. whole-instance WADO-RS MB/s >= 0.5 x loopback TCP (physical_limits.sh, iperf3 one
     stream): bound by the wire, not by the server's CPU.
 11. video rendition (Systole only, video.json next to Systole's results.json): cold and
     warm time, next to Orthanc's time to deliver every frame of the same loop (info).
Exit status 0 always (the verdict is in the text); 'FAIL' lines are greppable.
"""
import argparse
import json
import os
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


def fmt(v, unit="ms"):
    return "n/a" if v is None else ("%.3g %s" % (v, unit) if v < 10 else "%.1f %s" % (v, unit))


def dicomweb_rows(o, s, systole_paths, phys, add):
    """PASS/FAIL lines of the DICOMweb / cine targets (nothing if neither run has DICOMweb figures)."""
    if not any(k.startswith(("qido.", "retrieve.wadors")) for k in list(o["metrics"]) + list(s["metrics"])):
        return
    t = s.get("targets") or o.get("targets") or {}
    cine = t.get("cine") or {}
    nf = cine.get("frames") or 0
    loop = "%s-frame %sx%s %s loop, %.1f MB" % (nf, cine.get("cols"), cine.get("rows"),
                                               "RGB" if cine.get("spp") == 3 else "gray",
                                               (cine.get("bytes") or 0) / 1e6) if cine else "cine loop"

    def lower(name, key, goal=None, goal_note="", info=""):
        """Systole ms vs Orthanc ms (lower is better); PASS if under goal (or faster than Orthanc if no goal)."""
        sv, ov = metric(s, key), metric(o, key)
        if sv is None:
            add(name, None, "not measured in this run" if ov is None else
                "missing %s (Systole); Orthanc %s" % (key, fmt(ov)))
            return
        speed = "%.2fx" % (ov / sv) if ov and sv > 0 else "n/a"
        ok = (sv < goal) if goal is not None else ((sv < ov) if ov else None)
        add(name, ok, "Systole **%s** vs Orthanc %s: **%s** faster%s%s" % (
            fmt(sv), fmt(ov), speed, "; goal < %s%s" % (fmt(goal), goal_note) if goal is not None else "",
            "; " + info if info else ""))

    # 4. QIDO-RS study searches
    for q in ("studies_by_patientid", "studies_by_date_range", "studies_by_name_wildcard", "studies_all"):
        st = (s.get("steps", {}).get("qido", {}) or {}).get(q, {})
        lower("QIDO-RS %s (faster than Orthanc; no number in the issue)" % q, "qido.%s_ms" % q,
              info="%s results%s, curl time_total on a fresh connection" % (
                  st.get("expected"), "" if st.get("ok", True) else " (**wrong match count: %s**)" % st.get("matches")))
    # 5. time to first frame
    lower("WADO-RS first frame, warm < 5 ms", "retrieve.wadors_frame1_ms", 5.0,
          info="frame 1 of the %s, repeated requests, fresh connection each" % loop)
    cold_n = (s.get("steps", {}).get("retrieve", {}).get("wadors_first_frame_cold") or {}).get("instances")
    lower("WADO-RS first frame, never-touched loop < 20 ms", "retrieve.wadors_first_frame_cold_ms", 20.0,
          info="median over %s loops nobody asked for since ingest" % cold_n)
    # 6. frames one by one on one keep-alive connection
    sv, ov = metric(s, "retrieve.wadors_frames_sequential_keepalive_fps"), metric(
        o, "retrieve.wadors_frames_sequential_keepalive_fps")
    name = "frames one by one, 1 keep-alive connection >= max(5x Orthanc, 300) frames/s"
    if sv is None:
        add(name, None, "missing retrieve.wadors_frames_sequential_keepalive_fps")
    else:
        goal = max(5 * ov, 300.0) if ov else 300.0
        partial = "PARTIAL" in ((o["metrics"].get("retrieve.wadors_frames_sequential_keepalive_fps") or {}).get("note") or "")
        add(name, sv >= goal, "Systole **%.0f frames/s** (%.2f ms/frame) vs Orthanc %s frames/s (%s ms/frame): "
            "**%s**; goal %.0f frames/s%s; %s" % (
                sv, metric(s, "retrieve.wadors_frames_sequential_keepalive_per_frame_ms") or 0,
                "%.1f" % ov if ov else "n/a", metric(o, "retrieve.wadors_frames_sequential_keepalive_per_frame_ms"),
                "%.2fx" % (sv / ov) if ov else "n/a", goal,
                ("" if ov else " (**Orthanc figure missing**, see its errors: only the 300 floor is checked)")
                + (" (**Orthanc's pass timed out**: its rate is from the frames it delivered in --frames-timeout)"
                   if partial else ""), loop))
    # 7. all frames in one request: 60 ms for 100 frames
    if nf:
        scaled = nf != 100
        lower("all frames in one request, 100-frame loop < 60 ms%s" % (
            " (scaled: %d-frame loop here)" % nf if scaled else ""),
              "retrieve.wadors_all_frames_one_request_ms", 60.0 * nf / 100,
              " (60 ms x %d/100 frames, scaled per frame)" % nf if scaled else "",
              "%s; %s MB/s" % (loop, metric(s, "retrieve.wadors_all_frames_one_request_mb_per_s")))
    # 8. study metadata: 30 ms for a 50-instance study
    n = t.get("study_instances")
    if n:
        scaled = n != 50
        lower("study metadata, 50-instance study < 30 ms%s" % (
            " (scaled: this study has %d instances)" % n if scaled else ""),
              "retrieve.wadors_study_metadata_ms", 30.0 * n / 50,
              " (30 ms x %d/50 instances, scaled per instance)" % n if scaled else "",
              "%d instances, %d series; series metadata %s vs %s, instance metadata %s vs %s" % (
                  n, t.get("study_series") or 0, fmt(metric(s, "retrieve.wadors_series_metadata_ms")),
                  fmt(metric(o, "retrieve.wadors_series_metadata_ms")),
                  fmt(metric(s, "retrieve.wadors_instance_metadata_ms")),
                  fmt(metric(o, "retrieve.wadors_instance_metadata_ms"))))
    # 9. rendered frame
    lower("rendered frame (JPEG) < 5 ms", "retrieve.rendered_frame1_ms", 5.0,
          info="frames/1/rendered of the %s; PNG %s vs %s; whole-instance rendered %s vs %s" % (
              loop, fmt(metric(s, "retrieve.rendered_frame1_png_ms")), fmt(metric(o, "retrieve.rendered_frame1_png_ms")),
              fmt(metric(s, "retrieve.rendered_instance_ms")), fmt(metric(o, "retrieve.rendered_instance_ms"))))
    # 10. whole instance vs loopback bandwidth
    lo = phys.get("loopback_tcp_gbit_s")
    sv, ov = metric(s, "retrieve.wadors_cine_instance_mb_per_s"), metric(o, "retrieve.wadors_cine_instance_mb_per_s")
    name = "whole instance (WADO-RS) >= 0.5 x loopback TCP"
    if sv is None or not lo:
        add(name, None, "missing retrieve.wadors_cine_instance_mb_per_s or loopback figure (%s, %s)" % (sv, lo))
    else:
        wire = lo * 125.0
        add(name, sv >= 0.5 * wire, "Systole **%.0f MB/s** (%.0f %% of loopback %.0f MB/s = %.1f Gbit/s iperf3) vs "
            "Orthanc %s MB/s (%s %%): %s; %s, %s ms vs %s ms; whole study %s vs %s MB/s; distinct loops in parallel "
            "%s vs %s MB/s; WADO-URI %s vs %s MB/s" % (
                sv, 100 * sv / wire, wire, lo, ov, "%.0f" % (100 * ov / wire) if ov else "n/a",
                "%.2fx" % (sv / ov) if ov else "n/a", loop, metric(s, "retrieve.wadors_cine_instance_ms"),
                metric(o, "retrieve.wadors_cine_instance_ms"),
                metric(s, "retrieve.wadors_study_mb_per_s"), metric(o, "retrieve.wadors_study_mb_per_s"),
                metric(s, "retrieve.wadors_parallel_cines_mb_per_s"), metric(o, "retrieve.wadors_parallel_cines_mb_per_s"),
                metric(s, "retrieve.wado_uri_instance_mb_per_s"), metric(o, "retrieve.wado_uri_instance_mb_per_s")))
    # 11. video rendition (Systole only) vs Orthanc delivering every frame
    vpath = os.path.join(os.path.dirname(systole_paths.split(",")[0]), "video.json")
    name = "video rendition, Accept: video/mp4 (Systole only; info)"
    try:
        v = json.load(open(vpath))
    except (OSError, ValueError):
        v = None
    if not v:
        add(name, None, "no %s" % vpath)
        return
    o_all = metric(o, "retrieve.wadors_all_frames_one_request_ms")
    o_fps = metric(o, "retrieve.wadors_frames_sequential_keepalive_fps")
    o_partial = "PARTIAL" in ((o["metrics"].get("retrieve.wadors_frames_sequential_keepalive_fps") or {}).get("note") or "")
    fp = dict(v.get("ffprobe") or {})
    try:
        num, den = str(fp.get("frame_rate")).split("/")
        fp["frame_rate"] = "%.2f" % (float(num) / float(den))
    except (ValueError, ZeroDivisionError):
        pass
    cold, warm = (v.get("cold") or {}), (v.get("warm") or {})
    add(name, None if cold.get("status") == 200 else False,
        "Systole MP4 cold **%s**, warm median **%s** (%s bytes = %.2f MB, %s %s, %s frames decoded by ffprobe, %s fps, "
        "%s x %s) vs Orthanc every frame of the same loop: %s in one request, %s one by one on one keep-alive "
        "connection%s" % (
            fmt(cold.get("total_ms")), fmt(warm.get("median_ms")), v.get("mp4_bytes"), (v.get("mp4_bytes") or 0) / 1e6,
            fp.get("codec"), fp.get("profile") or "", fp.get("frames_decoded"), fp.get("frame_rate"),
            fp.get("width"), fp.get("height"), fmt(o_all),
            (fmt(nf / o_fps * 1000) + (" (extrapolated: its pass timed out)" if o_partial else ""))
            if o_fps and nf else "n/a",
            "; errors: " + "; ".join(v["errors"]) if v.get("errors") else ""))


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
            add(name, None, "not measured in this run (step cfind)")
            continue
        speed = of / sf if sf > 0 else float("inf")
        add(name, (speed >= target) if target else None,
            "Systole %.3f ms vs Orthanc %.3f ms: **%.2fx** faster; per process %s vs %s ms" % (
                sf, of, speed, metric(s, "cfind.%s.per_process_ms" % key), metric(o, "cfind.%s.per_process_ms" % key)))

    dicomweb_rows(o, s, a.systole, phys, add)

    errs_o, errs_s = len(o.get("errors", [])), len(s.get("errors", []))
    lines += ["| target | verdict | figures |", "|---|---|---|"] + rows
    lines += ["", "harness errors: Orthanc %d, Systole %d%s" % (
        errs_o, errs_s, "" if not errs_s else " (Systole: " + "; ".join(
            "%s: %s" % (e["step"], e["msg"].splitlines()[0][:160]) for e in s["errors"][:6]) + ")"),
        "verify: Orthanc %s, Systole %s" % (o.get("steps", {}).get("verify", {}).get("ok"),
                                            s.get("steps", {}).get("verify", {}).get("ok"))]
    if o.get("dicomweb_support") or s.get("dicomweb_support"):
        for name, r in (("Orthanc", o), ("Systole", s)):
            for e in r.get("errors", [])[:6]:
                lines.append("%s harness error: %s: %s" % (name, e.get("step"), str(e.get("msg")).splitlines()[0][:200]))
        lines.append("frame 1 bytes match the source: Orthanc %s, Systole %s" % (
            o.get("dicomweb_support", {}).get("frame1_bytes_match_source"),
            s.get("dicomweb_support", {}).get("frame1_bytes_match_source")))
    lines.append("")
    txt = "\n".join(lines) + "\n"
    print(txt)
    if a.md:
        with open(a.md, "w") as f:
            f.write(txt)


if __name__ == "__main__":
    main()
