// Evaluates a plugin's `checks` (Kong's entity_checks, as data) on its defaulted config.
// Pure; runs on any thread. A check whose fields already failed the schema is skipped, so one
// mistake is reported once.
import type { FieldError } from './ajv.ts';
import type { FieldMatch, PluginCheck } from './plugin-schema.ts';

export function runPluginChecks(checks: readonly PluginCheck[], config: Record<string, unknown>, failed: readonly string[]): FieldError[] {
  const out: FieldError[] = [];
  const bad = (field: string): boolean => failed.some((f) => f === `config.${field}` || f.startsWith(`config.${field}.`));
  for (const check of checks) {
    if ('at_least_one_of' in check) {
      const fields = check.at_least_one_of;
      if (fields.some(bad)) continue;
      if (!fields.some((f) => present(get(config, f)))) {
        out.push({
          field: 'config',
          message: check.message ?? `at least one of these fields must be non-empty: ${fields.map((f) => `'config.${f}'`).join(', ')}`,
        });
      }
    } else if ('non_decreasing' in check) {
      const fields = check.non_decreasing;
      if (fields.some(bad)) continue;
      for (let j = 1; j < fields.length; j++) {
        const upper = get(config, fields[j] as string);
        if (typeof upper !== 'number') continue;
        for (let i = 0; i < j; i++) {
          const lower = get(config, fields[i] as string);
          if (typeof lower === 'number' && upper < lower) {
            out.push({
              field: `config.${fields[j] as string}`,
              message: check.message ?? `The limit for ${fields[j] as string}(${upper}) cannot be lower than the limit for ${fields[i] as string}(${lower})`,
            });
            break;
          }
        }
      }
    } else {
      const c = check.conditional;
      if (bad(c.if_field) || bad(c.then_field)) continue;
      if (matches(get(config, c.if_field), c.if_match) && !matches(get(config, c.then_field), c.then_match)) {
        out.push({ field: `config.${c.then_field}`, message: c.then_err ?? describe(c.then_match) });
      }
    }
  }
  return out;
}

/** A dotted path inside the config. */
function get(config: Record<string, unknown>, path: string): unknown {
  let v: unknown = config;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
}

function matches(v: unknown, m: FieldMatch): boolean {
  if (m.present !== undefined && present(v) !== m.present) return false;
  if (m.one_of !== undefined && !m.one_of.includes(v)) return false;
  if (m.not_one_of !== undefined && m.not_one_of.includes(v)) return false;
  if (m.contains !== undefined && !(Array.isArray(v) && v.includes(m.contains))) return false;
  return true;
}

function describe(m: FieldMatch): string {
  if (m.present === true) return 'required field missing';
  if (m.present === false) return 'must not be set';
  if (m.one_of !== undefined) return `expected one of: ${m.one_of.map(String).join(', ')}`;
  if (m.not_one_of !== undefined) return `must not be one of: ${m.not_one_of.map(String).join(', ')}`;
  if (m.contains !== undefined) return `expected to contain: '${String(m.contains)}'`;
  return 'invalid value';
}
