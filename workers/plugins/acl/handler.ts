// Runs on a worker thread: acl, as Kong 3.x's kong/plugins/acl/handler.lua behaves. It runs after
// the auth plugins (priority 950) and allows or denies the consumer by its groups (its `acls`
// credentials), or by the groups an authenticating plugin put in `ctx.shared.authenticated_groups`
// (Kong's `kong.ctx.shared.authenticated_groups`). Refusals: 403 "You cannot consume this service"
// when a consumer or credential is known, else 401 "Unauthorized". Passing requests carry the
// groups upstream in X-Consumer-Groups (X-Authenticated-Groups for authenticated groups), joined
// with ", ", unless `hide_groups_header`.
import { schema, type Config } from '../../../config/plugins/acl.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance } from '../types.ts';

const FORBIDDEN = Object.freeze({ message: 'You cannot consume this service' });
const UNAUTHORIZED = Object.freeze({ message: 'Unauthorized' });
/** The verdict for one groups array: blocked, or the header value to send. */
const BLOCKED = true;

class Acl implements PluginInstance {
  readonly #env: PluginEnv;
  readonly #deny: boolean;
  readonly #groups: ReadonlySet<string>;
  readonly #hideHeader: boolean;
  readonly #alwaysAuthenticated: boolean;
  /**
   * Verdict per consumer groups array. The credentials index hands out the same frozen array for a
   * consumer until its groups change (a new index), so this is Kong's per-config cache keyed by the
   * groups table; a WeakMap lets replaced arrays go.
   */
  readonly #verdicts = new WeakMap<readonly string[], string | typeof BLOCKED>();

  constructor(config: Config, env: PluginEnv) {
    this.#env = env;
    this.#deny = (config.deny ?? []).length > 0;
    this.#groups = new Set(this.#deny ? config.deny : (config.allow ?? []));
    this.#hideHeader = config.hide_groups_header;
    this.#alwaysAuthenticated = config.always_use_authenticated_groups;
  }

  access(ctx: RequestContext): void {
    const consumerId = ctx.consumer?.id ?? ctx.credential?.consumer.id ?? null;
    const useAuthenticated = consumerId === null || ctx.credential === null || this.#alwaysAuthenticated;
    const authenticated = useAuthenticated ? authenticatedGroups(ctx) : null;
    let verdict: string | typeof BLOCKED;
    let header: string;
    if (authenticated !== null) {
      verdict = this.#verdict(authenticated);
      header = 'x-authenticated-groups';
    } else if (consumerId === null) {
      // No consumer and no authenticated groups.
      ctx.exit(ctx.credential !== null ? 403 : 401, ctx.credential !== null ? FORBIDDEN : UNAUTHORIZED);
      return;
    } else {
      const groups = this.#env.credentials().aclGroups(consumerId);
      if (groups.length === 0 && !this.#deny) {
        ctx.exit(ctx.credential !== null ? 403 : 401, ctx.credential !== null ? FORBIDDEN : UNAUTHORIZED);
        return;
      }
      verdict = this.#verdicts.get(groups) ?? this.#cache(groups);
      header = 'x-consumer-groups';
    }
    if (verdict === BLOCKED) {
      ctx.exit(403, FORBIDDEN);
      return;
    }
    if (!this.#hideHeader) ctx.setUpstreamHeader(header, verdict);
  }

  #cache(groups: readonly string[]): string | typeof BLOCKED {
    const verdict = this.#verdict(groups);
    this.#verdicts.set(groups, verdict);
    return verdict;
  }

  #verdict(groups: readonly string[]): string | typeof BLOCKED {
    let inGroup = false;
    for (let i = 0; i < groups.length; i++) {
      if (this.#groups.has(groups[i]!)) {
        inGroup = true;
        break;
      }
    }
    const blocked = this.#deny ? inGroup : !inGroup;
    return blocked ? BLOCKED : groups.join(', ');
  }
}

/** Kong's get_authenticated_groups: a list of strings some plugin set for this request, or null. */
function authenticatedGroups(ctx: RequestContext): readonly string[] | null {
  const groups = ctx.shared.authenticated_groups;
  if (!Array.isArray(groups)) return null;
  return groups.filter((g): g is string => typeof g === 'string');
}

export default definePlugin<Config>(schema, Acl);
