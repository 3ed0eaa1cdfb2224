// A gRPC upstream for bench/grpc.ts (a child process of the bench orchestrator, never inside
// Sluice): @grpc/grpc-js serving `bench.Echo/Unary`, which answers the request bytes it got, on
// 127.0.0.1:--port over h2c. Prints {"ready":true} once bound; exits with its parent.
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' } } });
const identity = (b: Buffer): Buffer => b;
const server = new grpc.Server();
server.addService(
  { Unary: { path: '/bench.Echo/Unary', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
  { Unary: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, call.request) },
);
server.bindAsync(`127.0.0.1:${values.port ?? '0'}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error !== null) throw error;
  process.stdout.write(`${JSON.stringify({ ready: true, port })}\n`);
});
exitWithParent(() => {
  server.forceShutdown();
  process.exit(0);
});
