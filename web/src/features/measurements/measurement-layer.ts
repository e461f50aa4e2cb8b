// MeasurementLayer: drawing and showing calibrated measurements over one cine
// cell. An SVG above the canvas (redrawn only when a measurement or the view
// changes, never per cine frame), a list of values in the cell, and a message
// line for refusals (no calibration, a drawing spanning two regions).
//
// Drawing: with a tool chosen, distance = drag; angle = three clicks (the
// vertex second); area = clicks, closed by a double-click or a click on the
// first point; velocity = one click in a Doppler strip; lv (Simpson) = an
// endocardial trace from one mitral annulus hinge round the apex to the other,
// clicked or drawn freehand (drag), closed like an area; time (interval along
// a time axis) and slope (Doppler deceleration, peak first) = drag or two clicks. Starting to draw
// pauses the loop; a measurement belongs to the frame it was drawn on.

import type { Loop } from '../../core/study-model';
import type { CineCell } from '../cine/cine-cell';
import { calibrationOf, type Point } from './calibration';
import { apicalView } from '../simpson/lv-study';
import { formatMeasurement, measure, POINTS_NEEDED, type CardiacPhase, type MeasurementKind } from './geometry';
import type { MeasurementStore } from './measurement-store';
import { SITED, type Site } from './sites';

export interface MeasurementElements {
  host: HTMLElement; // receives the pointer events
  svg: SVGSVGElement;
  list: HTMLElement;
  message: HTMLElement;
}

export type Tool = MeasurementKind | null;

export class MeasurementLayer {
  private drawing: { kind: MeasurementKind; points: Point[]; cursor: Point | null; frame: number } | null = null;
  private messageTimer = 0;
  private readonly unsubscribe: () => void;
  private readonly detach: () => void;

  constructor(
    private readonly cell: CineCell,
    private readonly loop: Loop,
    private readonly el: MeasurementElements,
    private readonly store: MeasurementStore,
    private readonly tool: () => Tool,
    private readonly newUid: () => string,
    // The cardiac phase the reader gave a frame (lv traces), if any.
    private readonly phaseOf: (frame: number) => CardiacPhase | undefined = () => undefined,
    // The site the reader chose for Doppler measurements, if any.
    private readonly site: () => Site | undefined = () => undefined,
  ) {
    this.unsubscribe = store.subscribe(() => this.render());
    cell.onViewChange = () => this.render();
    const down = (e: PointerEvent) => this.onDown(e);
    const move = (e: PointerEvent) => this.onMove(e);
    const up = (e: PointerEvent) => this.onUp(e);
    const dbl = (e: MouseEvent) => this.onDoubleClick(e);
    el.host.addEventListener('pointerdown', down);
    el.host.addEventListener('pointermove', move);
    el.host.addEventListener('pointerup', up);
    el.host.addEventListener('dblclick', dbl);
    this.detach = () => {
      el.host.removeEventListener('pointerdown', down);
      el.host.removeEventListener('pointermove', move);
      el.host.removeEventListener('pointerup', up);
      el.host.removeEventListener('dblclick', dbl);
    };
    this.render();
  }

  dispose(): void {
    this.unsubscribe();
    this.detach();
    clearTimeout(this.messageTimer);
    this.cell.onViewChange = undefined;
  }

  // Drops a drawing in progress; true when there was one.
  cancel(): boolean {
    if (!this.drawing) return false;
    this.drawing = null;
    this.render();
    return true;
  }

  private point(e: MouseEvent): Point {
    const box = this.el.svg.getBoundingClientRect();
    return this.cell.toImage(e.clientX - box.left, e.clientY - box.top);
  }

  private onDown(e: PointerEvent): void {
    const tool = this.tool();
    if (!tool || e.button !== 0 || this.loop.problem) return;
    e.preventDefault();
    e.stopPropagation();
    const p = this.point(e);
    const playback = this.cell.playback;
    if (!this.drawing) {
      if (playback?.playing) playback.pause();
      const frame = Math.max(0, playback?.targetFrame ?? 0);
      this.drawing = { kind: tool, points: [p], cursor: p, frame };
      this.el.host.setPointerCapture?.(e.pointerId);
      if (tool === 'velocity') this.finish();
      else this.render();
      return;
    }
    const d = this.drawing;
    if (closes(d.kind) && d.points.length >= 3 && this.nearFirst(d.points, p)) return this.finish();
    d.points.push(p);
    if (d.kind === 'angle' && d.points.length === POINTS_NEEDED.angle) return this.finish();
    this.render();
  }

  private onMove(e: PointerEvent): void {
    if (!this.drawing) return;
    const p = this.point(e);
    const d = this.drawing;
    // Freehand LV trace: dragging lays points every few screen pixels.
    if (d.kind === 'lv' && (e.buttons & 1) !== 0) {
      const a = this.cell.toCss(d.points[d.points.length - 1]!.x, d.points[d.points.length - 1]!.y);
      const b = this.cell.toCss(p.x, p.y);
      if (Math.hypot(a.x - b.x, a.y - b.y) >= 4) d.points.push(p);
    }
    this.drawing.cursor = p;
    this.render();
  }

  private onUp(e: PointerEvent): void {
    const d = this.drawing;
    if (!d || !TWO_POINTS.has(d.kind)) return;
    const p = this.point(e);
    const a = d.points[0]!;
    const start = this.cell.toCss(a.x, a.y);
    const end = this.cell.toCss(p.x, p.y);
    if (Math.hypot(end.x - start.x, end.y - start.y) < 3) return; // a click: the second click ends it
    d.points[1] = p;
    this.finish();
  }

