// Kong's proxy-cache key (worker thread), computed as kong/plugins/proxy-cache/cache_key.lua does
// so a key Sluice shows in X-Cache-Key is the one Kong would show for the same request:
//   sha256_hex("<consumer id>:<route id>|<method>|<uri>|<params>|<headers>")
// where the prefix is the route id alone without a consumer ("default" with neither); <uri> is
// nginx's request line cut at the first '?' (so "GET /a" with a query, "GET /a HTTP/1.1" without,
// as Kong's gsub on $request gives); <params> is `k=v` pairs joined by ':' for vary_query_params
// (all arguments, sorted by name, when none is set), a repeated argument's values sorted and
// joined by ',', a flag argument as its bare name; <headers> the same for vary_headers (none
// when unset).
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../proxy/context.ts';
import { decodeArgs, type ArgValue } from '../../transform/args.ts';

function part(field: string, value: ArgValue | readonly string[] | undefined): string | null {
  if (value === undefined) return null;
  if (value === true) return field;
  if (typeof value === 'string') return `${field}=${value}`;
  if (value.length === 0) return null;
  // Lua's sort: strings by byte order; a flag among values sorts as its text.
  const list = value.map((v) => (v === true ? 'true' : v)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `${field}=${list.join(',')}`;
}

export interface KeyRules {
  readonly varyQuery: readonly string[] | null;
  /** As configured (the key shows them so); looked up case-insensitively, `_` also as `-`. */
  readonly varyHeaders: readonly string[] | null;
  readonly ignoreUriCase: boolean;
}

export function cacheKey(ctx: RequestContext, rules: KeyRules): string {
  const req = ctx.req;
  const url = req.url;
  const q = url.indexOf('?');
  let uri = q === -1 ? `${req.method} ${url} HTTP/${req.httpVersion}` : `${req.method} ${url.slice(0, q)}`;
  if (rules.ignoreUriCase) uri = uri.toLowerCase();
  const route = ctx.route?.id ?? null;
  const consumer = ctx.consumer?.id ?? null;
  const prefix = consumer !== null && route !== null ? `${consumer}:${route}` : (route ?? 'default');

  const args = decodeArgs(q === -1 ? '' : url.slice(q + 1));
  const fields = rules.varyQuery !== null && rules.varyQuery.length > 0 ? rules.varyQuery : Object.keys(args).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const params: string[] = [];
  for (const field of fields) {
    const p = part(field, Object.hasOwn(args, field) ? args[field] : undefined);
    if (p !== null) params.push(p);
  }
  const headers: string[] = [];
  if (rules.varyHeaders !== null) {
    for (const name of rules.varyHeaders) {
      let lower = name.toLowerCase();
      if (req.headers[lower] === undefined) lower = lower.replaceAll('_', '-');
      if (req.headers[lower] === undefined) continue;
      const values = req.headerValues(lower);
      const p = part(name, values.length === 1 ? values[0] : values);
      if (p !== null) headers.push(p);
    }
  }
  return createHash('sha256').update(`${prefix}|${req.method}|${uri}|${params.join(':')}|${headers.join(':')}`).digest('hex');
}
