// WebSocket through a spawned `node runtime` (real worker threads, reusePort listener): a `ws`
// client and server talk through it, the tunnel shows in /metrics (sluice_websocket_*) and, once
// closed, the handshake's request is logged with the tunnel's bytes (kong_bandwidth_bytes).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { scrape, sum } from '../metrics/scrape.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

let runtime: Runtime;
let server: Server;
let wss: WebSocketServer;

before(async () => {
  server = createServer((_req, res) => res.end('plain'));
  wss = new WebSocketServer({ server });
  wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const config = await writeConfig(`_format_version: "3.0"
services:
  - name: chat
    url: ws://127.0.0.1:${(server.address() as AddressInfo).port}
    routes:
      - name: chat
        paths: [/chat]
plugins:
  - name: prometheus
    config:
      bandwidth_metrics: true
      status_code_metrics: true
`);
  runtime = await startRuntime(['--config', config, '--workers', '1']);
});

after(async () => {
  await runtime.stop();
  for (const client of wss.clients) client.terminate();
  wss.close();
  server.close();
});

test('a ws client and server through the runtime; the tunnel is counted in /metrics', async () => {
  const client = new WebSocket(`${runtime.proxy.replace('http:', 'ws:')}/chat`);
  await once(client, 'open');
  const payload = Buffer.alloc(100_000, 0x42);
  client.send(payload);
  const [echo] = (await once(client, 'message')) as [Buffer];
  assert.ok(echo.equals(payload));
  const open = await scrape(`${runtime.admin}/metrics`);
  assert.equal(sum(open, 'sluice_websocket_tunnels_total'), 1);
  assert.equal(sum(open, 'sluice_websocket_tunnels_active'), 1);
  assert.ok(sum(open, 'sluice_websocket_bytes_total', { direction: 'ingress' }) > payload.length);
  assert.ok(sum(open, 'sluice_websocket_bytes_total', { direction: 'egress' }) > payload.length);
  client.close(1000);
  await once(client, 'close');
  // The handshake's request is logged when its tunnel ends, with every byte it moved.
  let closed = open;
  for (let i = 0; i < 50 && sum(closed, 'sluice_websocket_tunnels_active') !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    closed = await scrape(`${runtime.admin}/metrics`);
  }
  assert.equal(sum(closed, 'sluice_websocket_tunnels_active'), 0);
  assert.equal(sum(closed, 'kong_http_requests_total', { route: 'chat', code: '101' }), 1);
  assert.ok(sum(closed, 'kong_bandwidth_bytes', { route: 'chat', direction: 'ingress' }) > payload.length);
  assert.ok(sum(closed, 'kong_bandwidth_bytes', { route: 'chat', direction: 'egress' }) > payload.length);
});
