// The TLS part of a worker's state (worker thread), rebuilt only when the certificates, snis or
// ca_certificates groups change (reason `tls` in /workers and sluice_rebuilds_total; state.ts):
//   sni       the SNI → secure context table the TLS listener selects certificates from; swapped
//             into the listener whole (no restart: handshakes under way keep the old table,
//             connections already up are untouched, the next handshake sees the new one);
//   upstream  per service, the secure context of its TLS to the upstream when it names a
//             client_certificate (mTLS) or ca_certificates (its own trust store instead of
//             --upstream-trusted-ca), made on first use and shared by services naming the same ones.
// The config layer parsed every PEM already (config/tls-checks.ts), so building cannot meet one
// it cannot load; a context is built once per certificate, however many SNIs name it.
import type { SecureContext } from 'node:tls';
import type { Entities, Service } from '../../config/types.ts';
import { SniTable } from './sni-table.ts';
import { secureContext } from './listener.ts';
import { createSecureContext } from 'node:tls';

/** What a service's upstream TLS needs beyond the connector's defaults. */
export interface UpstreamTlsContext {
  readonly context: SecureContext;
  /** Tells pools apart: connections made with one context never serve another. */
  readonly key: string;
}

export class TlsState {
  readonly sni: SniTable;
  readonly #entities: Pick<Entities, 'certificates' | 'ca_certificates'>;
  readonly #trustedCa: string | null;
  /** Contexts by `client certificate id | ca ids`; null: the connector's defaults do. */
  readonly #upstream = new Map<string, UpstreamTlsContext | null>();
  /** This state's identity in pool keys: a certificate edited in place (same id) gets new pools. */
  readonly generation: number;

  constructor(entities: Pick<Entities, 'certificates' | 'snis' | 'ca_certificates'>, trustedCa: string | null, generation: number) {
    this.#entities = entities;
    this.#trustedCa = trustedCa;
    this.generation = generation;
    const byCertificate = new Map<string, SecureContext>();
    const byName = new Map<string, SecureContext>();
    for (const id in entities.snis) {
      const sni = entities.snis[id]!;
      let context = byCertificate.get(sni.certificate.id);
      if (context === undefined) {
        const certificate = entities.certificates[sni.certificate.id];
        if (certificate === undefined) continue;
        context =
          certificate.cert_alt === null || certificate.key_alt === null
            ? secureContext({ cert: certificate.cert, key: certificate.key })
            : secureContext({ cert: [certificate.cert, certificate.cert_alt], key: [certificate.key, certificate.key_alt] });
        byCertificate.set(sni.certificate.id, context);
      }
      byName.set(sni.name, context);
    }
    this.sni = new SniTable(byName);
  }

  /** The upstream TLS of `service`, or null when the connector's defaults do (no client certificate, no ca_certificates). */
  upstream(service: Service): UpstreamTlsContext | null {
    const client = service.client_certificate?.id ?? null;
    const cas = service.ca_certificates ?? null;
    if (client === null && (cas === null || cas.length === 0)) return null;
    const key = `${client ?? ''}|${cas === null ? '' : cas.join(',')}`;
    let made = this.#upstream.get(key);
    if (made === undefined) {
      made = this.#make(client, cas, `${this.generation}:${key}`);
      this.#upstream.set(key, made);
    }
    return made;
  }

  #make(client: string | null, cas: string[] | null, key: string): UpstreamTlsContext | null {
    const certificate = client === null ? undefined : this.#entities.certificates[client];
    const ca = cas === null || cas.length === 0 ? this.#trustedCa : cas.map((id) => this.#entities.ca_certificates[id]?.cert ?? '').filter((pem) => pem !== '');
    const context = createSecureContext({
      ...(certificate === undefined ? {} : { cert: certificate.cert, key: certificate.key }),
      // Kong: the service's ca_certificates are its whole trust store; without them the global one.
      ...(ca === null ? {} : { ca }),
    });
    return { context, key };
  }
}

let generations = 0;

export function buildTlsState(entities: Pick<Entities, 'certificates' | 'snis' | 'ca_certificates'>, trustedCa: string | null): TlsState {
  return new TlsState(entities, trustedCa, ++generations);
}
