// The Admin API guard (runtime/admin/guard.ts) on a real node:http server: Host, Origin and token
// checks, CORS preflight, and the status listener's Origin-only check.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { AdminGuard, hostName, type AdminGuardOptions } from '../../runtime/admin/guard.ts';
import { request } from '../helpers/http.ts';
import { RawConnection, rawExchange } from '../helpers/raw-http.ts';

async function serve(t: TestContext, options: Partial<AdminGuardOptions>, status = false): Promise<{ url: string; port: number; reached: () => number }> {
  const guard = new AdminGuard({ listenHosts: ['127.0.0.1'], allowHosts: [], allowOrigins: [], token: null, ...options });
  let reached = 0;
  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    reached++;
    res.end('ok');
  };
  const server = createServer(status ? guard.wrapStatus(handler) : guard.wrap(handler));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, reached: () => reached };
}

test('hostName takes host[:port] apart and refuses anything else', () => {
  assert.equal(hostName('LocalHost:8001'), 'localhost');
  assert.equal(hostName('admin.internal.'), 'admin.internal');
  assert.equal(hostName('[::1]:8001'), '::1');
  assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  for (const bad of ['', ':8001', 'a b', 'a,b', 'user@localhost', 'localhost/x', 'localhost:', 'localhost:123456', 'localhost:80:80', '[::1', '[zz]:80', '[::1]x', 'évil.example', 'localhost\t']) {
    assert.equal(hostName(bad), null, JSON.stringify(bad));
  }
});

test('Host: the listen address, localhost, loopback literals and allowed names pass; others get 421', async (t) => {
  const { url, port, reached } = await serve(t, { allowHosts: ['Admin.Internal'] });
  for (const host of ['127.0.0.1', `127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`, `admin.internal:${port}`, 'ADMIN.internal.']) {
    assert.equal((await request(`${url}/status`, { headers: { host } })).status, 200, host);
  }
  const before = reached();
  for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '10.0.0.1', 'admin.internal.evil', 'a,localhost']) {
    const reply = await request(`${url}/status`, { method: 'POST', body: 'x', headers: { host } });
    assert.equal(reply.status, 421, host);
  }
  assert.equal(reached(), before, 'no refused request reached the handler');
});

test('Host: a wildcard listen address accepts any IP literal (none can be rebound), still no other name', async (t) => {
  const { url } = await serve(t, { listenHosts: ['0.0.0.0'] });
  for (const host of ['10.1.2.3:8001', '[fd00::5]:8001', 'localhost']) assert.equal((await request(url, { headers: { host } })).status, 200, host);
  assert.equal((await request(url, { headers: { host: 'evil.example' } })).status, 421);
});

