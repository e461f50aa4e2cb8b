import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchActiveBreakGlass } from './break-glass-banner';

function answer(status: number, body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

describe('fetchActiveBreakGlass', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('keeps only active emergency accesses', async () => {
    const fetchMock = answer(200, {
      active: 1,
      items: [
        { id: 2, user: 'smith', study: '1.2.3', reason: 'collapsed in clinic', expires_at: 2, active: true },
        { id: 1, user: 'jones', patient: 'P1', reason: 'old emergency here', expires_at: 1, active: false },
      ],
    });
    vi.stubGlobal('fetch', fetchMock);
    const items = await fetchActiveBreakGlass();
    expect(items.map((i) => i.user)).toEqual(['smith']);
    expect(fetchMock).toHaveBeenCalledWith('/api/audit/break-glass', expect.anything());
  });

  it('shows nothing to users who may not read the audit trail', async () => {
    vi.stubGlobal('fetch', answer(403, { error: { status: 403, message: 'role referring lacks the permission audit.read' } }));
    expect(await fetchActiveBreakGlass()).toEqual([]);
  });
});
