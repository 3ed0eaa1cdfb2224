// The data plane's plugin registry and the schema list the primary validates with
// (config/plugins/index.ts) name the same plugins with the same schema objects: a plugin whose
// schema validates but has no handler (or the reverse) fails here, not in production.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginSchemas } from '../../../config/plugins/index.ts';
import { BUNDLED_PLUGINS } from '../../../workers/plugins/registry.ts';

test('every bundled handler has its schema in config/plugins, and nothing else is there', () => {
  const handlers = BUNDLED_PLUGINS.map((d) => d.name).sort();
  assert.deepEqual(Object.keys(pluginSchemas).sort(), handlers);
  for (const definition of BUNDLED_PLUGINS) assert.equal(definition.schema, pluginSchemas[definition.name], definition.name);
});
