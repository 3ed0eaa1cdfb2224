// Primary thread: the status listener (`--status-listen H:P`, off by default), Kong's Status API
// reduced to what a scraper and a Kubernetes probe need — GET /metrics, GET /status/ready and
// GET /status/live (liveness) — so they can reach the node while the Admin API stays on loopback.
// Everything else is 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../admin/http.ts';
import type { Logger } from '../protocol/log.ts';
import type { Supervisor } from '../supervisor.ts';
import type { MetricsCollector } from './collector.ts';

export interface Readiness {
  ready: boolean;
  message: string;
}

/**
 * Ready when every worker slot has a running, listening worker that has applied the published
 * config version: a probe never sends traffic to a node still on an older config or short of a
 * worker.
 */
export function readiness(supervisor: Pick<Supervisor, 'versions' | 'slots' | 'draining'>): Readiness {
  // A draining node answers its open connections but takes no new ones: send traffic elsewhere.
  if (supervisor.draining) return { ready: false, message: 'draining' };
  const published = supervisor.versions.published;
  for (const slot of supervisor.slots) {
    if (slot.worker === null || !slot.ready) return { ready: false, message: `worker ${slot.index} is not ready` };
    const applied = supervisor.versions.applied(slot.index);
    if (applied < published) return { ready: false, message: `worker ${slot.index} has applied config version ${applied}, not ${published}` };
  }
  return { ready: true, message: 'ready' };
}

/** Answers one metrics scrape (Admin API and status listener). */
export async function sendMetrics(res: ServerResponse, collector: MetricsCollector): Promise<void> {
  const text = await collector.scrape();
  res.writeHead(200, { 'content-type': collector.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function createStatusHandler(collector: MetricsCollector, supervisor: Supervisor, log: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && path === '/metrics') {
      sendMetrics(res, collector).catch((error: unknown) => {
        log.error({ err: error }, 'metrics scrape failed');
        if (!res.headersSent) sendJson(res, 500, { message: 'An unexpected error occurred' });
        else res.destroy();
      });
      return;
    }
    // Liveness: the primary's loop answers. Workers are the primary's to replace, not the probe's.
    if (req.method === 'GET' && path === '/status/live') return sendJson(res, 200, { message: 'alive' });
    if (req.method === 'GET' && path === '/status/ready') {
      const state = readiness(supervisor);
      return sendJson(res, state.ready ? 200 : 503, { message: state.message });
    }
    sendJson(res, 404, { message: 'Not found' });
  };
}
