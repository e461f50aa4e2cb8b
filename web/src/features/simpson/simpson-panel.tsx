// The Simpson's biplane result of the open study: EDV, ESV, SV, EF, the
// method (biplane / monoplane) and what is still to trace.

import type { SimpsonSummary } from './lv-study';

export function SimpsonPanel({ summary, hint }: { summary: SimpsonSummary; hint: string }) {
  const r = summary.result;
  const used = summary.traces
    .slice()
    .sort((a, b) => (a.view + a.phase).localeCompare(b.view + b.phase))
    .map((t) => `${t.measurement.trackingId} ${t.view} ${t.phase} fr ${t.measurement.frame + 1}`);
  return (
    <section class="simpson" data-testid="simpson" aria-label="Simpson's biplane">
      <h2>LV volumes (method of discs)</h2>
      {r ? (
        <dl data-method={r.method}>
          <dt>EDV</dt>
          <dd data-testid="edv">{r.edvMl.toFixed(1)} mL</dd>
          <dt>ESV</dt>
          <dd data-testid="esv">{r.esvMl.toFixed(1)} mL</dd>
          <dt>SV</dt>
          <dd data-testid="sv">{r.svMl.toFixed(1)} mL</dd>
          <dt>EF</dt>
          <dd data-testid="ef">{r.efPercent.toFixed(1)} %</dd>
          <dt>Method</dt>
          <dd data-testid="simpson-method">{r.method === 'biplane' ? 'biplane (A4C + A2C)' : 'monoplane (one view)'}</dd>
        </dl>
      ) : (
        <p>Trace the LV at end-diastole and end-systole (L).</p>
      )}
      {r?.axisMismatch && <p class="warn">Long axes differ by more than 10 % — foreshortened view?</p>}
      {summary.missing.length > 0 && <p class="missing">To trace: {summary.missing.join(', ')}</p>}
      {used.length > 0 && <p class="used">{used.join(' · ')}</p>}
      {hint && <p class="hint">{hint}</p>}
    </section>
  );
}
