// Drives a DICOMweb server with an independent client: dicomweb-client from npm (the library OHIF and
// Slim use), over Node with the xhr2 XMLHttpRequest polyfill.
//
//   node dicomweb_client_check.mjs BASE_URL OUT_DIR FILE...
//
// Stores FILE... with storeInstances (one STOW-RS request; the same request again at the end), then
// discovers everything through the server: searchForStudies / searchForSeries / searchForInstances
// (plain, scoped, and with queryParams built from what the server returned), retrieveStudyMetadata /
// retrieveSeriesMetadata / retrieveInstanceMetadata, retrieveInstance, retrieveInstanceFrames as
// application/octet-stream (every frame in one request, and the last frame alone) and, for instances
// stored in an encapsulated syntax, in that syntax's media type via mediaTypes.
//
// Writes into OUT_DIR: <SOPInstanceUID>.dcm (retrieveInstance), <uid>.metadata.json,
// <uid>.frame<N>.raw (octet-stream frames), <uid>.last.raw, <uid>.compressed<N>.bin (stored-syntax frames).
// Prints one JSON summary on stdout. Exits 1 on any failed call, except that a 406 answer to the
// stored-syntax frame request is recorded (status 406) rather than fatal: PS3.18 lets a server that
// serves frames decoded only refuse other media types; the caller decides what it expects.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
globalThis.XMLHttpRequest = require('xhr2');
const { api } = require('dicomweb-client');

