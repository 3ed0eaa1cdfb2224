// Runs on the bench orchestrator. Scenario "proxy": Sluice vs nginx vs the Node peer, each with
// the same number of workers, plain proxying to the same upstream, loaded in alternation; and Sluice
// once more with `--headers off --headers-upstream off`, which prices the headers Kong's defaults
// add (Via, Server, the latencies, X-Kong-Request-Id both ways).
import { compare, type Outcome } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { startNodePeer } from '../targets/peer.ts';
import { fmtX, pairedRatio, table } from '../report/report.ts';
import { printMeasured, TargetSet, type Entry } from '../targets/targets.ts';

const GOAL_VS_NGINX = 0.7;
const GOAL_VS_PEER = 1.3;
const HEADERS_OFF = ['--headers', 'off', '--headers-upstream', 'off'];

export async function runProxyScenario(ctx: BenchContext, workers: number): Promise<Outcome[]> {
  const label = `${workers} worker${workers === 1 ? '' : 's'} each`;
  ctx.out(`\n## Proxy throughput, ${label}`);
  ctx.out(await describeBackground());
  const set = new TargetSet();
  try {
    await set.addNginx(ctx, workers, `nginx-proxy-${workers}`);
    await set.add(`node-peer ${workers}w`, 'the Node peer', async () => {
      const peer = await startNodePeer(workers, ctx.upstreamUrl);
      return { child: peer.child, url: `${peer.url}/` };
    });
    await set.addSluice(ctx, workers, `sluice-${workers}w`);
    await set.addSluice(ctx, workers, `sluice-${workers}w-no-headers`, HEADERS_OFF);
    const outcomes = [...(await compare(set.targets, ctx.settings)), ...set.skipped];
    printOutcomes(ctx, outcomes);
    return outcomes;
  } finally {
    await set.stop();
  }
}

function printOutcomes(ctx: BenchContext, outcomes: readonly Outcome[]): void {
  const measured = printMeasured(ctx, outcomes);
  if (measured.length === 0) return;
  const nginx = measured.find((o) => o.name.startsWith('nginx'));
  const peer = measured.find((o) => o.name.startsWith('node-peer'));
  ctx.out('');
  const ratio = (o: Entry, base: Entry | undefined, metric: 'rps' | 'p99Ms' | 'cpuUsPerReq'): string =>
    base === undefined ? 'n/a' : fmtX(pairedRatio(o.summary, base.summary, metric));
  ctx.out(
    table(
      ['ratio (paired by round)', 'req/s vs nginx', 'req/s vs node-peer', 'p99 vs nginx', 'p99 vs node-peer', 'CPU/req vs nginx', 'CPU/req vs node-peer'],
      measured.map((o) => [
        o.name,
        ratio(o, nginx, 'rps'),
        ratio(o, peer, 'rps'),
        ratio(o, nginx, 'p99Ms'),
        ratio(o, peer, 'p99Ms'),
        ratio(o, nginx, 'cpuUsPerReq'),
        ratio(o, peer, 'cpuUsPerReq'),
      ]),
    ),
  );
  const sluice = measured.find((o) => o.name.startsWith('sluice') && !o.name.endsWith(HEADERS_OFF.join(' ')));
  const bare = measured.find((o) => o.name.endsWith(HEADERS_OFF.join(' ')));
  if (sluice !== undefined && bare !== undefined) {
    ctx.out(`\ngateway headers (Kong's defaults) vs none: req/s ${fmtX(pairedRatio(sluice.summary, bare.summary, 'rps'))}, CPU/req ${fmtX(pairedRatio(sluice.summary, bare.summary, 'cpuUsPerReq'))}`);
  }
  if (sluice !== undefined) {
    const goals: string[] = [];
    if (nginx !== undefined) goals.push(goal('sluice ≥ 0.7× nginx', pairedRatio(sluice.summary, nginx.summary, 'rps') >= GOAL_VS_NGINX));
    if (peer !== undefined) goals.push(goal('sluice ≥ 1.3× node-peer', pairedRatio(sluice.summary, peer.summary, 'rps') >= GOAL_VS_PEER));
    if (goals.length > 0) ctx.out(`\ngoals: ${goals.join('   ')}`);
  }
}

export function goal(text: string, met: boolean): string {
  return `${text}: ${met ? 'met' : 'NOT met'}`;
}
