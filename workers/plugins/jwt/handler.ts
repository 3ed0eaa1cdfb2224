// Runs on a worker thread: jwt, as Kong 3.x's kong/plugins/jwt/handler.lua behaves. The token is
// looked for in the query arguments (`uri_param_names`), the cookies (`cookie_names`) and the
// `Bearer` headers (`header_names`); exactly one distinct token must be found. Its `key_claim_name`
// claim (or header field) names a jwt_secret, whose algorithm the token must use; the signature,
// then `claims_to_verify` (exp, nbf) and `maximum_expiration` are checked. Success sets the
// consumer (X-Credential-Identifier: the secret's key) and `ctx.shared.authenticated_jwt_token`.
// Failures answer 401 with Kong's messages and `WWW-Authenticate: Bearer[ realm=...][, error="invalid_token"]`,
// or fall back to the `anonymous` consumer. Kong's jwt has no hide_credentials.
import type { JwtSecret } from '../../../config/types.ts';
import { schema, type Config } from '../../../config/plugins/jwt.ts';
import type { CredentialMatch } from '../../credentials.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { alreadyAuthenticated, failAuth, failure, setConsumer, type AuthFailure } from '../auth-common.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { decodeToken, keyOf, verifySignature, type DecodedToken } from './token.ts';

/**
 * Tokens whose signature was verified, with the credential they were verified against. A client
 * sends the same token until it expires, and an RS256 verification costs tens of microseconds: a
 * hit skips the decoding and the signature, never the claims (exp/nbf are checked on every
 * request) nor the credential lookup (a token is reused only while its key still names the very
 * credential object it was verified with). Bounded in entries and token size.
 */
const VERIFIED_MAX_ENTRIES = 1024;
const VERIFIED_MAX_TOKEN = 4096;

class Verified {
  readonly token: DecodedToken;
  readonly keyValue: string;
  readonly secret: JwtSecret;

  constructor(token: DecodedToken, keyValue: string, secret: JwtSecret) {
    this.token = token;
    this.keyValue = keyValue;
    this.secret = secret;
  }
}

/** Kong: `\s*[Bb]earer\s+(.+)`. */
const BEARER = /^\s*[Bb]earer\s+(.+)/;

