#!/usr/bin/python3
"""Viewer bench report: the runs of bench/viewer/run.sh side by side (Systole
vs OHIF per loop and viewport), ratios, and the issue's targets PASS/FAIL.

Usage: report.py RESULTS_DIR [--md FILE] [--json FILE]
RESULTS_DIR holds loops.json and <viewer>_<loop>_<WxH>.json (measure.mjs).
"""
import argparse
import glob
import json
import os
import sys

# Issue 4, "make bench": OHIF 3.13.2 over Orthanc, 87-frame 975x743 loop, 1400x900.
OHIF_REFERENCE = "first image 6.1 s, every frame shown once 18 s, steady 16.7 fps (58 % of real time), rAF ~21/s; 800x500: 29.4 fps"
TARGETS = {"first_frame_ms": 300, "loop_playable_ms": 1000}


def load_runs(res):
    runs = {}
    for path in glob.glob(os.path.join(res, "*_*_*x*[0-9].json")):
        viewer, loop, viewport = os.path.basename(path)[:-5].split("_", 2)
        with open(path) as f:
            runs[(viewer, loop, viewport)] = json.load(f)
    return runs


def playable_ms(run):
    """When the loop could play through: Systole's own loopReadyMs (every frame
    decoded); for a viewer without counters, when every frame had been shown once."""
    stats = run.get("systoleStats") or {}
    if stats.get("loopReadyMs") is not None:
        return stats["loopReadyMs"]
    return run.get("allFramesShownMs")


def per_frame(run, key):
    v = (run.get("profile") or {}).get(key)
    fps = run.get("presentedFps")
    return v / fps if v is not None and fps else None


def fmt(v, unit="", digits=0):
    if v is None:
        return "-"
    return ("%.*f%s" % (digits, v, unit)).strip()


def opens(run, key):
    """A start-up figure over every open of the run (measure.mjs --opens): its values."""
    values = ((run.get("opens") or {}).get(key)) or []
    return sorted(v for v in values if isinstance(v, (int, float)))


