// JPEG frames decoded in the decode workers by libjpeg-turbo built for WebAssembly (Cornerstone's
// codec package, the decoder OHIF uses for JPEG baseline DICOM), as RGBA pixels.
// Why not createImageBitmap: in headless Chromium on 2 cores (software rendering), one 975×743
// baseline frame costs 25 ms through createImageBitmap(blob), and createImageBitmap of the same
// pixels already decoded costs as much — the bitmap's creation, not the decode, is the cost. Here:
// 8.5 ms to decode and 2.4 ms to RGBA; the cell puts the pixels into a canvas when the frame is
// shown (putImageData + drawImage 2.5 ms, against 1.9 ms for drawing a bitmap).

import type { JPEGDecoder } from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
import wasmUrl from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm?url';
import type { RawFrame } from './decoded-frame';

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

// The frame's pixels, written into `into` when it has their size (a spare buffer: fresh memory
// is slow to touch — 4 ms per MB in the VMs we measure on, as much as the decode); rejects what
// libjpeg-turbo refuses (the caller falls back to the browser).
export async function decodeJpeg(bytes: Uint8Array, into?: ArrayBuffer): Promise<RawFrame> {
  if (!littleEndian) throw new Error('big-endian platform');
  const d = await jpegDecoder();
  d.getEncodedBuffer(bytes.length).set(bytes);
  d.decode();
  const { width, height, componentCount, bitsPerSample } = d.getFrameInfo();
  if (bitsPerSample !== 8 || (componentCount !== 1 && componentCount !== 3)) throw new Error(`JPEG with ${componentCount}×${bitsPerSample} bits`);
  const pixels = width * height;
  const out = new Uint32Array(into && into.byteLength === pixels * 4 ? into : new ArrayBuffer(pixels * 4));
  toRgba(d.getDecodedBuffer(), out, componentCount);
  return { width, height, rgba: out.buffer };
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
