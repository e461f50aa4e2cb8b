import { describe, expect, it } from 'vitest';
import { DISCS, discVolume, lvVolumes, traceAxis, type TraceAxis, type Vec } from './discs';

// The section of a half prolate ellipsoid (base at the equator) through its
// long axis: half an ellipse of semi-axes `radius` (across) and `length`
// (along the axis), clicked from one annulus hinge round the apex to the
// other, in `points` points; optionally rotated and shifted as on screen.
function halfEllipse(radius: number, length: number, points = 81, angle = 0, at: Vec = { x: 0, y: 0 }): Vec[] {
  const out: Vec[] = [];
  for (let k = 0; k < points; k++) {
    const th = -Math.PI / 2 + (Math.PI * k) / (points - 1);
    const x = radius * Math.sin(th);
    const y = length * Math.cos(th);
    out.push({ x: at.x + x * Math.cos(angle) - y * Math.sin(angle), y: at.y + x * Math.sin(angle) + y * Math.cos(angle) });
  }
  return out;
}

const axis = (points: Vec[]): TraceAxis => {
  const r = traceAxis(points);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
};
// Half ellipsoid of semi-axes a, b (short) and c (long): 2/3 π a b c.
const halfEllipsoid = (a: number, b: number, c: number) => (2 / 3) * Math.PI * a * b * c;

describe('traceAxis', () => {
  it('finds the annulus midpoint, the apex and the long axis', () => {
    const t = axis(halfEllipse(2.5, 8, 81, 0.3, { x: 5, y: 2 }));
    expect(t.base.x).toBeCloseTo(5, 9);
    expect(t.base.y).toBeCloseTo(2, 9);
    expect(t.lengthCm).toBeCloseTo(8, 9);
    expect(t.diametersCm).toHaveLength(DISCS);
    // Widest at the base, narrowing to the apex: 2a·sqrt(1 - (s/c)²) at the slice middles.
    for (let i = 0; i < DISCS; i++) {
      const s = ((i + 0.5) * 8) / DISCS;
      expect(t.diametersCm[i]).toBeCloseTo(5 * Math.sqrt(1 - (s / 8) ** 2), 1);
    }
  });

  it('refuses a trace with too few points', () => {
    expect(traceAxis([{ x: 0, y: 0 }, { x: 1, y: 1 }, { x: 2, y: 0 }]).ok).toBe(false);
  });
});

describe('discVolume against analytic volumes', () => {
  it('monoplane: a half ellipsoid of revolution within 1 %', () => {
    const v = discVolume(axis(halfEllipse(2.5, 8)));
    expect(Math.abs(v - halfEllipsoid(2.5, 2.5, 8)) / halfEllipsoid(2.5, 2.5, 8)).toBeLessThan(0.01);
  });

  it('biplane: a half ellipsoid with an elliptical section within 1 %, any on-screen orientation', () => {
    const v = discVolume(axis(halfEllipse(2.5, 8, 61, 0.2)), axis(halfEllipse(2.0, 8, 41, -1.1, { x: 3, y: 9 })));
    const exact = halfEllipsoid(2.5, 2.0, 8);
    expect(Math.abs(v - exact) / exact).toBeLessThan(0.01);
  });

  it('biplane uses the longer long axis', () => {
    const a = axis(halfEllipse(2, 8));
    const b = axis(halfEllipse(2, 7));
    const sum = a.diametersCm.reduce((s, d, i) => s + d * b.diametersCm[i]!, 0);
    expect(discVolume(a, b)).toBeCloseTo((Math.PI / 4) * sum * (8 / DISCS), 9);
  });
});

describe('lvVolumes', () => {
  const ed = { a4c: axis(halfEllipse(2.5, 8)), a2c: axis(halfEllipse(2.2, 8)) };
  const es = { a4c: axis(halfEllipse(1.7, 7)), a2c: axis(halfEllipse(1.5, 7)) };

  it('EDV, ESV, SV and EF of the phantom geometry (biplane)', () => {
    const r = lvVolumes(ed, es)!;
    const edv = halfEllipsoid(2.5, 2.2, 8);
    const esv = halfEllipsoid(1.7, 1.5, 7);
    expect(r.method).toBe('biplane');
    expect(r.edvMl).toBeCloseTo(edv, 0);
    expect(r.esvMl).toBeCloseTo(esv, 0);
    expect(r.svMl).toBeCloseTo(r.edvMl - r.esvMl, 9);
    expect(Math.abs(r.efPercent - ((edv - esv) / edv) * 100)).toBeLessThan(0.5);
    expect(r.axisMismatch).toBe(false);
  });

  it('monoplane when a view is missing in one phase; nothing without both phases', () => {
    const r = lvVolumes(ed, { a4c: es.a4c })!;
    expect(r.method).toBe('monoplane');
    expect(r.edvMl).toBeCloseTo(halfEllipsoid(2.5, 2.5, 8), 0);
    expect(lvVolumes(ed, {})).toBeUndefined();
  });

  it('flags long axes differing by more than 10 % (foreshortening)', () => {
    expect(lvVolumes({ a4c: ed.a4c, a2c: axis(halfEllipse(2.2, 6.5)) }, es)!.axisMismatch).toBe(true);
  });
});