class Jwt implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #headerNames: readonly string[];
  readonly #claims: readonly ('exp' | 'nbf')[];
  readonly #unauthorized: AuthFailure;
  /** `WWW-Authenticate` for a token that was found but is not good. */
  readonly #invalid: Record<string, string>;
  readonly #multiple: AuthFailure;
  /** token → its verification (insertion order: the oldest goes first when full). */
  readonly #verified = new Map<string, Verified>();

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#env = env;
    this.#headerNames = config.header_names.map((name) => name.toLowerCase());
    this.#claims = config.claims_to_verify ?? [];
    const base = config.realm === null ? 'Bearer' : `Bearer realm="${config.realm}"`;
    this.#unauthorized = failure(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': base });
    this.#invalid = { 'WWW-Authenticate': config.realm === null ? 'Bearer error="invalid_token"' : `${base}, error="invalid_token"` };
    this.#multiple = failure(401, { message: 'Multiple tokens provided' }, this.#invalid);
  }

  access(ctx: RequestContext): void {
    const config = this.#config;
    if (!config.run_on_preflight && ctx.req.method === 'OPTIONS') return;
    if (alreadyAuthenticated(ctx, config.anonymous)) return;
    const failed = this.#authenticate(ctx);
    if (failed !== null) failAuth(ctx, this.#env, 'jwt', config.anonymous, failed);
  }

  #authenticate(ctx: RequestContext): AuthFailure | null {
    const token = this.#token(ctx);
    if (token === null) return this.#unauthorized;
    if (token === MULTIPLE) return this.#multiple;
    const hit = this.#verified.get(token);
    if (hit !== undefined) {
      const match = this.#env.credentials().jwtSecret(hit.keyValue);
      if (match !== null && match.credential === hit.secret) return this.#accept(ctx, token, hit.token, match);
      this.#verified.delete(token);
    }
    const decoded = decodeToken(token);
    if (typeof decoded === 'string') return this.#fail(`Bad token; ${decoded}`);
    const claimName = this.#config.key_claim_name;
    const keyValue = decoded.claims[claimName] ?? decoded.header[claimName];
    if (keyValue === undefined || keyValue === null) return this.#fail(`No mandatory '${claimName}' in claims`);
    if (keyValue === '') return this.#fail(`Invalid '${claimName}' in claims`);
    const match = typeof keyValue === 'string' ? this.#env.credentials().jwtSecret(keyValue) : null;
    if (match === null) return this.#fail(`No credentials found for given '${claimName}'`);
    const secret = match.credential as JwtSecret;
    if (decoded.alg !== (secret.algorithm ?? 'HS256')) return this.#fail('Invalid algorithm');
    const key = keyOf(secret, this.#config.secret_is_base64, (error) => this.#env.log.error({ err: error, plugin: 'jwt', credential: secret.id }, 'jwt: the public key of this credential cannot be read'));
    if (key.hmac === null && key.key === null) return this.#fail('Invalid key/secret');
    if (!verifySignature(decoded, key)) return this.#fail('Invalid signature');
    if (token.length <= VERIFIED_MAX_TOKEN) {
      if (this.#verified.size >= VERIFIED_MAX_ENTRIES) this.#verified.delete(this.#verified.keys().next().value!);
      this.#verified.set(token, new Verified(decoded, keyValue as string, secret));
    }
    return this.#accept(ctx, token, decoded, match);
  }

  /** A token whose signature holds: its claims, then the consumer. */
  #accept(ctx: RequestContext, token: string, decoded: DecodedToken, match: CredentialMatch): AuthFailure | null {
    const errors = this.#claimErrors(decoded);
    if (errors !== null) return failure(401, errors, this.#invalid);
    setConsumer(ctx, match.consumer, match.credential, (match.credential as JwtSecret).key);
    ctx.shared.authenticated_jwt_token = token;
    return null;
  }

  #fail(message: string): AuthFailure {
    return failure(401, { message }, this.#invalid);
  }

  /** Kong's verify_registered_claims, then check_maximum_expiration: the body is the errors by claim. */
  #claimErrors(token: DecodedToken): Record<string, string> | null {
    const now = Math.floor(Date.now() / 1000);
    let errors: Record<string, string> | null = null;
    for (const name of this.#claims) {
      const value = token.claims[name];
      let error: string | null = null;
      if (typeof value !== 'number') error = 'must be a number';
      else if (name === 'nbf' && value > now) error = 'token not valid yet';
      else if (name === 'exp' && value <= now) error = 'token expired';
      if (error !== null) (errors ??= {})[name] = error;
    }
    if (errors !== null) return errors;
    const maximum = this.#config.maximum_expiration;
    if (maximum > 0) {
      const exp = token.claims.exp;
      if (typeof exp !== 'number' || exp - now > maximum) return { exp: 'exceeds maximum allowed expiration' };
    }
    return null;
  }

  /** The token found so far by #token (access is synchronous: one request at a time uses it). */
  #found: string | null = null;

  /** The one distinct token of the request, MULTIPLE, or null. */
  #token(ctx: RequestContext): string | typeof MULTIPLE | null {
    this.#found = null;
    const req = ctx.req;
    const url = req.url;
    const q = url.indexOf('?');
    if (q !== -1 && this.#config.uri_param_names.length > 0) {
      const query = new URLSearchParams(url.slice(q + 1));
      for (const name of this.#config.uri_param_names) for (const value of query.getAll(name)) if (this.#add(value)) return MULTIPLE;
    }
    if (this.#config.cookie_names.length > 0) {
      const cookies = req.headers.cookie;
      if (typeof cookies === 'string') {
        for (const name of this.#config.cookie_names) {
          const value = cookie(cookies, name);
          if (value !== null && this.#add(value)) return MULTIPLE;
        }
      }
    }
    for (const name of this.#headerNames) {
      const header = req.headers[name];
      // Kong takes the first of repeated headers; they arrive joined here, so read the raw values.
      const value = typeof header === 'string' ? (header.includes(',') ? (req.headerValues(name)[0] ?? header) : header) : undefined;
      if (value === undefined) continue;
      const m = BEARER.exec(value);
      if (m !== null && this.#add(m[1]!)) return MULTIPLE;
    }
    return this.#found;
  }

  /** Adds a candidate; true when it makes a second distinct token. */
  #add(token: string): boolean {
    if (token === '' || token === this.#found) return false;
    if (this.#found !== null) return true;
    this.#found = token;
    return false;
  }
}

const MULTIPLE = Symbol('multiple tokens');

/** nginx's $cookie_<name>: the first cookie of that name. */
function cookie(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export default definePlugin<Config>(schema, Jwt);
