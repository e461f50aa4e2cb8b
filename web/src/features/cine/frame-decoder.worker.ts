// Fetches rendered frames and decodes them to ImageBitmaps off the main
// thread. Messages: {id, url, accept} in; {id, bitmap} or {id, error} out
// (the bitmap is transferred, not copied).

export interface DecodeRequest {
  id: number;
  url: string;
  accept: string;
}
export type DecodeReply = { id: number; bitmap: ImageBitmap } | { id: number; error: string; status: number };

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (event: MessageEvent<DecodeRequest>) => {
  const { id, url, accept } = event.data;
  try {
    const response = await fetch(url, { headers: { Accept: accept } });
    if (!response.ok) {
      let message = `HTTP ${response.status}`;
      try {
        const body = (await response.json()) as { error?: { message?: string } };
        if (body.error?.message) message = body.error.message;
      } catch {
        // not JSON: keep the status
      }
      scope.postMessage({ id, error: message, status: response.status } satisfies DecodeReply);
      return;
    }
    const bitmap = await createImageBitmap(await response.blob());
    scope.postMessage({ id, bitmap } satisfies DecodeReply, [bitmap]);
  } catch (error) {
    scope.postMessage({ id, error: String(error), status: 0 } satisfies DecodeReply);
  }
};
