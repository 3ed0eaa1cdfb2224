// Where a proxied request goes (worker thread): the service's own host (an address of its DNS
// answer when the host is a name, workers/dns/service-hosts.ts), or a target its upstream's
// balancer picks, and the connection pool of that target (workers/upstream/pool.ts). The service's
// protocol applies to every target of the upstream it names; https targets get TLS with SNI = the
// upstream's host_header or the service host, verified as the service's tls_verify says, else as
// --upstream-tls-verify says (Kong's proxy_ssl_verify), against --upstream-trusted-ca or the
// system store.
//
// The pool of a (service, target) pair is worked out once and remembered on the target's object
// (a Service for direct targets, a balancer Peer otherwise), so the request path builds no key.
import type { Service } from '../../config/types.ts';
import type { Logger } from '../../runtime/protocol/log.ts';
import type { Balancer } from '../balancer/balancers.ts';
import type { Peer } from '../balancer/peer.ts';
import type { ServiceHosts } from '../dns/service-hosts.ts';
import type { TimerWheel } from '../timers/wheel.ts';
import { GrpcSessions } from '../grpc/sessions.ts';
import type { TargetPool, TargetTls, UpstreamConnector } from '../upstream/pool.ts';
import type { TlsState } from '../tls/state.ts';
import { TunnelStats } from './tunnel.ts';

export interface UpstreamTlsSettings {
  /** Verify https targets' certificates when the service does not say (Kong's proxy_ssl_verify). */
  verify: boolean;
}

/** What a request needs of its target: its pool and the Host header the upstream expects. */
export interface Target {
  readonly service: Service;
  readonly pool: TargetPool;
  readonly hostHeader: string;
  /** The TLS state it was made under: a certificate change makes it again. */
  readonly tlsState: TlsState | null;
}

export class Targets {
  readonly wheel: TimerWheel;
  readonly connector: UpstreamConnector;
  readonly log: Logger;
  readonly tls: UpstreamTlsSettings;
  /** WebSocket tunnels of this worker (proxy/tunnel.ts). */
  readonly tunnels = new TunnelStats();
  /** HTTP/2 sessions to the targets of grpc / grpcs services (workers/grpc/). */
  readonly grpc: GrpcSessions;
  readonly #memo = new WeakMap<object, Target>();

  constructor(connector: UpstreamConnector, tls: UpstreamTlsSettings, log: Logger) {
    this.connector = connector;
    this.wheel = connector.wheel;
    this.tls = tls;
    this.log = log;
    this.grpc = new GrpcSessions(connector.wheel, connector.trustedCa, connector.keepalive.idleTimeoutMs);
  }

  /**
   * The target of a service without an upstream entity, or null when its host is a name with no
   * usable answer (Kong's 503 "name resolution failed"). A host that is a name is connected to at
   * an address of the DNS thread's answer (`hosts`), picked round robin, with the name as Host
   * and SNI: no lookup on the request path. Only a name not answered yet is connected to by name.
   */
  direct(service: Service, hosts: ServiceHosts, tlsState: TlsState | null = null): Target | null {
    const host = hosts.byService.get(service.id);
    if (host !== undefined && host.addresses !== null) {
      const address = host.pick();
      if (address === null) return null;
      const known = this.#memo.get(address);
      if (known !== undefined && known.service === service && known.tlsState === tlsState && !known.pool.closing) return known;
      const target = this.#make(service, address.ip, address.port, null, service.host, tlsState);
      this.#memo.set(address, target);
      return target;
    }
    const known = this.#memo.get(service);
    if (known !== undefined && known.service === service && known.tlsState === tlsState && !known.pool.closing) return known;
    const target = this.#make(service, service.host, service.port, null, service.host, tlsState);
    this.#memo.set(service, target);
    return target;
  }

  /** The target of a balancer's peer for `service`. */
  peer(service: Service, balancer: Balancer, peer: Peer, tlsState: TlsState | null = null): Target {
    const known = this.#memo.get(peer);
    if (known !== undefined && known.service === service && known.tlsState === tlsState && !known.pool.closing) return known;
    const target = this.#make(service, peer.host, peer.port, balancer.upstream.host_header, peer.name, tlsState);
    this.#memo.set(peer, target);
    return target;
  }

  /** `host`: where to connect (a resolved address for a balancer peer); `name`: the target as named, for Host. */
  #make(service: Service, host: string, port: number, upstreamHostHeader: string | null, name: string, tlsState: TlsState | null): Target {
    const address = { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
    const scheme = upstreamScheme(service.protocol);
    let tls: TargetTls | null = null;
    if (scheme === 'https') {
      tls = {
        servername: upstreamHostHeader ?? service.host,
        verify: service.tls_verify ?? this.tls.verify,
        depth: service.tls_verify_depth,
        // client_certificate (mTLS) and ca_certificates, when the service names them.
        context: tlsState?.upstream(service) ?? null,
      };
    }
    return {
      service,
      tlsState,
      pool: this.connector.pool(scheme, address, tls),
      hostHeader: upstreamHostHeader ?? hostHeader(name, port, scheme),
    };
  }
}

/**
 * How a service's protocol reaches its targets: `ws` is http, `wss` https (Kong's WebSocket
 * services); `grpc` is cleartext, `grpcs` TLS (both HTTP/2: workers/grpc/).
 */
export function upstreamScheme(protocol: string): 'http' | 'https' {
  return protocol === 'https' || protocol === 'wss' || protocol === 'grpcs' ? 'https' : 'http';
}

export function hostHeader(host: string, port: number, protocol: string): string {
  return (protocol === 'https' && port === 443) || (protocol === 'http' && port === 80) ? host : `${host}:${port}`;
}

/** `protocol://host:port` of every target the state can send to: pools of other origins are closed. */
export function originOf(protocol: string, host: string, port: number): string {
  return `${upstreamScheme(protocol)}://${host.startsWith('[') ? host.slice(1, -1) : host}:${port}`;
}
