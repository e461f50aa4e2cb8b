// The measurements of an open study, per SOP instance: drawn in this session
// or read back from saved measurement reports. Cells and the save button
// subscribe to changes.

import type { Measurement, MeasurementKind } from './geometry';

const PREFIX: Record<MeasurementKind, string> = { distance: 'D', area: 'A', angle: 'N', velocity: 'V', lv: 'LV', time: 'T', slope: 'DS' };

export class MeasurementStore {
  private readonly bySop = new Map<string, Measurement[]>();
  private readonly listeners = new Set<() => void>();
  private unsavedCount = 0;
  private readonly changedSops = new Set<string>(); // instances whose measurements changed since the last save

  list(sopInstanceUID: string): readonly Measurement[] {
    return this.bySop.get(sopInstanceUID) ?? [];
  }
  all(): [string, Measurement[]][] {
    return [...this.bySop.entries()].filter(([, list]) => list.length > 0);
  }
  get unsaved(): number {
    return this.unsavedCount;
  }
  // Whether a measurement of this instance was added or removed since the last save.
  changedSinceSave(sopInstanceUID: string): boolean {
    return this.changedSops.has(sopInstanceUID);
  }

  // A tracking identifier not used yet in this study, e.g. "D3".
  nextTrackingId(kind: MeasurementKind): string {
    const used = new Set(this.all().flatMap(([, l]) => l.map((m) => m.trackingId)));
    for (let i = 1; ; i++) if (!used.has(`${PREFIX[kind]}${i}`)) return `${PREFIX[kind]}${i}`;
  }

  add(sopInstanceUID: string, m: Measurement, saved = false): void {
    const list = this.bySop.get(sopInstanceUID) ?? [];
    if (list.some((x) => x.trackingUid === m.trackingUid)) return;
    list.push(m);
    this.bySop.set(sopInstanceUID, list);
    if (!saved) {
      this.unsavedCount++;
      this.changedSops.add(sopInstanceUID);
    }
    this.changed();
  }

  removeLast(sopInstanceUID: string): void {
    const list = this.bySop.get(sopInstanceUID);
    if (!list?.length) return;
    list.pop();
    this.unsavedCount++;
    this.changedSops.add(sopInstanceUID);
    this.changed();
  }

  markSaved(): void {
    this.unsavedCount = 0;
    this.changedSops.clear();
    this.changed();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}
