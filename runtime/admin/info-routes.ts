// Read-only Admin API views of the node and its workers (primary thread).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { GROUPS } from '../../config/types.ts';
import { readiness } from '../metrics/status.ts';
import { sumTimerReports, type TimersReport } from '../protocol/timers-report.ts';
import type { AdminContext } from './server.ts';

/**
 * The Kong Admin API level Sluice implements: Kong's tools (decK, Kong Manager, KIC) read
 * `version` from `GET /` to choose their formats, and refuse versions they do not know.
 */
export const KONG_API_VERSION = '3.10.0';

/** This node's id for the life of the process (Kong keeps one per node). */
const NODE_ID = randomUUID();

/** `GET /`: Kong's fields (version, plugins, configuration.database "off"...) and Sluice's own. */
export function info(ctx: AdminContext): Record<string, unknown> {
  const available = Object.fromEntries(Object.values(pluginSchemas).map((s) => [s.name, { version: ctx.version, priority: s.priority ?? 0 }]));
  const enabled = [...new Set(Object.values(ctx.store.snapshot.entities.plugins).map((p) => p.name))].sort();
  return {
    tagline: 'Welcome to Sluice',
    version: KONG_API_VERSION,
    edition: 'community',
    hostname: hostname(),
    node_id: NODE_ID,
    plugins: { available_on_server: available, enabled_in_cluster: enabled },
    configuration: { database: 'off', role: 'traditional', router_flavor: 'traditional_compatible', proxy_listeners: [{ listener: ctx.proxyUrl }] },
    pids: { master: process.pid },
    sluice_version: ctx.version,
    node_version: process.version,
    workers: ctx.supervisor.slots.length,
    proxy: ctx.proxyUrl,
    configuration_hash: ctx.store.snapshot.hash,
    config_version: ctx.store.snapshot.version,
    config_source: ctx.store.source,
  };
}

interface WorkerStatus {
  requests?: number;
  in_flight?: number;
  connections?: { active: number; total: number };
  version?: number;
}

export async function status(ctx: AdminContext): Promise<Record<string, unknown>> {
  const replies = await ctx.supervisor.query('status');
  const totals = { requests: 0, in_flight: 0, connections_active: 0, connections_total: 0, workers_alive: 0 };
  const perWorker = replies.map((reply) => {
    const slot = ctx.supervisor.slots[reply.worker]!;
    const data = (reply.data ?? {}) as WorkerStatus;
    const alive = reply.error === undefined;
    if (alive) {
      totals.workers_alive++;
      totals.requests += data.requests ?? 0;
      totals.in_flight += data.in_flight ?? 0;
      totals.connections_active += data.connections?.active ?? 0;
      totals.connections_total += data.connections?.total ?? 0;
    }
    return {
      worker: reply.worker,
      alive,
      error: reply.error,
      applied_version: ctx.supervisor.versions.applied(reply.worker),
      requests: data.requests ?? 0,
      in_flight: data.in_flight ?? 0,
      connections: data.connections ?? { active: 0, total: 0 },
      restarts: slot.restarts,
    };
  });
  const snapshot = ctx.store.snapshot;
  // Judged after the replies: a worker that became ready while they were gathered counts.
  const ready = readiness(ctx.supervisor);
  return {
    // Kong's fields. There is no database (DB-less) and no Lua VM: memory is the primary's heap.
    database: { reachable: true },
    server: {
      total_requests: totals.requests,
      connections_active: totals.connections_active,
      connections_accepted: totals.connections_total,
      connections_handled: totals.connections_total,
      connections_reading: 0,
      connections_writing: totals.in_flight,
      connections_waiting: Math.max(0, totals.connections_active - totals.in_flight),
    },
    memory: { workers_lua_vms: [], lua_shared_dicts: {}, primary_heap_used: process.memoryUsage().heapUsed },
    // Sluice's own.
    ready: ready.ready,
    readiness: ready.message,
    configuration_hash: snapshot.hash,
    config_version: snapshot.version,
    published_version: ctx.supervisor.versions.published,
    group_hashes: Object.fromEntries(GROUPS.map((g) => [g, snapshot.groupHashes[g]])),
    workers: perWorker,
    totals,
  };
}

export async function workers(ctx: AdminContext): Promise<Record<string, unknown>> {
  const replies = await ctx.supervisor.query('status');
  return {
    spare: ctx.supervisor.spare,
    spare_thread_id: ctx.supervisor.spareThreadId,
    data: ctx.supervisor.slots.map((slot) => {
      const reply = replies[slot.index];
      return {
        worker: slot.index,
        thread_id: slot.threadId,
        generation: slot.generation,
        alive: slot.worker !== null && reply?.error === undefined,
        ready: slot.ready,
        restarts: slot.restarts,
        last_exit: slot.lastExit,
        applied_version: ctx.supervisor.versions.applied(slot.index),
        last_apply_ms: slot.lastApplyMs,
        status: reply?.data ?? null,
        error: reply?.error,
      };
    }),
  };
}

/** Each worker's wheel in Kong's `/timers` shape, and all of them summed (`worker.id` -1). */
export async function timers(ctx: AdminContext): Promise<Record<string, unknown>> {
  const replies = await ctx.supervisor.query('timers');
  const reports = replies.filter((reply) => reply.data !== undefined).map((reply) => reply.data as TimersReport);
  return {
    ...sumTimerReports(reports),
    workers: replies.map((reply) => reply.data ?? { worker: { id: reply.worker }, error: reply.error }),
  };
}
