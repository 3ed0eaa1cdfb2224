// Maps failures of an upstream exchange to the answer Kong gives (worker thread).
import type { ErrorCode } from '../../runtime/protocol/errors.ts';

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
