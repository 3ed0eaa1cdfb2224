// Auth plugins' own per-request cost, in process: each plugin's phases run on real
// RequestContexts with the headers a client sends (key-auth apikey, basic-auth Authorization,
// hmac-auth a signed Date in Kong's format, jwt HS256/RS256/ES256 Bearer tokens, key-auth + acl),
// timed against the same loop without the plugin; the loop also builds the upstream header list
// (the X-Consumer-* headers an auth plugin adds are written there). The harness is
// bench/harness/plugin-phases.ts. Beside it, in the same run, the floor: what the crypto primitive
// each plugin needs costs alone per call (Node's crypto, the same inputs).
// Run: node bench/auth-plugin-phases.ts [--baseline-us N] [--requests N] [--rounds N]
// (N: the proxy's CPU µs per request without plugins, from `node bench/run.ts --scenario auth`,
// to print each cost as a share of it)
import { createHash, createHmac, createSecretKey, generateKeyPairSync, hash, sign, verify, type KeyObject } from 'node:crypto';
import { parseArgs } from 'node:util';
import { closeHarness, measureCases, prepareCase, resultRow, timeCalls, type PhaseCase } from './harness/plugin-phases.ts';
import { table } from './harness/report/report.ts';

const { values } = parseArgs({ options: { 'baseline-us': { type: 'string' }, requests: { type: 'string' }, rounds: { type: 'string' } } });
const BASELINE_US = values['baseline-us'] === undefined ? null : Number(values['baseline-us']);
const REQUESTS = Number(values.requests ?? 20_000);
const ROUNDS = Number(values.rounds ?? 7);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let jti = 0;

