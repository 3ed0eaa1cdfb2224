// The `udp-log` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's
// serializer, workers/logging/serialize.ts) as one UDP datagram of its JSON to host:port. One connected
// socket per host/port per worker, shared by the instances that name them. A send never waits for
// the receiver; sends not yet handed to the kernel are bounded (MAX_IN_FLIGHT), past that entries
// are dropped and counted, as are failed sends (workers/logging/drops.ts). `timeout` has nothing to bound
// here: a UDP send does not wait for its receiver (documented, docs/plugins.md).
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { schema, type Config } from '../../../config/plugins/udp-log.ts';
import type { Logger } from '../../../runtime/protocol/log.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import { countDropped } from '../../logging/drops.ts';
import { serializeJson } from '../../logging/serialize.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

/** Datagrams handed to the socket and not yet sent (connecting, or the kernel buffer full). */
export const MAX_IN_FLIGHT = 1024;

export class UdpTarget {
  readonly key: string;
  readonly #log: Logger;
  readonly #host: string;
  readonly #port: number;
  readonly #socket: Socket;
  #inFlight = 0;
  holders = 0;
  /** Datagrams sent (tests, diagnostics). */
  sent = 0;

  constructor(key: string, host: string, port: number, log: Logger) {
    this.key = key;
    this.#host = host;
    this.#port = port;
    this.#log = log;
    const host6 = host.startsWith('[') ? host.slice(1, -1) : host;
    this.#socket = createSocket(isIPv6(host6) ? 'udp6' : 'udp4');
    this.#socket.on('error', (error) => this.#log.warn({ plugin: 'udp-log', host, port, err: error }, 'udp-log: socket error'));
    this.#socket.unref();
    this.#socket.connect(port, host6);
  }

  send(text: string): void {
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      countDropped('udp-log', 'backlog', 1, this.#log, { host: this.#host, port: this.#port });
      return;
    }
    this.#inFlight++;
    try {
      // Sent as soon as the socket is connected (dgram queues sends made before that).
      this.#socket.send(text, (error) => {
        this.#inFlight--;
        if (error === null || error === undefined) this.sent++;
        else countDropped('udp-log', 'send_failed', 1, this.#log, { host: this.#host, port: this.#port, err: error });
      });
    } catch (error) {
      // The connect failed (a name that does not resolve): the socket cannot send.
      this.#inFlight--;
      countDropped('udp-log', 'send_failed', 1, this.#log, { host: this.#host, port: this.#port, err: error });
    }
  }

  close(): void {
    this.#socket.close();
  }
}

const targets = new Map<string, UdpTarget>();

class UdpLog implements PluginInstance {
  readonly target: UdpTarget;

  constructor(config: Config, env: PluginEnv) {
    const key = `${config.host}\0${config.port}`;
    let target = targets.get(key);
    if (target === undefined) {
      target = new UdpTarget(key, config.host, config.port, env.log);
      targets.set(key, target);
    }
    target.holders++;
    this.target = target;
  }

  log(ctx: RequestContext): void {
    this.target.send(serializeJson(ctx));
  }

  close(): void {
    const target = this.target;
    if (--target.holders > 0) return;
    targets.delete(target.key);
    target.close();
  }
}

export default definePlugin<Config>(schema, UdpLog);
