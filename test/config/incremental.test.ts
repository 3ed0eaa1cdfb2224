// ConfigPreparer (config/incremental.ts): a config prepared with the per-entity work of earlier
// loads reused must be exactly the config prepared cold — same entities, hashes and errors — and
// the delta it answers must bring the caller's snapshot to that config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify as toYaml } from 'yaml';
import { applyDelta } from '../../config/apply.ts';
import { ConfigPreparer, type PrepareAnswer } from '../../config/incremental.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { prepareConfig, toSnapshot, type PreparedConfig, type PrepareResult } from '../../config/prepare.ts';
import type { Snapshot } from '../../config/types.ts';

const SECRET = 'test-generator-secret';

function cold(text: string, format?: 'yaml' | 'json'): PrepareResult {
  return prepareConfig(text, { format, plugins: pluginSchemas, generatorSecret: SECRET });
}

function preparer(): ConfigPreparer {
  return new ConfigPreparer({ plugins: pluginSchemas, generatorSecret: SECRET });
}

/** A caller holding a snapshot, as the primary does: prepares against it and applies the delta. */
class Holder {
  readonly p = preparer();
  snapshot: Snapshot | null = null;

  load(text: string, format?: 'yaml' | 'json'): PrepareAnswer {
    const answer = this.p.prepare(text, { format, base: this.snapshot?.hash });
    if (!answer.ok) return answer;
    if ('base' in answer) {
      const held = this.snapshot;
      assert.ok(held !== null);
      assert.equal(answer.base, held.hash);
      const { upserts, removes, upsertHashes, groupHashes, hash } = answer;
      this.snapshot = applyDelta(held, { version: held.version + 1, fromVersion: held.version, upserts, removes, upsertHashes, groupHashes, hash });
    } else {
      this.snapshot = toSnapshot(answer, (this.snapshot?.version ?? 0) + 1);
    }
    return answer;
  }
}

function assertSameAsCold(held: Snapshot, text: string, format?: 'yaml' | 'json'): void {
  const fresh = cold(text, format);
  if (!fresh.ok) assert.fail(`cold prepare rejected the config: ${JSON.stringify(fresh.errors)}`);
  assert.equal(held.hash, fresh.hash);
  assert.deepEqual(held.groupHashes, fresh.groupHashes);
  assert.deepEqual(held.entityHashes, fresh.entityHashes);
  assert.deepEqual(held.entities, fresh.entities);
}

interface Doc {
  _format_version: string;
  _transform?: boolean;
  services: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  upstreams: Record<string, unknown>[];
  consumers: Record<string, unknown>[];
  plugins: Record<string, unknown>[];
}

function baseDoc(): Doc {
  const doc: Doc = { _format_version: '3.0', services: [], routes: [], upstreams: [], consumers: [], plugins: [{ name: 'correlation-id' }] };
  for (let s = 0; s < 12; s++) {
    doc.upstreams.push({ name: `up-${s}`, targets: [{ target: `10.0.0.${s + 1}:8000` }, { target: '10.9.9.9:80' }] });
    const routes: Record<string, unknown>[] = [];
    for (let r = 0; r < 4; r++) routes.push(r === 3 ? { paths: [`/s${s}/anon`] } : { name: `r-${s}-${r}`, paths: [`/s${s}/r${r}`], methods: ['GET', 'POST'] });
    doc.services.push({ name: `svc-${s}`, host: `up-${s}`, routes, plugins: s % 3 === 0 ? [{ name: 'rate-limiting', config: { minute: 10 + s, policy: 'local' } }] : [] });
    doc.consumers.push({
      username: `c-${s}`,
      // Without a key: generated from the id, so a change of id must change it.
      keyauth_credentials: [s % 2 === 0 ? { key: `key-${s}` } : {}],
      basicauth_credentials: [{ username: `b-${s}`, password: `pw-${s}` }],
      acls: [{ group: 'all' }],
    });
  }
  doc.routes.push({ name: 'flat-0', service: 'svc-0', paths: ['/flat/0'] });
  doc.plugins.push({ name: 'key-auth', service: 'svc-1' });
  return doc;
}

/** A small deterministic PRNG, so a failure names its seed and replays. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

type Edit = (doc: Doc, pick: <T>(list: T[]) => T, n: number) => void;

/** Names made by edits never repeat (a duplicate name is another test). */
let made = 0;

