// Runs on a worker thread: the plugins this worker can run, by name. Each handler module ends with
// `satisfies PluginDefinition<Config>`; tests add their own definitions through `createRegistry`.
import correlationId from './correlation-id/handler.ts';
import type { AnyPluginDefinition } from './instances.ts';
import keyAuth from './key-auth/handler.ts';
import prometheus from './prometheus/handler.ts';
import rateLimiting from './rate-limiting/handler.ts';
import requestTermination from './request-termination/handler.ts';

export type PluginRegistry = ReadonlyMap<string, AnyPluginDefinition>;

/** The plugins Sluice ships. */
export const BUNDLED_PLUGINS: readonly AnyPluginDefinition[] = [correlationId, keyAuth, prometheus, rateLimiting, requestTermination];

/** Bundled plugins plus `extra` (an extra definition replaces a bundled one of the same name). */
export function createRegistry(extra: readonly AnyPluginDefinition[] = []): PluginRegistry {
  const registry = new Map<string, AnyPluginDefinition>();
  for (const definition of BUNDLED_PLUGINS) registry.set(definition.name, definition);
  for (const definition of extra) registry.set(definition.name, definition);
  return registry;
}
