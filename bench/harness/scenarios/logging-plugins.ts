// Runs on the bench orchestrator. Scenario "logging": what each logging plugin costs alone.
// One Sluice with 1 worker and one route per case — no plugins, http-log (one POST per entry, as
// Kong's default max_batch_size 1), http-log batched (max_batch_size 100), file-log, tcp-log,
// udp-log, syslog — loaded in alternation (compare.ts), each reported as a ratio to "no plugins"
// of the same rounds. Every plugin ships every entry to a real local receiver that this
// orchestrator runs and that takes everything it is sent (an HTTP server answering 200, a TCP
// server reading and dropping, a UDP socket, a unix datagram socket for syslog, a file in the
// run's temp dir); the receivers' own CPU is the orchestrator's, not counted in the target's.
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { compare, type Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { stop, type Child } from '../proc.ts';
import { brief, pairedRatio, summaryTable, type Summary } from '../report/report.ts';
import { startSluice } from '../targets/sluice.ts';

const GOAL_MAX_COST_PCT = 10;

interface Receivers {
  httpUrl: string;
  tcpPort: number;
  udpPort: number;
  syslogPath: string;
  counts: { http: number; tcpBytes: number; udp: number; syslog: number };
  close(): Promise<void>;
}

async function startReceivers(tmpDir: string): Promise<Receivers> {
  const counts = { http: 0, tcpBytes: 0, udp: 0, syslog: 0 };
  const http = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      counts.http++;
      res.end();
    });
  });
  http.keepAliveTimeout = 120_000;
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => (counts.tcpBytes += chunk.length));
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  tcp.listen(0, '127.0.0.1');
  await once(tcp, 'listening');
  const udp = createSocket('udp4');
  udp.on('message', () => counts.udp++);
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const syslogPath = join(tmpDir, 'syslog.sock');
  // A thread reading with blocking recv(2), as a syslog daemon does (syslog-receiver.ts).
  const shared = new SharedArrayBuffer(8);
  const cells = new Int32Array(shared);
  const syslog = new Worker(new URL('./syslog-receiver.ts', import.meta.url), { workerData: { path: syslogPath, shared } });
  await once(syslog, 'message');
  Object.defineProperty(counts, 'syslog', { get: () => Atomics.load(cells, 0), enumerable: true });
  return {
    httpUrl: `http://127.0.0.1:${(http.address() as AddressInfo).port}/logs`,
    tcpPort: (tcp.address() as AddressInfo).port,
    udpPort: udp.address().port,
    syslogPath,
    counts,
    async close() {
      http.closeAllConnections();
      http.close();
      for (const socket of sockets) socket.destroy();
      tcp.close();
      udp.close();
      Atomics.store(cells, 1, 1);
      await once(syslog, 'exit');
    },
  };
}

export async function runLoggingPluginsScenario(ctx: BenchContext): Promise<void> {
  ctx.out('\n## Logging plugin cost: Sluice 1 worker, each plugin alone vs no plugins (one process, one route per case, real local receivers)');
  ctx.out(await describeBackground());
  const children: Child[] = [];
  let receivers: Receivers | null = null;
  try {
    receivers = await startReceivers(ctx.tmpDir);
    const route = (name: string, plugins: unknown[]): Record<string, unknown> => ({ name, paths: [`/${name}`], plugins });
    const config = {
      _format_version: '3.0',
      services: [
        {
          name: 'bench',
          url: ctx.upstreamUrl,
          routes: [
            route('none', []),
            route('http-log', [{ name: 'http-log', config: { http_endpoint: receivers.httpUrl } }]),
            route('http-log-batched', [{ name: 'http-log', config: { http_endpoint: `${receivers.httpUrl}/batched`, queue: { max_batch_size: 100, max_coalescing_delay: 0.1 } } }]),
            route('file-log', [{ name: 'file-log', config: { path: join(ctx.tmpDir, 'file-log.log') } }]),
            route('tcp-log', [{ name: 'tcp-log', config: { host: '127.0.0.1', port: receivers.tcpPort } }]),
            route('udp-log', [{ name: 'udp-log', config: { host: '127.0.0.1', port: receivers.udpPort } }]),
            route('syslog', [{ name: 'syslog' }]),
          ],
        },
      ],
    };
    const sluice = await startSluice({ name: 'sluice-logging', workers: 1, config, tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs, runtimeArgs: ['--syslog-socket', receivers.syslogPath] });
    children.push(sluice.child);
    const base = sluice.proxyUrl;
    const pid = sluice.child.pid;
    const targets: Target[] = [
      { name: 'no plugins', url: `${base}/none`, pid },
      { name: 'http-log', url: `${base}/http-log`, pid },
      { name: 'http-log (batches of 100)', url: `${base}/http-log-batched`, pid },
      { name: 'file-log', url: `${base}/file-log`, pid },
      { name: 'tcp-log', url: `${base}/tcp-log`, pid },
      { name: 'udp-log', url: `${base}/udp-log`, pid },
      { name: 'syslog', url: `${base}/syslog`, pid },
    ];
    const outcomes = await compare(targets, ctx.settings);
    for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
    const measured = outcomes.filter((o): o is { name: string; summary: Summary } => 'summary' in o);
    ctx.out('');
    ctx.out(summaryTable(measured));
    ctx.out('');
    const c = receivers.counts;
    ctx.out(`received: http-log requests ${c.http}, tcp-log ${c.tcpBytes} bytes, udp-log ${c.udp} datagrams, syslog ${c.syslog} datagrams`);
    const none = measured.find((m) => m.name === 'no plugins');
    if (none === undefined) return;
    ctx.out('');
    ctx.out(`| plugin | req/s vs no plugins | CPU µs/request vs no plugins | cost ≤ ${GOAL_MAX_COST_PCT} % (the goal is set for auth and traffic plugins; shown for reference) |`);
    ctx.out('|---|---|---|---|');
    for (const m of measured) {
      if (m === none) continue;
      const rps = pairedRatio(m.summary, none.summary, 'rps');
      const cpu = pairedRatio(m.summary, none.summary, 'cpuUsPerReq');
      const cost = (1 - rps) * 100;
      const cpuCost = (cpu - 1) * 100;
      const verdict = cost <= GOAL_MAX_COST_PCT && (!Number.isFinite(cpuCost) || cpuCost <= GOAL_MAX_COST_PCT) ? 'yes' : 'no';
      ctx.out(`| ${m.name} | ${rps.toFixed(3)}× (cost ${cost.toFixed(1)} %) | ${Number.isFinite(cpu) ? `${cpu.toFixed(3)}× (${cpuCost >= 0 ? '+' : ''}${cpuCost.toFixed(1)} %)` : 'n/a'} | ${verdict} |`);
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
    await receivers?.close();
  }
}
