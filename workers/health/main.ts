// Entry of the health-check and DNS thread: the one place in the process that sends active probes
// and resolves names (the primary spawns it once; runtime/health/thread.ts). It keeps its own timer
// wheel and receives the config's upstreams, targets and service hosts whenever they change; probe
// results go to the shared upstream memory, DNS answers to the shared DNS memory.
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../runtime/protocol/log.ts';
import type { HealthBoot, ToHealth } from '../../runtime/protocol/health-messages.ts';
import { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { TimerWheel } from '../timers/wheel.ts';
import { getServers } from 'node:dns';
import { DnsMemory } from '../../runtime/protocol/dns-memory.ts';
import { isName, parseTarget } from '../balancer/peer.ts';
import { DnsCache, wireQuery } from '../dns/cache.ts';
import { readHostsFile } from '../dns/hosts.ts';
import { ActiveChecker } from './checker.ts';
import { closeProbeAgents, probe } from './probe.ts';

const boot = workerData as HealthBoot;
const log = createLogger({ thread: 'health' });
const wheel = new TimerWheel({ workerId: -1, workerCount: 1, onError: (error, name) => log.error({ err: error, timer: name }, 'timer callback failed') });
const settings = boot.dnsSettings;
const dns = new DnsCache(settings, wheel, new DnsMemory(boot.dns), wireQuery(settings.servers, settings.timeoutMs, getServers()), readHostsFile(settings.hostsFile));
const checker = new ActiveChecker(new UpstreamMemory(boot.upstreams), wheel, probe, (name) => dns.answer(name));
const port = parentPort!;

port.on('message', (message: ToHealth) => {
  switch (message.type) {
    case 'targets': {
      checker.update(message.upstreams, message.targets);
      // Every target host that is a name, and every service host that names no upstream, is kept
      // resolved; names nothing uses any more are dropped.
      const names = new Set<string>(message.serviceHosts);
      for (const target of message.targets) {
        const { host } = parseTarget(target.target);
        if (isName(host)) names.add(host);
      }
      dns.watch(names).catch((error: unknown) => log.error({ err: error }, 'DNS watch failed'));
      break;
    }
    case 'sent':
      port.postMessage({ type: 'sent', id: message.id, sent: Object.fromEntries(checker.sent) });
      break;
    case 'stop':
      checker.close();
      dns.close();
      void closeProbeAgents().then(() => port.close());
      break;
  }
});
port.postMessage({ type: 'ready' });
