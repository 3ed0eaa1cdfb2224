// Certificates made at test time (selfsigned; never written outside a temp dir) and a TLS client
// that reports what the handshake gave: certificate subject, resumption, version, session ticket.
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import type { OutgoingHttpHeaders } from 'node:http';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';

export interface Pems {
  cert: string;
  key: string;
}

export async function makeCa(name: string): Promise<Pems> {
  const pems = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A leaf for `names` (the first is the CN; all are DNS SANs), signed by `ca` or self-signed. */
export async function makeLeaf(names: string[], options: { ca?: Pems; keyType?: 'rsa' | 'ec'; notAfter?: Date; notBefore?: Date; clientAuth?: boolean } = {}): Promise<Pems> {
  const notBeforeDate = options.notBefore ?? new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: names[0]! }], {
    keyType: options.keyType ?? 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: options.notAfter ?? new Date(notBeforeDate.getTime() + 30 * 86_400_000),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true, clientAuth: options.clientAuth ?? false },
      { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2 as const, value })) },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

export interface TlsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The CN of the certificate the server presented (from the ticket's peer on resumption: '' then under TLS 1.3). */
  subject: string;
  reused: boolean;
  protocol: string | null;
  /** The session to resume with (the last ticket the server sent). */
  session: Buffer | null;
}

export interface TlsRequestOptions {
  servername?: string;
  ca?: string;
  session?: Buffer;
  method?: string;
  path?: string;
  headers?: OutgoingHttpHeaders;
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

/** One HTTPS request on a fresh connection (no agent), `Connection: close`. */
export function tlsRequest(base: string, options: TlsRequestOptions = {}): Promise<TlsReply> {
  const url = new URL(options.path ?? '/', base);
  return new Promise((resolve, reject) => {
    let session: Buffer | null = null;
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        agent: false,
        headers: { connection: 'close', ...options.headers },
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca }),
        ...(options.session === undefined ? {} : { session: options.session }),
        ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
        ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const subject = certSubject(socket.getPeerCertificate());
        const reused = socket.isSessionReused();
        const protocol = socket.getProtocol();
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          // A TLS 1.3 ticket may arrive after the response: wait for the close.
          const done = (): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), subject, reused, protocol, session });
          if (socket.destroyed) done();
          else socket.once('close', done);
        });
      },
    );
    req.on('socket', (socket) => socket.on('session', (ticket: Buffer) => (session = ticket)));
    req.on('error', reject);
    req.end();
  });
}

function certSubject(cert: PeerCertificate): string {
  const cn = (cert as Partial<PeerCertificate>).subject?.CN;
  return Array.isArray(cn) ? cn.join(',') : (cn ?? '');
}

/** A bare handshake (no HTTP): what certificate `servername` gets. */
export async function handshake(port: number, options: { servername?: string; ca?: string; session?: Buffer } = {}): Promise<{ subject: string; authorized: boolean; error: string | null; session: Buffer | null; reused: boolean }> {
  const socket = connect({
    host: '127.0.0.1',
    port,
    ...(options.servername === undefined ? {} : { servername: options.servername }),
    ...(options.ca === undefined ? { rejectUnauthorized: false } : { ca: options.ca, rejectUnauthorized: false }),
    ...(options.session === undefined ? {} : { session: options.session }),
  });
  let session: Buffer | null = null;
  socket.on('session', (ticket: Buffer) => (session = ticket));
  const [outcome] = await Promise.race([once(socket, 'secureConnect').then(() => ['ok'] as const), once(socket, 'error').then(([error]) => [String((error as Error).message)] as const)]);
  if (outcome !== 'ok') {
    socket.destroy();
    return { subject: '', authorized: false, error: outcome, session: null, reused: false };
  }
  const result = { subject: certSubject(socket.getPeerCertificate()), authorized: socket.authorized, error: options.ca !== undefined && !socket.authorized ? String(socket.authorizationError) : null, reused: socket.isSessionReused() };
  // Under TLS 1.3 the ticket follows the handshake: read until the server's close.
  socket.end();
  socket.resume();
  await once(socket, 'close');
  return { ...result, session };
}
