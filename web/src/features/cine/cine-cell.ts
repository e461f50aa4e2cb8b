// CineCell: one viewport showing one loop — a canvas drawn with the 2D
// context (decoded frames, one drawImage per new frame, nothing
// allocated per frame), an overlay with the frame number and rate, and a
// message line for problems. Driven by CineDriver's requestAnimationFrame.

import type { CellStats } from '../../core/stats';
import type { Loop } from '../../core/study-model';
import type { FrameLoader, FrameSource, LoopFrames } from './frame-loader';
import type { DecodeSize } from './frame-decoder.worker';
import { CinePlayback } from './playback';
import { cycleMap, phaseOfTime, type CycleMap } from './sync';
import { num, str, type DicomJson } from '../../core/dicom-json';
import { heartRateBpm, rWaves } from '../ecg/embedded-ecg';
import { drawPasses, windowPasses, type BlendPass } from './window-passes';
import { FrameCanvas, type DecodedFrame } from './decoded-frame';
import { whenPosterPainted } from './boot-poster';

// How far ahead a loop decoded just in time is decoded: 400 ms of playback (12 frames of a
// 28.6 fps loop at 1×), at most 48 frames (4×: every frame due, the display shows half of them).
const LOOKAHEAD_MS = 400;
const LOOKAHEAD_MAX_FRAMES = 48;

export interface CellElements {
  canvas: HTMLCanvasElement;
  frameLabel: HTMLElement;
  rateLabel: HTMLElement;
  message: HTMLElement;
}

export class CineCell {
  readonly stats: CellStats;
  readonly playback: CinePlayback | undefined;
  // Cardiac cycles of the loop (R waves, else the whole loop), for synchronized review.
  readonly cycles: CycleMap;
  private frames: LoopFrames | undefined;
  // The loop decoded at full size while `frames` holds it smaller (decodeSize), loading after the
  // cell grew or zoomed; it replaces `frames` once complete.
  private sharper: LoopFrames | undefined;
  private reduced: DecodeSize | undefined; // the size `frames` was decoded at, when smaller
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly resizeObserver: ResizeObserver;
  // Where the image lies on the canvas (backing-store pixels), from the fit
  // (letterbox), the zoom and the pan.
  private rect = { x: 0, y: 0, w: 0, h: 0 };
  private readonly view = { zoom: 1, panX: 0, panY: 0 }; // pan in CSS pixels
  // Display window on the rendered 8-bit values (centre/width) and inversion,
  // drawn over each frame as blend fills of the image's rectangle (window-passes).
  private readonly display = { center: 127.5, width: 255, invert: false };
  private passes: BlendPass[] = [];
  private readonly pixels = new FrameCanvas(); // frames decoded to pixels pass through it
  // Called when the image moves on screen (resize, zoom, pan): overlays redraw.
  // Called with each frame put on screen (e.g. the ECG cursor).
  onFrameShown?: (frame: number) => void;
  onViewChange: (() => void) | undefined;
  private painted = -1;
  private drawn = false; // the 2D canvas has been drawn on (its backing store exists)
  // The first frame, shown before the 2D canvas: the page's (adoptPoster), or the decoded one (showPoster).
  private poster: HTMLCanvasElement | HTMLImageElement | undefined;
  // Smoothing of the frame's scaling: 'medium' (mipmapped: a downscaled frame without aliasing)
  // for a still picture, 'low' (bilinear) while playing — a mipmap is built for every new frame,
  // which in software rendering held nine 975×743 loops in a 3×3 layout at 14.5 of 28.6 frames/s
  // ('low': 28.6). Upscaled, the two are the same.
  private smoothing: ImageSmoothingQuality = 'medium';
  private labelFrame = -2;
  private wantKey = '';
  private labelState = '';
  private readonly heartRate: string; // " · HR 75" from the R-R intervals, or ''

