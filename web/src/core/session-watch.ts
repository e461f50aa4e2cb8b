// Notices a session that ended while a page is open (idle or absolute expiry, signed out in
// another tab, an admin removed the user): /api/auth/me is asked again when the window gets
// the focus back, every minute, and at once when any API call is answered 401. On a 401 the
// app shows the sign-in form over the page, so whatever is on it (measurements not saved yet,
// a report being typed) is still there after signing in again.

import { ME_URL } from './session-api';

type Listener = () => void;
const listeners = new Set<Listener>();
const restoredListeners = new Set<Listener>();
let checking = false;

const PERIOD_MS = 60_000;

async function check(): Promise<void> {
  if (checking || listeners.size === 0) return;
  checking = true;
  try {
    const r = await fetch(ME_URL, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
    if (r.status === 401) for (const l of listeners) l();
  } catch {
    // offline: nothing to say about the session
  } finally {
    checking = false;
  }
}

// An API call was answered with `status`: a 401 makes the session checked now.
export function noteStatus(status: number): void {
  if (status === 401) void check();
}

// The same user signed in again over the page: what waited for a session may go on.
export function sessionRestored(): void {
  for (const l of restoredListeners) l();
}
export function onSessionRestored(listener: Listener): () => void {
  restoredListeners.add(listener);
  return () => restoredListeners.delete(listener);
}

// Calls `onEnded` whenever the session is found ended; returns the unsubscribe.
export function watchSession(onEnded: Listener): () => void {
  listeners.add(onEnded);
  const timer = window.setInterval(() => void check(), PERIOD_MS);
  const onFocus = () => void check();
  window.addEventListener('focus', onFocus);
  return () => {
    listeners.delete(onEnded);
    window.clearInterval(timer);
    window.removeEventListener('focus', onFocus);
  };
}
