// The first plugins' schemas (config/plugins/*.ts) against Kong's names, priorities and
// defaults, through the config layer that validates with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configValidator } from '../../config/plugin-config.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import type { Config as CorrelationIdConfig } from '../../config/plugins/correlation-id.ts';
import type { Config as PrometheusConfig } from '../../config/plugins/prometheus.ts';
import type { Config as RequestTerminationConfig } from '../../config/plugins/request-termination.ts';
import { byName, load, prepare } from './helpers.ts';

test('registry: Kong names and priorities, keyed by name', () => {
  const priorities = Object.fromEntries(Object.entries(pluginSchemas).map(([k, s]) => [k, [s.name, s.priority]]));
  assert.deepEqual(priorities, {
    acl: ['acl', 950],
    'basic-auth': ['basic-auth', 1100],
    'bot-detection': ['bot-detection', 2500],
    'correlation-id': ['correlation-id', 100001],
    cors: ['cors', 2000],
    'hmac-auth': ['hmac-auth', 1030],
    'ip-restriction': ['ip-restriction', 990],
    jwt: ['jwt', 1450],
    'key-auth': ['key-auth', 1250],
    prometheus: ['prometheus', 13],
    'proxy-cache': ['proxy-cache', 100],
    'rate-limiting': ['rate-limiting', 910],
    redirect: ['redirect', 779],
    'request-size-limiting': ['request-size-limiting', 951],
    'request-termination': ['request-termination', 2],
    'request-transformer': ['request-transformer', 801],
    'response-transformer': ['response-transformer', 800],
    'response-ratelimiting': ['response-ratelimiting', 900],
    'http-log': ['http-log', 12],
    'file-log': ['file-log', 9],
    'udp-log': ['udp-log', 8],
    'tcp-log': ['tcp-log', 7],
    syslog: ['syslog', 4],
  });
  for (const s of Object.values(pluginSchemas)) assert.equal(configValidator(s) instanceof Error, false, s.name);
});

test('registry is plain data: it survives structured clone unchanged', () => {
  assert.deepEqual(structuredClone(pluginSchemas), pluginSchemas);
});

function configOf(name: string, config = '{}'): Record<string, unknown> {
  return byName(load(`_format_version: "3.0"\nplugins:\n  - name: ${name}\n    config: ${config}\n`).entities.plugins, name).config;
}

test('correlation-id, prometheus and request-termination defaults are Kong\'s', () => {
  const cid: CorrelationIdConfig = { header_name: 'Kong-Request-ID', generator: 'uuid#counter', echo_downstream: false };
  assert.deepEqual(configOf('correlation-id'), cid);
  const prom: PrometheusConfig = {
    per_consumer: false,
    status_code_metrics: false,
    ai_metrics: false,
    latency_metrics: false,
    bandwidth_metrics: false,
    upstream_health_metrics: false,
    wasm_metrics: false,
  };
  assert.deepEqual(configOf('prometheus'), prom);
  const rt: RequestTerminationConfig = { status_code: 503, message: null, body: null, content_type: null, echo: false, trigger: null };
  assert.deepEqual(configOf('request-termination'), rt);
});

test('rate-limiting accepts any one window, Kong\'s redis fields (inert), and limit_by header with a header', () => {
  assert.equal(configOf('rate-limiting', '{ year: 1 }')['year'], 1);
  const withRedis = configOf('rate-limiting', '{ minute: 1, redis_host: null, redis_port: 6379, redis: { host: null, port: 6379 } }');
  assert.equal((withRedis['redis'] as Record<string, unknown>)['timeout'], 2000);
  assert.equal(configOf('rate-limiting', '{ minute: 1, limit_by: header, header_name: x-user }')['header_name'], 'x-user');
});

test('rate-limiting: cluster is rejected like redis, with the policy named as the field', () => {
  const r = prepare('_format_version: "3.0"\nplugins:\n  - name: rate-limiting\n    config: { minute: 1, policy: cluster }\n');
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => [e.entity_type, e.field]),
    [['plugin', 'config.policy']],
  );
});

test('key-auth accepts custom key names and rejects bad ones', () => {
  assert.deepEqual(configOf('key-auth', '{ key_names: [x-api-key, apikey] }')['key_names'], ['x-api-key', 'apikey']);
  const r = prepare('_format_version: "3.0"\nplugins:\n  - name: key-auth\n    config: { key_names: ["bad name"] }\n');
  assert.ok(!r.ok && r.errors[0]?.field === 'config.key_names.0');
});
