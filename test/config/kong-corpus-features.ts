// How the corpus test names an unsupported feature from a config error: `plugin <name>` for a
// Kong plugin Sluice does not ship, else `<entity type>.<top-level field>` (`config.certificates`,
// `upstream.healthchecks`, `route.expression`).
import type { FlatError } from '../../config/types.ts';

export function featureOf(e: FlatError): string {
  if (e.code !== 'SLUICE_ERR_UNSUPPORTED') return `INVALID ${e.entity_type} ${e.entity ?? ''} ${e.field}: ${e.message}`;
  if (e.entity_type === 'plugin' && e.field === 'name') return `plugin ${e.entity ?? ''}`;
  return `${e.entity_type}.${e.field.split('.')[0] ?? ''}`;
}
