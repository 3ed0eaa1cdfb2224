// certificates, snis and ca_certificates in a declarative config, and the TLS fields of routes and
// services (config/tls-checks.ts): what loads, and every refusal with its entity and field path.
// Certificates are made at test time; no error, warning or log may quote a private key.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { stringify } from 'yaml';
import type { Certificate, Sni } from '../../config/types.ts';
import { makeCa, makeLeaf, type Pems } from '../helpers/tls.ts';
import { load, prepare } from './helpers.ts';

let ca: Pems;
let api: Pems;
let wild: Pems;
let rsa: Pems;
let expired: Pems;
let client: Pems;

before(async () => {
  ca = await makeCa('Config Test CA');
  api = await makeLeaf(['api.example.com'], { ca });
  wild = await makeLeaf(['*.example.com'], { ca });
  // selfsigned signs with the leaf's key type: an RSA leaf is self-signed here.
  rsa = await makeLeaf(['api.example.com'], { keyType: 'rsa' });
  expired = await makeLeaf(['old.example.com'], { ca, notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  client = await makeLeaf(['gateway-client'], { ca, clientAuth: true });
});

function doc(body: Record<string, unknown>): string {
  return stringify({ _format_version: '3.0', ...body });
}

function errorsOf(text: string): Array<{ entity_type: string; entity: string | null; field: string; message: string }> {
  const result = prepare(text);
  assert.equal(result.ok, false, 'expected the config to be refused');
  if (result.ok) return [];
  // A key never appears in an error (nor anything OpenSSL says about one).
  assert.doesNotMatch(JSON.stringify(result.errors), /PRIVATE KEY|MII|MHc/);
  return result.errors;
}

test('certificates with nested SNIs (records or names), top-level SNIs, CA certificates and a service using both load', () => {
  const caId = '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a01';
  const apiId = '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a02';
  const loaded = load(
    doc({
      certificates: [
        { id: apiId, cert: api.cert, key: api.key, cert_alt: rsa.cert, key_alt: rsa.key, snis: [{ name: 'API.example.com' }] },
        { cert: wild.cert, key: wild.key, snis: ['*.example.com', 'example.*'] },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a03', cert: client.cert, key: client.key },
      ],
      snis: [{ name: 'www.example.org', certificate: { id: apiId } }],
      ca_certificates: [{ id: caId, cert: ca.cert, cert_digest: 'whatever an export wrote' }],
      services: [
        {
          name: 'secure',
          url: 'https://backend.internal:8443',
          client_certificate: { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a03' },
          ca_certificates: [caId.toUpperCase()],
          tls_verify: true,
          routes: [{ name: 'by-sni', protocols: ['https'], snis: ['Shop.Example.com.', 'api.example.com'] }],
        },
      ],
    }),
  );
  const { certificates, snis, ca_certificates: cas, services, routes } = loaded.entities;
  assert.equal(Object.keys(certificates).length, 3);
  const names = Object.values(snis).map((sni: Sni) => sni.name).sort();
  assert.deepEqual(names, ['*.example.com', 'api.example.com', 'example.*', 'www.example.org']);
  const apiSni = Object.values(snis).find((sni) => sni.name === 'api.example.com')!;
  assert.deepEqual(apiSni.certificate, { id: apiId });
  assert.equal((certificates[apiId] as Certificate).cert_alt, rsa.cert);
  const caEntity = cas[caId]!;
  assert.match(caEntity.cert_digest, /^[0-9a-f]{64}$/);
  const service = Object.values(services)[0]!;
  assert.deepEqual(service.client_certificate, { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a03' });
  assert.deepEqual(service.ca_certificates, [caId]);
  const route = Object.values(routes)[0]!;
  assert.deepEqual(route.snis, ['api.example.com', 'shop.example.com']);
  assert.equal(loaded.warnings, undefined);
});

test('an expired certificate loads with a warning naming the entity and field; an expired CA certificate is refused', () => {
  const loaded = load(doc({ certificates: [{ id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a09', cert: expired.cert, key: expired.key, snis: ['old.example.com'] }] }));
  assert.equal(loaded.warnings?.length, 1);
  assert.deepEqual({ ...loaded.warnings![0], message: '' }, { entity_type: 'certificate', entity: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0a09', field: 'cert', message: '' });
  assert.match(loaded.warnings![0]!.message, /expired/);
  const errors = errorsOf(doc({ ca_certificates: [{ cert: expired.cert }] }));
  assert.deepEqual(errors.map((e) => [e.entity_type, e.field]), [['ca_certificate', 'cert']]);
  assert.match(errors[0]!.message, /expired/);
});

test('every certificate mistake is reported with its entity and field, and no key is ever quoted', () => {
  const errors = errorsOf(
    doc({
      certificates: [
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b01', cert: 'not a pem', key: api.key },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b02', cert: api.cert, key: wild.key },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b03', cert: api.cert, key: '-----BEGIN PRIVATE KEY-----\nMIIBroken\n-----END PRIVATE KEY-----\n' },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b04', cert: api.cert, key: api.key, cert_alt: wild.cert, key_alt: wild.key },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b05', cert: api.cert, key: api.key, cert_alt: rsa.cert },
        { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0b06', cert: api.cert },
      ],
    }),
  );
  const got = errors.map((e) => `${e.entity ?? ''} ${e.field}: ${e.message}`);
  assert.deepEqual(
    errors.map((e) => `${(e.entity ?? '').slice(-3)} ${e.field}`).sort(),
    ['b01 cert', 'b02 key', 'b03 key', 'b04 cert_alt', 'b05 key_alt', 'b06 key'],
  );
  assert.ok(got.some((line) => line.includes('b02 key: certificate does not match key')));
  assert.ok(got.some((line) => line.includes('b03 key: invalid key: not a PEM private key')));
  assert.ok(got.some((line) => line.includes('b04 cert_alt: certificate and alternative certificate need to have different type')));
  assert.ok(got.some((line) => line.includes('b05 key_alt: required field missing')));
});

test('SNI names: wildcards only leftmost or rightmost, one of them, no IP, no port, unique; a reference must exist', () => {
  const errors = errorsOf(
    doc({
      certificates: [{ id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0c01', cert: api.cert, key: api.key, snis: ['a.*.com', '*.*.com', '10.0.0.1', 'api.example.com:443', 'dup.example.com', 'DUP.example.com', 'ok.example.com'] }],
      snis: [{ name: 'orphan.example.com', certificate: { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0cff' } }, { name: 'lonely.example.com' }],
    }),
  );
  const byName = errors.map((e) => `${e.entity ?? ''} ${e.field}: ${e.message}`);
  assert.ok(byName.includes('a.*.com name: wildcard must be leftmost or rightmost character'), byName.join('\n'));
  assert.ok(byName.includes('*.*.com name: only one wildcard must be specified'));
  assert.ok(byName.includes('10.0.0.1 name: must not be an IP'));
  assert.ok(byName.includes('api.example.com:443 name: must not have a port'));
  assert.ok(byName.some((line) => line.startsWith('dup.example.com name: uniqueness violation')));
  assert.ok(byName.some((line) => line.startsWith('orphan.example.com certificate: invalid reference')));
  assert.ok(byName.includes('lonely.example.com certificate: required field missing'));
  assert.equal(byName.filter((line) => line.startsWith('ok.example.com')).length, 0);
});

test('CA certificates: one certificate, a CA; service references and TLS fields need https and existing entities', () => {
  const errors = errorsOf(
    doc({
      ca_certificates: [{ cert: `${ca.cert}${ca.cert}` }, { cert: api.cert }],
      services: [
        { name: 'plain', url: 'http://backend:80', tls_verify: true, ca_certificates: ['5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0dff'] },
        { name: 'secure', url: 'https://backend:443', ca_certificates: ['5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0dff'], client_certificate: { id: '5e8b6f1c-2f5e-4c37-8a0c-3c1b1d6f0dfe' } },
      ],
      routes: [
        { name: 'plain', protocols: ['http'], snis: ['api.example.com'], paths: ['/'] },
        { name: 'mixed', protocols: ['http', 'https'], snis: ['api.example.com'], paths: ['/m'] },
      ],
    }),
  );
  const lines = errors.map((e) => `${e.entity_type} ${e.field}: ${e.message}`);
  assert.ok(lines.includes('ca_certificate cert: please submit only one certificate at a time'), lines.join('\n'));
  assert.ok(lines.includes('ca_certificate cert: certificate does not appear to be a CA because it is missing the "CA" basic constraint'));
  assert.ok(lines.includes("service tls_verify: value must be null (the protocol is not 'https')"));
  assert.ok(lines.includes("service ca_certificates: value must be null (the protocol is not 'https')"));
  assert.ok(lines.some((line) => line.startsWith('service ca_certificates.0: invalid reference')));
  assert.ok(lines.some((line) => line.startsWith('service client_certificate: invalid reference')));
  const sniErrors = errors.filter((e) => e.field === 'snis');
  // Kong refuses snis only when no protocol of the route speaks TLS: the http-only route, not the mixed one.
  assert.deepEqual(sniErrors.map((e) => `${e.entity ?? ""} ${e.message}`), ["plain 'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'"]);
});

test('an https-only route may match on snis alone', () => {
  const loaded = load(doc({ services: [{ name: 's', url: 'http://backend:80', routes: [{ name: 'r', protocols: ['https'], snis: ['api.example.com'] }] }] }));
  assert.deepEqual(Object.values(loaded.entities.routes)[0]!.snis, ['api.example.com']);
});
