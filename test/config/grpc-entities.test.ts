// gRPC routes and services in a declarative config (config/route-checks.ts, entity-checks.ts):
// what loads, Kong's defaults for them, and each refusal with its entity and field path, as
// Kong's routes_subschemas.lua (grpc) and services.lua say.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { load, prepare } from './helpers.ts';

function doc(body: Record<string, unknown>): string {
  return stringify({ _format_version: '3.0', ...body });
}

function lines(text: string): string[] {
  const result = prepare(text);
  assert.equal(result.ok, false, 'expected the config to be refused');
  if (result.ok) return [];
  return result.errors.map((e) => `${e.entity_type} ${e.entity ?? ''} ${e.field}: ${e.message}${e.code === undefined ? '' : ` [${e.code}]`}`);
}

test('grpc and grpcs routes and services load, with strip_path false by default', () => {
  const loaded = load(doc({
    services: [
      { name: 'greeter', url: 'grpc://backend:50051', routes: [{ name: 'g', protocols: ['grpc', 'grpcs'], paths: ['/hello.Greeter/'] }] },
      { name: 'secure', protocol: 'grpcs', host: 'backend', port: 50052, routes: [{ name: 's', protocols: ['grpcs'], snis: ['api.example.com'] }] },
    ],
  }));
  const routes = Object.values(loaded.entities.routes);
  const services = Object.values(loaded.entities.services);
  assert.deepEqual(services.map((s) => [s.name, s.protocol, s.port, s.path]), [['greeter', 'grpc', 50051, null], ['secure', 'grpcs', 50052, null]]);
  const g = routes.find((r) => r.name === 'g')!;
  assert.deepEqual(g.protocols, ['grpc', 'grpcs']);
  assert.equal(g.strip_path, false);
  assert.deepEqual(routes.find((r) => r.name === 's')!.snis, ['api.example.com']);
  // An http route keeps Kong's http default.
  const http = load(doc({ services: [{ name: 'h', url: 'http://backend:80', routes: [{ name: 'h', paths: ['/'] }] }] }));
  assert.equal(Object.values(http.entities.routes)[0]!.strip_path, true);
});

test("grpc routes refuse what Kong's grpc subschema refuses, each at its field", () => {
  const found = lines(doc({
    services: [{
      name: 'greeter', url: 'grpc://backend:50051',
      routes: [
        { name: 'strip', protocols: ['grpc'], paths: ['/a'], strip_path: true },
        { name: 'methods', protocols: ['grpcs'], paths: ['/a'], methods: ['POST'] },
        { name: 'mixed', protocols: ['grpc', 'http'], paths: ['/a'] },
        { name: 'mixed2', protocols: ['https', 'grpcs'], paths: ['/a'] },
        { name: 'nothing', protocols: ['grpc'] },
        { name: 'nothing-s', protocols: ['grpcs'] },
        { name: 'plain-sni', protocols: ['grpc'], snis: ['a.example.com'], paths: ['/a'] },
      ],
    }],
  }));
  const want = [
    "route strip strip_path: cannot set 'strip_path' when 'protocols' is 'grpc' or 'grpcs'",
    "route methods methods: cannot set 'methods' when 'protocols' is 'grpc' or 'grpcs'",
    "route mixed protocols: these sets are mutually exclusive: ('grpc', 'grpcs'), ('http', 'https')",
    "route mixed2 protocols: these sets are mutually exclusive: ('http', 'https'), ('grpc', 'grpcs')",
    "route nothing : must set one of 'hosts', 'headers', 'paths' when 'protocols' is 'grpc'",
    "route nothing-s : must set one of 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'grpcs'",
    "route plain-sni snis: 'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'",
  ];
  for (const line of want) assert.ok(found.some((f) => f.startsWith(line)), `missing: ${line}\nin:\n${found.join('\n')}`);
  assert.equal(found.length, want.length, found.join('\n'));
});

test('grpc services refuse a path and the https-only TLS fields, as Kong', () => {
  const found = lines(doc({
    services: [
      { name: 'with-path', protocol: 'grpc', host: 'backend', port: 50051, path: '/x' },
      { name: 'verify', protocol: 'grpcs', host: 'backend', port: 50051, tls_verify: true },
    ],
  }));
  assert.ok(found.some((f) => f.startsWith("service with-path path: value must be null (the protocol is 'grpc')")), found.join('\n'));
  assert.ok(found.some((f) => f.startsWith("service verify tls_verify: value must be null (the protocol is not 'https')")), found.join('\n'));
});

test('stream protocols stay refused as unsupported', () => {
  const result = prepare(doc({ services: [{ name: 't', protocol: 'tcp', host: 'backend', port: 9000, routes: [{ name: 'r', protocols: ['tcp'], destinations: [{ port: 1 }] }] }] }));
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.ok(result.errors.some((e) => e.field === 'protocol' && e.code === 'SLUICE_ERR_UNSUPPORTED'), JSON.stringify(result.errors));
});
