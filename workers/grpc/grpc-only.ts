// A request that matched a grpc / grpcs route (worker thread), checked as Kong's runloop checks it
// after routing and before any plugin (runloop/handler.lua, access.before): the router itself
// matches a gRPC route like any HTTP route (hosts, paths, headers, snis), then
//   - a request whose content-type is not application/grpc*  → 415 "Non-gRPC request matched gRPC route"
//   - a gRPC request over HTTP/1.x                           → 426 "Please use HTTP2 protocol" (Upgrade: HTTP/2)
//   - a gRPC request in cleartext on a grpcs-only route      → 200, grpc-status 1, "gRPC request matched gRPCs route"
import type { Route } from '../../config/types.ts';
import type { RequestContext } from '../proxy/context.ts';

const NON_GRPC = Object.freeze({ message: 'Non-gRPC request matched gRPC route' });
const USE_HTTP2 = Object.freeze({ message: 'Please use HTTP2 protocol' });
const UPGRADE_H2 = Object.freeze({ connection: 'Upgrade', upgrade: 'HTTP/2' });
const GRPCS_ONLY = Object.freeze({ 'content-type': 'application/grpc', 'grpc-status': '1', 'grpc-message': 'gRPC request matched gRPCs route' });

/** True for a grpc / grpcs route (its protocols are a sorted set, never mixed with http / https). */
export function isGrpcRoute(route: Route): boolean {
  const first = route.protocols[0];
  return first === 'grpc' || first === 'grpcs';
}

/** Kong's is_grpc_request: an HTTP/2 request whose content-type starts with application/grpc. */
export function isGrpcRequest(contentType: string | undefined, httpVersion: string): boolean {
  return httpVersion === '2.0' && contentType !== undefined && contentType.startsWith('application/grpc');
}

/** Answers and returns true when the request may not use this gRPC route; `proto`: the listener's. */
export function refuseOnGrpcRoute(ctx: RequestContext, route: Route, proto: string): boolean {
  const req = ctx.req;
  const type = req.headers['content-type'];
  if (type === undefined || !type.startsWith('application/grpc')) {
    ctx.exit(415, NON_GRPC);
    return true;
  }
  if (req.httpVersion !== '2.0') {
    ctx.exit(426, USE_HTTP2, UPGRADE_H2);
    return true;
  }
  if (proto !== 'https' && !route.protocols.includes('grpc')) {
    ctx.exit(200, null, GRPCS_ONLY);
    return true;
  }
  return false;
}

/** Kong's HTTP_TO_GRPC_STATUS (pdk/response.lua); other statuses map by class. */
const HTTP_TO_GRPC: Readonly<Record<number, number>> = { 200: 0, 400: 3, 401: 16, 403: 7, 404: 5, 409: 6, 429: 8, 499: 1, 500: 13, 501: 12, 503: 14, 504: 4 };
const GRPC_MESSAGES = ['OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied', 'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable', 'DataLoss', 'Unauthenticated'];

function grpcStatusOf(status: number): number {
  const mapped = HTTP_TO_GRPC[status];
  if (mapped !== undefined) return mapped;
  if (status >= 500 && status <= 599) return 13;
  if (status >= 400 && status <= 499) return 3;
  if (status >= 200 && status <= 299) return 0;
  return 2;
}

/**
 * The headers of a gateway answer to a gRPC client (kong.response.exit on a gRPC request): the
 * HTTP status stays, `grpc-status` is mapped from it unless given, the body's message (a string, or
 * `{ message }`) goes in `grpc-message`, and no body is sent — one HEADERS frame with END_STREAM,
 * which gRPC clients read as a trailers-only status. Null when the answer is not for a gRPC client
 * or already speaks gRPC (its own content-type application/grpc: sent as given).
 */
export function grpcExitHeaders(ctx: RequestContext, status: number, body: unknown, headers: Record<string, string | readonly string[]> | undefined): Record<string, string | readonly string[]> | null {
  const req = ctx.req;
  if (!isGrpcRequest(req.headers['content-type'], req.httpVersion)) return null;
  let hasStatus = false;
  let hasMessage = false;
  if (headers !== undefined) {
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (lower === 'content-type' && String(headers[name]).startsWith('application/grpc')) return null;
      if (lower === 'grpc-status') hasStatus = true;
      else if (lower === 'grpc-message') hasMessage = true;
    }
  }
  const out: Record<string, string | readonly string[]> = { ...headers };
  const code = grpcStatusOf(status);
  if (!hasStatus) out['grpc-status'] = String(code);
  if (!hasMessage) {
    const message = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('latin1') : typeof (body as { message?: unknown } | null)?.message === 'string' ? (body as { message: string }).message : null;
    if (message !== null) out['grpc-message'] = message;
    else if (!hasStatus) out['grpc-message'] = GRPC_MESSAGES[code] ?? 'Unknown';
  }
  return out;
}
