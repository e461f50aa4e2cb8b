// Busy time per thread of a Chromium trace (devtools.timeline): the sum of
// top-level task durations ('RunTask' / 'ThreadControllerImpl::RunTask',
// complete events) per thread kind, in ms per second of trace, for the
// renderer process that ran the page (the one whose main thread worked most).
// CPU time (the events' thread duration, tdur) — wall time would count the time
// a task waited for a core on a loaded machine — and wall time as *WallMsPerS.
export function busyPerThread(trace) {
  const events = trace.traceEvents ?? trace;
  const names = new Map(); // "pid:tid" -> thread name
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args?.name ?? '');
  const busy = new Map(); // "pid:tid" -> CPU us
  const wall = new Map(); // "pid:tid" -> wall us
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const e of events) {
    if (e.ts) {
      t0 = Math.min(t0, e.ts);
      t1 = Math.max(t1, e.ts + (e.dur ?? 0));
    }
    if (e.ph !== 'X' || (e.name !== 'RunTask' && e.name !== 'ThreadControllerImpl::RunTask')) continue;
    const k = `${e.pid}:${e.tid}`;
    busy.set(k, (busy.get(k) ?? 0) + (e.tdur ?? e.dur ?? 0));
    wall.set(k, (wall.get(k) ?? 0) + (e.dur ?? 0));
  }
  let page = null;
  let most = -1;
  for (const [k, us] of busy)
    if (names.get(k) === 'CrRendererMain' && us > most) {
      most = us;
      page = k.split(':')[0];
    }
  const seconds = (t1 - t0) / 1e6;
  const out = { traceSeconds: seconds };
  const kind = (name) =>
    name === 'CrRendererMain' ? 'main' : /DedicatedWorker|WorkerThread/.test(name) ? 'workers'
      : /Compositor$/.test(name) ? 'compositor' : /CompositorTileWorker|Raster/.test(name) ? 'raster' : null;
  for (const [k, us] of busy) {
    const [pid] = k.split(':');
    const name = names.get(k) ?? '';
    let key = pid === page ? kind(name) : null;
    if (!key && /CrGpuMain|VizCompositorThread/.test(name)) key = 'gpu_process';
    if (!key) continue;
    out[`${key}BusyMsPerS`] = (out[`${key}BusyMsPerS`] ?? 0) + us / 1000 / seconds;
    out[`${key}WallMsPerS`] = (out[`${key}WallMsPerS`] ?? 0) + wall.get(k) / 1000 / seconds;
  }
  return out;
}
