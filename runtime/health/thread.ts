// The health-check thread, seen from the primary: spawns workers/health/main.ts once, hands it the
// config's upstreams and targets whenever either group changes, and replaces it if it dies. Active
// probes are sent from that one thread, so a process probes each target once per interval, however
// many workers it runs.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Snapshot } from '../../config/types.ts';
import type { FromHealth, HealthBoot, ToHealth } from '../protocol/health-messages.ts';
import type { Logger } from '../protocol/log.ts';

const HEALTH_ENTRY = new URL('../../workers/health/main.ts', import.meta.url);
const RESPAWN_DELAY_MS = 1000;

export class HealthThread {
  readonly #boot: HealthBoot;
  readonly #log: Logger;
  #worker: Worker | null = null;
  #last: Snapshot | null = null;
  #sentKey = '';
  #stopping = false;
  #nextId = 1;
  readonly #waiting = new Map<number, (sent: Record<string, number>) => void>();

  constructor(boot: HealthBoot, log: Logger) {
    this.#boot = boot;
    this.#log = log;
  }

  async start(): Promise<void> {
    const worker = new Worker(HEALTH_ENTRY, { workerData: this.#boot });
    this.#worker = worker;
    worker.on('message', (message: FromHealth) => {
      if (message.type === 'sent') {
        this.#waiting.get(message.id)?.(message.sent);
        this.#waiting.delete(message.id);
      }
    });
    worker.on('error', (error) => this.#log.error({ err: error }, 'health-check thread failed'));
    worker.once('exit', (code) => {
      this.#worker = null;
      if (this.#stopping) return;
      this.#log.error({ code }, 'health-check thread exited; replacing it');
      setTimeout(() => void this.start().catch((error: unknown) => this.#log.error({ err: error }, 'health-check thread did not start')), RESPAWN_DELAY_MS).unref();
    });
    await once(worker, 'message');
    this.#sentKey = '';
    if (this.#last !== null) this.update(this.#last);
  }

  /** Tells the thread about `snapshot`'s upstreams and targets, if either changed since last time. */
  update(snapshot: Snapshot): void {
    this.#last = snapshot;
    const key = `${snapshot.groupHashes.upstreams}|${snapshot.groupHashes.targets}`;
    if (this.#worker === null || key === this.#sentKey) return;
    this.#sentKey = key;
    this.#post({ type: 'targets', upstreams: Object.values(snapshot.entities.upstreams), targets: Object.values(snapshot.entities.targets) });
  }

  /** Probes sent so far, by target key (runtime/protocol/upstream-memory.ts targetKey). */
  sent(): Promise<Record<string, number>> {
    if (this.#worker === null) return Promise.resolve({});
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      this.#post({ type: 'sent', id });
    });
  }

  #post(message: ToHealth): void {
    this.#worker?.postMessage(message);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const worker = this.#worker;
    if (worker === null) return;
    this.#post({ type: 'stop' });
    const timer = setTimeout(() => void worker.terminate(), 2000);
    await once(worker, 'exit');
    clearTimeout(timer);
  }
}
