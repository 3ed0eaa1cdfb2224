// The one true config (primary thread). Every source — the file at boot, file watch, SIGHUP,
// POST /config — goes through `load`: parse, validate and hash in the piscina pool, diff against
// the current snapshot here, then hand the delta to whoever listens (the supervisor).
// Consecutive snapshots share the objects of unchanged groups and entities (never modified).
// Loads are serialized: version N+1 is always diffed against version N.
import { randomBytes } from 'node:crypto';
import { withChanges } from '../config/changes.ts';
import { diff } from '../config/diff.ts';
import { toSnapshot, type PrepareResult } from '../config/prepare.ts';
import type { MigrationReport } from '../config/migrate.ts';
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
  text: string;
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
      return { status: 'checked' as const, hash: result.hash, delta: diff(previous, toSnapshot(result, previous.version + 1)) };
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
    const snapshot = toSnapshot(result, (previous?.version ?? 0) + 1);
    // The first config has nothing to diff against: workers start from full snapshots.
    const delta = previous === null ? null : diff(previous, snapshot);
    this.#snapshot = snapshot;
    this.#source = source;
    this.#loadedAt = Math.round(Date.now()) / 1000;
    if (result.migration !== null) this.#log.warn({ source, migrated: result.migration }, `config migrated from _format_version ${result.migration.from} to 3.0`);
    this.#log.info({ source, version: snapshot.version, hash: snapshot.hash, ms: Math.round(performance.now() - started), ...(delta && deltaSize(delta)) }, 'config applied');
    if (delta !== null) this.onChange?.(delta, snapshot);
    return { status: 'applied', version: snapshot.version, hash: snapshot.hash, delta, snapshot, migration: result.migration, warnings: result.warnings ?? [] };
  }

  /**
   * Parse, validate and hash in the pool. The task answers with only the changes against the
   * snapshot held here when it can (config/changes.ts), so the clone back to this thread costs what
   * changed, and unchanged entities stay the very objects of the current snapshot.
   */
  async #prepare(text: string, format: LoadRequest['format']): Promise<PrepareResult> {
    const base = this.#snapshot;
    const answer = await this.#pool.prepareConfig({ text, format, base: base?.hash, generatorSecret: this.#generatorSecret });
    if (!('base' in answer)) return answer;
    const result = base === null ? null : withChanges(base, answer);
    if (result !== null) return result;
    // The task and this store disagree on the base (a bug, never expected): ask for the full result.
    this.#log.warn({ base: answer.base, have: base?.hash ?? null }, 'config changes did not fit the current config; preparing in full');
    return (await this.#pool.prepareConfig({ text, format, generatorSecret: this.#generatorSecret })) as PrepareResult;
  }
}

export function deltaSize(delta: Delta | null): { upserts: number; removes: number } {
  if (delta === null) return { upserts: 0, removes: 0 };
  let upserts = 0;
  let removes = 0;
  for (const list of Object.values(delta.upserts)) upserts += list?.length ?? 0;
  for (const list of Object.values(delta.removes)) removes += list?.length ?? 0;
  return { upserts, removes };
}
