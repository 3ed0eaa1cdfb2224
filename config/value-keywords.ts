// ajv keywords for the string values Kong checks with a Lua validator (is_regex, ip_or_cidr, url).
// Pure; runs on any thread. The keywords are data in a schema (`'x-regex': 'pattern'`), so plugin
// schemas stay plain data that structured-clones into the validation pool.
import { isIP } from 'node:net';
import type { Ajv, FuncKeywordDefinition, SchemaValidateFunction } from 'ajv';

/**
 * PCRE escapes with no JS equivalent: without the `u` flag JS reads `\A` as a plain `A`, so a
 * pattern using them would compile and quietly match something else. Refused instead.
 */
const PCRE_ONLY = /\\[AzZhHKRXGQE]|\(\?[>|]|\(\?P<|\(\?R\)|[*+?}]\+/;

/**
 * A user regex as Sluice compiles it (workers: `new RegExp(value)`, no `u` flag, so PCRE's lenient
 * escapes such as `\-` or `\!` keep working); null when it is one.
 */
export function regexError(value: string): string | null {
  if (PCRE_ONLY.test(value)) return 'uses PCRE-only syntax';
  try {
    new RegExp(value);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Kong's `ip_or_cidr`: an IPv4/IPv6 address, or one with a /prefix in range. */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return isIP(value) !== 0;
  const family = isIP(value.slice(0, slash));
  const bits = value.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

/** Kong's typedefs.url check: a URL with a scheme and a host; the message Kong gives, or null. */
export function urlError(value: string): string | null {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value);
  if (scheme === null) return 'missing scheme in url';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value.startsWith(`${scheme[1]!}://`) ? 'could not parse url' : 'missing host in url';
  }
  return url.host === '' ? 'missing host in url' : null;
}

function keyword(name: string, check: (kind: string, value: string) => string | null): FuncKeywordDefinition {
  const validate: SchemaValidateFunction = (kind: string, data: unknown) => {
    if (typeof data !== 'string') return true;
    const message = check(kind, data);
    validate.errors = message === null ? [] : [{ keyword: name, message, params: {} }];
    return message === null;
  };
  return { keyword: name, schemaType: 'string', errors: true, validate };
}

export function addValueKeywords(ajv: Ajv): void {
  // `x-regex: 'pattern'` (Kong's is_regex) or `'origin'` (cors: `*` or a regex).
  ajv.addKeyword(
    keyword('x-regex', (kind, value) => {
      if (kind === 'origin' && value === '*') return null;
      const error = regexError(value);
      if (error === null) return null;
      return kind === 'origin' ? `'${value}' is not a valid regex (${error})` : `not a valid regex: ${value} (${error})`;
    }),
  );
  ajv.addKeyword(keyword('x-ip-or-cidr', (_kind, value) => (isIpOrCidr(value) ? null : `invalid ip or cidr range: '${value}'`)));
  ajv.addKeyword(keyword('x-url', (_kind, value) => urlError(value)));
  addOrderKeyword(ajv);
}

/**
 * `x-non-decreasing: [fields]` on an object: present numbers must not decrease along the list
 * (response-ratelimiting's per-limit windows, checked inside a map where `checks` cannot reach).
 */
export function addOrderKeyword(ajv: Ajv): void {
  const validate: SchemaValidateFunction = (fields: string[], data: unknown) => {
    if (data === null || typeof data !== 'object') return true;
    const record = data as Record<string, unknown>;
    for (let j = 1; j < fields.length; j++) {
      const upper = record[fields[j]!];
      if (typeof upper !== 'number') continue;
      for (let i = 0; i < j; i++) {
        const lower = record[fields[i]!];
        if (typeof lower === 'number' && upper < lower) {
          validate.errors = [{ keyword: 'x-non-decreasing', message: `the limit for ${fields[j]!}(${upper.toFixed(1)}) cannot be lower than the limit for ${fields[i]!}(${lower.toFixed(1)})`, params: {} }];
          return false;
        }
      }
    }
    return true;
  };
  ajv.addKeyword({ keyword: 'x-non-decreasing', schemaType: 'array', errors: true, validate });
  // `x-at-least-one-of: [fields]` on an object: one of them must be a number (Kong's
  // at_least_one_of inside a map value).
  const atLeastOne: SchemaValidateFunction = (fields: string[], data: unknown) => {
    if (data === null || typeof data !== 'object') return true;
    if (fields.some((f) => typeof (data as Record<string, unknown>)[f] === 'number')) return true;
    atLeastOne.errors = [{ keyword: 'x-at-least-one-of', message: `at least one of these fields must be non-empty: ${fields.map((f) => `'${f}'`).join(', ')}`, params: {} }];
    return false;
  };
  ajv.addKeyword({ keyword: 'x-at-least-one-of', schemaType: 'array', errors: true, validate: atLeastOne });
}
