// Viewer: the loops of one study (WADO-RS metadata, QIDO-RS series), a
// thumbnail strip, layouts 1×1 / 1×2 / 2×2 / 3×3, and cine in every cell.
// Keyboard: see SHORTCUTS (help overlay with ?).

import { autoPlay, renderedFormat } from '../features/cine/view-options';
import { useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Tag, formatDate, formatPersonName, str, type DicomJson } from '../core/dicom-json';
import type { DicomWebClient } from '../core/dicomweb';
import { navigate, reportUrl } from '../core/router';
import { systoleStats } from '../core/stats';
import { isStructuredReport, loopsOfStudy, noImagesMessage, type Loop } from '../core/study-model';
import { writePart10 } from '../core/dicom-writer';
import { isSystoleMeasurementReport, readMeasurementReport } from '../features/measurements/measurement-report';
import { studyMeasurementReport } from '../features/measurements/study-report';
import { dropBootPoster, takeBootPoster } from '../features/cine/boot-poster';
import { CineCell } from '../features/cine/cine-cell';
import { CineDriver } from '../features/cine/cine-driver';
import { FrameLoader } from '../features/cine/frame-loader';
import { attachViewControls } from '../features/cine/view-controls';
import { MeasurementLayer, type Tool } from '../features/measurements/measurement-layer';
import { MeasurementStore } from '../features/measurements/measurement-store';
import { newUid } from '../core/uid';
import { quadLoops, type QuadMode } from '../features/stress/stress-groups';
import { phaseOfFrame, simpsonOfStudy, suggestedEdFrame, type PhaseMarks } from '../features/simpson/lv-study';
import { lvVolumesGroup } from '../features/simpson/lv-report';
import { SimpsonPanel } from '../features/simpson/simpson-panel';
import { studyEcg, type StudyEcg } from '../features/ecg/ecg-source';
import { EcgStrip } from '../features/ecg/ecg-strip';
import { loopEcg } from '../features/ecg/loop-ecg';
import { previewOnHover } from '../features/cine/thumbnail-preview';
import { latestPrior, pairPrior } from '../features/priors/prior-pairing';
import { SessionContext, SessionControl } from '../features/session/session';
import { can } from '../core/session-api';
import { SITES, type Site } from '../features/measurements/sites';

export const LAYOUTS = { '1x1': [1, 1], '1x2': [1, 2], '2x2': [2, 2], '3x3': [3, 3] } as const;
export type LayoutName = keyof typeof LAYOUTS;

const SPEEDS = [0.25, 0.5, 1, 2, 4];
const DRAG_TYPE = 'application/x-systole-sop'; // a loop dragged from the strip

const SHORTCUTS: [string, string][] = [
  ['Space', 'play / pause'],
  ['← / →', 'previous / next frame (pauses)'],
  ['Home / End', 'first / last frame'],
  ['- / +', 'slower / faster (0.25× – 4×)'],
  ['0', 'normal speed (1×)'],
  ['1 / 2 / 4 / 9', 'layout 1×1 / 1×2 / 2×2 / 3×3'],
  ['D', 'measure a distance (drag)'],
  ['A', 'measure an area and perimeter (click points; double-click or click the first point to close)'],
  ['N', 'measure an angle (three clicks, vertex second)'],
  ['V', 'Doppler velocity and peak gradient (click in the spectrum)'],
  ['T', 'time interval along a time axis (spectral Doppler, M-mode): drag, or two clicks'],
  ['K', 'Doppler deceleration slope and time: from the peak down the slope (drag, or two clicks)'],
  ['X', 'site of the next V / T / K measurements: none → MV → AV → TV → PV → LVOT (fills that valve\'s report fields)'],
  ['L', "LV trace for Simpson's biplane (A4C / A2C): click or drag from one mitral annulus hinge round the apex to the other; double-click or click the first point to close"],
  ['E / Shift+E', 'mark the current frame end-diastole / end-systole (ED is suggested at the R wave)'],
  ['Delete', 'remove the last measurement of the active cell'],
  ['S', 'save the measurements (DICOM SR, stored in the study)'],
  ['Y', 'synchronized review on / off (multi-cell layouts; on by default): loops play in step by cardiac cycle'],
  ['G / Shift+G', 'stress echo quad: this view across stages / this stage across views'],
  ['P', "priors side by side: the patient's latest earlier study next to this one, loops paired by view / series (P again: back)"],
  ['Tab', 'next cell'],
  ['drag', 'window / level (right: wider, down: brighter)'],
  ['Shift+drag, middle drag', 'pan'],
  ['wheel, [ / ]', 'zoom out / in'],
  ['I', 'invert'],
  ['R, double-click', 'reset zoom, pan, window and invert'],
  ['click a thumbnail', 'show that loop in the active cell'],
  ['drag a thumbnail', 'show that loop in the cell it is dropped on'],
  ['O', 'open the study\'s report (create from a template, edit, sign)'],
  ['Esc', 'close help / back to the study list'],
  ['?', 'this help'],
];


