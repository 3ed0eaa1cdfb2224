// The one true config (primary thread). Every source — the file at boot, file watch, SIGHUP,
// POST /config — goes through `load`: parse, validate, hash and diff in the piscina pool, then
// apply the delta here and hand it to whoever listens (the supervisor).
// The pool answers with the delta from the current snapshot (the same Delta the workers apply,
// applied here with the same applyDelta), so a change costs this thread what changed; only when it
// cannot (first load, a restarted pool thread) does the full result come and get diffed here.
// Consecutive snapshots share the objects of unchanged entities (never modified); a group's
// record is edited in place (the previous snapshot is replaced, never read again).
// Loads are serialized: version N+1 always follows version N.
import { randomBytes } from 'node:crypto';
import { applyDelta, settleInPlace } from '../config/apply.ts';
import { diff } from '../config/diff.ts';
import type { PreparedDelta } from '../config/incremental.ts';
import { toSnapshot, type PreparedConfig } from '../config/prepare.ts';
import type { MigrationReport } from '../config/migrate.ts';
import { GROUPS } from '../config/types.ts';
import type { Delta, FlatError, Snapshot } from '../config/types.ts';
import type { TaskPool } from './pool.ts';
import type { ErrorCode } from './protocol/errors.ts';
import type { Logger } from './protocol/log.ts';

/** Loads waiting behind the running one; past this, callers are told to retry (429). */
const MAX_QUEUED = 8;

export type LoadOutcome =
  | { status: 'applied'; version: number; hash: string; delta: Delta | null; snapshot: Snapshot; migration: MigrationReport | null; warnings: FlatError[] }
  | { status: 'unchanged'; version: number; hash: string }
  | { status: 'invalid'; code: ErrorCode; errors: FlatError[] }
  | { status: 'busy' };

export type CheckOutcome =
  | { status: 'checked'; hash: string; delta: Delta | null }
  | { status: 'invalid'; code: ErrorCode; errors: FlatError[] }
  | { status: 'busy' };

export interface LoadRequest {
  /** The declarative text, or its UTF-8 bytes (decoded on the config thread, not this one). */
  text: string | Uint8Array;
  source: string;
  format?: 'yaml' | 'json';
}

export class ConfigStore {
  #snapshot: Snapshot | null = null;
  #source = '';
  #loadedAt = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #queued = 0;
  readonly #pool: TaskPool;
  readonly #log: Logger;
  /** Keys generated credential values: stable across reloads while this process runs (config/generated.ts). */
  readonly #generatorSecret = randomBytes(32).toString('hex');
  /** Called with each accepted change, in version order. */
  onChange: ((delta: Delta, snapshot: Snapshot) => void) | null = null;

  constructor(pool: TaskPool, log: Logger) {
    this.#pool = pool;
    this.#log = log;
  }

  get snapshot(): Snapshot {
    if (this.#snapshot === null) throw new Error('no config loaded yet');
    return this.#snapshot;
  }

  /** When the current config was accepted, Unix seconds with millisecond precision (Kong's timestamps). */
  get loadedAt(): number {
    return this.#loadedAt;
  }

  get source(): string {
    return this.#source;
  }

  load(request: LoadRequest): Promise<LoadOutcome> {
    return this.#enqueue(() => this.#load(request));
  }

  /**
   * Validates, hashes and diffs `request` against the current config without applying it (POST
   * /config?dry_run=1): `delta` is null when nothing would change. Queued with the loads, so it is
   * diffed against the config that will be current when its turn comes.
   */
  check(request: LoadRequest): Promise<CheckOutcome> {
    return this.#enqueue(async () => {
      const result = await this.#prepare(request.text, request.format);
      if (!result.ok) return { status: 'invalid' as const, code: result.code, errors: result.errors };
      const previous = this.snapshot;
      if (previous.hash === result.hash) return { status: 'checked' as const, hash: result.hash, delta: null };
      return { status: 'checked' as const, hash: result.hash, delta: deltaFrom(previous, result) };
    });
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T | { status: 'busy' }> {
    if (this.#queued >= MAX_QUEUED) return Promise.resolve({ status: 'busy' });
    this.#queued++;
    const run = this.#queue.then(task);
    this.#queue = run.then(
      () => this.#queued--,
      () => this.#queued--,
    );
    return run;
  }

