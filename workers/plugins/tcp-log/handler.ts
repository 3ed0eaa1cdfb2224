// The `tcp-log` plugin (worker thread), as Kong 3.x's: each request's log entry (Kong's
// serializer, workers/logging/serialize.ts) as a JSON line to host:port over TCP, or TLS with `tls`
// (`tls_sni` its SNI). The connection, its timeouts and its bounds: workers/logging/stream-writer.ts.
import { schema, type Config } from '../../../config/plugins/tcp-log.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import { serializeJson } from '../../logging/serialize.ts';
import { holdStreamWriter, type StreamWriter } from '../../logging/stream-writer.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

class TcpLog implements PluginInstance {
  readonly writer: StreamWriter;

  constructor(config: Config, env: PluginEnv) {
    const target = { host: config.host, port: config.port, timeoutMs: config.timeout, keepaliveMs: config.keepalive, tls: config.tls, sni: config.tls_sni };
    this.writer = holdStreamWriter('tcp-log', target, env.wheel, env.log);
  }

  log(ctx: RequestContext): void {
    this.writer.write(`${serializeJson(ctx)}\n`);
  }

  close(): void {
    this.writer.release();
  }
}

export default definePlugin<Config>(schema, TcpLog);
