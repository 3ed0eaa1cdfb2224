// jwt through the real gateway and a real upstream: every algorithm Kong supports (HS256/384/512,
// RS256/384/512, PS256/384/512, ES256/384/512, EdDSA), tampered tokens, Kong's 401 bodies and
// WWW-Authenticate, where tokens are read (header, query, cookie; multiple tokens), key_claim_name,
// secret_is_base64, claims_to_verify, maximum_expiration, anonymous, run_on_preflight.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';
import { keyPair, signToken, type KeyPair } from './tokens.ts';

const rsa = keyPair('rsa');
const ec: Record<string, KeyPair> = { ES256: keyPair('P-256'), ES384: keyPair('P-384'), ES512: keyPair('P-521') };
const ed = keyPair('ed25519');
const SECRET = 'a-shared-secret-of-some-length';
const RAW_SECRET = Buffer.from('raw bytes \u00ff\u0001 secret', 'latin1');

const ASYMMETRIC: Record<string, KeyPair> = { RS256: rsa, RS384: rsa, RS512: rsa, PS256: rsa, PS384: rsa, PS512: rsa, ...ec, EdDSA: ed };

function secrets(replaced: Record<string, KeyPair> = {}): string {
  const lines = ['HS256', 'HS384', 'HS512'].map((alg) => `      - { key: key-${alg}, algorithm: ${alg}, secret: ${SECRET} }`);
  for (const [alg, pair] of Object.entries({ ...ASYMMETRIC, ...replaced })) lines.push(`      - { key: key-${alg}, algorithm: ${alg}, rsa_public_key: ${JSON.stringify(pair.publicPem)} }`);
  lines.push(`      - { key: key-b64, algorithm: HS256, secret: ${RAW_SECRET.toString('base64url')} }`);
  return lines.join('\n');
}

const config = (replaced: Record<string, KeyPair> = {}): string => `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: plain, paths: [/plain], plugins: [{ name: jwt }] }
      - { name: claims, paths: [/claims], plugins: [{ name: jwt, config: { claims_to_verify: [exp, nbf] } }] }
      - { name: maxexp, paths: [/maxexp], plugins: [{ name: jwt, config: { claims_to_verify: [exp], maximum_expiration: 60 } }] }
      - { name: sources, paths: [/sources], plugins: [{ name: jwt, config: { uri_param_names: [token], cookie_names: [session], header_names: [x-token], key_claim_name: kid, realm: api } }] }
      - { name: b64, paths: [/b64], plugins: [{ name: jwt, config: { secret_is_base64: true } }] }
      - { name: anon, paths: [/anon], plugins: [{ name: jwt, config: { anonymous: guest, run_on_preflight: false } }] }
consumers:
  - username: alice
    jwt_secrets:
${secrets(replaced)}
  - username: guest
`;
const CONFIG = config();

const now = (): number => Math.floor(Date.now() / 1000);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const INVALID = 'Bearer error="invalid_token"';

