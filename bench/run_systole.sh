#!/usr/bin/env bash
# Start a throw-away, EMPTY Systole on loopback, run the shared anchor harness
# against it, stop it with SIGTERM, delete its data. The Systole counterpart of
# ../shared/bench/run_orthanc_anchor.sh (same harness, same client environment).
#
#   bench/run_systole.sh WORKLOAD_DIR RESULTS_DIR [extra anchor_bench.sh args...]
#
# Like the Orthanc runner, the server and the clients run in a private network
# namespace (unshare --net, only lo): loopback only by construction (the
# dicom.bind setting is passed too). SYSTOLE_HOST_NET=1 skips the namespace.
#
# DICOMweb (/dicomweb) and WADO-URI (/wado) are served on SYSTOLE_HTTP_PORT
# (18080, loopback, --no-auth) and passed to the harness; SYSTOLE_DICOMWEB=0
# leaves them out. After the harness, bench/video_rendition.py times the video
# rendition (Accept: video/mp4) of the harness's cine target into
# RESULTS_DIR/video.json (SYSTOLE_VIDEO=0 skips it).
#
# Environment: SYSTOLE_BIN (build/systole), SYSTOLE_DATA_PARENT (where the data
# dir is created; default: the parent of RESULTS_DIR), MOVE_PORT (11113),
# SYSTOLE_DICOM_PORT (14242), ANCHOR_PREWARM=0 (skip prewarm_memory.py),
# KEEP_DATA=1 (keep the data dir), SYSTOLE_PERF=1 (perf record the server into
# RESULTS_DIR/perf.data), BENCH_SHARED (../shared/bench).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${BENCH_SHARED:-$(cd "$REPO/../shared/bench" && pwd)}"
[[ $# -ge 2 ]] || { sed -n '2,23p' "$0"; exit 2; }
WL="$(cd "$1" && pwd)"; shift
mkdir -p "$1"; RES="$(cd "$1" && pwd)"; shift

if [[ "${SYSTOLE_HOST_NET:-0}" != 1 && "${SYSTOLE_IN_NETNS:-0}" != 1 ]]; then
  exec env SYSTOLE_IN_NETNS=1 unshare --net -- bash "$0" "$WL" "$RES" "$@"
fi
if [[ "${SYSTOLE_IN_NETNS:-0}" == 1 ]]; then ip link set lo up; fi

BIN="${SYSTOLE_BIN:-$REPO/build/systole}"
[[ -x "$BIN" ]] || { echo "no Systole binary at $BIN (make build)" >&2; exit 2; }
PORT="${SYSTOLE_DICOM_PORT:-14242}"
HTTP="${SYSTOLE_HTTP_PORT:-18080}"
MOVE_PORT="${MOVE_PORT:-11113}"
PARENT="${SYSTOLE_DATA_PARENT:-$(dirname "$RES")}"
DATA="$(mktemp -d "$PARENT/systole-data.XXXXXX")"
SHA="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || SHA="$SHA+dirty"

PY=""
for c in python3 /usr/bin/python3; do
  command -v "$c" >/dev/null 2>&1 && "$c" -c 'import numpy' >/dev/null 2>&1 && { PY="$c"; break; }
done
if [[ "${ANCHOR_PREWARM:-1}" == 1 && -n "$PY" ]]; then
  timeout 300 "$PY" "$SHARED/prewarm_memory.py" || true
fi

# The server's environment: nothing special (it sets TCP_NODELAY itself).
env -u TCP_NODELAY SYSTOLE_DICOM_BIND=127.0.0.1 \
  "$BIN" serve --data "$DATA" --ae-title SYSTOLE --dicom-port "$PORT" --http-port "$HTTP" --no-auth \
  --peer "BENCHSCU=127.0.0.1:$MOVE_PORT" --allow-peer BENCHSCU >"$RES/systole.log" 2>&1 &
SPID=$!
PERF_PID=""
cleanup() {
  if [[ -n "$PERF_PID" ]] && kill -0 "$PERF_PID" 2>/dev/null; then
    kill -INT "$PERF_PID" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$PERF_PID" 2>/dev/null || break; sleep 0.5; done
  fi
  if kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null || true
    for _ in $(seq 1 90); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$SPID" 2>/dev/null; then
      echo "Systole did not stop within 45 s of SIGTERM; killing it" >&2
      kill -KILL "$SPID" 2>/dev/null || true
    fi
  fi
  local st=0
  wait "$SPID" 2>/dev/null || st=$?
  echo "systole exit status: $st" >>"$RES/systole.log"
  if [[ "${KEEP_DATA:-0}" == 1 ]]; then echo "data kept in $DATA"; else rm -rf "$DATA"; fi
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  grep -q ' ready: .*dicom_port=.*http_port=' "$RES/systole.log" 2>/dev/null && break
  kill -0 "$SPID" 2>/dev/null || { echo "Systole died at start:" >&2; tail -20 "$RES/systole.log" >&2; exit 1; }
  sleep 0.1
done
grep -q ' ready: .*dicom_port=.*http_port=' "$RES/systole.log" || { echo "Systole not ready after 10 s" >&2; exit 1; }
PORT="$(sed -n 's/.* ready: .*dicom_port=\([0-9]*\).*/\1/p' "$RES/systole.log" | head -1)"
HTTP="$(sed -n 's/.* ready: .*http_port=\([0-9]*\).*/\1/p' "$RES/systole.log" | head -1)"
echo "Systole $SHA up, pid $SPID, DICOM $PORT, HTTP $HTTP, data $DATA"
WEB_ARGS=(--dicomweb "http://127.0.0.1:$HTTP/dicomweb" --wado-uri "http://127.0.0.1:$HTTP/wado")
[[ "${SYSTOLE_DICOMWEB:-1}" == 1 ]] || WEB_ARGS=()

if [[ "${SYSTOLE_PERF:-0}" == 1 ]] && command -v perf >/dev/null 2>&1; then
  perf record -F 499 -g -p "$SPID" -o "$RES/perf.data" >/dev/null 2>&1 &
  PERF_PID=$!
fi

set +e
"$SHARED/anchor_bench.sh" --workload "$WL" --out "$RES" \
  --aet SYSTOLE --host 127.0.0.1 --port "$PORT" --calling-aet BENCHSCU \
  --storage-dir "$DATA" --server-pid "$SPID" --move-port "$MOVE_PORT" --move-aet BENCHSCU \
  --label "systole $SHA" "${WEB_ARGS[@]}" "$@"
rc=$?
# video rendition of the harness's cine target (Systole only), while the data is still there
if [[ "${SYSTOLE_VIDEO:-1}" == 1 && "${SYSTOLE_DICOMWEB:-1}" == 1 && -f "$RES/results.json" ]]; then
  timeout 900 "${PY:-python3}" "$HERE/video_rendition.py" "http://127.0.0.1:$HTTP/dicomweb" \
    "$RES/results.json" "$RES/video.json" || echo "video_rendition.py exited $?" >&2
fi
set -e
exit $rc
