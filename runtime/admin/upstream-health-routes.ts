// Kong's upstream health endpoints (primary thread):
//   GET  /upstreams/{id|name}/health                     every target's health
//   POST /upstreams/{id|name}/targets/{id|target}/healthy     manual override: healthy
//   POST /upstreams/{id|name}/targets/{id|target}/unhealthy   manual override: unhealthy
// A manual override lands in the shared upstream memory, so every worker follows it on its next
// pick; active checks (when on) go on probing and may change it again, as in Kong.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { findTarget, findUpstream } from '../health/view.ts';
import { sendJson } from './http.ts';
import type { AdminContext } from './server.ts';

const HEALTH = /^\/upstreams\/([^/]+)\/health$/;
const OVERRIDE = /^\/upstreams\/([^/]+)\/targets\/([^/]+)\/(healthy|unhealthy)$/;

/** Answers the request and returns true when `path` is one of these endpoints. */
export function upstreamHealthRoute(req: IncomingMessage, res: ServerResponse, path: string, ctx: AdminContext): boolean {
  const health = req.method === 'GET' ? HEALTH.exec(path) : null;
  if (health !== null) {
    getHealth(res, decode(health[1]!), ctx);
    return true;
  }
  const override = req.method === 'POST' ? OVERRIDE.exec(path) : null;
  if (override !== null) {
    setHealth(res, decode(override[1]!), decode(override[2]!), override[3] === 'healthy', ctx);
    return true;
  }
  return false;
}

function getHealth(res: ServerResponse, idOrName: string, ctx: AdminContext): void {
  const snapshot = ctx.store.snapshot;
  const upstream = findUpstream(snapshot, idOrName);
  if (upstream === undefined) return sendJson(res, 404, { message: 'Not found' });
  const data = [];
  const targets = snapshot.entities.targets;
  for (const id in targets) {
    const target = targets[id]!;
    if (target.upstream.id !== upstream.id) continue;
    const health = ctx.health.of(upstream, target);
    const colon = target.target.lastIndexOf(':');
    data.push({
      id: target.id,
      target: target.target,
      upstream: { id: upstream.id },
      weight: target.weight,
      tags: target.tags,
      health,
      data: { addresses: [{ ip: target.target.slice(0, colon), port: Number(target.target.slice(colon + 1)), health, weight: target.weight }] },
    });
  }
  sendJson(res, 200, { total: data.length, node_id: ctx.metrics.primary.nodeId, data, next: null });
}

function setHealth(res: ServerResponse, idOrName: string, idOrTarget: string, healthy: boolean, ctx: AdminContext): void {
  const snapshot = ctx.store.snapshot;
  const upstream = findUpstream(snapshot, idOrName);
  const target = upstream === undefined ? undefined : findTarget(snapshot, upstream, idOrTarget);
  if (upstream === undefined || target === undefined || !ctx.health.set(upstream, target, healthy)) return sendJson(res, 404, { message: 'Not found' });
  res.writeHead(204).end();
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
