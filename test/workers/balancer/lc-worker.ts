// A second thread for least-connections.test.ts: builds the same balancer on the shared memory,
// holds 50 requests on one target, and lets them go when told (worker thread of the test).
import { parentPort, workerData } from 'node:worker_threads';
import type { Target, Upstream } from '../../../config/types.ts';
import { LeastConnectionsBalancer } from '../../../workers/balancer/least-connections.ts';
import { UpstreamMemory } from '../../../runtime/protocol/upstream-memory.ts';

const data = workerData as { buffer: SharedArrayBuffer; upstream: Upstream; targets: Target[] };
const balancer = new LeastConnectionsBalancer(data.upstream, data.targets, 'f', new UpstreamMemory(data.buffer));
const peer = balancer.peers[0]!;
for (let i = 0; i < 50; i++) peer.memory.acquire(peer.slot);
parentPort!.postMessage(peer.target);
parentPort!.on('message', () => {
  for (let i = 0; i < 50; i++) balancer.done(peer);
  parentPort!.postMessage('released');
});
