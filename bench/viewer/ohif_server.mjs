// Serves OHIF's prebuilt dist/ (npm @ohif/app) for the viewer bench, and
// forwards /dicom-web/* to Orthanc's DICOMweb plugin on the same origin (no
// CORS pre-flights; Orthanc's plugin sends no CORS headers). Cross-origin
// isolation headers are set as OHIF's deployment docs ask, so that OHIF can
// use SharedArrayBuffer (its fastest decode path): the anchor runs at its best.
//
// Usage: node ohif_server.mjs DIST_DIR ORTHANC_HTTP_PORT [PORT=0]
// Prints "ohif: listening on PORT" when ready. app-config.js is generated here
// (one DICOMweb data source at /dicom-web, study list off, nothing else).
import { createServer, request as httpRequest } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const [dist, orthancPort, portArg = '0'] = process.argv.slice(2);
if (!dist || !orthancPort) {
  console.error('usage: ohif_server.mjs DIST_DIR ORTHANC_HTTP_PORT [PORT]');
  process.exit(2);
}

const APP_CONFIG = `window.config = {
  name: 'systole-viewer-bench',
  routerBasename: null,
  extensions: [],
  modes: [],
  customizationService: {},
  genericViewports: { enabled: false },
  showStudyList: true,
  strictZSpacingForVolumeViewport: true,
  groupEnabledModesFirst: true,
  experimentalStudyBrowserSort: false,
  allowMultiSelectExport: false,
  maxNumRequests: { interaction: 100, thumbnail: 5, prefetch: 25 },
  showErrorDetails: 'always',
  maxNumberOfWebWorkers: 3,
  showWarningMessageForCrossOrigin: false,
  showCPUFallbackMessage: false,
  showLoadingIndicator: true,
  investigationalUseDialog: { option: 'never' },
  defaultDataSourceName: 'orthanc',
  dataSources: [
    {
      namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
      sourceName: 'orthanc',
      configuration: {
        friendlyName: 'Orthanc DICOMweb (bench)',
        name: 'orthanc',
        wadoUriRoot: '/wado',
        qidoRoot: '/dicom-web',
        wadoRoot: '/dicom-web',
        qidoSupportsIncludeField: false,
        imageRendering: 'wadors',
        thumbnailRendering: 'wadors',
        enableStudyLazyLoad: true,
        supportsFuzzyMatching: false,
        supportsWildcard: true,
        dicomUploadEnabled: false,
        bulkDataURI: { enabled: true },
        omitQuotationForMultipartRequest: true,
      },
    },
  ],
};
`;

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.woff': 'font/woff', '.map': 'application/json',
};
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

function forward(req, res) {
  const upstream = httpRequest(
    { host: '127.0.0.1', port: Number(orthancPort), method: req.method, path: req.url, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, { ...up.headers, ...ISOLATION, 'Cross-Origin-Resource-Policy': 'same-origin' });
      up.pipe(res);
    },
  );
  upstream.on('error', (e) => {
    res.writeHead(502, { 'Content-Type': 'text/plain' });
    res.end(`orthanc: ${e.message}`);
  });
  req.pipe(upstream);
}

function serveFile(res, file, type) {
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': statSync(file).size, 'Cache-Control': 'no-cache', ...ISOLATION });
  createReadStream(file).pipe(res);
}

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (path.startsWith('/dicom-web/') || path.startsWith('/wado')) return forward(req, res);
  if (path === '/app-config.js') {
    res.writeHead(200, { 'Content-Type': 'text/javascript', 'Cache-Control': 'no-cache', ...ISOLATION });
    return res.end(APP_CONFIG);
  }
  if (path === '/sw.js' || path === '/init-service-worker.js') {
    // no service worker: every run starts cold, as on a first visit
    res.writeHead(200, { 'Content-Type': 'text/javascript', ...ISOLATION });
    return res.end('');
  }
  const file = normalize(join(dist, path));
  if (file.startsWith(normalize(dist)) && !path.endsWith('/')) {
    try {
      if (statSync(file).isFile()) return serveFile(res, file, TYPES[extname(file)] ?? 'application/octet-stream');
    } catch {
      // not a file: the SPA's index.html
    }
  }
  serveFile(res, join(dist, 'index.html'), TYPES['.html']);
});
server.listen(Number(portArg), '127.0.0.1', () => console.log(`ohif: listening on ${server.address().port}`));
