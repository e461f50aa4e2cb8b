// Break-glass banner: active emergency accesses (GET /api/audit/break-glass),
// shown to those allowed to read the audit trail (admins, auditors); renders
// nothing for anyone else (403) or when none is active.

import { useEffect, useState } from 'preact/hooks';

export interface BreakGlassItem {
  id: number;
  user: string;
  study?: string;
  patient?: string;
  reason: string;
  expires_at: number; // unix ms
  active: boolean;
}

export async function fetchActiveBreakGlass(root = '/api'): Promise<BreakGlassItem[]> {
  const response = await fetch(`${root}/audit/break-glass`, { headers: { Accept: 'application/json' } });
  if (!response.ok) return [];
  const body = (await response.json()) as { items?: BreakGlassItem[] };
  return (body.items ?? []).filter((item) => item.active);
}

export function BreakGlassBanner() {
  const [items, setItems] = useState<BreakGlassItem[]>([]);
  useEffect(() => {
    let live = true;
    fetchActiveBreakGlass()
      .then((found) => live && setItems(found))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  if (items.length === 0) return null;
  return (
    <section class="break-glass-banner" role="alert" data-testid="break-glass-banner">
      <strong>
        {items.length} active emergency (break-glass) access{items.length === 1 ? '' : 'es'}
      </strong>
      <ul>
        {items.map((item) => (
          <li key={item.id}>
            {item.user} → {item.study ? `study ${item.study}` : `patient ${item.patient ?? ''}`} until{' '}
            {new Date(item.expires_at).toLocaleTimeString()}: “{item.reason}”
          </li>
        ))}
      </ul>
    </section>
  );
}
