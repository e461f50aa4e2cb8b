import { describe, expect, it } from 'vitest';
import { MultipartReader } from './multipart-reader';

const enc = new TextEncoder();
const bodies = [new Uint8Array([0xff, 0xd8, 1, 2, 3, 0x0d, 0x0a, 0x2d, 0x2d, 0xff, 0xd9]), new Uint8Array(70_000).map((_, i) => (i * 31) & 0xff), new Uint8Array([])];

function message(boundary: string, close = true): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const b of bodies) chunks.push(enc.encode(`--${boundary}\r\nContent-Type: image/jpeg\r\n\r\n`), b, enc.encode('\r\n'));
  if (close) chunks.push(enc.encode(`--${boundary}--\r\n`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function readAll(bytes: Uint8Array, boundary: string, chunkSize: number) {
  const reader = new MultipartReader(boundary);
  const parts = [];
  for (let i = 0; i < bytes.length; i += chunkSize) parts.push(...reader.push(bytes.subarray(i, i + chunkSize)));
  return parts;
}

describe('MultipartReader', () => {
  it.each([1, 7, 4096, 1 << 20])('gives every part whole, in order, whatever the chunk size (%i bytes)', (size) => {
    const parts = readAll(message('systole-abc-1'), 'systole-abc-1', size);
    expect(parts.map((p) => p.type)).toEqual(['image/jpeg', 'image/jpeg', 'image/jpeg']);
    parts.forEach((p, i) => expect(Array.from(p.body)).toEqual(Array.from(bodies[i]!)));
  });

  it('keeps a body that contains CRLF and dashes but not the delimiter', () => {
    const parts = readAll(message('b'.repeat(40)), 'b'.repeat(40), 3);
    expect(parts[0]!.body.length).toBe(bodies[0]!.length);
  });

  it('gives the complete parts of a stream cut short, and nothing for the unfinished one', () => {
    const whole = message('cut', false);
    const cut = whole.subarray(0, whole.length - 2); // the third part's body, without its end
    const parts = readAll(cut, 'cut', 1000);
    expect(parts.length).toBe(2); // the third part's end delimiter never came
    parts.forEach((p, i) => expect(Array.from(p.body)).toEqual(Array.from(bodies[i]!)));
  });
});
