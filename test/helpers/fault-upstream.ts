// A raw TCP upstream that answers each request with scripted bytes and faults (refuse, reset
// before or after the head, reset mid-body, stall, slow drip, bad framing, early close), for
// tests of the upstream connector and the proxy's answers to a faulty upstream.
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** What the upstream does with one request; `n` counts requests on this connection from 1. */
export type Script = (socket: Socket, request: string, n: number) => void | Promise<void>;

export interface FaultUpstream {
  port: number;
  url: string;
  /** Connections accepted so far. */
  connections: number;
  /** Every request head received, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Reads request heads (and, by Content-Length or chunked, skips their bodies) and runs `script`
 * for each. Requests are not pipelined by the connector, so one head at a time is enough.
 */
export async function startFaultUpstream(script: Script): Promise<FaultUpstream> {
  const sockets = new Set<Socket>();
  const state: FaultUpstream = { port: 0, url: '', connections: 0, requests: [], close: async () => undefined };
  const server: Server = createServer({ allowHalfOpen: false }, (socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    let n = 0;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buffer.slice(0, end + 4);
        let rest = buffer.slice(end + 4);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (length !== null) {
          const size = Number(length[1]);
          if (rest.length < size) return;
          rest = rest.slice(size);
        } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
          const last = rest.indexOf('0\r\n\r\n');
          if (last === -1) return;
          rest = rest.slice(last + 5);
        }
        buffer = rest;
        state.requests.push(head);
        void script(socket, head, ++n);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  state.port = (server.address() as AddressInfo).port;
  state.url = `http://127.0.0.1:${state.port}`;
  state.close = async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  };
  return state;
}

/** Ends the connection with a TCP RST instead of a FIN. */
export function reset(socket: Socket): void {
  socket.resetAndDestroy();
}

export const OK_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n';

/** A complete keep-alive response with a Content-Length body. */
export function okResponse(body: string, extra = ''): string {
  return `${OK_HEAD}content-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}
