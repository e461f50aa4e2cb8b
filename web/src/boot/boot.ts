// Loaded by index.html ahead of the app (its own small entry, /boot.js): on a viewer URL it
// starts the frame decode workers and the study's metadata request at once and, as soon as the
// metadata is in, the first frame of the loop the viewer shows first, decoded — while the app's bundle is still loading. The app
// takes both through core/prefetch (same URL, same Accept), so nothing is requested twice.

import { DICOM_JSON, DicomWebClient } from '../core/dicomweb';
import type { DicomJson } from '../core/dicom-json';
import { peekJson } from '../core/prefetch';
import { parseRoute } from '../core/router';
import { loopsOfStudy } from '../core/study-model';
import { decoderPool } from '../features/cine/decoder-pool';
import { renderedFormat } from '../features/cine/rendered-format';

const route = parseRoute(location.pathname, location.search);
if (route.page === 'viewer') {
  const client = new DicomWebClient();
  const pool = decoderPool(); // the workers start now, while the app loads
  peekJson<DicomJson[]>(client.studyMetadataUrl(route.studyUid), DICOM_JSON)
    .then((metadata) => {
      performance.mark('systole:boot-metadata');
      const first = loopsOfStudy(metadata ?? []).find((l) => !l.problem);
      if (first)
        pool.prefetch(
          client.renderedFrameUrl(first.studyInstanceUID, first.seriesInstanceUID, first.sopInstanceUID, 1),
          renderedFormat(),
        );
    })
    .catch(() => {}); // the app asks again and reports the problem
}
