// Runs on a worker thread of the bench orchestrator: the syslog scenario's receiver, a unix datagram
// socket read with blocking recv(2) on this thread of its own (Node has no unix datagram sockets,
// and a timer-polled reader would be slower than a syslog daemon: the kernel's queue is only
// net.unix.max_dgram_qlen datagrams deep). Counts datagrams into the shared array: [count, stop].
import { parentPort, workerData } from 'node:worker_threads';
import { UnixDgramSocket } from '../../../workers/logging/unix-dgram.ts';

const { path, shared } = workerData as { path: string; shared: SharedArrayBuffer };
const cells = new Int32Array(shared);
const socket = new UnixDgramSocket({ blocking: true });
if (socket.bind(path) !== 0) throw new Error(`cannot bind ${path}`);
// Wakes every 100 ms without traffic to see whether it was told to stop.
socket.receiveTimeout(100);
parentPort!.postMessage('bound');
const scratch = Buffer.allocUnsafe(65_536);
while (Atomics.load(cells, 1) === 0) {
  if (socket.receiveInto(scratch) >= 0) Atomics.add(cells, 0, 1);
}
socket.close();
