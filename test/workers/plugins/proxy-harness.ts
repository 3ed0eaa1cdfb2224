// The worker's real data path in the test process: its HTTP/1.1 listener, the Proxy (router,
// plugins iterator, phase runner, forward to a real upstream) and the worker's state building
// (buildState, with its O(changed) plugin updates), with extra test plugins in the registry.
// For plugin behaviour that a spawned runtime cannot show (test-only plugins, the iterator's
// identity across reconfigures).
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { applyDelta } from '../../../config/apply.ts';
import { diff } from '../../../config/diff.ts';
import type { Snapshot } from '../../../config/types.ts';
import { createCounterMemory } from '../../../runtime/protocol/counters.ts';
import { Http1Server } from '../../../workers/http1/server.ts';
import type { AnyPluginDefinition } from '../../../workers/plugins/instances.ts';
import { PluginInstances } from '../../../workers/plugins/instances.ts';
import { createRegistry } from '../../../workers/plugins/registry.ts';
import type { PluginEnv } from '../../../workers/plugins/types.ts';
import { ClientTimeouts } from '../../../workers/proxy/client-timeouts.ts';
import { Proxy } from '../../../workers/proxy/handler.ts';
import { Targets } from '../../../workers/proxy/targets.ts';
import { RebuildCounter } from '../../../workers/rebuilds.ts';
import { buildState, type StateDeps, type WorkerState } from '../../../workers/state.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import { UpstreamConnector } from '../../../workers/upstream/pool.ts';
import { captureLog, type Cleanups, type LogLine } from './helpers.ts';

export interface ProxyHarness {
  url: string;
  state: WorkerState;
  deps: StateDeps;
  lines: LogLine[];
  /** Where requests go; holds the WebSocket tunnel counters. */
  targets: Targets;
  /** Applies `next` as the worker does: as a delta from the current snapshot, then retain. */
  install(next: Snapshot): void;
}

/** `host`: the listener's address ('::1' or '::' for IPv6 and IPv4-mapped clients); 127.0.0.1 by default. */
export async function startProxy(t: Cleanups, snapshot: Snapshot, extra: readonly AnyPluginDefinition[] = [], host = '127.0.0.1', envExtra: Partial<PluginEnv> = {}): Promise<ProxyHarness> {
  const { log, lines } = captureLog();
  const wheel = new TimerWheel();
  const connector = new UpstreamConnector(wheel);
  let state: WorkerState | null = null;
  const env: PluginEnv = { worker: 0, wheel, counters: createCounterMemory(1024), credentials: () => state!.credentials, log, ...envExtra };
  const deps: StateDeps = { registry: createRegistry(extra), instances: new PluginInstances(log), env, rebuilds: new RebuildCounter(), rebuildAll: false, listenPort: 0 };
  state = buildState(null, snapshot, deps);
  deps.instances.retain(snapshot);
  const targets = new Targets(connector, { verify: false }, log);
  const proxy = new Proxy(state, targets, new ClientTimeouts(wheel, { idleMs: 60_000, bodyMs: 60_000, sendMs: 60_000 }), { port: '0', proto: 'http' }, log);
  const server = new Http1Server({ handler: (req, res) => proxy.handle(req, res), failed: (error) => log.error({ err: error }, 'connection failed') }, () => {});
  await new Promise<void>((resolve) => server.listen({ port: 0, host }, resolve));
  t.after(async () => {
    server.closeAllConnections();
    server.close();
    await once(server.net, 'close');
    connector.close();
    wheel.close();
  });
  const harness: ProxyHarness = {
    url: `http://${host === '::1' ? '[::1]' : '127.0.0.1'}:${(server.net.address() as AddressInfo).port}`,
    state,
    deps,
    lines,
    targets,
    install(next: Snapshot): void {
      const current = harness.state;
      const delta = diff(current.snapshot, { ...next, version: current.version + 1 });
      const applied = applyDelta(current.snapshot, delta);
      harness.state = buildState(current, applied, deps);
      state = harness.state;
      proxy.swap(harness.state);
      deps.instances.retain(applied);
    },
  };
  return harness;
}
