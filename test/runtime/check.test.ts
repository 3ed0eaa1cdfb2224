// `node runtime check FILE`, run as a user runs it: exit code and what it prints.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { RUNTIME, writeConfig } from '../helpers/runtime.ts';

function check(file: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [RUNTIME, 'check', file], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout };
}

test('a valid file: exit 0, entity counts and the configuration hash', async () => {
  const file = await writeConfig('_format_version: "2.1"\nservices:\n  - name: s\n    url: http://example.com\n    routes:\n      - name: r\n        paths: ["/users/\\\\d+"]\n');
  const { status, out } = check(file);
  assert.equal(status, 0, out);
  assert.match(out, /valid/);
  assert.match(out, /services: 1/);
  assert.match(out, /routes: 1/);
  assert.match(out, /configuration_hash: [0-9a-f]{64}/);
  assert.match(out, /migrated from _format_version 2\.1/);
  assert.match(out, /route 'r' paths\.0: \/users\/\\d\+ -> ~\/users\/\\d\+/);
});

test('an invalid file: exit 1, every error with its entity and field path', async () => {
  const file = await writeConfig('_format_version: "3.0"\nservices:\n  - name: s\n    host: example.com\n    retries: -1\n    routes:\n      - name: r\n        paths: [/a]\n        protocols: [tcp]\nplugins:\n  - name: acme\n');
  const { status, out } = check(file);
  assert.equal(status, 1, out);
  assert.match(out, /3 error\(s\)/);
  assert.match(out, /service 's' retries: /);
  assert.match(out, /route 'r' protocols\.0: .*\[SLUICE_ERR_UNSUPPORTED\]/);
  assert.match(out, /plugin 'acme' name: .*\[SLUICE_ERR_UNSUPPORTED\]/);
});

test('a missing file or no argument: a message and a non-zero exit', () => {
  assert.equal(check('/nonexistent/kong.yml').status, 1);
  const r = spawnSync(process.execPath, [RUNTIME, 'check'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 2);
});
