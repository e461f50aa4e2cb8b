// Incremental reader of a multipart/related body (RFC 2046): push the bytes as they arrive,
// get back every part completed so far (its body and Content-Type). Bodies are copies, so the
// buffer can be reused. The closing delimiter (or a truncated stream) ends the parts.

export interface Part {
  type: string;
  body: Uint8Array<ArrayBuffer>;
}

export class MultipartReader {
  private buffer = new Uint8Array(1 << 16);
  private length = 0;
  private readonly delimiter: Uint8Array; // "--boundary"
  private readonly text = new TextDecoder();
  private closed = false;
  private searchFrom = 0; // where the current part's closing delimiter may start (no rescans)

  constructor(boundary: string) {
    this.delimiter = new TextEncoder().encode(`--${boundary}`);
  }

  push(chunk: Uint8Array): Part[] {
    if (this.closed) return [];
    this.append(chunk);
    const parts: Part[] = [];
    let start = 0;
    for (;;) {
      // A part: delimiter, CRLF, headers, CRLF CRLF, body, CRLF delimiter.
      const open = this.find(this.delimiter, start);
      if (open < 0) break;
      const afterOpen = open + this.delimiter.length;
      if (this.length < afterOpen + 2) break;
      if (this.buffer[afterOpen] === 0x2d && this.buffer[afterOpen + 1] === 0x2d) {
        this.closed = true; // "--boundary--"
        start = this.length;
        break;
      }
      const headersEnd = this.find(CRLFCRLF, afterOpen);
      if (headersEnd < 0) break;
      const close = this.find(this.delimiter, Math.max(headersEnd + 4, this.searchFrom));
      if (close < 0) {
        this.searchFrom = Math.max(headersEnd + 4, this.length - this.delimiter.length + 1);
        break;
      }
      const headers = this.text.decode(this.buffer.subarray(afterOpen, headersEnd));
      const type = /content-type:\s*([^;\r\n]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream';
      const bodyEnd = close >= 2 && this.buffer[close - 2] === 0x0d && this.buffer[close - 1] === 0x0a ? close - 2 : close;
      parts.push({ type, body: this.buffer.slice(headersEnd + 4, bodyEnd) });
      start = close;
      this.searchFrom = 0;
    }
    // Keep what is not consumed yet (from the last delimiter on).
    if (start > 0) {
      this.buffer.copyWithin(0, start, this.length);
      this.length -= start;
      this.searchFrom = Math.max(0, this.searchFrom - start);
    }
    return parts;
  }

  private append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length += chunk.length;
  }

  private find(needle: Uint8Array, from: number): number {
    const first = needle[0]!;
    const last = this.length - needle.length;
    for (let i = this.buffer.indexOf(first, from); i >= 0 && i <= last; i = this.buffer.indexOf(first, i + 1)) {
      let j = 1;
      while (j < needle.length && this.buffer[i + j] === needle[j]) j++;
      if (j === needle.length) return i;
    }
    return -1;
  }
}

const CRLFCRLF = new Uint8Array([0x0d, 0x0a, 0x0d, 0x0a]);