  constructor(
    readonly loop: Loop,
    private readonly el: CellElements,
    private readonly loader: FrameLoader,
    private readonly source: Omit<FrameSource, 'frameCount' | 'size'>,
    autoPlay: boolean,
    private readonly cellsShown: () => number = () => 1,
  ) {
    this.ctx = el.canvas.getContext('2d', { alpha: false });
    const r = rWaves(loop.metadata, loop.timeline);
    this.cycles = cycleMap(loop.timeline, r.frames);
    // From the R-R intervals; else the HeartRate (0018,1088) the modality recorded.
    const bpm = heartRateBpm(r.timesMs) ?? num(loop.metadata, '00181088');
    this.heartRate = bpm ? ` · HR ${Math.round(bpm)}` : '';
    this.stats = {
      sopInstanceUID: loop.sopInstanceUID,
      framesPresented: 0,
      framesDropped: 0,
      framesRepeated: 0,
      framesDelayed: 0,
      slipMs: 0,
      firstFramePaintedMs: null,
      loopReadyMs: null,
      frameCount: loop.frameCount,
      acquiredFps: loop.timeline.fps,
      timingSource: loop.timeline.source,
      currentFrame: -1,
      playing: false,
      speed: 1,
      error: loop.problem,
      failedFrames: 0,
      phase: 0,
      cycleSource: this.cycles.source,
    };
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(el.canvas); // the cell, less what it gives an ECG strip
    this.resize();
    if (loop.problem) {
      this.showMessage(loop.problem);
      el.frameLabel.textContent = '';
      return;
    }
    this.reduced = this.reducedSize();
    this.frames = loader.load({ ...source, frameCount: loop.frameCount, ...(this.reduced ? { size: this.reduced } : {}) });
    this.showDecodedSize();
    // A frame that failed counts as "ready" so playback never waits for it;
    // painting it keeps the previous image and says so.
    const ready = (f: number) => this.decodedOf(f) !== undefined || this.frames!.errors[f] !== undefined;
    this.playback = new CinePlayback(loop.timeline, ready, () => this.frames!.complete);
    this.frames.onComplete = () => {
      // Playable: every frame here (a loop decoded just in time: its bytes) and one on screen.
      if (this.stats.firstFramePaintedMs !== null) this.stats.loopReadyMs ??= performance.now();
    };
    this.frames.onFrame = (f) => {
      const error = this.frames!.errors[f];
      if (!error) {
        if (!this.drawn && f === this.painted) this.redrawFrame(); // after showPoster: the 2D canvas takes over
        return;
      }
      const failed = ++this.stats.failedFrames;
      if (failed === loop.frameCount) {
        // Nothing to show at all: say why, with the stored transfer syntax.
        const syntax = transferSyntaxOf(loop.metadata);
        this.stats.error = `This loop cannot be shown: ${error}${syntax ? ` (transfer syntax ${syntax})` : ''}`;
        this.showMessage(this.stats.error);
      } else if (this.stats.failedFrames === 1 || loop.frameCount === 1) {
        this.showMessage(`Frame ${f + 1} of ${loop.frameCount} could not be loaded: ${error}. The other frames play.`);
      } else {
        this.showMessage(`${failed} of ${loop.frameCount} frames could not be loaded (last: frame ${f + 1}: ${error}).`);
      }
    };
    if (autoPlay && loop.frameCount > 1) this.playback.play();
  }

  // One display refresh.
  tick(now: number): void {
    const p = this.playback;
    if (!p) return;
    const frame = p.tick(now);
    const smoothing: ImageSmoothingQuality = p.playing ? 'low' : 'medium';
    if (smoothing !== this.smoothing) {
      this.smoothing = smoothing;
      if (this.ctx) this.ctx.imageSmoothingQuality = smoothing;
      if (frame < 0 && !p.playing) this.redrawFrame(); // paused: the frame on screen, smooth
    }
    if (frame >= 0) this.paint(frame);
    this.wantAhead(p);
    const c = p.counters;
    this.stats.framesPresented = c.framesPresented;
    this.stats.framesDropped = c.framesDropped;
    this.stats.framesRepeated = c.framesRepeated;
    this.stats.framesDelayed = c.framesDelayed;
    this.stats.slipMs = c.slipMs;
    this.stats.playing = p.playing;
    this.stats.speed = p.speed;
    this.updateLabels();
  }

  // A loop decoded just in time: the frames playback shows next are decoded ahead (a short
  // stretch: LOOKAHEAD_MS of wall time), the frame on screen kept, the others let go.
  private wantAhead(p: CinePlayback): void {
    const key = `${p.playing}:${p.targetFrame}:${p.dueFrame}:${p.speed}:${this.painted}`;
    if (key === this.wantKey || (!this.frames?.justInTime && !this.sharper?.justInTime)) return;
    this.wantKey = key;
    const frames = p.upcoming(LOOKAHEAD_MS, LOOKAHEAD_MAX_FRAMES);
    if (this.painted >= 0 && !frames.includes(this.painted)) frames.push(this.painted);
    this.frames?.want(frames);
    this.sharper?.want(frames);
  }

  dispose(): void {
    this.dropPoster();
    this.resizeObserver.disconnect();
    this.pixels.clear();
    if (this.frames) this.frames.close();
    if (this.sharper) {
      this.loader.cancel(this.sharper);
      this.sharper.close();
    }
  }

