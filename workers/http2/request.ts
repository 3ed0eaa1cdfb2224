// One HTTP/2 stream's request (worker thread), in the shape the proxy handles (proxy/client.ts).
// The pseudo-headers become the method, the target and the Host field (`:authority` wins over a
// `host` field, RFC 9113 §8.3.1); cookie fields split by the client are joined with "; " as an
// HTTP/1.1 upstream needs (§8.2.3). Connection-specific fields never get here: nghttp2 refuses a
// request carrying them as malformed. `check` applies the listener's rules (the same as
// HTTP/1.1's: Host, underscores, body size) and says which status refuses the request, if any.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ListenerLimits } from '../../runtime/protocol/listener-limits.ts';
import { headerObject } from '../http1/request.ts';
import { validHost } from '../http1/host.ts';
import type { ClientRequest } from '../proxy/client.ts';

/** Header names with "_" that a CGI-style upstream would read as a framing header. */
const FRAMING_ALIAS = /^(?:content[-_]length|transfer[-_]encoding)$/i;

export class H2Request implements ClientRequest {
  readonly method: string;
  readonly url: string;
  readonly httpVersion = '2.0';
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  body: Readable | null = null;
  complete = false;
  readonly upgrade = false;
  bodyReceived = 0;
  bodyLimit = Infinity;
  bodyLimitAnswer = '';
  readonly ownsBodyChunks = false;
  /** The status that refuses this request before routing, or 0 (see the constructor). */
  readonly refuse: number;

  /** `raw`: the stream's fields as received, [name, value, ...], pseudo-headers included. */
  constructor(raw: readonly string[], socket: Socket, limits: ListenerLimits) {
    this.socket = socket;
    let method = '';
    let path = '';
    let authority: string | null = null;
    let host: string | null = null;
    let cookie: string | null = null;
    let refuse = 0;
    const fields: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      const value = raw[i + 1]!;
      if (name.charCodeAt(0) === 0x3a /* : */) {
        if (name === ':method') method = value;
        else if (name === ':path') path = value;
        else if (name === ':authority') authority = value;
        continue;
      }
      if (name === 'host') {
        host = value;
        continue;
      }
      if (name === 'cookie') {
        cookie = cookie === null ? value : `${cookie}; ${value}`;
        continue;
      }
      if (name.includes('_')) {
        const policy = limits.underscoreHeaders;
        if (policy === 'reject') refuse = 400;
        if (policy === 'drop' || FRAMING_ALIAS.test(name)) continue;
      }
      fields.push(name, value);
    }
    const hostValue = authority ?? host;
    if (hostValue === null || !validHost(hostValue)) refuse ||= 400;
    // A forward proxy's CONNECT (RFC 8441's extended CONNECT included) has no place here.
    if (method === 'CONNECT') refuse ||= 405;
    // Origin-form, or `*` for OPTIONS; nghttp2 has checked that :path is present and not empty.
    if (path.charCodeAt(0) !== 0x2f && !(path === '*' && method === 'OPTIONS')) refuse ||= 400;
    if (fields.length / 2 > limits.maxHeaderFields) refuse ||= 431;
    fields.push('host', hostValue ?? '');
    if (cookie !== null) fields.push('cookie', cookie);
    this.method = method;
    this.url = path;
    this.rawHeaders = fields;
    this.headers = headerObject(fields);
    const length = this.headers['content-length'];
    if (length !== undefined) {
      const bytes = Number(length);
      if (!(bytes <= Number.MAX_SAFE_INTEGER)) refuse ||= 400;
      else if (limits.maxBodyBytes > 0 && bytes > limits.maxBodyBytes) refuse ||= 413;
    }
    this.refuse = refuse;
  }

  headerValues(name: string): string[] {
    const raw = this.rawHeaders;
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i] === name) values.push(raw[i + 1]!);
    return values;
  }
}
