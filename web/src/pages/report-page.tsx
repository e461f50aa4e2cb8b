// Report editor: /report/{StudyInstanceUID}[?id=reportId]. Lists the study's
// reports (or offers the templates to start one), shows every field with its
// value, unit, normal range, flag and source badge (device / measured in
// viewer / AI-suggested / typed / derived / from study); the reader accepts,
// changes or clears values, edits findings and impression, moves the report
// draft → preliminary → final, and after signing adds signed addenda.
// Versions can be compared side by side; the signed PDF opens in a new tab.
//
// Keyboard: Enter commits a value, Esc leaves a field / goes back to the viewer,
// Alt+P preliminary, Alt+F sign final, Alt+V versions.

import { useCallback, useContext, useEffect, useLayoutEffect, useMemo, useState } from 'preact/hooks';
import { can } from '../core/session-api';
import { Tag, formatDate, formatPersonName, str, type DicomJson } from '../core/dicom-json';
import type { DicomWebClient } from '../core/dicomweb';
import {
  ApiError,
  ReportsClient,
  SOURCE_LABELS,
  choiceText,
  isSigned,
  type Report,
  type ReportField,
  type TemplateSummary,
} from '../core/reports-api';
import { navigate, reportUrl, viewerUrl } from '../core/router';
import { SessionContext, SessionControl } from '../features/session/session';

// The template a study most likely wants, from its modalities.
function suggestedTemplate(modalities: string, templates: TemplateSummary[]): string {
  const has = (id: string) => templates.some((t) => t.id === id);
  if (/\bXA\b/.test(modalities) && has('cath')) return 'cath';
  if (/\bMR\b/.test(modalities) && has('cmr')) return 'cmr';
  if (has('tte')) return 'tte';
  return templates[0]?.id ?? '';
}

