// prometheus's configuration schema (Kong 3.x kong/plugins/prometheus/schema.lua: same fields and
// defaults). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** Fill the consumer label of request and bandwidth metrics. */
  per_consumer: boolean;
  status_code_metrics: boolean;
  /** Kong's AI gateway metrics; accepted for compatibility, Sluice exports none. */
  ai_metrics: boolean;
  latency_metrics: boolean;
  bandwidth_metrics: boolean;
  upstream_health_metrics: boolean;
  /** Kong 3.10+: metrics of proxy-wasm filters. Sluice runs no Wasm filters, so there are none to export. */
  wasm_metrics: boolean;
}

export const schema: PluginSchema = {
  name: 'prometheus',
  priority: 13,
  config: {
    type: 'object',
    properties: {
      per_consumer: { type: 'boolean', default: false },
      status_code_metrics: { type: 'boolean', default: false },
      ai_metrics: { type: 'boolean', default: false },
      latency_metrics: { type: 'boolean', default: false },
      bandwidth_metrics: { type: 'boolean', default: false },
      upstream_health_metrics: { type: 'boolean', default: false },
      wasm_metrics: { type: 'boolean', default: false },
    },
  },
};
