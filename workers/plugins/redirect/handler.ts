// Runs on a worker thread: redirect (Kong 3.9+), as Kong's handler behaves: every request is
// answered `status_code` with `Location: <location>` and the body "redirecting"; with
// `keep_incoming_path` the location's path and query are replaced by the request's.
import { schema, type Config } from '../../../config/plugins/redirect.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance } from '../types.ts';

class Redirect implements PluginInstance {
  readonly #status: number;
  /** The whole Location when it does not depend on the request. */
  readonly #fixed: Readonly<Record<string, string>> | null;
  /** `scheme://[userinfo@]host[:port]` of the location, and its fragment (keep_incoming_path). */
  readonly #origin: string;
  readonly #hash: string;

  constructor(config: Config) {
    this.#status = config.status_code;
    const url = new URL(config.location);
    const userinfo = url.username === '' ? '' : `${url.username}${url.password === '' ? '' : `:${url.password}`}@`;
    this.#origin = `${url.protocol}//${userinfo}${url.host}`;
    this.#hash = url.hash;
    this.#fixed = config.keep_incoming_path ? null : Object.freeze({ Location: config.location });
  }

  access(ctx: RequestContext): void {
    // The request target is origin-form here (the listener turns absolute-form into a path).
    ctx.exit(this.#status, 'redirecting', this.#fixed ?? { Location: `${this.#origin}${ctx.req.url}${this.#hash}` });
  }
}

export default definePlugin<Config>(schema, Redirect);
