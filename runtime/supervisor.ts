// Spawns and watches the worker threads (primary thread): full snapshot to every new or respawned
// worker, deltas to the rest, respawn with backoff, queries with a deadline, graceful drain.
// Config messages: a thread gets none before it said `loaded`; then `assign` and the current
// snapshot. After that it gets each change as a delta from the version last SENT to it (not the one
// it has applied yet), so under churn deltas keep flowing instead of falling back to snapshots.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Delta, Snapshot } from '../config/types.ts';
import type { Logger } from './protocol/log.ts';
import { SluiceError, type WireError } from './protocol/errors.ts';
import type { FromWorker, QueryKind, ToWorker, WorkerBoot } from './protocol/messages.ts';
import { VersionMemory } from './protocol/shared-memory.ts';

const WORKER_ENTRY = new URL('../workers/main.ts', import.meta.url);

/** A worker that dies sooner than this after starting counts as crash-looping. */
const STABLE_AFTER_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;
/** How long drain waits for a worker to close its listener before going on without it. */
const STOP_ACCEPTING_MS = 1000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export interface SupervisorOptions {
  /** What every worker thread starts with; `workerCount` is also how many slots there are. */
  boot: WorkerBoot;
  /** Keep one loaded spare thread to replace a dead worker at once. */
  spare: boolean;
  /** The config a new worker must start from. */
  snapshot: () => Snapshot;
}

export interface WorkerSlot {
  readonly index: number;
  worker: Worker | null;
  generation: number;
  threadId: number;
  ready: boolean;
  startedAt: number;
  restarts: number;
  /** Crashes in a row, each within STABLE_AFTER_MS of its start; drives the backoff. */
  quickCrashes: number;
  nextStartAt: number;
  lastApplyMs: number;
  /** performance.now() when this worker's last `applied` message arrived. */
  appliedAt: number;
  appliedVersion: number;
  /** The thread said `loaded` and got its assignment and a snapshot; config messages may follow. */
  assigned: boolean;
  /** The config version the last snapshot or delta sent to this thread brings it to. */
  sentVersion: number;
  /** The version of the last snapshot sent to this thread. */
  snapshotSentVersion: number;
  /** The last snapshot this thread reported it could not apply, until it applies a later one. */
  failure: { version: number; error: WireError } | null;
  lastExit: { code: number; at: string } | null;
}

export interface QueryResult {
  worker: number;
  data?: unknown;
  error?: string;
}

export class Supervisor extends EventEmitter {
  readonly slots: WorkerSlot[] = [];
  readonly versions: VersionMemory;
  readonly #options: SupervisorOptions;
  readonly #log: Logger;
  readonly #pending = new Map<number, (reply: { data?: unknown; error?: string }) => void>();
  #nextQueryId = 1;
  #stopping = false;
  /** Which slot each thread serves; a thread not in here is the spare. */
  readonly #owner = new Map<Worker, WorkerSlot>();
  /** Threads whose modules are loaded (they said `loaded`). */
  readonly #loaded = new Set<Worker>();
  #spare: Worker | null = null;
  /** performance.now() when the current version was published. */
  #publishedAt = 0;

  constructor(options: SupervisorOptions, log: Logger) {
    super();
    this.#options = options;
    this.#log = log;
    this.versions = new VersionMemory(options.boot.versions);
    for (let index = 0; index < options.boot.workerCount; index++) {
      this.slots.push({ index, worker: null, generation: 0, threadId: 0, ready: false, startedAt: 0, restarts: 0, quickCrashes: 0, nextStartAt: 0, lastApplyMs: 0, appliedAt: 0, appliedVersion: 0, assigned: false, sentVersion: 0, snapshotSentVersion: 0, failure: null, lastExit: null });
    }
  }

