// The one call the primary makes (inside a piscina task) for every config source: text in,
// validated and hashed entities out. Pure; runs on any thread. Input and output are plain data
// (strings, numbers, records, arrays): they cross threads by structured clone unchanged.
import { hashEntities } from './hash.ts';
import type { EntityHashes } from './hash.ts';
import { parseText } from './parse.ts';
import type { ConfigFormat } from './parse.ts';
import type { PluginSchemas } from './plugin-schema.ts';
import type { MigrationReport } from './migrate.ts';
import type { Entities, FlatError, GroupHashes, Snapshot } from './types.ts';
import { validateConfig } from './validate.ts';

export interface PrepareOptions {
  /** Auto-detected when absent: JSON if the text starts with `{` or `[`, else YAML. */
  format?: ConfigFormat;
  plugins: PluginSchemas;
  /** See config/generated.ts. */
  generatorSecret?: string;
}

export interface PreparedConfig {
  ok: true;
  entities: Entities;
  entityHashes: EntityHashes;
  groupHashes: GroupHashes;
  hash: string;
  /** Said, not refused (an expired certificate); absent when there is none. */
  warnings?: FlatError[];
  /** A 1.1/2.1 file migrated to 3.0 on load: what changed. */
  migration: MigrationReport | null;
}

export interface RejectedConfig {
  ok: false;
  errors: FlatError[];
  /** SLUICE_ERR_UNSUPPORTED when every error is a Kong feature Sluice does not implement. */
  code: 'SLUICE_ERR_CONFIG_PARSE' | 'SLUICE_ERR_CONFIG_INVALID' | 'SLUICE_ERR_CONFIG_TOO_LARGE' | 'SLUICE_ERR_UNSUPPORTED';
}

export type PrepareResult = PreparedConfig | RejectedConfig;

export function prepareConfig(text: string, opts: PrepareOptions): PrepareResult {
  const parsed = parseText(text, opts.format);
  if (!parsed.ok) return { ok: false, errors: parsed.errors, code: 'SLUICE_ERR_CONFIG_PARSE' };
  const valid = validateConfig(parsed.value, opts.plugins, { generatorSecret: opts.generatorSecret });
  if (!valid.ok) {
    const code = valid.errors.every((e) => e.code === 'SLUICE_ERR_UNSUPPORTED') ? 'SLUICE_ERR_UNSUPPORTED' : 'SLUICE_ERR_CONFIG_INVALID';
    return { ok: false, errors: valid.errors, code };
  }
  const { entityHashes, groupHashes, hash } = hashEntities(valid.entities);
  return { ok: true, entities: valid.entities, entityHashes, groupHashes, hash, migration: valid.migration, ...(valid.warnings.length === 0 ? {} : { warnings: valid.warnings }) };
}

/** A prepared config as the snapshot of `version`. Shares the result's objects: no copy. */
export function toSnapshot(result: PreparedConfig, version: number): Snapshot {
  return { version, hash: result.hash, groupHashes: result.groupHashes, entityHashes: result.entityHashes, entities: result.entities };
}
