// A piscina task (runs on a pool thread, never on the primary's event loop): parse, validate and
// hash a declarative config, so a 20,000-entity file does not stall the Admin API or supervision.
// Plugin schemas live next to their handlers (Kong's layout); this task is the one place outside
// the data plane that reads them, and those schema modules import nothing but config/ types.
//
// The result goes back to the primary by structured clone. When the caller says which config it
// holds (`base`, its hash) and that is the config this thread prepared last, only the changes
// travel (config/changes.ts): a one-target change at 10,000 routes sends one target and the
// targets' hashes instead of every entity. Otherwise (first load, a restarted thread, a caller
// that missed a result) the full result is sent, as before.
import { changesSince, type HashesOf, type PreparedChanges } from '../../config/changes.ts';
import { prepareConfig, type PrepareResult } from '../../config/prepare.ts';
import { pluginSchemas } from '../../workers/plugins/schemas.ts';

export interface PrepareTask {
  text: string;
  format?: 'yaml' | 'json';
  /** Hash of the config the caller holds: the answer may be the changes against it. */
  base?: string;
}

export type PrepareAnswer = PrepareResult | PreparedChanges;

/** Hashes of the last config this thread accepted (the pool has one thread; each has its own). */
let last: HashesOf | null = null;

export default function prepare(task: PrepareTask): PrepareAnswer {
  const result = prepareConfig(task.text, { format: task.format, plugins: pluginSchemas });
  if (!result.ok) return result;
  const previous = last;
  last = { hash: result.hash, groupHashes: result.groupHashes, entityHashes: result.entityHashes };
  if (previous !== null && task.base === previous.hash) return changesSince(result, previous);
  return result;
}
