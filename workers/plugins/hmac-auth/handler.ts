// Runs on a worker thread: hmac-auth, as Kong 3.x's kong/plugins/hmac-auth/access.lua behaves.
// The request carries `Authorization` (or `Proxy-Authorization`, tried first):
//   hmac username="alice", algorithm="hmac-sha256", headers="date @request-target", signature="<base64>"
// and a `Date` or `X-Date` within `clock_skew` seconds. The signing string is, per listed header,
// `name: value` (`@request-target` is `<method lower-cased> <path?query>`, `request-line` is
// `<METHOD> <path?query> HTTP/<version>`, an absent header is `name:`), joined with "\n", signed
// with the credential's secret. `enforce_headers` must all be signed; `algorithms` limits the
// algorithm; `validate_request_body` checks `Digest: SHA-256=<base64 sha256 of the body>` (no
// Digest: the body must be empty). Failures answer 401 with Kong's messages and
// `WWW-Authenticate: hmac[ realm="..."]`, or fall back to the `anonymous` consumer.
// A signature that verified is remembered (bounded, per instance) with the credential object it
// verified against: a client at many requests per second signs the same Date and target again
// within that second, and the HMAC is most of this plugin's cost. A hit needs everything the
// signature is a function of to be equal (username, algorithm, signature, the signing string built
// from this request): it is exactly the answer the HMAC would give, never skips the clock-skew or body
// checks, and counts only while the username still names that very credential object (a changed
// or removed credential is a new index with new objects). It holds signatures, which travel in
// the clear and are useless past the clock skew, never secrets; failures are never stored, so
// guesses cannot fill it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { schema, type Config } from '../../../config/plugins/hmac-auth.ts';
import type { Consumer, HmacAuthCredential } from '../../../config/types.ts';
import type { CredentialMatch } from '../../credentials.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { alreadyAuthenticated, failAuth, failure, setConsumer, type AuthFailure } from '../auth-common.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { parseHmacAuthorization } from './authorization.ts';

const DIGESTS: Readonly<Record<string, string>> = { 'hmac-sha1': 'sha1', 'hmac-sha256': 'sha256', 'hmac-sha384': 'sha384', 'hmac-sha512': 'sha512' };
/**
 * The longest body `validate_request_body` reads. Kong reads it from nginx's client body buffer
 * (8 KiB by default) and fails a longer one; Sluice reads up to this, in memory, then fails.
 */
