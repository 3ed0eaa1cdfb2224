// What a consistent-hashing upstream hashes for one request (worker thread), as Kong's
// get_value_to_hash: `hash_on`, then `hash_fallback` when the first gives nothing, else ''.
// `hash_on: cookie` with no such cookie makes one up (a UUID) and sets it on the response, with
// `hash_on_cookie_path`, so the client's next requests land on the same target.
import { randomUUID } from 'node:crypto';
import type { Upstream } from '../../config/types.ts';
import type { RequestContext } from '../proxy/context.ts';

export function valueToHash(upstream: Upstream, ctx: RequestContext): string {
  const first = valueOf(upstream.hash_on, upstream.hash_on_header, upstream.hash_on_query_arg, upstream.hash_on_uri_capture, upstream, ctx);
  if (first !== null) return first;
  if (upstream.hash_fallback === 'none') return '';
  return valueOf(upstream.hash_fallback, upstream.hash_fallback_header, upstream.hash_fallback_query_arg, upstream.hash_fallback_uri_capture, upstream, ctx) ?? '';
}

function valueOf(on: string, header: string | null, queryArg: string | null, capture: string | null, upstream: Upstream, ctx: RequestContext): string | null {
  switch (on) {
    case 'consumer':
      // Kong: the authenticated consumer, else the credential.
      return ctx.consumer?.id ?? ctx.credential?.id ?? null;
    case 'ip':
      return ctx.clientIp === '' ? null : ctx.clientIp;
    case 'header': {
      const value = ctx.req.headers[header!.toLowerCase()];
      // Repeated headers arrive merged with ', ' (as nginx's $http_ variables give them).
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    }
    case 'cookie':
      return cookieValue(upstream, ctx);
    case 'path':
      return ctx.match?.path ?? pathOf(ctx.req.url);
    case 'query_arg':
      return queryValue(ctx.req.url, queryArg!);
    case 'uri_capture': {
      const captures = ctx.match?.uriCaptures;
      if (captures === null || captures === undefined) return null;
      const named = captures.named[capture!];
      if (named !== undefined) return named;
      const index = /^\d+$/.test(capture!) ? Number(capture) : -1;
      return index >= 0 && index < captures.unnamed.length ? captures.unnamed[index]! : null;
    }
    default:
      return null;
  }
}

function cookieValue(upstream: Upstream, ctx: RequestContext): string {
  const name = upstream.hash_on_cookie!;
  const header = ctx.req.headers.cookie;
  if (header !== undefined) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
    }
  }
  const value = randomUUID();
  ctx.addResponseHeader('set-cookie', `${name}=${value}; Path=${upstream.hash_on_cookie_path}; Same-Site=Lax; HttpOnly`);
  return value;
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Kong: a repeated argument's values sorted and joined with ','; an argument without '=' is 'true'. */
function queryValue(url: string, name: string): string | null {
  const q = url.indexOf('?');
  if (q === -1) return null;
  const values: string[] = [];
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    if (key !== name) continue;
    values.push(eq === -1 ? 'true' : decode(part.slice(eq + 1)));
  }
  if (values.length === 0) return null;
  return values.length === 1 ? values[0]! : values.sort().join(',');
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}
