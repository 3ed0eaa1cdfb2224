// The embedded default config's upstream (primary thread, loopback only, and only while the default
// config is in use): `/welcome` describes the gateway, any other path echoes the request back.
import { createServer, type Server } from 'node:http';
import type { Snapshot } from '../config/types.ts';

export const ECHO_HOST = '127.0.0.1';
export const ECHO_PORT = 8002;

export interface WelcomeInfo {
  version: string;
  adminUrl: string;
  snapshot: () => Snapshot;
}

export function startEchoUpstream(welcome: WelcomeInfo): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://echo');
    let body: unknown;
    if (url.pathname === '/welcome') {
      const snapshot = welcome.snapshot();
      body = {
        message: 'Welcome to Sluice, a multi-core API gateway for Node.js. This is the embedded default config.',
        version: welcome.version,
        admin_api: welcome.adminUrl,
        configuration_hash: snapshot.hash,
        routes: Object.values(snapshot.entities.routes).map((route) => ({
          name: route.name,
          paths: route.paths,
          methods: route.methods,
          service: route.service === null ? null : (snapshot.entities.services[route.service.id]?.name ?? route.service.id),
        })),
        next: 'Load your own Kong 3.x declarative config with `node runtime --config kong.yaml` or POST it to the Admin API /config.',
      };
      req.resume();
      return reply();
    }
    let size = 0;
    req.on('data', (chunk: Buffer) => (size += chunk.length));
    req.on('end', () => {
      body = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body_bytes: size };
      reply();
    });
    function reply(): void {
      const payload = JSON.stringify(body, null, 2) + '\n';
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(ECHO_PORT, ECHO_HOST, () => resolve(server));
  });
}
