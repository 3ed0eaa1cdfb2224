// `node runtime` under a Node too old for reusePort (this machine's system Node 20): it re-runs
// itself under the pinned Node 24 of this platform, or says in one line what to install
// (runtime/index.js; issues #2 and #19).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RUNTIME } from '../helpers/runtime.ts';

function oldNode(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
      if (major < 22 || (major === 22 && minor < 12)) return candidate;
    } catch {
      // not there
    }
  }
  return null;
}

const old = oldNode();
const skip = old === null ? 'no Node < 22.12 on this machine' : false;

test('under an old Node, `node runtime` re-executes itself under the pinned Node 24', { skip }, () => {
  const result = spawnSync(old!, [RUNTIME, '--help'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: node runtime/);
});

test('the re-executed gateway runs on the pinned Node, whatever `node` started it', { skip }, () => {
  const result = spawnSync(old!, [RUNTIME, '--workers', 'x'], { encoding: 'utf8' });
  // main.ts (TypeScript: Node 20 cannot load it) ran and refused the option: the re-exec worked.
  assert.equal(result.status, 2);
  assert.match(result.stderr, /^--workers: expected 1\.\.256/);
});

test('when the pinned Node cannot be used, it exits with one line saying what to install', { skip }, () => {
  // SLUICE_REEXEC=1 marks "already re-executed once": the launcher must not loop.
  const result = spawnSync(old!, [RUNTIME, '--help'], { encoding: 'utf8', env: { ...process.env, SLUICE_REEXEC: '1' } });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, new RegExp(`Node >= 22\\.12 \\(this is v20[.0-9]* on ${process.platform}-${process.arch}\\): install Node 24, or run \`npm install\``));
});

test('where no pinned Node is installed (an optional dependency npm skipped), the one line says to install Node 24', { skip }, () => {
  // The launcher alone, away from this checkout's node_modules: as on a platform with no pinned package.
  const dir = mkdtempSync(join(tmpdir(), 'sluice-launcher-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  copyFileSync(join(RUNTIME, 'index.js'), join(dir, 'index.js'));
  const result = spawnSync(old!, [join(dir, 'index.js'), '--help'], { encoding: 'utf8', cwd: dir, env: { ...process.env, NODE_PATH: '' } });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, /^Sluice needs Node >= 22\.12 .*install Node 24/);
  assert.equal(result.stdout, '');
});
