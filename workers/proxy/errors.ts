// The proxy's own error answers (worker thread): a code from the registry answered as Kong answers
// it, and failures of an upstream exchange mapped to the code Kong would answer with.
import { ErrorCodes, type ErrorCode } from '../../runtime/protocol/errors.ts';
import type { RequestContext } from './context.ts';

/** Ends the request with the code's status and Kong's `{ "message": ... }` body. */
export function answerError(ctx: RequestContext, code: ErrorCode, message?: string): void {
  ctx.exit(ErrorCodes[code].status, { message: message ?? ErrorCodes[code].message });
}

/** Error codes that mean "the upstream took too long": undici's, the socket's, the wheel's (upstream-timeouts.ts). */
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'SLUICE_ERR_UPSTREAM_TIMEOUT']);

/** Errors after which nothing reached the upstream, so another try cannot duplicate a request. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

export function upstreamErrorCode(error: unknown): ErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TIMEOUTS.has(code) ? 'SLUICE_ERR_UPSTREAM_TIMEOUT' : 'SLUICE_ERR_UPSTREAM_UNAVAILABLE';
}

export function isConnectFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NOT_CONNECTED.has(code);
}
