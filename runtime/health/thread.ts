// The health-check and DNS thread, seen from the primary: spawns workers/health/main.ts once, hands
// it the config's upstreams, targets and service hosts whenever they change, and replaces it if it
// dies. Active probes are sent, and names resolved, from that one thread, so a process probes each
// target once per interval and asks each name once per TTL, however many workers it runs.
import { once } from 'node:events';
import { isIP } from 'node:net';
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
  #hostsKey = '';
  #hosts: string[] = [];
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

  /**
   * Tells the thread about `snapshot`'s upstreams, targets and service hosts to resolve, if any of
   * them changed since last time (the hosts are worked out only when services or upstreams changed).
   */
  update(snapshot: Snapshot): void {
    this.#last = snapshot;
    const { groupHashes } = snapshot;
    const hostsKey = `${groupHashes.services}|${groupHashes.upstreams}`;
    if (hostsKey !== this.#hostsKey) {
      this.#hostsKey = hostsKey;
      this.#hosts = serviceHosts(snapshot);
    }
    const key = `${groupHashes.upstreams}|${groupHashes.targets}|${this.#hosts.join(',')}`;
    if (this.#worker === null || key === this.#sentKey) return;
    this.#sentKey = key;
    const { upstreams, targets } = snapshot.entities;
    this.#post({ type: 'targets', upstreams: Object.values(upstreams), targets: Object.values(targets), serviceHosts: this.#hosts });
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

/**
 * Hosts of services that name no upstream and are not IP literals, lower case, sorted, once each:
 * Kong resolves such a host itself (its DNS client's round robin over the answer), so the DNS
 * thread keeps each resolved for the workers.
 */
export function serviceHosts(snapshot: Snapshot): string[] {
  const upstreamNames = new Set<string>();
  for (const id in snapshot.entities.upstreams) upstreamNames.add(snapshot.entities.upstreams[id]!.name);
  const hosts = new Set<string>();
  for (const id in snapshot.entities.services) {
    const host = snapshot.entities.services[id]!.host;
    if (upstreamNames.has(host) || isIP(host.startsWith('[') ? host.slice(1, -1) : host) !== 0) continue;
    hosts.add(host.toLowerCase());
  }
  return [...hosts].sort();
}
