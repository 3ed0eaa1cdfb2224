// Text to plain data: JSON or YAML. Pure; runs on any thread.
// YAML is read with the YAML 1.2 core schema (so `yes`/`on` stay strings and fail type checks
// loudly instead of turning into booleans), duplicate keys are errors, and alias expansion is
// bounded (a "billion laughs" file is rejected, not expanded).
import { LineCounter, parseDocument } from 'yaml';
import type { FlatError } from './types.ts';

export type ConfigFormat = 'yaml' | 'json';

export type ParseResult =
  | { ok: true; value: unknown; format: ConfigFormat }
  | { ok: false; errors: FlatError[] };

/** JSON when the first non-blank character opens an object or array, else YAML. */
export function detectFormat(text: string): ConfigFormat {
  const m = /\S/.exec(text);
  return m !== null && (m[0] === '{' || m[0] === '[') ? 'json' : 'yaml';
}

export function parseText(text: string, format?: ConfigFormat): ParseResult {
  const fmt = format ?? detectFormat(text);
  return fmt === 'json' ? parseJson(text) : parseYaml(text);
}

function parseJson(text: string): ParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown, format: 'json' };
  } catch (err) {
    return { ok: false, errors: [parseError(`invalid JSON: ${(err as Error).message}`)] };
  }
}

function parseYaml(text: string): ParseResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false, strict: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return parseError(`invalid YAML at line ${pos.line}, column ${pos.col}: ${e.message}`);
      }),
    };
  }
  try {
    // maxAliasCount bounds the expansion of `*alias` nodes.
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) as unknown, format: 'yaml' };
  } catch (err) {
    return { ok: false, errors: [parseError(`invalid YAML: ${(err as Error).message}`)] };
  }
}

function parseError(message: string): FlatError {
  return { entity_type: 'config', entity: null, field: '', message };
}
