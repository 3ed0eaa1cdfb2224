// Declarative config (already parsed) to validated, flattened, defaulted entities, or to every
// error it has. Pure; runs on any thread.
//
// A "1.1"/"2.1" document is first migrated to "3.0" as Kong does (migrate.ts).
// Stages, each reporting into one error list and each skipping what an earlier stage already
// reported, so one mistake gives one error and every mistake is reported:
//   document  `_format_version`, top-level keys
//   flatten   nested entities out, parent remembered
//   schema    per entity: types, bounds, unknown fields, defaults (ajv)
//   entity    per entity: paths, regexes, hosts, targets, Kong's entity checks
//   resolve   ids (explicit or derived) and references by name or id; generated keys and secrets
//   unique    duplicate names, ids, credentials, targets, plugin scopes
//   plugins   plugin name, scope, protocols, config against the plugin's schema
import { buildEntities } from './build.ts';
import { fillGenerated } from './generated.ts';
import { migrateDocument, type MigrationReport } from './migrate.ts';
import { checkDocument } from './document.ts';
import { checkEntity } from './entity-checks.ts';
import { checkSchema } from './entity-schema.ts';
import { ErrorList } from './errors.ts';
import { flatten } from './flatten.ts';
import { checkPlugin } from './plugin-config.ts';
import type { PluginSchemas } from './plugin-schema.ts';
import { resolveAll } from './resolve.ts';
import type { Entities, FlatError } from './types.ts';
import { checkServiceCaRefs } from './tls-checks.ts';
import { checkUniqueness } from './uniqueness.ts';

/** `warnings`: what is said but does not refuse the config (an expired certificate). */
export type ValidateResult = { ok: true; entities: Entities; migration: MigrationReport | null; warnings: FlatError[] } | { ok: false; errors: FlatError[] };

export interface ValidateOptions {
  /** Keys the values Kong would generate (config/generated.ts); a per-thread secret when absent. */
  generatorSecret?: string;
}

/**
 * Validates a parsed declarative config. Takes ownership of `doc`: defaults are filled into its
 * nested objects in place (pass a copy if the caller still needs the original).
 */
export function validateConfig(doc: unknown, plugins: PluginSchemas, opts: ValidateOptions = {}): ValidateResult {
  const errors = new ErrorList();
  const migration = migrateDocument(doc);
  const head = checkDocument(doc, errors);
  if (head === null) return { ok: false, errors: errors.list };
  const items = flatten(doc as Record<string, unknown>, errors);
  for (const item of items) if (!item.hasFailed('')) checkSchema(item, errors);
  for (const item of items) if (!item.hasFailed('')) checkEntity(item, errors);
  resolveAll(items, errors);
  fillGenerated(items, opts.generatorSecret);
  checkServiceCaRefs(
    items.filter((item) => item.group === 'services'),
    new Set(items.filter((item) => item.group === 'ca_certificates').map((item) => item.id)),
    errors,
  );
  checkUniqueness(items, errors);
  for (const item of items) if (item.group === 'plugins') checkPlugin(item, plugins, errors);
  if (errors.size > 0) return { ok: false, errors: errors.list };
  return { ok: true, entities: buildEntities(items, head), migration, warnings: errors.warnings };
}
