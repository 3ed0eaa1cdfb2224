// Checks of `certificates`, `snis`, `ca_certificates` and of the TLS fields of routes and services
// (Kong's entity checks and custom validators for them). Pure; runs on any thread.
// A PEM is parsed here, once per config load, so a worker never meets a certificate it cannot
// load. No message ever quotes a private key, nor an OpenSSL message about one (it may echo bytes).
import { createHash, createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import type { ErrorList } from './errors.ts';
import { isHostname } from './hosts.ts';
import type { Item } from './item.ts';

const CERT_TAG = '-----BEGIN CERTIFICATE-----';

function ok(item: Item, field: string): boolean {
  return !item.hasFailed(field);
}

function parseCert(item: Item, field: string, errors: ErrorList): X509Certificate | null {
  const pem = item.value[field];
  if (typeof pem !== 'string' || !ok(item, field)) return null;
  if (!pem.includes(CERT_TAG)) {
    errors.add(item, field, 'invalid certificate: not a PEM certificate (no -----BEGIN CERTIFICATE----- block)');
    return null;
  }
  try {
    return new X509Certificate(pem);
  } catch (error) {
    errors.add(item, field, `invalid certificate: ${(error as Error).message}`);
    return null;
  }
}

function parseKey(item: Item, field: string, errors: ErrorList): KeyObject | null {
  const pem = item.value[field];
  if (typeof pem !== 'string' || !ok(item, field)) return null;
  try {
    return createPrivateKey(pem);
  } catch (error) {
    const encrypted = (error as { code?: string }).code === 'ERR_MISSING_PASSPHRASE';
    errors.add(item, field, encrypted ? 'invalid key: the key is encrypted (a passphrase-protected key cannot be loaded)' : 'invalid key: not a PEM private key');
    return null;
  }
}

const PROBE = Buffer.from('sluice certificate/key pair check');

/**
 * The key is the certificate's: their public keys agree and a signature made with the key verifies
 * with the certificate. The signature matters: a PKCS#8 EC key carries its public key beside the
 * private one, and OpenSSL compares only that copy, so a key whose private part was altered (or
 * spliced from another key) passes the comparison and then fails every handshake.
 */
function keyMatches(cert: X509Certificate, key: KeyObject): boolean {
  if (!cert.checkPrivateKey(key)) return false;
  const digest = key.asymmetricKeyType === 'ed25519' || key.asymmetricKeyType === 'ed448' ? null : 'sha256';
  try {
    return verify(digest, PROBE, cert.publicKey, sign(digest, PROBE, key));
  } catch {
    return false;
  }
}

/** Warns (does not refuse, as Kong) on a certificate outside its validity period. */
function warnDates(item: Item, field: string, cert: X509Certificate, errors: ErrorList, now: number): void {
  const notAfter = Date.parse(cert.validTo);
  const notBefore = Date.parse(cert.validFrom);
  if (notAfter < now) errors.warn(item, field, `certificate expired on ${new Date(notAfter).toISOString()} (clients will refuse it)`);
  else if (notBefore > now) errors.warn(item, field, `certificate not valid before ${new Date(notBefore).toISOString()} (clients will refuse it until then)`);
}

export function checkCertificate(item: Item, errors: ErrorList, now = Date.now()): void {
  const v = item.value;
  const cert = parseCert(item, 'cert', errors);
  const key = parseKey(item, 'key', errors);
  if (cert !== null && key !== null && !keyMatches(cert, key)) errors.add(item, 'key', 'certificate does not match key');
  if (cert !== null) warnDates(item, 'cert', cert, errors, now);
  const hasAlt = v['cert_alt'] !== null && v['cert_alt'] !== undefined;
  const hasAltKey = v['key_alt'] !== null && v['key_alt'] !== undefined;
  if (hasAlt !== hasAltKey) {
    // Kong's mutually_required.
    errors.add(item, hasAlt ? 'key_alt' : 'cert_alt', `required field missing: 'cert_alt' and 'key_alt' go together`);
    return;
  }
  if (!hasAlt) return;
  const certAlt = parseCert(item, 'cert_alt', errors);
  const keyAlt = parseKey(item, 'key_alt', errors);
  if (certAlt !== null && keyAlt !== null && !keyMatches(certAlt, keyAlt)) errors.add(item, 'key_alt', 'alternative certificate does not match key');
  if (certAlt !== null) warnDates(item, 'cert_alt', certAlt, errors, now);
  if (cert !== null && certAlt !== null && cert.publicKey.asymmetricKeyType === certAlt.publicKey.asymmetricKeyType) {
    errors.add(item, 'cert_alt', 'certificate and alternative certificate need to have different type (e.g. RSA and ECDSA), the provided certificates were both of the same type');
  }
}

export function checkCaCertificate(item: Item, errors: ErrorList, now = Date.now()): void {
  const pem = item.value['cert'];
  if (typeof pem !== 'string' || !ok(item, 'cert')) return;
  const first = pem.indexOf(CERT_TAG);
  if (first !== -1 && pem.indexOf(CERT_TAG, first + CERT_TAG.length) !== -1) {
    errors.add(item, 'cert', 'please submit only one certificate at a time');
    return;
  }
  const cert = parseCert(item, 'cert', errors);
  if (cert === null) return;
  if (Date.parse(cert.validTo) < now) errors.add(item, 'cert', 'certificate expired, "Not After" time is in the past');
  else if (!cert.ca) errors.add(item, 'cert', 'certificate does not appear to be a CA because it is missing the "CA" basic constraint');
  // Kong's cert_digest: SHA-256 of the DER, hex; what an export wrote is replaced.
  item.value['cert_digest'] = createHash('sha256').update(cert.raw).digest('hex');
}

/** Kong's wildcard_host for an SNI name (plus its catch-all `*`); an error message or null. */
export function checkSniName(name: string): string | null {
  if (name === '*') return null;
  let host = name;
  const star = name.indexOf('*');
  if (star !== -1) {
    if (star !== 0 && star !== name.length - 1) return 'wildcard must be leftmost or rightmost character';
    if (name.indexOf('*', star + 1) !== -1) return 'only one wildcard must be specified';
    if (star === 0 && !name.startsWith('*.')) return `invalid value: ${name}`;
    if (star !== 0 && !name.endsWith('.*')) return `invalid value: ${name}`;
    host = name.replace('*', 'wildcard');
  }
  return checkServerName(host);
}

/** Kong's `sni` typedef (route snis, traditional router): a host name, no IP, no port. */
export function checkServerName(name: string): string | null {
  if (isIP(name) !== 0 || (name.startsWith('[') && name.endsWith(']'))) return 'must not be an IP';
  if (/:\d*$/.test(name)) return 'must not have a port';
  return isHostname(name) ? null : `invalid value: ${name}`;
}

export function checkSni(item: Item, errors: ErrorList): void {
  const name = item.value['name'];
  if (typeof name !== 'string' || !ok(item, 'name')) return;
  const message = checkSniName(name);
  if (message !== null) errors.add(item, 'name', message);
  // Server names are case-insensitive; the table is looked up in lower case.
  else item.value['name'] = name.toLowerCase();
}

/**
 * Route `snis`: refused only when no protocol of the route speaks TLS (Kong's conditional on
 * protocols), so an [http, https] route may carry snis; the router ignores them for a request over
 * plain HTTP, as Kong's routers do. A trailing dot is dropped.
 */
export function checkRouteSnis(item: Item, errors: ErrorList): void {
  const v = item.value;
  const snis = v['snis'];
  if (!Array.isArray(snis) || item.hasFailed('snis') || snis.length === 0) return;
  const protocols = v['protocols'];
  if (Array.isArray(protocols) && !item.hasFailed('protocols') && protocols.every((p) => p !== 'https' && p !== 'grpcs')) {
    errors.add(item, 'snis', "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or 'tls_passthrough'");
    return;
  }
  snis.forEach((sni, i) => {
    if (typeof sni !== 'string') return;
    const message = checkServerName(sni.length > 1 && sni.endsWith('.') ? sni.slice(0, -1) : sni);
    if (message !== null) errors.add(item, `snis.${i}`, message);
  });
  if (!item.hasFailed('snis')) v['snis'] = [...new Set(snis.map((sni: string) => (sni.length > 1 && sni.endsWith('.') ? sni.slice(0, -1) : sni).toLowerCase()))].sort();
}

/** Service TLS fields need an https service (Kong's conditionals on protocol). */
export function checkServiceTls(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (v['protocol'] === 'https' || item.hasFailed('protocol')) return;
  for (const field of ['tls_verify', 'tls_verify_depth', 'ca_certificates'] as const) {
    if (v[field] !== null && v[field] !== undefined && ok(item, field)) errors.add(item, field, "value must be null (the protocol is not 'https')");
  }
  if (item.refs.client_certificate !== null && item.refs.client_certificate !== undefined) errors.add(item, 'client_certificate', "value must be null (the protocol is not 'https')");
}

/** A service's ca_certificates name ca_certificates entities (after ids are resolved). */
export function checkServiceCaRefs(services: readonly Item[], caIds: ReadonlySet<string>, errors: ErrorList): void {
  for (const item of services) {
    const list = item.value['ca_certificates'];
    if (!Array.isArray(list) || item.hasFailed('ca_certificates')) continue;
    list.forEach((id, i) => {
      if (typeof id !== 'string') return;
      const lower = id.toLowerCase();
      if (!caIds.has(lower)) errors.add(item, `ca_certificates.${i}`, `invalid reference 'ca_certificates: ${id}' (no such entry in 'ca_certificates')`);
      else list[i] = lower;
    });
  }
}
