// A small DICOM Part 10 writer: a DICOM JSON dataset (PS3.18 F.2, the model
// the viewer reads) → file bytes in Explicit VR Little Endian, with the File
// Meta Information. Enough for the objects the viewer creates (SR): strings,
// person names, binary numbers and nested sequences (undefined length).
// Bulk data (BulkDataURI, InlineBinary) is not written.

import type { DicomAttribute, DicomJson } from './dicom-json';

export const ExplicitVRLittleEndian = '1.2.840.10008.1.2.1';
const IMPLEMENTATION_CLASS_UID = '2.25.207143949617409329046519829839402813735';
const IMPLEMENTATION_VERSION = 'SYSTOLE_WEB_1';
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'UV']);
const NUMERIC: Record<string, [number, (v: DataView, o: number, n: number) => void]> = {
  US: [2, (v, o, n) => v.setUint16(o, n, true)],
  SS: [2, (v, o, n) => v.setInt16(o, n, true)],
  UL: [4, (v, o, n) => v.setUint32(o, n, true)],
  SL: [4, (v, o, n) => v.setInt32(o, n, true)],
  FL: [4, (v, o, n) => v.setFloat32(o, n, true)],
  FD: [8, (v, o, n) => v.setFloat64(o, n, true)],
};

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  u16(n: number): void {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, n, true);
    this.push(b);
  }
  u32(n: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.push(b);
  }
  bytes(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

// A decimal string of at most 16 characters (DS).
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`DS value ${n} is not finite`);
  let s = String(n);
  for (let p = 15; s.length > 16 && p > 1; p--) s = String(Number(n.toPrecision(p)));
  return s;
}

function stringValue(vr: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (vr === 'PN' && typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic ?? '';
  if (vr === 'DS' && typeof v === 'number') return formatDS(v);
  if (vr === 'IS' && typeof v === 'number') return String(Math.round(v));
  return String(v);
}

function valueBytes(vr: string, values: unknown[]): Uint8Array {
  const numeric = NUMERIC[vr];
  if (numeric) {
    const [size, set] = numeric;
    const b = new Uint8Array(size * values.length);
    const view = new DataView(b.buffer);
    values.forEach((v, i) => set(view, i * size, Number(v)));
    return b;
  }
  const text = values.map((v) => stringValue(vr, v)).join('\\');
  const raw = new TextEncoder().encode(text);
  if (raw.length % 2 === 0) return raw;
  const padded = new Uint8Array(raw.length + 1);
  padded.set(raw);
  padded[raw.length] = vr === 'UI' ? 0 : 0x20;
  return padded;
}

function writeTag(sink: ByteSink, tag: string): void {
  sink.u16(parseInt(tag.slice(0, 4), 16));
  sink.u16(parseInt(tag.slice(4, 8), 16));
}

function writeElement(sink: ByteSink, tag: string, attr: DicomAttribute): void {
  const vr = attr.vr;
  writeTag(sink, tag);
  sink.push(new TextEncoder().encode(vr));
  if (vr === 'SQ') {
    sink.u16(0);
    sink.u32(0xffffffff);
    for (const item of (attr.Value ?? []) as DicomJson[]) {
      writeTag(sink, 'FFFEE000');
      sink.u32(0xffffffff);
      writeDataset(sink, item);
      writeTag(sink, 'FFFEE00D');
      sink.u32(0);
    }
    writeTag(sink, 'FFFEE0DD');
    sink.u32(0);
    return;
  }
  const bytes = valueBytes(vr, attr.Value ?? []);
  if (LONG_VRS.has(vr)) {
    sink.u16(0);
    sink.u32(bytes.length);
  } else {
    if (bytes.length > 0xffff) throw new Error(`value of ${tag} too long for VR ${vr}`);
    sink.u16(bytes.length);
  }
  sink.push(bytes);
}

function writeDataset(sink: ByteSink, ds: DicomJson): void {
  for (const tag of Object.keys(ds).sort()) {
    const attr = ds[tag];
    if (attr && attr.BulkDataURI === undefined && attr.InlineBinary === undefined) writeElement(sink, tag.toUpperCase(), attr);
  }
}

// The Part 10 file of `ds` (which must hold SOPClassUID and SOPInstanceUID).
export function writePart10(ds: DicomJson): Uint8Array<ArrayBuffer> {
  const sopClass = String(ds['00080016']?.Value?.[0] ?? '');
  const sopInstance = String(ds['00080018']?.Value?.[0] ?? '');
  if (!sopClass || !sopInstance) throw new Error('a dataset needs SOPClassUID and SOPInstanceUID');
  const meta = new ByteSink();
  writeTag(meta, '00020001');
  meta.push(new TextEncoder().encode('OB'));
  meta.u16(0);
  meta.u32(2);
  meta.push(new Uint8Array([0, 1]));
  const metaElements: DicomJson = {
    '00020002': { vr: 'UI', Value: [sopClass] },
    '00020003': { vr: 'UI', Value: [sopInstance] },
    '00020010': { vr: 'UI', Value: [ExplicitVRLittleEndian] },
    '00020012': { vr: 'UI', Value: [IMPLEMENTATION_CLASS_UID] },
    '00020013': { vr: 'SH', Value: [IMPLEMENTATION_VERSION] },
  };
  writeDataset(meta, metaElements);
  const out = new ByteSink();
  out.push(new Uint8Array(128));
  out.push(new TextEncoder().encode('DICM'));
  writeElement(out, '00020000', { vr: 'UL', Value: [meta.length] });
  out.push(meta.bytes());
  const body = Object.fromEntries(Object.entries(ds).filter(([tag]) => !tag.startsWith('0002')));
  writeDataset(out, body);
  return out.bytes();
}
