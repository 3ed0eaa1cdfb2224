// Every plugin's config schema, by name: the PluginSchemas registry config validation takes.
// Imports only the schema modules (plain data), never a handler, so the primary's piscina task
// can validate plugin configs without loading data-plane code.
import type { PluginSchemas } from '../../config/plugin-schema.ts';
import { schema as correlationId } from './correlation-id/schema.ts';
import { schema as keyAuth } from './key-auth/schema.ts';
import { schema as prometheus } from './prometheus/schema.ts';
import { schema as rateLimiting } from './rate-limiting/schema.ts';
import { schema as requestTermination } from './request-termination/schema.ts';

export const pluginSchemas: PluginSchemas = Object.fromEntries(
  [correlationId, keyAuth, prometheus, rateLimiting, requestTermination].map((s) => [s.name, s]),
);
