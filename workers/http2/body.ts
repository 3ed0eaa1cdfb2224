// The body of an HTTP/2 request (worker thread), as the proxy reads it (ClientRequest.body): a
// Readable of its own fed from the stream, so the stream is paused — and nghttp2 stops widening
// the client's flow-control window — while the upstream is not taking the body, and its size is
// held to `maxBytes` (--client-max-body-size): past it the stream gets 413 (or, once the
// response has started, a reset) and the upstream request is dropped.
import type { ServerHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { H2Request } from './request.ts';
import type { H2Response } from './response.ts';

export class H2Body extends Readable {
  readonly #stream: ServerHttp2Stream;

  constructor(stream: ServerHttp2Stream, req: H2Request, maxBytes: number, res: H2Response) {
    super();
    this.#stream = stream;
    // A body destroyed by a client that left must not throw when nobody reads it yet (as node:http).
    this.on('error', () => {});
    stream.on('data', (chunk: Buffer) => {
      const received = (req.bodyReceived += chunk.length);
      // The listener's limit, or one a plugin set (request-size-limiting: its status, 413 or 417).
      const over = maxBytes > 0 && received > maxBytes ? 413 : received > req.bodyLimit ? Number(req.bodyLimitAnswer.slice(9, 12)) || 413 : 0;
      if (over !== 0) {
        stream.pause();
        this.destroy(Object.assign(new Error('request body too large'), { code: 'SLUICE_ERR_BODY_TOO_LARGE' }));
        res.refuseNow(over);
        return;
      }
      if (!this.push(chunk)) stream.pause();
    });
    stream.on('end', () => {
      req.complete = true;
      this.push(null);
    });
    stream.on('aborted', () => this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
  }

  override _read(): void {
    this.#stream.resume();
  }
}