function jwt(alg: 'HS256' | 'RS256' | 'ES256', iss: string): string {
  const input = `${b64({ typ: 'JWT', alg })}.${b64({ iss, sub: 'bench', jti: jti++, exp: Math.floor(Date.now() / 1000) + 86_400 })}`;
  const data = Buffer.from(input);
  const signature =
    alg === 'HS256' ? createHmac('sha256', 'bench-jwt-secret').update(data).digest()
    : alg === 'RS256' ? sign('sha256', data, rsa.privateKey)
    : sign('sha256', data, { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

const CONSUMERS = {
  consumers: [
    {
      username: 'bench',
      custom_id: 'bench-custom',
      keyauth_credentials: [{ key: 'bench-key' }],
      basicauth_credentials: [{ username: 'bench', password: 'bench-password' }],
      hmacauth_credentials: [{ username: 'bench-hmac', secret: 'bench-hmac-secret' }],
      jwt_secrets: [
        { key: 'bench-hs', algorithm: 'HS256', secret: 'bench-jwt-secret' },
        { key: 'bench-rs', algorithm: 'RS256', rsa_public_key: pem(rsa.publicKey) },
        { key: 'bench-es', algorithm: 'ES256', rsa_public_key: pem(ec.publicKey) },
      ],
      acls: [{ group: 'bench' }],
    },
  ],
};

/** hmac-auth's headers for a request signed at `at` (ms). */
function hmacHeaders(at: number): string[] {
  const date = new Date(at).toUTCString();
  const signature = createHmac('sha256', 'bench-hmac-secret').update(`date: ${date}\n@request-target: get /bench`).digest('base64');
  return ['Date', date, 'Authorization', `hmac username="bench-hmac", algorithm="hmac-sha256", headers="date @request-target", signature="${signature}"`];
}

const date = new Date().toUTCString();
const signingString = `date: ${date}\n@request-target: get /bench`;
const tokens = { HS256: jwt('HS256', 'bench-hs'), RS256: jwt('RS256', 'bench-rs'), ES256: jwt('ES256', 'bench-es') };
// More distinct signatures and tokens than the plugins remember (512 and 1024), cycled: every request
// pays the whole check, as with a client that signs a new Date per request or sends a new token each time.
const FRESH = 4096;
const freshHmac = Array.from({ length: FRESH }, (_, i) => hmacHeaders(Date.now() - i * 1000));
const freshJwt = (alg: 'HS256' | 'RS256' | 'ES256', iss: string): string[][] => Array.from({ length: FRESH }, () => ['Authorization', `Bearer ${jwt(alg, iss)}`]);

const CASES: PhaseCase[] = [
  { name: 'key-auth', plugins: [{ name: 'key-auth' }], headers: ['apikey', 'bench-key'] },
  { name: 'key-auth + acl', plugins: [{ name: 'key-auth' }, { name: 'acl', config: { allow: ['bench'] } }], headers: ['apikey', 'bench-key'] },
  { name: 'basic-auth', plugins: [{ name: 'basic-auth' }], headers: ['Authorization', `Basic ${Buffer.from('bench:bench-password').toString('base64')}`] },
  { name: 'hmac-auth (hmac-sha256)', plugins: [{ name: 'hmac-auth', config: { clock_skew: 86_400 } }], headers: hmacHeaders(Date.parse(date)) },
  { name: 'hmac-auth, a new Date each request', plugins: [{ name: 'hmac-auth', config: { clock_skew: 86_400 } }], headers: [], variants: freshHmac },
  { name: 'jwt HS256', plugins: [{ name: 'jwt' }], headers: ['Authorization', `Bearer ${tokens.HS256}`] },
  { name: 'jwt HS256, a new token each request', plugins: [{ name: 'jwt' }], headers: [], variants: freshJwt('HS256', 'bench-hs') },
  { name: 'jwt RS256', plugins: [{ name: 'jwt' }], headers: ['Authorization', `Bearer ${tokens.RS256}`] },
  { name: 'jwt RS256, a new token each request', plugins: [{ name: 'jwt' }], headers: [], variants: freshJwt('RS256', 'bench-rs') },
  { name: 'jwt ES256', plugins: [{ name: 'jwt' }], headers: ['Authorization', `Bearer ${tokens.ES256}`] },
  { name: 'jwt ES256, a new token each request', plugins: [{ name: 'jwt' }], headers: [], variants: freshJwt('ES256', 'bench-es') },
];

// The floor: one call of the primitive each plugin's check needs, with the bench's inputs.
const consumerId = '0b5a7e62-8f0c-4c2e-9b6e-4d6f0f4b8a11';
const jwtInput = (token: string): Buffer => Buffer.from(token.slice(0, token.lastIndexOf('.')), 'latin1');
const jwtSignature = (token: string): Buffer => Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url');
const rsInput = jwtInput(tokens.RS256);
const rsSignature = jwtSignature(tokens.RS256);
const esInput = jwtInput(tokens.ES256);
const esSignature = jwtSignature(tokens.ES256);
const hsInput = jwtInput(tokens.HS256);
const hsKey = Buffer.from('bench-jwt-secret');
const hsKeyObject = createSecretKey(hsKey);
const FLOORS: Array<{ name: string; calls: number; fn: () => unknown }> = [
  { name: 'sha1 hex of password .. consumer id, createHash', calls: 20_000, fn: () => createHash('sha1').update('bench-password').update(consumerId).digest('hex') },
  { name: 'sha1 hex of password .. consumer id, crypto.hash (basic-auth)', calls: 20_000, fn: () => hash('sha1', `bench-password${consumerId}`, 'hex') },
  { name: 'HMAC-SHA256 of the signing string (hmac-auth)', calls: 20_000, fn: () => createHmac('sha256', 'bench-hmac-secret').update(signingString).digest() },
  { name: 'HMAC-SHA256 of header.claims, key a Buffer', calls: 20_000, fn: () => createHmac('sha256', hsKey).update(hsInput).digest() },
  { name: 'HMAC-SHA256 of header.claims, key a KeyObject (jwt HS256)', calls: 20_000, fn: () => createHmac('sha256', hsKeyObject).update(hsInput).digest() },
  { name: 'RSA-2048 PKCS#1 v1.5 verify (jwt RS256)', calls: 2_000, fn: () => verify('sha256', rsInput, rsa.publicKey, rsSignature) },
  { name: 'ECDSA P-256 verify (jwt ES256)', calls: 1_000, fn: () => verify('sha256', esInput, { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, esSignature) },
];

const prepared = CASES.map((c) => prepareCase(c, CONSUMERS));
const { results, baseNs } = measureCases(prepared, { requests: REQUESTS, rounds: ROUNDS, head: true });
const floorRows = FLOORS.map((f) => [f.name, `${Math.round(timeCalls(f.fn, f.calls, ROUNDS))} ns`]);
process.stdout.write(`auth plugin phases: ${REQUESTS} requests × ${ROUNDS} rounds per case, Node ${process.version}; loop without a plugin (request, context, upstream header list): ${Math.round(baseNs)} ns/request\n\n`);
process.stdout.write(`${table(['plugin (access + upstream headers + header_filter + log)', 'added ns/request (median)', 'min..max', `share of ${BASELINE_US ?? '?'} µs CPU/request without plugins`], results.map((r) => resultRow(r, BASELINE_US)))}\n\n`);
process.stdout.write(`${table(['crypto primitive alone (the floor), same run', 'ns/call (median)'], floorRows)}\n`);
closeHarness();
