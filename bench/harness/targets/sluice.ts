// Runs on the bench orchestrator. Starts Sluice through its CLI (the same command an operator
// types), waits for the "sluice ready" log line and talks to its Admin API.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, waitForLine, type Child } from '../proc.ts';
import { HOST, freePorts } from '../net.ts';
import type { DeclarativeConfig } from './sluice-configs.ts';

/** Repository root: bench/harness/targets/../../.. */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

export interface SluiceOptions {
  name: string;
  workers: number;
  config: DeclarativeConfig;
  tmpDir: string;
  rebuildAll?: boolean;
  /** Extra node flags for the primary, e.g. --cpu-prof (which also profiles worker threads). */
  nodeArgs?: string[];
  /** How long to wait for "sluice ready" (default 30 s; a 100k-route config takes longer). */
  readyTimeoutMs?: number;
  /** Extra `node runtime` options, e.g. --dns-resolver. */
  runtimeArgs?: string[];
  /** The process's environment (default: the bench's own). */
  env?: NodeJS.ProcessEnv;
}

export interface Sluice {
  child: Child;
  proxyUrl: string;
  adminUrl: string;
}

export async function startSluice(options: SluiceOptions): Promise<Sluice> {
  const [port, adminPort] = await freePorts(2);
  const configFile = join(options.tmpDir, `${options.name}.json`);
  writeFileSync(configFile, JSON.stringify(options.config, null, 2));
  const args = [
    ...(options.nodeArgs ?? []),
    'runtime',
    '--config', configFile,
    '--host', HOST,
    '--port', String(port),
    '--workers', String(options.workers),
    '--admin-listen', `${HOST}:${adminPort}`,
    ...(options.rebuildAll === true ? ['--rebuild-all'] : []),
    ...(options.runtimeArgs ?? []),
  ];
  // Graceful exit can take a moment (drain, and writing CPU profiles under --profile).
  const child = start(options.name, process.execPath, args, { cwd: REPO_ROOT, graceMs: 10_000, env: options.env });
  const line = await waitForLine(child, (l) => l.includes('"msg":"sluice ready"'), options.readyTimeoutMs ?? 30_000);
  let proxyUrl = `http://${HOST}:${port}`;
  let adminUrl = `http://${HOST}:${adminPort}`;
  try {
    const record = JSON.parse(line) as { proxy?: unknown; admin?: unknown };
    if (typeof record.proxy === 'string') proxyUrl = record.proxy;
    if (typeof record.admin === 'string') adminUrl = record.admin;
  } catch {
    // Not JSON after all: keep the URLs we asked for.
  }
  return { child, proxyUrl: proxyUrl.replace(/\/$/, ''), adminUrl: adminUrl.replace(/\/$/, '') };
}

export interface ConfigAnswer {
  status: number;
  body: string;
  ms: number;
}

/** POST /config (JSON body); `wait` asks Sluice to answer once every worker applied it. */
export async function postConfig(adminUrl: string, config: DeclarativeConfig, wait: boolean, timeoutMs = 5000): Promise<ConfigAnswer> {
  const t0 = performance.now();
  const res = await fetch(`${adminUrl}/config${wait ? '?wait=1' : ''}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  return { status: res.status, body, ms: performance.now() - t0 };
}

/** "skipped: ..." reason for a config Sluice refused, or null when it was accepted. */
export function rejection(answer: ConfigAnswer): string | null {
  if (answer.status === 201 || answer.status === 200) return null;
  return `Sluice answered ${answer.status} to POST /config: ${answer.body.replace(/\s+/g, ' ').slice(0, 240)}`;
}