const EDITS: Record<string, Edit> = {
  'change a route path': (doc, pick, n) => {
    const routes = (pick(doc.services)['routes'] as Record<string, unknown>[]) ?? [];
    if (routes.length > 0) pick(routes)['paths'] = [`/edited/${n}`];
  },
  'rename a route': (doc, pick, n) => {
    const routes = (pick(doc.services)['routes'] as Record<string, unknown>[]) ?? [];
    if (routes.length > 0) pick(routes)['name'] = `renamed-${n}-${made++}`;
  },
  'remove a route': (doc, pick) => {
    const routes = (pick(doc.services)['routes'] as Record<string, unknown>[]) ?? [];
    routes.splice(Math.floor(routes.length / 2), 1);
  },
  'add an unnamed route first': (doc, pick, n) => {
    const routes = (pick(doc.services)['routes'] as Record<string, unknown>[]) ?? [];
    routes.unshift({ paths: [`/added/${n}-${made++}`] });
  },
  'change a target': (doc, pick, n) => {
    const targets = pick(doc.upstreams)['targets'] as Record<string, unknown>[];
    pick(targets)['target'] = `10.1.${n % 250}.1:${8000 + (n % 7)}`;
  },
  'remove a service and its routes': (doc) => {
    // Not svc-0/svc-1: a flat route and a plugin reference them (that case is tested on its own).
    if (doc.services.length > 3) doc.services.splice(2, 1);
  },
  'move a service to the end': (doc) => {
    const s = doc.services.splice(2, 1);
    doc.services.push(...s);
  },
  'change a plugin config': (doc, pick, n) => {
    const s = pick(doc.services);
    s['plugins'] = [{ name: 'rate-limiting', config: { minute: 100 + n, policy: 'local' } }];
  },
  'rename a consumer (its generated key changes)': (doc, pick, n) => {
    pick(doc.consumers)['username'] = `consumer-${n}-${made++}`;
  },
  'toggle _transform (basic-auth hashes change)': (doc) => {
    doc._transform = doc._transform === false;
  },
  'add a consumer': (doc, _pick, n) => {
    doc.consumers.push({ username: `new-${n}-${made++}`, keyauth_credentials: [{}] });
  },
  'change a consumer\'s key': (doc, pick, n) => {
    const consumer = pick(doc.consumers);
    consumer['keyauth_credentials'] = [{ key: `rekeyed-${n}-${made++}` }];
  },
  'change the flat route and its service': (doc, _pick, n) => {
    const route = doc.routes[0] as Record<string, unknown>;
    route['paths'] = [`/flat/${n}`];
    route['service'] = route['service'] === 'svc-0' ? { name: 'svc-0' } : 'svc-0';
  },
  'change the top-level key-auth plugin': (doc, _pick, n) => {
    const plugin = doc.plugins.find((p) => p['name'] === 'key-auth') as Record<string, unknown>;
    plugin['config'] = { key_names: [`k${n}`] };
  },
  'name an unnamed route': (doc, pick, n) => {
    const routes = (pick(doc.services)['routes'] as Record<string, unknown>[]) ?? [];
    const unnamed = routes.find((r) => r['name'] === undefined);
    if (unnamed !== undefined) unnamed['name'] = `named-${n}-${made++}`;
  },
  'swap two targets of an upstream': (doc, pick) => {
    const targets = pick(doc.upstreams)['targets'] as Record<string, unknown>[];
    if (targets.length > 1) targets.push(targets.shift() as Record<string, unknown>);
  },
  'nothing': () => {},
};

test('cached preparation equals a cold one after every random edit (JSON and YAML)', () => {
  for (const format of ['json', 'yaml'] as const) {
    for (const seed of [1, 2, 3]) {
      const random = rng(seed * 7919);
      const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T;
      const holder = new Holder();
      const doc = baseDoc();
      const names = Object.keys(EDITS);
      const paths = new Map<string, number>();
      for (let n = 0; n < 25; n++) {
        const applied: string[] = [];
        const count = 1 + Math.floor(random() * 3);
        for (let k = 0; k < count; k++) {
          const name = pick(names);
          applied.push(name);
          (EDITS[name] as Edit)(doc, pick, n);
        }
        const text = format === 'json' ? JSON.stringify(doc) : toYaml(doc);
        const answer = holder.load(text, format);
        assert.ok(answer.ok, `seed ${seed} step ${n} (${applied.join(', ')}): ${JSON.stringify(!answer.ok && answer.errors)}`);
        if (n > 0) assert.ok('base' in answer, 'every load after the first answers with a delta');
        assertSameAsCold(holder.snapshot as Snapshot, text, format);
        paths.set(holder.p.lastPath, (paths.get(holder.p.lastPath) ?? 0) + 1);
      }
      // Both ways of reusing work were taken (the test checks each against a cold load).
      assert.ok((paths.get('changed entries') ?? 0) >= 3, JSON.stringify([...paths]));
      assert.ok((paths.get('every entry') ?? 0) >= 3, JSON.stringify([...paths]));
    }
  }
});

