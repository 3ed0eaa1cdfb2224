// `node runtime` under a Node too old for reusePort (this machine's system Node 20): it re-runs
// itself under the pinned Node 24, or says in one line what to run (issue #2).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
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

test('under an old Node, `node runtime` re-executes itself under the pinned Node 24', { skip: old === null ? 'no Node < 22.12 on this machine' : false }, () => {
  const result = spawnSync(old!, [RUNTIME, '--help'], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^Usage: node runtime/);
});

test('when the pinned Node cannot be used, it exits with one line saying what to run', { skip: old === null ? 'no Node < 22.12 on this machine' : false }, () => {
  // SLUICE_REEXEC=1 marks "already re-executed once": the launcher must not loop.
  const result = spawnSync(old!, [RUNTIME, '--help'], { encoding: 'utf8', env: { ...process.env, SLUICE_REEXEC: '1' } });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /Node >= 22\.12.*npm install && npm start/);
});