describe('jwt', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, CONFIG);
  });

  test('every algorithm: a good token passes with the consumer headers; a tampered one is "Invalid signature"', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512', ...Object.keys(ASYMMETRIC)]) {
      const key = alg.startsWith('HS') ? SECRET : ASYMMETRIC[alg]!.privateKey;
      const token = signToken(alg, { iss: `key-${alg}`, sub: 'x' }, key);
      const good = await gw.get('/plain', bearer(token));
      assert.equal(good.status, 200, `${alg}: ${good.body}`);
      assert.equal(good.upstream!.headers['x-consumer-username'], 'alice');
      assert.equal(good.upstream!.headers['x-credential-identifier'], `key-${alg}`);
      assert.equal(good.upstream!.headers.authorization, `Bearer ${token}`);
      const [head, claims, signature] = token.split('.');
      const forged = `${head}.${Buffer.from(JSON.stringify({ iss: `key-${alg}`, sub: 'admin' })).toString('base64url')}.${signature}`;
      const bad = await gw.get('/plain', bearer(forged));
      assert.equal(bad.status, 401, alg);
      assert.deepEqual(bad.json(), { message: 'Invalid signature' }, alg);
      assert.equal(bad.headers['www-authenticate'], INVALID);
      assert.ok(claims !== undefined);
    }
  });

  test("Kong's 401s: no token, bad token, missing or unknown key, wrong algorithm, multiple tokens", async () => {
    const none = await gw.get('/plain');
    assert.equal(none.status, 401);
    assert.deepEqual(none.json(), { message: 'Unauthorized' });
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    const cases: [Record<string, string>, string][] = [
      [bearer('not-a-jwt'), 'Bad token; invalid JSON'],
      [bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.`), 'Bad token; invalid alg'],
      [bearer(signToken('HS256', { sub: 'x' }, SECRET)), "No mandatory 'iss' in claims"],
      [bearer(signToken('HS256', { iss: '' }, SECRET)), "Invalid 'iss' in claims"],
      [bearer(signToken('HS256', { iss: 'nobody' }, SECRET)), "No credentials found for given 'iss'"],
      [bearer(signToken('HS384', { iss: 'key-HS256' }, SECRET)), 'Invalid algorithm'],
    ];
    for (const [headers, message] of cases) {
      const reply = await gw.get('/plain', headers);
      assert.equal(reply.status, 401, message);
      assert.deepEqual(reply.json(), { message }, message);
      assert.equal(reply.headers['www-authenticate'], INVALID);
    }
    const a = signToken('HS256', { iss: 'key-HS256', n: 1 }, SECRET);
    const b = signToken('HS256', { iss: 'key-HS256', n: 2 }, SECRET);
    const multiple = await gw.get(`/plain?jwt=${a}`, bearer(b));
    assert.deepEqual(multiple.json(), { message: 'Multiple tokens provided' });
    assert.equal((await gw.get(`/plain?jwt=${a}`, bearer(a))).status, 200, 'the same token twice is one token');
  });

  test('claims_to_verify and maximum_expiration: the errors by claim are the body', async () => {
    const ok = signToken('HS256', { iss: 'key-HS256', exp: now() + 30, nbf: now() - 5 }, SECRET);
    assert.equal((await gw.get('/claims', bearer(ok))).status, 200);
    const expired = await gw.get('/claims', bearer(signToken('HS256', { iss: 'key-HS256', exp: now() - 1, nbf: now() - 5 }, SECRET)));
    assert.equal(expired.status, 401);
    assert.deepEqual(expired.json(), { exp: 'token expired' });
    const both = await gw.get('/claims', bearer(signToken('HS256', { iss: 'key-HS256', exp: 'soon', nbf: now() + 100 }, SECRET)));
    assert.deepEqual(both.json(), { exp: 'must be a number', nbf: 'token not valid yet' });
    assert.equal((await gw.get('/maxexp', bearer(signToken('HS256', { iss: 'key-HS256', exp: now() + 30 }, SECRET)))).status, 200);
    const far = await gw.get('/maxexp', bearer(signToken('HS256', { iss: 'key-HS256', exp: now() + 3600 }, SECRET)));
    assert.deepEqual(far.json(), { exp: 'exceeds maximum allowed expiration' });
  });

  test('uri_param_names, cookie_names, header_names, key_claim_name (from the header) and realm', async () => {
    const token = signToken('HS256', { sub: 'x' }, SECRET, { kid: 'key-HS256' });
    assert.equal((await gw.get(`/sources?token=${token}`)).status, 200);
    assert.equal((await gw.get('/sources', { cookie: `other=1; session=${token}` })).status, 200);
    assert.equal((await gw.get('/sources', { 'x-token': `bearer ${token}` })).status, 200);
    const ignored = await gw.get('/sources', bearer(token));
    assert.equal(ignored.status, 401, 'Authorization is not among this route\'s header_names');
    assert.equal(ignored.headers['www-authenticate'], 'Bearer realm="api"');
    const bad = await gw.get('/sources?token=x.y.z');
    assert.equal(bad.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token"');
  });

  test('secret_is_base64: the secret is decoded (base64url) before signing is checked', async () => {
    const token = signToken('HS256', { iss: 'key-b64' }, RAW_SECRET);
    assert.equal((await gw.get('/b64', bearer(token))).status, 200);
    assert.equal((await gw.get('/plain', bearer(token))).status, 401, 'without the flag the encoded text is the secret');
  });

  test('a verified token is checked again for its claims on every request, and for its signature once its credential changes', async () => {
    const short = signToken('RS256', { iss: 'key-RS256', exp: now() + 2, nbf: now() - 1 }, rsa.privateKey);
    assert.equal((await gw.get('/claims', bearer(short))).status, 200);
    assert.equal((await gw.get('/claims', bearer(short))).status, 200, 'again, from the remembered verification');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.deepEqual((await gw.get('/claims', bearer(short))).json(), { exp: 'token expired' });
    const lasting = signToken('RS256', { iss: 'key-RS256' }, rsa.privateKey);
    assert.equal((await gw.get('/plain', bearer(lasting))).status, 200);
    await gw.reload(config({ RS256: keyPair('rsa') }));
    const after = await gw.get('/plain', bearer(lasting));
    assert.equal(after.status, 401, 'the key was replaced: the remembered verification no longer counts');
    assert.deepEqual(after.json(), { message: 'Invalid signature' });
  });

  test('anonymous and run_on_preflight', async () => {
    const anon = await gw.get('/anon', bearer('garbage'));
    assert.equal(anon.status, 200);
    assert.equal(anon.upstream!.headers['x-consumer-username'], 'guest');
    assert.equal(anon.upstream!.headers['x-anonymous-consumer'], 'true');
    const preflight = await request(`${gw.proxy}/anon`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 200);
    assert.equal(JSON.parse(preflight.body).headers['x-consumer-username'], undefined, 'not authenticated at all');
  });
});
