// The proxy's own error answers (worker thread): a code from the registry answered as Kong answers
// it. How an upstream fault maps to a code is the connector's (workers/upstream/connection.ts).
import { ErrorCodes, type ErrorCode } from '../../runtime/protocol/errors.ts';
import type { RequestContext } from './context.ts';

/** Ends the request with the code's status and Kong's `{ "message": ... }` body. */
export function answerError(ctx: RequestContext, code: ErrorCode, message?: string): void {
  ctx.exit(ErrorCodes[code].status, { message: message ?? ErrorCodes[code].message });
}
