import { describe, expect, it } from 'vitest';
import type { DecoderPool } from './decoder-pool';
import type { DecodeRequest } from './frame-decoder.worker';
import type { PoolReply } from './decoder-pool';
import { FrameLoader } from './frame-loader';

// A pool answering each single-frame request with `answer(url)`: a "bitmap" (with its bytes when
// asked for) or an error status; decodeBytes gives a "bitmap" for the bytes, noting the spare buffer.
function fakePool(answer: (url: string) => number | 'ok') {
  const sent: string[] = [];
  const decodedBytes: { type: string; into?: ArrayBuffer; width?: number }[] = [];
  const bitmap = () => ({ close() {} }) as unknown as ImageBitmap;
  const bytes = (url: string) => ({ data: new ArrayBuffer(4), type: `image/jpeg; ${url}` });
  let id = 0;
  const pool = {
    take: async () => null,
    fetchFrame: async (url: string, _accept: string, _size: unknown, keepEncoded: boolean) => {
      sent.push(url);
      const a = answer(url);
      if (a === 'ok') return { frame: bitmap(), ...(keepEncoded ? { encoded: bytes(url) } : {}) };
      throw Object.assign(new Error(`HTTP ${a}`), { status: a });
    },
    decodeBytes: async (encoded: { type: string }, into?: ArrayBuffer, size?: { width: number }) => {
      decodedBytes.push({ type: encoded.type, ...(into ? { into } : {}), ...(size ? { width: size.width } : {}) });
      return new FakeImageData(into ?? new ArrayBuffer(16));
    },
    send: (request: Omit<DecodeRequest, 'id'>, handler: (r: PoolReply) => void) => {
      const n = ++id;
      sent.push(request.url);
      const a = answer(request.url);
      const ok = request.keepEncoded ? { encoded: bytes(request.url) } : { frame: bitmap() };
      queueMicrotask(() => handler(a === 'ok' ? { id: n, part: 0, ...ok } : { id: n, error: `HTTP ${a}`, status: a }));
      return n;
    },
    forget: () => {},
  } as unknown as DecoderPool;
  return { pool, sent, decodedBytes };
}

// Decoded pixels as the loop sees them (no ImageData in node): `data` with its buffer.
class FakeImageData {
  readonly data: Uint8ClampedArray;
  constructor(buffer: ArrayBuffer) {
    this.data = new Uint8ClampedArray(buffer);
  }
}

const settle = async (n = 2) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 0));
};
const jpeg = {
  frameCount: 3,
  url: (f: number, size?: { width: number; height: number }) => `/f/${f + 1}${size ? `?viewport=${size.width},${size.height}` : ''}`,
  accept: 'image/jpeg',
};
const png = { ...jpeg, accept: 'image/png' };

describe.each([
  ['decoded up front (PNG)', png],
  ['decoded just in time (JPEG)', jpeg],
])('FrameLoader, %s', (_name, source) => {
  it('holds frames refused 401 (session ended) and asks again once the session is back, none reported failed', async () => {
    let signedIn = false;
    const { pool, sent } = fakePool(() => (signedIn ? 'ok' : 401));
    let restored: () => void = () => {};
    const loader = new FrameLoader(pool, 6, (l) => ((restored = l), () => {}));
    const loop = loader.load(source);
    await settle();
    expect(loop.availableCount).toBe(0);
    expect(loop.failedCount).toBe(0); // not "HTTP 401" in the cell: waiting for a sign-in
    const asked = sent.length;
    signedIn = true;
    restored();
    await settle();
    expect(loop.complete).toBe(true);
    expect(sent.length).toBeGreaterThan(asked);
  });

  it('reports a frame the server refuses otherwise, after two retries', async () => {
    const { pool, sent } = fakePool((url) => (url === '/f/2' ? 500 : 'ok'));
    const loader = new FrameLoader(pool, 6, () => () => {});
    const loop = loader.load(source);
    await settle(12);
    expect(loop.availableCount).toBe(2);
    expect(loop.errors[1]).toBe('HTTP 500');
    expect(sent.filter((u) => u === '/f/2').length).toBe(3);
  });
});

