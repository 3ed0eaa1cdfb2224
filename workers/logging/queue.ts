// Runs on a worker thread: Kong's plugin queue (kong/tools/queue.lua) on the worker's timer wheel.
// Entries (JSON strings) wait here until a batch is handed to the queue's handler (http-log sends
// it); a failed batch is retried with exponential back-off. All timing goes through the wheel:
// one coalescing timer and one retry timer per queue at most, never a timer per entry.
//
// As Kong's, with its parameters (config.queue):
// - A batch leaves when it holds `max_batch_size` entries, or `max_coalescing_delay` seconds after
//   the first entry of the batch was queued (under 50 ms left: at once, Kong's COALESCE_MIN_TIME).
// - `max_entries` entries (and `max_bytes` bytes, when set) may wait; past that the oldest are
//   dropped, and an entry larger than `max_bytes` is refused. Drops are counted (drops.ts).
// - A failed batch is retried after initial_retry_delay * 2^n seconds, capped at max_retry_delay,
//   until max_retry_time seconds have passed since its first try; then it is dropped (counted).
// - concurrency_limit 1: one batch in flight, the others wait behind it (and its retries).
//   concurrency_limit -1: every entry is handled at once on its own, with its own retries; Sluice
//   still holds at most `max_entries` such entries in flight (Kong: unbounded timers).
// Queues are per worker and found by name (Kong: by the log server's parameters), so plugin
// instances that log to the same place share one, and a queue outlives a reconfigure that replaces
// an instance. Once no instance holds it, it sends what it has and then closes (closeHandler).
import type { Logger } from '../../runtime/protocol/log.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import { countDropped } from './drops.ts';

export interface QueueConfig {
  max_batch_size: number;
  max_coalescing_delay: number;
  max_entries: number;
  max_bytes: number | null;
  max_retry_time: number;
  initial_retry_delay: number;
  max_retry_delay: number;
  concurrency_limit: number;
}

/** Processes one batch; rejects (or throws) when it failed and should be retried. */
export type BatchHandler = (entries: readonly string[]) => Promise<void>;

/** Kong's COALESCE_MIN_TIME: with less than this left to wait, a batch goes at once. */
const COALESCE_MIN_MS = 50;

interface Attempt {
  queue: LogQueue;
  batch: string[];
  startedAt: number;
  retries: number;
  /** Counts against the in-flight budget of concurrency_limit -1. */
  single: boolean;
}

export class LogQueue {
  readonly name: string;
  readonly plugin: string;
  #config: QueueConfig;
  #handler: BatchHandler;
  readonly #wheel: TimerWheel;
  readonly #log: Logger;
  readonly #onClosed: (queue: LogQueue) => void;
  readonly #closeHandler: () => void;
  /** Waiting entries from `#front` on; compacted once half of the array is spent. */
  #entries: string[] = [];
  #front = 0;
  #bytes = 0;
  /** A batch (concurrency 1) is being handled or waits for its retry. */
  #busy = false;
  /** concurrency -1: entries handled on their own right now. */
  #inFlight = 0;
  #coalesceTimer: TimerHandle = 0;
  #holders = 0;
  #closed = false;
  /** Entries handed to the handler successfully, and entries dropped, since creation. */
  sent = 0;
  dropped = 0;

  constructor(options: { name: string; plugin: string; config: QueueConfig; handler: BatchHandler; wheel: TimerWheel; log: Logger; onClosed: (queue: LogQueue) => void; closeHandler: () => void }) {
    this.name = options.name;
    this.plugin = options.plugin;
    this.#config = options.config;
    this.#handler = options.handler;
    this.#wheel = options.wheel;
    this.#log = options.log;
    this.#onClosed = options.onClosed;
    this.#closeHandler = options.closeHandler;
  }

  /** Entries waiting (not counting a batch in flight). */
  get count(): number {
    return this.#entries.length - this.#front;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get handler(): BatchHandler {
    return this.#handler;
  }

  acquire(): void {
    this.#holders++;
  }

  /** An instance let go; the last one lets the queue finish its entries and close. */
  release(): void {
    this.#holders--;
    this.#maybeClose();
  }

  /** As Kong, the latest configuration seen is the one used (queue parameters and handler). */
  update(config: QueueConfig, handler: BatchHandler): void {
    this.#config = config;
    this.#handler = handler;
  }

  /** Queues one entry; false when it was refused (larger than max_bytes). Never blocks. */
  enqueue(entry: string): boolean {
    const config = this.#config;
    if (config.concurrency_limit === -1) {
      if (this.#inFlight >= config.max_entries) {
        this.#drop('queue_full', 1);
        return false;
      }
      this.#inFlight++;
      const attempt: Attempt = { queue: this, batch: [entry], startedAt: 0, retries: 0, single: true };
      this.#wheel.schedule('log-queue-send', 0, runAttempt, attempt);
      return true;
    }
    const maxBytes = config.max_bytes;
    if (maxBytes !== null && entry.length > maxBytes) {
      this.#drop('too_large', 1, { bytes: entry.length, max_bytes: maxBytes });
      return false;
    }
    let dropped = 0;
    while (this.count >= config.max_entries) {
      this.#shift();
      dropped++;
    }
    if (maxBytes !== null) {
      while (this.#bytes + entry.length > maxBytes && this.count > 0) {
        this.#shift();
        dropped++;
      }
    }
    if (dropped > 0) this.#drop('queue_full', dropped, { max_entries: config.max_entries, max_bytes: maxBytes });
    this.#entries.push(entry);
    this.#bytes += entry.length;
    this.#kick();
    return true;
  }

