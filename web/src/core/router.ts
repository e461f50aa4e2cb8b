// Client-side routes: / and /studies (study list), /viewer/{StudyInstanceUID},
// /report/{StudyInstanceUID}[?id=reportId] (report editor).
// History API; the server answers index.html for these paths.

export type Route =
  | { page: 'studies'; query: URLSearchParams }
  | { page: 'viewer'; studyUid: string }
  | { page: 'report'; studyUid: string; reportId: string | null }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search: string): Route {
  if (pathname === '/' || pathname === '/studies' || pathname === '/studies/') return { page: 'studies', query: new URLSearchParams(search) };
  const viewer = /^\/viewer\/([^/]+)\/?$/.exec(pathname);
  if (viewer?.[1]) return { page: 'viewer', studyUid: decodeURIComponent(viewer[1]) };
  const report = /^\/report\/([^/]+)\/?$/.exec(pathname);
  if (report?.[1]) return { page: 'report', studyUid: decodeURIComponent(report[1]), reportId: new URLSearchParams(search).get('id') };
  return { page: 'not-found', path: pathname };
}

export function navigate(url: string): void {
  history.pushState(null, '', url);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export function viewerUrl(studyUid: string): string {
  return `/viewer/${encodeURIComponent(studyUid)}`;
}

export function reportUrl(studyUid: string, reportId?: string): string {
  return `/report/${encodeURIComponent(studyUid)}${reportId ? `?id=${encodeURIComponent(reportId)}` : ''}`;
}
