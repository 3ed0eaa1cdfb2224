// A piscina task (runs on a pool thread, never on the primary's event loop): parse, validate and
// hash a declarative config, so a 20,000-entity file does not stall the Admin API or supervision.
// Plugin schemas come from config/plugins/ (plain data both threads import), never from workers/.
//
// The result goes back to the primary by structured clone. When the caller says which config it
// holds (`base`, its hash) and that is the config this thread prepared last, only the changes
// travel (config/changes.ts): a one-target change at 10,000 routes sends one target and the
// targets' hashes instead of every entity. Otherwise (first load, a restarted thread, a caller
// that missed a result) the full result is sent, as before.
import { changesSince, noChanges, type HashesOf, type PreparedChanges } from '../../config/changes.ts';
import { prepareConfig, type PrepareResult } from '../../config/prepare.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';

export interface PrepareTask {
  text: string;
  format?: 'yaml' | 'json';
  /** Hash of the config the caller holds: the answer may be the changes against it. */
  base?: string;
  /** The running gateway's key for values Kong generates (config/generated.ts). */
  generatorSecret?: string;
}

export type PrepareAnswer = PrepareResult | PreparedChanges;

/** The last config this thread accepted: its text, and its hashes (the pool has one thread). */
let last: { text: string; format: PrepareTask['format']; hashes: HashesOf } | null = null;

export default function prepare(task: PrepareTask): PrepareAnswer {
  const previous = last;
  if (previous !== null && task.base === previous.hashes.hash && task.format === previous.format && task.text === previous.text) {
    // The very text the caller already holds the result of (a controller re-posting its config
    // every few seconds, a SIGHUP or file touch without an edit). prepareConfig is a pure function
    // of the text, so the answer is "no change", without parsing 10,000 routes again.
    return noChanges(previous.hashes);
  }
  const result = prepareConfig(task.text, { format: task.format, plugins: pluginSchemas, generatorSecret: task.generatorSecret });
  if (!result.ok) return result;
  last = { text: task.text, format: task.format, hashes: { hash: result.hash, groupHashes: result.groupHashes, entityHashes: result.entityHashes } };
  if (previous !== null && task.base === previous.hashes.hash) return changesSince(result, previous.hashes);
  return result;
}
