// The `http-log` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's
// serializer, workers/logging/serialize.ts) is queued (workers/logging/queue.ts, Kong's queue with its batching,
// limits and back-off) and sent by the queue to `http_endpoint` (sender.ts, undici). The log phase
// only serializes and queues: it never waits for the log server.
//
// Queues are named as Kong names them — endpoint, method, content type, timeout, keepalive,
// retry_count — so instances that log to the same server share a queue and its connection(s), and
// the queue outlives a reconfigure that replaces an instance. As in Kong, the configuration of the
// instance that queued last is the one the queue sends with.
import { schema, type Config } from '../../../config/plugins/http-log.ts';
import type { QueueFields } from '../../../config/plugins/logging-fields.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import { LogQueue, LogQueues, type BatchHandler } from '../../logging/queue.ts';
import { serializeJson } from '../../logging/serialize.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { LogServer, parseEndpoint } from './sender.ts';

/** This worker's http-log queues and their log servers, by queue name (module state is per worker thread). */
export const httpLogQueues = new LogQueues();
const servers = new Map<string, LogServer>();

/** Kong's Queue.get_plugin_params: the deprecated fields stand for their queue.* successors when not at their old defaults. */
export function queueParams(config: Config): QueueFields {
  const queue = { ...config.queue };
  if (config.queue_size !== null && config.queue_size !== 1) queue.max_batch_size = config.queue_size;
  if (config.flush_timeout !== null && config.flush_timeout !== 2) queue.max_coalescing_delay = config.flush_timeout;
  return queue;
}

class HttpLog implements PluginInstance {
  readonly queue: LogQueue;
  readonly #params: QueueFields;
  readonly #send: BatchHandler;

  constructor(config: Config, env: PluginEnv) {
    const endpoint = parseEndpoint(config.http_endpoint);
    const params = queueParams(config);
    this.#params = params;
    const headers: Record<string, string> = { 'content-type': config.content_type };
    if (endpoint.authorization !== null) headers['authorization'] = endpoint.authorization;
    for (const [name, value] of Object.entries(config.headers ?? {})) {
      const lower = name.toLowerCase();
      if (headers[lower] === undefined) headers[lower] = value;
    }
    const method = config.method;
    const single = params.max_batch_size === 1;
    const name = [config.http_endpoint, config.method, config.content_type, config.timeout, config.keepalive, config.retry_count ?? ''].join(':');
    this.queue = httpLogQueues.hold(name, (onClosed) => {
      servers.set(name, new LogServer(endpoint, config.timeout, config.keepalive, params.concurrency_limit === -1));
      const closeHandler = (): void => {
        servers.get(name)?.close();
        servers.delete(name);
      };
      return new LogQueue({ name, plugin: 'http-log', config: params, handler: () => Promise.resolve(), wheel: env.wheel, log: env.log, onClosed, closeHandler });
    });
    const target = servers.get(name)!;
    this.#send = (entries) => target.send(method, headers, single ? entries[0]! : `[${entries.join(',')}]`);
    this.queue.update(params, this.#send);
  }

  log(ctx: RequestContext): void {
    const queue = this.queue;
    // Kong: the latest configuration seen by the queue is the one it uses.
    if (queue.handler !== this.#send) queue.update(this.#params, this.#send);
    queue.enqueue(serializeJson(ctx));
  }

  close(): void {
    this.queue.release();
  }
}

export default definePlugin<Config>(schema, HttpLog);
