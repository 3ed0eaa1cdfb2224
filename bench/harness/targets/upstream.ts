// Runs on the bench orchestrator. Starts the fast upstream all proxies forward to.
// nginx's static `return 200` is preferred when nginx is installed: it answers with less CPU than
// any node:http server, and on a 2-core machine every cycle the origin burns is taken from the
// proxy under test. `--upstream node` forces the bare node:http server (upstream-server.ts).
import { join } from 'node:path';
import { start, waitForLine, type Child } from '../proc.ts';
import { startNginxUpstream } from './nginx.ts';

export const UPSTREAM_BODY = 'hello from the bench upstream\n';

export type UpstreamKind = 'nginx' | 'node';

export interface Upstream {
  kind: UpstreamKind;
  /** Every port answers the same body; the churn scenario alternates targets between them. */
  ports: number[];
  child: Child;
  describe: string;
}

export async function startUpstream(kind: UpstreamKind, ports: number[], tmpDir: string): Promise<Upstream> {
  if (kind === 'nginx') {
    const child = await startNginxUpstream(join(tmpDir, 'nginx-upstream'), ports, UPSTREAM_BODY);
    return { kind, ports, child, describe: `nginx static "return 200" (1 worker process), ${UPSTREAM_BODY.length}-byte body` };
  }
  const script = join(import.meta.dirname, 'upstream-server.ts');
  const child = start('node-upstream', process.execPath, [script, ...ports.map(String)]);
  await waitForLine(child, (line) => line.includes('"ready":true'), 10_000);
  return { kind, ports, child, describe: `bare node:http server (1 process), ${UPSTREAM_BODY.length}-byte body` };
}
