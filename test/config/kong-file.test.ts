import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import type { Credential } from '../../config/types.ts';
import { byName, fixture, load } from './helpers.ts';

test('a Kong 3.x export loads unchanged: explicit ids, timestamps, nulls, bare-id references', () => {
  const { entities } = load(fixture('kong-export.yaml'));
  const svc = entities.services['0855b320-0dd2-547d-891d-601e9b38647f'];
  assert.ok(svc);
  assert.deepEqual([svc.protocol, svc.host, svc.port, svc.path], ['https', 'httpbin.org', 443, '/anything']);
  // Tags are kept; timestamps and Kong-only null fields are not.
  assert.deepEqual(svc.tags, ['team-a', 'public']);
  assert.equal('created_at' in svc, false);
  assert.equal(svc.ca_certificates, null);
  assert.equal(svc.tls_verify, null);

  const route = entities.routes['481a9539-f49c-51b6-b2e2-fe99ee68866c'];
  assert.ok(route);
  assert.deepEqual(route.service, { id: svc.id });
  assert.deepEqual(route.paths, ['~/api/v1/(?<id>\\d+)$', '/api/v1']);
  assert.deepEqual(route.headers, { 'x-version': ['v1', 'v2'] });
  // created_at is the position in the file (the router's tie-breaker), not Kong's timestamp.
  assert.equal(route.created_at, 0);

  const target = Object.values(entities.targets)[0];
  assert.equal(target?.target, '10.1.0.7:8080');
  assert.deepEqual(target?.upstream, { id: '6f8d8f53-6d2b-4c1e-9c1e-6e7b1c9f2a10' });
  assert.equal('use_srv_name' in (entities.upstreams['6f8d8f53-6d2b-4c1e-9c1e-6e7b1c9f2a10'] ?? {}), false);

  const limit = byName(entities.plugins, 'rate-limiting');
  assert.deepEqual(limit.route, { id: route.id });
  assert.deepEqual(limit.tags, ['limits']);
  assert.equal(limit.config['hour'], 10000);
});

test('_transform: false keeps basic-auth passwords as exported (already hashed); ws_id is ignored', () => {
  const { entities } = load(fixture('kong-export.yaml'));
  const basic = Object.values(entities.credentials).find((c) => c.kind === 'basicauth_credentials') as Credential;
  assert.equal(basic['password'], '3e4d6ebcbb6e1f4e7a4ce1b8ac1b8f6f2d4c3b2a');
  const key = Object.values(entities.credentials).find((c) => c.kind === 'keyauth_credentials') as Credential;
  assert.equal('ws_id' in key, false);
});

test('by default (_transform: true) basic-auth passwords are hashed as Kong does: sha1(password .. consumer id)', () => {
  const { entities } = load(fixture('nested.yaml'));
  const basic = Object.values(entities.credentials).find((c) => c.kind === 'basicauth_credentials') as Credential;
  const consumerId = basic.consumer.id;
  assert.equal(basic['password'], createHash('sha1').update(`s3cret${consumerId}`).digest('hex'));
});

test('a Kong export and the same config written by hand give the same hashes', () => {
  const exported = load(fixture('kong-export.yaml'));
  const minimal = load(`
_format_version: "3.0"
_transform: false
services:
  - id: 0855b320-0dd2-547d-891d-601e9b38647f
    name: httpbin
    url: https://httpbin.org/anything
    tags: [team-a, public]
    routes:
      - id: 481a9539-f49c-51b6-b2e2-fe99ee68866c
        name: httpbin-anything
        hosts: [api.example.com]
        headers: { x-version: [v1, v2] }
        paths: ["~/api/v1/(?<id>\\\\d+)$", /api/v1]
        plugins:
          - id: 7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c80
            name: rate-limiting
            tags: [limits]
            config: { minute: 60, hour: 10000 }
    plugins:
      - id: 1e2f3a4b-5c6d-4e7f-8a9b-0c1d2e3f4a70
        name: key-auth
upstreams:
  - id: 6f8d8f53-6d2b-4c1e-9c1e-6e7b1c9f2a10
    name: httpbin.upstream
    targets:
      - id: 2d8a4c07-2b1e-4f6f-8e6a-0c7c5e3a9b11
        target: 10.1.0.7:8080
consumers:
  - id: 3b5d1f7e-0a4c-4b8e-8f2d-9c6a7e1b2d30
    username: alice
    keyauth_credentials:
      - id: 9a7c3e51-1b2d-4e6f-8a9b-0c1d2e3f4a52
        key: 2b3f9f7e8c1a4d5e
    basicauth_credentials:
      - id: 5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e60
        username: alice-basic
        password: 3e4d6ebcbb6e1f4e7a4ce1b8ac1b8f6f2d4c3b2a
`);
  assert.deepEqual(minimal.entities, exported.entities);
  assert.equal(minimal.hash, exported.hash);
});
