// Runs on a worker thread: key-auth, as Kong 3.x's kong/plugins/key-auth/handler.lua behaves.
// The key is looked up under each of `key_names` in turn: the header of that name, then the query
// argument; the first one found is the key. Success sets the consumer and credential and the
// X-Consumer-* headers upstream; failure answers 401, or falls back to the `anonymous` consumer.
// `key_in_body` is not supported: the proxy streams request bodies to the upstream unread, so its
// schema refuses `true` with SLUICE_ERR_UNSUPPORTED (config/plugins/key-auth.ts).
import type { RequestContext } from '../../proxy/context.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';
import { alreadyAuthenticated, failAuth, failure, setConsumer } from '../auth-common.ts';
import { definePlugin } from '../define.ts';
import { schema, type Config } from '../../../config/plugins/key-auth.ts';

const NO_KEY = Object.freeze({ message: 'No API key found in request' });
const DUPLICATE_KEY = Object.freeze({ message: 'Duplicate API key found' });
// Kong 3 answers "Unauthorized" (2.x said "Invalid authentication credentials").
const INVALID_KEY = Object.freeze({ message: 'Unauthorized' });

class KeyAuth implements PluginInstance {
  readonly #config: Config;
  readonly #env: PluginEnv;
  /** `key_names` as given (query arguments are case-sensitive) and lower-cased (Node's header names). */
  readonly #names: readonly string[];
  readonly #headerNames: readonly string[];
  readonly #challenge: Record<string, string>;

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#env = env;
    this.#names = config.key_names;
    this.#headerNames = config.key_names.map((name) => name.toLowerCase());
    this.#challenge = Object.freeze({ 'WWW-Authenticate': config.realm === null ? 'Key' : `Key realm="${config.realm}"` });
  }

  access(ctx: RequestContext): void {
    const config = this.#config;
    if (!config.run_on_preflight && ctx.req.method === 'OPTIONS') return;
    if (alreadyAuthenticated(ctx, config.anonymous)) return;
    const body = this.#authenticate(ctx);
    if (body !== null) failAuth(ctx, this.#env, 'key-auth', config.anonymous, failure(401, body, this.#challenge));
  }

  /** null on success (consumer set), else the 401 body. */
  #authenticate(ctx: RequestContext): { message: string } | null {
    const config = this.#config;
    const req = ctx.req;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    let query: URLSearchParams | null = null;
    let key: string | undefined;
    for (let i = 0; i < this.#names.length; i++) {
      const headerName = this.#headerNames[i]!;
      let value: string | undefined;
      if (config.key_in_header) {
        const header = req.headers[headerName];
        if (typeof header === 'string') {
          // Repeated headers arrive joined with ", "; only then are the raw values worth a look.
          if (header.includes(',') && req.headerValues(headerName).length > 1) return DUPLICATE_KEY;
          value = header;
        }
      }
      if (value === undefined && config.key_in_query && q !== -1) {
        query ??= new URLSearchParams(url.slice(q + 1));
        const values = query.getAll(this.#names[i]!);
        if (values.length > 1) return DUPLICATE_KEY;
        if (values.length === 1) value = values[0];
      }
      if (value === undefined) continue;
      key = value;
      if (config.hide_credentials) {
        ctx.setUpstreamHeader(headerName, null);
        if (q !== -1) (ctx.upstreamQueryRemove ??= []).push(this.#names[i]!);
      }
      break;
    }
    if (key === undefined || key === '') return NO_KEY;
    const match = this.#env.credentials().keyAuth(key);
    if (match === null) return INVALID_KEY;
    setConsumer(ctx, match.consumer, match.credential, match.credential.id);
    return null;
  }
}

export default definePlugin<Config>(schema, KeyAuth);
