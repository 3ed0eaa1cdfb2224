// Schema of a Kong 3.x service. Pure data; any thread.
// `url` is expanded before this runs (see shorthands.ts); `port` is defaulted by protocol there too.
import { LIMITS } from '../limits.ts';
import { ABSOLUTE_PATH, ID, NAME, PORT, TAGS, bool, nullable, oneOf, record, refuse, timeout } from './common.ts';
import type { EntitySchema } from './common.ts';

export const services: EntitySchema = {
  schema: record(
    {
      id: ID,
      name: nullable(NAME),
      // Kong's stream protocols are valid Kong that Sluice does not proxy. ws / wss (Kong's
      // WebSocket services) reach their targets as http / https; any request on them is proxied, a
      // WebSocket handshake becomes a tunnel (workers/proxy/tunnel.ts). grpc / grpcs targets are
      // reached over HTTP/2 (h2c prior knowledge / TLS with ALPN h2: workers/grpc/).
      protocol: refuse(oneOf(['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'], 'http'), ['http', 'https', 'ws', 'wss', 'grpc', 'grpcs']),
      host: { type: 'string', minLength: 1, maxLength: LIMITS.hostLength },
      port: PORT,
      path: nullable(ABSOLUTE_PATH),
      retries: { type: 'integer', minimum: 0, maximum: 32767, default: 5 },
      connect_timeout: timeout(60000),
      write_timeout: timeout(60000),
      read_timeout: timeout(60000),
      enabled: bool(true),
      tags: TAGS,
      // Kong: verify the upstream's certificate when the protocol is https (null: proxy_ssl_verify).
      tls_verify: { type: ['boolean', 'null'], default: null },
      tls_verify_depth: { type: ['integer', 'null'], minimum: 0, maximum: 64, default: null },
      // A reference (`{id}` of a certificate): resolve.ts resolves it like any other, before this
      // schema runs; listed so the field is Kong's and named here.
      client_certificate: nullable({ type: 'object' }),
      // Ids of ca_certificates entities (tls-checks.ts checks they exist and that the protocol is https).
      ca_certificates: nullable({ type: 'array', maxItems: 256, uniqueItems: true, items: ID }),
    },
    ['host', 'port'],
  ),
  dropped: [],
};
