// The Admin API (primary thread), on loopback by default and never on the proxy port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigStore } from '../config-store.ts';
import type { MetricsCollector } from '../metrics/collector.ts';
import { readiness, sendMetrics } from '../metrics/status.ts';
import type { Logger } from '../protocol/log.ts';
import type { HealthView } from '../health/view.ts';
import type { Supervisor } from '../supervisor.ts';
import { getConfig, postConfig } from './config-routes.ts';
import { sendJson } from './http.ts';
import { info, status, timers, workers } from './info-routes.ts';
import { KONG_PATHS, kongRoute } from './kong-router.ts';
import { upstreamHealthRoute } from './upstream-health-routes.ts';

export interface AdminContext {
  store: ConfigStore;
  supervisor: Supervisor;
  log: Logger;
  version: string;
  proxyUrl: string;
  metrics: MetricsCollector;
  /** Target health in the shared upstream memory (upstream-health-routes.ts). */
  health: HealthView;
  /** The Admin API is authenticated (--admin-token): GET /config may show private keys (redact.ts). */
  revealKeys?: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, ctx: AdminContext) => void | Promise<void>;

const ROUTES: Record<string, Handler> = {
  'GET /': (_req, res, _url, ctx) => sendJson(res, 200, info(ctx)),
  'GET /status': async (_req, res, _url, ctx) => sendJson(res, 200, await status(ctx)),
  'GET /status/ready': (_req, res, _url, ctx) => {
    const state = readiness(ctx.supervisor);
    sendJson(res, state.ready ? 200 : 503, { message: state.message });
  },
  'GET /workers': async (_req, res, _url, ctx) => sendJson(res, 200, await workers(ctx)),
  'GET /timers': async (_req, res, _url, ctx) => sendJson(res, 200, await timers(ctx)),
  'GET /config': (_req, res, _url, ctx) => getConfig(res, ctx.store, ctx.revealKeys ?? false),
  'POST /config': (req, res, url, ctx) => postConfig(req, res, url, ctx.store, ctx.supervisor),
  'GET /metrics': (_req, res, _url, ctx) => sendMetrics(res, ctx.metrics),
  'GET /endpoints': (_req, res) => sendJson(res, 200, { data: ENDPOINTS }),
};

/** Kong's `/endpoints`: every path served, `/`-segment order. */
const ENDPOINTS = [...new Set([...Object.keys(ROUTES).map((r) => r.split(' ')[1] as string), '/workers/{worker}', ...KONG_PATHS])].sort((a, b) =>
  a.replaceAll('/', '\0') < b.replaceAll('/', '\0') ? -1 : 1,
);

const WORKER_PATH = /^\/workers\/\d+$/;

/** DELETE /workers/N ends worker N (e.g. to recycle it); the supervisor replaces it as after a crash. */
const killWorker: Handler = async (_req, res, url, ctx) => {
  const index = Number(url.pathname.split('/')[2]);
  if (!(await ctx.supervisor.kill(index))) return sendJson(res, 404, { message: `no running worker ${index}` });
  sendJson(res, 202, { worker: index, message: 'worker ended; it will be replaced' });
};

export function createAdminHandler(ctx: AdminContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const handler = ROUTES[`${req.method} ${path}`] ?? (req.method === 'DELETE' && WORKER_PATH.test(path) ? killWorker : undefined);
    if (handler === undefined && upstreamHealthRoute(req, res, path, ctx)) return;
    if (handler === undefined) {
      // Kong's entity endpoints (read side; writes answer 405 as Kong DB-less does).
      const reply = kongRoute(req.method ?? 'GET', path, url, ctx.store);
      if (reply !== null) return sendJson(res, reply.status, reply.body);
      return sendJson(res, 404, { message: 'Not found' });
    }
    Promise.resolve(handler(req, res, url, ctx)).catch((error: unknown) => {
      ctx.log.error({ err: error, path: url.pathname }, 'admin request failed');
      if (!res.headersSent) sendJson(res, 500, { message: 'An unexpected error occurred' });
      else res.destroy();
    });
  };
}
