#!/usr/bin/env bash
# Viewer benchmark: Systole's viewer beside OHIF 3.13.2 (over Orthanc's DICOMweb),
# same loops, same headless Debian Chromium, same outside probe. Called by
# `make bench` after the DICOMweb bench; runnable alone. See bench/viewer/README.md.
#
# Environment:
#   BENCH_DIR     work directory outside the repo (default /var/tmp/systole-bench);
#                 the generated loop and OHIF's package are kept in $BENCH_DIR/viewer
#   VIEWER_RES    results directory (default $BENCH_DIR/results-<date>/viewer)
#   SYSTOLE_BIN   the binary (default build/systole)
#   LOOPS         "synthetic real" (default): the 87-frame 975x743 loop of the issue's
#                 anchor, and a real echo loop from ../shared/testdata
#   VIEWPORTS     "1400x900 800x500" (default)
#   VIEWERS       "systole ohif" (default)
#   STEADY_S      steady playback window per run (default 12 s)
#   OPENS         more opens per run, each in a fresh browser, for the start-up figures alone
#                 (default 5; the table gives their median and range, the targets use the median)
#   QUAD          1 (default): also the stress-echo quad in Systole (quad.mjs: four 975x743
#                 loops, REST/LOW/PEAK/RECOVERY of one view, G = 2x2 synchronized, 1400x900)
#   TRACE=1       also trace the steady window (devtools.timeline; busy ms/s per thread
#                 kind in the run's JSON "profile"): for profiling, it disturbs the figures
#   TESTDATA      ../shared/testdata
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/var/tmp/systole-bench}"
VB="$BENCH_DIR/viewer"
RES="${VIEWER_RES:-$BENCH_DIR/results-$(date +%Y-%m-%d-%H%M%S)/viewer}"
SYSTOLE_BIN="${SYSTOLE_BIN:-$REPO/build/systole}"
TESTDATA="${TESTDATA:-$(cd "$REPO/../shared/testdata" && pwd)}"
LOOPS="${LOOPS:-synthetic real}"
VIEWPORTS="${VIEWPORTS:-1400x900 800x500}"
VIEWERS="${VIEWERS:-systole ohif}"
STEADY_S="${STEADY_S:-12}"
OPENS="${OPENS:-5}"
OHIF_VERSION=3.13.2
REAL_LOOP="$TESTDATA/dicom/cine/orthanc__Issue16.dcm"
PY=/usr/bin/python3

for t in storescu Orthanc node npm curl /usr/bin/chromium ffmpeg; do
  command -v "$t" >/dev/null || { echo "missing $t (scripts/bootstrap.sh --bench)" >&2; exit 2; }
done
[[ " $VIEWERS " != *" systole "* || -x "$SYSTOLE_BIN" ]] || { echo "$SYSTOLE_BIN missing: run make build" >&2; exit 2; }
[[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]] || { echo "orthanc-dicomweb missing" >&2; exit 2; }
mkdir -p "$VB" "$RES"
log() { echo "[$(date +%H:%M:%S)] viewer bench: $*"; }

# --- inputs: the loops, OHIF's prebuilt package, playwright-core ---------------
if [[ ! -f "$VB/loop87.dcm" ]]; then
  log "generating the 87-frame 975x743 JPEG loop"
  "$PY" "$HERE/gen_loop.py" --out "$VB/loop87.dcm.tmp" && mv "$VB/loop87.dcm.tmp" "$VB/loop87.dcm"
fi
QUAD="${QUAD:-1}"
QUAD_FILES=()
if [[ "$QUAD" == 1 && " $VIEWERS " == *" systole "* ]]; then
  n=0
  for stage in REST:1 LOW:2 PEAK:3 RECOVERY:4; do
    n=$((n + 1)); f="$VB/quad$n.dcm"; QUAD_FILES+=("$f")
    [[ -f "$f" ]] && continue
    log "generating stress quad loop $n ($stage)"
    "$PY" "$HERE/gen_loop.py" --out "$f.tmp" --seed $((40 + n)) --study-seed 40 --series-number "$n" --stage "$stage" --view A4C >/dev/null
    mv "$f.tmp" "$f"
  done
