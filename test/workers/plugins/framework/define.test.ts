// definePlugin and the one list of bundled plugins: a definition takes its name and priority from
// its schema and its phases from its class; every schema the config layer accepts has a handler
// in workers/plugins/<name>/ (and no handler folder lacks a schema); an instance with a phase its
// definition does not declare is refused, not silently skipped.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { definePlugin, phasesOf } from '../../../../workers/plugins/define.ts';
import { BUNDLED_PLUGINS } from '../../../../workers/plugins/registry.ts';
import { pluginSchemas } from '../../../../config/plugins/index.ts';
import type { PluginInstance } from '../../../../workers/plugins/types.ts';
import type { RequestContext } from '../../../../workers/proxy/context.ts';
import { request } from '../../../helpers/http.ts';
import { openSchema, snapshotOf, startGateway, until } from '../helpers.ts';

test('definePlugin: name and priority from the schema, phases from the class', () => {
  class Both implements PluginInstance {
    access(_ctx: RequestContext): void {}
    log(_ctx: RequestContext): void {}
  }
  const definition = definePlugin(openSchema('both', 42), Both);
  assert.equal(definition.name, 'both');
  assert.equal(definition.priority, 42);
  assert.deepEqual([...definition.phases].sort(), ['access', 'log']);
  assert.ok(definition.create({}, {} as never, {} as never) instanceof Both);
  assert.throws(() => definePlugin({ name: 'nameless-priority', config: {} }, Both), /no priority/);
});

test('one list: every schema has its handler folder and every handler folder its schema', async () => {
  const names = Object.keys(pluginSchemas).sort();
  assert.deepEqual(BUNDLED_PLUGINS.map((d) => d.name).sort(), names);
  for (const definition of BUNDLED_PLUGINS) {
    assert.equal(definition.schema, pluginSchemas[definition.name]);
    assert.equal(definition.priority, pluginSchemas[definition.name]!.priority);
    assert.ok(definition.phases.size > 0, `${definition.name} runs in some phase`);
  }
  const root = fileURLToPath(new URL('../../../../workers/plugins/', import.meta.url));
  const folders: string[] = [];
  for (const entry of await readdir(root)) if ((await stat(`${root}${entry}`)).isDirectory()) folders.push(entry);
  assert.deepEqual(folders.sort(), names);
});

test('an instance with a phase its definition does not declare is refused (500, logged), not run half', async (t) => {
  const schema = openSchema('sneaky', 10);
  class Declared implements PluginInstance {
    access(ctx: RequestContext): void {
      ctx.setUpstreamHeader('x-ran', 'access');
    }
  }
  const definition = { ...definePlugin(schema, Declared), create: (): PluginInstance => ({ access: () => undefined, log: () => undefined }) };
  assert.deepEqual([...phasesOf({ access: () => undefined, log: () => undefined })].sort(), ['access', 'log']);
  const gateway = await startGateway(t, snapshotOf({ services: [{ name: 's', url: 'http://127.0.0.1:9', routes: [{ name: 'r', paths: ['/r'] }] }], plugins: [{ name: 'sneaky' }] }, [schema]), { extra: [definition] });
  const reply = await request(`${gateway.url}/r`);
  assert.equal(reply.status, 500);
  await until(() => gateway.lines.some((line) => line.code === 'SLUICE_ERR_PLUGIN_FAILED' && String((line.err as { message?: string } | undefined)?.message ?? line.msg).includes('does not declare')));
});
