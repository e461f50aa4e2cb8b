// DICOMweb client for Systole's archive (QIDO-RS, WADO-RS metadata and
// rendered resources), same origin. Errors are thrown as DicomWebError with
// the HTTP status and the server's message.

import { Tag, str, type DicomJson } from './dicom-json';
import { fetchOnce } from './prefetch';
import { serverMessage } from './server-message';
import { noteStatus } from './session-watch';

export class DicomWebError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface StudySearch {
  patientName?: string;
  patientId?: string;
  issuer?: string; // IssuerOfPatientID: with patientId, only that assigning authority's patient (EHR launch)
  accessionNumber?: string;
  dateFrom?: string; // YYYY-MM-DD or YYYYMMDD
  dateTo?: string;
  modality?: string;
  limit?: number;
}

export const STUDY_FIELDS = [
  'StudyInstanceUID', 'PatientName', 'PatientID', 'IssuerOfPatientID', 'PatientBirthDate', 'StudyDate', 'StudyTime', 'AccessionNumber',
  'StudyDescription', 'ModalitiesInStudy', 'NumberOfStudyRelatedSeries', 'NumberOfStudyRelatedInstances', 'StudyID',
];
const SERIES_FIELDS = ['SeriesInstanceUID', 'SeriesNumber', 'SeriesDescription', 'Modality', 'NumberOfSeriesRelatedInstances'];

export const DICOM_JSON = 'application/dicom+json';

export type RenderedFormat = 'image/jpeg' | 'image/png';

// The box a rendered frame is scaled down to fit (PS3.18 viewport), in pixels.
export interface Viewport {
  width: number;
  height: number;
}

export class DicomWebClient {
  constructor(private readonly root = '/dicomweb') {}

  searchStudies(search: StudySearch): Promise<DicomJson[]> {
    const q = new URLSearchParams();
    // Names match as C-FIND does: a trailing * makes "DOE" find "DOE^JOHN".
    if (search.patientName?.trim()) q.set('PatientName', wildcard(search.patientName.trim()));
    if (search.patientId?.trim()) q.set('PatientID', search.patientId.trim());
    if (search.issuer?.trim()) q.set('IssuerOfPatientID', search.issuer.trim());
    if (search.accessionNumber?.trim()) q.set('AccessionNumber', search.accessionNumber.trim());
    const from = dicomDate(search.dateFrom);
    const to = dicomDate(search.dateTo);
    if (from || to) q.set('StudyDate', from === to ? from : `${from}-${to}`);
    if (search.modality?.trim()) q.set('ModalitiesInStudy', search.modality.trim().toUpperCase());
    q.set('includefield', STUDY_FIELDS.join(','));
    q.set('limit', String(search.limit ?? 200));
    return this.getJson(`${this.root}/studies?${q}`);
  }

  // Every study of a patient (for priors): the same PatientID in the same issuer only (an empty
  // IssuerOfPatientID matches any issuer in QIDO-RS, so the issuer is also compared here).
  async studiesOfPatient(patientId: string, issuer = ''): Promise<DicomJson[]> {
    const q = new URLSearchParams({ PatientID: patientId, includefield: STUDY_FIELDS.join(','), limit: '100' });
    if (issuer) q.set('IssuerOfPatientID', issuer);
    const found: DicomJson[] = await this.getJson(`${this.root}/studies?${q}`);
    return found.filter((ds) => str(ds, Tag.IssuerOfPatientID) === issuer);
  }

  study(studyUid: string): Promise<DicomJson[]> {
    const q = new URLSearchParams({ StudyInstanceUID: studyUid, includefield: STUDY_FIELDS.join(',') });
    return this.getJson(`${this.root}/studies?${q}`);
  }

  series(studyUid: string): Promise<DicomJson[]> {
    const q = new URLSearchParams({ includefield: SERIES_FIELDS.join(',') });
    return this.getJson(`${this.root}/studies/${enc(studyUid)}/series?${q}`);
  }

  studyMetadata(studyUid: string): Promise<DicomJson[]> {
    return this.getJson(this.studyMetadataUrl(studyUid));
  }

  studyMetadataUrl(studyUid: string): string {
    return `${this.root}/studies/${enc(studyUid)}/metadata`;
  }

  thumbnailUrl(studyUid: string, seriesUid: string, sopUid: string, size = 128): string {
    return `${this.instanceUrl(studyUid, seriesUid, sopUid)}/thumbnail?viewport=${size},${size}`;
  }

  // Frame n is 1-based, as in WADO-RS. The Accept header chooses the format;
  // the worker sends it (see frame-loader). With a viewport, the frame is scaled down to fit it.
  renderedFrameUrl(studyUid: string, seriesUid: string, sopUid: string, frame: number, viewport?: Viewport): string {
    return `${this.instanceUrl(studyUid, seriesUid, sopUid)}/frames/${frame}/rendered${viewportQuery(viewport)}`;
  }

  // Several rendered frames in one multipart/related response (1-based numbers; see the
  // server's rendered frame list). The Accept header is RENDERED_FRAMES_ACCEPT of the format.
  renderedFramesUrl(studyUid: string, seriesUid: string, sopUid: string, frames: number[], viewport?: Viewport): string {
    return `${this.instanceUrl(studyUid, seriesUid, sopUid)}/frames/${frames.join(',')}/rendered${viewportQuery(viewport)}`;
  }

  // STOW-RS of Part 10 files; resolves when the archive stored all of them.
  async store(files: Uint8Array<ArrayBuffer>[]): Promise<void> {
    const boundary = `systole-${crypto.getRandomValues(new Uint32Array(2)).join('')}`;
    const enc = new TextEncoder();
    const parts: BlobPart[] = [];
    for (const f of files) {
      parts.push(enc.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, enc.encode('\r\n'));
    }
    parts.push(enc.encode(`--${boundary}--\r\n`));
    const response = await fetch(`${this.root}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`, Accept: 'application/dicom+json' },
      body: new Blob(parts),
    });
    if (response.status !== 200) throw new DicomWebError(response.status, await errorMessage(response));
  }

  private instanceUrl(studyUid: string, seriesUid: string, sopUid: string): string {
    return `${this.root}/studies/${enc(studyUid)}/series/${enc(seriesUid)}/instances/${enc(sopUid)}`;
  }

  private async getJson(url: string): Promise<DicomJson[]> {
    const response = await fetchOnce(url, DICOM_JSON);
    if (response.status === 204) return [];
    if (!response.ok) throw new DicomWebError(response.status, await errorMessage(response));
    const text = await response.text();
    return text.trim() === '' ? [] : (JSON.parse(text) as DicomJson[]);
  }
}

async function errorMessage(response: Response): Promise<string> {
  noteStatus(response.status);
  return serverMessage(response);
}

function viewportQuery(viewport: Viewport | undefined): string {
  return viewport ? `?viewport=${viewport.width},${viewport.height}` : '';
}

function enc(uid: string): string {
  return encodeURIComponent(uid);
}

function wildcard(name: string): string {
  return /[*?]/.test(name) ? name : `${name}*`;
}

function dicomDate(date: string | undefined): string {
  return (date ?? '').replaceAll('-', '').trim();
}
