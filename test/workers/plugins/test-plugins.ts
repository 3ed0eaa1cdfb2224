// Plugins that exist only for tests: they record what ran, in which phase and with which config,
// so the iterator's choices are visible in real responses.
import type { PluginSchema } from '../../../config/plugin-schema.ts';
import type { AnyPluginDefinition } from '../../../workers/plugins/instances.ts';
import type { PhaseName, PluginEnv, PluginInstance } from '../../../workers/plugins/types.ts';
import type { RequestContext } from '../../../workers/proxy/context.ts';
import { openSchema } from './helpers.ts';

/** Appends `name:tag` to the upstream header x-trail in access, and to the response header x-response-trail. */
export function tagPlugin(name: string, priority: number, phases: { rewrite?: boolean; log?: string[] } = {}): { definition: AnyPluginDefinition; schema: PluginSchema } {
  const schema = openSchema(name, priority);
  const definition: AnyPluginDefinition = {
    name,
    priority,
    schema,
    phases: new Set<PhaseName>(['access', 'headerFilter', ...(phases.rewrite === true ? (['rewrite'] as const) : []), ...(phases.log !== undefined ? (['log'] as const) : [])]),
    create(config: { tag?: string }): PluginInstance {
      const label = `${name}:${config.tag ?? ''}`;
      const instance: PluginInstance = {
        access(ctx: RequestContext) {
          ctx.setUpstreamHeader('x-trail', `${ctx.upstreamHeaders?.['x-trail'] ?? ''}${label},`);
        },
        headerFilter(ctx: RequestContext) {
          ctx.addResponseHeader('x-response-trail', `${ctx.responseHeaders?.['x-response-trail'] ?? ''}${label},`);
        },
      };
      if (phases.rewrite === true) {
        instance.rewrite = (ctx: RequestContext) => {
          ctx.setUpstreamHeader('x-rewrite-trail', `${ctx.upstreamHeaders?.['x-rewrite-trail'] ?? ''}${label},`);
        };
      }
      const logged = phases.log;
      if (logged !== undefined) instance.log = () => void logged.push(label);
      return instance;
    },
  };
  return { definition, schema };
}

/** Authenticates the consumer named by the x-consumer header (username), like an auth plugin at priority 1500. */
export function headerAuthPlugin(): { definition: AnyPluginDefinition; schema: PluginSchema } {
  const schema = { ...openSchema('test-auth', 1500), no_consumer: true };
  const definition: AnyPluginDefinition = {
    name: 'test-auth',
    priority: 1500,
    schema,
    phases: new Set<PhaseName>(['access']),
    create(_config: unknown, env: PluginEnv): PluginInstance {
      return {
        access(ctx: RequestContext) {
          const username = ctx.req.headers['x-consumer'];
          if (typeof username === 'string') ctx.consumer = env.credentials().consumerByUsername(username);
        },
      };
    },
  };
  return { definition, schema };
}