def median_of(run, key):
    values = opens(run, key)
    return values[len(values) // 2] if values else None


def spread(run, key):
    """'median (min-max, n opens)' of a start-up figure, or None without repeated opens."""
    values = opens(run, key)
    if len(values) < 2:
        return None
    return "%s (%.0f-%.0f, %d opens)" % (fmt(median_of(run, key), " ms"), values[0], values[-1], len(values))


ROWS = [
    # label, getter, unit, digits, better ("low" | "high" | None)
    ("first frame painted, median of every open (range)", lambda r: spread(r, "firstFrameMs"), "", 0, None),
    ("loop playable (Systole: loopReadyMs), median of every open (range)", lambda r: spread(r, "playableMs"), "", 0, None),
    ("first frame painted (probe)", lambda r: r.get("firstFrameMs"), " ms", 0, "low"),
    ("first frame painted (__systoleStats)", lambda r: (r.get("systoleStats") or {}).get("firstFramePaintedMs"), " ms", 0, "low"),
    ("Systole start: viewer app running (viewerOpenedMs)", lambda r: (r.get("systoleStats") or {}).get("viewerOpenedMs"), " ms", 0, "low"),
    ("Systole start: metadata in the app (mark)", lambda r: (r.get("marks") or {}).get("systole:metadata"), " ms", 0, "low"),
    ("Systole start: first frame decoded (mark)", lambda r: (r.get("marks") or {}).get("systole:first-frame-decoded"), " ms", 0, "low"),
    ("pixel data loaded (network, last frame)", lambda r: r.get("pixelDataLoadedMs"), " ms", 0, "low"),
    ("loop playable (Systole: loopReadyMs; OHIF: all shown once)", playable_ms, " ms", 0, "low"),
    ("every frame shown once (probe)", lambda r: r.get("allFramesShownMs"), " ms", 0, "low"),
    ("steady: presented frames/s (probe)", lambda r: r.get("presentedFps"), " fps", 1, "high"),
    ("steady: presented frames/s (__systoleStats)", lambda r: (r.get("systoleStats") or {}).get("windowPresentedFps"), " fps", 1, "high"),
    ("steady: speed vs acquired (1.00 = real time)", lambda r: r.get("speed"), "", 2, "high"),
    ("steady: distinct frames per loop cycle", lambda r: r.get("framesPerCycle"), "", 0, None),
    ("steady: dropped frames in window (probe)", lambda r: r.get("droppedInWindow"), "", 0, "low"),
    ("steady: dropped frames in window (__systoleStats)", lambda r: (r.get("systoleStats") or {}).get("windowFramesDropped"), "", 0, "low"),
    ("steady: longest picture hold", lambda r: r.get("maxGapMs"), " ms", 0, "low"),
    ("steady: page rAF rate", lambda r: r.get("rafPerS"), " /s", 1, "high"),
    ("steady: long animation frames (> 50 ms)", lambda r: r.get("longFramesPerS"), " /s", 1, "low"),
    ("steady: main thread in long frames", lambda r: r.get("longFrameMsPerS"), " ms/s", 0, "low"),
    ("profile (TRACE=1): main thread CPU", lambda r: (r.get("profile") or {}).get("mainBusyMsPerS"), " ms/s", 0, "low"),
    ("profile (TRACE=1): main thread busy, wall (incl. waits for the GPU process)", lambda r: (r.get("profile") or {}).get("mainWallMsPerS"), " ms/s", 0, "low"),
    ("profile (TRACE=1): main thread CPU per presented frame", lambda r: per_frame(r, "mainBusyMsPerS"), " ms", 1, "low"),
    ("profile (TRACE=1): compositor thread CPU", lambda r: (r.get("profile") or {}).get("compositorBusyMsPerS"), " ms/s", 0, "low"),
    ("profile (TRACE=1): workers CPU", lambda r: (r.get("profile") or {}).get("workersBusyMsPerS"), " ms/s", 0, None),
    ("profile (TRACE=1): GPU process CPU", lambda r: (r.get("profile") or {}).get("gpu_processBusyMsPerS"), " ms/s", 0, "low"),
    ("steady window", lambda r: r.get("windowMs"), " ms", 0, None),
    ("load average at start", lambda r: r.get("loadavgAtStart"), "", 0, None),
]


# The bare page's figures (measure.mjs --viewer floor), on the rows they answer.
FLOOR_ROWS = {
    "first frame painted, median of every open (range)": lambda r: spread(r, "firstFrameMs"),
    "loop playable (Systole: loopReadyMs), median of every open (range)": lambda r: spread(r, "playableMs"),
    "first frame painted (probe)": lambda r: r.get("firstFrameMs"),
    "pixel data loaded (network, last frame)": lambda r: r.get("pixelDataLoadedMs"),
}


def cell(run, getter, unit, digits):
    if run is None:
        return "-"
    if run.get("error"):
        return "error"
    v = getter(run)
    return v if isinstance(v, str) else fmt(v, unit, digits)


def ratio(s, o, getter, better):
    if not s or not o or better is None or s.get("error") or o.get("error"):
        return ""
    a, b = getter(s), getter(o)
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or a <= 0 or b <= 0:
        return ""
    return "%.1fx" % (b / a if better == "low" else a / b)


def verdict(run, acquired_fps, floor=None):
    """The issue's targets for Systole (1400x900), with the bare page's floor when measured."""
    out = []

    # With repeated opens (measure.mjs --opens) the start-up targets go by the median open.
    ff = median_of(run, "firstFrameMs") if opens(run, "firstFrameMs") else run.get("firstFrameMs")
    pm = median_of(run, "playableMs") if opens(run, "playableMs") else playable_ms(run)
    floor_ff = floor and (median_of(floor, "firstFrameMs") or floor.get("firstFrameMs"))
    floor_pm = floor and (median_of(floor, "playableMs") or floor.get("pixelDataLoadedMs"))

    def with_floor(value, key, what, floor_value):
        text = spread(run, key) or fmt(value, " ms")
        return text if not floor or floor.get("error") else "%s (bare page, %s: %s)" % (text, what, fmt(floor_value, " ms"))

    out.append(("first frame < 300 ms", ff is not None and ff < TARGETS["first_frame_ms"],
                with_floor(ff, "firstFrameMs", "the frame as an <img>", floor_ff)))
    out.append(("full loop playable < 1 s", pm is not None and pm < TARGETS["loop_playable_ms"],
                with_floor(pm, "playableMs", "every frame's bytes in", floor_pm)))
    speed = run.get("speed")
    stats = run.get("systoleStats") or {}
    dropped = run.get("droppedInWindow")
    own = stats.get("windowFramesDropped")
    ok = speed is not None and speed >= 0.97 and dropped == 0 and (own in (0, None))
    out.append(("real-time playback, zero dropped frames", ok,
                "speed %s, %s fps presented of %.1f acquired, dropped %s (probe) / %s (own counters)"
                % (fmt(speed, "", 2), fmt(run.get("presentedFps"), "", 1), acquired_fps, fmt(dropped), fmt(own))))
    return out


def quad_lines(res):
    """The stress-echo quad (quad.mjs), Systole only, when run.sh ran it."""
    path = os.path.join(res, "quad-1400x900.json")
    if not os.path.exists(path):
        return [], None
    with open(path) as f:
        q = json.load(f)
    lines = ["## Stress-echo quad in Systole: four 975x743 loops of 87 frames, one view across four stages, "
             "G (2x2, synchronized), viewport 1400x900", ""]
    if q.get("error"):
        return lines + ["failed: %s" % q["error"].splitlines()[0], ""], q
    steady = q["steady"]
    lines.append("- all four playable %s after G (each loop: first frame / playable %s ms from navigation; decoded %s)"
                 % (fmt(q["allReadyAfterQuadMs"], " ms"),
                    ", ".join("%s / %s" % (fmt(c["firstFramePaintedMs"]), fmt(c["loopReadyMs"])) for c in q["cells"]),
                    " ".join(q.get("decodedSizes", []))))
    lines.append("- then %.0f s in step: speed %s of the rate in step, dropped %s, repeated (the clock waited) %s"
                 % (q["steadySeconds"], " ".join("%.2f" % x["speed"] for x in steady),
                    " ".join(str(x["dropped"]) for x in steady), " ".join(str(x["repeated"]) for x in steady)))
    lines.append("")
    return lines, q


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("res")
    ap.add_argument("--md")
    ap.add_argument("--json")
    a = ap.parse_args()
    with open(os.path.join(a.res, "loops.json")) as f:
        loops = json.load(f)
    runs = load_runs(a.res)
    lines = ["# Viewer bench: Systole vs OHIF %s (over Orthanc DICOMweb)" % "3.13.2", ""]
    some = next(iter(runs.values()), {})
    lines.append("Headless Debian Chromium %s (%s), same outside probe for both viewers (bench/viewer/README.md)."
                 % (some.get("chromium", "?"), " ".join(some.get("flags", []))))
    lines.append("Issue 4's OHIF reference on this setup: %s." % OHIF_REFERENCE)
    lines.append("")
    verdicts = {}
    viewports = sorted({k[2] for k in runs}, key=lambda v: -int(v.split("x")[0]))
    for loop, facts in loops.items():
        fps = 1000.0 / facts["frameTimeMs"]
        for vp in viewports:
            s, o = runs.get(("systole", loop, vp)), runs.get(("ohif", loop, vp))
            fl = runs.get(("floor", loop, vp))
            if s is None and o is None:
                continue
            lines.append("## %s loop: %d frames %s, %s, %.1f fps acquired; viewport %s"
                         % (loop, facts["frames"], facts["size"], os.path.basename(facts["file"]), fps, vp))
            lines.append("")
            lines.append("| measure | Systole | OHIF | Systole advantage | bare page (floor) |")
            lines.append("|---|---:|---:|---:|---:|")
            for label, getter, unit, digits, better in ROWS:
                if label.startswith("profile") and all(r is None or r.get("error") or getter(r) is None for r in (s, o)):
                    continue
                floor = cell(fl, FLOOR_ROWS[label], unit, digits) if label in FLOOR_ROWS and fl else ""
                lines.append("| %s | %s | %s | %s | %s |" % (label, cell(s, getter, unit, digits), cell(o, getter, unit, digits),
                                                            ratio(s, o, getter, better), floor))
            for who, r in (("Systole", s), ("OHIF", o), ("bare page", fl)):
                if r and (r.get("error") or r.get("notes")):
                    lines.append("")
                    lines.append("%s notes: %s" % (who, "; ".join(r.get("notes", []) + ([r["error"].splitlines()[0]] if r.get("error") else []))))
            lines.append("")
            if s and not s.get("error") and vp == "1400x900":
                v = verdict(s, fps, fl)
                verdicts["%s_%s" % (loop, vp)] = [{"target": t, "pass": p, "value": val} for t, p, val in v]
                lines.append("Targets (Systole, %s loop, %s):" % (loop, vp))
                lines.append("")
                for t, p, val in v:
                    lines.append("- %s %s: %s" % ("PASS" if p else "FAIL", t, val))
                lines.append("")
    quad = quad_lines(a.res)
    lines += quad[0]
    text = "\n".join(lines)
    print(text)
    if a.md:
        with open(a.md, "w") as f:
            f.write(text + "\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"loops": loops, "runs": {"_".join(k): v for k, v in runs.items()}, "verdicts": verdicts,
                       "ohif_reference": OHIF_REFERENCE, "quad": quad[1]}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
