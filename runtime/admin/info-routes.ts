// Read-only Admin API views of the node and its workers (primary thread).
import { GROUPS } from '../../config/types.ts';
import { readiness } from '../metrics/status.ts';
import { sumTimerReports, type TimersReport } from '../protocol/timers-report.ts';
import type { AdminContext } from './server.ts';

export function info(ctx: AdminContext): Record<string, unknown> {
  return {
    tagline: 'Welcome to Sluice',
    version: ctx.version,
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
