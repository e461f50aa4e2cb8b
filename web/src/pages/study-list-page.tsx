// Study list: search (patient name or ID, accession, date range, modality)
// over QIDO-RS, sortable columns, keyboard navigation (↑/↓, Enter opens),
// and the selected patient's other studies (priors).

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Tag, formatDate, formatPersonName, num, str, strs, type DicomJson } from '../core/dicom-json';
import type { DicomWebClient, StudySearch } from '../core/dicomweb';
import { navigate, viewerUrl } from '../core/router';
import { SessionControl } from '../features/session/session';
import { BreakGlassBanner } from '../features/audit/break-glass-banner';

interface StudyRow {
  studyUid: string;
  patientName: string;
  patientId: string;
  issuer: string; // IssuerOfPatientID: with patientId, who the patient is
  birthDate: string;
  date: string; // YYYYMMDD
  time: string;
  accession: string;
  description: string;
  modalities: string;
  series: number;
  instances: number;
}

type SortKey = 'patientName' | 'patientId' | 'date' | 'accession' | 'description' | 'modalities' | 'series' | 'instances';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'patientName', label: 'Patient' },
  { key: 'patientId', label: 'Patient ID' },
  { key: 'date', label: 'Date' },
  { key: 'accession', label: 'Accession' },
  { key: 'description', label: 'Description' },
  { key: 'modalities', label: 'Modalities' },
  { key: 'series', label: 'Series', numeric: true },
  { key: 'instances', label: 'Instances', numeric: true },
];

function toRow(ds: DicomJson): StudyRow {
  return {
    studyUid: str(ds, Tag.StudyInstanceUID),
    patientName: formatPersonName(str(ds, Tag.PatientName)),
    patientId: str(ds, Tag.PatientID),
    issuer: str(ds, Tag.IssuerOfPatientID),
    birthDate: str(ds, Tag.PatientBirthDate),
    date: str(ds, Tag.StudyDate),
    time: str(ds, Tag.StudyTime),
    accession: str(ds, Tag.AccessionNumber),
    description: str(ds, Tag.StudyDescription),
    modalities: strs(ds, Tag.ModalitiesInStudy).join(', '),
    series: num(ds, Tag.NumberOfStudyRelatedSeries) ?? 0,
    instances: num(ds, Tag.NumberOfStudyRelatedInstances) ?? 0,
  };
}

function compareRows(a: StudyRow, b: StudyRow, key: SortKey): number {
  const x = a[key];
  const y = b[key];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (key === 'date') return (a.date + a.time).localeCompare(b.date + b.time);
  return String(x).localeCompare(String(y));
}

const FIELDS = ['patientName', 'patientId', 'issuer', 'accessionNumber', 'dateFrom', 'dateTo', 'modality'] as const;