  get loopFrames(): LoopFrames | undefined {
    return this.frames;
  }

  // The sharpest decoded picture of a frame.
  private decodedOf(frame: number): DecodedFrame | undefined {
    return this.sharper?.decoded[frame] ?? this.frames?.decoded[frame];
  }

  private paint(frame: number): void {
    const decoded = this.decodedOf(frame);
    this.stats.currentFrame = frame;
    this.stats.phase = phaseOfTime(this.cycles, this.loop.timeline.startsMs[frame] ?? 0);
    this.onFrameShown?.(frame);
    if (!decoded || !this.ctx) return; // a failed frame: the previous image stays, the message says why
    if (this.rect.w === 0) this.fit();
    if (!this.showPoster(frame, decoded)) this.draw(decoded);
    this.painted = frame;
    if (this.stats.firstFramePaintedMs === null) {
      this.stats.firstFramePaintedMs = performance.now();
      if (this.frames?.complete) this.stats.loopReadyMs = this.stats.firstFramePaintedMs;
    }
  }

  private updateLabels(): void {
    const p = this.playback!;
    const f = p.currentFrame;
    if (f !== this.labelFrame) {
      this.labelFrame = f;
      this.el.frameLabel.textContent = f < 0 ? `– / ${p.frameCount}` : `${f + 1} / ${p.frameCount}`;
    }
    // Until the loop is in, say so: meanwhile it cannot play at its rate (a loop decoded small, or
    // synchronized with one that is loading, moves slower).
    const frames = this.frames;
    const loading = frames && !frames.complete ? ` · loading ${Math.floor((100 * frames.availableCount) / p.frameCount)}%` : '';
    const state = `${p.playing ? '▶' : '❚❚'} ${p.speed}× · ${this.loop.timeline.fps.toFixed(1)} fps${this.heartRate}${loading}`;
    if (state !== this.labelState) {
      this.labelState = state;
      this.el.rateLabel.textContent = state;
    }
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.el.canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(this.el.canvas.clientHeight * dpr));
    if (this.el.canvas.width !== w || this.el.canvas.height !== h) {
      this.el.canvas.width = w;
      this.el.canvas.height = h;
    }
    if (!this.ctx) return;
    this.redraw();
  }

  // Repaints the frame on screen at the current size, zoom and pan.
  private redraw(): void {
    this.fit();
    const host = this.el.canvas.parentElement;
    if (host) host.dataset['zoom'] = this.view.zoom.toFixed(3);
    this.sharpenIfNeeded();
    this.redrawFrame();
    this.onViewChange?.();
  }

  // The frame on screen again (view, display window or smoothing changed).
  private redrawFrame(): void {
    const decoded = this.painted >= 0 ? this.decodedOf(this.painted) : undefined;
    if (decoded) this.draw(decoded);
    else if (this.poster && !this.plainView()) this.dropPoster(); // zoomed or windowed: black until decoded again
  }

  // A loop decoded smaller than it now shows (the cell grew, or zoomed in) loads again at full
  // size; its frames replace the small ones once all of them are in.
  private sharpenIfNeeded(): void {
    const reduced = this.reduced;
    if (!reduced || this.sharper || !this.frames) return;
    const needed = this.reducedSize();
    if (needed && needed.width <= reduced.width * 1.15) return;
    const sharper = this.loader.load({ ...this.source, frameCount: this.loop.frameCount });
    this.sharper = sharper;
    sharper.onComplete = () => {
      const small = this.frames;
      this.frames = sharper;
      this.sharper = undefined;
      this.reduced = undefined;
      small?.close();
      this.showDecodedSize();
      this.wantKey = ''; // the frames to decode go to the new loop
    };
  }

  // The size to decode at when smaller than acquired (decodeSize), in a layout of several cells: each
  // loop decoded just in time at full size makes every frame cost a full decode as it is shown, and
  // four 975×743 loops at 28.6 fps in 2×2 played at 50-60% of real time on two cores (two in 1×2 at
  // 80-90%); fetched scaled to the size shown by the server and decoded once, they play in real
  // time once all are in (four: 2.4-3.4 s after the layout change; 5.2-5.5 s when each frame came
  // at full size and was made smaller here).
  private reducedSize(): DecodeSize | undefined {
    if (this.cellsShown() <= 1) return undefined;
    return decodeSize(this.loop.columns, this.loop.rows, this.el.canvas.width, this.el.canvas.height, this.view.zoom);
  }

  private showDecodedSize(): void {
    const host = this.el.canvas.parentElement;
    if (host) host.dataset['decoded'] = this.reduced ? `${this.reduced.width}x${this.reduced.height}` : 'full';
  }

  // A frame into the image's rectangle, through the display window.
  private draw(frame: DecodedFrame): void {
    const source = this.pixels.source(frame);
    if (!this.ctx || !source) return;
    const { x, y, w, h } = this.rect;
    this.ctx.drawImage(source, x, y, w, h);
    drawPasses(this.ctx, this.passes, x, y, w, h);
    this.drawn = true;
    this.dropPoster();
  }

  // The cell's first paint, through a canvas of its own that shows the frame's bitmap as it is
  // (a 'bitmaprenderer' canvas takes the bitmap over: nothing allocated or copied), instead of the
  // 2D canvas, whose first drawing allocates its backing store — 55-85 ms measured, on the main
  // thread, at the moment a viewer's page is still being built. For a loop decoded just in time
  // (the bitmap is handed over; the frame is decoded again from its bytes, and the 2D canvas then
  // takes over), and the frame as acquired: no zoom, pan or display window.
  private showPoster(frame: number, decoded: DecodedFrame): boolean {
    if (this.poster instanceof HTMLImageElement) return false; // the page's image stood for it: the 2D canvas takes over
    const frames = this.frames;
    if (this.drawn || !this.plainView() || !('close' in decoded) || !frames?.justInTime || frames.decoded[frame] !== decoded) return false;
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('bitmaprenderer');
    if (!ctx) return false;
    frames.handOver(frame);
    canvas.className = 'poster';
    canvas.width = decoded.width;
    canvas.height = decoded.height;
    ctx.transferFromImageBitmap(decoded);
    this.el.canvas.before(canvas);
    this.el.canvas.style.visibility = 'hidden'; // opaque, and above the poster
    this.poster = canvas;
    return true;
  }

  // The first frame as the page brought it (features/cine/boot-poster.ts): shown until the 2D canvas
  // draws, as showPoster's. Its paint is the cell's first, when the browser says when that was.
  adoptPoster(img: HTMLImageElement): void {
    if (this.drawn || this.poster || this.loop.problem || !this.plainView()) {
      img.remove();
      return;
    }
    img.className = 'poster';
    img.addEventListener('error', () => {
      if (this.poster !== img) return;
      this.dropPoster();
      this.redrawFrame(); // the frame it stood for, if decoded
    });
    this.el.canvas.before(img);
    this.el.canvas.style.visibility = 'hidden';
    this.poster = img;
    whenPosterPainted((ms) => {
      if (this.stats.firstFramePaintedMs !== null && this.stats.firstFramePaintedMs <= ms) return;
      this.stats.firstFramePaintedMs = ms;
      if (this.frames?.complete) this.stats.loopReadyMs ??= performance.now();
    });
  }

  private plainView(): boolean {
    return this.view.zoom === 1 && this.view.panX === 0 && this.view.panY === 0 && this.passes.length === 0;
  }

  private dropPoster(): void {
    if (!this.poster) return;
    this.poster.remove();
    this.poster = undefined;
    this.el.canvas.style.visibility = '';
  }

  // Letterboxes the image (Columns × Rows) into the canvas (aspect kept),
  // then zooms about the centre and pans; once per change of view.
  private fit(): void {
    const cw = this.el.canvas.width;
    const ch = this.el.canvas.height;
    const w = this.loop.columns || 1;
    const h = this.loop.rows || 1;
    const dpr = window.devicePixelRatio || 1;
    const scale = Math.min(cw / w, ch / h) * this.view.zoom;
    this.rect = { w: Math.round(w * scale), h: Math.round(h * scale), x: 0, y: 0 };
    this.rect.x = Math.floor((cw - this.rect.w) / 2 + this.view.panX * dpr);
    this.rect.y = Math.floor((ch - this.rect.h) / 2 + this.view.panY * dpr);
    if (this.ctx) {
      // A canvas never drawn on is black already (opaque); filling it would allocate its backing
      // store now, before there is a frame to show (see showPoster).
      if (this.drawn) {
        this.ctx.fillStyle = '#000';
        this.ctx.fillRect(0, 0, cw, ch);
      }
      this.ctx.imageSmoothingQuality = this.smoothing;
    }
  }

  // Image coordinates (DICOM: column x, row y; pixel i spans [i, i+1)) of a
  // point given in CSS pixels relative to the canvas, and back.
  toImage(cssX: number, cssY: number): { x: number; y: number } {
    if (this.rect.w === 0) this.fit();
    const dpr = window.devicePixelRatio || 1;
    return {
      x: ((cssX * dpr - this.rect.x) * (this.loop.columns || 1)) / this.rect.w,
      y: ((cssY * dpr - this.rect.y) * (this.loop.rows || 1)) / this.rect.h,
    };
  }
  toCss(x: number, y: number): { x: number; y: number } {
    if (this.rect.w === 0) this.fit();
    const dpr = window.devicePixelRatio || 1;
    return {
      x: (this.rect.x + (x * this.rect.w) / (this.loop.columns || 1)) / dpr,
      y: (this.rect.y + (y * this.rect.h) / (this.loop.rows || 1)) / dpr,
    };
  }

  // Zoom (1 = fit) about a point in CSS pixels relative to the canvas (the
  // centre when omitted), and pan by CSS pixels.
  zoomBy(factor: number, aboutX?: number, aboutY?: number): void {
    const next = Math.min(16, Math.max(0.25, this.view.zoom * factor));
    const f = next / this.view.zoom;
    const cx = this.el.canvas.clientWidth / 2;
    const cy = this.el.canvas.clientHeight / 2;
    // Keep the image point under (aboutX, aboutY) where it is.
    const ax = (aboutX ?? cx) - cx - this.view.panX;
    const ay = (aboutY ?? cy) - cy - this.view.panY;
    this.view.panX -= ax * (f - 1);
    this.view.panY -= ay * (f - 1);
    this.view.zoom = next;
    this.redraw();
  }
  panBy(dx: number, dy: number): void {
    this.view.panX += dx;
    this.view.panY += dy;
    this.redraw();
  }
  resetView(): void {
    this.view.zoom = 1;
    this.view.panX = 0;
    this.view.panY = 0;
    this.redraw();
  }
  get zoom(): number {
    return this.view.zoom;
  }

  // Window/level: drag deltas in CSS pixels (x widens, y brightens).
  adjustWindow(dx: number, dy: number): void {
    this.display.width = Math.min(1024, Math.max(2, this.display.width + dx));
    this.display.center = Math.min(383, Math.max(-128, this.display.center - dy));
    this.applyDisplay();
  }
  toggleInvert(): void {
    this.display.invert = !this.display.invert;
    this.applyDisplay();
  }
  // Back to fit, no zoom or pan, the stored window, not inverted.
  reset(): void {
    Object.assign(this.display, { center: 127.5, width: 255, invert: false });
    this.applyDisplay();
    this.resetView();
  }

  private applyDisplay(): void {
    const { center, width, invert } = this.display;
    this.passes = windowPasses(center, width, invert);
    this.redrawFrame(); // a paused loop shows the new window at once
    const host = this.el.canvas.parentElement;
    if (host) {
      host.dataset['window'] = `${Math.round(center)},${Math.round(width)}`;
      host.dataset['invert'] = String(invert);
    }
  }


  private showMessage(text: string): void {
    this.el.message.textContent = text;
    this.el.message.hidden = false;
    this.stats.error = text;
  }
}

