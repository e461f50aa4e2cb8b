import { describe, expect, it } from 'vitest';
import { windowPasses, type BlendPass } from './window-passes';

// The blend modes of the Compositing and Blending spec on an opaque 8-bit canvas
// (cb: the canvas, cs: the fill's grey, both 0..1), rounded to 8 bits after each pass.
function blend(op: string, cb: number, cs: number): number {
  switch (op) {
    case 'source-over': return cs;
    case 'color-dodge': return cb === 0 ? 0 : cs === 1 ? 1 : Math.min(1, cb / (1 - cs));
    case 'color-burn': return cb === 1 ? 1 : cs === 0 ? 0 : 1 - Math.min(1, (1 - cb) / cs);
    case 'multiply': return cb * cs;
    case 'lighter': return Math.min(1, cb + cs);
    case 'difference': return Math.abs(cb - cs);
    default: throw new Error(`unexpected blend mode ${op}`);
  }
}
const apply = (passes: BlendPass[], v: number) =>
  passes.reduce((x, p) => Math.round(blend(p.op, x / 255, p.grey / 255) * 255), v);

const exact = (v: number, c: number, w: number, invert: boolean) => {
  const out = Math.min(1, Math.max(0, (v - (c - w / 2)) / w)) * 255;
  return invert ? 255 - out : out;
};

describe('windowPasses', () => {
  it('draws nothing for the stored window and one difference pass to invert it', () => {
    expect(windowPasses(127.5, 255, false)).toEqual([]);
    expect(windowPasses(127.5, 255, true)).toEqual([{ op: 'difference', grey: 255 }]);
  });

  it('shows every value as the exact window of a value within 1 of it, to 3 grey levels (8-bit greys and canvas)', () => {
    let worst = 0;
    for (let w = 2; w <= 1024; w += w < 40 ? 1 : 7) {
      for (let c = -128; c <= 383; c += 2.5) {
        for (const invert of [false, true]) {
          const passes = windowPasses(c, w, invert);
          expect(passes.length).toBeLessThanOrEqual(4);
          for (let v = 0; v <= 255; v++) {
            const got = apply(passes, v);
            const a = exact(v - 1, c, w, invert);
            const b = exact(v + 1, c, w, invert);
            const miss = Math.max(0, Math.min(a, b) - 3 - got, got - Math.max(a, b) - 3);
            worst = Math.max(worst, miss);
            if (miss > 0) throw new Error(`c=${c} w=${w} invert=${invert} v=${v}: ${got}, expected ${a.toFixed(1)}..${b.toFixed(1)}`);
          }
        }
      }
    }
    expect(worst).toBe(0);
  }, 60_000); // a sweep of 19 million values: 3.2 s alone, 5.7 s beside the other tests on 2 cores (the default 5 s failed)

  it('fills one grey when the whole range lies on one side of the window', () => {
    expect(windowPasses(-120, 4, false)).toEqual([{ op: 'source-over', grey: 255 }]);
    expect(windowPasses(380, 4, true)).toEqual([{ op: 'source-over', grey: 255 }]);
    expect(windowPasses(380, 4, false)).toEqual([{ op: 'source-over', grey: 0 }]);
  });
});
