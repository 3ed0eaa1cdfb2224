// Runs on a worker thread: basic-auth, as Kong 3.x's kong/plugins/basic-auth/access.lua behaves.
// The credentials come from Proxy-Authorization first, then Authorization (`Basic base64(user:pass)`);
// the password is checked as Kong stores it: sha1 hex of password .. consumer id (the config layer
// hashes plain passwords so on load), compared in constant time. Success sets the consumer and the
// X-Consumer-* headers (X-Credential-Identifier: the username); failure answers 401 with
// `WWW-Authenticate: Basic realm="<realm>"`, or falls back to the `anonymous` consumer.
// No memo of verified headers: the one-shot hash makes the check a few hundred nanoseconds, and a
// memo keyed by the header would keep every recent password (base64 is not a secret's protection)
// in the worker's heap for that.
import { hash } from 'node:crypto';
import { schema, type Config } from '../../../config/plugins/basic-auth.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { alreadyAuthenticated, failAuth, failure, setConsumer, type AuthFailure } from '../auth-common.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

/** Kong: `\s*[Bb]asic\s*(.+)`, then the decoded text split at its first colon (`([^:]+):(.*)`). */
const BASIC = /^\s*[Bb]asic\s*(.+)/;

class BasicAuth implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  readonly #unauthorized: AuthFailure;

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#env = env;
    this.#unauthorized = failure(401, { message: 'Unauthorized' }, { 'WWW-Authenticate': `Basic realm="${config.realm}"` });
  }

  access(ctx: RequestContext): void {
    const anonymous = this.#config.anonymous;
    if (alreadyAuthenticated(ctx, anonymous)) return;
    if (!this.#authenticate(ctx)) failAuth(ctx, this.#env, 'basic-auth', anonymous, this.#unauthorized);
  }

  #authenticate(ctx: RequestContext): boolean {
    const headers = ctx.req.headers;
    const authorization = headers.authorization;
    const proxyAuthorization = headers['proxy-authorization'];
    if (authorization === undefined && proxyAuthorization === undefined) return false;
    const hide = this.#config.hide_credentials;
    let given = parse(proxyAuthorization);
    if (hide && proxyAuthorization !== undefined) ctx.setUpstreamHeader('proxy-authorization', null);
    let match = given === null ? null : this.#env.credentials().basicAuth(given.username);
    if (match === null) {
      given = parse(authorization);
      if (hide && authorization !== undefined) ctx.setUpstreamHeader('authorization', null);
      if (given === null) return false;
      match = this.#env.credentials().basicAuth(given.username);
    }
    if (match === null || given === null) return false;
    const stored = match.credential.password;
    if (typeof stored !== 'string' || !samePassword(stored, given.password, match.consumer.id)) return false;
    setConsumer(ctx, match.consumer, match.credential, given.username);
    return true;
  }
}

function parse(header: string | undefined): { username: string; password: string } | null {
  if (header === undefined) return null;
  const m = BASIC.exec(header);
  if (m === null) return null;
  const decoded = Buffer.from(m[1]!.trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // Kong's `([^:]+):(.*)`: a non-empty username, then anything.
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Kong's check: sha1 hex of password .. consumer id equals the stored hash. The hex strings are
 * compared without an early exit (no Buffers made for timingSafeEqual: two allocations per request).
 */
function samePassword(stored: string, given: string, consumerId: string): boolean {
  // crypto.hash: one call, no Hash object (createHash costs several times more on inputs this small);
  // UTF-8 of the joined strings is the UTF-8 of each in turn, as two update() calls hashed it.
  const actual = hash('sha1', given + consumerId, 'hex');
  if (actual.length !== stored.length) return false;
  let difference = 0;
  for (let i = 0; i < actual.length; i++) difference |= actual.charCodeAt(i) ^ stored.charCodeAt(i);
  return difference === 0;
}

export default definePlugin<Config>(schema, BasicAuth);
