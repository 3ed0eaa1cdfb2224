// Services whose host is a DNS name, in a worker's state: which services get an address set, how
// an address is picked (SRV weights), what a config change or a new DNS answer rebuilds (that
// service's set, nothing else), the target a request is sent to (the address, with the name as
// Host), and the hosts-file family order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diff } from '../../../config/diff.ts';
import type { Service, Snapshot } from '../../../config/types.ts';
import { serviceHosts } from '../../../runtime/health/thread.ts';
import { createCounterMemory } from '../../../runtime/protocol/counters.ts';
import { createDnsMemory, DnsMemory, type DnsAnswers } from '../../../runtime/protocol/dns-memory.ts';
import { createLogger } from '../../../runtime/protocol/log.ts';
import { hostsAnswer } from '../../../workers/dns/cache.ts';
import { ServiceHost } from '../../../workers/dns/service-hosts.ts';
import { DnsView } from '../../../workers/dns/view.ts';
import { PluginInstances } from '../../../workers/plugins/instances.ts';
import { createRegistry } from '../../../workers/plugins/registry.ts';
import { Targets } from '../../../workers/proxy/targets.ts';
import { RebuildCounter } from '../../../workers/rebuilds.ts';
import { buildState, nextSnapshot, withDnsChanges, type StateDeps } from '../../../workers/state.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import { UpstreamConnector } from '../../../workers/upstream/pool.ts';
import { byName, snapshot } from '../../config/helpers.ts';

const svc = (id: string, port = 80): Service => ({ id, name: id, protocol: 'http', host: `${id}.test`, port, path: null, retries: 5, connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tls_verify: null, tls_verify_depth: null, enabled: true, tags: null });

function config(bPort = 8080, upstreamNamedB = false): string {
  return `
_format_version: "3.0"
upstreams:
  - name: up.test
    targets: [{ target: "t.test:9000" }]
${upstreamNamedB ? '  - name: b.svc\n    targets: [{ target: "127.0.0.9:9000" }]\n' : ''}services:
  - { name: a, host: A.svc, port: 8080 }
  - { name: b, host: b.svc, port: ${bPort} }
  - { name: ip, host: 10.0.0.1, port: 8080 }
  - { name: balanced, host: up.test }
`;
}

function setup(t: { after(fn: () => void): void }): { deps: StateDeps; memory: DnsMemory; rebuilds: RebuildCounter } {
  const wheel = new TimerWheel();
  t.after(() => wheel.close());
  const log = createLogger({ test: 'service-hosts' });
  const buffer = createDnsMemory(64 * 1024);
  const memory = new DnsMemory(buffer);
  const rebuilds = new RebuildCounter();
  const env = { worker: 0, wheel, counters: createCounterMemory(64), credentials: (): never => assert.fail('no credentials'), log };
  const deps: StateDeps = { registry: createRegistry(), instances: new PluginInstances(log), env, rebuilds, rebuildAll: false, listenPort: 8000, dns: new DnsView(buffer) };
  return { deps, memory, rebuilds };
}

const ANSWERS: DnsAnswers = {
  'a.svc': [{ ip: '10.1.0.1', port: null, weight: null }, { ip: '10.1.0.2', port: null, weight: null }],
  'b.svc': [{ ip: '10.2.0.1', port: null, weight: null }],
  't.test': [{ ip: '10.9.0.1', port: null, weight: null }],
};

