#!/usr/bin/env bash
# Systole vs Orthanc, side by side, on the same generated cardiology workload,
# in the same run (called by `make bench`). See bench/README.md.
#
# Environment:
#   BENCH_DIR   work directory, outside the repo (default /var/tmp/systole-bench):
#               workloads wl_<preset>/ are kept there, results in results-<date>/
#   PRESETS     "small large" (gen_workload.py presets; "tiny" for a smoke test;
#               "cine100": 3 studies with 100-frame 640x480 loops and a 50-instance
#               echo study, steps CINE100_STEPS (ingest,retrieve): the DICOMweb/cine targets)
#   STEPS       harness steps (default ingest,verify,disk,cfind,qido,retrieve; DIMSE and
#               DICOMweb: WADO-RS, WADO-URI, rendered; Systole also video.json)
#   DICOMWEB=0  leave DICOMweb/WADO-URI out for both servers (DIMSE figures only)
#   REPEATS     server pairs per preset, Orthanc and Systole alternating (default 1)
#   FIND100K    1 (default) runs bench/find_100k.sh (C-FIND at 100,000 instances), 0 skips
#   HARNESS_ARGS extra anchor_bench.sh arguments for both servers (e.g. "--repeats 9")
#   BENCH_SHARED the shared kit (default ../shared/bench), used in place, never copied
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SHARED="${BENCH_SHARED:-$(cd "$REPO/../shared/bench" && pwd)}"
BENCH_DIR="${BENCH_DIR:-/var/tmp/systole-bench}"
PRESETS="${PRESETS:-small large}"
STEPS="${STEPS:-ingest,verify,disk,cfind,qido,retrieve}"
CINE100_STEPS="${CINE100_STEPS:-ingest,retrieve}"
REPEATS="${REPEATS:-1}"
FIND100K="${FIND100K:-1}"
MOVE_PORT="${MOVE_PORT:-11113}"
read -r -a EXTRA <<<"${HARNESS_ARGS:-}"

