// gRPC on the TLS port (h2 by ALPN) through a spawned `node runtime`: a grpcs route to a grpc
// (h2c) service and to a grpcs service (TLS with ALPN h2 to the target, verified against
// --upstream-trusted-ca with the upstream's host_header as the name), with a real @grpc/grpc-js
// client and servers; every kind of call on both. Certificates are made at test time.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, test } from 'node:test';
import { echoClient, grpc, startEchoServer, unary, type EchoClient, type EchoServer } from '../helpers/grpc.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { makeCa, makeLeaf, type Pems } from '../helpers/tls.ts';

let runtime: Runtime;
let plain: EchoServer;
let secure: EchoServer;
let ca: Pems;
const clients: EchoClient[] = [];

before(async () => {
  ca = await makeCa('gRPC Test CA');
  const gateway = await makeLeaf(['grpc.test'], { ca });
  const upstreamCert = await makeLeaf(['upstream.test'], { ca });
  plain = await startEchoServer(['test.Echo']);
  secure = await startEchoServer(['test.Secure'], grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(upstreamCert.key), cert_chain: Buffer.from(upstreamCert.cert) }], false));
  const config = await writeConfig(`_format_version: "3.0"
upstreams:
  - name: secure-upstream
    host_header: upstream.test
    targets:
      - target: 127.0.0.1:${secure.port}
services:
  - name: plain
    url: grpc://127.0.0.1:${plain.port}
    routes:
      - name: plain
        protocols: [grpcs]
        paths: [/test.Echo/]
  - name: secure
    protocol: grpcs
    host: secure-upstream
    port: 443
    routes:
      - name: secure
        protocols: [grpcs]
        snis: [grpc.test]
        paths: [/test.Secure/]
`);
  const caFile = await writeConfig(ca.cert, 'ca.pem');
  const certFile = await writeConfig(gateway.cert, 'cert.pem');
  const keyFile = await writeConfig(gateway.key, 'key.pem');
  runtime = await startRuntime(['--config', config, '--workers', '1', '--ssl-cert', certFile, '--ssl-cert-key', keyFile, '--upstream-tls-verify', '--upstream-trusted-ca', caFile]);
});

after(async () => {
  for (const c of clients) c.close();
  await runtime?.stop();
  await plain?.close();
  await secure?.close();
});

function tlsClient(service: string): EchoClient {
  const address = new URL(runtime.proxySsl).host;
  const client = echoClient(address, service, grpc.credentials.createSsl(Buffer.from(ca.cert)), { 'grpc.ssl_target_name_override': 'grpc.test', 'grpc.default_authority': 'grpc.test' });
  clients.push(client);
  return client;
}

async function everyKindOfCall(client: EchoClient, server: EchoServer): Promise<void> {
  const r = await unary(client, { over: 'tls' });
  assert.equal(r.error, null, String(r.error));
  assert.deepEqual(r.value!['echo'], { over: 'tls' });
  assert.deepEqual(r.trailers!.get('x-echo-trailer'), ['t1']);
  assert.equal(server.stats.lastMetadata['x-forwarded-proto'], 'https');

  const failed = await unary(client, { fail: grpc.status.ABORTED });
  assert.equal(failed.error?.code, grpc.status.ABORTED);
  assert.deepEqual(failed.trailers!.get('x-reason'), ['asked-to-fail']);

  let count = 0;
  for await (const message of client.Stream(Buffer.from(JSON.stringify({ count: 30, size: 4096 })))) count += (message as Buffer).length === 4096 ? 1 : 0;
  assert.equal(count, 30);

  const collected = await new Promise<string>((resolve, reject) => {
    const call = client.Collect(new grpc.Metadata(), (error, res) => (error !== null ? reject(error) : resolve(res!.toString())));
    for (let i = 0; i < 10; i++) call.write(Buffer.alloc(10));
    call.end();
  });
  assert.deepEqual(JSON.parse(collected), { messages: 10, bytes: 100 });

  const chat = client.Chat();
  const echoes: string[] = [];
  chat.on('data', (b: Buffer) => {
    echoes.push(b.toString());
    if (echoes.length < 3) chat.write(Buffer.from(`n${echoes.length}`));
    else chat.end();
  });
  chat.write(Buffer.from('n0'));
  await once(chat, 'end');
  assert.deepEqual(echoes, ['echo:n0', 'echo:n1', 'echo:n2']);
}

test('a grpcs route on the TLS port to a grpc (h2c) service: every kind of call', async () => {
  await everyKindOfCall(tlsClient('test.Echo'), plain);
});

test('a grpcs route to a grpcs service: TLS with ALPN h2 to the target, verified, every kind of call', async () => {
  await everyKindOfCall(tlsClient('test.Secure'), secure);
});