test('Origin: absent passes; listed passes with CORS headers; anything else, null included, gets 403', async (t) => {
  const { url, reached } = await serve(t, { allowOrigins: ['https://gui.example'] });
  assert.equal((await request(url)).status, 200);
  const allowed = await request(url, { headers: { origin: 'https://gui.example' } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://gui.example');
  assert.equal(allowed.headers.vary, 'Origin');
  const before = reached();
  for (const origin of ['http://gui.example', 'https://gui.example:8443', 'https://evil.example', 'null', 'http://127.0.0.1:8001']) {
    const reply = await request(`${url}/config`, { method: 'POST', body: '_format_version: "3.0"', headers: { origin, 'content-type': 'text/plain' } });
    assert.equal(reply.status, 403, origin);
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
  }
  assert.equal(reached(), before);
});

test('a preflight from a listed origin is answered here, without a token; from any other, 403', async (t) => {
  const { url, reached } = await serve(t, { allowOrigins: ['https://gui.example'], token: 'sekret' });
  const preflight = await request(`${url}/config`, { method: 'OPTIONS', headers: { origin: 'https://gui.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-origin'], 'https://gui.example');
  assert.match(String(preflight.headers['access-control-allow-headers']), /Authorization/);
  assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
  const refused = await request(`${url}/config`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  assert.equal(refused.status, 403);
  assert.equal(reached(), 0);
});

test('token: Bearer or Kong-Admin-Token with the exact token pass; anything else gets 401', async (t) => {
  const { url, reached } = await serve(t, { token: 'sekret-token' });
  for (const headers of [{ authorization: 'Bearer sekret-token' }, { authorization: 'bearer sekret-token' }, { 'kong-admin-token': 'sekret-token' }]) {
    assert.equal((await request(url, { headers })).status, 200, JSON.stringify(headers));
  }
  assert.equal(reached(), 3);
  for (const headers of [{}, { authorization: 'Bearer sekret-toke' }, { authorization: 'Bearer sekret-token-and-more' }, { authorization: 'Basic c2VrcmV0LXRva2Vu' }, { authorization: 'sekret-token' }, { authorization: 'Bearer ' }, { 'kong-admin-token': '' }, { 'kong-admin-token': 'SEKRET-TOKEN' }, { authorization: 'Bearer sekret-token x' }]) {
    const reply = await request(url, { method: 'DELETE', headers });
    assert.equal(reply.status, 401, JSON.stringify(headers));
    assert.equal(reply.headers['www-authenticate'], 'Bearer realm="sluice-admin"');
  }
  assert.equal(reached(), 3);
});

test('the status listener checks Origin only: any Host, no token needed (probes by pod IP or service name)', async (t) => {
  const { url, reached } = await serve(t, { token: 'sekret', allowOrigins: [] }, true);
  for (const host of ['10.244.1.7:8100', 'sluice.default.svc.cluster.local:8100', 'evil.example']) {
    assert.equal((await request(`${url}/status/ready`, { headers: { host } })).status, 200, host);
  }
  assert.equal((await request(`${url}/metrics`, { headers: { origin: 'https://evil.example' } })).status, 403);
  assert.equal(reached(), 3);
});

test('over a raw socket: empty, doubled and malformed Host, no Host on HTTP/1.0, pipelined and oversized requests', async (t) => {
  const { url, reached } = await serve(t, { token: 'sekret' });
  const auth = 'Authorization: Bearer sekret\r\n';
  const status = async (head: string): Promise<number> => (await rawExchange(url, head)).responses[0]!.status;
  assert.equal(await status(`GET / HTTP/1.1\r\nHost: \r\n${auth}Connection: close\r\n\r\n`), 421, 'empty Host');
  assert.equal(await status(`GET / HTTP/1.1\r\nHost: localhost evil\r\n${auth}Connection: close\r\n\r\n`), 421, 'space in Host');
  // node:http keeps the first of two Host fields; the first decides.
  assert.equal(await status(`GET / HTTP/1.1\r\nHost: evil.example\r\nHost: localhost\r\n${auth}Connection: close\r\n\r\n`), 421, 'two Host fields, evil first');
  assert.equal(await status(`GET / HTTP/1.0\r\n${auth}\r\n`), 200, 'HTTP/1.0 without Host is no browser');
  assert.equal(await status('GET / HTTP/1.0\r\n\r\n'), 401, '... but still needs the token');
  assert.equal(await status(`GET / HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${'x'.repeat(20_000)}\r\nConnection: close\r\n\r\n`), 431, 'an oversized token is refused by the parser');
  // Pipelined: a refused request does not poison the next one on the connection, and each gets its answer in order.
  const connection = await RawConnection.open(url);
  t.after(() => connection.socket.destroy());
  connection.socket.write(`GET / HTTP/1.1\r\nHost: evil.example\r\n${auth}\r\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: localhost\r\n${auth}\r\n`);
  assert.equal((await connection.readResponse()).status, 421);
  assert.equal((await connection.readResponse()).status, 401);
  assert.equal((await connection.readResponse()).status, 200);
  assert.equal(reached(), 2);
});
