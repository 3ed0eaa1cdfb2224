// Runs on a worker thread: JWT decoding and verification for the jwt plugin, with Kong's
// jwt_parser.lua rules (what counts as a token, which error each flaw gets) and Node's crypto.
// Keys are made once per credential object (a WeakMap: the credential objects of an unchanged
// config stay the same across reconfigures), never per request.
import { constants, createHmac, createPublicKey, createSecretKey, timingSafeEqual, verify, type KeyObject } from 'node:crypto';
import type { JwtSecret } from '../../../config/types.ts';

export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  /** `header64.claims64`: what the signature covers. */
  signingInput: string;
  signature: Buffer;
  alg: string;
}

interface Algorithm {
  /** Node's digest name, or null (EdDSA picks its own). */
  digest: string | null;
  kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa';
}

const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  HS256: { digest: 'sha256', kind: 'hmac' },
  HS384: { digest: 'sha384', kind: 'hmac' },
  HS512: { digest: 'sha512', kind: 'hmac' },
  RS256: { digest: 'sha256', kind: 'rsa' },
  RS384: { digest: 'sha384', kind: 'rsa' },
  RS512: { digest: 'sha512', kind: 'rsa' },
  PS256: { digest: 'sha256', kind: 'pss' },
  PS384: { digest: 'sha384', kind: 'pss' },
  PS512: { digest: 'sha512', kind: 'pss' },
  ES256: { digest: 'sha256', kind: 'ecdsa' },
  ES384: { digest: 'sha384', kind: 'ecdsa' },
  ES512: { digest: 'sha512', kind: 'ecdsa' },
  EdDSA: { digest: null, kind: 'eddsa' },
};

/** Kong: base64url, padding optional. Returns null on characters outside the alphabet. */
function base64url(input: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(input)) return null;
  return Buffer.from(input, 'base64url');
}

/** Kong's decode_token: the error text follows "Bad token; ". */
export function decodeToken(token: string): DecodedToken | string {
  // Kong's tokenize(token, ".", 3): the third part keeps any further dots (and then fails to decode).
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  const header64 = first === -1 ? token : token.slice(0, first);
  const claims64 = first === -1 ? '' : second === -1 ? token.slice(first + 1) : token.slice(first + 1, second);
  const signature64 = second === -1 ? null : token.slice(second + 1);
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(decodeText(header64));
    claims = JSON.parse(decodeText(claims64));
  } catch {
    return 'invalid JSON';
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return 'invalid JSON';
  const alg = (header as Record<string, unknown>).alg;
  if (typeof alg !== 'string' || ALGORITHMS[alg] === undefined) return 'invalid alg';
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return 'invalid claims';
  const signature = signature64 === null ? null : base64url(signature64);
  if (signature === null) return 'invalid signature';
  return { header: header as Record<string, unknown>, claims: claims as Record<string, unknown>, signingInput: `${header64}.${claims64}`, signature, alg };
}

function decodeText(part: string): string {
  const bytes = base64url(part);
  if (bytes === null) throw new SyntaxError('not base64url');
  return bytes.toString('utf8');
}

/** A credential's key, ready to verify with; or why it cannot be. */
export type VerifyKey = { hmac: KeyObject; key: null } | { hmac: null; key: KeyObject } | { hmac: null; key: null };

const NO_KEY: VerifyKey = Object.freeze({ hmac: null, key: null });
const keys = new WeakMap<JwtSecret, { base64: VerifyKey | null; plain: VerifyKey | null }>();

/**
 * The key of `secret` for its algorithm: the HMAC secret (base64url-decoded when
 * `secretIsBase64`), else its public key, parsed once. NO_KEY when it has none that works.
 */
export function keyOf(secret: JwtSecret, secretIsBase64: boolean, onInvalid: (error: unknown) => void): VerifyKey {
  let cached = keys.get(secret);
  if (cached === undefined) keys.set(secret, (cached = { base64: null, plain: null }));
  const slot = secretIsBase64 ? 'base64' : 'plain';
  const hit = cached[slot];
  if (hit !== null) return hit;
  let made: VerifyKey = NO_KEY;
  if (secret.algorithm.startsWith('HS')) {
    if (typeof secret.secret === 'string') {
      // Kong decodes base64url (ngx decode_base64url): a secret in standard base64 with + or / fails.
      const bytes = secretIsBase64 ? base64url(secret.secret) : Buffer.from(secret.secret, 'utf8');
      // A KeyObject, not the Buffer: createHmac imports a Buffer key on every call (several times
      // the HMAC's own cost on a token this size); a KeyObject is imported once.
      if (bytes !== null) made = { hmac: createSecretKey(bytes), key: null };
    }
  } else if (typeof secret.rsa_public_key === 'string') {
    try {
      made = { hmac: null, key: createPublicKey(secret.rsa_public_key) };
    } catch (error) {
      onInvalid(error);
    }
  }
  cached[slot] = made;
  return made;
}

/** Checks the token's signature with `key` under the token's (already matched) algorithm. */
export function verifySignature(token: DecodedToken, key: VerifyKey): boolean {
  const algorithm = ALGORITHMS[token.alg]!;
  const data = Buffer.from(token.signingInput, 'latin1');
  if (algorithm.kind === 'hmac') {
    if (key.hmac === null) return false;
    const expected = createHmac(algorithm.digest!, key.hmac).update(data).digest();
    return expected.length === token.signature.length && timingSafeEqual(expected, token.signature);
  }
  if (key.key === null) return false;
  try {
    switch (algorithm.kind) {
      case 'rsa':
        return verify(algorithm.digest, data, key.key, token.signature);
      case 'pss':
        return verify(algorithm.digest, data, { key: key.key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, token.signature);
      case 'ecdsa':
        return verify(algorithm.digest, data, { key: key.key, dsaEncoding: 'ieee-p1363' }, token.signature);
      case 'eddsa':
        return verify(null, data, key.key, token.signature);
    }
  } catch {
    // A key of the wrong type for the algorithm, a malformed signature: not verified.
    return false;
  }
  return false;
}
