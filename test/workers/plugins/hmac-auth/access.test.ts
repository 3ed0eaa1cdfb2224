// hmac-auth through the real gateway and a real upstream: Kong's signature formats (@request-target,
// request-line, plain headers), every algorithm, clock skew on Date and X-Date, enforce_headers,
// algorithms, validate_request_body (Digest) with the body still reaching the upstream, hide_credentials,
// Proxy-Authorization, anonymous, and Kong's 401 messages; and crafted Authorization headers at the
// 16 KiB head limit over raw sockets, which Kong's pattern (four greedy groups, backtracking) took
// seconds of the worker's one thread over each.
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { RawConnection } from '../../../helpers/raw-http.ts';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

const CONFIG = `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: plain, paths: [/plain], plugins: [{ name: hmac-auth }] }
      - { name: strict, paths: [/strict], plugins: [{ name: hmac-auth, config: { algorithms: [hmac-sha256], enforce_headers: [date, "@request-target"], realm: api, clock_skew: 60 } }] }
      - { name: body, paths: [/body], plugins: [{ name: hmac-auth, config: { validate_request_body: true } }] }
      - { name: hidden, paths: [/hidden], plugins: [{ name: hmac-auth, config: { hide_credentials: true } }] }
      - { name: anon, paths: [/anon], plugins: [{ name: hmac-auth, config: { anonymous: guest } }] }
consumers:
  - username: alice
    hmacauth_credentials:
      - { username: alice-hmac, secret: alice-secret }
  - username: guest
`;

