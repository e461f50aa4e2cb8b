// The browser session: who is signed in (from /api/auth/me), the sign-in
// form shown when nobody is, and the top bar's account control with "Sign out".
import { createContext } from 'preact';
import { useContext, useState } from 'preact/hooks';
import { signIn, signOut, type Me } from '../../core/session-api';

export const SessionContext = createContext<Me | null>(null);

// `ended`: the session of the open page ended; the form lies over the page, and `onSignedIn`
// (not a reload) follows a successful sign-in.
export function SignInPage({ ended = false, onSignedIn }: { ended?: boolean; onSignedIn?: () => Promise<void> } = {}) {
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      await signIn(user.trim(), password);
      if (onSignedIn) await onSignedIn();
      else location.reload();
    } catch (err) {
      setError((err as Error).message);
      setPassword('');
      setBusy(false);
    }
  };
  return (
    <main class={ended ? 'sign-in sign-in-over' : 'page sign-in'} data-testid={ended ? 'session-ended' : undefined}>
      <form class="sign-in-form" onSubmit={onSubmit} aria-label="Sign in">
        <h1>Systole</h1>
        <p class="muted">
          {ended ? 'Your session has ended. Sign in again to carry on: this page stays as it is.' : 'Sign in to see studies and reports.'}
        </p>
        <label>
          <span>User</span>
          <input name="user" autoComplete="username" required value={user}
                 onInput={(e) => setUser((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required value={password}
                 onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && (
          <p class="error" role="alert" data-testid="sign-in-error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}

// "user (role) · Sign out" at the end of a page's top bar; nothing for the loopback demo user or
// --no-auth (nobody signed in, nothing to sign out of).
export function SessionControl() {
  const me = useContext(SessionContext);
  const [error, setError] = useState('');
  if (!me || !me.user || me.demo) return null;
  const onSignOut = async () => {
    try {
      await signOut();
      location.assign('/');
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <div class="session-control" data-testid="session-control">
      <span class="muted">
        {me.user} <small>({me.role})</small>
      </span>
      <button onClick={onSignOut}>Sign out</button>
      {error && <span class="error">{error}</span>}
    </div>
  );
}
