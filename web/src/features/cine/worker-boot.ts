// A viewer's start handed to the first decode worker in its name (WorkerOptions.name, readable in
// the worker at once as self.name), so that it starts without waiting for a message.

export interface BootRequest {
  metadataUrl: string;
  accept: string;
  frameAccept: string;
}

// The replies to the viewer's start carry this id (the pool numbers its requests from 1).
export const BOOT_ID = 0;
const PREFIX = 'systole-boot:';

export function bootName(boot: BootRequest): string {
  return PREFIX + JSON.stringify(boot);
}

export function bootOf(name: string): BootRequest | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  try {
    const b = JSON.parse(name.slice(PREFIX.length)) as Partial<BootRequest>;
    return typeof b.metadataUrl === 'string' && typeof b.accept === 'string' && typeof b.frameAccept === 'string'
      ? { metadataUrl: b.metadataUrl, accept: b.accept, frameAccept: b.frameAccept }
      : undefined;
  } catch {
    return undefined;
  }
}
