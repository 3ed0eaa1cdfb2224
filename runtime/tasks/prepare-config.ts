// A piscina task (runs on a pool thread, never on the primary's event loop): parse, validate and
// hash a declarative config, so a 20,000-entity file does not stall the Admin API or supervision.
// Plugin schemas live next to their handlers (Kong's layout); this task is the one place outside
// the data plane that reads them, and those schema modules import nothing but config/ types.
import { prepareConfig, type PrepareResult } from '../../config/prepare.ts';
import { pluginSchemas } from '../../workers/plugins/schemas.ts';

export interface PrepareTask {
  text: string;
  format?: 'yaml' | 'json';
}

export default function prepare(task: PrepareTask): PrepareResult {
  return prepareConfig(task.text, { format: task.format, plugins: pluginSchemas });
}