const [baseUrl, outDir, ...files] = process.argv.slice(2);
if (!baseUrl || !outDir || files.length === 0) {
  console.error('usage: node dicomweb_client_check.mjs BASE_URL OUT_DIR FILE...');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

const client = new api.DICOMwebClient({ url: baseUrl, verbose: false });

// Media type of a frame in each encapsulated transfer syntax (PS3.18 Table 8.7.3-2), as dicomweb-client
// names them.
const FRAME_MEDIA_TYPE = {
  '1.2.840.10008.1.2.5': 'image/x-dicom-rle',
  '1.2.840.10008.1.2.4.50': 'image/jpeg',
  '1.2.840.10008.1.2.4.51': 'image/jpeg',
  '1.2.840.10008.1.2.4.57': 'image/jpeg',
  '1.2.840.10008.1.2.4.70': 'image/jpeg',
  '1.2.840.10008.1.2.4.80': 'image/jls',
  '1.2.840.10008.1.2.4.81': 'image/jls',
  '1.2.840.10008.1.2.4.90': 'image/jp2',
  '1.2.840.10008.1.2.4.91': 'image/jp2',
};
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']);

const failures = [];
const summary = { store: {}, studies: [], queries: [], instances: {}, failures };

function first(item, tag) {
  const attr = item && item[tag];
  if (!attr || !Array.isArray(attr.Value) || attr.Value.length === 0) return null;
  const v = attr.Value[0];
  return v !== null && typeof v === 'object' && 'Alphabetic' in v ? v.Alphabetic : v;
}

function all(item, tag) {
  const attr = item && item[tag];
  return attr && Array.isArray(attr.Value) ? attr.Value : [];
}

function describe(error) {
  return { message: String(error && error.message), status: error && error.status,
    body: error && error.response ? String(Buffer.from(error.response instanceof ArrayBuffer ? new Uint8Array(error.response) : String(error.response))).slice(0, 300) : undefined };
}

async function step(name, fn) {
  try {
    return await fn();
  } catch (error) {
    failures.push({ step: name, ...describe(error) });
    return undefined;
  }
}

function asJson(response) {
  if (response === undefined || response === null || response === '') return null;
  if (typeof response === 'string') return JSON.parse(response);
  if (response instanceof ArrayBuffer) return JSON.parse(Buffer.from(response).toString('utf8'));
  return response;
}

function save(name, data) {
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
  fs.writeFileSync(path.join(outDir, name), bytes);
  return bytes.length;
}

// ---- STOW-RS -----------------------------------------------------------------------------------
const datasets = files.map((f) => {
  const b = fs.readFileSync(f);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
});
const stored = asJson(await step('storeInstances', () => client.storeInstances({ datasets })));
summary.store.referenced = all(stored, '00081199').map((item) => ({
  sopInstanceUID: first(item, '00081155'), sopClassUID: first(item, '00081150'), retrieveURL: first(item, '00081190'),
}));
summary.store.failed = all(stored, '00081198').map((item) => ({
  sopInstanceUID: first(item, '00081155'), reason: first(item, '00081197'),
}));

// ---- QIDO-RS: discover studies, series, instances ------------------------------------------------
const studies = (await step('searchForStudies', () => client.searchForStudies())) || [];
for (const study of studies) {
  const studyUID = first(study, '0020000D');
  const record = {
    studyInstanceUID: studyUID, patientID: first(study, '00100020'), studyDate: first(study, '00080020'),
    modalitiesInStudy: all(study, '00080061'), numberOfStudyRelatedInstances: first(study, '00201208'),
    series: [],
  };
  summary.studies.push(record);
  const series = (await step(`searchForSeries ${studyUID}`, () => client.searchForSeries({ studyInstanceUID: studyUID }))) || [];
  for (const s of series) {
    const seriesUID = first(s, '0020000E');
    const seriesRecord = { seriesInstanceUID: seriesUID, modality: first(s, '00080060'), instances: [] };
    record.series.push(seriesRecord);
    const instances = (await step(`searchForInstances ${seriesUID}`, () =>
      client.searchForInstances({ studyInstanceUID: studyUID, seriesInstanceUID: seriesUID }))) || [];
    for (const i of instances) {
      seriesRecord.instances.push({
        sopInstanceUID: first(i, '00080018'), sopClassUID: first(i, '00080016'),
        rows: first(i, '00280010'), columns: first(i, '00280011'), numberOfFrames: first(i, '00280008'),
      });
    }
  }
  // Study-scoped instance search: the same instances.
  const scoped = (await step(`searchForInstances study ${studyUID}`, () =>
    client.searchForInstances({ studyInstanceUID: studyUID }))) || [];
  record.studyScopedInstances = scoped.map((i) => first(i, '00080018'));
  // Study metadata: one object per instance of the study.
  const meta = (await step(`retrieveStudyMetadata ${studyUID}`, () =>
    client.retrieveStudyMetadata({ studyInstanceUID: studyUID }))) || [];
  record.studyMetadataInstances = meta.map((m) => first(m, '00080018'));
  for (const s of record.series) {
    const seriesMeta = (await step(`retrieveSeriesMetadata ${s.seriesInstanceUID}`, () =>
      client.retrieveSeriesMetadata({ studyInstanceUID: studyUID, seriesInstanceUID: s.seriesInstanceUID }))) || [];
    s.seriesMetadataInstances = seriesMeta.map((m) => first(m, '00080018'));
  }
}

// ---- QIDO-RS with queryParams built from what the server answered ---------------------------------
async function query(level, queryParams) {
  const fn = { studies: 'searchForStudies', series: 'searchForSeries', instances: 'searchForInstances' }[level];
  const key = { studies: '0020000D', series: '0020000E', instances: '00080018' }[level];
  const result = await step(`${fn} ${JSON.stringify(queryParams)}`, () => client[fn]({ queryParams }));
  summary.queries.push({ level, queryParams, uids: result ? result.map((r) => first(r, key)).sort() : null });
}
const distinct = (values) => [...new Set(values.filter((v) => v !== null && v !== undefined && v !== ''))].sort();
for (const id of distinct(summary.studies.map((s) => s.patientID))) await query('studies', { PatientID: id });
for (const date of distinct(summary.studies.map((s) => s.studyDate))) {
  await query('studies', { StudyDate: `${date}-${date}` });
  await query('studies', { StudyDate: `-${date}` });
}
for (const m of distinct(summary.studies.flatMap((s) => s.modalitiesInStudy))) {
  await query('studies', { ModalitiesInStudy: m });
  await query('series', { Modality: m });
}
await query('studies', { includefield: 'all', limit: '100' });
for (const s of summary.studies) {
  await query('series', { StudyInstanceUID: s.studyInstanceUID, includefield: 'all' });
  for (const se of s.series) await query('instances', { SeriesInstanceUID: se.seriesInstanceUID, includefield: 'all' });
}

// ---- WADO-RS per instance --------------------------------------------------------------------------
for (const study of summary.studies) {
  for (const series of study.series) {
    for (const inst of series.instances) {
      const ids = { studyInstanceUID: study.studyInstanceUID, seriesInstanceUID: series.seriesInstanceUID,
        sopInstanceUID: inst.sopInstanceUID };
      const uid = inst.sopInstanceUID;
      const out = { study: study.studyInstanceUID, series: series.seriesInstanceUID };
      summary.instances[uid] = out;

      const metadata = await step(`retrieveInstanceMetadata ${uid}`, () => client.retrieveInstanceMetadata(ids));
      if (metadata) {
        fs.writeFileSync(path.join(outDir, `${uid}.metadata.json`), JSON.stringify(metadata));
        const m = metadata[0];
        out.metadata = {
          count: metadata.length, sopInstanceUID: first(m, '00080018'), sopClassUID: first(m, '00080016'),
          numberOfFrames: first(m, '00280008'), rows: first(m, '00280010'), columns: first(m, '00280011'),
          samplesPerPixel: first(m, '00280002'), bitsAllocated: first(m, '00280100'),
          pixelData: m && m['7FE00010'] ? Object.keys(m['7FE00010']).sort() : null,
          transferSyntaxUID: first(m, '00020010') || first(m, '00083002'),
        };
      }

      const instance = await step(`retrieveInstance ${uid}`, () => client.retrieveInstance(ids));
      let ts = out.metadata && out.metadata.transferSyntaxUID;
      if (instance) {
        out.retrieved = { bytes: save(`${uid}.dcm`, instance), contentType: instance.contentType || null,
          transferSyntaxUID: instance.transferSyntaxUID || null };
        ts = ts || instance.transferSyntaxUID;
      }
      out.transferSyntaxUID = ts || null;

      if (!out.metadata || !out.metadata.pixelData || !out.metadata.rows) continue;
      const frames = Number(out.metadata.numberOfFrames || 1);
      const numbers = Array.from({ length: frames }, (_, k) => k + 1);
      const parts = await step(`retrieveInstanceFrames ${uid} ${numbers}`, () =>
        client.retrieveInstanceFrames({ ...ids, frameNumbers: numbers }));
      if (parts) {
        out.frames = parts.map((p, k) => ({ number: k + 1, bytes: save(`${uid}.frame${k + 1}.raw`, p),
          contentType: p.contentType || null }));
      }
      const last = await step(`retrieveInstanceFrames ${uid} [${frames}]`, () =>
        client.retrieveInstanceFrames({ ...ids, frameNumbers: [frames] }));
      if (last) out.lastFrame = { parts: last.length, bytes: save(`${uid}.last.raw`, last[0]) };

      if (ts && !NATIVE.has(ts) && FRAME_MEDIA_TYPE[ts]) {
        const mediaTypes = [{ mediaType: FRAME_MEDIA_TYPE[ts], transferSyntaxUID: ts }];
        try {
          const compressed = await client.retrieveInstanceFrames({ ...ids, frameNumbers: numbers, mediaTypes });
          out.compressed = { status: 200, mediaType: FRAME_MEDIA_TYPE[ts],
            frames: compressed.map((p, k) => ({ number: k + 1, bytes: save(`${uid}.compressed${k + 1}.bin`, p),
              contentType: p.contentType || null, transferSyntaxUID: p.transferSyntaxUID || null })) };
        } catch (error) {
          out.compressed = { mediaType: FRAME_MEDIA_TYPE[ts], ...describe(error) };
          if (error.status !== 406) failures.push({ step: `retrieveInstanceFrames ${uid} as ${ts}`, ...describe(error) });
        }
      }
    }
  }
}

// ---- STOW-RS again: every instance is now a duplicate, answered as success (200, all referenced) -----
const again = asJson(await step('storeInstances (again)', () => client.storeInstances({ datasets })));
summary.store.again = all(again, '00081199').map((item) => first(item, '00081155'));

process.stdout.write(JSON.stringify(summary, null, 1) + '\n');
process.exit(failures.length ? 1 : 0);
