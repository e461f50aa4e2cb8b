// Client of Systole's sign-in API (/api/auth/me, /api/auth/login,
// /api/auth/logout), same origin; the session is the HttpOnly cookie the
// server sets, so nothing here stores a token.
import { fetchOnce } from './prefetch';
import { serverMessage } from './server-message';

export interface Me {
  user: string;
  role: string;
  demo: boolean;
  permissions?: string[]; // of the role (config/permissions.json)
}

// Whether the signed-in role holds a permission: the UI offers only what the server would allow
// (the server checks every request regardless). Nobody signed in under --no-auth: everything.
export function can(me: Me | null, permission: string): boolean {
  if (!me || me.role === '' || !me.permissions) return true;
  return me.permissions.includes(permission);
}

export const ME_URL = '/api/auth/me';

// The signed-in user, or null when the server answers 401 (nobody signed in). boot.ts asks early
// on every page: the app waits for this answer before it shows anything.
export async function fetchMe(): Promise<Me | null> {
  const r = await fetchOnce(ME_URL, 'application/json');
  if (r.status === 401) return null;
  if (!r.ok) throw new Error(`who am I: HTTP ${r.status}`);
  return (await r.json()) as Me;
}

// Signs in (the server sets the session cookie); throws an Error with the server's reason.
export async function signIn(user: string, password: string): Promise<void> {
  const r = await fetch('/api/auth/login', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ user, password }),
  });
  if (!r.ok) throw new Error(await serverMessage(r));
}

export async function signOut(): Promise<void> {
  const r = await fetch('/api/auth/logout', { method: 'POST', credentials: 'same-origin' });
  if (!r.ok && r.status !== 401) throw new Error(await serverMessage(r));
}