  private onDoubleClick(e: MouseEvent): void {
    const d = this.drawing;
    if (!d || !closes(d.kind)) return;
    e.preventDefault();
    // The double-click's two clicks added the same point twice.
    while (d.points.length > 1 && samePoint(d.points[d.points.length - 1]!, d.points[d.points.length - 2]!)) d.points.pop();
    if (d.points.length >= 3) this.finish();
  }

  private nearFirst(points: Point[], p: Point): boolean {
    const a = this.cell.toCss(points[0]!.x, points[0]!.y);
    const b = this.cell.toCss(p.x, p.y);
    return Math.hypot(a.x - b.x, a.y - b.y) < 8;
  }

  private finish(): void {
    const d = this.drawing!;
    this.drawing = null;
    const points = TWO_POINTS.has(d.kind) ? d.points.slice(0, 2) : d.points;
    const view = d.kind === 'lv' ? apicalView(this.loop.metadata) : undefined;
    if (d.kind === 'lv' && !view) {
      this.showMessage(
        "Simpson's method needs an apical 4- or 2-chamber loop: this loop's view is not known (View Code Sequence, ViewName).",
      );
      this.render();
      return;
    }
    const result = measure(d.kind, points, calibrationOf(this.loop.metadata, d.frame));
    if (!result.ok) {
      this.showMessage(result.reason);
      this.render();
      return;
    }
    const phase = d.kind === 'lv' ? this.phaseOf(d.frame) : undefined;
    const site = SITED.has(d.kind) ? this.site() : undefined;
    this.store.add(this.loop.sopInstanceUID, {
      ...(view ? { view } : {}),
      ...(phase ? { phase } : {}),
      ...(site ? { site } : {}),
      kind: d.kind,
      points,
      frame: d.frame,
      values: result.value,
      trackingId: this.store.nextTrackingId(d.kind),
      trackingUid: this.newUid(),
    });
  }

  private showMessage(text: string): void {
    this.el.message.textContent = text;
    this.el.message.hidden = false;
    clearTimeout(this.messageTimer);
    this.messageTimer = window.setTimeout(() => (this.el.message.hidden = true), 6000);
  }

  private render(): void {
    const parts: string[] = [];
    const items: string[] = [];
    for (const m of this.store.list(this.loop.sopInstanceUID)) {
      const site = m.site ? `${m.site} ` : '';
      parts.push(this.shape(m.kind, m.points, true, `${m.trackingId} ${site}${formatMeasurement(m)}`));
      items.push(
        `<li data-testid="measurement" data-kind="${m.kind}" data-frame="${m.frame + 1}" data-tracking-uid="${m.trackingUid}"` +
          `${m.site ? ` data-site="${m.site}"` : ''}>` +
          `<b>${m.trackingId}</b> ${site ? `<small>${site}</small>` : ''}${escapeHtml(formatMeasurement(m))} <small>fr ${m.frame + 1}</small></li>`,
      );
    }
    const d = this.drawing;
    if (d) parts.push(this.shape(d.kind, d.cursor ? [...d.points, d.cursor] : d.points, false, ''));
    this.el.svg.innerHTML = parts.join('');
    this.el.list.innerHTML = items.join('');
  }

  private shape(kind: MeasurementKind, points: Point[], closed: boolean, label: string): string {
    const css = points.map((p) => this.cell.toCss(p.x, p.y));
    const xy = css.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    let g = '';
    if (kind === 'velocity') {
      const p = css[0]!;
      g += `<path d="M${p.x - 6},${p.y}h12M${p.x},${p.y - 6}v12" />`;
    } else if (kind === 'time' && css.length >= 2) {
      // A caliper along the time axis: the interval at the first point's height, ticks at both ends.
      const [p, q] = [css[0]!, css[css.length - 1]!];
      g += `<path d="M${p.x},${p.y}H${q.x}M${p.x},${p.y - 6}v12M${q.x},${p.y - 6}v12" />`;
    } else if (closes(kind) && closed) g += `<polygon points="${xy}" />`;
    else g += `<polyline points="${xy}" />`;
    if (kind === 'lv' && closed && css.length >= 3) {
      // The long axis, annulus midpoint to apex (the farthest point).
      const base = { x: (css[0]!.x + css[css.length - 1]!.x) / 2, y: (css[0]!.y + css[css.length - 1]!.y) / 2 };
      const apex = css.reduce((far, p) => (Math.hypot(p.x - base.x, p.y - base.y) > Math.hypot(far.x - base.x, far.y - base.y) ? p : far));
      g += `<line class="long-axis" x1="${base.x.toFixed(1)}" y1="${base.y.toFixed(1)}" x2="${apex.x.toFixed(1)}" y2="${apex.y.toFixed(1)}" />`;
    }
    if (kind !== 'lv' || css.length < 40) for (const p of css) g += `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="2.5" />`;
    if (label && css.length > 0) {
      // An LV trace is labelled at its apex (ED and ES traces overlap at the annulus).
      const last = kind === 'lv' ? css.reduce((top, p) => (p.y < top.y ? p : top)) : css[css.length - 1]!;
      g += `<text x="${(last.x + 8).toFixed(1)}" y="${(last.y - 6).toFixed(1)}">${escapeHtml(label)}</text>`;
    }
    return `<g class="m-${kind}">${g}</g>`;
  }
}

const closes = (kind: MeasurementKind) => kind === 'area' || kind === 'lv';
// Drawn by a drag, or by two clicks.
const TWO_POINTS = new Set<MeasurementKind>(['distance', 'time', 'slope']);

function samePoint(a: Point, b: Point): boolean {
  return Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
