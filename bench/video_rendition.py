#!/usr/bin/env python3
"""Video rendition of the harness's cine target (Systole only; Orthanc has none).

  bench/video_rendition.py DICOMWEB_BASE RESULTS.json OUT.json [--warm 5]

Finds the cine target of the harness run (results.json targets.cine.sop_uid; its study and
series through QIDO `/instances?SOPInstanceUID=...&includefield=all`, falling back to the
harness's targets.study_uid / series_uid), then times `GET .../instances/{sop}/rendered` with
`Accept: video/mp4` with curl: the first request (cold: nothing cached for that rendition) and
the median of --warm more. Records the MP4's size, content type, and ffprobe's codec and frame
count (decoded: -count_frames), next to the loop's frame count and fps.
Run right after the harness, while the server still holds the data. Exit status 0 always.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import urllib.parse
import urllib.request

CURL_W = "%{http_code} %{time_connect} %{time_starttransfer} %{time_total} %{size_download} %{content_type}\n"


def curl(url, accept, out, timeout):
    r = subprocess.run(["curl", "-s", "-S", "-o", out, "-w", CURL_W, "--max-time", str(timeout),
                        "-H", "Accept: " + accept, url], capture_output=True, text=True, timeout=timeout + 10)
    parts = (r.stdout.strip().splitlines() or [""])[-1].split(" ", 5)
    if len(parts) < 5:
        return {"status": 0, "error": r.stderr.strip()[:300]}
    return {"status": int(parts[0]), "ttfb_ms": round(float(parts[2]) * 1000, 2),
            "total_ms": round(float(parts[3]) * 1000, 2), "bytes": int(float(parts[4])),
            "content_type": parts[5] if len(parts) > 5 else ""}


def ffprobe(path):
    try:
        r = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                            "stream=codec_name,profile,width,height,nb_read_frames,nb_frames,r_frame_rate,avg_frame_rate"
                            ":format=duration,format_name", "-of", "json", path],
                           capture_output=True, text=True, timeout=120)
        j = json.loads(r.stdout or "{}")
        s = (j.get("streams") or [{}])[0]
        f = j.get("format") or {}
        return {"codec": s.get("codec_name"), "profile": s.get("profile"), "width": s.get("width"),
                "height": s.get("height"),
                "frames_decoded": int(s["nb_read_frames"]) if s.get("nb_read_frames", "N/A") != "N/A" else None,
                "frames_header": int(s["nb_frames"]) if s.get("nb_frames", "N/A") != "N/A" else None,
                "frame_rate": s.get("avg_frame_rate") or s.get("r_frame_rate"),
                "duration_s": float(f["duration"]) if f.get("duration") else None,
                "format": f.get("format_name"), "stderr": r.stderr.strip()[:300]}
    except Exception as e:  # noqa
        return {"error": str(e)[:300]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("results")
    ap.add_argument("out")
    ap.add_argument("--warm", type=int, default=5)
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    base = a.base.rstrip("/")
    out = {"errors": []}
    try:
        res = json.load(open(a.results))
        t = res["targets"]
        cine = t["cine"]
    except Exception as e:  # noqa
        out["errors"].append("no cine target in %s: %s" % (a.results, e))
        json.dump(out, open(a.out, "w"), indent=1)
        print(json.dumps(out))
        return
    sop = cine["sop_uid"]
    study, series = t.get("study_uid"), t.get("series_uid")
    # locate the instance through QIDO (the harness's target study/series as a fallback)
    try:
        q = base + "/instances?" + urllib.parse.urlencode({"SOPInstanceUID": sop, "includefield": "all"})
        with urllib.request.urlopen(urllib.request.Request(q, headers={"Accept": "application/dicom+json"}),
                                    timeout=30) as r:
            rows = json.load(r)
        if rows:
            study = rows[0]["0020000D"]["Value"][0]
            series = rows[0]["0020000E"]["Value"][0]
            out["located_by"] = "qido"
            fr = rows[0].get("00280008", {}).get("Value")
            if fr:
                out["number_of_frames_qido"] = int(fr[0])
        else:
            out["errors"].append("QIDO found no instance %s" % sop)
    except Exception as e:  # noqa
        out["errors"].append("QIDO lookup failed: %s" % str(e)[:200])
    out.setdefault("located_by", "harness targets")
    url = base + "/studies/%s/series/%s/instances/%s/rendered" % (study, series, sop)
    out.update({"url_path": url[len(base):], "sop_uid": sop, "loop": cine})
    tmp = tempfile.mkdtemp(prefix="video.", dir=os.path.dirname(os.path.abspath(a.out)))
    mp4 = os.path.join(tmp, "cine.mp4")
    cold = curl(url, "video/mp4", mp4, a.timeout)
    out["cold"] = cold
    if cold.get("status") == 200:
        out["mp4_bytes"] = cold["bytes"]
        out["content_type"] = cold["content_type"]
        out["ffprobe"] = ffprobe(mp4)
        warm = []
        for _ in range(a.warm):
            c = curl(url, "video/mp4", os.devnull, a.timeout)
            if c.get("status") != 200:
                out["errors"].append("warm request HTTP %s" % c.get("status"))
                break
            warm.append(c)
        if warm:
            tt = [c["total_ms"] for c in warm]
            out["warm"] = {"n": len(tt), "median_ms": round(statistics.median(tt), 2), "min_ms": min(tt),
                           "max_ms": max(tt),
                           "ttfb_median_ms": round(statistics.median(c["ttfb_ms"] for c in warm), 2),
                           "all_ms": tt}
        fp = out["ffprobe"]
        if fp.get("frames_decoded") is not None and fp["frames_decoded"] != cine.get("frames"):
            out["errors"].append("MP4 has %s frames, the loop %s" % (fp["frames_decoded"], cine.get("frames")))
    else:
        out["errors"].append("video rendition: HTTP %s %s" % (cold.get("status"), cold.get("error", "")))
    try:
        os.remove(mp4)
    except OSError:
        pass
    os.rmdir(tmp)
    json.dump(out, open(a.out, "w"), indent=1)
    print("video rendition: cold %s ms, warm median %s ms, %s bytes, %s frames (%s), errors %d" % (
        out.get("cold", {}).get("total_ms"), out.get("warm", {}).get("median_ms"), out.get("mp4_bytes"),
        out.get("ffprobe", {}).get("frames_decoded"), out.get("ffprobe", {}).get("codec"), len(out["errors"])))


if __name__ == "__main__":
    main()
