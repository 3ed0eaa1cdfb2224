// Runs on a worker thread: plugin instances, keyed by plugin id + config hash, so an instance and its
// state (counters, caches) live across every reconfigure that leaves that plugin alone. Kong
// re-creates instances on each rebuild, and a failed re-creation leaves a claim that other requests
// spin on ("Could not claim instance_id", Kong #11173). Here:
//   - creation is lazy (first request that needs it) and single-flight per key;
//   - a failed creation (sync throw, rejection, `init` failure, or no answer in `createTimeoutMs`)
//     is cleaned up (`close` on a half-made instance), logged once, and fails every request waiting
//     on it at once; the entry goes back to idle, so the next request tries again;
//   - an instance whose plugin left the config (`retain`) is closed once its last in-flight request
//     has released it (`acquire`/`release` around each request).
import { deltaOf } from '../../config/apply.ts';
import type { Plugin, Snapshot } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import type { Logger } from '../../runtime/protocol/log.ts';
import { PHASES, type PluginDefinition, type PluginEnv, type PluginInstance } from './types.ts';

/** Any plugin's definition: `never` accepts every Config (create's parameter is the only use of it). */
export type AnyPluginDefinition = PluginDefinition<never>;

/** A creation failed: every request that waited on it answers 500; the failure itself was logged once. */
export class PluginCreateError extends SluiceError {
  constructor(plugin: Plugin, reason: string) {
    super('SLUICE_ERR_PLUGIN_FAILED', `plugin ${plugin.name} (${plugin.id}) could not be created: ${reason}`, { plugin: plugin.name, id: plugin.id });
  }
}

const IDLE = 0;
const CREATING = 1;
const READY = 2;
const CLOSED = 3;
type EntryState = typeof IDLE | typeof CREATING | typeof READY | typeof CLOSED;

export const DEFAULT_CREATE_TIMEOUT_MS = 5000;

/** One plugin at one config. Iterators point at entries; the instance inside comes and goes. */
export class InstanceEntry {
  readonly key: string;
  readonly plugin: Plugin;
  readonly definition: AnyPluginDefinition;
  readonly env: PluginEnv;
  /** Set exactly when `state` is READY. */
  instance: PluginInstance | null = null;
  state: EntryState = IDLE;
  /** In-flight requests holding this entry. */
  refs = 0;
  /** Left the config: close once `refs` drops to 0. */
  retired = false;
  /** Bumped per creation attempt; a late answer from an older attempt is closed, not used. */
  attempt = 0;
  /** What waiting requests await while CREATING. */
  pending: Promise<PluginInstance> | null = null;
  resolvePending: ((instance: PluginInstance) => void) | null = null;
  rejectPending: ((error: PluginCreateError) => void) | null = null;
  timer = -1;
  /** Requests that asked while this attempt was in flight (for the failure log line). */
  waiters = 0;

  constructor(key: string, plugin: Plugin, definition: AnyPluginDefinition, env: PluginEnv) {
    this.key = key;
    this.plugin = plugin;
    this.definition = definition;
    this.env = env;
  }
}

export interface PluginInstancesOptions {
  /** A creation (create + init) that has not settled by then counts as failed. */
  createTimeoutMs?: number;
}

export class PluginInstances {
  readonly #entries = new Map<string, InstanceEntry>();
  /** plugin id → its live entries (one, or two between a config change and `retain`). */
  readonly #byPlugin = new Map<string, InstanceEntry[]>();
  /** The snapshot version `retain` last saw: a delta from it names every plugin that may have changed. */
  #retainedVersion = -1;
  readonly #log: Logger;
  readonly #createTimeoutMs: number;
  /** Creations that failed, since the worker started (for /workers and tests). */
  failures = 0;
  /** Instances created (READY reached), since the worker started. */
  created = 0;
  closed = 0;

  constructor(log: Logger, options: PluginInstancesOptions = {}) {
    this.#log = log;
    this.#createTimeoutMs = options.createTimeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS;
  }