export const MAX_VALIDATED_BODY_BYTES = 1024 * 1024;
// nginx's parse_http_time formats: RFC 1123, RFC 850, asctime.
const HTTP_DATE = /^(?:[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;

/** The most signatures remembered per instance, and the longest signing string remembered. */
const VERIFIED_MAX_ENTRIES = 512;
const VERIFIED_MAX_SIGNING = 2048;

/** A signature that verified: what it was computed over, and the credential object it verified against. */
class Verified {
  readonly username: string;
  readonly algorithm: string;
  readonly signing: string;
  readonly credential: HmacAuthCredential;
  readonly consumer: Consumer;

  constructor(signed: Signed, signing: string, credential: HmacAuthCredential, consumer: Consumer) {
    this.username = signed.username;
    this.algorithm = signed.algorithm;
    this.signing = signing;
    this.credential = credential;
    this.consumer = consumer;
  }
}

/** Shared by every request that resends the same header: read only. */
interface Signed {
  readonly username: string;
  readonly algorithm: string;
  readonly headers: readonly string[];
  readonly signature: string;
}

class HmacAuth implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #algorithms: ReadonlySet<string>;
  readonly #unauthorized: AuthFailure;
  readonly #noDate: AuthFailure;
  readonly #notValid: AuthFailure;
  readonly #notSame: AuthFailure;
  /** signature (as given) → what it verified over (insertion order: the oldest goes first when full). */
  readonly #verified = new Map<string, Verified>();
  /** The last Date/X-Date value seen and its epoch seconds (NaN: not an HTTP date). */
  #lastDate = '';
  #lastDateAt = NaN;
  /** The last Authorization/Proxy-Authorization value parsed and its fields (the parse is a pure function of it). */
  #lastCredentials = '';
  #lastSigned: Signed | null = null;

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#env = env;
    this.#algorithms = new Set(config.algorithms);
    const challenge = { 'WWW-Authenticate': config.realm === null ? 'hmac' : `hmac realm="${config.realm}"` };
    this.#unauthorized = failure(401, { message: 'Unauthorized' }, challenge);
    this.#noDate = failure(401, { message: 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication' }, challenge);
    this.#notValid = failure(401, { message: 'HMAC signature cannot be verified' }, challenge);
    this.#notSame = failure(401, { message: 'HMAC signature does not match' }, challenge);
  }

  access(ctx: RequestContext): void | Promise<void> {
    const anonymous = this.#config.anonymous;
    if (alreadyAuthenticated(ctx, anonymous)) return;
    const result = this.#authenticate(ctx);
    if (result === null) return;
    if (result instanceof Promise) return result.then((failed) => this.#finish(ctx, failed));
    this.#finish(ctx, result);
  }

  #finish(ctx: RequestContext, failed: AuthFailure | null): void {
    if (failed !== null) failAuth(ctx, this.#env, 'hmac-auth', this.#config.anonymous, failed);
  }

  /** null when authenticated; a promise only while the body is read for `validate_request_body`. */
  #authenticate(ctx: RequestContext): AuthFailure | null | Promise<AuthFailure | null> {
    const config = this.#config;
    const headers = ctx.req.headers;
    const authorization = headers.authorization;
    const proxyAuthorization = headers['proxy-authorization'];
    if (authorization === undefined && proxyAuthorization === undefined) return this.#unauthorized;
    if (!this.#withinSkew(headers['x-date']) && !this.#withinSkew(headers.date)) return this.#noDate;
    let signed = this.#parse(proxyAuthorization);
    if (signed === null) {
      signed = this.#parse(authorization);
      if (config.hide_credentials) ctx.setUpstreamHeader('authorization', null);
    } else if (config.hide_credentials) {
      ctx.setUpstreamHeader('proxy-authorization', null);
    }
    if (signed === null || !this.#validParams(signed)) return this.#notValid;
    const match = this.#env.credentials().hmacAuth(signed.username);
    if (match === null) return this.#notValid;
    if (!this.#sameSignature(ctx, signed, match)) return this.#notSame;
    if (!config.validate_request_body) return this.#authenticated(ctx, match);
    const body = ctx.readBody(MAX_VALIDATED_BODY_BYTES);
    if (body instanceof Promise) return body.then((read) => (validDigest(ctx, read) ? this.#authenticated(ctx, match) : this.#notSame));
    return validDigest(ctx, body) ? this.#authenticated(ctx, match) : this.#notSame;
  }

  #authenticated(ctx: RequestContext, match: CredentialMatch): null {
    setConsumer(ctx, match.consumer, match.credential, (match.credential as HmacAuthCredential).username);
    return null;
  }

  /** Kong's create_hash over the listed headers against the given signature, or the memo of an earlier one. */
  #sameSignature(ctx: RequestContext, signed: Signed, match: CredentialMatch): boolean {
    const signing = signingString(ctx, signed.headers);
    const credential = match.credential as HmacAuthCredential;
    // Keyed by the short signature; a hit must match everything the signature is a function of.
    const verified = this.#verified;
    const hit = verified.get(signed.signature);
    if (hit !== undefined) {
      if (hit.signing === signing && hit.username === signed.username && hit.algorithm === signed.algorithm && hit.credential === credential && hit.consumer === match.consumer) return true;
      verified.delete(signed.signature);
    }
    if (!sameSignature(signed, signing, credential.secret)) return false;
    if (signing.length <= VERIFIED_MAX_SIGNING && signed.signature.length <= 128) {
      if (verified.size >= VERIFIED_MAX_ENTRIES) verified.delete(verified.keys().next().value!);
      verified.set(signed.signature, new Verified(signed, signing, credential, match.consumer));
    }
    return true;
  }

  /** Kong's retrieve_hmac_fields; the fields of the last value are kept (a client resends its signature within the second). */
  #parse(header: string | undefined): Signed | null {
    if (header === undefined) return null;
    if (header !== this.#lastCredentials) {
      this.#lastCredentials = header;
      this.#lastSigned = parse(header);
    }
    return this.#lastSigned;
  }

  /** `date` within clock_skew of now; the parse of the last value is kept (clients resend it all second). */
  #withinSkew(date: string | string[] | undefined): boolean {
    if (typeof date !== 'string') return false;
    if (date !== this.#lastDate) {
      this.#lastDate = date;
      this.#lastDateAt = HTTP_DATE.test(date) ? Math.floor(Date.parse(date) / 1000) : NaN;
    }
    const at = this.#lastDateAt;
    return !Number.isNaN(at) && Math.abs(Date.now() / 1000 - at) <= this.#config.clock_skew;
  }

  /** Kong's validate_params: every enforced header signed, an allowed algorithm. */
  #validParams(signed: Signed): boolean {
    for (const header of this.#config.enforce_headers) if (!signed.headers.includes(header)) return false;
    return this.#algorithms.has(signed.algorithm);
  }
}

/** Kong's retrieve_hmac_fields (its pattern's four greedy groups, parsed in linear time: authorization.ts). */
function parse(header: string): Signed | null {
  const m = parseHmacAuthorization(header);
  if (m === null) return null;
  return { username: m.username, algorithm: m.algorithm, headers: m.headers.split(' '), signature: m.signature };
}

/** Kong's signing string: per listed header `name: value`, joined with "\n". */
function signingString(ctx: RequestContext, names: readonly string[]): string {
  const req = ctx.req;
  let text = '';
  for (let i = 0; i < names.length; i++) {
    const header = names[i]!;
    const lower = header.toLowerCase();
    const raw = req.headers[lower];
    // kong.request.get_header: the first value of a repeated header.
    const value = typeof raw === 'string' ? (raw.includes(',') ? (req.headerValues(lower)[0] ?? raw) : raw) : Array.isArray(raw) ? raw[0] : undefined;
    let line: string;
    if (value !== undefined) line = `${header}: ${value}`;
    else if (header === '@request-target') line = `${header}: ${req.method.toLowerCase()} ${req.url}`;
    else if (header === 'request-line') line = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
    else line = `${header}:`;
    text = i === 0 ? line : `${text}\n${line}`;
  }
  return text;
}

/** The HMAC of the signing string with the credential's secret, compared with the given base64 signature in constant time. */
function sameSignature(signed: Signed, signing: string, secret: string): boolean {
  const expected = createHmac(DIGESTS[signed.algorithm]!, secret).update(signing).digest();
  const given = Buffer.from(signed.signature, 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Kong's validate_body: with no Digest header the body must be empty. */
function validDigest(ctx: RequestContext, body: Buffer | null): boolean {
  if (body === null) return false;
  const digest = ctx.req.headers.digest;
  if (digest === undefined) return body.length === 0;
  return digest === `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

export default definePlugin<Config>(schema, HmacAuth);
