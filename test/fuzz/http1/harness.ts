// The HTTP/1.1 fuzz target of the proxy listener (used by corpus.test.ts in `npm test` and by
// `npm run fuzz`): a real runtime with one worker in front of a recording upstream. Each input is
// written over a raw socket, possibly split, then the client's FIN; the answer is every response
// the client got until the server closed. After each input the invariants hold:
//   - the worker never crashed;
//   - nothing unframed was forwarded: the upstream's own strict parser (node:http) took every byte
//     the gateway sent it, and no forwarded request carries two framings, a Transfer-Encoding
//     other than chunked, or a header name with "_";
//   - every response the client got is well-framed (test/helpers/raw-http.ts parses strictly);
//   - the runtime's RSS stays within a bound.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as tick } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseResponse, RawConnection, type RawResponse } from '../../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../../helpers/upstream.ts';

/** --client-max-body-size of the target, so that vectors can reach the 413s. */
export const MAX_BODY = 4096;
const MiB = 1024 * 1024;

export interface Vector {
  name: string;
  /** The bytes to send, as latin1 (JSON escapes: \r, \n, \u0000, \u00ff ...). */
  request: string;
  /** Optional: write the request in these pieces instead (they must join to `request`). */
  chunks?: string[];
  expect: {
    /** Statuses of every response the client gets, in order (interim 100 included). */
    statuses: number[];
    /** Requests the upstream receives complete. */
    forwarded: number;
  };
}

export interface Outcome {
  statuses: number[];
  forwarded: Forwarded[];
}

export interface Forwarded {
  method: string;
  url: string;
  rawHeaders: string[];
  bodyLength: number;
}

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** Every vector of the seed corpus, by file (one file per family). */
export function loadCorpus(): Array<{ file: string; vectors: Vector[] }> {
  return readdirSync(CORPUS_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => ({ file, vectors: JSON.parse(readFileSync(CORPUS_DIR + file, 'latin1')) as Vector[] }));
}

/** What the recording upstream saw. */
interface Record {
  forwarded: Forwarded[];
  /** Parse errors of the upstream's own parser: bytes the gateway should never have sent. */
  unframed: string[];
}

export class FuzzTarget {
  readonly runtime: Runtime;
  readonly upstream: Upstream;
  readonly #record: Record;
  readonly #rssBase: number;

  private constructor(runtime: Runtime, upstream: Upstream, record: Record, rssBase: number) {
    this.runtime = runtime;
    this.upstream = upstream;
    this.#record = record;
    this.#rssBase = rssBase;
  }

  static async start(): Promise<FuzzTarget> {
    const record: Record = { forwarded: [], unframed: [] };
    const upstream = await startUpstream(
      (req: IncomingMessage, res: ServerResponse) => {
        let bodyLength = 0;
        req.on('data', (chunk: Buffer) => (bodyLength += chunk.length));
        req.on('end', () => {
          record.forwarded.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: req.rawHeaders, bodyLength });
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
          res.end('ok');
        });
      },
      // Room for the largest head the gateway accepts plus what it adds (X-Forwarded-*).
      { maxHeaderSize: 128 * 1024 },
    );
    upstream.server.on('clientError', (error: Error & { code?: string }, socket) => {
      // A request the gateway abandoned mid-body (its client's body was refused, or cut) ends in
      // a reset or an early EOF: an abort, not bytes out of frame.
      if (error.code !== 'ECONNRESET' && error.code !== 'HPE_INVALID_EOF_STATE') record.unframed.push(`${error.code}: ${error.message}`);
      socket.destroy();
    });
    const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: app
    url: ${upstream.url}
    routes:
      - name: all
        paths: [/]
        strip_path: false
`);
    let runtime: Runtime;
    try {
      runtime = await startRuntime(['--config', config, '--workers', '1', '--client-max-body-size', String(MAX_BODY)], { timeoutMs: 60_000 });
    } catch (error) {
      await upstream.close();
      throw error;
    }
    return new FuzzTarget(runtime, upstream, record, await rss(runtime.child.pid!));
  }

  async stop(): Promise<void> {
    await this.runtime.stop();
    await this.upstream.close();
  }

  /**
   * Sends one input, split into `chunks` (each written after a turn of the event loop), then the
   * client's FIN; returns every response the client got and every request the upstream got.
   */
  async send(chunks: Buffer[], timeoutMs = 10_000): Promise<Outcome> {
    const before = this.#record.forwarded.length;
    const connection = await RawConnection.open(this.runtime.proxy);
    try {
      for (const chunk of chunks) {
        if (connection.closed) break;
        connection.write(chunk);
        await tick();
      }
      if (!connection.closed) connection.socket.end();
      await connection.waitForEnd(timeoutMs);
    } finally {
      connection.destroy();
    }
    // Every response, strictly parsed; a response to HEAD would need its method (no vector uses HEAD).
    const statuses: number[] = [];
    let rest = connection.pending;
    for (;;) {
      const parsed: { response: RawResponse; used: number } | null = parseResponse(rest, false, true);
      if (parsed === null) break;
      statuses.push(parsed.response.status);
      rest = rest.subarray(parsed.used);
      if (rest.length === 0) break;
    }
    assert.equal(rest.length, 0, `bytes after the last response: ${JSON.stringify(rest.toString('latin1').slice(0, 200))}`);
    return { statuses, forwarded: this.#record.forwarded.slice(before) };
  }

  /** The invariants that hold after any input (see the file's header). */
  async checkInvariants(outcome: Outcome): Promise<void> {
    assert.deepEqual(this.#record.unframed, [], 'the upstream could not parse what the gateway sent it');
    for (const request of outcome.forwarded) {
      const names = request.rawHeaders.filter((_, i) => i % 2 === 0).map((name) => name.toLowerCase());
      assert.equal(names.filter((name) => name.includes('_')).length, 0, `forwarded a header name with "_": ${names.join(', ')}`);
      const te = names.indexOf('transfer-encoding');
      assert.ok(te === -1 || !names.includes('content-length'), 'forwarded both Transfer-Encoding and Content-Length');
      if (te !== -1) assert.equal(request.rawHeaders[te * 2 + 1]!.toLowerCase(), 'chunked');
      assert.ok(request.bodyLength <= MAX_BODY, `forwarded a body of ${request.bodyLength} bytes`);
    }
    assert.deepEqual(
      this.runtime.logs.filter((line) => line.msg === 'worker crashed' || line.msg === 'worker exited' || line.level === 'fatal'),
      [],
      'the worker crashed',
    );
    const grown = (await rss(this.runtime.child.pid!)) - this.#rssBase;
    assert.ok(grown < 128 * MiB, `runtime RSS grew by ${(grown / MiB).toFixed(0)} MiB`);
  }
}

export function bytesOf(vector: Vector): Buffer[] {
  const chunks = vector.chunks ?? [vector.request];
  assert.equal(chunks.join(''), vector.request, `${vector.name}: chunks do not join to the request`);
  return chunks.map((chunk) => Buffer.from(chunk, 'latin1'));
}

async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