describe('service hosts by name', () => {
  it('SRV weights decide the split, interleaved; an error answer picks nothing; no answer yet means by name', () => {
    const host = new ServiceHost(svc('s'), 's.test', [
      { ip: '10.0.0.1', port: 81, weight: 3 },
      { ip: '10.0.0.2', port: 82, weight: 1 },
    ]);
    const picks = Array.from({ length: 8 }, () => host.pick()!.port);
    assert.deepEqual(picks, [81, 81, 82, 81, 81, 81, 82, 81]);
    assert.equal(new ServiceHost(svc('s'), 's.test', null).pick(), null);
    assert.equal(new ServiceHost(svc('s'), 's.test', undefined).addresses, null);
    // A/AAAA answers take the service's port, weight 1 each.
    const plain = new ServiceHost(svc('s', 8443), 's.test', [{ ip: '10.0.0.1', port: null, weight: null }]);
    assert.deepEqual(plain.addresses, [{ ip: '10.0.0.1', port: 8443, weight: 1 }]);
  });

  it('only services whose host is a name and no upstream\'s get addresses; a new answer rebuilds that service\'s only', (t) => {
    const { deps, memory, rebuilds } = setup(t);
    memory.publish(ANSWERS);
    deps.dns!.poll();
    const first = buildState(null, snapshot(config(), 1), deps);
    const services = first.snapshot.entities.services;
    const a = byName(services, 'a');
    const b = byName(services, 'b');
    assert.deepEqual([...first.serviceHosts.byService.keys()].sort(), [a.id, b.id].sort());
    assert.deepEqual(first.serviceHosts.byService.get(a.id)!.addresses!.map((x) => x.ip), ['10.1.0.1', '10.1.0.2']);
    assert.deepEqual(rebuilds.counts['service-targets'], { initial: 2 });
    const balancersBefore = { ...rebuilds.counts.balancer };

    memory.publish({ ...ANSWERS, 'a.svc': [{ ip: '10.1.0.3', port: null, weight: null }] });
    const changed = deps.dns!.poll()!;
    assert.deepEqual([...changed], ['a.svc']);
    const second = withDnsChanges(first, changed, deps);
    assert.notEqual(second, first);
    assert.equal(second.serviceHosts.byService.get(b.id), first.serviceHosts.byService.get(b.id), 'b kept its object');
    assert.deepEqual(second.serviceHosts.byService.get(a.id)!.addresses!.map((x) => x.ip), ['10.1.0.3']);
    assert.deepEqual(rebuilds.counts['service-targets'], { initial: 2, dns: 1 });
    assert.deepEqual(rebuilds.counts.balancer, balancersBefore, 'no balancer rebuilt');
    assert.equal(second.balancers, first.balancers);

    // The name of the upstream's target changes: its balancer, no service's addresses.
    memory.publish({ ...ANSWERS, 'a.svc': [{ ip: '10.1.0.3', port: null, weight: null }], 't.test': [{ ip: '10.9.0.2', port: null, weight: null }] });
    const third = withDnsChanges(second, deps.dns!.poll()!, deps);
    assert.equal(third.serviceHosts, second.serviceHosts);
    assert.deepEqual(rebuilds.counts['service-targets'], { initial: 2, dns: 1 });
    assert.equal(rebuilds.counts.balancer.dns, 1);
  });

  it('a config change rebuilds the services it touches; an upstream taking a service host\'s name takes the service', (t) => {
    const { deps, memory, rebuilds } = setup(t);
    memory.publish(ANSWERS);
    deps.dns!.poll();
    const first = buildState(null, snapshot(config(), 1), deps);
    const next = (state: typeof first, text: string, version: number): typeof first => buildState(state, nextSnapshot(state, diff(state.snapshot, snapshot(text, version) as Snapshot)), deps);
    const second = next(first, config(8081), 2);
    const a = byName(second.snapshot.entities.services, 'a');
    const b = byName(second.snapshot.entities.services, 'b');
    assert.equal(second.serviceHosts.byService.get(a.id), first.serviceHosts.byService.get(a.id));
    assert.equal(second.serviceHosts.byService.get(b.id)!.addresses![0]!.port, 8081);
    assert.deepEqual(rebuilds.counts['service-targets'], { initial: 2, services: 1 });

    const third = next(second, config(8081, true), 3);
    assert.equal(third.serviceHosts.byService.has(b.id), false, 'b.svc is now an upstream');
    assert.equal(third.serviceHosts.byService.get(a.id), first.serviceHosts.byService.get(a.id));
  });

  it('a request goes to an address of the answer with the name as Host; an error answer gives no target (503)', (t) => {
    const { deps, memory } = setup(t);
    memory.publish({ ...ANSWERS, 'b.svc': null });
    deps.dns!.poll();
    const state = buildState(null, snapshot(config(), 1), deps);
    const connector = new UpstreamConnector(new TimerWheel());
    t.after(() => connector.wheel.close());
    const targets = new Targets(connector, { verify: false }, createLogger({ test: 'service-hosts' }));
    const services = state.snapshot.entities.services;
    const a = byName(services, 'a');
    const hosts = [targets.direct(a, state.serviceHosts)!, targets.direct(a, state.serviceHosts)!];
    assert.deepEqual(hosts.map((x) => `${x.pool.address.host}:${x.pool.address.port}`).sort(), ['10.1.0.1:8080', '10.1.0.2:8080']);
    assert.equal(hosts[0]!.hostHeader, 'A.svc:8080');
    assert.equal(targets.direct(a, state.serviceHosts), hosts[0], 'the target of an address is made once');
    assert.equal(targets.direct(byName(services, 'b'), state.serviceHosts), null);
    assert.equal(targets.direct(byName(services, 'ip'), state.serviceHosts)!.pool.address.host, '10.0.0.1');
  });

  it('the primary hands over service hosts that are names and no upstream\'s, once each, lower case', () => {
    assert.deepEqual(serviceHosts(snapshot(config(), 1)), ['a.svc', 'b.svc']);
    assert.deepEqual(serviceHosts(snapshot(config(8080, true), 1)), ['a.svc']);
  });

  it('hosts-file answers take the first family the record order names', () => {
    assert.deepEqual(hostsAnswer(['127.0.0.1', '::1'], ['LAST', 'SRV', 'A', 'AAAA']), ['127.0.0.1']);
    assert.deepEqual(hostsAnswer(['127.0.0.1', '::1'], ['AAAA', 'A']), ['::1']);
    assert.deepEqual(hostsAnswer(['::1'], ['A', 'AAAA']), ['::1']);
    assert.deepEqual(hostsAnswer(['127.0.0.1', '::1'], ['SRV']), ['127.0.0.1', '::1']);
  });
});
