// The reason Systole gave for a refused request: its JSON error body's message
// ({"error": {"status", "message"}}), else the HTTP status line.
export async function serverMessage(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    // not JSON: the status line
  }
  return `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
}
