// A plugin entity against its plugin's schema: known name, allowed scope and protocols, config.
// Pure; runs on any thread. Compiled config validators are cached per thread by schema content,
// since a PluginSchemas record arrives structured-cloned (a new object) with every task.
import stringify from 'fast-json-stable-stringify';
import type { ValidateFunction } from 'ajv';
import { ajv, runSchema } from './ajv.ts';
import { KONG_BUNDLED_PLUGINS } from './collections.ts';
import { isRecord } from './document.ts';
import type { ErrorList } from './errors.ts';
import type { Item, RefField } from './item.ts';
import { runPluginChecks } from './plugin-checks.ts';
import type { JSONSchema, PluginSchema, PluginSchemas } from './plugin-schema.ts';

/** Kong's protocols of the http subsystem (constants.lua PROTOCOLS_WITH_SUBSYSTEM). */
const HTTP_SUBSYSTEM: ReadonlySet<string> = new Set(['http', 'https', 'grpc', 'grpcs']);

const compiled = new Map<string, ValidateFunction | Error>();
/**
 * The same, by schema object: a config checks one plugin entity after another against the same
 * schema object, and stringifying the schema for the content key each time was about a tenth of
 * preparing a config with 1,000 plugins. Schema objects are never modified once built.
 */
const bySchema = new WeakMap<PluginSchema, ValidateFunction | Error>();

/** The config validator of a plugin schema, or the Error its schema failed to compile with. */
export function configValidator(schema: PluginSchema): ValidateFunction | Error {
  let v = bySchema.get(schema);
  if (v !== undefined) return v;
  const key = `${schema.name}\0${stringify(schema.config)}`;
  v = compiled.get(key);
  if (v === undefined) {
    try {
      v = ajv.compile(closeObjects(schema.config));
    } catch (err) {
      v = err as Error;
    }
    compiled.set(key, v);
  }
  bySchema.set(schema, v);
  return v;
}

const SCOPES: readonly [RefField, 'no_route' | 'no_service' | 'no_consumer'][] = [
  ['route', 'no_route'],
  ['service', 'no_service'],
  ['consumer', 'no_consumer'],
];

/**
 * `configChecked`: the item's `config` is known to have passed (and been defaulted by) this
 * plugin's schema and checks already, in an earlier load of the same fields (config/incremental.ts);
 * only the checks that depend on other entities (scope) run.
 */
export function checkPlugin(item: Item, plugins: PluginSchemas, errors: ErrorList, configChecked = false): void {
  const name = item.value['name'];
  if (typeof name !== 'string' || item.hasFailed('name')) return;
  const schema = Object.hasOwn(plugins, name) ? plugins[name] : undefined;
  if (schema === undefined) {
    if (KONG_BUNDLED_PLUGINS.has(name)) errors.unsupported(item, 'name', `plugin '${name}' is not supported by Sluice yet`);
    else errors.add(item, 'name', `plugin '${name}' not enabled: Sluice has no plugin by that name`);
    return;
  }
  for (const [field, flag] of SCOPES) {
    if (schema[flag] === true && (item.resolved[field] ?? null) !== null) {
      errors.add(item, field, `value must be null: plugin '${name}' cannot be scoped to a ${field}`);
    }
  }
  const protocols = item.value['protocols'];
  if (schema.protocols !== undefined && Array.isArray(protocols) && !item.hasFailed('protocols')) {
    protocols.forEach((p, i) => {
      if (!(schema.protocols as readonly string[]).includes(p as string)) {
        errors.add(item, `protocols.${i}`, `expected one of: ${schema.protocols?.join(', ') ?? ''}`);
      }
    });
  }
  // Kong's plugins iterator reads a plugin's `protocols` for its subsystem only: a plugin with any
  // http-subsystem protocol runs on every request it applies to, plain HTTP included (Kong 3.x
  // runloop/plugins_iterator.lua). One with only stream protocols would never run here (Sluice has
  // no stream proxy), so the file is refused rather than loaded with the plugin silently off.
  if (Array.isArray(protocols) && !item.hasFailed('protocols') && !protocols.some((p) => HTTP_SUBSYSTEM.has(p as string))) {
    errors.unsupported(item, 'protocols', "not supported by Sluice: a plugin runs only with one of 'http', 'https', 'grpc', 'grpcs' (Sluice has no stream proxy)");
  }
  const config = item.value['config'];
  if (configChecked || !isRecord(config) || item.hasFailed('config')) return;
  const validate = configValidator(schema);
  if (validate instanceof Error) {
    errors.add(item, 'config', `plugin '${name}' has an invalid schema: ${validate.message}`);
    return;
  }
  const failed: string[] = [];
  for (const fe of runSchema(validate, config, 'config')) {
    if (fe.unsupported === true) errors.unsupported(item, fe.field, fe.message);
    else errors.add(item, fe.field, fe.message);
    failed.push(fe.field);
  }
  for (const fe of runPluginChecks(schema.checks ?? [], config, failed)) errors.add(item, fe.field, fe.message);
}

/**
 * A copy of `schema` where every object schema that lists `properties` but says nothing of
 * `additionalProperties` is closed: an unknown config field is an error, never ignored.
 */
export function closeObjects(schema: JSONSchema): JSONSchema {
  const out: JSONSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' || k === 'patternProperties' || k === '$defs' || k === 'definitions') {
      out[k] = Object.fromEntries(Object.entries(v as Record<string, JSONSchema>).map(([p, s]) => [p, closeAny(s)]));
    } else if (k === 'allOf' || k === 'anyOf' || k === 'oneOf') {
      out[k] = (v as JSONSchema[]).map(closeAny);
    } else if (k === 'items' || k === 'additionalProperties' || k === 'not' || k === 'if' || k === 'then' || k === 'else' || k === 'contains') {
      out[k] = closeAny(v);
    } else {
      out[k] = v;
    }
  }
  if (out['properties'] !== undefined && out['additionalProperties'] === undefined && out['patternProperties'] === undefined) {
    out['additionalProperties'] = false;
  }
  return out;
}

function closeAny<T>(v: T): T {
  return isRecord(v) ? (closeObjects(v) as T) : v;
}