fi
OHIF_DIST="$VB/ohif-$OHIF_VERSION/package/dist"
if [[ ! -f "$OHIF_DIST/index.html" ]]; then
  log "fetching @ohif/app@$OHIF_VERSION (npm pack: its prebuilt dist/)"
  mkdir -p "$VB/ohif-$OHIF_VERSION"
  (cd "$VB/ohif-$OHIF_VERSION" && npm pack --silent "@ohif/app@$OHIF_VERSION" >/dev/null && tar xzf "ohif-app-$OHIF_VERSION.tgz")
fi
if [[ ! -d "$HERE/node_modules/playwright-core" ]]; then
  (cd "$HERE" && npm install --no-save --no-audit --no-fund --loglevel=error)
fi

node --test "$HERE/analyse.test.mjs" >/dev/null 2>&1 || { echo "bench/viewer/analyse.test.mjs fails" >&2; exit 2; }

loop_file() { case "$1" in synthetic) echo "$VB/loop87.dcm" ;; real) echo "$REAL_LOOP" ;; esac; }
# study UID, frames, frame time (FrameTime, else 1000 / CineRate)
loop_facts() {
  "$PY" - "$1" <<'EOF'
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1], stop_before_pixels=True)
ft = float(ds.get("FrameTime", 0) or 0) or 1000.0 / float(ds.get("CineRate", 30))
print(ds.StudyInstanceUID, int(ds.NumberOfFrames), "%g" % ft, "%dx%d" % (ds.Columns, ds.Rows),
      str(ds.file_meta.TransferSyntaxUID), ds.SeriesInstanceUID, ds.SOPInstanceUID)
EOF
}
declare -A STUDY FRAMES FT SERIES SOP
{
  echo "{"
  first=1
  for L in $LOOPS; do
    read -r STUDY[$L] FRAMES[$L] FT[$L] size ts SERIES[$L] SOP[$L] <<<"$(loop_facts "$(loop_file "$L")")"
    ((first)) || echo ","
    first=0
    printf '"%s": {"file": "%s", "study": "%s", "frames": %s, "frameTimeMs": %s, "size": "%s", "transferSyntax": "%s"}' \
      "$L" "$(loop_file "$L")" "${STUDY[$L]}" "${FRAMES[$L]}" "${FT[$L]}" "$size" "$ts"
  done
  echo "}"
} >"$RES/loops.json"

PIDS=()
WORK="$(mktemp -d "$BENCH_DIR/viewerbench.XXXXXX")"
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
wait_for_line() {  # file regex timeout_s -> first match of group 1
  local f=$1 re=$2 n=$(( $3 * 10 ))
  for _ in $(seq 1 "$n"); do
    local m; m="$(sed -n -E "s/.*$re.*/\1/p" "$f" 2>/dev/null | head -1)"
    [[ -n "$m" ]] && { echo "$m"; return 0; }
    sleep 0.1
  done
  return 1
}
store() {  # port aet files...
  local port=$1 aet=$2; shift 2
  storescu -xy -aec "$aet" 127.0.0.1 "$port" "$@"
}
measure() {  # viewer loop viewport url [measure.mjs options...]
  local v=$1 L=$2 vp=$3 url=$4 name="$1_$2_$3" tr=()
  shift 4
  [[ "${TRACE:-0}" == 1 ]] && tr=(--trace "$RES/$name.trace.json")
  log "$v, $L loop, $vp (load $(cut -d' ' -f1-3 /proc/loadavg))"
  node "$HERE/measure.mjs" --viewer "$v" --url "$url" --frames "${FRAMES[$L]}" --frame-time "${FT[$L]}" \
    --viewport "$vp" --steady-s "$STEADY_S" --timeout-s 180 --opens "$OPENS" --out "$RES/$name.json" --shot "$RES/$name.png" \
    "${tr[@]}" "$@" \
    || log "$name failed (see $RES/$name.json)"
}
files=()
for L in $LOOPS; do files+=("$(loop_file "$L")"); done

