// HTTP/1.x over a raw TCP socket, for tests of the proxy's wire behaviour: the client writes
// exact bytes (pipelined, malformed, split at chosen points) and reads responses back one at a
// time with a strict parser, so framing mistakes (a body byte too many, a bad chunk) fail the
// test instead of being smoothed over as node:http's client would.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export interface RawResponse {
  /** e.g. 'HTTP/1.1' */
  version: string;
  status: number;
  reason: string;
  /** In wire order, names as sent. */
  rawHeaders: Array<[string, string]>;
  /** Lower-case name to value; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: Buffer;
  /** How the body was delimited on the wire. */
  framing: 'none' | 'length' | 'chunked' | 'close';
}

export interface ReadOptions {
  /** The request was HEAD: the response has a head only, whatever its Content-Length says. */
  head?: boolean;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;

/** Thrown when the bytes received are not a well-formed HTTP/1.x response. */
export class FramingError extends Error {}

/**
 * One client connection. Received bytes are buffered; `readResponse` takes the next complete
 * response off the front, so responses to pipelined requests are read one after the other.
 */
export class RawConnection {
  readonly socket: Socket;
  /** The server sent FIN (or the connection is gone). */
  ended = false;
  closed = false;
  error: Error | null = null;
  #buffer: Buffer = Buffer.alloc(0);
  #wake: (() => void) | null = null;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.#notify();
    });
    socket.on('close', () => {
      this.ended = true;
      this.closed = true;
      this.#notify();
    });
    // A server that answers and closes while we still write gives EPIPE / ECONNRESET here: kept
    // for the test to inspect, never an unhandled error.
    socket.on('error', (error) => {
      this.error = error;
      this.#notify();
    });
  }

  static async open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    socket.setNoDelay(true);
    const connection = new RawConnection(socket);
    await once(socket, 'connect');
    return connection;
  }

  /** Bytes received and not yet taken by `readResponse`. */
  get pending(): Buffer {
    return this.#buffer;
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves once the server has closed its side; rejects after `timeoutMs`. */
  async waitForEnd(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.#until(() => this.ended, timeoutMs, 'the server to close the connection');
  }

  /** True when the server has not closed the connection within `ms` (it is left open). */
  async staysOpen(ms = 100): Promise<boolean> {
    try {
      await this.#until(() => this.ended, ms, '');
      return false;
    } catch {
      return true;
    }
  }

  /** Resolves once at least `bytes` bytes are buffered (e.g. the first part of a response). */
  async waitForBytes(bytes: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.#until(() => this.#buffer.length >= bytes, timeoutMs, `${bytes} bytes`);
  }

  /** Reads the next response; 1xx interim responses are returned like any other. */
  async readResponse(options: ReadOptions = {}): Promise<RawResponse> {
    let parsed: { response: RawResponse; used: number } | null = null;
    await this.#until(
      () => {
        parsed = parseResponse(this.#buffer, options.head === true, this.ended);
        return parsed !== null;
      },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      'a complete response',
    );
    const { response, used } = parsed!;
    this.#buffer = this.#buffer.subarray(used);
    return response;
  }

  /** Resolves once `done()` holds, re-checked on every socket event. */
  async #until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!done()) {
      if (this.closed) {
        // Nothing more can arrive, and done() above has seen every byte.
        throw new Error(`connection closed before ${what}; received ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 300))}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.#buffer.toString('latin1').slice(0, 300))}`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = null;
    }
  }

  #notify(): void {
    this.#wake?.();
  }
}

/** Opens a connection, writes `data`, reads `count` responses and leaves the connection open. */
export async function rawExchange(url: string, data: string | Buffer, count = 1, options: ReadOptions = {}): Promise<{ connection: RawConnection; responses: RawResponse[] }> {
  const connection = await RawConnection.open(url);
  try {
    connection.write(data);
    const responses: RawResponse[] = [];
    for (let i = 0; i < count; i++) responses.push(await connection.readResponse(options));
    return { connection, responses };
  } catch (error) {
    connection.destroy();
    throw error;
  }
}

/**
 * Parses one response from the front of `buffer`: null when more bytes are needed, throws on
 * malformed input. `ended`: the server closed, which completes a close-delimited body.
 */
export function parseResponse(buffer: Buffer, head: boolean, ended: boolean): { response: RawResponse; used: number } | null {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) {
    if (ended && buffer.length > 0) throw new FramingError(`truncated response head: ${JSON.stringify(buffer.toString('latin1').slice(0, 300))}`);
    return null;
  }
  const lines = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusLine = /^(HTTP\/\d\.\d) (\d{3}) ?(.*)$/.exec(lines[0]!);
  if (statusLine === null) throw new FramingError(`bad status line: ${JSON.stringify(lines[0])}`);
  const rawHeaders: Array<[string, string]> = [];
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(line.slice(0, colon))) throw new FramingError(`bad header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    rawHeaders.push([name, value]);
    const lower = name.toLowerCase();
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]}, ${value}`;
  }
  const status = Number(statusLine[2]);
  const base = { version: statusLine[1]!, status, reason: statusLine[3]!, rawHeaders, headers };
  const start = headEnd + 4;

  if (head || (status >= 100 && status < 200) || status === 204 || status === 304) {
    return { response: { ...base, body: Buffer.alloc(0), framing: 'none' }, used: start };
  }
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    if (te.toLowerCase() !== 'chunked') throw new FramingError(`unexpected transfer-encoding: ${te}`);
    if (headers['content-length'] !== undefined) throw new FramingError('both transfer-encoding and content-length');
    const chunked = parseChunked(buffer, start);
    if (chunked === null) {
      if (ended) throw new FramingError('connection closed inside a chunked body');
      return null;
    }
    return { response: { ...base, body: chunked.body, framing: 'chunked' }, used: chunked.used };
  }
  const cl = headers['content-length'];
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new FramingError(`bad content-length: ${cl}`);
    const length = Number(cl);
    if (buffer.length - start < length) {
      if (ended) throw new FramingError(`connection closed after ${buffer.length - start} of ${length} body bytes`);
      return null;
    }
    return { response: { ...base, body: Buffer.from(buffer.subarray(start, start + length)), framing: 'length' }, used: start + length };
  }
  // Neither: the body runs to the end of the connection.
  if (!ended) return null;
  return { response: { ...base, body: Buffer.from(buffer.subarray(start)), framing: 'close' }, used: buffer.length };
}

/** A chunked body starting at `offset`: null while incomplete; throws on a malformed chunk. */
function parseChunked(buffer: Buffer, offset: number): { body: Buffer; used: number } | null {
  const parts: Buffer[] = [];
  let at = offset;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd === -1) return null;
    const sizeLine = buffer.subarray(at, lineEnd).toString('latin1');
    const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(sizeLine);
    if (size === null) throw new FramingError(`bad chunk size line: ${JSON.stringify(sizeLine)}`);
    const length = parseInt(size[1]!, 16);
    at = lineEnd + 2;
    if (length === 0) {
      // Trailer section: header lines up to an empty line.
      for (;;) {
        const end = buffer.indexOf('\r\n', at);
        if (end === -1) return null;
        const empty = end === at;
        at = end + 2;
        if (empty) return { body: Buffer.concat(parts), used: at };
      }
    }
    if (buffer.length < at + length + 2) return null;
    parts.push(buffer.subarray(at, at + length));
    at += length;
    if (buffer[at] !== 0x0d || buffer[at + 1] !== 0x0a) throw new FramingError(`chunk of ${length} bytes not followed by CRLF`);
    at += 2;
  }
}
