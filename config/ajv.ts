// The one ajv instance, and ajv errors turned into Kong-style field errors.
// Pure; runs on any thread (each thread that imports it compiles its own validators once).
import { isDeepStrictEqual } from 'node:util';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { joinPath } from './errors.ts';
import { addValueKeywords } from './value-keywords.ts';

export const ajv = new Ajv({
  allErrors: true,
  // Missing fields take their default; an explicit null does too where null is not allowed (see
  // nullsToDefaults). Not ajv's 'empty' mode, which would also turn "" into the default silently.
  useDefaults: true,
  allowUnionTypes: true,
  // verbose gives each error its parentSchema, which carries `x-message` and both range bounds.
  verbose: true,
  strict: true,
  strictTypes: true,
  strictTuples: true,
  logger: false,
});

// `x-message`: an annotation that replaces the generated message for a failing subschema.
ajv.addKeyword({ keyword: 'x-message', schemaType: 'string' });
// `x-regex`, `x-ip-or-cidr`, `x-url`: Kong's validators of string values (value-keywords.ts).
addValueKeywords(ajv);

/**
 * `x-unsupported: [v1, v2...]`: a valid Kong setting Sluice does not implement. Only these values
 * (the default, or a neutral value such as null or []) are accepted; any other is refused with
 * SLUICE_ERR_UNSUPPORTED rather than loaded and ignored. Plain data, so plugin schemas use it too.
 */
export const UNSUPPORTED_KEYWORD = 'x-unsupported';
ajv.addKeyword({
  keyword: UNSUPPORTED_KEYWORD,
  schemaType: 'array',
  validate: (allowed: readonly unknown[], data: unknown) => allowed.some((a) => isDeepStrictEqual(a, data)),
});

/**
 * `x-unsupported-unless: "<regex>"`: a string that does not match is valid Kong that Sluice does not
 * implement (a request-transformer template that needs Lua code, for one): refused with
 * SLUICE_ERR_UNSUPPORTED rather than sent on as text.
 */
export const UNSUPPORTED_UNLESS_KEYWORD = 'x-unsupported-unless';
ajv.addKeyword({
  keyword: UNSUPPORTED_UNLESS_KEYWORD,
  schemaType: 'string',
  compile: (pattern: string) => {
    const re = new RegExp(pattern);
    return (data: unknown) => typeof data !== 'string' || re.test(data);
  },
});

export interface FieldError {
  field: string;
  message: string;
  /** The value is valid Kong but not implemented by Sluice. */
  unsupported?: true;
}

/** Runs `validate` on `data` (filling defaults in place) and returns one error per failed field. */
export function runSchema(validate: ValidateFunction, data: unknown, prefix = ''): FieldError[] {
  nullsToDefaults(validate.schema, data);
  if (validate(data)) return [];
  const byField = new Map<string, FieldError>();
  for (const err of validate.errors ?? []) {
    // `anyOf`/`if` wrappers repeat what their branches already said.
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf' || err.keyword === 'if') continue;
    const fe = toFieldError(err, prefix);
    // One error per field, as Kong reports (an empty name fails minLength and pattern alike). A
    // value that is invalid anyway is reported as invalid, not as "not supported".
    const had = byField.get(fe.field);
    if (had === undefined || (had.unsupported === true && fe.unsupported !== true)) byField.set(fe.field, fe);
  }
  return [...byField.values()];
}

/**
 * Removes explicit nulls from fields that have a default and do not accept null, so the default
 * applies: Kong fills a null the same way, and an export may write `null` where a hand-written
 * file leaves the field out. Both must hash the same.
 */
function nullsToDefaults(schema: unknown, data: unknown): void {
  if (!isObject(schema) || !isObject(data) || Array.isArray(data)) return;
  const props = schema['properties'];
  if (!isObject(props)) return;
  for (const [key, sub] of Object.entries(props)) {
    if (!isObject(sub) || !Object.hasOwn(data, key)) continue;
    const value = data[key];
    if (value === null) {
      const type = sub['type'];
      const nullable = type === 'null' || (Array.isArray(type) && type.includes('null'));
      if (sub['default'] !== undefined && !nullable) delete data[key];
    } else {
      nullsToDefaults(sub, value);
    }
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

function toFieldError(err: ErrorObject, prefix: string): FieldError {
  const base = joinPath(prefix, pointerToPath(err.instancePath));
  const custom = (err.parentSchema as Record<string, unknown> | undefined)?.['x-message'];
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { field: joinPath(base, String(p['missingProperty'])), message: 'required field missing' };
    case 'additionalProperties':
      return { field: joinPath(base, String(p['additionalProperty'])), message: 'unknown field' };
    case 'propertyNames':
      return { field: joinPath(base, String(p['propertyName'])), message: typeof custom === 'string' ? custom : 'invalid field name' };
  }
  if (err.keyword === UNSUPPORTED_UNLESS_KEYWORD) {
    return { field: base, message: 'not supported by Sluice: only $(headers.x), $(query_params.x), $(uri_captures.x), $(shared.x) and string literals render without Lua', unsupported: true };
  }
  if (err.keyword === UNSUPPORTED_KEYWORD) {
    const allowed = ((err.parentSchema as Record<string, unknown>)[UNSUPPORTED_KEYWORD] as unknown[]).map((a) => JSON.stringify(a));
    return { field: base, message: `not supported by Sluice: only ${allowed.join(' or ')} is accepted here`, unsupported: true };
  }
  if (typeof custom === 'string' && !BOUNDS.has(err.keyword)) return { field: base, message: custom };
  return { field: base, message: describe(err) };
}

// Size and range errors keep their generated message (with the bound); `x-message` explains the rest.
const BOUNDS = new Set(['minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']);

function describe(err: ErrorObject): string {
  const p = err.params as Record<string, unknown>;
  const parent = (err.parentSchema ?? {}) as Record<string, unknown>;
  switch (err.keyword) {
    case 'type':
      return `expected ${article(String(p['type']))}`;
    case 'enum':
      return `expected one of: ${(p['allowedValues'] as unknown[]).map(String).join(', ')}`;
    case 'const':
      return `value must be ${JSON.stringify(p['allowedValue'])}`;
    case 'minimum':
    case 'maximum':
      return parent['minimum'] !== undefined && parent['maximum'] !== undefined
        ? `value should be between ${String(parent['minimum'])} and ${String(parent['maximum'])}`
        : `value must be ${err.keyword === 'minimum' ? 'at least' : 'at most'} ${String(p['limit'])}`;
    case 'exclusiveMinimum':
      return `value must be greater than ${String(p['limit'])}`;
    case 'exclusiveMaximum':
      return `value must be less than ${String(p['limit'])}`;
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return `length must be at least ${String(p['limit'])}`;
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return `length must be at most ${String(p['limit'])}`;
    case 'uniqueItems':
      return `duplicate value: items ${String(p['j'])} and ${String(p['i'])} are the same`;
    case 'pattern':
      return `invalid value: does not match ${String(p['pattern'])}`;
    case 'multipleOf':
      return `value must be a multiple of ${String(p['multipleOf'])}`;
    default:
      return err.message ?? 'invalid value';
  }
}

function article(type: string): string {
  // "expected an array", not "an array or a null": null is always allowed where it is allowed.
  const names = type
    .split(',')
    .filter((t) => t !== 'null')
    .map((t) => (t === 'object' ? 'record' : t));
  return names.map((t) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`)).join(' or ');
}

/** JSON pointer (`/paths/0`) to a dotted path (`paths.0`). */
export function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}