  /** Entries of plugins in the current config (retired ones still draining are not counted). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The entry of a plugin at its current config (made idle on first sight; no instance yet).
   * Iterators call this when they are built; an unchanged plugin gets its existing entry back.
   */
  entry(plugin: Plugin, hash: string, definition: AnyPluginDefinition, env: PluginEnv): InstanceEntry {
    const key = `${plugin.id}:${hash}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = new InstanceEntry(key, plugin, definition, env);
      this.#entries.set(key, entry);
      const live = this.#byPlugin.get(plugin.id);
      if (live === undefined) this.#byPlugin.set(plugin.id, [entry]);
      else live.push(entry);
    }
    return entry;
  }

  /**
   * Called once a new config serves: entries of plugins that are gone, or whose config changed,
   * retire and close after their last in-flight request.
   */
  retain(snapshot: Snapshot): void {
    const hashes = snapshot.entityHashes.plugins;
    const delta = deltaOf(snapshot);
    const from = this.#retainedVersion;
    this.#retainedVersion = snapshot.version;
    if (delta !== undefined && delta.fromVersion === from) {
      // Only the plugins the delta names can have changed: O(changed), not O(plugins).
      for (const plugin of delta.upserts.plugins ?? []) this.#retainPlugin(plugin.id, hashes);
      for (const id of delta.removes.plugins ?? []) this.#retainPlugin(id, hashes);
      return;
    }
    for (const id of [...this.#byPlugin.keys()]) this.#retainPlugin(id, hashes);
  }

  #retainPlugin(id: string, hashes: Readonly<Record<string, string>>): void {
    const live = this.#byPlugin.get(id);
    if (live === undefined) return;
    const keep = hashes[id] === undefined ? null : `${id}:${hashes[id]}`;
    for (const entry of [...live]) if (entry.key !== keep) this.#retire(entry);
  }

  /** Retires every entry (worker drain, tests): each closes after its last request. */
  closeAll(): void {
    for (const entry of this.#entries.values()) this.#retire(entry);
  }

  acquire(entry: InstanceEntry): void {
    // A request that began on an older iterator may reach an entry closed since: it gets a fresh
    // instance, closed again when that request is done (the entry stays retired).
    if (entry.state === CLOSED) entry.state = IDLE;
    entry.refs++;
  }

  release(entry: InstanceEntry): void {
    entry.refs--;
    if (entry.refs === 0 && entry.retired) this.#close(entry);
  }

  /**
   * The instance, or a promise of it while it is being created (the only case that awaits).
   * @throws PluginCreateError when a synchronous creation failed.
   */
  instance(entry: InstanceEntry): PluginInstance | Promise<PluginInstance> {
    if (entry.state === READY) return entry.instance!;
    if (entry.state === CREATING) {
      entry.waiters++;
      return entry.pending!;
    }
    return this.#create(entry);
  }

  #create(entry: InstanceEntry): PluginInstance | Promise<PluginInstance> {
    const attempt = ++entry.attempt;
    let made: PluginInstance | Promise<PluginInstance>;
    try {
      made = entry.definition.create(entry.plugin.config as never, entry.env, entry.plugin);
    } catch (error) {
      throw this.#failed(entry, error, null, 1);
    }
    if (isThenable(made)) return this.#startAsync(entry, attempt, made, null);
    if (!isInstance(made)) throw this.#failed(entry, new TypeError('create() did not return an object'), null, 1);
    const undeclared = undeclaredPhase(entry.definition, made);
    if (undeclared !== null) throw this.#failed(entry, new TypeError(`the instance has a ${undeclared} method its definition does not declare (use definePlugin)`), made, 1);
    if (made.init !== undefined) {
      let initialised: void | Promise<void>;
      try {
        initialised = made.init();
      } catch (error) {
        throw this.#failed(entry, error, made, 1);
      }
      if (isThenable(initialised)) return this.#startAsync(entry, attempt, initialised, made);
    }
    this.#ready(entry, made);
    return made;
  }

  /** From here on the creation is in flight: later requests wait on `pending`. */
  #startAsync(entry: InstanceEntry, attempt: number, first: PromiseLike<unknown>, half: PluginInstance | null): Promise<PluginInstance> {
    entry.state = CREATING;
    entry.waiters = 1;
    const pending = new Promise<PluginInstance>((resolve, reject) => {
      entry.resolvePending = resolve;
      entry.rejectPending = reject;
    });
    // Waiters handle the rejection; this keeps a failure nobody awaits any more from being "unhandled".
    pending.catch(noop);
    entry.pending = pending;
    entry.timer = entry.env.wheel.schedule('plugin-create-timeout', this.#createTimeoutMs, onCreateTimeout, new TimeoutArg(this, entry, attempt));
    void this.#settle(entry, attempt, first, half);
    return pending;
  }

  async #settle(entry: InstanceEntry, attempt: number, first: PromiseLike<unknown>, half: PluginInstance | null): Promise<void> {
    let instance = half;
    try {
      if (half !== null) {
        await first;
      } else {
        const made = await first;
        if (!isInstance(made)) throw new TypeError('create() did not resolve to an object');
        instance = made;
        const undeclared = undeclaredPhase(entry.definition, made);
        if (undeclared !== null) throw new TypeError(`the instance has a ${undeclared} method its definition does not declare (use definePlugin)`);
        if (made.init !== undefined) await made.init();
      }
    } catch (error) {
      if (entry.attempt === attempt && entry.state === CREATING) this.#failed(entry, error, instance, entry.waiters);
      else if (instance !== null) this.#closeInstance(entry, instance);
      return;
    }
    if (entry.attempt !== attempt || entry.state !== CREATING) {
      // Timed out or closed meanwhile: this late instance serves nobody.
      this.#closeInstance(entry, instance!);
      return;
    }
    const resolve = entry.resolvePending!;
    this.#ready(entry, instance!);
    resolve(instance!);
  }

  /** Called by the wheel when a creation has not settled in time. */
  timedOut(entry: InstanceEntry, attempt: number): void {
    if (entry.attempt !== attempt || entry.state !== CREATING) return;
    entry.timer = -1;
    this.#failed(entry, new Error(`no answer within ${this.#createTimeoutMs} ms`), null, entry.waiters);
  }

  #ready(entry: InstanceEntry, instance: PluginInstance): void {
    this.#clearPending(entry);
    entry.instance = instance;
    entry.state = READY;
    this.created++;
    // Every request that asked for it holds a ref until it is done, so this only closes an
    // instance whose every requester went away (client aborts) while it was being made.
    if (entry.retired && entry.refs === 0) this.#close(entry);
  }