// The size to decode a loop at, in a layout of more than four cells (3×3), for a canvas of cw × ch
// device pixels showing it fitted and zoomed: as acquired (undefined) when shown at 3/4 of that or
// more, else the size it is shown at, every frame decoded once and kept small. Nine 975×743 loops
// decoded just in time would take more than two cores (28.6 frames/s each at ≈ 7 ms), and held at
// full size took 3.9 GB. With four cells or fewer a JPEG loop is decoded just in time as acquired
// (at 800×500, one loop decoded small up front was playable after 3.2 s; just in time, 1.0 s).
export function decodeSize(columns: number, rows: number, cw: number, ch: number, zoom: number): DecodeSize | undefined {
  if (!(columns > 0 && rows > 0 && cw > 1 && ch > 1)) return undefined;
  const scale = Math.min(cw / columns, ch / rows) * zoom;
  if (scale >= 0.75) return undefined;
  return { width: Math.max(1, Math.ceil(columns * scale)), height: Math.max(1, Math.ceil(rows * scale)) };
}

const SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2.4.110': 'JPEG XL Lossless',
  '1.2.840.10008.1.2.4.111': 'JPEG XL JPEG Recompression',
  '1.2.840.10008.1.2.4.112': 'JPEG XL',
  '1.2.840.10008.1.2.4.100': 'MPEG2',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265',
};

// The transfer syntax the instance is stored in (Available Transfer Syntax
// UID in WADO-RS metadata), with its name when it is one we name.
function transferSyntaxOf(ds: DicomJson): string {
  const uid = str(ds, '00083002');
  const name = SYNTAX_NAMES[uid];
  return uid && name ? `${uid}, ${name}` : uid;
}
