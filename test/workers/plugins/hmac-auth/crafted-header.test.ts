// hmac-auth against a crafted Authorization header near the 16 KiB head limit, over raw sockets:
// `hmac username="` then `",algorithm="",headers="` repeated, no signature. Kong's pattern, run by
// a backtracking engine, spends seconds of the worker's one thread on each such header (cubic in
// its length); the gateway must answer every one 401 (not a valid signature) and go on serving.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { RawConnection } from '../../../helpers/raw-http.ts';
import { startAuthGateway, type AuthGateway } from '../auth-gateway.ts';
import { suiteCleanup } from '../helpers.ts';

const CONFIG = `
_format_version: "3.0"
services:
  - name: s
    url: UPSTREAM_URL
    routes:
      - { name: signed, paths: [/signed], plugins: [{ name: hmac-auth }] }
consumers:
  - username: alice
    hmacauth_credentials:
      - { username: alice-hmac, secret: alice-secret }
`;

/** The default --max-request-head is 16,384 bytes: the crafted value fills what the rest leaves. */
function craftedRequest(): string {
  const head = `GET /signed HTTP/1.1\r\nHost: gateway\r\nDate: ${new Date().toUTCString()}\r\nAuthorization: hmac username="`;
  const room = 16_384 - head.length - '\r\n\r\n'.length;
  const repeat = '",algorithm="",headers="';
  const value = repeat.repeat(Math.floor(room / repeat.length));
  return `${head}${value}\r\n\r\n`;
}

describe('hmac-auth: a crafted Authorization header at the head limit', () => {
  let gw: AuthGateway;
  const cleanup = suiteCleanup();
  before(async () => {
    gw = await startAuthGateway(cleanup, CONFIG);
  });

  test('three at once are each answered 401 within the reader timeout, and the worker still serves', async (t) => {
    const request = craftedRequest();
    assert.ok(request.length > 16_300 && request.length <= 16_384, `a head at the limit (${request.length} bytes)`);
    const connections = await Promise.all([0, 1, 2].map(() => RawConnection.open(gw.proxy)));
    t.after(() => {
      for (const c of connections) c.destroy();
    });
    for (const c of connections) c.write(request);
    // The worker has one thread: with the backtracking pattern the three answers took seconds each,
    // one after the other, and the last one missed the reader's 3 s bound by far.
    const answers = await Promise.all(connections.map((c) => c.readResponse()));
    for (const answer of answers) {
      assert.equal(answer.status, 401);
      assert.deepEqual(JSON.parse(answer.body.toString()), { message: 'HMAC signature cannot be verified' });
    }
    assert.equal((await gw.get('/signed')).status, 401, 'the next request is served as usual');
  });
});
