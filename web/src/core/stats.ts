// Performance counters of the cine cells, published as
// window.__systoleStats = { cells: [...] } for tests and benchmarks.
// Times are performance.now() values: ms since the document's navigation start.

export interface CellStats {
  sopInstanceUID: string;
  framesPresented: number;
  framesDropped: number;
  framesRepeated: number;
  firstFramePaintedMs: number | null;
  loopReadyMs: number | null;
  // Additional context (not required by consumers).
  framesDelayed: number; // shown late after a display hiccup (the loop slipped instead of dropping)
  slipMs: number;
  frameCount: number;
  acquiredFps: number;
  timingSource: string;
  currentFrame: number;
  playing: boolean;
  speed: number;
  error: string | null;
  // Frames that could not be fetched or decoded (bad data); the others play.
  failedFrames: number;
  // Synchronized review: phase (0..1) of the frame on screen within its
  // cardiac cycle (between R waves, else of the whole loop), and which.
  phase: number;
  cycleSource: 'R-wave' | 'loop';
}

export interface SystoleStats {
  // When the current viewer was opened (performance.now()), for timings of
  // in-app navigations, which do not reset navigation start.
  viewerOpenedMs: number | null;
  cells: CellStats[];
}

declare global {
  interface Window {
    __systoleStats: SystoleStats;
  }
}

export function systoleStats(): SystoleStats {
  if (!window.__systoleStats) window.__systoleStats = { viewerOpenedMs: null, cells: [] };
  return window.__systoleStats;
}
