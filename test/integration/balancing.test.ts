// Every balancing algorithm through the real runtime: consistent hashing keeps a key on one target
// and sets Kong's cookie; least-connections counts in-flight requests across all workers.
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
const named: Upstream[] = [];
let hanging: Upstream;
let quick: Upstream;
const held: ServerResponse[] = [];
let hangingHits = 0;

before(async () => {
  for (const name of ['a', 'b', 'c']) named.push(await startUpstream((_req, res) => res.end(name)));
  hanging = await startUpstream((_req, res) => {
    hangingHits++;
    held.push(res);
  });
  quick = await startUpstream((_req, res) => res.end('quick'));
  const targets = named.map((u) => `      - target: 127.0.0.1:${u.port}`).join('\n');
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: by-header.test
    algorithm: consistent-hashing
    hash_on: header
    hash_on_header: x-user
    hash_fallback: ip
    targets:
${targets}
  - name: by-cookie.test
    algorithm: consistent-hashing
    hash_on: cookie
    hash_on_cookie: sticky
    hash_on_cookie_path: /cookie
    targets:
${targets}
  - name: least.test
    algorithm: least-connections
    targets:
      - target: 127.0.0.1:${hanging.port}
      - target: 127.0.0.1:${quick.port}
  - name: latency.test
    algorithm: latency
    targets:
${targets}
services:
  - { name: by-header, host: by-header.test, routes: [{ paths: [/header] }] }
  - { name: by-cookie, host: by-cookie.test, routes: [{ paths: [/cookie] }] }
  - { name: least, host: least.test, read_timeout: 60000, routes: [{ paths: [/least] }] }
  - { name: latency, host: latency.test, routes: [{ paths: [/latency] }] }
`);
  runtime = await startRuntime(['--config', config, '--workers', '2']);
});

after(async () => {
  for (const res of held) res.end('released');
  await runtime?.stop();
  for (const u of [...named, hanging, quick]) await u?.close();
});

test('consistent-hashing on a header: each key always reaches the same target, on every worker; keys spread', async () => {
  const seen = new Map<string, Set<string>>();
  for (let round = 0; round < 4; round++) {
    for (let key = 0; key < 30; key++) {
      // A new connection per request (agent: false): the kernel spreads them over both workers.
      const reply = await request(`${runtime.proxy}/header`, { headers: { 'x-user': `user-${key}` } });
      assert.equal(reply.status, 200);
      const owners = seen.get(`user-${key}`) ?? new Set<string>();
      owners.add(reply.body);
      seen.set(`user-${key}`, owners);
    }
  }
  for (const [key, owners] of seen) assert.equal(owners.size, 1, `${key} reached ${[...owners].join(',')}`);
  const used = new Set([...seen.values()].map((s) => [...s][0]));
  assert.ok(used.size >= 2, 'thirty keys do not all land on one target');
});

test('consistent-hashing on a cookie: a client without it gets one (path, SameSite, HttpOnly) and sticks to one target with it', async () => {
  const first = await request(`${runtime.proxy}/cookie`);
  assert.equal(first.status, 200);
  const setCookie = first.headers['set-cookie']?.[0] ?? '';
  assert.match(setCookie, /^sticky=[0-9a-f-]{36}; Path=\/cookie; Same-Site=Lax; HttpOnly$/);
  const cookie = setCookie.split(';')[0]!;
  for (let i = 0; i < 10; i++) {
    const again = await request(`${runtime.proxy}/cookie`, { headers: { cookie } });
    assert.equal(again.body, first.body);
    assert.equal(again.headers['set-cookie'], undefined, 'no new cookie once the client has one');
  }
});

test('least-connections counts across workers: a target holding one request gets no other while the other is idle', async () => {
  const pending: Promise<unknown>[] = [];
  let quickAnswers = 0;
  for (let i = 0; i < 20; i++) {
    const reply = request(`${runtime.proxy}/least`).then((r) => r.body);
    pending.push(reply);
    // Wait for a quick answer; a request that went to the hanging target stays pending.
    const body = await Promise.race([reply, new Promise((resolve) => setTimeout(resolve, 500, 'pending'))]);
    if (body === 'quick') quickAnswers++;
  }
  // With per-worker counts each of the two workers would send the hanging target one request.
  assert.equal(hangingHits, 1);
  assert.equal(quickAnswers, 19);
  for (const res of held.splice(0)) res.end('released');
  await Promise.all(pending);
});

test('latency: every target answers and is used', async () => {
  const bodies = new Set<string>();
  for (let i = 0; i < 60; i++) bodies.add((await request(`${runtime.proxy}/latency`)).body);
  assert.deepEqual([...bodies].sort(), ['a', 'b', 'c']);
});