  /** Starts every worker; resolves once all listen. */
  start(): Promise<void> {
    const ready = new Promise<void>((resolve) => {
      const onReady = (): void => {
        if (this.slots.every((slot) => slot.ready)) {
          this.off('ready', onReady);
          resolve();
        }
      };
      this.on('ready', onReady);
    });
    for (const slot of this.slots) this.#spawn(slot);
    return ready.then(() => this.#ensureSpare());
  }

  /** A new thread with the shared boot data; it loads its modules, says `loaded`, and waits for a slot. */
  #spawnThread(): Worker {
    const worker = new Worker(WORKER_ENTRY, { workerData: this.#options.boot });
    worker.on('message', (message: FromWorker) => {
      const slot = this.#owner.get(worker);
      if (message.type === 'loaded') this.#onLoaded(worker);
      else if (slot !== undefined) this.#onMessage(slot, worker, message);
    });
    worker.on('error', (error) => this.#log.error({ err: error, worker: this.#owner.get(worker)?.index ?? 'spare' }, 'worker crashed'));
    worker.on('exit', (code) => {
      const slot = this.#owner.get(worker);
      this.#owner.delete(worker);
      this.#loaded.delete(worker);
      if (this.#spare === worker) this.#spare = null;
      if (slot !== undefined) this.#onExit(slot, worker, code);
    });
    return worker;
  }

  /** Gives `slot` a thread: the loaded spare when there is one, else a new thread. */
  #spawn(slot: WorkerSlot): void {
    let worker = this.#spare;
    if (worker !== null && this.#loaded.has(worker)) {
      this.#spare = null;
      // Replace the spare once the new worker is serving, so the two do not compete for a core.
      this.once('ready', () => this.#ensureSpare());
    } else {
      worker = this.#spawnThread();
    }
    slot.generation++;
    slot.worker = worker;
    slot.threadId = worker.threadId;
    slot.ready = false;
    slot.startedAt = Date.now();
    slot.appliedVersion = 0;
    slot.assigned = false;
    slot.sentVersion = 0;
    slot.snapshotSentVersion = 0;
    slot.failure = null;
    this.versions.setApplied(slot.index, 0);
    this.#owner.set(worker, slot);
    if (this.#loaded.has(worker)) this.#assign(slot, worker);
  }

  #onLoaded(worker: Worker): void {
    this.#loaded.add(worker);
    const slot = this.#owner.get(worker);
    if (slot !== undefined) this.#assign(slot, worker);
  }

  #assign(slot: WorkerSlot, worker: Worker): void {
    this.#post(worker, { type: 'assign', index: slot.index, generation: slot.generation });
    slot.assigned = true;
    this.#sendSnapshot(slot, worker);
  }

  #sendSnapshot(slot: WorkerSlot, worker: Worker): void {
    const snapshot = this.#options.snapshot();
    this.#post(worker, { type: 'snapshot', snapshot });
    slot.sentVersion = snapshot.version;
    slot.snapshotSentVersion = snapshot.version;
  }

  #ensureSpare(): void {
    if (this.#spare === null && !this.#stopping && this.#options.spare) this.#spare = this.#spawnThread();
  }

  #onMessage(slot: WorkerSlot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.#log.info({ worker: slot.index, thread_id: slot.threadId, address: message.address, generation: slot.generation }, 'worker ready');
        this.emit('ready', slot);
        return;
      case 'applied':
        slot.lastApplyMs = message.ms;
        slot.appliedAt = performance.now();
        slot.appliedVersion = message.version;
        if (slot.failure !== null && slot.failure.version <= message.version) slot.failure = null;
        this.emit('applied', slot, message.version, message.ms);
        return;
      case 'need-snapshot':
        // A snapshot sent after the delta that failed is already on its way: it brings the worker
        // past `got`, and the worker drops deltas until it arrives.
        if (slot.snapshotSentVersion >= message.got) return;
        this.#sendSnapshot(slot, worker);
        return;
      case 'apply-failed':
        this.#log.error({ worker: slot.index, version: message.version, serving: message.have, err: message.error }, 'worker could not apply the config; it keeps the last good one');
        slot.failure = { version: message.version, error: message.error };
        // What it holds is what it had: the next change reaches it as a snapshot.
        slot.sentVersion = message.have;
        this.emit('apply-failed', slot);
        return;
      case 'reply': {
        const resolve = this.#pending.get(message.id);
        if (resolve !== undefined) resolve(message.error ? { error: message.error.message } : { data: message.data });
        return;
      }
      case 'not-accepting':
        this.emit('not-accepting', slot);
        return;
      case 'drained':
        this.emit('drained', slot);
        return;
    }
  }