  /** Start a batch now, or arm the coalescing timer, unless one is already on its way. */
  #kick(): void {
    if (this.#busy || this.count === 0) return;
    const config = this.#config;
    const delayMs = config.max_coalescing_delay * 1000;
    if (this.count >= config.max_batch_size || delayMs < COALESCE_MIN_MS) {
      // Not in this call stack: the log phase that queued the entry returns first.
      if (this.#coalesceTimer !== 0) {
        if (this.#wheel.reschedule(this.#coalesceTimer, 0)) return;
      }
      this.#coalesceTimer = this.#wheel.schedule('log-queue-send', 0, startBatch, this);
      return;
    }
    if (this.#coalesceTimer === 0) this.#coalesceTimer = this.#wheel.schedule('log-queue-coalesce', delayMs, startBatch, this);
  }

  /** Takes the next batch off the queue and hands it to the handler (coalescing timer fired). */
  startBatch(): void {
    this.#coalesceTimer = 0;
    if (this.#busy || this.count === 0) return;
    const size = Math.min(this.count, this.#config.max_batch_size);
    const batch = this.#entries.slice(this.#front, this.#front + size);
    for (let i = 0; i < size; i++) this.#shift();
    this.#busy = true;
    void this.attempt({ queue: this, batch, startedAt: 0, retries: 0, single: false });
  }

  async attempt(attempt: Attempt): Promise<void> {
    const now = performance.now();
    if (attempt.startedAt === 0) attempt.startedAt = now;
    let error: unknown = null;
    try {
      await this.#handler(attempt.batch);
    } catch (caught) {
      error = caught ?? new Error('handler failed');
    }
    if (error === null) {
      this.sent += attempt.batch.length;
      return this.#settled(attempt);
    }
    const config = this.#config;
    this.#log.warn({ plugin: this.plugin, queue: this.name, err: error, entries: attempt.batch.length, retry: attempt.retries }, `${this.plugin}: could not send log entries`);
    if (performance.now() - attempt.startedAt > config.max_retry_time * 1000) {
      this.#drop('retry_time', attempt.batch.length, { max_retry_time: config.max_retry_time });
      return this.#settled(attempt);
    }
    const delay = Math.min(config.max_retry_delay, 2 ** attempt.retries * config.initial_retry_delay) * 1000;
    attempt.retries++;
    try {
      this.#wheel.schedule('log-queue-retry', delay, runAttempt, attempt);
    } catch {
      // The worker's wheel is closed: the worker is going away, and the batch with it.
      this.#drop('retry_time', attempt.batch.length, { reason: 'worker stopping' });
    }
  }

  #settled(attempt: Attempt): void {
    if (attempt.single) this.#inFlight--;
    else {
      this.#busy = false;
      this.#kick();
    }
    this.#maybeClose();
  }

  #shift(): void {
    const entry = this.#entries[this.#front]!;
    this.#bytes -= entry.length;
    this.#front++;
    if (this.#front === this.#entries.length) {
      this.#entries = [];
      this.#front = 0;
    } else if (this.#front > 1024 && this.#front * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#front);
      this.#front = 0;
    }
  }

  #drop(reason: 'queue_full' | 'too_large' | 'retry_time', n: number, detail?: Record<string, unknown>): void {
    this.dropped += n;
    countDropped(this.plugin, reason, n, this.#log, { queue: this.name, ...detail });
  }

  #maybeClose(): void {
    if (this.#holders > 0 || this.#closed || this.#busy || this.#inFlight > 0 || this.count > 0) return;
    this.#closed = true;
    if (this.#coalesceTimer !== 0) this.#wheel.cancel(this.#coalesceTimer);
    this.#onClosed(this);
    this.#closeHandler();
  }
}

function startBatch(queue: LogQueue): void {
  queue.startBatch();
}

function runAttempt(attempt: Attempt): Promise<void> {
  return attempt.queue.attempt(attempt);
}

/** This worker's queues, by name. */
export class LogQueues {
  readonly #queues = new Map<string, LogQueue>();

  get(name: string): LogQueue | undefined {
    return this.#queues.get(name);
  }

  /**
   * The queue `name`, created with `make()` when there is none (or it closed); the caller holds it
   * (acquire) until it calls release.
   */
  hold(name: string, make: (onClosed: (queue: LogQueue) => void) => LogQueue): LogQueue {
    let queue = this.#queues.get(name);
    if (queue === undefined || queue.closed) {
      queue = make((closed) => {
        if (this.#queues.get(closed.name) === closed) this.#queues.delete(closed.name);
      });
      this.#queues.set(name, queue);
    }
    queue.acquire();
    return queue;
  }

  get size(): number {
    return this.#queues.size;
  }
}