mkdir -p "$BENCH_DIR"
BENCH_DIR="$(cd "$BENCH_DIR" && pwd)"
case "$BENCH_DIR/" in "$REPO"/*) echo "BENCH_DIR must be outside the repository ($BENCH_DIR)" >&2; exit 2 ;; esac
[[ -x "$REPO/build/systole" ]] || { echo "build/systole missing: run make build" >&2; exit 2; }
for t in storescu findscu getscu movescu echoscu Orthanc unshare curl; do
  command -v "$t" >/dev/null || { echo "missing $t (scripts/bootstrap.sh --bench)" >&2; exit 2; }
done
if pgrep -f pytest >/dev/null 2>&1; then
  echo "note: pytest is running (integration tests); figures may be disturbed" >&2
fi
PY=""
for c in python3 /usr/bin/python3; do
  command -v "$c" >/dev/null 2>&1 && "$c" -c 'import pydicom, numpy' >/dev/null 2>&1 && { PY="$c"; break; }
done
[[ -n "$PY" ]] || { echo "need python3 with pydicom and numpy" >&2; exit 2; }

RES="$BENCH_DIR/results-$(date +%Y-%m-%d-%H%M%S)"
mkdir -p "$RES"
SUMMARY="$RES/summary.md"
SHA="$(git -C "$REPO" rev-parse --short HEAD)"
git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || SHA="$SHA+dirty"
# pin the binary under test (a rebuild during the run must not change it)
cp "$REPO/build/systole" "$RES/systole-bin"
export SYSTOLE_BIN="$RES/systole-bin"
log() { echo "[$(date +%H:%M:%S)] $*"; }
{
  echo "# Systole vs Orthanc benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo
  echo "- Systole $SHA ($("$REPO/build/systole" version 2>/dev/null | head -1)); Orthanc $(dpkg-query -W -f='${Version}' orthanc 2>/dev/null) tuned (TCP_NODELAY=1, malloc tuned)"
  echo "- machine: $(nproc) CPUs, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)"
  echo "- command: PRESETS=\"$PRESETS\" STEPS=$STEPS REPEATS=$REPEATS FIND100K=$FIND100K DICOMWEB=${DICOMWEB:-1} bench/run.sh"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- results: $RES"
  echo
} >"$SUMMARY"

log "physical limits of this machine (disk under $BENCH_DIR)"
timeout 600 bash "$SHARED/physical_limits.sh" "$BENCH_DIR" "$RES/physical.json" || echo '{}' >"$RES/physical.json"
"$PY" - "$RES/physical.json" >>"$SUMMARY" <<'EOF'
import json, sys
p = json.load(open(sys.argv[1]))
print("Physical limits (same run): disk fdatasync write %s MB/s, 4 KiB dsync writes %s/s, loopback %s Gbit/s, "
      "page fault %s us\n" % (p.get("disk_seq_write_fdatasync_mb_s"), p.get("disk_4k_dsync_writes_per_s"),
                              p.get("loopback_tcp_gbit_s"), p.get("page_fault_4k_us")))
EOF

free_bytes() { df -PB1 "$BENCH_DIR" | awk 'NR==2{print $4}'; }
preset_bytes() {  # expected workload size (README table), or the manifest's if generated
  local wl="$BENCH_DIR/wl_$1"
  if [[ -f "$wl/manifest.json" ]]; then
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["total_bytes"])' "$wl/manifest.json"
  else
    case "$1" in tiny) echo 270000000 ;; cine100) echo 800000000 ;; small) echo 8400000000 ;; large) echo 28000000000 ;; *) echo 30000000000 ;; esac
  fi
}

# DICOMweb on for both servers (Orthanc's runner passes its plugin's URLs, run_systole.sh
# Systole's); DICOMWEB=0 blanks them for both.
WEB_OFF=()
if [[ "${DICOMWEB:-1}" != 1 ]]; then
  WEB_OFF=(--dicomweb "" --wado-uri "")
  export SYSTOLE_DICOMWEB=0
fi
# gen_workload.py arguments per preset: the named presets, plus cine100 = tiny with
# 100-frame 640x480 loops and 44 stills, so that the first echo study has 50 instances
# (4 loops + 44 stills + SR + ECG) for the study-metadata target
gen_args() {
  case "$1" in
    cine100) echo "--preset tiny --cine-frames 100 --stills-per-study 44" ;;
    *) echo "--preset $1" ;;
  esac
}
preset_steps() {
  case "$1" in cine100) echo "$CINE100_STEPS" ;; *) echo "$STEPS" ;; esac
}

for P in $PRESETS; do
  WL="$BENCH_DIR/wl_$P"
  need=$(preset_bytes "$P")
  have=$(free_bytes)
  # workload (if not generated yet) + one server's copy + 2 GB margin
  want=$(( need + need / 20 + 2000000000 ))
  [[ -f "$WL/manifest.json" ]] || want=$(( want + need ))
  if (( have < want )); then
    msg="SKIPPED preset $P: not enough free space under $BENCH_DIR ($((have / 1000000000)) GB free, ~$((want / 1000000000)) GB needed: the workload plus one server's copy)"
    log "$msg"; printf '%s\n\n' "$msg" >>"$SUMMARY"; continue
  fi
  if [[ ! -f "$WL/manifest.json" ]]; then
    log "generating workload $P into $WL"
    read -r -a GEN <<<"$(gen_args "$P")"
    timeout 3600 "$PY" "$SHARED/gen_workload.py" "${GEN[@]}" --out "$WL" --force
  else
    log "workload $P present ($WL)"
  fi
  PSTEPS="$(preset_steps "$P")"
  for r in $(seq 1 "$REPEATS"); do
    sfx=""; ((REPEATS > 1)) && sfx="_r$r"
    ORES="$RES/orthanc_$P$sfx"; SRES="$RES/systole_$P$sfx"
    log "Orthanc (tuned anchor), preset $P$sfx"
    ORTHANC_TCP_NODELAY=1 ORTHANC_MALLOC_TUNED=1 MOVE_PORT="$MOVE_PORT" TMPDIR="$BENCH_DIR" \
      timeout --kill-after=60 4000 bash "$SHARED/run_orthanc_anchor.sh" "$WL" "$ORES" \
      --steps "$PSTEPS" "${WEB_OFF[@]}" "${EXTRA[@]}" || log "Orthanc run exited $?"
    log "Systole, preset $P$sfx"
    MOVE_PORT="$MOVE_PORT" SYSTOLE_DATA_PARENT="$BENCH_DIR" \
      timeout --kill-after=60 4000 bash "$HERE/run_systole.sh" "$WL" "$SRES" \
      --steps "$PSTEPS" "${WEB_OFF[@]}" "${EXTRA[@]}" || log "Systole run exited $?"
    if [[ -f "$ORES/results.json" && -f "$SRES/results.json" ]]; then
      "$PY" "$SHARED/compare.py" "$ORES/results.json" "$SRES/results.json" --md "$RES/compare_$P$sfx.md" >/dev/null
      rm -f "$SRES/perf.data.old"
      "$PY" "$HERE/verdict.py" --preset "$P$sfx" "$ORES/results.json" "$SRES/results.json" "$RES/physical.json" \
        --md "$RES/verdict_$P$sfx.md" >/dev/null
      grep -h ' ERROR \|connection limit\| 50[0-9] ' "$SRES/systole.log" >"$SRES/log_errors.txt" 2>/dev/null || true
      { echo "## Preset $P$sfx: ratios (baseline = Orthanc tuned, candidate = Systole)"; echo
        sed -n '3,$p' "$RES/compare_$P$sfx.md"; echo; cat "$RES/verdict_$P$sfx.md"
        if [[ -s "$SRES/log_errors.txt" ]]; then
          printf 'systole.log: %s ERROR / 503 lines (%s)\n\n' "$(wc -l <"$SRES/log_errors.txt")" "$SRES/log_errors.txt"
        fi; } >>"$SUMMARY"
    else
      printf 'Preset %s%s: a server run produced no results.json (see %s, %s)\n\n' "$P" "$sfx" "$ORES" "$SRES" >>"$SUMMARY"
    fi
  done
  if ((REPEATS > 1)); then
    args=()
    for r in $(seq 1 "$REPEATS"); do
      for s in orthanc systole; do
        [[ -f "$RES/${s}_${P}_r$r/results.json" ]] && args+=("$s#$r=$RES/${s}_${P}_r$r/results.json")
      done
    done
    ol=$(ls "$RES"/orthanc_"${P}"_r*/results.json 2>/dev/null | paste -sd, -)
    sl=$(ls "$RES"/systole_"${P}"_r*/results.json 2>/dev/null | paste -sd, -)
    { echo "## Preset $P: all repeats"; echo; "$PY" "$SHARED/table.py" "${args[@]}"; echo
      if [[ -n "$ol" && -n "$sl" ]]; then
        "$PY" "$HERE/verdict.py" --preset "$P" "$ol" "$sl" "$RES/physical.json" --md "$RES/verdict_$P.md"
      fi; } >>"$SUMMARY"
  fi
done

if [[ "$FIND100K" == 1 ]]; then
  log "C-FIND at 100,000 instances"
  timeout --kill-after=60 3600 bash "$HERE/find_100k.sh" "$RES/find_100k" || log "find_100k exited $?"
  [[ -f "$RES/find_100k/summary.md" ]] && cat "$RES/find_100k/summary.md" >>"$SUMMARY"
fi

echo
cat "$SUMMARY"
log "summary saved to $SUMMARY"
