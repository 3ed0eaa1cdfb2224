// Runs on a worker thread (imported by every plugin handler): `definePlugin`, the one way a plugin
// is written. A plugin is a class whose constructor takes its validated config and whose methods
// are the Kong phases it runs in; the definition's name and priority come from its schema, and its
// phases from the class's methods, so nothing is said twice.
//
//     class MyPlugin implements PluginInstance {
//       constructor(config: Config, env: PluginEnv) { ... }
//       access(ctx: RequestContext): void { ... }
//     }
//     export default definePlugin<Config>(schema, MyPlugin);
import type { PluginSchema } from '../../config/plugin-schema.ts';
import type { Plugin } from '../../config/types.ts';
import { PHASES, type PhaseName, type PluginDefinition, type PluginEnv, type PluginInstance } from './types.ts';

/** A plugin's instance class: one instance per plugin config, made once (not per request). */
export type PluginClass<Config> = new (config: Config, env: PluginEnv, plugin: Readonly<Plugin>) => PluginInstance;

/** A definition whose `create` is synchronous (the class's constructor; async work goes in `init`). */
export type DefinedPlugin<Config> = Omit<PluginDefinition<Config>, 'create'> & { create(config: Config, env: PluginEnv, plugin: Readonly<Plugin>): PluginInstance };

export function definePlugin<Config>(schema: PluginSchema, Instance: PluginClass<Config>): DefinedPlugin<Config> {
  if (schema.priority === undefined) throw new TypeError(`plugin ${schema.name}: its schema has no priority`);
  return Object.freeze({
    name: schema.name,
    priority: schema.priority,
    schema,
    phases: phasesOf(Instance.prototype as PluginInstance),
    create(config: Config, env: PluginEnv, plugin: Readonly<Plugin>): PluginInstance {
      return new Instance(config, env, plugin);
    },
  });
}

/** The phase methods an instance (or a class prototype) has. */
export function phasesOf(instance: PluginInstance): ReadonlySet<PhaseName> {
  const phases = new Set<PhaseName>();
  for (const phase of PHASES) if (typeof instance[phase] === 'function') phases.add(phase);
  return phases;
}
