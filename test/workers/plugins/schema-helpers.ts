// Plugin schema tests: a plugin entry through the real config layer (prepareConfig with the bundled
// schemas), giving its defaulted config or its errors as [field, message] pairs.
import { prepareConfig } from '../../../config/prepare.ts';
import { pluginSchemas } from '../../../config/plugins/index.ts';

function document(name: string, config: string, scope: string): string {
  return `_format_version: "3.0"\nconsumers:\n  - username: c\nplugins:\n  - name: ${name}\n    config: ${config}\n${scope === '' ? '' : `    ${scope}\n`}`;
}

/** The config after defaults, for `config` (YAML flow text). */
export function pluginConfig(name: string, config = '{}'): Record<string, unknown> {
  const result = prepareConfig(document(name, config, ''), { plugins: pluginSchemas });
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return Object.values(result.entities.plugins)[0]!.config;
}

/** The errors of a plugin entry, as sorted [field, message] pairs. */
export function refusals(name: string, config: string, scope = ''): [string, string][] {
  const result = prepareConfig(document(name, config, scope), { plugins: pluginSchemas });
  if (result.ok) return [];
  return result.errors.map((e) => [e.field ?? '', e.message] as [string, string]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