export function ViewerPage({ client, studyUid }: { client: DicomWebClient; studyUid: string }) {
  // Measuring and saving SRs only for roles that may (a referring physician, a share link: view only).
  const mayMeasure = can(useContext(SessionContext), 'measure');
  const [study, setStudy] = useState<DicomJson | null>(null);
  const [loops, setLoops] = useState<Loop[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [layout, setLayout] = useState<LayoutName>('1x1');
  const [assigned, setAssigned] = useState<(string | null)[]>([]); // SOP Instance UID per cell
  const [active, setActive] = useState(0);
  const [help, setHelp] = useState(false);
  const [tool, setToolState] = useState<Tool>(null);
  const [sync, setSync] = useState(true); // synchronized review in multi-cell layouts
  const [syncEpoch, setSyncEpoch] = useState(0); // bumped to restart the cycles together
  const engine = useMemo<Engine>(
    () => ({
      driver: new CineDriver(),
      loader: new FrameLoader(),
      cells: [],
      layers: [],
      store: new MeasurementStore(),
      tool: null,
      site: undefined,
      marks: new Map(),
      cellCount: 1,
    }),
    [],
  );
  const [saveState, setSaveState] = useState<string>('');
  const [ecg, setEcg] = useState<StudyEcg | null>(null);
  // Priors side by side: the patient's other studies, and the one opened.
  const [priorStudies, setPriorStudies] = useState<DicomJson[]>([]);
  const [prior, setPrior] = useState<{ studyUid: string; loops: Loop[] } | null>(null);
  const [, setRevision] = useState(0);
  useEffect(() => engine.store.subscribe(() => setRevision((r) => r + 1)), [engine]);
  // Simpson's method over the LV traces on the loops of one study.
  const simpsonOf = (studyLoops: Loop[]) => {
    const byUid = new Map(studyLoops.map((l) => [l.sopInstanceUID, l]));
    return simpsonOfStudy(
      engine.store.all().flatMap(([sop, list]) => {
        const loop = byUid.get(sop);
        return loop ? list.map((measurement) => ({ metadata: loop.metadata, sopInstanceUID: sop, measurement })) : [];
      }),
    );
  };
  const simpson = () => simpsonOf(loops ?? []);
  // One SR per study with measurements: the open study, and the prior shown
  // side by side (its measurements go into the prior study — only when they
  // changed, so saving the current study's never writes into an old one).
  const save = async () => {
    if (!mayMeasure) return;
    if (!loops) return;
    const now = new Date();
    const changed = (studyLoops: Loop[]) => studyLoops.some((l) => engine.store.changedSinceSave(l.sopInstanceUID));
    const changedPrior = prior && changed(prior.loops) ? [prior.loops] : [];
    const reports = [loops, ...changedPrior].flatMap((studyLoops) => {
      // LV traces are saved with the phase Simpson's method gave them.
      const lv = simpsonOf(studyLoops);
      for (const t of lv.traces) t.measurement.phase = t.phase;
      const extra = lv.result ? [lvVolumesGroup(lv.result, newUid())] : [];
      return studyMeasurementReport(studyLoops, engine.store.all(), newUid, now, extra, changed(studyLoops)) ?? [];
    });
    if (reports.length === 0) {
      setSaveState('Nothing to save');
      return;
    }
    setSaveState('Saving…');
    try {
      for (const r of reports) await client.store([writePart10(r.report)]);
      engine.store.markSaved();
      const count = reports.reduce((n, r) => n + r.count, 0);
      const inPrior = reports.find((r) => r.studyInstanceUID !== studyUid)?.count ?? 0;
      setSaveState(
        count === 0
          ? 'Saved: no measurements left (SR)'
          : `Saved ${count} measurement${count === 1 ? '' : 's'} (SR)${inPrior ? `, ${inPrior} of them in the prior study` : ''}`,
      );
    } catch (e) {
      setSaveState(`Not saved: ${(e as Error).message}`);
    }
  };
  const [site, setSite] = useState<Site | undefined>(undefined);
  const chooseSite = (s: Site | undefined) => {
    engine.site = s;
    setSite(s);
  };
  const setTool = (t: Tool) => {
    if (t && !mayMeasure) return;
    engine.tool = t;
    setToolState(t);
  };

  useEffect(() => {
    systoleStats().viewerOpenedMs = performance.now();
    systoleStats().cells = [];
    let cancelled = false;
    // The loops start loading as soon as the metadata is in; the study's QIDO attributes
    // (and the priors) follow on their own.
    const studyQuery = client.study(studyUid).catch(() => [] as DicomJson[]);
    client
      .studyMetadata(studyUid)
      .then((metadata) => {
        if (cancelled) return;
        performance.mark('systole:metadata');
        const found = loopsOfStudy(metadata);
        restoreMeasurements(metadata, engine.store);
        setStudy(metadata[0] ?? null);
        void studyQuery.then((studies) => {
          if (cancelled) return;
          if (studies[0]) setStudy(studies[0]);
          const patientId = str(studies[0] ?? metadata[0] ?? {}, Tag.PatientID);
          if (patientId)
            client
              .studiesOfPatient(patientId)
              .then((list) => !cancelled && setPriorStudies(list.filter((s) => str(s, Tag.StudyInstanceUID) !== studyUid)))
              .catch(() => {});
        });
        setLoops(found);
        void studyEcg(metadata).then((e) => {
          if (cancelled) return;
          if (typeof e === 'string') console.warn(`ECG not shown: ${e}`);
          else setEcg(e);
        });
        setAssigned(found.slice(0, 9).map((l) => l.sopInstanceUID));
        if (found.length === 0) setError(noImagesMessage(metadata));
      })
      .catch((e: Error) => !cancelled && setError(`Cannot open study ${studyUid}: ${e.message}`));
    return () => {
      cancelled = true;
      engine.driver.stop();
      for (const c of engine.cells) c?.dispose();
      engine.loader.dispose();
    };
  }, [client, studyUid, engine]);

  // The page's first image, if the first cell did not take it (a failed study, no image).
  useEffect(() => {
    if (loops || error) dropBootPoster();
  }, [loops, error]);
  useEffect(() => dropBootPoster, []);

  const [rows, cols] = LAYOUTS[layout];
  const cellCount = rows * cols;
  engine.cellCount = cellCount; // before the cells' effects run
  const byUid = useMemo(() => new Map([...(loops ?? []), ...(prior?.loops ?? [])].map((l) => [l.sopInstanceUID, l])), [loops, prior]);

  const activeCell = () => engine.cells[Math.min(active, cellCount - 1)] ?? null;
  const synced = sync && cellCount > 1;
  useEffect(() => {
    engine.driver.setSync(false);
    engine.driver.setSync(synced);
  }, [engine, synced, syncEpoch]);
  // Stress echo quad around the active cell's loop.
  const quad = (mode: QuadMode) => {
    const reference = activeCell()?.loop.sopInstanceUID ?? assigned[0];
    if (!loops || !reference) return;
    const uids = quadLoops(loops, reference, mode);
    if (uids.length === 0) return;
    setLayout('2x2');
    setSync(true);
    setSyncEpoch((n) => n + 1); // restart the cycles together in the new cells
    setActive(0);
    setAssigned([...uids, ...Array<string | null>(4 - uids.length).fill(null)]);
  };

  // A layout effect: the handler sees the state of what is on screen (a plain effect runs a frame
  // later, and a key pressed in between — e.g. P just as the priors appear — met stale state).
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.metaKey || e.ctrlKey || e.altKey) return;
      const cell = activeCell();
      const playback = cell?.playback;
      // Synchronized review: transport applies to every synced cell.
      const master = cell && playback && playback.frameCount > 1 ? engine.driver.master : null;
      const toolKeys: Record<string, Tool> = { d: 'distance', a: 'area', n: 'angle', v: 'velocity', l: 'lv', t: 'time', k: 'slope' };
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      if (key in toolKeys) {
        setTool(tool === toolKeys[key] ? null : toolKeys[key]!);
        e.preventDefault();
        return;
      }
      if (key === 'e') {
        markPhase(e.shiftKey ? 'es' : 'ed');
        e.preventDefault();
        return;
      }
      if (key === 'p') {
        if (prior) closePrior();
        else void openPrior();
        e.preventDefault();
        return;
      }
      if (key === 'x' && mayMeasure) {
        const order: (Site | undefined)[] = [undefined, ...(Object.keys(SITES) as Site[])];
        chooseSite(order[(order.indexOf(engine.site) + 1) % order.length]);
        e.preventDefault();
        return;
      }
      if (key === 'y') {
        setSync((v) => !v);
        e.preventDefault();
        return;
      }
      if (key === 'g') {
        quad(e.shiftKey ? 'stage' : 'view');
        e.preventDefault();
        return;
      }
      switch (e.key) {
        case ' ':
          if (master) engine.driver.togglePlay();
          else playback?.toggle();
          break;
        case 'ArrowRight':
          if (master) engine.driver.step(cell!, 1);
          else playback?.step(1);
          break;
        case 'ArrowLeft':
          if (master) engine.driver.step(cell!, -1);
          else playback?.step(-1);
          break;
        case 'Home':
          if (master) engine.driver.step(cell!, 0, 0);
          else playback?.seek(0);
          break;
        case 'End':
          if (master) engine.driver.step(cell!, 0, playback!.frameCount - 1);
          else playback?.seek(playback.frameCount - 1);
          break;
        case '+':
        case '=':
        case '-':
        case '_': {
          if (!playback) break;
          const i = SPEEDS.findIndex((s) => s >= playback.speed);
          const next = e.key === '+' || e.key === '=' ? Math.min(SPEEDS.length - 1, i + 1) : Math.max(0, i - 1);
          playback.speed = SPEEDS[next] ?? 1;
          if (master) engine.driver.setSpeed(playback.speed);
          break;
        }
        case '0':
          if (playback) playback.speed = 1;
          if (master) engine.driver.setSpeed(1);
          break;
        case '1':
          setLayout('1x1');
          break;
        case '2':
          setLayout('1x2');
          break;
        case '4':
          setLayout('2x2');
          break;
        case '9':
          setLayout('3x3');
          break;
        case 'Tab':
          setActive((a) => (a + (e.shiftKey ? cellCount - 1 : 1)) % cellCount);
          break;
        case '?':
          setHelp((h) => !h);
          break;
        case 'Escape':
          if (help) setHelp(false);
          else if (engine.layers.some((l) => l?.cancel())) break;
          else if (tool) setTool(null);
          else navigate('/');
          break;
        case 'o':
        case 'O':
          navigate(reportUrl(studyUid));
          break;
        case 'i':
        case 'I':
          activeCell()?.toggleInvert();
          break;
        case 'r':
        case 'R':
          activeCell()?.reset();
          break;
        case ']':
          activeCell()?.zoomBy(1.25);
          break;
        case '[':
          activeCell()?.zoomBy(0.8);
          break;
        case 's':
        case 'S':
          void save();
          break;
        case 'Delete':
        case 'Backspace': {
          const cell = activeCell();
          if (cell) engine.store.removeLast(cell.loop.sopInstanceUID);
          break;
        }
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  // ED / ES marks of the active cell's loop, on its current frame.
  const [marksRevision, setMarksRevision] = useState(0);
  const markPhase = (which: keyof PhaseMarks) => {
    const cell = activeCell();
    if (!cell?.playback) return;
    const frame = Math.max(0, cell.playback.targetFrame);
    const sop = cell.loop.sopInstanceUID;
    const marks = { ...engine.marks.get(sop) };
    if (marks[which] === frame) delete marks[which];
    else marks[which] = frame;
    engine.marks.set(sop, marks);
    setMarksRevision((n) => n + 1);
  };
  const activeLoop = activeCell()?.loop;
  const activeMarks = activeLoop ? engine.marks.get(activeLoop.sopInstanceUID) : undefined;
  const edSuggestion = activeLoop ? suggestedEdFrame(activeMarks, activeLoop.metadata) : undefined;
  void marksRevision; // re-render on marks
  const lvSummary = simpson();
  const lvHint = activeLoop
    ? [
        edSuggestion !== undefined ? `ED fr ${edSuggestion + 1}${activeMarks?.ed === undefined ? ' (R wave)' : ''}` : '',
        activeMarks?.es !== undefined ? `ES fr ${activeMarks.es + 1}` : '',
      ]
        .filter(Boolean)
        .join(' · ')
    : '';

  // Opens a prior study next to this one: 1×2, the active loop and its pair.
  const openPrior = async (priorUid?: string) => {
    const current = activeCell()?.loop ?? loops?.find((l) => !l.problem);
    const target = priorUid ?? (latestPrior(priorStudies, studyUid, str(study ?? {}, Tag.StudyDate)) ?? priorStudies[0]);
    const uid = typeof target === 'string' ? target : target ? str(target, Tag.StudyInstanceUID) : '';
    if (!uid || !current || !loops) {
      setSaveState(uid ? '' : 'No prior study of this patient');
      return;
    }
    try {
      const metadata = await client.studyMetadata(uid);
      const date = formatDate(str(metadata[0] ?? {}, Tag.StudyDate));
      const priorLoops = loopsOfStudy(metadata).map((l) => ({ ...l, label: `Prior ${date} · ${l.label}` }));
      restoreMeasurements(metadata, engine.store); // measurements saved earlier on the prior's loops
      setPrior({ studyUid: uid, loops: priorLoops });
      setLayout('1x2');
      setActive(0);
      setAssigned([current.sopInstanceUID, pairPrior(current, loops, priorLoops)?.sopInstanceUID ?? null]);
    } catch (e) {
      setSaveState(`Prior not opened: ${(e as Error).message}`);
    }
  };
  const closePrior = () => {
    setPrior(null);
    setLayout('1x1');
    setAssigned((loops ?? []).slice(0, 9).map((l) => l.sopInstanceUID));
  };

  const showInActive = (uid: string) => {
    // Side by side with a prior: a current loop brings its prior pair along.
    const current = loops?.find((l) => l.sopInstanceUID === uid);
    if (prior && current && layout === '1x2') {
      setAssigned([uid, pairPrior(current, loops!, prior.loops)?.sopInstanceUID ?? null]);
      return;
    }
    const next = [...assigned];
    next[Math.min(active, cellCount - 1)] = uid;
    setAssigned(next);
  };

  const patient = study ? formatPersonName(str(study, Tag.PatientName)) : '';
  return (
    <main class="viewer">
      <header class="topbar">
        <h1>
          <a
            href="/"
            onClick={(e) => {
              e.preventDefault();
              navigate('/');
            }}
          >
            Systole
          </a>
        </h1>
        {study && (
          <div class="study-info" data-testid="study-info">
            <strong>{patient || '—'}</strong> <span>{str(study, Tag.PatientID)}</span>
            <span>{formatDate(str(study, Tag.StudyDate))}</span>
            <span>{str(study, Tag.StudyDescription)}</span>
          </div>
        )}
        <nav class="layouts" aria-label="Layout">
          {(Object.keys(LAYOUTS) as LayoutName[]).map((name) => (
            <button class={name === layout ? 'on' : ''} data-layout={name} onClick={() => setLayout(name)}>
              {name.replace('x', '×')}
            </button>
          ))}
        </nav>
        <nav class="priors-nav" aria-label="Priors">
          <select
            data-testid="prior-select"
            title="Open a prior study side by side (P: the latest)"
            value={prior?.studyUid ?? ''}
            disabled={priorStudies.length === 0}
            onChange={(e) => {
              const uid = e.currentTarget.value;
              if (uid) void openPrior(uid);
              else closePrior();
            }}
          >
            <option value="">{priorStudies.length ? `Priors (${priorStudies.length})` : 'No priors'}</option>
            {priorStudies.map((s) => (
              <option value={str(s, Tag.StudyInstanceUID)}>
                {formatDate(str(s, Tag.StudyDate))} {str(s, Tag.StudyDescription)}
              </option>
            ))}
          </select>
        </nav>
        <nav class="review" aria-label="Review">
          <button
            class={synced ? 'on' : ''}
            data-testid="sync"
            disabled={cellCount < 2}
            title="Synchronized review by cardiac cycle (Y)"
            onClick={() => setSync(!sync)}
          >
            Sync
          </button>
          <button data-testid="stress-quad" title="Stress echo quad: this view across stages (G), this stage across views (Shift+G)" onClick={(e) => quad(e.shiftKey ? 'stage' : 'view')}>
            Stress
          </button>
        </nav>
        <nav class="tools" aria-label="Measure">
          {mayMeasure && (
            [
              ['distance', 'Distance', 'D'],
              ['area', 'Area', 'A'],
              ['angle', 'Angle', 'N'],
              ['velocity', 'Velocity', 'V'],
              ['time', 'Time', 'T'],
              ['slope', 'Decel', 'K'],
              ['lv', 'LV', 'L'],
            ] as const
          ).map(([t, label, key]) => (
            <button class={tool === t ? 'on' : ''} data-tool={t} title={`${label} (${key})`} onClick={() => setTool(tool === t ? null : t)}>
              {label}
            </button>
          ))}
          {mayMeasure && (
            <>
              <select
                data-testid="doppler-site"
                title="Site of the next Doppler velocity, time and deceleration measurements (X)"
                value={site ?? ''}
                onChange={(e) => {
                  chooseSite((e.currentTarget.value || undefined) as Site | undefined);
                  e.currentTarget.blur(); // letters typed next are shortcuts, not option search
                }}
              >
                <option value="">Site —</option>
                {(Object.keys(SITES) as Site[]).map((s) => (
                  <option value={s} title={SITES[s].meaning}>
                    {s}
                  </option>
                ))}
              </select>
              <button data-testid="mark-ed" title="Mark the current frame end-diastole (E)" onClick={() => markPhase('ed')}>
                ED
              </button>
              <button data-testid="mark-es" title="Mark the current frame end-systole (Shift+E)" onClick={() => markPhase('es')}>
                ES
              </button>
              <button data-testid="save-measurements" title="Save measurements as DICOM SR (S)" onClick={() => void save()}>
                Save{engine.store.unsaved > 0 ? ' •' : ''}
              </button>
            </>
          )}
          <span class="save-state" data-testid="save-state">
            {saveState}
          </span>
          <a class="button" href={reportUrl(studyUid)} data-testid="open-report" title="Report (O)" onClick={(e) => (e.preventDefault(), navigate(reportUrl(studyUid)))}>
            Report
          </a>
          <button onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">
            ?
          </button>
        </nav>
        <SessionControl />
      </header>
      {error && <p class="error">{error}</p>}
      <div class="viewer-body">
        <aside class="strip" aria-label="Loops">
          {[...(loops ?? []), ...(prior?.loops ?? [])].map((loop, i) => (
            <>
            {prior && i === (loops ?? []).length && <h3 class="strip-heading">Prior study</h3>}
            <button
              class={`thumb ${assigned.slice(0, cellCount).includes(loop.sopInstanceUID) ? 'shown' : ''}`}
              data-sop={loop.sopInstanceUID}
              title={loop.label}
              draggable
              onDragStart={(e) => e.dataTransfer?.setData(DRAG_TYPE, loop.sopInstanceUID)}
              onClick={() => showInActive(loop.sopInstanceUID)}
              onMouseEnter={(e) =>
                previewOnHover(e.currentTarget, loop, (n) =>
                  client.renderedFrameUrl(loop.studyInstanceUID, loop.seriesInstanceUID, loop.sopInstanceUID, n, { width: 128, height: 128 }),
                )
              }
            >
              {loop.problem ? (
                <span class="no-image">no image</span>
              ) : (
                <img
                  src={client.thumbnailUrl(loop.studyInstanceUID, loop.seriesInstanceUID, loop.sopInstanceUID)}
                  alt="no preview"
                  loading="lazy"
                  onError={(e) => e.currentTarget.classList.add('failed')}
                />
              )}
              <span class="caption">
                {loop.label} · {loop.frameCount > 1 ? `${loop.frameCount} fr` : 'still'}
              </span>
            </button>
            </>
          ))}
        </aside>
        <section
          class={`grid ${tool ? 'measuring' : ''}`}
          style={{ gridTemplateColumns: `repeat(${cols}, 1fr)`, gridTemplateRows: `repeat(${rows}, 1fr)` }}
          data-layout={layout}
        >
          {Array.from({ length: cellCount }, (_, i) => {
            const uid = assigned[i] ?? null;
            return (
              <Cell
                key={`${i}:${uid ?? ''}`}
                index={i}
                loop={uid ? byUid.get(uid) ?? null : null}
                poster={i === 0 && uid !== null && uid === loops?.[0]?.sopInstanceUID}
                active={i === active}
                onActivate={() => setActive(i)}
                engine={engine}
                client={client}
                ecg={ecg}
                onDropLoop={(uid) => {
                  const next = [...assigned];
                  next[i] = uid;
                  setAssigned(next);
                  setActive(i);
                }}
              />
            );
          })}
        </section>
        {(tool === 'lv' || lvSummary.traces.length > 0) && <SimpsonPanel summary={lvSummary} hint={lvHint} />}
      </div>
      {help && (
        <div class="help" role="dialog" aria-label="Keyboard shortcuts" onClick={() => setHelp(false)}>
          <div class="help-box">
            <h2>Keyboard shortcuts</h2>
            <dl>
              {SHORTCUTS.map(([key, what]) => (
                <>
                  <dt>{key}</dt>
                  <dd>{what}</dd>
                </>
              ))}
            </dl>
          </div>
        </div>
      )}
    </main>
  );
}

interface Engine {
  driver: CineDriver;
  loader: FrameLoader;
  cells: (CineCell | null)[];
  layers: (MeasurementLayer | null)[];
  store: MeasurementStore;
  tool: Tool;
  site: Site | undefined; // of the next Doppler measurements
  marks: Map<string, PhaseMarks>; // ED / ES frames marked per SOP instance
  cellCount: number; // of the layout on screen (a cell decodes small loops differently in 3×3)
}

// Measurements saved earlier: the latest Systole measurement report of the
// study (each save stores the whole set, so the latest one is current).
function restoreMeasurements(metadata: DicomJson[], store: MeasurementStore): void {
  const reports = metadata
    .filter((ds) => isStructuredReport(ds) && isSystoleMeasurementReport(ds))
    .sort((a, b) => (str(a, '00080023') + str(a, '00080033')).localeCompare(str(b, '00080023') + str(b, '00080033')));
  const latest = reports[reports.length - 1];
  if (!latest) return;
  for (const { sopInstanceUID, measurement } of readMeasurementReport(latest)) store.add(sopInstanceUID, measurement, true);
}

// window.__systoleStats.cells: the cells showing a loop, in layout order.
function publishStats(engine: Engine): void {
  systoleStats().cells = engine.cells.filter((c): c is CineCell => c !== null && c !== undefined).map((c) => c.stats);
}

function Cell(props: {
  index: number;
  loop: Loop | null;
  poster: boolean; // the cell shows the study's first loop: the page's first image is its (boot-poster)
  active: boolean;
  onActivate: () => void;
  engine: Engine;
  client: DicomWebClient;
  ecg: StudyEcg | null;
  onDropLoop: (sopInstanceUID: string) => void;
}) {
  const { index, loop, engine, client, ecg } = props;
  const canvas = useRef<HTMLCanvasElement>(null);
  const frameLabel = useRef<HTMLSpanElement>(null);
  const rateLabel = useRef<HTMLSpanElement>(null);
  const message = useRef<HTMLParagraphElement>(null);
  const host = useRef<HTMLDivElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const measureMessage = useRef<HTMLParagraphElement>(null);

  // A layout effect: the cell starts loading in the same task as the render, not a frame later.
  useLayoutEffect(() => {
    if (!loop || !canvas.current || !frameLabel.current || !rateLabel.current || !message.current) return;
    const accept = renderedFormat();
    const { studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUID: sop } = loop;
    const cell = new CineCell(
      loop,
      { canvas: canvas.current, frameLabel: frameLabel.current, rateLabel: rateLabel.current, message: message.current },
      engine.loader,
      {
        url: (frame, size) => client.renderedFrameUrl(study, series, sop, frame + 1, size),
        accept,
        listUrl: (frames, size) => client.renderedFramesUrl(study, series, sop, frames.map((f) => f + 1), size),
        listAccept: `multipart/related; type="${accept}"`,
      },
      autoPlay(),
      () => engine.cellCount,
    );
    if (props.poster) {
      const img = takeBootPoster();
      if (img) cell.adoptPoster(img);
    }
    engine.cells[index] = cell;
    publishStats(engine);
    engine.driver.add(cell);
    const layer =
      host.current && svg.current && list.current && measureMessage.current
        ? new MeasurementLayer(
            cell,
            loop,
            { host: host.current, svg: svg.current, list: list.current, message: measureMessage.current },
            engine.store,
            () => engine.tool,
            newUid,
            (frame) => phaseOfFrame(frame, engine.marks.get(loop.sopInstanceUID), loop.metadata),
            () => engine.site,
          )
        : null;
    engine.layers[index] = layer;
    const detachView = host.current ? attachViewControls(host.current, cell, () => engine.tool === null) : () => {};
    return () => {
      detachView();
      layer?.dispose();
      if (engine.layers[index] === layer) engine.layers[index] = null;
      engine.driver.remove(cell);
      if (cell.loopFrames) engine.loader.cancel(cell.loopFrames);
      cell.dispose();
      if (engine.cells[index] === cell) engine.cells[index] = null;
      publishStats(engine);
    };
  }, [loop, index, engine, client]);

  // The loop's own ECG (in its object), else the study's, under a
  // multi-frame loop, cursor at the frame shown.
  useEffect(() => {
    const cell = engine.cells[index];
    if (!loop || !cell || cell.loop !== loop || !host.current || loop.frameCount < 2 || loop.problem) return;
    let strip: EcgStrip | undefined;
    let gone = false;
    void loopEcg(loop.metadata, loop.timeline.durationMs, ecg).then((source) => {
      if (gone || !source || !host.current) return;
      const shown = new EcgStrip(host.current, source.trace, source.align, loop.timeline.startsMs, loop.timeline.durationMs);
      strip = shown;
      cell.onFrameShown = (f) => shown.show(f);
    });
    return () => {
      gone = true;
      cell.onFrameShown = undefined;
      strip?.dispose();
    };
  }, [ecg, loop, index, engine]);

  return (
    <div
      class={`cell ${props.active ? 'active' : ''}`}
      data-cell={index}
      data-sop={loop?.sopInstanceUID ?? ''}
      onMouseDown={props.onActivate}
      onDragOver={(e) => e.dataTransfer?.types.includes(DRAG_TYPE) && e.preventDefault()}
      onDrop={(e) => {
        const uid = e.dataTransfer?.getData(DRAG_TYPE);
        if (!uid) return;
        e.preventDefault();
        props.onDropLoop(uid);
      }}
      ref={host}
    >
      <canvas class="frame" ref={canvas} />
      <svg class="measure-layer" ref={svg} />
      <ol class="measurements" ref={list} />
      <p class="measure-message" role="alert" data-testid="measure-message" ref={measureMessage} hidden />
      {loop ? (
        <div class="overlay">
          <span class="label">{loop.label}</span>
          <span class="frame-number" data-testid="frame-number" ref={frameLabel} />
          <span class="rate" ref={rateLabel} />
        </div>
      ) : (
        <p class="empty-cell">Empty — click a loop in the strip, or drag it here.</p>
      )}
      <p class="cell-message" role="status" ref={message} hidden />
    </div>
  );
}
