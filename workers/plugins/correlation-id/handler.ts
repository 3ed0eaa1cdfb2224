// Runs on a worker thread: correlation-id, as Kong 3.x's handler.lua behaves. A request that
// carries the header keeps its value; otherwise one is generated and set on the upstream request.
// With `echo_downstream` the value is also sent back to the client, on upstream answers and on
// answers the gateway makes itself (the header rides on ctx.responseHeaders, which exits use too).
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { RequestContext } from '../../proxy/context.ts';
import type { PluginEnv, PluginInstance, UpstreamResponse } from '../types.ts';
import { definePlugin } from '../define.ts';
import { schema, type Config } from '../../../config/plugins/correlation-id.ts';

// Per worker thread, as Kong's per nginx worker: one uuid, then a counter (`uuid#counter`).
const workerUuid = randomUUID();
let workerCounter = 0;

// `tracker` wants nginx's connection serial number and requests-on-this-connection count.
const kConnection = Symbol('sluice.correlation.connection');
const kRequests = Symbol('sluice.correlation.requests');
type TrackedSocket = Socket & { [kConnection]?: number; [kRequests]?: number };
let connectionSerial = 0;

class CorrelationId implements PluginInstance {
  readonly #header: string;
  readonly #lower: string;
  readonly #generator: Config['generator'];
  readonly #echo: boolean;
  readonly #worker: number;

  constructor(config: Config, env: PluginEnv) {
    this.#header = config.header_name;
    this.#lower = config.header_name.toLowerCase();
    this.#generator = config.generator;
    this.#echo = config.echo_downstream;
    this.#worker = env.worker;
  }

  access(ctx: RequestContext): void {
    const incoming = ctx.req.headers[this.#lower];
    let id = typeof incoming === 'string' ? incoming : undefined;
    if (id === undefined || id === '') {
      id = this.#generate(ctx);
      ctx.setUpstreamHeader(this.#lower, id);
    }
    if (this.#echo) ctx.addResponseHeader(this.#header, id);
  }

  /** Kong's header_filter sets (replaces) the header: drop an upstream copy so the client sees one value. */
  headerFilter(_ctx: RequestContext, upstream: UpstreamResponse): void {
    if (this.#echo && upstream.headers[this.#lower] !== undefined) upstream.headers[this.#lower] = undefined;
  }

  #generate(ctx: RequestContext): string {
    switch (this.#generator) {
      case 'uuid':
        return randomUUID();
      case 'uuid#counter':
        return `${workerUuid}#${++workerCounter}`;
      case 'tracker':
        return tracker(ctx, this.#worker);
    }
  }
}

/**
 * Kong's `server_addr-server_port-pid-connection-connection_requests-time`. Worker threads share
 * the pid, so the connection serial is prefixed with the worker index to stay unique per node.
 * connection_requests counts the requests of this connection that reached this plugin.
 */
function tracker(ctx: RequestContext, worker: number): string {
  const socket = ctx.req.socket as TrackedSocket;
  const connection = (socket[kConnection] ??= ++connectionSerial);
  const requests = (socket[kRequests] = (socket[kRequests] ?? 0) + 1);
  return `${socket.localAddress ?? ''}-${socket.localPort ?? ''}-${process.pid}-${worker}.${connection}-${requests}-${(Date.now() / 1000).toFixed(3)}`;
}

export default definePlugin<Config>(schema, CorrelationId);
