// Kong Admin API `/schemas/{entity}` and `/schemas/plugins/{name}` (primary thread): Sluice's
// schemas written in Kong's shape, `{fields: [{name: {type, required, default, one_of, fields}}]}`,
// which is what decK reads to fill in defaults before it diffs.
import { ENTITY_SCHEMAS } from '../../config/entity-schema.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import type { KongRoute } from './kong-router.ts';

type Json = Record<string, unknown>;

/** Kong's DAO names → Sluice's schema keys. */
const ENTITIES: Record<string, string> = {
  services: 'services',
  routes: 'routes',
  upstreams: 'upstreams',
  targets: 'targets',
  consumers: 'consumers',
  plugins: 'plugins',
  keyauth_credentials: 'keyauth_credentials',
  basicauth_credentials: 'basicauth_credentials',
  jwt_secrets: 'jwt_secrets',
  acls: 'acls',
};

const FOREIGN: Record<string, string[]> = { routes: ['service'], targets: ['upstream'], plugins: ['route', 'service', 'consumer'], keyauth_credentials: ['consumer'], basicauth_credentials: ['consumer'], jwt_secrets: ['consumer'], acls: ['consumer'] };

export function kongFields(schema: Json): Json[] {
  const props = (schema['properties'] ?? {}) as Record<string, Json>;
  const required = new Set((schema['required'] ?? []) as string[]);
  return Object.entries(props).map(([name, sub]) => ({ [name]: kongField(sub, required.has(name)) }));
}

function kongField(s: Json, required: boolean): Json {
  const types = ([] as string[]).concat((s['type'] as string | string[] | undefined) ?? []).filter((t) => t !== 'null');
  const type = types[0] ?? 'any';
  const out: Json = { type: type === 'object' ? (s['properties'] !== undefined ? 'record' : 'map') : type === 'array' ? (s['uniqueItems'] === true ? 'set' : 'array') : type };
  if (required) out['required'] = true;
  if (s['default'] !== undefined) out['default'] = s['default'];
  if (Array.isArray(s['enum'])) out['one_of'] = s['enum'];
  if (typeof s['minimum'] === 'number' && typeof s['maximum'] === 'number') out['between'] = [s['minimum'], s['maximum']];
  if (s['x-unsupported'] !== undefined) out['sluice_accepts_only'] = s['x-unsupported'];
  if (out['type'] === 'record') out['fields'] = kongFields(s);
  if (s['items'] !== undefined) out['elements'] = kongField(s['items'] as Json, false);
  return out;
}

export const schemasRoutes: KongRoute[] = [
  {
    path: '/schemas/plugins/{name}',
    get: ({ params }) => {
      const schema = Object.hasOwn(pluginSchemas, params['name']!) ? pluginSchemas[params['name']!] : undefined;
      if (schema === undefined) return { status: 404, body: { message: `No plugin named '${params['name']!}'` } };
      const fields: Json[] = [{ protocols: { type: 'set', default: schema.protocols ?? ['grpc', 'grpcs', 'http', 'https'], elements: { type: 'string' } } }];
      fields.push({ config: { type: 'record', required: true, fields: kongFields(schema.config) } });
      return { status: 200, body: { fields } };
    },
  },
  {
    path: '/schemas/{entity}',
    get: ({ params }) => {
      const key = ENTITIES[params['entity']!];
      const entry = key === undefined ? undefined : ENTITY_SCHEMAS[key];
      if (entry === undefined) return { status: 404, body: { message: `No entity named '${params['entity']!}'` } };
      const fields = kongFields(entry.schema).filter((f) => !entry.dropped.includes(Object.keys(f)[0]!));
      for (const ref of FOREIGN[params['entity']!] ?? []) fields.push({ [ref]: { type: 'foreign', reference: `${ref}s` } });
      return { status: 200, body: { fields } };
    },
  },
];
