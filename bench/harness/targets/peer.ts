// Runs on the bench orchestrator. Starts the Node peer proxy (node-peer.ts) in its own process.
import { join } from 'node:path';
import { start, waitForLine, type Child } from '../proc.ts';
import { HOST, freePort } from '../net.ts';

export async function startNodePeer(workers: number, upstreamUrl: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const script = join(import.meta.dirname, 'node-peer.ts');
  const args = [script, '--port', String(port), '--upstream', upstreamUrl, '--workers', String(workers)];
  const child = start(`node-peer(${workers}w)`, process.execPath, args);
  await waitForLine(child, (line) => line.includes('"ready":true'), 15_000);
  return { child, url: `http://${HOST}:${port}` };
}
