// One JSON log format for every thread (pino). Workers and the primary write whole lines straight
// to fd 1, so lines from different threads never interleave mid-line.
import { pino, type Logger } from 'pino';
import { isMainThread, threadId } from 'node:worker_threads';

export type { Logger };

export function createLogger(fields: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level: process.env.SLUICE_LOG_LEVEL ?? 'info',
      base: { pid: process.pid, thread: isMainThread ? 'primary' : `worker-${threadId}`, ...fields },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