# --- Systole: systole serve on an empty data dir, loops stored by storescu ------
if [[ " $VIEWERS " == *" systole "* ]]; then
  mkdir -p "$WORK/systole"
  # As shipped: the loopback demo user signed in, every request authorised and audited (Orthanc runs
  # without authentication here, so this side carries the extra work).
  "$SYSTOLE_BIN" serve --data "$WORK/systole" --dicom-port 0 --http-port 0 --hl7-port 0 >"$RES/systole.log" 2>&1 &
  PIDS+=($!)
  SPORT="$(wait_for_line "$RES/systole.log" 'http_port=([0-9]+)' 30)" || { log "systole did not start"; exit 1; }
  DPORT="$(wait_for_line "$RES/systole.log" 'dicom_port=([0-9]+)' 1)"
  store "$DPORT" SYSTOLE "${files[@]}"
  for L in $LOOPS; do for vp in $VIEWPORTS; do
    measure systole "$L" "$vp" "http://127.0.0.1:$SPORT/viewer/${STUDY[$L]}"
    # The floor of this machine: a bare page with the loop's first rendered frame as an <img> and
    # one fetch of all its rendered frames, from the same server (measure.mjs --viewer floor).
    instance="http://127.0.0.1:$SPORT/dicomweb/studies/${STUDY[$L]}/series/${SERIES[$L]}/instances/${SOP[$L]}"
    measure floor "$L" "$vp" "http://127.0.0.1:$SPORT/bench-floor.html" --floor-instance "$instance"
  done; done
  if ((${#QUAD_FILES[@]})); then
    store "$DPORT" SYSTOLE "${QUAD_FILES[@]}"
    quad_study="$(loop_facts "${QUAD_FILES[0]}" | cut -d" " -f1)"
    log "systole, stress quad, 1400x900 (load $(cut -d' ' -f1-3 /proc/loadavg))"
    node "$HERE/quad.mjs" --url "http://127.0.0.1:$SPORT/viewer/$quad_study" --out "$RES/quad-1400x900.json" \
      --shot "$RES/quad-1400x900.png" || log "quad failed (see $RES/quad-1400x900.json)"
  fi
  kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
fi

# --- OHIF over Orthanc's DICOMweb --------------------------------------------
if [[ " $VIEWERS " == *" ohif "* ]]; then
  mkdir -p "$WORK/orthanc"
  OHTTP="${ORTHANC_HTTP_PORT:-18142}"; ODICOM="${ORTHANC_DICOM_PORT:-14342}"
  cat >"$WORK/orthanc.json" <<EOF
{ "Name": "VIEWERBENCH", "StorageDirectory": "$WORK/orthanc", "IndexDirectory": "$WORK/orthanc",
  "Plugins": [ "/usr/share/orthanc/plugins/libOrthancDicomWeb.so" ],
  "HttpPort": $OHTTP, "DicomPort": $ODICOM, "RemoteAccessAllowed": false, "AuthenticationEnabled": false,
  "DicomAlwaysAllowStore": true, "KeepAlive": true, "TcpNoDelay": true, "HttpThreadsCount": 50,
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true, "WadoRoot": "/wado", "Ssl": false } }
EOF
  Orthanc "$WORK/orthanc.json" >"$RES/orthanc.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$OHTTP/system" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$OHTTP/system" >"$RES/orthanc_system.json" || { log "Orthanc did not start"; exit 1; }
  store "$ODICOM" ORTHANC "${files[@]}"
  node "$HERE/ohif_server.mjs" "$OHIF_DIST" "$OHTTP" 0 >"$RES/ohif_server.log" 2>&1 &
  PIDS+=($!)
  OPORT="$(wait_for_line "$RES/ohif_server.log" 'listening on ([0-9]+)' 10)" || { log "OHIF server did not start"; exit 1; }
  for L in $LOOPS; do for vp in $VIEWPORTS; do
    measure ohif "$L" "$vp" "http://127.0.0.1:$OPORT/viewer?StudyInstanceUIDs=${STUDY[$L]}"
  done; done
fi

"$PY" "$HERE/report.py" "$RES" --md "$RES/viewer.md" --json "$RES/viewer.json"
log "results in $RES (viewer.md, viewer.json, one JSON + screenshot per run)"