test('an in-place edit of a few entries is prepared from those entries alone, as cold', () => {
  const holder = new Holder();
  const doc = baseDoc();
  holder.load(JSON.stringify(doc));
  const edits: [string, (d: Doc) => void][] = [
    ['one route path', (d) => void ((d.services[5]?.['routes'] as Record<string, unknown>[])[1]!['paths'] = ['/moved'])],
    ['one target', (d) => void ((d.upstreams[3]?.['targets'] as Record<string, unknown>[])[0]!['target'] = '10.3.3.3:81')],
    ['a service plugin', (d) => void (d.services[3]!['plugins'] = [{ name: 'rate-limiting', config: { minute: 5, policy: 'local' } }])],
    ['a consumer key', (d) => void (d.consumers[2]!['keyauth_credentials'] = [{ key: 'fresh-key' }])],
    ['a generated key kept by the same consumer', (d) => void (d.consumers[2]!['keyauth_credentials'] = [{}])],
    ['a flat route by id of its service', (d) => void (d.routes[0]!['service'] = { name: 'svc-0' })],
    ['two entries at once', (d) => {
      (d.upstreams[1]?.['targets'] as Record<string, unknown>[])[1]!['weight'] = 5;
      d.plugins[0]!['config'] = { header_name: 'X-Id' };
    }],
  ];
  for (const [what, edit] of edits) {
    edit(doc);
    const text = JSON.stringify(doc);
    const answer = holder.load(text);
    assert.ok(answer.ok, `${what}: ${JSON.stringify(!answer.ok && answer.errors)}`);
    assert.equal(holder.p.lastPath, 'changed entries', what);
    assertSameAsCold(holder.snapshot as Snapshot, text);
  }
});

test('a one-route change answers only that route, and unchanged groups keep their hashes', () => {
  const holder = new Holder();
  const doc = baseDoc();
  holder.load(JSON.stringify(doc));
  const before = holder.snapshot as Snapshot;
  const routes = doc.services[5]?.['routes'] as Record<string, unknown>[];
  (routes[1] as Record<string, unknown>)['paths'] = ['/moved'];
  const answer = holder.load(JSON.stringify(doc));
  assert.ok(answer.ok && 'base' in answer);
  assert.deepEqual(Object.keys(answer.upserts), ['routes']);
  assert.equal(answer.upserts.routes?.length, 1);
  assert.deepEqual(answer.upserts.routes?.[0]?.paths, ['/moved']);
  assert.deepEqual(answer.removes, {});
  for (const g of ['services', 'upstreams', 'targets', 'consumers', 'credentials', 'plugins'] as const) assert.equal(answer.groupHashes[g], before.groupHashes[g]);
  assert.notEqual(answer.groupHashes.routes, before.groupHashes.routes);
});

test('the same text again answers an empty delta with the same hash', () => {
  const holder = new Holder();
  const text = JSON.stringify(baseDoc());
  holder.load(text);
  const hash = holder.snapshot?.hash;
  const answer = holder.load(text);
  assert.ok(answer.ok && 'base' in answer);
  assert.equal(answer.hash, hash);
  assert.deepEqual(answer.upserts, {});
  assert.deepEqual(answer.removes, {});
});

/** Loads `good`, then `bad` (edited from it), and checks `bad` is rejected with exactly the cold errors. */
function rejectedAsCold(good: Doc, edit: (doc: Doc) => void, expect: RegExp): void {
  const holder = new Holder();
  holder.load(JSON.stringify(good));
  const held = holder.snapshot as Snapshot;
  const bad = structuredClone(good);
  edit(bad);
  const text = JSON.stringify(bad);
  const answer = holder.load(text);
  assert.equal(answer.ok, false);
  const fresh = cold(text);
  assert.equal(fresh.ok, false);
  assert.ok(!answer.ok && !fresh.ok);
  assert.deepEqual(answer.errors, fresh.errors);
  assert.equal(answer.code, fresh.code);
  assert.ok(answer.errors.some((e) => expect.test(e.message)), JSON.stringify(answer.errors));
  // The rejected config left nothing behind: the held config is still the base of the next delta.
  assert.equal(holder.snapshot, held);
  const again = holder.load(JSON.stringify(good));
  assert.ok(again.ok && 'base' in again && again.base === held.hash);
}

