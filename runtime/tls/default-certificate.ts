// The TLS listener's settings on the primary thread: the default certificate (Kong's ssl_cert /
// ssl_cert_key, or, as Kong does without them, a self-signed one made at start: one per process,
// so every worker serves the same one) and the secret the session ticket keys derive from.
import { randomBytes, X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { generate } from 'selfsigned';
import type { Logger } from '../protocol/log.ts';
import type { PemPair, TlsListenerSettings } from '../protocol/tls-settings.ts';
import type { SslOptions } from '../cli.ts';

/** Kong's self-signed default: CN localhost, valid for years. */
const SELF_SIGNED_DAYS = 365 * 10;

export async function defaultCertificate(options: SslOptions, log: Logger): Promise<PemPair> {
  if (options.certFile !== null && options.keyFile !== null) {
    const pair = { cert: await readFile(options.certFile, 'utf8'), key: await readFile(options.keyFile, 'utf8') };
    checkPair(pair, options.certFile, options.keyFile);
    return pair;
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: 'commonName', value: 'localhost' }, { name: 'organizationName', value: 'Sluice' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + SELF_SIGNED_DAYS * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
    ],
  });
  const cert = new X509Certificate(pems.cert);
  log.warn({ subject: 'CN=localhost', fingerprint256: cert.fingerprint256, valid_to: cert.validTo }, 'no --ssl-cert: the TLS listener serves a self-signed certificate generated at start');
  return { cert: pems.cert, key: pems.private };
}

/** The key must be the certificate's; said at start, not at the first handshake. */
function checkPair(pair: PemPair, certFile: string, keyFile: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch (error) {
    throw new Error(`--ssl-cert ${certFile}: not a PEM certificate (${(error as Error).message})`, { cause: error });
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(pair.key));
  } catch {
    // The parser's message may quote the key's bytes: never repeat it.
    throw new Error(`--ssl-cert-key ${keyFile}: not a PEM private key`);
  }
  if (!matches) throw new Error(`--ssl-cert-key ${keyFile}: does not match the certificate in ${certFile}`);
}

export async function tlsListenerSettings(options: SslOptions, port: number, log: Logger): Promise<TlsListenerSettings> {
  return {
    host: options.host,
    port,
    ...(options.backlog === null ? {} : { backlog: options.backlog }),
    defaultCert: await defaultCertificate(options, log),
    handshakeTimeoutMs: options.handshakeTimeoutMs,
    ticketSecret: new Uint8Array(randomBytes(32)),
    ticketRotationMs: options.ticketRotationMs,
  };
}
