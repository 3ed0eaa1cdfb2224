// Entry of the health-check thread: the one place in the process that sends active probes (the
// primary spawns it once; runtime/health/thread.ts). It keeps its own timer wheel and receives the
// config's upstreams and targets whenever they change; results go to the shared upstream memory.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../runtime/protocol/log.ts';
import type { HealthBoot, ToHealth } from '../../runtime/protocol/health-messages.ts';
import { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { TimerWheel } from '../timers/wheel.ts';
import { ActiveChecker } from './checker.ts';
import { closeProbeAgents, probe } from './probe.ts';

const boot = workerData as HealthBoot;
const log = createLogger({ thread: 'health' });
const wheel = new TimerWheel({ workerId: -1, workerCount: 1, onError: (error, name) => log.error({ err: error, timer: name }, 'timer callback failed') });
const checker = new ActiveChecker(new UpstreamMemory(boot.upstreams), wheel, probe);
const port = parentPort!;

port.on('message', (message: ToHealth) => {
  switch (message.type) {
    case 'targets':
      checker.update(message.upstreams, message.targets);
      break;
    case 'sent':
      port.postMessage({ type: 'sent', id: message.id, sent: Object.fromEntries(checker.sent) });
      break;
    case 'stop':
      checker.close();
      void closeProbeAgents().then(() => port.close());
      break;
  }
});
port.postMessage({ type: 'ready' });