test('removing a service that an unchanged flat route references is reported, as cold', () => {
  rejectedAsCold(baseDoc(), (doc) => doc.services.splice(0, 1), /invalid reference 'service: svc-0'/);
});

test('removing a service that an unchanged plugin references is reported, as cold', () => {
  rejectedAsCold(baseDoc(), (doc) => doc.services.splice(1, 1), /invalid reference 'service: svc-1'/);
});

test('a new entity duplicating an unchanged one\'s name is reported, as cold', () => {
  rejectedAsCold(baseDoc(), (doc) => doc.services.push({ name: 'svc-3', host: 'example.com' }), /uniqueness violation/);
  rejectedAsCold(baseDoc(), (doc) => doc.routes.push({ name: 'r-4-1', service: 'svc-2', paths: ['/dup'] }), /uniqueness violation/);
  rejectedAsCold(baseDoc(), (doc) => doc.consumers.push({ username: 'x', keyauth_credentials: [{ key: 'key-0' }] }), /uniqueness violation/);
});

test('an unchanged plugin made invalid by a change of scope elsewhere is reported, as cold', () => {
  // Two rate-limiting instances on one scope: the second, unchanged, service plugin now collides with a new flat one.
  rejectedAsCold(baseDoc(), (doc) => doc.plugins.push({ name: 'rate-limiting', service: 'svc-0', config: { minute: 1, policy: 'local' } }), /already configured on this scope/);
});

test('an entity invalid on its own is reported as cold, even after its valid text was cached', () => {
  rejectedAsCold(baseDoc(), (doc) => ((doc.services[4]?.['routes'] as Record<string, unknown>[])[0]!['paths'] = ['no-slash']), /should start with/);
});

test('an in-place edit that breaks a reference, a uniqueness or a check elsewhere is reported, as cold', () => {
  // Each keeps every collection's length, as the entries-only path wants: the checks decide.
  rejectedAsCold(baseDoc(), (doc) => void (doc.consumers[1]!['keyauth_credentials'] = [{ key: 'key-0' }]), /uniqueness violation/);
  rejectedAsCold(baseDoc(), (doc) => void ((doc.upstreams[2]?.['targets'] as Record<string, unknown>[])[0]!['target'] = '10.9.9.9:80'), /uniqueness violation/);
  rejectedAsCold(baseDoc(), (doc) => void (doc.services[0]!['name'] = 'svc-renamed'), /invalid reference 'service: svc-0'/);
  rejectedAsCold(baseDoc(), (doc) => void (doc.routes[0]!['service'] = 'no-such-service'), /invalid reference/);
  rejectedAsCold(baseDoc(), (doc) => void ((doc.services[6]?.['routes'] as Record<string, unknown>[])[0]!['name'] = 'r-7-1'), /uniqueness violation/);
  rejectedAsCold(baseDoc(), (doc) => void (doc.services[2]!['plugins'] = [{ name: 'rate-limiting', config: { minute: 'lots' } }]), /./);
});

test('YAML .nan does not reuse the checks of null', () => {
  const p = preparer();
  const good = '_format_version: "3.0"\nservices:\n  - name: s\n    host: example.com\n    routes:\n      - name: r\n        paths: [/a]\n        regex_priority: null\n';
  const first = p.prepare(good, { format: 'yaml' });
  assert.ok(first.ok, JSON.stringify(!first.ok && first.errors));
  const bad = good.replace('regex_priority: null', 'regex_priority: .nan');
  const answer = p.prepare(bad, { format: 'yaml', base: first.hash });
  const fresh = cold(bad, 'yaml');
  assert.equal(fresh.ok, false, 'cold rejects .nan');
  assert.equal(answer.ok, false);
  assert.deepEqual(!answer.ok && answer.errors, !fresh.ok && fresh.errors);
});

