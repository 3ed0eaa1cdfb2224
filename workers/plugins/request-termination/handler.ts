// Runs on a worker thread: request-termination, as Kong 3.x's handler.lua behaves. Answers every
// request itself (or only those carrying the `trigger` header or query argument): with `body` and
// `content_type`, else `{"message": message}` (a default message for some status codes, else no
// body), or with `echo`, a JSON reflection of the request for debugging.
import { hostname } from 'node:os';
import type { RequestContext } from '../../proxy/context.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { definePlugin } from '../define.ts';
import { schema, type Config } from '../../../config/plugins/request-termination.ts';

/** nginx's default client_body_buffer_size is 8-16k; a body above this cap echoes as absent, as Kong's does. */
const ECHO_BODY_LIMIT = 64 * 1024;

/** Kong's handler defaults when `message` is not set. */
const DEFAULT_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  404: 'Not found',
  405: 'Method not allowed',
  500: 'An unexpected error occurred',
  502: 'Bad Gateway',
  503: 'Service unavailable',
};

class RequestTermination implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #trigger: string | null;
  readonly #triggerHeader: string | null;
  /** Built once: the answer is the same for every request (no echo). */
  readonly #body: unknown;
  readonly #headers: Record<string, string> | undefined;

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#env = env;
    this.#trigger = config.trigger;
    this.#triggerHeader = config.trigger === null ? null : config.trigger.toLowerCase();
    if (config.body !== null) {
      this.#body = config.body;
      this.#headers = config.content_type === null ? undefined : Object.freeze({ 'Content-Type': config.content_type });
    } else {
      const message = config.message ?? DEFAULT_MESSAGES[config.status_code];
      this.#body = message === undefined ? null : Object.freeze({ message });
      this.#headers = undefined;
    }
  }

  access(ctx: RequestContext): void | Promise<void> {
    if (this.#trigger !== null && !hasTrigger(ctx, this.#trigger, this.#triggerHeader!)) return;
    const config = this.#config;
    if (!config.echo) {
      ctx.exit(config.status_code, this.#body, this.#headers);
      return;
    }
    const headers = ctx.req.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    if (!hasBody) {
      ctx.exit(config.status_code, this.#echo(ctx, null));
      return;
    }
    // Debugging only: the closure per request is acceptable here.
    return readBody(ctx).then((raw) => ctx.exit(config.status_code, this.#echo(ctx, raw)));
  }

  /** Kong's echo document. Lua nils vanish from Kong's JSON; `undefined` does the same here. */
  #echo(ctx: RequestContext, raw: string | null): unknown {
    const req = ctx.req;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const host = req.headers.host ?? '';
    const colon = host.startsWith('[') ? host.indexOf(':', host.indexOf(']')) : host.lastIndexOf(':');
    return {
      message: this.#config.message ?? DEFAULT_MESSAGES[this.#config.status_code],
      kong: { worker_pid: process.pid, worker: this.#env.worker, hostname: hostname() },
      request: {
        scheme: (req.socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
        host: colon === -1 ? host : host.slice(0, colon),
        port: req.socket.localPort,
        headers: req.headers,
        query: q === -1 ? {} : queryTable(url.slice(q + 1)),
        body: raw === null ? undefined : parseBody(raw, req.headers['content-type']),
        raw_body: raw ?? undefined,
        method: req.method,
        path: ctx.match?.path ?? (q === -1 ? url : url.slice(0, q)),
        uri_captures: ctx.match?.uriCaptures ?? { named: {}, unnamed: [] },
      },
      matched_route: ctx.route ?? undefined,
      matched_service: ctx.service ?? undefined,
    };
  }
}

/** The whole request body as text, or null when it is larger than ECHO_BODY_LIMIT or the read fails. */
async function readBody(ctx: RequestContext): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of ctx.req.body ?? []) {
      const buffer = chunk as Buffer;
      size += buffer.length;
      if (size > ECHO_BODY_LIMIT) return null;
      chunks.push(buffer);
    }
  } catch {
    return null;
  }
  return Buffer.concat(chunks).toString();
}

/** Kong's get_body: JSON and urlencoded bodies decoded; anything else is absent. */
function parseBody(raw: string, contentType: string | undefined): unknown {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  }
  if (type === 'application/x-www-form-urlencoded') return queryTable(raw);
  return undefined;
}

/** Kong's query table: repeated names give arrays, a name without `=` gives true. */
function queryTable(raw: string): Record<string, string | boolean | (string | boolean)[]> {
  // No prototype: a client may send `__proto__=...`.
  const table = Object.create(null) as Record<string, string | boolean | (string | boolean)[]>;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value: string | boolean = eq === -1 ? true : decode(part.slice(eq + 1));
    const previous = table[name];
    if (previous === undefined) table[name] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else table[name] = [previous, value];
  }
  return table;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** Kong: the trigger is a header or a query argument of that name, with any value. */
function hasTrigger(ctx: RequestContext, trigger: string, header: string): boolean {
  if (ctx.req.headers[header] !== undefined) return true;
  const url = ctx.req.url ?? '';
  const q = url.indexOf('?');
  return q !== -1 && new URLSearchParams(url.slice(q + 1)).has(trigger);
}

export default definePlugin<Config>(schema, RequestTermination);
