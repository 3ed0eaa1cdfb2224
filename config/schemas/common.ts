// Building blocks of the entity schemas (JSON Schema for ajv). Pure data; any thread.
// Fields follow Kong 3.x typedefs: same names, same defaults, same bounds where Kong has them.
import { LIMITS } from '../limits.ts';

export type Schema = { [keyword: string]: unknown };

/** An entity schema plus the Kong fields that are accepted but not kept (see `unsupported`). */
export interface EntitySchema {
  schema: Schema;
  /** Accepted in the file for Kong compatibility, validated, then dropped from the entity. */
  dropped: readonly string[];
}

export const ID: Schema = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  'x-message': 'expected a valid UUID',
};

/** Kong's `utf8_name`: letters and digits of any script, and `. - _ ~`. */
export const NAME: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: LIMITS.nameLength,
  pattern: '^[\\p{L}\\p{N}._~-]+$',
  'x-message': "invalid value: must only contain alphanumeric and '., -, _, ~' characters",
};

/** Kong's `header_name`: an RFC 7230 token. */
export const HEADER_NAME: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
  'x-message': 'bad header name: must be an RFC 7230 token',
};

export const TAGS: Schema = {
  type: ['array', 'null'],
  default: null,
  maxItems: LIMITS.tagsPerEntity,
  items: {
    type: 'string',
    minLength: 1,
    maxLength: LIMITS.tagLength,
    pattern: '^[^,/\\p{Cc}]+$',
    'x-message': "invalid tag: must not contain ',', '/' or control characters",
  },
};

export const PORT: Schema = { type: 'integer', minimum: 0, maximum: 65535 };

/** Kong's `nonzero_timeout`, in milliseconds. */
export function timeout(dflt: number): Schema {
  return { type: 'integer', minimum: 1, maximum: 2 ** 31 - 2, default: dflt };
}

export function bool(dflt: boolean): Schema {
  return { type: 'boolean', default: dflt };
}

/** `schema` or null, defaulting to null: every optional field is present in the built entity. */
export function nullable(schema: Schema): Schema {
  const type = schema['type'];
  return { ...schema, type: Array.isArray(type) ? [...(type as string[]), 'null'] : [type, 'null'], default: null };
}

export function oneOf(values: readonly string[], dflt?: string): Schema {
  return dflt === undefined ? { type: 'string', enum: values } : { type: 'string', enum: values, default: dflt };
}

/**
 * A Kong field Sluice does not implement. Kong exports write it as null (or an empty list), so it
 * is accepted then; any other value is refused with SLUICE_ERR_UNSUPPORTED rather than loaded and
 * silently ignored. Dropped from the built entity (see EntitySchema.dropped).
 */
export const unsupported: Schema = { 'x-unsupported': [null, []] };

/**
 * `schema`, accepting only its default (or the given neutral values): the field is Kong's, valid,
 * and not implemented by Sluice yet. See config/ajv.ts for the keyword.
 */
export function refuse(schema: Schema, allowed: readonly unknown[] = [schema['default']]): Schema {
  return { ...schema, 'x-unsupported': allowed };
}

/** `refuse` on every leaf of a record schema (nested records included), each keeping its default. */
export function refuseLeaves(schema: Schema): Schema {
  const props = schema['properties'];
  if (schema['type'] !== 'object' || props === undefined) return refuse(schema);
  const out: Record<string, Schema> = {};
  for (const [k, v] of Object.entries(props as Record<string, Schema>)) out[k] = refuseLeaves(v);
  return { ...schema, properties: out };
}

/** Kong's `http_path`-style paths: absolute. */
export const ABSOLUTE_PATH: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: LIMITS.pathLength,
  pattern: '^/',
  'x-message': 'should start with: /',
};

export function record(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  const s: Schema = { type: 'object', additionalProperties: false, properties };
  if (required.length > 0) s['required'] = required;
  return s;
}
