// Runs on a worker thread: request-size-limiting, as Kong 3.x's handler behaves, without reading
// the body: a Content-Length above the limit is answered 413 (417 with Expect: 100-continue)
// before any of the body is read, and the connection closes after that answer when the body has
// not all arrived (what follows on the stream is that body, not a next request). Without a
// Content-Length the body is counted as it arrives, on its way to the upstream: past the limit
// the listener answers the same 413 and closes (workers/http1/connection.ts, `bodyLimit`).
// `require_content_length` refuses (411) a request with neither a Content-Length nor a chunked body.
import { schema, UNIT_BYTES, type Config } from '../../../config/plugins/request-size-limiting.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginInstance } from '../types.ts';

const TOO_LARGE = Object.freeze({ message: 'Request size limit exceeded' });
const LENGTH_REQUIRED = Object.freeze({ message: 'A valid Content-Length header is required' });

/** The listener's whole answer for a streamed body past the limit: Kong's error, then close. */
function streamAnswer(status: number, reason: string): string {
  const body = JSON.stringify(TOO_LARGE);
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}
const STREAM_413 = streamAnswer(413, 'Content Too Large');
const STREAM_417 = streamAnswer(417, 'Expectation Failed');

class RequestSizeLimiting implements PluginInstance {
  readonly #limit: number;
  readonly #requireLength: boolean;

  constructor(config: Config) {
    this.#limit = config.allowed_payload_size * UNIT_BYTES[config.size_unit];
    this.#requireLength = config.require_content_length;
  }

  access(ctx: RequestContext): void {
    const req = ctx.req;
    const headers = req.headers;
    const continues = headers.expect !== undefined && headers.expect.trim().toLowerCase() === '100-continue';
    const cl = headers['content-length'];
    if (cl !== undefined) {
      // The listener has checked it is a number (llhttp refuses anything else).
      if (Number(cl) > this.#limit) this.#refuse(ctx, continues);
      return;
    }
    const chunked = headers['transfer-encoding'] !== undefined;
    if (this.#requireLength && !chunked) return ctx.exit(411, LENGTH_REQUIRED);
    if (!ctx.hasBody) return;
    // A body an earlier plugin read whole (hmac-auth's validate_request_body).
    if (ctx.bufferedBody !== null) {
      if (ctx.bufferedBody.length > this.#limit) this.#refuse(ctx, continues);
      return;
    }
    if (req.bodyReceived > this.#limit) return this.#refuse(ctx, continues);
    req.bodyLimit = this.#limit;
    req.bodyLimitAnswer = continues ? STREAM_417 : STREAM_413;
  }

  #refuse(ctx: RequestContext, continues: boolean): void {
    // The body left unread on the stream would be taken for the next request: close after this.
    if (!ctx.req.complete) ctx.res.keepAlive = false;
    ctx.exit(continues ? 417 : 413, TOO_LARGE);
  }
}

export default definePlugin<Config>(schema, RequestSizeLimiting);