  async #load({ text, source, format }: LoadRequest): Promise<LoadOutcome> {
    const started = performance.now();
    const result = await this.#prepare(text, format);
    if (!result.ok) {
      // One log line with every error; the last good config keeps serving.
      this.#log.warn({ source, code: result.code, errors: result.errors }, 'config rejected');
      return { status: 'invalid', code: result.code, errors: result.errors };
    }
    // Said once per load that carries them (an expired certificate): never the key, only where.
    if (result.warnings !== undefined) this.#log.warn({ source, warnings: result.warnings }, 'config accepted with warnings');
    const previous = this.#snapshot;
    if (previous !== null && previous.hash === result.hash) return { status: 'unchanged', version: previous.version, hash: previous.hash };
    let snapshot: Snapshot;
    // The first config has nothing to diff against: workers start from full snapshots.
    let delta: Delta | null = null;
    if (!('base' in result)) {
      snapshot = toSnapshot(result, (previous?.version ?? 0) + 1);
      if (previous !== null) delta = diff(previous, snapshot);
    } else {
      if (previous === null) throw new Error('a delta answered for a load with no base');
      delta = deltaFrom(previous, result);
      // In place: copying a 10,000-route record for a one-route change would cost more than the rest.
      snapshot = applyDelta(previous, delta, { inPlace: GROUPS });
      settleInPlace(snapshot);
    }
    this.#snapshot = snapshot;
    this.#source = source;
    this.#loadedAt = Math.round(Date.now()) / 1000;
    if (result.migration !== null) this.#log.warn({ source, migrated: result.migration }, `config migrated from _format_version ${result.migration.from} to 3.0`);
    this.#log.info({ source, version: snapshot.version, hash: snapshot.hash, ms: Math.round(performance.now() - started), ...(delta && deltaSize(delta)) }, 'config applied');
    if (delta !== null) this.onChange?.(delta, snapshot);
    return { status: 'applied', version: snapshot.version, hash: snapshot.hash, delta, snapshot, migration: result.migration, warnings: result.warnings ?? [] };
  }

  /**
   * Parse, validate, hash and diff in the pool: a delta from the snapshot held here when the pool
   * thread prepared that one (config/incremental.ts), else the full result.
   */
  async #prepare(text: LoadRequest['text'], format: LoadRequest['format']): Promise<PreparedConfig | PreparedDelta | Rejected> {
    const base = this.#snapshot;
    const answer = await this.#pool.prepareConfig({ text, format, base: base?.hash, generatorSecret: this.#generatorSecret });
    if (!answer.ok || !('base' in answer) || answer.base === base?.hash) return answer;
    // The task and this store disagree on the base (a bug, never expected): ask for the full result.
    this.#log.warn({ base: answer.base, have: base?.hash ?? null }, 'config delta did not fit the current config; preparing in full');
    return (await this.#pool.prepareConfig({ text, format, generatorSecret: this.#generatorSecret })) as PreparedConfig | Rejected;
  }
}

type Rejected = { ok: false; code: ErrorCode; errors: FlatError[] };

/** The delta from `previous` to a prepared config: as the pool answered it, or diffed from a full result. */
function deltaFrom(previous: Snapshot, result: PreparedConfig | PreparedDelta): Delta {
  const version = previous.version + 1;
  if (!('base' in result)) return diff(previous, toSnapshot(result, version));
  const { upserts, removes, upsertHashes, groupHashes, hash } = result;
  return { version, fromVersion: previous.version, hash, upserts, removes, groupHashes, upsertHashes };
}

export function deltaSize(delta: Delta | null): { upserts: number; removes: number } {
  if (delta === null) return { upserts: 0, removes: 0 };
  let upserts = 0;
  let removes = 0;
  for (const list of Object.values(delta.upserts)) upserts += list?.length ?? 0;
  for (const list of Object.values(delta.removes)) removes += list?.length ?? 0;
  return { upserts, removes };
}
