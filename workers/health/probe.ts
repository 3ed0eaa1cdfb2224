// One active health probe (health-check thread): an HTTP(S) GET with undici, as Kong's checker
// sends with lua-resty-http, or a bare TCP connect with node:net for `type: tcp`. A probe opens a
// fresh connection and closes it (undici `reset`), so a dead target fails the connect, as in Kong.
import { connect } from 'node:net';
import { Agent, request } from 'undici';
import type { UpstreamHealthchecks } from '../../config/types.ts';

export type ProbeResult = { outcome: 'success' } | { outcome: 'failure'; kind: 'tcp' | 'timeout' | 'http' } | { outcome: 'ignored' };

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** Agents by TLS settings and timeout: a probe's connect timeout and certificate checks live there. */
const agents = new Map<string, Agent>();

function agentFor(active: UpstreamHealthchecks['active'], timeoutMs: number): Agent {
  const key = `${timeoutMs}|${active.https_verify_certificate}|${active.https_sni ?? ''}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = new Agent({
      connect: { timeout: timeoutMs, rejectUnauthorized: active.https_verify_certificate, ...(active.https_sni === null ? {} : { servername: active.https_sni }) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    agents.set(key, agent);
  }
  return agent;
}

export async function probe(target: ProbeTarget, checks: UpstreamHealthchecks): Promise<ProbeResult> {
  const active = checks.active;
  // Kong's timeout is in seconds; 0 would mean "no time at all", so take at least 1 ms.
  const timeoutMs = Math.max(1, Math.round(active.timeout * 1000));
  if (active.type === 'tcp') return tcpProbe(target, timeoutMs);
  const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
  const headers: Record<string, string | string[]> = {};
  if (active.headers !== null) for (const name in active.headers) headers[name] = active.headers[name]!;
  try {
    const response = await request(`${active.type}://${host}:${target.port}${active.http_path}`, {
      method: 'GET',
      headers,
      reset: true,
      dispatcher: agentFor(active, timeoutMs),
    });
    await response.body.dump();
    const status = response.statusCode;
    if (active.healthy.http_statuses.includes(status)) return { outcome: 'success' };
    if (active.unhealthy.http_statuses.includes(status)) return { outcome: 'failure', kind: 'http' };
    return { outcome: 'ignored' };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return { outcome: 'failure', kind: typeof code === 'string' && TIMEOUT_CODES.has(code) ? 'timeout' : 'tcp' };
  }
}

function tcpProbe(target: ProbeTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
    const socket = connect({ host, port: target.port });
    socket.setTimeout(timeoutMs);
    socket.once('connect', () => {
      socket.destroy();
      resolve({ outcome: 'success' });
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ outcome: 'failure', kind: 'timeout' });
    });
    socket.once('error', () => resolve({ outcome: 'failure', kind: 'tcp' }));
  });
}

export async function closeProbeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.allSettled(all.map((agent) => agent.close()));
}