export function StudyListPage({ client, initialQuery }: { client: DicomWebClient; initialQuery: URLSearchParams }) {
  const [form, setForm] = useState<StudySearch>(() => {
    const s: StudySearch = {};
    for (const f of FIELDS) {
      const v = initialQuery.get(f);
      if (v) s[f] = v;
    }
    return s;
  });
  const [rows, setRows] = useState<StudyRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'date', descending: true });
  const [selected, setSelected] = useState(0);
  const [priors, setPriors] = useState<{ patientKey: string; rows: StudyRow[] } | null>(null);
  const tableRef = useRef<HTMLTableElement>(null);

  const search = useCallback(
    async (s: StudySearch) => {
      setLoading(true);
      setError(null);
      const query = new URLSearchParams();
      for (const f of FIELDS) if (s[f]) query.set(f, String(s[f]));
      history.replaceState(null, '', query.size ? `/studies?${query}` : location.pathname);
      try {
        setRows((await client.searchStudies(s)).map(toRow));
        setSelected(0);
      } catch (e) {
        setError(`Search failed: ${(e as Error).message}`);
        setRows([]);
      } finally {
        setLoading(false);
      }
    },
    [client],
  );

  useEffect(() => {
    void search(form);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const sorted = useMemo(() => {
    if (!rows) return [];
    const out = [...rows].sort((a, b) => compareRows(a, b, sort.key));
    return sort.descending ? out.reverse() : out;
  }, [rows, sort]);

  const current = sorted[Math.min(selected, sorted.length - 1)];

  // Priors: every study of the selected patient (same ID, same issuer).
  const patientKey = current?.patientId ? `${current.patientId}\\${current.issuer}` : '';
  useEffect(() => {
    if (!current?.patientId) {
      setPriors(null);
      return;
    }
    if (priors?.patientKey === patientKey) return;
    let cancelled = false;
    client
      .studiesOfPatient(current.patientId, current.issuer)
      .then((found) => {
        if (!cancelled)
          setPriors({
            patientKey,
            rows: found.map(toRow).sort((a, b) => compareRows(b, a, 'date')),
          });
      })
      .catch(() => !cancelled && setPriors(null));
    return () => {
      cancelled = true;
    };
  }, [patientKey, client]); // eslint-disable-line react-hooks/exhaustive-deps

  const open = (row: StudyRow | undefined) => row && navigate(viewerUrl(row.studyUid));

  const onTableKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') setSelected((s) => Math.min(sorted.length - 1, s + 1));
    else if (e.key === 'ArrowUp') setSelected((s) => Math.max(0, s - 1));
    else if (e.key === 'Enter') open(current);
    else return;
    e.preventDefault();
  };

  // Keyboard-first: type, Enter searches, Enter again opens the first match.
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    await search(form);
    tableRef.current?.focus();
  };

  const input = (field: (typeof FIELDS)[number], label: string, type = 'text', placeholder = '') => (
    <label>
      <span>{label}</span>
      <input
        name={field}
        type={type}
        placeholder={placeholder}
        value={form[field] ?? ''}
        onInput={(e) => setForm({ ...form, [field]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );

  return (
    <main class="page studies">
      <header class="topbar">
        <h1>
          <a href="/">Systole</a> <small>Studies</small>
        </h1>
        <SessionControl />
      </header>
      <BreakGlassBanner />
      <form class="search" onSubmit={onSubmit} role="search">
        {input('patientName', 'Patient name', 'text', 'DOE^J or DOE')}
        {input('patientId', 'Patient ID')}
        {form.issuer !== undefined && input('issuer', 'Issuer')}
        {input('accessionNumber', 'Accession')}
        {input('dateFrom', 'From', 'date')}
        {input('dateTo', 'To', 'date')}
        <label>
          <span>Modality</span>
          <select
            name="modality"
            value={form.modality ?? ''}
            onChange={(e) => setForm({ ...form, modality: (e.target as HTMLSelectElement).value })}
          >
            <option value="">any</option>
            {['US', 'XA', 'MR', 'CT', 'ECG', 'HD', 'IVUS', 'IVOCT', 'SR', 'OT'].map((m) => (
              <option value={m}>{m}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={loading}>
          {loading ? 'Searching…' : 'Search'}
        </button>
      </form>
      {error && <p class="error">{error}</p>}
      <div class="list-and-priors">
        <div class="table-wrap">
          <table
            ref={tableRef}
            class="study-table"
            tabIndex={0}
            onKeyDown={onTableKey}
            aria-label="Studies (↑/↓ to select, Enter to open)"
          >
            <thead>
              <tr>
                {COLUMNS.map((c) => (
                  <th
                    class={c.numeric ? 'num' : ''}
                    aria-sort={sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : 'none'}
                    onClick={() =>
                      setSort({ key: c.key, descending: sort.key === c.key ? !sort.descending : c.key === 'date' })
                    }
                  >
                    {c.label}
                    {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {sorted.map((row, i) => (
                <tr
                  class={i === selected ? 'selected' : ''}
                  data-study-uid={row.studyUid}
                  onClick={() => open(row)}
                  onMouseEnter={() => setSelected(i)}
                >
                  <td>{row.patientName || '—'}</td>
                  <td>{row.patientId}</td>
                  <td>{formatDate(row.date)}</td>
                  <td>{row.accession}</td>
                  <td>{row.description}</td>
                  <td>{row.modalities}</td>
                  <td class="num">{row.series}</td>
                  <td class="num">{row.instances}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {rows && rows.length === 0 && !error && <p class="empty">No studies match.</p>}
        </div>
        <aside class="priors" aria-label="Studies of this patient">
          <h2>Priors</h2>
          {current ? (
            <>
              <p class="who">
                {current.patientName || '—'} <span>{current.patientId}</span>
              </p>
              <ul>
                {(priors?.patientKey === patientKey ? priors.rows : []).map((p) => (
                  <li class={p.studyUid === current.studyUid ? 'this' : ''}>
                    <a
                      href={viewerUrl(p.studyUid)}
                      onClick={(e) => {
                        e.preventDefault();
                        navigate(viewerUrl(p.studyUid));
                      }}
                    >
                      {formatDate(p.date) || 'no date'} · {p.modalities || '?'} · {p.description || 'study'}
                    </a>
                    {p.studyUid === current.studyUid && <span class="tag">selected</span>}
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p class="muted">Select a study.</p>
          )}
        </aside>
      </div>
    </main>
  );
}
