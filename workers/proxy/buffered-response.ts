// The upstream answer read whole for a route with a `response` plugin (worker thread), as Kong
// buffers it for its `response` phase: the head is held, the body collected up to a cap, then the
// plugins' response phase, header_filter and body_filter run on it and it is sent in one write.
import type { PluginRunner } from '../plugins/route-plugins.ts';
import type { BufferedResponse, UpstreamResponse } from '../plugins/types.ts';
import type { RequestContext } from './context.ts';

/** A buffered upstream body larger than this answers 502: memory per request stays bounded. */
export const MAX_BUFFERED_RESPONSE_BYTES = 16 * 1024 * 1024;

export class BufferedAnswer {
  readonly head: UpstreamResponse;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(head: UpstreamResponse) {
    this.head = head;
  }

  /** false once the body is past the cap (the caller answers 502). */
  add(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_BUFFERED_RESPONSE_BYTES) return false;
    this.#chunks.push(chunk);
    return true;
  }

  /**
   * Runs response, then header_filter and body_filter, and calls `send` with what the client gets;
   * nothing when a plugin answered instead (`ctx.exited`).
   */
  finish(ctx: RequestContext, runner: PluginRunner, send: (answer: BufferedResponse) => void): void {
    const answer: BufferedResponse = { statusCode: this.head.statusCode, headers: this.head.headers, body: Buffer.concat(this.#chunks, this.#bytes) };
    const pending = runner.response(ctx, answer);
    if (pending === undefined) return afterResponse(ctx, runner, answer, send);
    pending.then(() => afterResponse(ctx, runner, answer, send));
  }
}

function afterResponse(ctx: RequestContext, runner: PluginRunner, answer: BufferedResponse, send: (answer: BufferedResponse) => void): void {
  if (ctx.exited) return;
  runner.headerFilter(ctx, answer);
  if (ctx.exited) return;
  if (runner.filtersBody) answer.body = runner.bodyFilter(ctx, answer.body, true);
  if (ctx.exited) return;
  // The body may have changed: its length is now known exactly.
  answer.headers['transfer-encoding'] = undefined;
  answer.headers['content-length'] = String(answer.body.length);
  send(answer);
}
