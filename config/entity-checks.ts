// Per-entity checks beyond the schema (Kong's `entity_checks` and custom validators), and the
// normalisations they imply (a target becomes `host:port`). Pure; runs on any thread.
// Each check looks only at fields that passed the schema, so one mistake yields one error.
import { isIP } from 'node:net';
import type { ErrorList } from './errors.ts';
import { isHostname, isServiceHost, parseTarget } from './hosts.ts';
import type { Item } from './item.ts';
import { checkFixedPath, checkRoute } from './route-checks.ts';
import { checkCaCertificate, checkCertificate, checkRouteSnis, checkServiceTls, checkSni } from './tls-checks.ts';

export function checkEntity(item: Item, errors: ErrorList): void {
  switch (item.kind ?? item.group) {
    case 'services':
      return checkService(item, errors);
    case 'routes':
      checkRouteSnis(item, errors);
      return checkRoute(item, errors);
    case 'upstreams':
      return checkUpstream(item, errors);
    case 'targets':
      return checkTarget(item, errors);
    case 'consumers':
      return atLeastOneOf(item, ['custom_id', 'username'], errors);
    case 'jwt_secrets':
      return checkJwtSecret(item, errors);
    case 'certificates':
      return checkCertificate(item, errors);
    case 'ca_certificates':
      return checkCaCertificate(item, errors);
    case 'snis':
      return checkSni(item, errors);
  }
}

function ok(item: Item, field: string): boolean {
  return !item.hasFailed(field);
}

function checkService(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (typeof v['host'] === 'string' && ok(item, 'host') && !isServiceHost(v['host'])) {
    // Reported on `host` even when it came from `url`, as Kong does after expanding the shorthand.
    errors.add(item, 'host', `invalid host: '${v['host']}' is not a valid hostname or IP address`);
  }
  checkServiceTls(item, errors);
  // Kong: a grpc(s) service has no path (grpc_pass forwards the request's own path).
  if ((v['protocol'] === 'grpc' || v['protocol'] === 'grpcs') && v['path'] !== null && v['path'] !== undefined && ok(item, 'path')) {
    errors.add(item, 'path', `value must be null (the protocol is '${v['protocol']}')`);
  } else if (typeof v['path'] === 'string' && ok(item, 'path')) {
    const msg = checkFixedPath(v['path']);
    if (msg !== null) errors.add(item, 'path', msg);
  }
}

// hash_on (and hash_fallback) values that need a companion field, as Kong's conditionals say.
const HASH_COMPANIONS: readonly [string, string, string][] = [
  ['hash_on', 'header', 'hash_on_header'],
  ['hash_fallback', 'header', 'hash_fallback_header'],
  ['hash_on', 'cookie', 'hash_on_cookie'],
  ['hash_fallback', 'cookie', 'hash_on_cookie'],
  ['hash_on', 'query_arg', 'hash_on_query_arg'],
  ['hash_fallback', 'query_arg', 'hash_fallback_query_arg'],
  ['hash_on', 'uri_capture', 'hash_on_uri_capture'],
  ['hash_fallback', 'uri_capture', 'hash_fallback_uri_capture'],
];

function checkUpstream(item: Item, errors: ErrorList): void {
  const v = item.value;
  const name = v['name'];
  if (typeof name === 'string' && ok(item, 'name')) {
    // The name is the virtual host a service's `host` refers to.
    if (isIP(name) !== 0) errors.add(item, 'name', 'Invalid name; no ip addresses allowed');
    else if (/:\d*$/.test(name)) errors.add(item, 'name', 'Invalid name; no port allowed');
    else if (!isHostname(name)) errors.add(item, 'name', 'Invalid name; must be a valid hostname');
  }
  if (!ok(item, 'hash_on') || !ok(item, 'hash_fallback')) return;
  for (const [field, value, companion] of HASH_COMPANIONS) {
    if (v[field] === value && (v[companion] === null || v[companion] === undefined) && ok(item, companion)) {
      errors.add(item, companion, `required field missing: needed when ${field} is '${value}'`);
    }
  }
  if ((v['hash_on'] === 'none' || v['hash_on'] === 'cookie') && v['hash_fallback'] !== 'none') {
    errors.add(item, 'hash_fallback', `expected one of: none (when hash_on is '${String(v['hash_on'])}')`);
  } else if (v['hash_fallback'] !== 'none' && v['hash_fallback'] === v['hash_on'] && v['hash_on'] !== 'header') {
    errors.add(item, 'hash_fallback', 'must differ from hash_on');
  }
}

function checkTarget(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (typeof v['target'] !== 'string' || !ok(item, 'target')) return;
  const parsed = parseTarget(v['target']);
  if (!parsed.ok) errors.add(item, 'target', parsed.message);
  // Normalised so `10.0.0.1` and `10.0.0.1:8000` are one target, with one id and one hash.
  else v['target'] = parsed.target;
}

const ASYMMETRIC = /^(RS|ES|PS)\d+$|^EdDSA$/;

function checkJwtSecret(item: Item, errors: ErrorList): void {
  const v = item.value;
  if (typeof v['algorithm'] !== 'string' || !ok(item, 'algorithm')) return;
  if (ASYMMETRIC.test(v['algorithm'])) {
    if (v['rsa_public_key'] === null && ok(item, 'rsa_public_key')) {
      errors.add(item, 'rsa_public_key', `required field missing: needed when algorithm is '${v['algorithm']}'`);
    }
  }
  // A missing HMAC `secret` is generated, as Kong does (config/generated.ts).
}

function atLeastOneOf(item: Item, fields: readonly string[], errors: ErrorList): void {
  if (fields.some((f) => item.hasFailed(f))) return;
  if (fields.every((f) => item.value[f] === null || item.value[f] === undefined)) {
    errors.add(item, '', `at least one of these fields must be non-empty: ${fields.map((f) => `'${f}'`).join(', ')}`);
  }
}
