// A real gRPC server and client for tests (@grpc/grpc-js), with service definitions built by hand:
// messages are raw bytes (serialize / deserialize are the identity), requests a small JSON text,
// so no .proto compile step is needed. The `test.Echo` service (and copies of it under other
// names, for routes that match on the service name in the path) has one method of each kind:
//   Unary         echoes the request; {fail: code} answers that status with trailing metadata;
//                 {trailersOnly: true} answers a status without any message (trailers-only);
//                 {hang: true} never answers
//   Stream        server streaming: {count, size} messages of `size` bytes, then OK or, with
//                 {failWith: code}, that status and trailing metadata; {hold: true} sends one
//                 and then nothing (a call the client cancels)
//   Collect       client streaming: answers the number of messages and bytes received
//   Chat          bidi: echoes each message as it comes
import * as grpc from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

function method(service: string, name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream,
    responseStream,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  };
}

export function echoDefinition(service = 'test.Echo'): grpc.ServiceDefinition {
  return {
    Unary: method(service, 'Unary', false, false),
    Stream: method(service, 'Stream', false, true),
    Collect: method(service, 'Collect', true, false),
    Chat: method(service, 'Chat', true, true),
  };
}

/** What the server saw, for assertions. */
export class EchoStats {
  /** Metadata of the last call, as the server received it. */
  lastMetadata: Record<string, unknown> = {};
  /** Stream and hanging Unary calls cancelled by their client (the RST_STREAM reached the server). */
  cancelled = 0;
  /** Bytes the current Stream call has handed to grpc-js so far. */
  streamed = 0;
  /** Set by a Stream call with {hold: true} once its first message is written. */
  holding = false;
}

export interface EchoServer {
  port: number;
  stats: EchoStats;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function parse(b: Buffer): Json {
  try {
    return JSON.parse(b.toString()) as Json;
  } catch {
    return {};
  }
}

export async function startEchoServer(services: string[], credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<EchoServer> {
  const server = new grpc.Server();
  const stats = new EchoStats();
  const impl: grpc.UntypedServiceImplementation = {
    Unary(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      stats.lastMetadata = call.metadata.getMap();
      const req = parse(call.request);
      if (typeof req['fail'] === 'number') {
        const trailer = new grpc.Metadata();
        trailer.set('x-reason', 'asked-to-fail');
        trailer.set('x-detail-bin', Buffer.from([0, 1, 2, 255]));
        return callback({ code: req['fail'], details: `failed as asked: ${String(req['fail'])}`, metadata: trailer });
      }
      if (req['trailersOnly'] === true) return callback({ code: grpc.status.NOT_FOUND, details: 'nothing here' });
      // Never answers (a read timeout); the call is dropped when its client or the gateway cancels.
      if (req['hang'] === true) return void call.on('cancelled', () => stats.cancelled++);
      const header = new grpc.Metadata();
      header.set('x-echo-header', 'h1');
      call.sendMetadata(header);
      const trailer = new grpc.Metadata();
      trailer.set('x-echo-trailer', 't1');
      callback(null, Buffer.from(JSON.stringify({ echo: req, authority: call.getPath() })), trailer);
    },
    Stream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      stats.lastMetadata = call.metadata.getMap();
      const req = parse(call.request);
      stats.streamed = 0;
      call.on('cancelled', () => stats.cancelled++);
      if (req['hold'] === true) {
        call.write(Buffer.from('first'));
        stats.holding = true;
        return;
      }
      const count = Number(req['count'] ?? 1);
      const size = Number(req['size'] ?? 16);
      const chunk = Buffer.alloc(size, 0x61);
      let sent = 0;
      const pump = (): void => {
        while (sent < count) {
          sent++;
          stats.streamed += size;
          if (call.cancelled) return;
          if (!call.write(chunk)) return void call.once('drain', pump);
        }
        if (typeof req['failWith'] === 'number') {
          const trailer = new grpc.Metadata();
          trailer.set('x-after', String(count));
          call.emit('error', { code: req['failWith'], details: 'failed after the messages', metadata: trailer });
          return;
        }
        call.end();
      };
      pump();
    },
    Collect(call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
      stats.lastMetadata = call.metadata.getMap();
      let messages = 0;
      let bytes = 0;
      call.on('data', (b: Buffer) => {
        messages++;
        bytes += b.length;
      });
      call.on('end', () => callback(null, Buffer.from(JSON.stringify({ messages, bytes }))));
    },
    Chat(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
      stats.lastMetadata = call.metadata.getMap();
      call.on('data', (b: Buffer) => call.write(Buffer.concat([Buffer.from('echo:'), b])));
      call.on('end', () => call.end());
    },
  };
  for (const service of services) server.addService(echoDefinition(service), impl);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (error, p) => (error === null ? resolve(p) : reject(error))));
  return {
    port,
    stats,
    close: () => {
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}

export type EchoClient = grpc.Client & {
  Unary(req: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientUnaryCall;
  Stream(req: Buffer, metadata?: grpc.Metadata): grpc.ClientReadableStream<Buffer>;
  Collect(metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientWritableStream<Buffer>;
  Chat(metadata?: grpc.Metadata): grpc.ClientDuplexStream<Buffer, Buffer>;
};

export function echoClient(address: string, service = 'test.Echo', credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): EchoClient {
  const Ctor = grpc.makeGenericClientConstructor(echoDefinition(service), service);
  return new Ctor(address, credentials, options) as unknown as EchoClient;
}

export interface UnaryResult {
  error: grpc.ServiceError | null;
  value: Json | null;
  headers: grpc.Metadata | null;
  trailers: grpc.Metadata | null;
}

/** One unary call; resolves with the status, whichever it is, and both metadata sets. */
export function unary(client: EchoClient, req: Json, metadata = new grpc.Metadata()): Promise<UnaryResult> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | null = null;
    let trailers: grpc.Metadata | null = null;
    let settled: { error: grpc.ServiceError | null; value: Json | null } | null = null;
    let statusSeen = false;
    const finish = (): void => {
      if (settled !== null && statusSeen) resolve({ ...settled, headers, trailers });
    };
    const call = client.Unary(Buffer.from(JSON.stringify(req)), metadata, { deadline: Date.now() + 30_000 }, (error, res) => {
      settled = { error, value: res === undefined ? null : parse(res) };
      finish();
    });
    call.on('metadata', (m: grpc.Metadata) => (headers = m));
    call.on('status', (s: grpc.StatusObject) => {
      trailers = s.metadata;
      statusSeen = true;
      finish();
    });
  });
}

export { grpc };
