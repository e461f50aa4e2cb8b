// Loaded by index.html ahead of the app (its own small entry, /boot.js): on a viewer URL it
// starts the study's metadata request and the frame decode workers, one of which fetches the
// first frame of the loop the viewer shows first and decodes it — while the app's bundle is
// still loading, and off the main thread. The app takes the metadata through core/prefetch and
// the frame through the pool (the worker reads the metadata once more for its choice).

import { DICOM_JSON, DicomWebClient } from '../core/dicomweb';
import { parseRoute } from '../core/router';
import { decoderPool } from '../features/cine/decoder-pool';
import { renderedFormat } from '../features/cine/rendered-format';

const route = parseRoute(location.pathname, location.search);
if (route.page === 'viewer')
  decoderPool().startViewer(new DicomWebClient().studyMetadataUrl(route.studyUid), DICOM_JSON, renderedFormat());
