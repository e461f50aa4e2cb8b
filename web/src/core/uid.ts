// New DICOM UIDs: "2.25." + a random 128-bit integer in decimal (PS3.5 B.2).
export function newUid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n.toString()}`;
}
