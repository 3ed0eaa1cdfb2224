// The top level of a declarative file: `_format_version`, `_transform`, and which keys may appear.
// Pure; runs on any thread.
//
// `_format_version` "3.0" is read as is; "1.1" and "2.1" files were migrated to "3.0" before this
// runs (config/migrate.ts), as Kong 3.x migrates them on load.
import { COLLECTIONS, KONG_ONLY } from './collections.ts';
import { documentTarget } from './errors.ts';
import type { ErrorList } from './errors.ts';

export interface DocumentHead {
  /** Kong's `_transform`: when true (the default) basic-auth passwords are hashed on load. */
  transform: boolean;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkDocument(doc: unknown, errors: ErrorList): DocumentHead | null {
  const at = documentTarget();
  if (!isRecord(doc)) {
    errors.add(at, '', 'expected a record (a mapping of `_format_version`, `services`, ...) at the top level');
    return null;
  }
  const version = doc['_format_version'];
  if (version === undefined || version === null) {
    errors.add(at, '_format_version', 'required field missing');
  } else if (typeof version !== 'string') {
    errors.add(at, '_format_version', 'expected a string');
  } else if (version !== '3.0') {
    errors.add(at, '_format_version', 'expected one of: 1.1, 2.1, 3.0');
  }

  let transform = true;
  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case '_format_version':
        break;
      case '_transform':
        if (typeof value === 'boolean') transform = value;
        else errors.add(at, key, 'expected a boolean');
        break;
      case '_workspace':
      case '_comment':
        // Kong ignores the workspace in DB-less mode; Sluice has one.
        if (typeof value !== 'string') errors.add(at, key, 'expected a string');
        break;
      case '_ignore':
        if (!Array.isArray(value)) errors.add(at, key, 'expected an array');
        break;
      default:
        if (Object.hasOwn(COLLECTIONS, key)) break;
        if (KONG_ONLY.has(key)) {
          if (!(Array.isArray(value) && value.length === 0)) errors.unsupported(at, key, `'${key}' entities are not supported by Sluice`);
          break;
        }
        errors.add(at, key, 'unknown field');
    }
  }
  return { transform };
}
