// The config field shapes request-transformer and response-transformer share (Kong 3.x
// kong/plugins/{request,response}-transformer/schema.lua), and Kong's `$(...)` templates as far
// as Sluice renders them. Plain data and pure functions; imports only config/ types.
import type { JSONSchema } from '../plugin-schema.ts';

/** Kong's validate_header_name: the name part of `name` / `name:value` entries. */
const HEADER_NAME = '[A-Za-z0-9_-]+';

/**
 * What may stand inside `$(...)` without Lua: a lookup in one of the request tables Kong's template
 * environment offers (`headers`, `query_params`, `uri_captures`, `shared`) by `.name` or `['name']`
 * / `["name"]` / `[n]`, or a string literal (Kong's escape: `$('$(x)')` renders `$(x)`). Anything
 * else is Lua code (`or`, calls, arithmetic) and is refused as not supported. Parentheses inside a
 * literal must balance (one level): Kong's `%b()` would end the expression at an unbalanced one.
 */
const LOOKUP = `\\s*(?:(?:headers|query_params|uri_captures|shared)(?:\\.[A-Za-z_][A-Za-z0-9_]*|\\[\\s*(?:'[^'()]*'|"[^"()]*"|\\d+)\\s*\\])|'(?:[^'()]|\\([^'()]*\\))*'|"(?:[^"()]|\\([^"()]*\\))*")\\s*`;

/** A value whose every `$(...)` is a supported template (text without `$(` always is). */
export const SUPPORTED_TEMPLATE = `^(?:[^$]|\\$(?!\\()|\\$\\(${LOOKUP}\\))*$`;

/** `x-unsupported-unless` (config/ajv.ts): a value not matching is refused with SLUICE_ERR_UNSUPPORTED. */
export const TEMPLATES_ONLY: JSONSchema = { 'x-unsupported-unless': SUPPORTED_TEMPLATE };

export function stringArray(items: JSONSchema = { type: 'string' }): JSONSchema {
  return { type: 'array', default: [], items };
}

/** `name` or `name:anything`, the name a valid header name (remove.headers). */
export const HEADER_ENTRY: JSONSchema = {
  type: 'string',
  pattern: `^${HEADER_NAME}(?::[\\s\\S]*)?$`,
  'x-message': "invalid header: the name before ':' may hold only A-Z, a-z, 0-9, '_' and '-'",
};

/** `name:value`, the name a valid header name (add/append/replace.headers). */
export const HEADER_VALUE_ENTRY: JSONSchema = {
  type: 'string',
  pattern: `^${HEADER_NAME}:[\\s\\S]*$`,
  'x-message': "invalid header: expected 'name:value', the name holding only A-Z, a-z, 0-9, '_' and '-'",
};

/** `old:new`, both valid header names (rename.headers). */
export const HEADER_RENAME_ENTRY: JSONSchema = {
  type: 'string',
  pattern: `^${HEADER_NAME}:+${HEADER_NAME}$`,
  'x-message': "invalid header rename: expected 'old:new', both names holding only A-Z, a-z, 0-9, '_' and '-'",
};

/**
 * `key:value` with a value (Kong's check_for_value: `key 'x' has no value`). Kong splits with
 * `^([^:]+):*(.-)$`, so a run of colons separates and the value never starts with one.
 */
export const KEY_VALUE_ENTRY: JSONSchema = {
  type: 'string',
  pattern: '^[^:]+:+[^:][\\s\\S]*$',
  'x-message': "expected 'key:value' with a non-empty value",
};

/** Kong's `^[^:]+:.*$` (response-transformer's colon arrays): the value may be empty. */
export const COLON_ENTRY: JSONSchema = {
  type: 'string',
  pattern: '^[^:]+:[\\s\\S]*$',
  'x-message': "expected 'key:value'",
};

/** One `name:value` entry split as Kong splits it (`^([^:]+):*(.-)$`); value '' when there is none. */
export function splitEntry(entry: string): { name: string; value: string } {
  const colon = entry.indexOf(':');
  if (colon === -1) return { name: entry, value: '' };
  let v = colon;
  while (v < entry.length && entry.charCodeAt(v) === 58) v++;
  return { name: entry.slice(0, colon), value: entry.slice(v) };
}

/** A parsed template: literal text and lookups, alternating. */
export type TemplatePart = string | { table: 'headers' | 'query_params' | 'uri_captures' | 'shared'; key: string | number };

const PART = new RegExp(`\\$\\((${LOOKUP})\\)`, 'g');

/**
 * The parts of a template that SUPPORTED_TEMPLATE accepts (null for a value with no `$(`, which
 * is used as it is). Throws on a template it does not accept (the schema refused it already).
 */
export function parseTemplate(value: string): TemplatePart[] | null {
  if (!value.includes('$(')) return null;
  if (!new RegExp(SUPPORTED_TEMPLATE).test(value)) throw new TypeError(`template not supported: ${value}`);
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const m of value.matchAll(PART)) {
    if (m.index > last) parts.push(value.slice(last, m.index));
    parts.push(lookup(m[1]!.trim()));
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push(value.slice(last));
  return parts;
}

function lookup(expr: string): TemplatePart {
  const q = expr.charCodeAt(0);
  if (q === 39 || q === 34) return expr.slice(1, -1);
  const dot = expr.indexOf('.');
  const bracket = expr.indexOf('[');
  const at = dot !== -1 && (bracket === -1 || dot < bracket) ? dot : bracket;
  const table = expr.slice(0, at) as 'headers' | 'query_params' | 'uri_captures' | 'shared';
  if (at === dot) return { table, key: expr.slice(dot + 1) };
  const inner = expr.slice(bracket + 1, -1).trim();
  const c = inner.charCodeAt(0);
  return { table, key: c === 39 || c === 34 ? inner.slice(1, -1) : Number(inner) };
}
