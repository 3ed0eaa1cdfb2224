// Shared by the config tests: fixtures, and prepareConfig with the real plugin schemas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { prepareConfig, toSnapshot } from '../../config/prepare.ts';
import type { PreparedConfig, PrepareResult } from '../../config/prepare.ts';
import type { Snapshot } from '../../config/types.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';

export const FIXTURES = new URL('./fixtures/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function prepare(text: string, format?: 'yaml' | 'json'): PrepareResult {
  return prepareConfig(text, { format, plugins: pluginSchemas });
}

/** Prepares and asserts success, showing the errors when it fails. */
export function load(text: string, format?: 'yaml' | 'json'): PreparedConfig {
  const r = prepare(text, format);
  if (!r.ok) assert.fail(`config rejected:\n${JSON.stringify(r.errors, null, 2)}`);
  return r;
}

export function snapshot(text: string, version: number): Snapshot {
  return toSnapshot(load(text), version);
}

/** Deep copy with every object's keys in reverse order (arrays keep their order). */
export function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)]));
  }
  return value;
}

/** The single entity of a group with this name (or username). */
export function byName<T extends { id: string }>(group: Record<string, T>, name: string): T {
  const found = Object.values(group).filter((e) => (e as Record<string, unknown>)['name'] === name || (e as Record<string, unknown>)['username'] === name);
  assert.equal(found.length, 1, `one entity named ${name}`);
  return found[0] as T;
}

/**
 * A config with `routes` routes over 100 services, and one upstream with 3 targets. JSON, because
 * the yaml package needs about a second for 10,000 routes and these tests are about diffing.
 */
export function bigConfig(routes: number, weight = 100): string {
  const perService = Math.ceil(routes / 100);
  const services = [];
  for (let s = 0; s < 100; s++) {
    const list = [];
    for (let r = s * perService; r < Math.min(routes, (s + 1) * perService); r++) list.push({ name: `route-${r}`, paths: [`/r/${r}`] });
    services.push({ name: `svc-${s}`, host: 'backend.internal', routes: list });
  }
  return JSON.stringify({
    _format_version: '3.0',
    services,
    upstreams: [
      {
        name: 'backend.internal',
        targets: [{ target: '10.0.0.1:80', weight }, { target: '10.0.0.2:80' }, { target: '10.0.0.3:80' }],
      },
    ],
    plugins: [{ name: 'prometheus' }],
  });
}
