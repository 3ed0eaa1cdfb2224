// Active health checks of every upstream, once per process (health-check thread). Each target of an
// upstream whose `healthchecks.active` is on is probed on this thread's timer wheel: every
// `healthy.interval` seconds while healthy, every `unhealthy.interval` while unhealthy (0: not in
// that state), at most `concurrency` probes of one upstream at a time. A result goes straight into
// the shared upstream memory (runtime/protocol/upstream-memory.ts), the same state machine the
// workers' passive checks feed, so every worker sees it on its next pick.
import { activeEnabled, healthchecksOf } from '../../config/health.ts';
import type { Target, Upstream, UpstreamHealthchecks } from '../../config/types.ts';
import { targetKey, type UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { isName, parseTarget } from '../balancer/peer.ts';
import type { TimerWheel } from '../timers/wheel.ts';
import type { ProbeResult, ProbeTarget } from './probe.ts';

/** While the current state's interval is 0, how often to look whether the state changed. */
const IDLE_LOOK_MS = 1000;

export type Prober = (target: ProbeTarget, checks: UpstreamHealthchecks) => Promise<ProbeResult>;

/** A name's current DNS answer (workers/dns/cache.ts): null none usable, undefined not resolved yet. */
export type AddressOf = (name: string) => ReadonlyArray<{ ip: string; port: number | null }> | null | undefined;

interface Checked {
  readonly key: string;
  readonly host: string;
  readonly port: number;
  readonly slot: number;
  readonly group: UpstreamGroup;
  timer: number;
  probing: boolean;
  /** Waiting for a free place under the upstream's concurrency. */
  queued: boolean;
  removed: boolean;
}

interface UpstreamGroup {
  readonly checks: UpstreamHealthchecks;
  /** JSON of `checks`: equal means the schedule of its targets can stay as is. */
  readonly print: string;
  running: number;
  readonly waiting: Checked[];
}

export class ActiveChecker {
  readonly #memory: UpstreamMemory;
  readonly #wheel: TimerWheel;
  readonly #probe: Prober;
  readonly #targets = new Map<string, Checked>();
  /** Probes sent, by target key: lets a test tell once-per-process from once-per-worker. */
  readonly sent = new Map<string, number>();

  readonly #addressOf: AddressOf | null;

  constructor(memory: UpstreamMemory, wheel: TimerWheel, prober: Prober, addressOf: AddressOf | null = null) {
    this.#memory = memory;
    this.#wheel = wheel;
    this.#probe = prober;
    this.#addressOf = addressOf;
  }

  get size(): number {
    return this.#targets.size;
  }

  /** The config's upstreams and targets now: starts, keeps or stops each target's probes. */
  update(upstreams: readonly Upstream[], targets: readonly Target[]): void {
    const groups = new Map<string, UpstreamGroup>();
    for (const upstream of upstreams) {
      const checks = healthchecksOf(upstream);
      if (!activeEnabled(checks)) continue;
      groups.set(upstream.id, { checks, print: JSON.stringify(checks), running: 0, waiting: [] });
    }
    const keep = new Set<string>();
    for (const target of targets) {
      const group = groups.get(target.upstream.id);
      if (group === undefined || target.weight <= 0) continue;
      const key = targetKey(target.upstream.id, target.target);
      const slot = this.#memory.find(key);
      if (slot === -1) continue; // no shared slot: nothing a worker could read
      keep.add(key);
      const had = this.#targets.get(key);
      if (had !== undefined && had.group.print === group.print && had.slot === slot) {
        // Same schedule; the group object is new, so move the target's bookkeeping over.
        (had as { group: UpstreamGroup }).group = group;
        if (had.probing) group.running++;
        if (had.queued) group.waiting.push(had);
        continue;
      }
      if (had !== undefined) this.#stop(had);
      const { host, port } = parseTarget(target.target);
      const checked: Checked = { key, host, port, slot, group, timer: 0, probing: false, queued: false, removed: false };
      this.#targets.set(key, checked);
      this.#arm(checked);
    }
    for (const [key, checked] of this.#targets) if (!keep.has(key)) this.#stop(checked);
  }

  #stop(checked: Checked): void {
    checked.removed = true;
    if (checked.timer !== 0) this.#wheel.cancel(checked.timer);
    checked.timer = 0;
    this.#targets.delete(checked.key);
  }

  #arm(checked: Checked): void {
    const active = checked.group.checks.active;
    const seconds = this.#memory.healthy(checked.slot) ? active.healthy.interval : active.unhealthy.interval;
    const due = seconds > 0 ? Math.max(1, Math.round(seconds * 1000)) : IDLE_LOOK_MS;
    checked.timer = this.#wheel.schedule('health-probe', due, (c: Checked) => this.#due(c, seconds > 0), checked);
  }

  #due(checked: Checked, probeNow: boolean): void {
    checked.timer = 0;
    if (checked.removed) return;
    if (!probeNow) return this.#arm(checked);
    const group = checked.group;
    if (group.running >= group.checks.active.concurrency) {
      checked.queued = true;
      group.waiting.push(checked);
      return;
    }
    this.#send(checked);
  }

  #send(checked: Checked): void {
    const group = checked.group;
    group.running++;
    checked.queued = false;
    checked.probing = true;
    this.sent.set(checked.key, (this.sent.get(checked.key) ?? 0) + 1);
    // A target named by DNS is probed at its first resolved address; never by name (no lookup here).
    let at: ProbeTarget = checked;
    if (this.#addressOf !== null && isName(checked.host)) {
      const first = this.#addressOf(checked.host)?.[0];
      if (first === undefined) return this.#record(checked, { outcome: 'ignored' });
      at = { host: first.ip, port: first.port ?? checked.port };
    }
    this.#probe(at, group.checks).then(
      (result) => this.#record(checked, result),
      () => this.#record(checked, { outcome: 'failure', kind: 'tcp' }),
    );
  }

  #record(checked: Checked, result: ProbeResult): void {
    checked.probing = false;
    const group = checked.group;
    group.running--;
    if (!checked.removed) {
      const { healthy, unhealthy } = group.checks.active;
      if (result.outcome === 'success') this.#memory.success(checked.slot, healthy.successes);
      else if (result.outcome === 'failure') {
        const threshold = result.kind === 'tcp' ? unhealthy.tcp_failures : result.kind === 'timeout' ? unhealthy.timeouts : unhealthy.http_failures;
        this.#memory.failure(checked.slot, result.kind, threshold);
      }
      this.#arm(checked);
    }
    let next = group.waiting.shift();
    while (next !== undefined && next.removed) next = group.waiting.shift();
    if (next !== undefined) this.#send(next);
  }

  close(): void {
    for (const checked of [...this.#targets.values()]) this.#stop(checked);
  }
}
