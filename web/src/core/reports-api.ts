// Client of Systole's reporting API (/api/templates, /api/studies/{uid}/reports,
// /api/reports/{id}…), same origin. Errors are thrown as ApiError with the
// HTTP status and the server's message.

import { noteStatus } from './session-watch';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type FieldKind = 'number' | 'choice' | 'text';

export interface ReportField {
  id: string;
  section: string;
  section_title?: string;
  label: string;
  kind: FieldKind;
  unit?: string;
  value: string | null;
  source?: string; // device, viewer, ai, typed, derived, metadata
  source_detail?: string;
  flag?: string; // "", "L", "H"
  normal_range?: string;
  note?: string;
  choices?: (string | { value?: string; meaning?: string; label?: string })[];
  accepted?: boolean;
}

export interface Signature {
  signer: string;
  signer_display?: string;
  signed_at: string;
  content_sha256: string;
}

export interface Addendum {
  text: string;
  signature?: Signature;
  signer?: string;
  signed_at?: string;
}

export interface Transition {
  from: string;
  to: string;
  user: string;
  at: string;
}

export interface Report {
  id: string;
  study_instance_uid: string;
  template: string;
  template_title?: string;
  status: string; // draft, preliminary, final, addendum
  version: number;
  fields: ReportField[];
  findings: string;
  impression: string;
  signature: Signature | null;
  addenda: Addendum[];
  history: Transition[];
}

export interface TemplateSummary {
  id: string;
  title: string;
}

export const SOURCE_LABELS: Record<string, string> = {
  device: 'device',
  viewer: 'measured in viewer',
  ai: 'AI-suggested',
  typed: 'typed',
  derived: 'derived',
  metadata: 'from study',
};

export function isSigned(report: Report): boolean {
  return report.status === 'final' || report.status === 'addendum';
}

export function choiceText(choice: NonNullable<ReportField['choices']>[number]): string {
  return typeof choice === 'string' ? choice : (choice.meaning ?? choice.label ?? choice.value ?? '');
}

export class ReportsClient {
  constructor(private readonly root = '/api') {}

  async templates(): Promise<TemplateSummary[]> {
    return (await this.call<{ templates: TemplateSummary[] }>('GET', '/templates')).templates;
  }

  async studyReports(studyUid: string): Promise<Report[]> {
    return (await this.call<{ reports: Report[] }>('GET', `/studies/${encodeURIComponent(studyUid)}/reports`)).reports;
  }

  create(studyUid: string, template: string): Promise<Report> {
    return this.call('POST', `/studies/${encodeURIComponent(studyUid)}/reports`, { template });
  }

  get(id: string): Promise<Report> {
    return this.call('GET', `/reports/${encodeURIComponent(id)}`);
  }

  setField(id: string, field: string, body: { value: string | null } | { accept: true }): Promise<Report> {
    return this.call('PUT', `/reports/${encodeURIComponent(id)}/fields/${encodeURIComponent(field)}`, body);
  }

  setText(id: string, text: { findings: string; impression: string }): Promise<Report> {
    return this.call('PUT', `/reports/${encodeURIComponent(id)}/text`, text);
  }

  setStatus(id: string, status: 'preliminary' | 'final'): Promise<Report> {
    return this.call('POST', `/reports/${encodeURIComponent(id)}/status`, { status });
  }

  addAddendum(id: string, text: string): Promise<Report> {
    return this.call('POST', `/reports/${encodeURIComponent(id)}/addenda`, { text });
  }

  async versions(id: string): Promise<Report[]> {
    const answer = await this.call<{ versions: Report[] } | Report[]>('GET', `/reports/${encodeURIComponent(id)}/versions`);
    return Array.isArray(answer) ? answer : answer.versions;
  }

  pdfUrl(id: string): string {
    return `${this.root}/reports/${encodeURIComponent(id)}/pdf`;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.root + path, {
      method,
      headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text as the message
    }
    if (!response.ok) {
      noteStatus(response.status);
      const message = (json as { error?: string } | null)?.error ?? (text || response.statusText);
      throw new ApiError(response.status, message);
    }
    return json as T;
  }
}
