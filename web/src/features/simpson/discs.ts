// Simpson's method of discs (ASE/EACVI 2015, Lang et al., JASE 2015;28:1-39):
// LV volumes from endocardial traces in the apical 4- and 2-chamber views.
// Pure; unit-tested against analytic volumes.
//
// A trace is the endocardial contour in physical units (cm), clicked from one
// side of the mitral annulus round the apex to the other side: its first and
// last points are the annulus hinge points, the closing segment is the
// annulus. The long axis runs from the annulus midpoint to the apex, taken
// as the contour point farthest from that midpoint. The axis is cut into 20
// slices of equal height; each disc's diameter is the width of the contour
// across the axis at the middle of its slice.
//
// Biplane: V = π/4 · Σ aᵢ·bᵢ · L/20, aᵢ and bᵢ the i-th diameters in the two
// views, L the LONGER of the two long axes (our choice, as most vendors and
// the ASE recommendation that the lengths should be within 10 % of each other
// and foreshortening shortens the axis: the longer one is the less
// foreshortened). Each view's diameters are taken at its own 20 levels.
// Monoplane (one view only): V = π/4 · Σ aᵢ² · L/20.

export interface Vec {
  x: number;
  y: number;
}

export const DISCS = 20;

export interface TraceAxis {
  base: Vec; // annulus midpoint
  apex: Vec;
  lengthCm: number;
  diametersCm: number[]; // DISCS widths, base to apex
}

export type AxisResult = { ok: true; value: TraceAxis } | { ok: false; reason: string };

// Long axis and disc diameters of a trace (points in cm).
export function traceAxis(points: Vec[]): AxisResult {
  if (points.length < 5) return { ok: false, reason: 'An LV trace needs at least 5 points (annulus, walls, apex, annulus).' };
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const base = { x: (first.x + last.x) / 2, y: (first.y + last.y) / 2 };
  let apex = first;
  let best = -1;
  for (const p of points) {
    const d = Math.hypot(p.x - base.x, p.y - base.y);
    if (d > best) [best, apex] = [d, p];
  }
  const length = best;
  if (!(length > 0)) return { ok: false, reason: 'The LV trace has no long axis (all points coincide).' };
  const ux = (apex.x - base.x) / length;
  const uy = (apex.y - base.y) / length;
  // Contour in axis coordinates: s along the axis, t across it.
  const local = points.map((p) => ({ s: (p.x - base.x) * ux + (p.y - base.y) * uy, t: -(p.x - base.x) * uy + (p.y - base.y) * ux }));
  const diameters: number[] = [];
  for (let i = 0; i < DISCS; i++) {
    const s = ((i + 0.5) * length) / DISCS;
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < local.length; k++) {
      const a = local[k]!;
      const b = local[(k + 1) % local.length]!; // the closing segment is the annulus
      if ((a.s - s) * (b.s - s) > 0 || a.s === b.s) continue;
      const t = a.t + ((s - a.s) / (b.s - a.s)) * (b.t - a.t);
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
    diameters.push(hi > lo ? hi - lo : 0);
  }
  return { ok: true, value: { base, apex, lengthCm: length, diametersCm: diameters } };
}

// Volume in mL (cm³): biplane when both views are given, else monoplane.
export function discVolume(a: TraceAxis, b?: TraceAxis): number {
  const length = Math.max(a.lengthCm, b?.lengthCm ?? 0);
  let sum = 0;
  for (let i = 0; i < DISCS; i++) sum += a.diametersCm[i]! * (b ? b.diametersCm[i]! : a.diametersCm[i]!);
  return (Math.PI / 4) * sum * (length / DISCS);
}

export interface LvResult {
  method: 'biplane' | 'monoplane';
  edvMl: number;
  esvMl: number;
  svMl: number;
  efPercent: number;
  // Long axes of ED traces per view differ by more than 10 % (foreshortening).
  axisMismatch: boolean;
}

export interface PhaseTraces {
  a4c?: TraceAxis;
  a2c?: TraceAxis;
}

function phaseVolume(p: PhaseTraces): number | undefined {
  if (p.a4c && p.a2c) return discVolume(p.a4c, p.a2c);
  const one = p.a4c ?? p.a2c;
  return one ? discVolume(one) : undefined;
}

// EDV, ESV, SV, EF from the ED and ES traces; biplane only when both phases
// have both views (never a biplane ED against a monoplane ES).
export function lvVolumes(ed: PhaseTraces, es: PhaseTraces): LvResult | undefined {
  const biplane = !!(ed.a4c && ed.a2c && es.a4c && es.a2c);
  const pick = (p: PhaseTraces): PhaseTraces => {
    if (biplane) return p;
    const view = ed.a4c && es.a4c ? 'a4c' : ed.a2c && es.a2c ? 'a2c' : undefined;
    return view ? { [view]: p[view] } : {};
  };
  const edv = phaseVolume(pick(ed));
  const esv = phaseVolume(pick(es));
  if (edv === undefined || esv === undefined || !(edv > 0)) return undefined;
  const axes = [ed.a4c?.lengthCm, ed.a2c?.lengthCm].filter((v): v is number => v !== undefined);
  const axisMismatch = axes.length === 2 && Math.abs(axes[0]! - axes[1]!) > 0.1 * Math.max(axes[0]!, axes[1]!);
  return {
    method: biplane ? 'biplane' : 'monoplane',
    edvMl: edv,
    esvMl: esv,
    svMl: edv - esv,
    efPercent: ((edv - esv) / edv) * 100,
    axisMismatch,
  };
}
