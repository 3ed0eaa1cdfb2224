// A route whose `protocols` allow https but not http, reached over plain HTTP (worker thread), as
// Kong's runloop answers it: 426 "Please use HTTPS protocol" with an Upgrade header, or, when the
// route's `https_redirect_status_code` is 301/302/307/308, a redirect to the same URL over https.
// Runs after routing and before any plugin, where Kong's access phase does.
import type { Route } from '../../config/types.ts';
import type { RequestContext } from './context.ts';

const UPGRADE = Object.freeze({ Connection: 'Upgrade', Upgrade: 'TLS/1.2, HTTP/1.1' });
const PLEASE_USE_HTTPS = Object.freeze({ message: 'Please use HTTPS protocol' });

/** True when the route refuses this request's scheme; protocols are a sorted set (config/build.ts). */
export function needsHttps(route: Route, proto: string): boolean {
  return proto !== 'https' && route.protocols.length === 1 && route.protocols[0] === 'https';
}

/** Answers the request that `needsHttps` refused. */
export function answerHttpsOnly(ctx: RequestContext, route: Route): void {
  const code = route.https_redirect_status_code;
  if (code === 426) return ctx.exit(426, PLEASE_USE_HTTPS, UPGRADE);
  // Kong: "https://" .. forwarded_host .. request_uri, where the host is the Host header as sent.
  ctx.exit(code, null, { Location: `https://${ctx.req.headers.host ?? ''}${ctx.req.url}` });
}
