// Loaded by index.html ahead of the app (its own small entry, /boot.js): it asks who is signed
// in (the app's first question) and, on a viewer URL, it
// starts the study's metadata request and the frame decode workers, one of which fetches the
// first frame of the loop the viewer shows first and decodes it — while the app's bundle is
// still loading, and off the main thread. The app takes the metadata through core/prefetch and
// the frame through the pool (the worker reads the metadata once more for its choice).

import { DICOM_JSON, DicomWebClient } from '../core/dicomweb';
import { prefetch } from '../core/prefetch';
import { parseRoute } from '../core/router';
import { ME_URL } from '../core/session-api';
import { decoderPool } from '../features/cine/decoder-pool';
import { renderedFormat } from '../features/cine/view-options';

void prefetch(ME_URL, 'application/json'); // the app's first question, on every page
// A viewer URL's first image (server/viewer_page.h) goes if it fails (not signed in, no image): the
// app says why.
const poster = document.getElementById('boot-poster');
if (poster instanceof HTMLImageElement) {
  if (poster.complete && poster.naturalWidth === 0) poster.remove();
  else poster.addEventListener('error', () => poster.remove());
}
const route = parseRoute(location.pathname, location.search);
if (route.page === 'viewer')
  decoderPool({ metadataUrl: new DicomWebClient().studyMetadataUrl(route.studyUid), accept: DICOM_JSON, frameAccept: renderedFormat() });
