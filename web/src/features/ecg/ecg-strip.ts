// The ECG under a cine loop: the stretch of the trace the loop spans, drawn
// once into a canvas at the bottom of the cell, and a cursor (a CSS
// transform, no redraw) at the time of the frame on screen. The cell gives
// the strip its bottom (class has-ecg, --ecg-height): the image above it.

import type { Alignment, Trace } from './waveform';

export class EcgStrip {
  private readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly cursor: HTMLDivElement;
  private readonly resizeObserver: ResizeObserver;
  private readonly windowMs: number;
  private readonly host: HTMLElement;

  constructor(
    host: HTMLElement,
    private readonly trace: Trace,
    private readonly align: Alignment,
    private readonly startsMs: Float64Array,
    loopDurationMs: number,
  ) {
    const recordingMs = (trace.microvolts.length / trace.samplingHz) * 1000;
    this.windowMs = Math.max(1, Math.min(loopDurationMs, recordingMs - align.loopStartMs));
    this.root = document.createElement('div');
    this.root.className = 'ecg';
    this.root.dataset.testid = 'ecg';
    this.root.dataset.lead = trace.label;
    this.root.dataset.aligned = align.embedded ? 'embedded' : align.byTime ? 'time' : 'start';
    this.root.dataset.loopStartMs = align.loopStartMs.toFixed(1);
    this.canvas = document.createElement('canvas');
    this.cursor = document.createElement('div');
    this.cursor.className = 'ecg-cursor';
    const label = document.createElement('span');
    label.className = 'ecg-label';
    label.textContent = `${trace.label} · ${
      align.embedded
        ? "carried in this loop's object (same clock)"
        : align.byTime
        ? `aligned by acquisition time (loop starts ${(align.loopStartMs / 1000).toFixed(3)} s into the ECG)`
        : 'not time-aligned: loop start = ECG start'
    }`;
    this.root.append(this.canvas, this.cursor, label);
    host.append(this.root);
    host.classList.add('has-ecg');
    this.host = host;
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(this.root);
  }

  // The frame on screen changed.
  show(frame: number): void {
    const t = this.startsMs[frame] ?? 0;
    const x = Math.min(1, Math.max(0, t / this.windowMs)) * this.root.clientWidth;
    this.cursor.style.transform = `translateX(${x.toFixed(1)}px)`;
    this.root.dataset.cursorMs = (this.align.loopStartMs + t).toFixed(1);
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.root.remove();
    this.host.classList.remove('has-ecg');
    this.host.style.removeProperty('--ecg-height');
  }

  private draw(): void {
    const w = this.root.clientWidth;
    const h = this.root.clientHeight;
    this.host.style.setProperty('--ecg-height', `${this.root.offsetHeight}px`);
    if (w === 0 || h === 0) return;
    this.canvas.width = w;
    this.canvas.height = h;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const { microvolts, samplingHz } = this.trace;
    const first = Math.floor((this.align.loopStartMs / 1000) * samplingHz);
    const count = Math.max(2, Math.min(microvolts.length - first, Math.round((this.windowMs / 1000) * samplingHz)));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < count; i++) {
      const v = microvolts[first + i]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = Math.max(hi - lo, 500); // at least 0.5 mV tall
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = '#3ddc84';
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    for (let i = 0; i < count; i++) {
      const x = (i / (count - 1)) * w;
      const y = h - 4 - ((microvolts[first + i]! - lo) / span) * (h - 8);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
}
