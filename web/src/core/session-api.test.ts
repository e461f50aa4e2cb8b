import { describe, expect, it } from 'vitest';
import { can } from './session-api';

describe('can', () => {
  it("offers an action only when the signed-in role holds the permission", () => {
    const referring = { user: 'ref', role: 'referring', demo: false, permissions: ['read'] };
    expect(can(referring, 'read')).toBe(true);
    expect(can(referring, 'measure')).toBe(false);
    const share = { user: 'share:1', role: 'share', demo: false, permissions: ['read'] };
    expect(can(share, 'measure')).toBe(false);
  });

  it('offers everything when nobody is signed in under --no-auth, or to an older server without the list', () => {
    expect(can({ user: '', role: '', demo: false, permissions: [] }, 'measure')).toBe(true);
    expect(can({ user: 'demo', role: 'admin', demo: true }, 'measure')).toBe(true);
    expect(can(null, 'measure')).toBe(true);
  });
});
