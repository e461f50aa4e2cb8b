import { describe, expect, it } from 'vitest';
import { decodeSize } from './cine-cell';

describe('decodeSize', () => {
  it('decodes a loop shown at 3/4 of its size or more as acquired', () => {
    expect(decodeSize(975, 743, 1250, 800, 1)).toBeUndefined(); // 1×1: upscaled
    expect(decodeSize(480, 430, 620, 330, 1)).toBeUndefined(); // scale 0.767
  });
  it('decodes a loop shown smaller at the size it is shown', () => {
    expect(decodeSize(975, 743, 417, 270, 1)).toEqual({ width: 355, height: 270 }); // 3×3 cell
    expect(decodeSize(975, 743, 417, 270, 2)).toEqual({ width: 709, height: 540 }); // zoomed ×2: 0.727
    expect(decodeSize(975, 743, 417, 270, 2.1)).toBeUndefined();
  });
  it('decodes as acquired when the canvas has no size yet or the image none', () => {
    expect(decodeSize(975, 743, 0, 0, 1)).toBeUndefined();
    expect(decodeSize(0, 0, 400, 300, 1)).toBeUndefined();
  });
});
