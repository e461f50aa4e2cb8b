import { describe, expect, it } from 'vitest';
import type { DecoderPool } from './decoder-pool';
import type { DecodeReply, DecodeRequest } from './frame-decoder.worker';
import { FrameLoader } from './frame-loader';

// A pool answering each single-frame request with `answer(url)`: a "bitmap" or an error status.
function fakePool(answer: (url: string) => number | 'ok') {
  const sent: string[] = [];
  const bitmap = () => ({ close() {} }) as unknown as ImageBitmap;
  let id = 0;
  const pool = {
    take: async () => null,
    decode: async (url: string) => {
      sent.push(url);
      const a = answer(url);
      if (a === 'ok') return bitmap();
      throw Object.assign(new Error(`HTTP ${a}`), { status: a });
    },
    send: (request: Omit<DecodeRequest, 'id'>, handler: (r: DecodeReply) => void) => {
      const n = ++id;
      sent.push(request.url);
      const a = answer(request.url);
      queueMicrotask(() => handler(a === 'ok' ? { id: n, part: 0, bitmap: bitmap() } : { id: n, error: `HTTP ${a}`, status: a }));
      return n;
    },
    forget: () => {},
  } as unknown as DecoderPool;
  return { pool, sent };
}

const settle = () => new Promise((r) => setTimeout(r, 0));
const source = { frameCount: 3, url: (f: number) => `/f/${f + 1}`, accept: 'image/jpeg' };

describe('FrameLoader', () => {
  it('holds frames refused 401 (session ended) and asks again once the session is back, none reported failed', async () => {
    let signedIn = false;
    const { pool, sent } = fakePool(() => (signedIn ? 'ok' : 401));
    let restored: () => void = () => {};
    const loader = new FrameLoader(pool, 6, (l) => ((restored = l), () => {}));
    const loop = loader.load(source);
    await settle();
    await settle();
    expect(loop.decodedCount).toBe(0);
    expect(loop.failedCount).toBe(0); // not "HTTP 401" in the cell: waiting for a sign-in
    const asked = sent.length;
    signedIn = true;
    restored();
    await settle();
    await settle();
    expect(loop.complete).toBe(true);
    expect(sent.length).toBeGreaterThan(asked);
  });

  it('reports a frame the server refuses otherwise, after two retries', async () => {
    const { pool, sent } = fakePool((url) => (url === '/f/2' ? 500 : 'ok'));
    const loader = new FrameLoader(pool, 6, () => () => {});
    const loop = loader.load(source);
    for (let i = 0; i < 6; i++) await settle();
    expect(loop.decodedCount).toBe(2);
    expect(loop.errors[1]).toBe('HTTP 500');
    expect(sent.filter((u) => u === '/f/2').length).toBe(3);
  });
});