const DIGEST = { 'hmac-sha1': 'sha1', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' } as const;

interface Signing {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  signed?: string[];
  algorithm?: keyof typeof DIGEST;
  secret?: string;
  username?: string;
}

/** The Authorization value for a request, signed as Kong's create_hash expects. */
function sign({ method = 'GET', path, headers = {}, signed = ['date', '@request-target'], algorithm = 'hmac-sha256', secret = 'alice-secret', username = 'alice-hmac' }: Signing): string {
  const lines = signed.map((name) => {
    if (name === '@request-target') return `${name}: ${method.toLowerCase()} ${path}`;
    if (name === 'request-line') return `${method} ${path} HTTP/1.1`;
    const value = headers[name];
    return value === undefined ? `${name}:` : `${name}: ${value}`;
  });
  const signature = createHmac(DIGEST[algorithm], secret).update(lines.join('\n')).digest('base64');
  return `hmac username="${username}", algorithm="${algorithm}", headers="${signed.join(' ')}", signature="${signature}"`;
}

/**
 * `hmac username="` then `",algorithm="",headers="` repeated and no signature, filling the default
 * --max-request-head of 16,384 bytes: the backtracking pattern's worst shape (cubic in its length).
 */
function craftedRequest(path: string): string {
  const head = `GET ${path} HTTP/1.1\r\nHost: gateway\r\nDate: ${new Date().toUTCString()}\r\nAuthorization: hmac username="`;
  const room = 16_384 - head.length - '\r\n\r\n'.length;
  const repeat = '",algorithm="",headers="';
  return `${head}${repeat.repeat(Math.floor(room / repeat.length))}\r\n\r\n`;
}

const date = (offsetSeconds = 0): string => new Date(Date.now() + offsetSeconds * 1000).toUTCString();

describe('hmac-auth', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, CONFIG);
  });

  test('a signed request passes with the consumer headers, for every algorithm and signature format', async () => {
    for (const algorithm of Object.keys(DIGEST) as (keyof typeof DIGEST)[]) {
      const headers = { date: date(), 'x-custom': 'v1' };
      const authorization = sign({ path: '/plain/a?b=1', headers, algorithm, signed: ['date', '@request-target', 'x-custom', 'request-line', 'x-absent'] });
      const reply = await gw.get('/plain/a?b=1', { ...headers, authorization });
      assert.equal(reply.status, 200, `${algorithm}: ${reply.body}`);
      assert.equal(reply.upstream!.headers['x-consumer-username'], 'alice');
      assert.equal(reply.upstream!.headers['x-credential-identifier'], 'alice-hmac');
      assert.equal(reply.upstream!.headers.authorization, authorization, 'kept without hide_credentials');
    }
  });

  test("Kong's 401s: no credentials, no or skewed date, bad parameters, unknown user, wrong signature", async () => {
    const none = await gw.get('/plain');
    assert.deepEqual([none.status, none.json(), none.headers['www-authenticate']], [401, { message: 'Unauthorized' }, 'hmac']);
    const noDate = { message: 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication' };
    assert.deepEqual((await gw.get('/plain', { authorization: sign({ path: '/plain' }) })).json(), noDate);
    assert.deepEqual((await gw.get('/plain', { date: date(-400), authorization: sign({ path: '/plain', headers: { date: date(-400) } }) })).json(), noDate);
    assert.deepEqual((await gw.get('/plain', { date: '2026-12-07T05:00:00Z', authorization: 'x' })).json(), noDate, 'not an HTTP date');
    const xdate = { 'x-date': date() };
    assert.equal((await gw.get('/plain', { ...xdate, authorization: sign({ path: '/plain', headers: xdate, signed: ['x-date'] }) })).status, 200, 'X-Date serves too');
    const d = { date: date() };
    const notValid = { message: 'HMAC signature cannot be verified' };
    assert.deepEqual((await gw.get('/plain', { ...d, authorization: 'hmac username="alice-hmac"' })).json(), notValid);
    assert.deepEqual((await gw.get('/plain', { ...d, authorization: sign({ path: '/plain', headers: d, username: 'nobody' }) })).json(), notValid);
    const notSame = { message: 'HMAC signature does not match' };
    assert.deepEqual((await gw.get('/plain', { ...d, authorization: sign({ path: '/plain', headers: d, secret: 'wrong' }) })).json(), notSame);
    assert.deepEqual((await gw.get('/plain?x=1', { ...d, authorization: sign({ path: '/plain', headers: d }) })).json(), notSame, 'the query is signed');
  });

  test('algorithms, enforce_headers, clock_skew and realm of a stricter route', async () => {
    const d = { date: date() };
    assert.equal((await gw.get('/strict', { ...d, authorization: sign({ path: '/strict', headers: d }) })).status, 200);
    const sha1 = await gw.get('/strict', { ...d, authorization: sign({ path: '/strict', headers: d, algorithm: 'hmac-sha1' }) });
    assert.deepEqual([sha1.status, sha1.json(), sha1.headers['www-authenticate']], [401, { message: 'HMAC signature cannot be verified' }, 'hmac realm="api"']);
    assert.equal((await gw.get('/strict', { ...d, authorization: sign({ path: '/strict', headers: d, signed: ['date'] }) })).status, 401, '@request-target is enforced');
    const old = { date: date(-90) };
    assert.equal((await gw.get('/strict', { ...old, authorization: sign({ path: '/strict', headers: old }) })).status, 401, 'past the 60 s skew');
  });

  test('validate_request_body: the Digest must match the body, which still reaches the upstream', async () => {
    const body = JSON.stringify({ hello: 'world', n: 42 });
    const digest = `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
    const headers = { date: date(), digest, 'content-type': 'application/json' };
    const authorization = sign({ method: 'POST', path: '/body', headers, signed: ['date', '@request-target', 'digest'] });
    const ok = await request(`${gw.proxy}/body`, { method: 'POST', headers: { ...headers, authorization }, body });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).body, body, 'the upstream got the body byte for byte');
    const tampered = await request(`${gw.proxy}/body`, { method: 'POST', headers: { ...headers, authorization }, body: body.replace('42', '43') });
    assert.deepEqual([tampered.status, JSON.parse(tampered.body)], [401, { message: 'HMAC signature does not match' }]);
    const d = { date: date() };
    const noDigest = sign({ method: 'POST', path: '/body', headers: d });
    assert.equal((await request(`${gw.proxy}/body`, { method: 'POST', headers: { ...d, authorization: noDigest }, body: 'x' })).status, 401, 'a body without Digest');
    assert.equal((await request(`${gw.proxy}/body`, { method: 'POST', headers: { ...d, authorization: noDigest } })).status, 200, 'no body, no Digest');
    const big = 'a'.repeat(1024 * 1024 + 1);
    const bigHeaders = { date: date(), digest: `SHA-256=${createHash('sha256').update(big).digest('base64')}` };
    const tooBig = await request(`${gw.proxy}/body`, { method: 'POST', headers: { ...bigHeaders, authorization: sign({ method: 'POST', path: '/body', headers: bigHeaders, signed: ['date', 'digest'] }) }, body: big });
    assert.equal(tooBig.status, 401, 'a body past the read limit cannot be validated');
  });

  test('hide_credentials, Proxy-Authorization first, anonymous', async () => {
    const d = { date: date() };
    const hidden = await gw.get('/hidden', { ...d, authorization: sign({ path: '/hidden', headers: d }) });
    assert.equal(hidden.status, 200);
    assert.equal(hidden.upstream!.headers.authorization, undefined);
    const viaProxy = await gw.get('/hidden', { ...d, 'proxy-authorization': sign({ path: '/hidden', headers: d }), authorization: 'Basic keep-me' });
    assert.equal(viaProxy.status, 200);
    assert.equal(viaProxy.upstream!.headers['proxy-authorization'], undefined);
    assert.equal(viaProxy.upstream!.headers.authorization, 'Basic keep-me', 'only the header that carried the signature is hidden');
    const anon = await gw.get('/anon', { ...d, authorization: sign({ path: '/anon', headers: d, secret: 'wrong' }) });
    assert.equal(anon.status, 200);
    assert.equal(anon.upstream!.headers['x-consumer-username'], 'guest');
    assert.equal(anon.upstream!.headers['x-anonymous-consumer'], 'true');
  });

  test('three crafted Authorization headers at the head limit, sent at once, are each answered 401 within the reader timeout', async (t) => {
    const crafted = craftedRequest('/plain');
    assert.ok(crafted.length > 16_300 && crafted.length <= 16_384, `a head at the limit (${crafted.length} bytes)`);
    const connections = await Promise.all([0, 1, 2].map(() => RawConnection.open(gw.proxy)));
    t.after(() => {
      for (const c of connections) c.destroy();
    });
    for (const c of connections) c.write(crafted);
    // One worker thread: with the backtracking pattern the answers came seconds apart, one after the
    // other, and the last missed the reader's 3 s bound by far.
    const answers = await Promise.all(connections.map((c) => c.readResponse()));
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.deepEqual(JSON.parse(answer.body.toString()), { message: 'HMAC signature cannot be verified' });
    }
    assert.equal((await gw.get('/plain')).status, 401, 'the next request is served as usual');
  });
});
