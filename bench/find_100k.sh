#!/usr/bin/env bash
# Study-level C-FIND at 100,000 instances (target: by PatientID < 10 ms inside an
# association). Generates the tiny-instance workload once (BENCH_DIR/wl_100k),
# imports it with `systole import` into a fresh data dir (import rate reported),
# serves it on loopback (private network namespace), measures, stops with SIGTERM,
# deletes the data.
#
#   bench/find_100k.sh RESULTS_DIR
# Environment: BENCH_DIR (/var/tmp/systole-bench), N_INSTANCES (100000),
# N_STUDIES (5000), N_PATIENTS (3000), SYSTOLE_BIN, BENCH_SHARED, KEEP_DATA=1.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${BENCH_SHARED:-$(cd "$REPO/../shared/bench" && pwd)}"
[[ $# -ge 1 ]] || { sed -n '2,11p' "$0"; exit 2; }
mkdir -p "$1"; RES="$(cd "$1" && pwd)"

if [[ "${SYSTOLE_HOST_NET:-0}" != 1 && "${SYSTOLE_IN_NETNS:-0}" != 1 ]]; then
  exec env SYSTOLE_IN_NETNS=1 unshare --net -- bash "$0" "$RES"
fi
if [[ "${SYSTOLE_IN_NETNS:-0}" == 1 ]]; then ip link set lo up; fi

BENCH_DIR="${BENCH_DIR:-/var/tmp/systole-bench}"
BIN="${SYSTOLE_BIN:-$REPO/build/systole}"
N="${N_INSTANCES:-100000}"
WL="$BENCH_DIR/wl_$((N / 1000))k"
PY=""
for c in python3 /usr/bin/python3; do
  command -v "$c" >/dev/null 2>&1 && "$c" -c 'import pydicom' >/dev/null 2>&1 && { PY="$c"; break; }
done
log() { echo "[$(date +%H:%M:%S)] $*"; }

free=$(df -PB1 "$BENCH_DIR" | awk 'NR==2{print $4}')
if (( free < 3000000000 )); then
  echo "find_100k: SKIPPED, less than 3 GB free under $BENCH_DIR" | tee "$RES/summary.md"; exit 0
fi

log "workload: $N instances in $WL"
timeout 1800 "$PY" "$HERE/find_100k.py" gen --out "$WL" --instances "$N" \
  --studies "${N_STUDIES:-5000}" --patients "${N_PATIENTS:-3000}"

DATA="$(mktemp -d "$BENCH_DIR/systole-100k.XXXXXX")"
SPID=""
cleanup() {
  if [[ -n "$SPID" ]] && kill -0 "$SPID" 2>/dev/null; then
    kill -TERM "$SPID" 2>/dev/null || true
    for _ in $(seq 1 90); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$SPID" 2>/dev/null && kill -KILL "$SPID" 2>/dev/null || true
  fi
  if [[ "${KEEP_DATA:-0}" == 1 ]]; then echo "data kept in $DATA"; else rm -rf "$DATA"; fi
}
trap cleanup EXIT INT TERM

log "systole import into a fresh data dir"
t0=$(date +%s.%N)
set +e
timeout 2400 "$BIN" import --data "$DATA" "$WL/data" >"$RES/import.log" 2>&1
irc=$?
set -e
t1=$(date +%s.%N)
import_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
import_rate=$(awk -v s="$import_s" -v n="$N" 'BEGIN{printf "%.0f", n/s}')
log "import exit $irc: $N instances in $import_s s ($import_rate inst/s)"
tail -5 "$RES/import.log" | tr '\r' '\n' | tail -5

env -u TCP_NODELAY SYSTOLE_DICOM_BIND=127.0.0.1 "$BIN" serve --data "$DATA" --ae-title SYSTOLE \
  --dicom-port 0 --allow-peer BENCHSCU >"$RES/systole.log" 2>&1 &
SPID=$!
for _ in $(seq 1 300); do
  grep -q ' ready: .*dicom_port=' "$RES/systole.log" && break
  kill -0 "$SPID" 2>/dev/null || { tail -20 "$RES/systole.log" >&2; exit 1; }
  sleep 0.1
done
PORT="$(sed -n 's/.* ready: .*dicom_port=\([0-9]*\).*/\1/p' "$RES/systole.log" | head -1)"
[[ -n "$PORT" ]] || { echo "Systole not ready" >&2; exit 1; }
log "Systole up on $PORT (pid $SPID), measuring C-FIND"
export TCP_NODELAY=1  # the client tools, as anchor_bench.sh does
timeout 1500 "$PY" "$HERE/find_100k.py" measure --manifest "$WL/manifest.json" --port "$PORT" \
  --shared "$SHARED" --out "$RES/results.json"
rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$SPID/status" 2>/dev/null || echo 0)
db_mb=$(du -sm "$DATA/index.db"* 2>/dev/null | awk '{s+=$1} END{print s+0}')

"$PY" - "$RES/results.json" "$import_s" "$import_rate" "$irc" "$rss_kb" "$db_mb" >"$RES/summary.md" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
imp_s, rate, irc, rss_kb, db_mb = sys.argv[2:7]
q = r["queries"]
pid = q["study_by_patientid"]
ok = pid["ok"] and pid["in_association_ms_n20"] < 10
print("## C-FIND at %d instances (%d studies, %d patients)\n" % (r["instances"], r["studies"], r["patients"]))
print("- import (`systole import`, fresh data dir): %s s, **%s inst/s** (exit %s); index %s MB; server peak RSS %.0f MB\n" % (
    imp_s, rate, irc, db_mb, int(rss_kb) / 1024))
print("| query (STUDY level, 14 keys) | matches | per process ms | in association ms (n=20) | (n=200) |")
print("|---|---:|---:|---:|---:|")
for name, v in q.items():
    print("| %s | %s/%s | %s | %s | %s |" % (name, v["matches"], v["expected"], v["per_process_ms"],
                                         v["in_association_ms_n20"], v.get("in_association_ms_n200", "-")))
print("\n**%s**: study-level C-FIND by PatientID in association %.3f ms (n=200: %s ms), target < 10 ms\n" % (
    "PASS" if ok else "FAIL", pid["in_association_ms_n20"], pid.get("in_association_ms_n200")))
EOF
cat "$RES/summary.md"
