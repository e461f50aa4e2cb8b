// Where a Doppler measurement was taken, chosen by the reader before measuring (the spectrum
// itself does not say): written as the measurement group's Finding Site (SCT 363698007), so
// a peak velocity, gradient or deceleration time reaches the report field of that valve
// (templates/concept_map.csv) instead of nowhere. Codes: SNOMED CT body structures, as in
// PS3.16 CID 12211 / 12212.

import type { MeasurementKind } from './geometry';

export type Site = 'MV' | 'AV' | 'TV' | 'PV' | 'LVOT';

export const SITES: Record<Site, { code: string; meaning: string }> = {
  MV: { code: '91134007', meaning: 'Mitral valve' },
  AV: { code: '34202007', meaning: 'Aortic valve' },
  TV: { code: '46030003', meaning: 'Tricuspid valve' },
  PV: { code: '39057004', meaning: 'Pulmonic valve' },
  LVOT: { code: '13418002', meaning: 'Left ventricular outflow tract' },
};

// The measurements a site applies to (Doppler spectra).
export const SITED = new Set<MeasurementKind>(['velocity', 'time', 'slope']);

export function siteOfCode(code: string): Site | undefined {
  return (Object.keys(SITES) as Site[]).find((s) => SITES[s].code === code);
}
