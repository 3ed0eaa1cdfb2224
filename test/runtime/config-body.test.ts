// The POST /config 201 body kept between loads (runtime/admin/config-body.ts): after any sequence
// of deltas it says exactly what a body built from scratch for the same snapshot says.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta } from '../../config/apply.ts';
import { ConfigPreparer } from '../../config/incremental.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { toSnapshot } from '../../config/prepare.ts';
import type { Delta, Snapshot } from '../../config/types.ts';
import { LoadedBody } from '../../runtime/admin/config-body.ts';

function doc(n: number, extra: number): Record<string, unknown> {
  const services = [];
  const upstreams = [];
  const consumers = [];
  for (let s = 0; s < 40; s++) {
    const routes = [];
    for (let r = 0; r < 20; r++) routes.push({ name: `r-${s}-${r}`, paths: [s === n % 40 && r === n % 20 ? `/changed/${n}` : `/s${s}/r${r}`] });
    services.push({ name: `svc-${s}`, host: `up-${s}`, routes });
    upstreams.push({ name: `up-${s}`, targets: [{ target: `10.0.${s}.1:${s === n % 40 ? 81 + n : 80}` }] });
    consumers.push({ username: `c-${s}`, keyauth_credentials: [{ key: `k-${s}-${s === n % 40 ? n : 0}` }], ...(s < extra ? { acls: [{ group: 'g' }] } : {}) });
  }
  return { _format_version: '3.0', services, upstreams, consumers, plugins: [{ name: 'key-auth' }] };
}

/** The body as data, without the timestamps (which say when an entity was first loaded as it is). */
function parsed(pieces: Buffer[]): unknown {
  return JSON.parse(Buffer.concat(pieces).toString(), (k, v: unknown) => (k === 'created_at' || k === 'updated_at' ? undefined : v));
}

test('a body patched by deltas equals one built from the snapshot, load after load', () => {
  const p = new ConfigPreparer({ plugins: pluginSchemas, generatorSecret: 's' });
  const kept = new LoadedBody();
  let snapshot: Snapshot | null = null;
  for (let n = 0; n < 40; n++) {
    // Some loads change one route, target and key; every fifth also adds or drops acls (a new
    // credential collection appears or empties: more than 256 routes, so several chunks).
    const answer = p.prepare(JSON.stringify(doc(n, n % 5 === 0 ? n % 3 : 0)), { base: snapshot?.hash });
    assert.ok(answer.ok);
    let delta: Delta | null = null;
    if ('base' in answer && snapshot !== null) {
      delta = { version: snapshot.version + 1, fromVersion: snapshot.version, upserts: answer.upserts, removes: answer.removes, upsertHashes: answer.upsertHashes, groupHashes: answer.groupHashes, hash: answer.hash };
      snapshot = applyDelta(snapshot, delta, { inPlace: ['routes', 'services', 'targets', 'credentials'] });
    } else {
      assert.ok(!('base' in answer));
      snapshot = toSnapshot(answer, 1);
    }
    const figures = { version: snapshot.version, configuration_hash: snapshot.hash };
    const patched = parsed(kept.parts(snapshot, delta, figures)) as Record<string, Record<string, unknown>>;
    const fresh = parsed(new LoadedBody().parts(snapshot, null, figures));
    assert.deepEqual(patched, fresh, `load ${n}`);
    assert.equal(Object.keys(patched['routes'] ?? {}).length, 800);
    assert.equal(patched['version'], snapshot.version);
  }
});

test('a body for a delta that does not follow the kept version is built anew', () => {
  const p = new ConfigPreparer({ plugins: pluginSchemas, generatorSecret: 's' });
  const kept = new LoadedBody();
  const first = p.prepare(JSON.stringify(doc(0, 0)));
  assert.ok(first.ok && !('base' in first));
  const one = toSnapshot(first, 1);
  kept.parts(one, null, {});
  // Version 3 arrives with a delta from 2, which this body never saw: it must not patch.
  const other = p.prepare(JSON.stringify(doc(7, 2)), { base: one.hash });
  assert.ok(other.ok && 'base' in other);
  const delta: Delta = { version: 2, fromVersion: 1, upserts: other.upserts, removes: other.removes, upsertHashes: other.upsertHashes, groupHashes: other.groupHashes, hash: other.hash };
  const two = applyDelta(one, delta);
  const three = { ...two, version: 3 };
  const body = parsed(kept.parts(three, { ...delta, version: 3, fromVersion: 2, upserts: {}, removes: {} }, {}));
  assert.deepEqual(body, parsed(new LoadedBody().parts(three, null, {})));
});
