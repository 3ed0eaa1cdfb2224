// Signs test JWTs with Node's crypto, independently of the plugin's verifier.
import { constants, createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface KeyPair {
  privateKey: KeyObject;
  publicPem: string;
}

export function keyPair(kind: 'rsa' | 'P-256' | 'P-384' | 'P-521' | 'ed25519'): KeyPair {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ed25519'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('ec', { namedCurve: kind });
  return { privateKey: pair.privateKey, publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact JWT: `alg` in the header, `claims` as given, signed with `key` (a secret for HS*). */
export function signToken(alg: string, claims: Record<string, unknown>, key: string | Buffer | KeyObject, header: Record<string, unknown> = {}): string {
  const input = `${b64({ typ: 'JWT', alg, ...header })}.${b64(claims)}`;
  const data = Buffer.from(input);
  const digest = alg === 'EdDSA' ? null : `sha${alg.slice(2)}`;
  let signature: Buffer;
  if (alg.startsWith('HS')) signature = createHmac(digest!, key as string | Buffer).update(data).digest();
  else if (alg.startsWith('RS')) signature = sign(digest, data, key as KeyObject);
  else if (alg.startsWith('PS')) signature = sign(digest, data, { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
  else if (alg.startsWith('ES')) signature = sign(digest, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign(null, data, key as KeyObject);
  return `${input}.${signature.toString('base64url')}`;
}
