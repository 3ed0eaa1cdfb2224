// Runs on a worker thread: the plugins this worker can run, by name. There is one list of bundled
// plugins — config/plugins/index.ts, the schemas the config layer accepts — and each plugin's handler is
// found by its folder, workers/plugins/<name>/handler.ts, whose default export is its definition
// (definePlugin). So a plugin is added in one place, and a config that validates can always run.
// Loaded once, when this module is first imported (top-level await), before the worker serves.
import { pluginSchemas } from '../../config/plugins/index.ts';
import type { AnyPluginDefinition } from './instances.ts';

export type PluginRegistry = ReadonlyMap<string, AnyPluginDefinition>;

// Sources run as .ts (type stripping); a compiled build runs .js.
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

async function loadHandler(name: string): Promise<AnyPluginDefinition> {
  const module = (await import(new URL(`./${name}/handler${EXTENSION}`, import.meta.url).href)) as { default?: AnyPluginDefinition };
  const definition = module.default;
  if (definition === undefined || definition.name !== name || definition.schema !== pluginSchemas[name]) {
    throw new TypeError(`workers/plugins/${name}/handler: its default export must be definePlugin(<the ${name} schema>, ...)`);
  }
  return definition;
}

/** The plugins Sluice ships, in the order of the schema list. */
export const BUNDLED_PLUGINS: readonly AnyPluginDefinition[] = await Promise.all(Object.keys(pluginSchemas).map(loadHandler));

/** Bundled plugins plus `extra` (an extra definition replaces a bundled one of the same name). */
export function createRegistry(extra: readonly AnyPluginDefinition[] = []): PluginRegistry {
  const registry = new Map<string, AnyPluginDefinition>();
  for (const definition of BUNDLED_PLUGINS) registry.set(definition.name, definition);
  for (const definition of extra) registry.set(definition.name, definition);
  return registry;
}
