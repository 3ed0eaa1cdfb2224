import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { UpstreamHealthchecks } from '../../config/types.ts';
import { byName, load } from './helpers.ts';

test('service defaults are Kong\'s; the url shorthand sets protocol, host, port and path', () => {
  const { entities } = load(`
_format_version: "3.0"
services:
  - { name: plain, host: a.internal }
  - { name: tls, host: b.internal, protocol: https }
  - { name: url, url: "https://c.internal/base" }
  - { name: url-port, url: "http://d.internal:8080" }
`);
  const plain = byName(entities.services, 'plain');
  assert.deepEqual(
    { ...plain, id: '' },
    {
      id: '',
      name: 'plain',
      protocol: 'http',
      host: 'a.internal',
      port: 80,
      path: null,
      retries: 5,
      connect_timeout: 60000,
      write_timeout: 60000,
      read_timeout: 60000,
      tls_verify: null,
      tls_verify_depth: null,
      client_certificate: null,
      ca_certificates: null,
      enabled: true,
      tags: null,
    },
  );
  assert.equal(byName(entities.services, 'tls').port, 443);
  const url = byName(entities.services, 'url');
  assert.deepEqual([url.protocol, url.host, url.port, url.path], ['https', 'c.internal', 443, '/base']);
  const urlPort = byName(entities.services, 'url-port');
  assert.deepEqual([urlPort.protocol, urlPort.port, urlPort.path], ['http', 8080, null]);
});

test('route defaults are Kong\'s; explicit nulls take the default; sets are sorted', () => {
  const { entities } = load(`
_format_version: "3.0"
routes:
  - name: r
    paths: [/r]
    regex_priority: null
    methods: [POST, GET]
    protocols: [https, http]
`);
  const r = byName(entities.routes, 'r');
  assert.deepEqual(
    { ...r, id: '' },
    {
      id: '',
      name: 'r',
      service: null,
      protocols: ['http', 'https'],
      methods: ['GET', 'POST'],
      hosts: null,
      paths: ['/r'],
      headers: null,
      snis: null,
      strip_path: true,
      preserve_host: false,
      regex_priority: 0,
      path_handling: 'v0',
      https_redirect_status_code: 426,
      request_buffering: true,
      response_buffering: true,
      tags: null,
      created_at: 0,
    },
  );
});

// Non-default healthchecks are refused until probing is implemented (kong-fields.test.ts); the
// defaults given explicitly, as a Kong export writes them, load and merge with the rest.
test('upstream defaults include Kong\'s nested healthcheck defaults, merged with what is given', () => {
  const { entities } = load(`
_format_version: "3.0"
upstreams:
  - name: u.internal
    healthchecks:
      active:
        http_path: /
        healthy: { interval: 0 }
`);
  const u = byName(entities.upstreams, 'u.internal');
  assert.equal(u.algorithm, 'round-robin');
  assert.equal(u.hash_on, 'none');
  assert.equal(u.hash_fallback, 'none');
  assert.equal(u.hash_on_cookie_path, '/');
  assert.equal(u.slots, 10000);
  assert.equal(u.host_header, null);
  const hc = u.healthchecks as unknown as UpstreamHealthchecks;
  assert.deepEqual(hc, {
    threshold: 0,
    active: {
      type: 'http',
      timeout: 1,
      concurrency: 10,
      http_path: '/',
      https_sni: null,
      https_verify_certificate: true,
      headers: null,
      healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
      unhealthy: { interval: 0, http_statuses: [429, 404, 500, 501, 502, 503, 504, 505], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
    passive: {
      type: 'http',
      healthy: {
        http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
        successes: 0,
      },
      unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
    },
  });
});

test('target defaults: weight 100, port 8000; IPv6 targets are bracketed', () => {
  const { entities } = load(`
_format_version: "3.0"
upstreams:
  - name: u.internal
    targets:
      - target: backend.internal
      - target: "::1"
      - target: "[::2]:9000"
        weight: 0
`);
  const targets = Object.values(entities.targets).map((t) => [t.target, t.weight]);
  assert.deepEqual(targets, [['backend.internal:8000', 100], ['[::1]:8000', 100], ['[::2]:9000', 0]]);
});

test('plugin defaults: enabled, Kong\'s protocols, and the plugin schema\'s config defaults', () => {
  const { entities } = load(`
_format_version: "3.0"
plugins:
  - name: key-auth
  - name: rate-limiting
    config: { minute: 5 }
`);
  const keyAuth = byName(entities.plugins, 'key-auth');
  assert.equal(keyAuth.enabled, true);
  assert.deepEqual(keyAuth.protocols, ['grpc', 'grpcs', 'http', 'https']);
  assert.equal(keyAuth.instance_name, null);
  assert.deepEqual(keyAuth.config, {
    key_names: ['apikey'],
    hide_credentials: false,
    anonymous: null,
    key_in_header: true,
    key_in_query: true,
    key_in_body: false,
    run_on_preflight: true,
    realm: null,
  });
  const rl = byName(entities.plugins, 'rate-limiting').config;
  assert.equal(rl['minute'], 5);
  assert.equal(rl['second'], null);
  assert.equal(rl['limit_by'], 'consumer');
  assert.equal(rl['policy'], 'local');
  assert.equal(rl['error_code'], 429);
  assert.equal(rl['error_message'], 'API rate limit exceeded');
  assert.equal(rl['sync_rate'], -1);
});

test('credentials: jwt algorithm defaults to HS256; consumer fields default to null', () => {
  const { entities } = load(`
_format_version: "3.0"
consumers:
  - username: alice
    jwt_secrets: [{ key: iss, secret: s }]
`);
  const jwt = Object.values(entities.credentials)[0];
  assert.equal(jwt?.['algorithm'], 'HS256');
  assert.equal(jwt?.['rsa_public_key'], null);
  assert.equal(byName(entities.consumers, 'alice').custom_id, null);
});