  /** Logs the failure once, fails the waiters at once, and leaves the entry idle for the next request. */
  #failed(entry: InstanceEntry, error: unknown, half: PluginInstance | null, waiters: number): PluginCreateError {
    const failure = new PluginCreateError(entry.plugin, error instanceof Error ? error.message : String(error));
    this.failures++;
    this.#log.error(
      { err: error, code: failure.code, plugin: entry.plugin.name, plugin_id: entry.plugin.id, waiting_requests: waiters },
      `plugin ${entry.plugin.name} could not be created; ${waiters} request(s) answered 500, the next request retries`,
    );
    const reject = entry.rejectPending;
    this.#clearPending(entry);
    entry.state = entry.retired && entry.refs === 0 ? CLOSED : IDLE;
    if (half !== null) this.#closeInstance(entry, half);
    if (reject !== null) reject(failure);
    return failure;
  }

  #clearPending(entry: InstanceEntry): void {
    if (entry.timer !== -1) entry.env.wheel.cancel(entry.timer);
    entry.timer = -1;
    entry.pending = null;
    entry.resolvePending = null;
    entry.rejectPending = null;
    entry.waiters = 0;
  }

  #retire(entry: InstanceEntry): void {
    if (this.#entries.get(entry.key) !== entry) return;
    this.#entries.delete(entry.key);
    const live = this.#byPlugin.get(entry.plugin.id);
    if (live !== undefined) {
      const at = live.indexOf(entry);
      if (at !== -1) live.splice(at, 1);
      if (live.length === 0) this.#byPlugin.delete(entry.plugin.id);
    }
    entry.retired = true;
    if (entry.refs === 0) this.#close(entry);
  }

  #close(entry: InstanceEntry): void {
    const instance = entry.instance;
    if (entry.state === CREATING) {
      // Nobody holds it any more (every requester went away): fail the attempt so nothing can
      // wait on it, and let its late answer be closed as stale.
      const reject = entry.rejectPending;
      entry.attempt++;
      this.#clearPending(entry);
      if (reject !== null) reject(new PluginCreateError(entry.plugin, 'closed while being created'));
    }
    entry.instance = null;
    entry.state = CLOSED;
    if (instance !== null) this.#closeInstance(entry, instance);
  }

  /** `close` must never throw into the caller, nor reject unhandled. */
  #closeInstance(entry: InstanceEntry, instance: PluginInstance): void {
    this.closed++;
    if (instance.close === undefined) return;
    try {
      const done = instance.close();
      if (isThenable(done)) done.then(undefined, (error: unknown) => this.#closeFailed(entry, error));
    } catch (error) {
      this.#closeFailed(entry, error);
    }
  }

  #closeFailed(entry: InstanceEntry, error: unknown): void {
    this.#log.warn({ err: error, plugin: entry.plugin.name, plugin_id: entry.plugin.id }, 'plugin instance close() failed');
  }
}

/** What the wheel passes back to `onCreateTimeout`: one small object per creation, not per request. */
class TimeoutArg {
  readonly instances: PluginInstances;
  readonly entry: InstanceEntry;
  readonly attempt: number;

  constructor(instances: PluginInstances, entry: InstanceEntry, attempt: number) {
    this.instances = instances;
    this.entry = entry;
    this.attempt = attempt;
  }
}

function onCreateTimeout(arg: TimeoutArg): void {
  arg.instances.timedOut(arg.entry, arg.attempt);
}

export function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<T>).then === 'function';
}

function isInstance(value: unknown): value is PluginInstance {
  return value !== null && typeof value === 'object';
}

function noop(): void {}

/**
 * A phase method the definition does not list would never be called (the compiled phase lists
 * come from the definition): refuse the instance rather than skip its phase silently.
 */
function undeclaredPhase(definition: AnyPluginDefinition, instance: PluginInstance): string | null {
  for (const phase of PHASES) if (typeof instance[phase] === 'function' && !definition.phases.has(phase)) return phase;
  return null;
}
