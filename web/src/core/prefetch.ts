// Requests started before the app renders (see boot/boot.ts), handed once to the first caller
// asking for the same URL and Accept; every later call fetches anew. A prefetch that failed is
// fetched again by its caller, so a wrong guess costs one request and nothing else.

const pending = new Map<string, Promise<Response>>();

const key = (url: string, accept: string) => `${accept} ${url}`;

export function prefetch(url: string, accept: string): Promise<Response> {
  const k = key(url, accept);
  let early = pending.get(k);
  if (!early) {
    early = fetch(url, { headers: { Accept: accept } });
    pending.set(k, early);
  }
  return early;
}

export function fetchOnce(url: string, accept: string): Promise<Response> {
  const k = key(url, accept);
  const early = pending.get(k);
  if (!early) return fetch(url, { headers: { Accept: accept } });
  pending.delete(k);
  return early.catch(() => fetch(url, { headers: { Accept: accept } }));
}
