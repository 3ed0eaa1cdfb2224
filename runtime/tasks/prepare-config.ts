// A piscina task (runs on a pool thread, never on the primary's event loop): parse, validate and
// hash a declarative config, so a 20,000-entity file does not stall the Admin API or supervision.
// Plugin schemas come from config/plugins/ (plain data both threads import), never from workers/.
//
// The thread is long-lived (runtime/pool.ts: one thread, never retired while idle) and keeps one
// ConfigPreparer (config/incremental.ts): an entity whose text did not change since the last load
// is neither checked on its own nor built nor hashed again. When the caller says which config it
// holds (`base`, its hash) and that is one this thread prepared, the answer is the delta from it,
// in the very form the workers apply (config/types.ts Delta, less the version numbers): a
// one-target change at 10,000 routes sends one target. Otherwise (first load, a restarted thread)
// the full result is sent.
import { ConfigPreparer, type PrepareAnswer } from '../../config/incremental.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../protocol/thread-priority.ts';

export type { PrepareAnswer } from '../../config/incremental.ts';

export interface PrepareTask {
  /**
   * The declarative text, or its UTF-8 bytes: bytes in a SharedArrayBuffer (the Admin API reads a
   * body into one) reach this thread without a copy; others are copied, still cheaper than a string.
   */
  text: string | Uint8Array;
  format?: 'yaml' | 'json';
  /** Hash of the config the caller holds: the answer may be the delta from it. */
  base?: string;
  /** The running gateway's key for values Kong generates (config/generated.ts). */
  generatorSecret?: string;
}

export interface PoolThreadData {
  /** Nice levels this thread runs below the thread that started it (--background-nice). */
  backgroundNice: number;
}

// Preparing a config is background work: the proxy workers get a busy core first (a one-route
// change at 10k routes is ~8 ms of this thread's CPU; a full 10k-route load, seconds).
const { backgroundNice } = workerData as PoolThreadData;
if (backgroundNice > 0) lowerThreadPriority(backgroundNice);

/** One per thread; replaced if a caller brings another generator secret (its values are cached). */
let preparer: ConfigPreparer | null = null;

export default function prepare(task: PrepareTask): PrepareAnswer {
  if (preparer === null || preparer.options.generatorSecret !== task.generatorSecret) {
    preparer = new ConfigPreparer({ plugins: pluginSchemas, generatorSecret: task.generatorSecret });
  }
  const text = typeof task.text === 'string' ? task.text : Buffer.from(task.text.buffer, task.text.byteOffset, task.text.byteLength).toString('utf8');
  return preparer.prepare(text, { format: task.format, base: task.base });
}