test('a config prepared beside the held one (a dry run) does not move the base', () => {
  const holder = new Holder();
  const doc = baseDoc();
  holder.load(JSON.stringify(doc));
  const held = holder.snapshot as Snapshot;
  const dry = structuredClone(doc);
  dry.services.splice(3, 2);
  const checked = holder.p.prepare(JSON.stringify(dry), { base: held.hash });
  assert.ok(checked.ok && 'base' in checked && checked.base === held.hash);
  // The next real load is still diffed against the held config.
  (doc.upstreams[0]?.['targets'] as Record<string, unknown>[])[0]!['target'] = '10.7.7.7:80';
  const text = JSON.stringify(doc);
  const answer = holder.load(text);
  assert.ok(answer.ok && 'base' in answer && answer.base === held.hash);
  assertSameAsCold(holder.snapshot as Snapshot, text);
});

test('a dry run prepared from changed entries leaves the held config a good base', () => {
  const holder = new Holder();
  const doc = baseDoc();
  holder.load(JSON.stringify(doc));
  const edit = (d: Doc, n: number): void => {
    (d.services[n]?.['routes'] as Record<string, unknown>[])[0]!['paths'] = [`/dry/${n}`];
    (d.upstreams[n]?.['targets'] as Record<string, unknown>[])[0]!['target'] = `10.8.${n}.1:80`;
  };
  for (let n = 0; n < 4; n++) {
    const held = holder.snapshot as Snapshot;
    // The dry run: prepared against the held config (from changed entries), never applied.
    const dry = structuredClone(doc);
    edit(dry, 11 - n);
    const checked = holder.p.prepare(JSON.stringify(dry), { base: held.hash });
    assert.ok(checked.ok && 'base' in checked && checked.base === held.hash);
    assert.equal(holder.p.lastPath, 'changed entries');
    // The real load, a different edit, is still the delta from the held config, and right.
    edit(doc, n);
    const text = JSON.stringify(doc);
    const answer = holder.load(text);
    assert.ok(answer.ok && 'base' in answer && answer.base === held.hash);
    assertSameAsCold(holder.snapshot as Snapshot, text);
  }
});

test('an unknown base gets the full result', () => {
  const p = preparer();
  const text = JSON.stringify(baseDoc());
  const answer = p.prepare(text, { base: 'not-a-hash-this-thread-made' });
  assert.ok(answer.ok && !('base' in answer));
  const fresh = cold(text) as PreparedConfig;
  assert.equal(answer.hash, fresh.hash);
  assert.deepEqual(answer.entities, fresh.entities);
});

test('the caches hold about the last config only, however many different configs came before', () => {
  const p = preparer();
  let base: string | undefined;
  for (let n = 0; n < 30; n++) {
    const doc = baseDoc();
    // Every entity different on every load (a tag).
    const tag = (e: Record<string, unknown>): void => void (e['tags'] = [`gen-${n}`]);
    doc.services.forEach(tag);
    doc.consumers.forEach(tag);
    doc.upstreams.forEach(tag);
    const answer = p.prepare(JSON.stringify(doc), { base });
    assert.ok(answer.ok);
    base = answer.hash;
  }
  const last = cold(JSON.stringify(baseDoc())) as PreparedConfig;
  let entities = 0;
  for (const g of Object.values(last.entities)) entities += Object.keys(g).length;
  const size = p.cacheSize;
  assert.ok(size.built <= entities, `built ${size.built} > ${entities}`);
  assert.ok(size.checked <= entities, `checked ${size.checked} > ${entities}`);
  assert.ok(size.states <= 2);
  // And over edits of a few entries each (the entries-only path), however many.
  const doc = baseDoc();
  for (let n = 0; n < 60; n++) {
    (doc.services[n % 12]?.['routes'] as Record<string, unknown>[])[0]!['paths'] = [`/p/${n}`];
    (doc.upstreams[n % 12]?.['targets'] as Record<string, unknown>[])[0]!['target'] = `10.4.${n}.1:80`;
    doc.consumers[n % 12]!['keyauth_credentials'] = [{ key: `k-${n}` }];
    const answer = p.prepare(JSON.stringify(doc), { base });
    assert.ok(answer.ok);
    base = answer.hash;
    if (n > 0) assert.equal(p.lastPath, 'changed entries');
  }
  const after = p.cacheSize;
  assert.ok(after.built <= entities, `built ${after.built} > ${entities}`);
  assert.ok(after.checked <= entities, `checked ${after.checked} > ${entities}`);
});
