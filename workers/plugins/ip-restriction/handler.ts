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

/** Distinct client addresses remembered per config; beyond, the memo starts over (memory bounded). */
const MEMO_MAX = 10_000;

class IpRestriction implements PluginInstance {
  readonly #allow: BlockList | null;
  readonly #deny: BlockList | null;
  readonly #status: number;
  readonly #message: { message: string } | null;
  /** Verdict by client address: a BlockList check parses the address each time (~0.5 µs). */
  readonly #memo = new Map<string, boolean>();

  constructor(config: Config) {
    this.#allow = compile(config.allow);
    this.#deny = compile(config.deny);
    this.#status = config.status ?? 403;
    this.#message = config.message === null ? null : Object.freeze({ message: config.message });
  }

  access(ctx: RequestContext): void {
    const ip = ctx.clientIp;
    if (ip === '') return this.#refuse(ctx, 'Cannot identify the client IP address, unix domain sockets are not supported.', 403);
    let refused = this.#memo.get(ip);
    if (refused === undefined) {
      const family = ip.includes(':') ? 'ipv6' : 'ipv4';
      refused = (this.#deny !== null && this.#deny.check(ip, family)) || (this.#allow !== null && !this.#allow.check(ip, family));
      if (this.#memo.size >= MEMO_MAX) this.#memo.clear();
      this.#memo.set(ip, refused);
    }
    if (refused) this.#refuse(ctx, null, this.#status);
  }

  #refuse(ctx: RequestContext, fixed: string | null, status: number): void {
    ctx.exit(status, fixed !== null ? { message: fixed } : (this.#message ?? { message: `IP address not allowed: ${ctx.clientIp}` }));
  }
}

export default definePlugin<Config>(schema, IpRestriction);
