// JPEG frames decoded in the decode workers by libjpeg-turbo built for WebAssembly (Cornerstone's
// codec package, the decoder OHIF uses for JPEG baseline DICOM), as RGBA pixels.
// Why not createImageBitmap: in headless Chromium on 2 cores (software rendering), one 975×743
// baseline frame costs 25 ms through createImageBitmap(blob), and createImageBitmap of the same
// pixels already decoded costs as much — the bitmap's fresh memory, not the decode, is the cost.
// Here: 4-9 ms to decode and 2-3 ms to RGBA into a reused buffer; the cell puts the pixels into a
// canvas when the frame is shown (putImageData + drawImage 2.5 ms, against 1.9 ms for a bitmap).

import type { JPEGDecoder } from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
import wasmUrl from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import type { RawFrame } from './decoded-frame';
import type { DecodeSize } from './frame-decoder.worker';

let decoder: Promise<JPEGDecoder> | undefined;
let ready = false;

// The worker's decoder, loaded and compiled on first use (its glue is loaded apart, so that
// a worker starts without it; a 300 kB module; start it early with warmUp()).
function jpegDecoder(): Promise<JPEGDecoder> {
  decoder ??= import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs').then(async ({ default: factory }) => {
    const m = await factory({ locateFile: () => wasmUrl });
    ready = true;
    return new m.JPEGDecoder();
  });
  return decoder;
}

export function warmUp(): void {
  void jpegDecoder().catch(() => undefined);
}

// Whether the decoder is compiled (until then, at a viewer's start, the browser decodes).
export function jpegReady(): boolean {
  return ready;
}

// Pixels are written four bytes at a time as one little-endian word (every platform browsers run on).
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// The frame's pixels — made smaller to `size` when given and smaller than the frame, else written
// into `into` when it has their size (a spare buffer: fresh memory is slow to touch, 4 ms per MB in
// the VMs we measure on, as much as the decode); rejects what libjpeg-turbo refuses (the caller
// falls back to the browser).
export async function decodeJpeg(bytes: Uint8Array, into?: ArrayBuffer, size?: DecodeSize): Promise<RawFrame> {
  if (!littleEndian) throw new Error('big-endian platform');
  const d = await jpegDecoder();
  d.getEncodedBuffer(bytes.length).set(bytes);
  d.decode();
  const { width, height, componentCount, bitsPerSample } = d.getFrameInfo();
  if (bitsPerSample !== 8 || (componentCount !== 1 && componentCount !== 3)) throw new Error(`JPEG with ${componentCount}×${bitsPerSample} bits`);
  if (size && (size.width < width || size.height < height)) return smaller(d.getDecodedBuffer(), width, height, componentCount, size);
  const out = new Uint32Array(into && into.byteLength === width * height * 4 ? into : new ArrayBuffer(width * height * 4));
  toRgba(d.getDecodedBuffer(), out, componentCount);
  return { width, height, rgba: out.buffer };
}

// The worker's canvases for making frames smaller: the decoded frame (reused) and the size shown.
let full: { ctx: OffscreenCanvasRenderingContext2D; pixels: Uint32Array; image: ImageData } | undefined;
let small: OffscreenCanvasRenderingContext2D | undefined;

// The frame drawn smaller by the canvas (mipmapped: no aliasing of the speckle; measured 6-8 ms
// for 975×743 to 430×328, where a box filter in JavaScript took 20 ms in Chromium's worker).
function smaller(src: Uint8Array, width: number, height: number, components: number, size: DecodeSize): RawFrame {
  if (!full || full.image.width !== width || full.image.height !== height) {
    const ctx = new OffscreenCanvas(width, height).getContext('2d');
    if (!ctx) throw new Error('no 2D canvas in this worker');
    const pixels = new Uint32Array(width * height);
    full = { ctx, pixels, image: new ImageData(new Uint8ClampedArray(pixels.buffer), width, height) };
  }
  toRgba(src, full.pixels, components);
  full.ctx.putImageData(full.image, 0, 0);
  const w = Math.min(width, size.width);
  const h = Math.min(height, size.height);
  if (!small || small.canvas.width < w || small.canvas.height < h) {
    const ctx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D canvas in this worker');
    small = ctx;
  }
  small.imageSmoothingQuality = 'medium';
  small.drawImage(full.ctx.canvas, 0, 0, w, h);
  return { width: w, height: h, rgba: small.getImageData(0, 0, w, h).data.buffer as ArrayBuffer };
}

// Interleaved 8-bit grey or RGB to opaque RGBA (one little-endian word per pixel).
export function toRgba(src: Uint8Array, out: Uint32Array, components: number): void {
  const pixels = out.length;
  if (src.length < pixels * components) throw new Error(`decoded ${src.length} bytes for ${pixels} pixels`);
  if (components === 3) {
    for (let i = 0, j = 0; i < pixels; i++, j += 3) out[i] = 0xff000000 | (src[j + 2]! << 16) | (src[j + 1]! << 8) | src[j]!;
  } else {
    for (let i = 0; i < pixels; i++) out[i] = 0xff000000 | (src[i]! * 0x010101);
  }
}
