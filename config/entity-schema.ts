// Runs each item's entity schema: types, bounds, enums, unknown fields, defaults.
// Pure; runs on any thread. The validators compile once per thread, at import.
import { ajv, runSchema } from './ajv.ts';
import type { ErrorList } from './errors.ts';
import type { Item } from './item.ts';
import type { EntitySchema } from './schemas/common.ts';
import { caCertificates, certificates, snis } from './schemas/certificates.ts';
import { consumers } from './schemas/consumers.ts';
import { credentials } from './schemas/credentials.ts';
import { plugins } from './schemas/plugins.ts';
import { routes } from './schemas/routes.ts';
import { services } from './schemas/services.ts';
import { targets } from './schemas/targets.ts';
import { upstreams } from './schemas/upstreams.ts';
import { grpcRouteDefaults } from './route-checks.ts';
import { expandServiceShorthands } from './shorthands.ts';

/** Entity schemas by group, or by credential kind for the credentials group. */
export const ENTITY_SCHEMAS: Record<string, EntitySchema> = {
  services,
  routes,
  upstreams,
  targets,
  consumers,
  plugins,
  certificates,
  snis,
  ca_certificates: caCertificates,
  ...credentials,
};

const validators = Object.fromEntries(Object.entries(ENTITY_SCHEMAS).map(([k, s]) => [k, ajv.compile(s.schema)]));

export function checkSchema(item: Item, errors: ErrorList): void {
  if (item.group === 'services') expandServiceShorthands(item, errors);
  else if (item.group === 'routes') grpcRouteDefaults(item.value);
  const validate = validators[item.kind ?? item.group];
  if (validate === undefined) throw new Error(`no schema for ${item.type}`);
  for (const fe of runSchema(validate, item.value)) {
    if (item.suppressed.has(fe.field.split('.')[0] as string)) continue;
    if (fe.unsupported === true) errors.unsupported(item, fe.field, fe.message);
    else errors.add(item, fe.field, fe.message);
  }
}