function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (HTTP ${e.status})`;
  return e instanceof Error ? e.message : String(e);
}

function sectionsOf(fields: ReportField[]): { id: string; title: string; fields: ReportField[] }[] {
  const sections: { id: string; title: string; fields: ReportField[] }[] = [];
  for (const field of fields) {
    let section = sections.find((s) => s.id === field.section);
    if (!section) {
      section = { id: field.section, title: field.section_title ?? field.section, fields: [] };
      sections.push(section);
    }
    section.fields.push(field);
  }
  return sections;
}

export function ReportPage({ client, studyUid, reportId }: { client: DicomWebClient; studyUid: string; reportId: string | null }) {
  const api = useMemo(() => new ReportsClient(), []);
  const [study, setStudy] = useState<DicomJson | null>(null);
  const [reports, setReports] = useState<Report[] | null>(null);
  const [templates, setTemplates] = useState<TemplateSummary[]>([]);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [versions, setVersions] = useState<Report[] | null>(null);

  useEffect(() => {
    client.study(studyUid).then((r) => setStudy(r[0] ?? null), (e) => setError(errorText(e)));
    api.templates().then(setTemplates, (e) => setError(errorText(e)));
    api.studyReports(studyUid).then(
      (list) => {
        setReports(list);
        const chosen = reportId ?? (list.length === 1 ? list[0]!.id : null);
        if (chosen) api.get(chosen).then(setReport, (e) => setError(errorText(e)));
      },
      (e) => setError(errorText(e)),
    );
  }, [studyUid, reportId]);

  // Runs one API call that answers the report, showing its error in the page.
  const act = useCallback(async (call: () => Promise<Report>) => {
    setBusy(true);
    setError(null);
    try {
      const next = await call();
      setReport(next);
      setVersions(null);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, []);

  const create = (template: string) =>
    act(async () => {
      const created = await api.create(studyUid, template);
      history.replaceState(null, '', reportUrl(studyUid, created.id));
      return created;
    });

  const showVersions = async () => {
    if (!report) return;
    try {
      setVersions(await api.versions(report.id));
    } catch (e) {
      setError(errorText(e));
    }
  };

  // A layout effect, like the viewer's: a key pressed as the report appears meets its state.
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement)) {
        navigate(viewerUrl(studyUid));
      } else if (e.altKey && report && !busy) {
        const key = e.key.toLowerCase();
        if (key === 'p' && report.status === 'draft') void act(() => api.setStatus(report.id, 'preliminary'));
        else if (key === 'f' && !isSigned(report)) void act(() => api.setStatus(report.id, 'final'));
        else if (key === 'v') void showVersions();
        else return;
        e.preventDefault();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [report, busy, studyUid]);

  const patient = study ? `${formatPersonName(str(study, Tag.PatientName))} · ${str(study, Tag.PatientID)}` : '';
  return (
    <main class="page report-page">
      <header class="topbar">
        <h1>
          <a href="/">Systole</a>
          <small>Report</small>
        </h1>
        <div class="study-info">
          <strong>{patient}</strong>
          {study && (
            <span>
              {formatDate(str(study, Tag.StudyDate))} · {str(study, Tag.StudyDescription)} · Acc {str(study, Tag.AccessionNumber)}
            </span>
          )}
        </div>
        <nav class="tools">
          <a class="button" href={viewerUrl(studyUid)} onClick={(e) => (e.preventDefault(), navigate(viewerUrl(studyUid)))}>
            Images
          </a>
        </nav>
        <SessionControl />
      </header>
      {error && (
        <p class="error" role="alert" data-testid="report-error">
          {error}
        </p>
      )}
      {!report && reports && (
        <ReportChooser
          reports={reports}
          templates={templates}
          suggested={suggestedTemplate(study ? str(study, Tag.ModalitiesInStudy) : '', templates)}
          busy={busy}
          onOpen={(id) => navigate(reportUrl(studyUid, id))}
          onCreate={(template) => void create(template)}
        />
      )}
      {report && (
        <ReportEditor
          report={report}
          busy={busy}
          pdfUrl={api.pdfUrl(report.id)}
          onField={(field, body) => void act(() => api.setField(report.id, field, body))}
          onText={(text) => void act(() => api.setText(report.id, text))}
          onStatus={(status) => void act(() => api.setStatus(report.id, status))}
          onAddendum={(text) => void act(() => api.addAddendum(report.id, text))}
          onVersions={() => void showVersions()}
        />
      )}
      {versions && <VersionsPanel versions={versions} onClose={() => setVersions(null)} />}
    </main>
  );
}

function ReportChooser(props: {
  reports: Report[];
  templates: TemplateSummary[];
  suggested: string;
  busy: boolean;
  onOpen: (id: string) => void;
  onCreate: (template: string) => void;
}) {
  const [template, setTemplate] = useState(props.suggested);
  useEffect(() => setTemplate(props.suggested), [props.suggested]);
  const mayWrite = can(useContext(SessionContext), 'report.write');
  return (
    <section class="report-chooser">
      {props.reports.length > 0 && (
        <ul data-testid="report-list">
          {props.reports.map((r) => (
            <li>
              <button onClick={() => props.onOpen(r.id)}>
                {r.template_title ?? r.template} — {r.status}
              </button>
            </li>
          ))}
        </ul>
      )}
      {mayWrite && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (template) props.onCreate(template);
          }}
        >
          <label>
            <span>New report from template</span>
            <select value={template} onChange={(e) => setTemplate((e.target as HTMLSelectElement).value)} data-testid="template">
              {props.templates.map((t) => (
                <option value={t.id}>{t.title}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={props.busy || !template} data-testid="create-report">
            Create report
          </button>
        </form>
      )}
    </section>
  );
}

function ReportEditor(props: {
  report: Report;
  busy: boolean;
  pdfUrl: string;
  onField: (field: string, body: { value: string | null } | { accept: true }) => void;
  onText: (text: { findings: string; impression: string }) => void;
  onStatus: (status: 'preliminary' | 'final') => void;
  onAddendum: (text: string) => void;
  onVersions: () => void;
}) {
  const { report } = props;
  const signed = isSigned(report);
  // Only what the role may do is offered (a referring physician reads the final report).
  const me = useContext(SessionContext);
  const mayWrite = can(me, 'report.write');
  const maySign = can(me, 'report.sign');
  const readOnly = signed || !mayWrite;
  const [findings, setFindings] = useState(report.findings);
  const [impression, setImpression] = useState(report.impression);
  const [addendum, setAddendum] = useState('');
  useEffect(() => {
    setFindings(report.findings);
    setImpression(report.impression);
  }, [report.findings, report.impression]);
  const saveText = () => {
    if (!readOnly && (findings !== report.findings || impression !== report.impression)) props.onText({ findings, impression });
  };
  return (
    <section class="report-editor" data-testid="report-editor" data-status={report.status}>
      <div class="report-status">
        <h2>{report.template_title ?? report.template}</h2>
        <span class={`status status-${report.status}`} data-testid="report-status">
          {report.status}
          {signed ? ` · v${report.version}` : ''}
        </span>
        {report.status === 'draft' && mayWrite && (
          <button disabled={props.busy} onClick={() => props.onStatus('preliminary')} title="Preliminary (Alt+P)" data-testid="to-preliminary">
            Preliminary
          </button>
        )}
        {!signed && maySign && (
          <button class="sign" disabled={props.busy} onClick={() => props.onStatus('final')} title="Sign as final (Alt+F)" data-testid="sign">
            Sign final
          </button>
        )}
        {signed && (
          <a class="button" href={props.pdfUrl} target="_blank" rel="noopener" data-testid="pdf-link">
            PDF
          </a>
        )}
        <button onClick={props.onVersions} title="Versions side by side (Alt+V)">
          Versions
        </button>
      </div>
      {report.signature && (
        <p class="signature" data-testid="signature">
          Signed by {report.signature.signer_display || report.signature.signer} at {report.signature.signed_at} · SHA-256{' '}
          <code>{report.signature.content_sha256.slice(0, 16)}…</code>
        </p>
      )}
      {sectionsOf(report.fields).map((section) => (
        <fieldset class="report-section" data-section={section.id}>
          <legend>{section.title}</legend>
          <table>
            <tbody>
              {section.fields.map((field) => (
                <FieldRow field={field} readOnly={readOnly || props.busy} onField={props.onField} />
              ))}
            </tbody>
          </table>
        </fieldset>
      ))}
      <label class="report-text">
        <span>Findings</span>
        <textarea rows={5} value={findings} readOnly={readOnly} onInput={(e) => setFindings((e.target as HTMLTextAreaElement).value)} onBlur={saveText} data-testid="findings" />
      </label>
      <label class="report-text">
        <span>Impression</span>
        <textarea rows={3} value={impression} readOnly={readOnly} onInput={(e) => setImpression((e.target as HTMLTextAreaElement).value)} onBlur={saveText} data-testid="impression" />
      </label>
      {report.addenda.map((a, i) => (
        <div class="addendum" data-testid="addendum">
          <h3>Addendum {i + 1}</h3>
          <p>{a.text}</p>
          <p class="muted">
            {a.signature?.signer ?? a.signer} · {a.signature?.signed_at ?? a.signed_at}
          </p>
        </div>
      ))}
      {signed && maySign && (
        <form
          class="report-text"
          onSubmit={(e) => {
            e.preventDefault();
            if (addendum.trim()) {
              props.onAddendum(addendum.trim());
              setAddendum('');
            }
          }}
        >
          <span>Addendum (signed when added; the signed report stays unchanged)</span>
          <textarea rows={3} value={addendum} onInput={(e) => setAddendum((e.target as HTMLTextAreaElement).value)} data-testid="addendum-text" />
          <button type="submit" disabled={props.busy || !addendum.trim()} data-testid="add-addendum">
            Sign addendum
          </button>
        </form>
      )}
      <details class="history">
        <summary>History</summary>
        <ul>
          {report.history.map((h) => (
            <li>
              {h.at}: {h.from || '—'} → {h.to} by {h.user}
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

function FieldRow({ field, readOnly, onField }: { field: ReportField; readOnly: boolean; onField: (field: string, body: { value: string | null } | { accept: true }) => void }) {
  const [draft, setDraft] = useState(field.value ?? '');
  useEffect(() => setDraft(field.value ?? ''), [field.value]);
  const commit = () => {
    const next = draft.trim();
    if (next === (field.value ?? '')) return;
    onField(field.id, { value: next === '' ? null : next });
  };
  const listId = `choices-${field.id}`;
  return (
    <tr data-field={field.id} class={field.flag ? `flag-${field.flag}` : ''}>
      <th scope="row">{field.label}</th>
      <td class="value">
        <input
          value={draft}
          readOnly={readOnly || field.source === 'derived'}
          inputMode={field.kind === 'number' ? 'decimal' : undefined}
          list={field.kind === 'choice' && field.choices ? listId : undefined}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') {
              setDraft(field.value ?? '');
              (e.target as HTMLInputElement).blur();
            }
          }}
          aria-label={field.label}
        />
        {field.kind === 'choice' && field.choices && (
          <datalist id={listId}>
            {field.choices.map((c) => (
              <option value={typeof c === 'string' ? c : (c.value ?? choiceText(c))} label={choiceText(c)} />
            ))}
          </datalist>
        )}
      </td>
      <td class="unit">{field.unit}</td>
      <td class="range muted">{field.normal_range}</td>
      <td class="flag">{field.flag && <span class={`flag-badge flag-${field.flag}`}>{field.flag}</span>}</td>
      <td class="source-cell">
        {field.value !== null && field.source && (
          <span class={`source source-${field.source}`} data-testid="source-badge" title={field.source_detail ?? ''}>
            {SOURCE_LABELS[field.source] ?? field.source}
          </span>
        )}
        {field.note && <span class="note muted"> {field.note}</span>}
      </td>
      <td class="actions">
        {!readOnly && field.value !== null && field.source !== 'typed' && field.source !== 'derived' && !field.accepted && (
          <button title="Accept this value" onClick={() => onField(field.id, { accept: true })}>
            ✓
          </button>
        )}
        {!readOnly && field.value !== null && field.source !== 'derived' && (
          <button title="Clear" onClick={() => onField(field.id, { value: null })}>
            ✕
          </button>
        )}
      </td>
    </tr>
  );
}

// Every kept version side by side, one column per version, a row per field
// that has a value in any of them; changed values are highlighted.
function VersionsPanel({ versions, onClose }: { versions: Report[]; onClose: () => void }) {
  const fieldIds: { id: string; label: string }[] = [];
  for (const v of versions)
    for (const f of v.fields) if (f.value !== null && !fieldIds.some((x) => x.id === f.id)) fieldIds.push({ id: f.id, label: f.label });
  const valueOf = (v: Report, id: string) => v.fields.find((f) => f.id === id)?.value ?? '';
  return (
    <section class="versions" data-testid="versions">
      <header>
        <h2>Versions</h2>
        <button onClick={onClose}>Close</button>
      </header>
      <table>
        <thead>
          <tr>
            <th />
            {versions.map((v) => (
              <th>
                v{v.version} · {v.status}
                <br />
                <small class="muted">{v.signature?.signed_at ?? ''}</small>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {fieldIds.map(({ id, label }) => (
            <tr>
              <th scope="row">{label}</th>
              {versions.map((v, i) => (
                <td class={i > 0 && valueOf(v, id) !== valueOf(versions[i - 1]!, id) ? 'changed' : ''}>{valueOf(v, id)}</td>
              ))}
            </tr>
          ))}
          <tr>
            <th scope="row">Impression</th>
            {versions.map((v) => (
              <td>{v.impression}</td>
            ))}
          </tr>
          <tr>
            <th scope="row">Addenda</th>
            {versions.map((v) => (
              <td>{v.addenda.length}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </section>
  );
}
