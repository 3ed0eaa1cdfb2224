// The real gateway for plugin behaviour tests: `node runtime` (one worker) in front of a real echo
// upstream on 127.0.0.1, with a YAML config in which `UPSTREAM_URL` stands for the upstream's URL.
import { request, type Reply } from '../../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../../helpers/runtime.ts';
import { echoHandler, startUpstream } from '../../helpers/upstream.ts';
import type { Cleanups } from './helpers.ts';

export interface AuthGateway {
  proxy: string;
  admin: string;
  runtime: Runtime;
  /** Loads another config (same placeholder) and waits until the worker applied it. */
  reload(yaml: string): Promise<Reply>;
  /** A GET through the proxy; `upstream` is what the echo upstream received (null when the gateway answered). */
  get(path: string, headers?: Record<string, string>): Promise<Reply & { upstream: { url: string; headers: Record<string, string> } | null }>;
}

export async function startAuthGateway(t: Cleanups, yaml: string): Promise<AuthGateway> {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const fill = (text: string): string => text.replaceAll('UPSTREAM_URL', upstream.url);
  const file = await writeConfig(fill(yaml));
  // A generous start-up bound: the machine is shared, and a loaded box takes seconds to prepare a config.
  const runtime = await startRuntime(['--config', file, '--workers', '1', '--no-spare'], { timeoutMs: 90_000 });
  t.after(() => runtime.stop());
  return {
    proxy: runtime.proxy,
    admin: runtime.admin,
    runtime,
    async reload(next: string): Promise<Reply> {
      const reply = await request(`${runtime.admin}/config?wait=1`, { method: 'POST', headers: { 'content-type': 'application/yaml' }, body: fill(next) });
      if (reply.status >= 300) throw new Error(`reload refused: ${reply.status} ${reply.body}`);
      return reply;
    },
    async get(path, headers = {}) {
      const reply = await request(`${runtime.proxy}${path}`, { headers });
      let echoed = null;
      if (reply.headers.via !== undefined && reply.headers['content-type'] === 'application/json') {
        echoed = reply.json<{ url: string; headers: Record<string, string> }>();
      }
      return Object.assign(reply, { upstream: echoed });
    },
  };
}
