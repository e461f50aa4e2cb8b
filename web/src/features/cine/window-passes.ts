// Window/level and inversion drawn into the cell's canvas: after a frame is drawn, one to four
// fills of the image's rectangle with a grey and a separable blend mode turn every channel's
// rendered value v (0..255) into clamp((v - (c - w/2)) / w) (then 1 - that when inverted):
//   colour-dodge with grey k: v / (1 - k), clamped at 1   — brings the window's top to 1
//   multiply with grey k:     v * k                        — when the top lies above 255
//   colour-burn with grey k:  1 - (1 - v) / k, clamped at 0 — brings the window's bottom to 0
//   lighter with grey k:      v + k                        — when the bottom lies below 0
//   difference with white:    1 - v                        — inversion
// Raster fills cost next to nothing in software rendering, where the CSS filter on the canvas
// they replace held playback at 17 frames/s on a 1066×812 image (headless Chromium, no GPU).
// Greys are 8-bit, so each value shown is the exact window of a value within 1 of it, to 3 grey
// levels (window-passes.test.ts checks every window and value).

export interface BlendPass {
  op: GlobalCompositeOperation;
  grey: number; // 0..255
}

const grey = (x: number) => Math.min(255, Math.max(0, Math.round(x * 255)));

export function windowPasses(center: number, width: number, invert: boolean): BlendPass[] {
  const lo = (center - width / 2) / 255;
  const hi = (center + width / 2) / 255;
  const inverted = (passes: BlendPass[]) => (invert ? [...passes, { op: 'difference', grey: 255 } as BlendPass] : passes);
  if (hi <= 0) return [{ op: 'source-over', grey: invert ? 0 : 255 }]; // every value above the window
  if (lo >= 1) return [{ op: 'source-over', grey: invert ? 255 : 0 }]; // every value below it
  if (Math.abs(lo) < 1e-9 && Math.abs(hi - 1) < 1e-9) return inverted([]);
  const passes: BlendPass[] = [];
  let top = 1; // where the window's top landed after the first pass (8-bit grey)
  if (hi < 1) {
    const k = Math.min(254, grey(1 - hi)); // the top stays at least one grey up
    if (k > 0) passes.push({ op: 'color-dodge', grey: k });
    top = 1 - k / 255;
  } else if (hi > 1) {
    const k = Math.max(1, grey(1 / hi));
    passes.push({ op: 'multiply', grey: k });
    top = 255 / k;
  }
  const bottom = lo / top; // the window's bottom on the values the first pass left
  if (bottom > 0) {
    passes.push({ op: 'color-burn', grey: Math.max(1, grey(1 - bottom)) });
  } else if (bottom < 0) {
    const scale = 1 / (1 - bottom);
    passes.push({ op: 'multiply', grey: grey(scale) }, { op: 'lighter', grey: grey(-bottom * scale) });
  }
  return inverted(passes);
}

// The passes over the rectangle just drawn (the canvas's blend state is restored).
export function drawPasses(ctx: CanvasRenderingContext2D, passes: BlendPass[], x: number, y: number, w: number, h: number): void {
  if (passes.length === 0) return;
  for (const { op, grey: g } of passes) {
    ctx.globalCompositeOperation = op;
    ctx.fillStyle = `rgb(${g},${g},${g})`;
    ctx.fillRect(x, y, w, h);
  }
  ctx.globalCompositeOperation = 'source-over';
}