describe('LoopFrames decoded just in time', () => {
  it('keeps every frame as bytes, decodes only the frames wanted, most urgent first, reusing the pixel buffers it lets go', async () => {
    const { pool, decodedBytes } = fakePool(() => 'ok');
    const loader = new FrameLoader(pool, 6, () => () => {});
    const loop = loader.load({ ...jpeg, frameCount: 6 });
    let readyAt = -1;
    loop.onComplete = () => (readyAt = decodedBytes.length);
    await settle(8);
    expect(loop.complete).toBe(true); // playable: every frame's bytes are here
    expect(readyAt).toBeGreaterThanOrEqual(0);
    expect(loop.encoded!.every(Boolean)).toBe(true);
    expect(loop.decoded.filter(Boolean).length).toBe(1); // frame 1, decoded with its fetch

    loop.want([2, 3, 0]);
    await settle(6);
    expect(decodedBytes.map((d) => d.type)).toEqual(['image/jpeg; /f/3', 'image/jpeg; /f/4']);
    expect([0, 2, 3].every((f) => loop.isDecoded(f))).toBe(true);

    const spares = [loop.decoded[2], loop.decoded[3]].map((d) => (d as unknown as FakeImageData).data.buffer);
    loop.want([4, 5]); // playback moved on: 0, 2 and 3 are let go and their buffers reused
    await settle(6);
    expect([0, 2, 3].some((f) => loop.isDecoded(f))).toBe(false);
    expect([4, 5].every((f) => loop.isDecoded(f))).toBe(true);
    const reused = decodedBytes.slice(2).map((d) => d.into);
    expect(reused.length).toBe(2);
    expect(reused.every((b) => b !== undefined && spares.includes(b))).toBe(true);
  });

  it('hands a decoded frame over (a cell shows the bitmap itself) and decodes it again from its bytes while wanted', async () => {
    const { pool, decodedBytes } = fakePool(() => 'ok');
    const loader = new FrameLoader(pool, 6, () => () => {});
    const loop = loader.load({ ...jpeg, frameCount: 4 });
    await settle(8);
    const first = loop.decoded[0];
    expect(first).toBeDefined();
    expect(loop.handOver(0)).toBe(first);
    expect(loop.isDecoded(0)).toBe(false);
    expect(loop.handOver(0)).toBeUndefined(); // handed over once
    await settle(6);
    expect(decodedBytes.map((d) => d.type)).toEqual(['image/jpeg; /f/1']); // frame 0 is still wanted
    expect(loop.isDecoded(0)).toBe(true);
    expect(loop.decoded[0]).not.toBe(first);
  });

  it('lets go of a decode that arrives after its frame is no longer wanted', async () => {
    const { pool } = fakePool(() => 'ok');
    const loader = new FrameLoader(pool, 6, () => () => {});
    const loop = loader.load({ ...jpeg, frameCount: 4 });
    await settle(8);
    loop.want([1, 2]);
    loop.want([3]); // before 1 and 2 come back
    await settle(6);
    expect(loop.isDecoded(1) || loop.isDecoded(2)).toBe(false);
    expect(loop.isDecoded(3)).toBe(true);
  });
});

describe('LoopFrames decoded up front', () => {
  it('keeps its frames: none handed over', async () => {
    const { pool } = fakePool(() => 'ok');
    const loop = new FrameLoader(pool, 6, () => () => {}).load(png);
    await settle(8);
    expect(loop.isDecoded(0)).toBe(true);
    expect(loop.handOver(0)).toBeUndefined();
    expect(loop.isDecoded(0)).toBe(true);
  });
});

describe('LoopFrames of a JPEG loop shown smaller than acquired', () => {
  it('fetches its frames scaled by the server to the size shown, decodes each once and keeps them; a full-size load fetches the frames as acquired', async () => {
    const { pool, sent, decodedBytes } = fakePool(() => 'ok');
    const loader = new FrameLoader(pool, 6, () => () => {});
    const small = loader.load({ ...jpeg, frameCount: 5, size: { width: 40, height: 30 } });
    let completeAt = -1;
    small.onComplete = () => (completeAt = small.decoded.filter(Boolean).length);
    await settle(12);
    expect(small.complete).toBe(true);
    expect(completeAt).toBe(5); // complete means decoded, every frame
    expect(sent).toEqual([1, 2, 3, 4, 5].map((n) => `/f/${n}?viewport=40,30`));
    expect(decodedBytes.map((d) => [d.type, d.width])).toEqual([2, 3, 4, 5].map((n) => [`image/jpeg; /f/${n}?viewport=40,30`, 40]));
    const full = loader.load({ ...jpeg, frameCount: 5 });
    await settle(12);
    expect(full.complete).toBe(true);
    expect(sent.slice(5)).toEqual([1, 2, 3, 4, 5].map((n) => `/f/${n}`));
    expect(full.isDecoded(0)).toBe(true);
  });
});
