import { useEffect, useMemo, useState } from 'preact/hooks';
import { DicomWebClient } from './core/dicomweb';
import { parseRoute, type Route } from './core/router';
import { StudyListPage } from './pages/study-list-page';
import { ReportPage } from './pages/report-page';
import { ViewerPage } from './pages/viewer-page';
import { fetchMe, type Me } from './core/session-api';
import { sessionRestored, watchSession } from './core/session-watch';
import { SessionContext, SignInPage } from './features/session/session';
import { dropBootPoster } from './features/cine/boot-poster';

// undefined: still asking the server; null: nobody signed in (the sign-in form). A session that
// ends while a page is open brings the form up over the page (core/session-watch), which stays.
export function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [failure, setFailure] = useState('');
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    fetchMe().then(setMe, (err: Error) => setFailure(err.message));
  }, []);
  useEffect(() => (me?.user && !me.demo ? watchSession(() => setEnded(true)) : undefined), [me]);
  useEffect(() => {
    if (me === null || failure) dropBootPoster(); // a viewer URL's first image, over the sign-in form
  }, [me, failure]);
  if (failure) return <p class="error">{failure}</p>;
  if (me === undefined) return null;
  if (me === null) return <SignInPage />;
  // Signed in again: the same user carries on where they were; anybody else starts afresh.
  const onSignedIn = async () => {
    const again = await fetchMe().catch(() => null);
    if (again?.user === me.user) {
      setEnded(false);
      sessionRestored();
    } else location.reload();
  };
  return (
    <SessionContext.Provider value={me}>
      <Pages />
      {ended && <SignInPage ended onSignedIn={onSignedIn} />}
    </SessionContext.Provider>
  );
}

function Pages() {
  const client = useMemo(() => new DicomWebClient(), []);
  const [route, setRoute] = useState<Route>(() => parseRoute(location.pathname, location.search));
  useEffect(() => {
    const onPop = () => setRoute(parseRoute(location.pathname, location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  switch (route.page) {
    case 'studies':
      return <StudyListPage client={client} initialQuery={route.query} />;
    case 'viewer':
      return <ViewerPage key={route.studyUid} client={client} studyUid={route.studyUid} />;
    case 'report':
      return <ReportPage key={route.studyUid + (route.reportId ?? '')} client={client} studyUid={route.studyUid} reportId={route.reportId} />;
    default:
      return (
        <main class="page">
          <h1>Not found</h1>
          <p>
            No page at <code>{route.path}</code>. <a href="/">Study list</a>
          </p>
        </main>
      );
  }
}
