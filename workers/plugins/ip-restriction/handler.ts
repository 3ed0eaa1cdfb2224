// Runs on a worker thread: ip-restriction, as Kong 3.x's handler behaves: the client address is
// refused when it is in `deny`, or when `allow` is set and it is not in it (deny first), with
// `status` (403) and `message` ("IP address not allowed: <ip>") as a JSON error.
// The lists are compiled once per plugin config into node:net BlockLists (the runtime's own CIDR
// matcher, IPv4 and IPv6; an IPv4 client seen as ::ffff:a.b.c.d matches IPv4 rules).
import { BlockList, isIPv6 } from 'node:net';
import { schema, type Config } from '../../../config/plugins/ip-restriction.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance } from '../types.ts';

function compile(list: readonly string[] | null): BlockList | null {
  if (list === null || list.length === 0) return null;
  const blocks = new BlockList();
  for (const entry of list) {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (slash === -1) blocks.addAddress(address, family);
    else blocks.addSubnet(address, Number(entry.slice(slash + 1)), family);
  }
  return blocks;
}

class IpRestriction implements PluginInstance {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;
  readonly #status: number;
  readonly #message: { message: string } | null;

  constructor(config: Config) {
    this.#allow = compile(config.allow);
    this.#deny = compile(config.deny);
    this.#status = config.status ?? 403;
    this.#message = config.message === null ? null : Object.freeze({ message: config.message });
  }

  access(ctx: RequestContext): void {
    const ip = ctx.clientIp;
    if (ip === '') return this.#refuse(ctx, 'Cannot identify the client IP address, unix domain sockets are not supported.', 403);
    const family = ip.includes(':') ? 'ipv6' : 'ipv4';
    if (this.#deny !== null && this.#deny.check(ip, family)) return this.#refuse(ctx, null, this.#status);
    if (this.#allow !== null && !this.#allow.check(ip, family)) return this.#refuse(ctx, null, this.#status);
  }

  #refuse(ctx: RequestContext, fixed: string | null, status: number): void {
    ctx.exit(status, fixed !== null ? { message: fixed } : (this.#message ?? { message: `IP address not allowed: ${ctx.clientIp}` }));
  }
}

export default definePlugin<Config>(schema, IpRestriction);
