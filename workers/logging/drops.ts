// Runs on a worker thread: log entries the logging plugins gave up on, counted, never silent.
// A receiver that is down or never reads must not grow the worker's memory: every logging plugin
// bounds what it holds (http-log: its queue's max_entries / max_bytes; the socket and file
// writers: a byte budget) and drops beyond it. Each drop is counted here, on the worker's registry
// (sluice_log_entries_dropped_total, summed over workers by the primary's /metrics), and logged at
// most once a minute per plugin and reason.
import { Counter } from 'prom-client';
import type { Logger } from '../../runtime/protocol/log.ts';
import { workerRegistry } from '../metrics/registry.ts';

export type DropReason = 'queue_full' | 'too_large' | 'retry_time' | 'backlog' | 'send_failed';

let counter: Counter<'plugin' | 'reason'> | null = null;
const lastWarned = new Map<string, number>();
const WARN_EVERY_MS = 60_000;

function dropped(): Counter<'plugin' | 'reason'> {
  counter ??= new Counter({
    name: 'sluice_log_entries_dropped_total',
    help: 'Log entries a logging plugin dropped: queue_full (max_entries/max_bytes), too_large, retry_time (max_retry_time passed), backlog (receiver not taking data), send_failed',
    labelNames: ['plugin', 'reason'],
    registers: [workerRegistry],
  });
  return counter;
}

/** Counts `n` dropped entries of `plugin`, and says so in the log (rate-limited). */
export function countDropped(plugin: string, reason: DropReason, n: number, log: Logger, detail?: Record<string, unknown>): void {
  if (n <= 0) return;
  dropped().inc({ plugin, reason }, n);
  const key = `${plugin}\0${reason}`;
  const now = Date.now();
  if (now - (lastWarned.get(key) ?? -Infinity) < WARN_EVERY_MS) return;
  lastWarned.set(key, now);
  log.warn({ plugin, reason, dropped: n, ...detail }, `${plugin}: log entries dropped (${reason})`);
}

/** This worker's count so far, for one plugin and reason (tests, diagnostics). */
export async function droppedCount(plugin: string, reason: DropReason): Promise<number> {
  const values = (await dropped().get()).values;
  return values.find((v) => v.labels.plugin === plugin && v.labels.reason === reason)?.value ?? 0;
}