  #onExit(slot: WorkerSlot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.ready = false;
    slot.assigned = false;
    slot.lastExit = { code, at: new Date().toISOString() };
    this.versions.setApplied(slot.index, 0);
    this.emit('exit', slot);
    if (this.#stopping) return;
    // The first crash respawns at once (back in service within a second); a worker that keeps dying
    // right after start is backed off exponentially instead of spun.
    slot.quickCrashes = Date.now() - slot.startedAt < STABLE_AFTER_MS ? slot.quickCrashes + 1 : 1;
    const delay = slot.quickCrashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, 250 * 2 ** (slot.quickCrashes - 2));
    slot.restarts++;
    slot.nextStartAt = Date.now() + delay;
    this.#log.warn({ worker: slot.index, code, restarts: slot.restarts, delay_ms: delay }, 'worker exited; respawning');
    setTimeout(() => {
      if (!this.#stopping) this.#spawn(slot);
    }, delay).unref();
  }

  #post(worker: Worker, message: ToWorker): void {
    worker.postMessage(message);
  }

  /** SIGUSR1 (logrotate): every assigned worker reopens its log files. Returns how many were told. */
  reopenLogs(): number {
    let told = 0;
    for (const slot of this.slots) {
      if (slot.worker === null || !slot.assigned) continue;
      this.#post(slot.worker, { type: 'reopen-logs' });
      told++;
    }
    return told;
  }

  /**
   * Sends a delta to every assigned worker that was last sent `fromVersion`, the snapshot to the
   * others. A thread still loading gets nothing now: it gets the then-current snapshot on `loaded`.
   */
  broadcast(delta: Delta, snapshot: Snapshot): void {
    this.#publishedAt = performance.now();
    this.versions.publish(delta.version);
    for (const slot of this.slots) {
      if (slot.worker === null || !slot.assigned) continue;
      if (slot.sentVersion === delta.fromVersion) {
        this.#post(slot.worker, { type: 'delta', delta });
        slot.sentVersion = delta.version;
      } else {
        this.#post(slot.worker, { type: 'snapshot', snapshot });
        slot.sentVersion = snapshot.version;
        slot.snapshotSentVersion = snapshot.version;
      }
    }
  }

  /**
   * Resolves with the milliseconds from publishing `version` until every live worker applied it
   * (workers apply in parallel with the primary, so they may be done before anyone asks).
   */
  waitApplied(version: number, timeoutMs: number): Promise<number> {
    const started = this.versions.published === version ? this.#publishedAt : performance.now();
    // Judged by the `applied` messages (not the shared memory) so their arrival times are known.
    const done = (): boolean => this.slots.every((slot) => slot.worker === null || slot.appliedVersion >= version);
    const elapsed = (): number => Math.max(0, ...this.slots.map((slot) => (slot.worker === null ? 0 : slot.appliedAt - started)));
    // A worker that could not apply this version (or a later one) will not get there by waiting.
    const failed = (): SluiceError | null => {
      const slots = this.slots.filter((slot) => slot.worker !== null && slot.appliedVersion < version && slot.failure !== null && slot.failure.version >= version);
      if (slots.length === 0) return null;
      return new SluiceError('SLUICE_ERR_CONFIG_APPLY_FAILED', undefined, slots.map((slot) => ({ worker: slot.index, version: slot.failure!.version, error: slot.failure!.error })));
    };
    if (done()) return Promise.resolve(elapsed());
    const failure = failed();
    if (failure !== null) return Promise.reject(failure);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (done()) {
          cleanup();
          resolve(elapsed());
          return;
        }
        const failure = failed();
        if (failure === null) return;
        cleanup();
        reject(failure);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new SluiceError('SLUICE_ERR_WORKER_TIMEOUT', `workers did not apply version ${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('applied', check);
        this.off('exit', check);
        this.off('apply-failed', check);
      };
      this.on('applied', check);
      this.on('exit', check);
      this.on('apply-failed', check);
    });
  }

  /** Asks every live worker; a worker that does not answer within `timeoutMs` is reported, not awaited. */
  query(kind: QueryKind, timeoutMs = 1000): Promise<QueryResult[]> {
    return Promise.all(
      this.slots.map((slot) => {
        const worker = slot.worker;
        if (worker === null || !slot.ready) return Promise.resolve({ worker: slot.index, error: 'not running' });
        const id = this.#nextQueryId++;
        return new Promise<QueryResult>((resolve) => {
          const timer = setTimeout(() => finish({ error: `no answer within ${timeoutMs} ms` }), timeoutMs);
          const finish = (reply: { data?: unknown; error?: string }): void => {
            clearTimeout(timer);
            this.#pending.delete(id);
            resolve({ worker: slot.index, ...reply });
          };
          this.#pending.set(id, finish);
          this.#post(worker, { type: 'query', id, kind });
        });
      }),
    );
  }

  /**
   * Stops accepting everywhere, lets in-flight requests finish (bounded), then ends the workers.
   * Two steps: every worker closes its listener first, and only then do they start answering
   * with `Connection: close`. Clients reconnect on that close; were a sibling's listener still
   * open they could land in its accept queue just as it closes, and the kernel resets what is
   * queued on a closing SO_REUSEPORT socket.
   */
  async drain(timeoutMs: number, idleGraceMs: number): Promise<void> {
    this.#stopping = true;
    const spare = this.#spare;
    this.#spare = null;
    if (spare !== null) void spare.terminate();
    const live = this.slots.filter((slot) => slot.worker !== null).map((slot) => ({ slot, worker: slot.worker! }));
    const exited = new Map(live.map(({ worker }) => [worker, new Promise<void>((resolve) => worker.once('exit', () => resolve()))]));
    await Promise.all(
      live.map(({ slot, worker }) => {
        const closed = this.#replyFrom(slot, 'not-accepting');
        this.#post(worker, { type: 'stop-accepting' });
        return Promise.race([closed, exited.get(worker), delay(STOP_ACCEPTING_MS)]);
      }),
    );
    await Promise.all(
      live.map(async ({ slot, worker }) => {
        const drained = this.#replyFrom(slot, 'drained');
        this.#post(worker, { type: 'drain', timeoutMs, idleGraceMs });
        // A wedged worker cannot hold the shutdown: terminate it shortly after its deadline.
        await Promise.race([drained, exited.get(worker), delay(timeoutMs + 1000)]);
        await worker.terminate();
      }),
    );
  }

  /** Resolves when `slot`'s worker sends `event` (emitted by #onMessage). */
  #replyFrom(slot: WorkerSlot, event: 'not-accepting' | 'drained'): Promise<void> {
    return new Promise<void>((resolve) => {
      const listener = (from: WorkerSlot): void => {
        if (from !== slot) return;
        this.off(event, listener);
        resolve();
      };
      this.on(event, listener);
    });
  }

  /** Ends worker `index` as a crash would; it is respawned by the usual rules. */
  async kill(index: number): Promise<boolean> {
    const worker = this.slots[index]?.worker;
    if (worker === null || worker === undefined) return false;
    await worker.terminate();
    return true;
  }

  /** The spare thread: ready to take a slot, still loading, or absent. */
  get spare(): 'loaded' | 'loading' | 'none' {
    return this.#spare === null ? 'none' : this.#loaded.has(this.#spare) ? 'loaded' : 'loading';
  }

  /** What every worker thread starts with (shared memory included). */
  get boot(): WorkerBoot {
    return this.#options.boot;
  }

  /** The spare thread's id (0 when there is none): the next dead worker's slot gets this thread. */
  get spareThreadId(): number {
    return this.#spare?.threadId ?? 0;
  }

  /** drain() has begun: this node is on its way out and must not be reported ready. */
  get draining(): boolean {
    return this.#stopping;
  }

  get live(): number {
    return this.slots.filter((slot) => slot.worker !== null).length;
  }
}
