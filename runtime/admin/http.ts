// Small HTTP helpers for the primary's listeners (Admin API, status listener).
import type { IncomingMessage, ServerResponse } from 'node:http';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>): void {
  const payload = status === 304 ? '' : JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

export class BodyTooLarge extends Error {}

/**
 * Reads a request body up to `limit` bytes. With a Content-Length (what any client sends with a
 * config file), into one buffer of that size as the chunks arrive: collecting them and joining
 * them after would copy every byte once more, and a 1 MB config body is read ten times a second
 * under route churn. The buffer has its own memory (never a slice of Node's shared pool); with
 * `shared`, a SharedArrayBuffer, for bytes another thread reads next: posted to it, they are
 * shared instead of copied (and the copy allocated and collected there).
 */
export async function readBody(req: IncomingMessage, limit: number, shared = false): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isSafeInteger(declared) && declared >= 0) {
    if (declared > limit) throw new BodyTooLarge(`body over ${limit} bytes`);
    const body = shared ? Buffer.from(new SharedArrayBuffer(declared)) : Buffer.allocUnsafeSlow(declared);
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      // Node's parser never delivers more than Content-Length; checked so a bug cannot overrun.
      if (size + chunk.length > declared) throw new Error(`request body longer than its Content-Length ${declared}`);
      chunk.copy(body, size);
      size += chunk.length;
    }
    return size === declared ? body : body.subarray(0, size);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLarge(`body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
