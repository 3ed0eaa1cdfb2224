// Kong's phases through the worker's real data path (listener, Proxy, forward, a real upstream):
// header_filter on the streamed head, body_filter on every chunk (length-changing, so
// Content-Length goes), the buffered `response` phase (sync and async) seeing the whole body
// before header_filter and body_filter, and a buffered answer past its cap refused with 502.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { definePlugin } from '../../../../workers/plugins/define.ts';
import { MAX_BUFFERED_RESPONSE_BYTES } from '../../../../workers/proxy/buffered-response.ts';
import type { BufferedResponse, PluginInstance, UpstreamResponse } from '../../../../workers/plugins/types.ts';
import type { RequestContext } from '../../../../workers/proxy/context.ts';
import { request } from '../../../helpers/http.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { openSchema, snapshotOf } from '../helpers.ts';
import { startProxy } from '../proxy-harness.ts';

const shoutSchema = openSchema('shout', 900);
/** header_filter drops Content-Length and marks the answer; body_filter upper-cases every chunk and appends "!" at the end. */
class Shout implements PluginInstance {
  headerFilter(_ctx: RequestContext, upstream: UpstreamResponse): void {
    upstream.headers['content-length'] = undefined;
    upstream.headers['x-shout'] = 'on';
  }

  bodyFilter(_ctx: RequestContext, chunk: Buffer, last: boolean): Buffer {
    const text = chunk.toString('latin1').toUpperCase();
    return Buffer.from(last ? `${text}!` : text, 'latin1');
  }
}
const shout = definePlugin(shoutSchema, Shout);

const wrapSchema = openSchema('wrap', 800);
/** The buffered response phase: wraps the whole body in JSON and sets the status; async when config.async. */
class Wrap implements PluginInstance {
  readonly #async: boolean;
  constructor(config: { async?: boolean }) {
    this.#async = config.async === true;
  }

  response(_ctx: RequestContext, upstream: BufferedResponse): void | Promise<void> {
    const apply = (): void => {
      upstream.body = Buffer.from(JSON.stringify({ wrapped: upstream.body.toString(), status: upstream.statusCode }));
      upstream.statusCode = 299;
      upstream.headers['content-type'] = 'application/json';
    };
    if (!this.#async) return apply();
    return new Promise<void>((resolve) => setImmediate(() => (apply(), resolve())));
  }
}
const wrap = definePlugin(wrapSchema, Wrap);

/** Streams three chunks with pauses, chunked (no Content-Length), or a huge body for `/huge`. */
function upstreamHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url?.endsWith('/huge')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const more = (): void => {
      while (sent <= MAX_BUFFERED_RESPONSE_BYTES) {
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
    return;
  }
  if (req.url?.endsWith('/fixed')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
    res.end('hello world');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write('one ');
  setTimeout(() => {
    res.write('two ');
    setTimeout(() => res.end('three'), 10);
  }, 10);
}

describe('phases through the proxy', () => {
  test('header_filter and body_filter on a streamed answer, chunked and with Content-Length', async (t) => {
    const upstream = await startUpstream(upstreamHandler);
    t.after(() => upstream.close());
    const snapshot = snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/s'] }] }], plugins: [{ name: 'shout', route: 'r' }] }, [shoutSchema]);
    const proxy = await startProxy(t, snapshot, [shout]);
    const streamed = await request(`${proxy.url}/s/stream`);
    assert.equal(streamed.status, 200);
    assert.equal(streamed.body, 'ONE TWO THREE!');
    assert.equal(streamed.headers['x-shout'], 'on');
    const fixed = await request(`${proxy.url}/s/fixed`);
    assert.equal(fixed.body, 'HELLO WORLD!', 'a Content-Length body whose length changed arrives whole');
    assert.equal(fixed.headers['content-length'], undefined);
  });

  test('the buffered response phase sees the whole body, then header_filter and body_filter run on its result', async (t) => {
    const upstream = await startUpstream(upstreamHandler);
    t.after(() => upstream.close());
    const snapshot = snapshotOf(
      {
        services: [{ name: 's', url: upstream.url, routes: [{ name: 'sync', paths: ['/sync'] }, { name: 'async', paths: ['/async'] }] }],
        plugins: [{ name: 'wrap', route: 'sync' }, { name: 'wrap', route: 'async', config: { async: true } }, { name: 'shout' }],
      },
      [shoutSchema, wrapSchema],
    );
    const proxy = await startProxy(t, snapshot, [shout, wrap]);
    for (const path of ['/sync/stream', '/async/stream']) {
      const reply = await request(`${proxy.url}${path}`);
      assert.equal(reply.status, 299, path);
      assert.equal(reply.body, '{"WRAPPED":"ONE TWO THREE","STATUS":200}!', path);
      assert.equal(reply.headers['x-shout'], 'on');
    }
  });

  test('a buffered answer past the cap is refused with 502, and the proxy keeps serving', async (t) => {
    const upstream = await startUpstream(upstreamHandler);
    t.after(() => upstream.close());
    const snapshot = snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/b'] }] }], plugins: [{ name: 'wrap', route: 'r' }] }, [wrapSchema]);
    const proxy = await startProxy(t, snapshot, [wrap]);
    const huge = await request(`${proxy.url}/b/huge`);
    assert.equal(huge.status, 502);
    const small = await request(`${proxy.url}/b/fixed`);
    assert.equal(small.status, 299);
    assert.deepEqual(JSON.parse(small.body), { wrapped: 'hello world', status: 200 });
  });
});
