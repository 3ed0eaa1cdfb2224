// Runs on the bench orchestrator. Scenario "floor": where the floor for a Node.js proxy lies on
// this machine, measured in the same run as nginx and Sluice. Four targets, 1 worker/process
// each, same upstream, loaded in alternation exactly as the proxy scenario does (compare()):
//   nginx 1w             the reference;
//   node raw 1w          floor-raw.ts, a socket-to-socket relay with next to no HTTP (a measuring
//                        stick: what one Node process can move at all);
//   llhttp+undici 1w     floor-llhttp.ts, Sluice's own listener + an undici Pool and nothing else
//                        (the transport Sluice had before its own connector: kept as a yardstick);
//   connector 1w         floor-connector.ts, Sluice's own listener + its own upstream connector
//                        and nothing else (Sluice's transport floor: the connector, no gateway);
//   sluice 1w            Sluice as the proxy scenario starts it, plain config.
// The gap between the first two is Node itself; between the last two, the gateway.
import { join } from 'node:path';
import { compare, type Outcome } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { HOST, freePort } from '../net.ts';
import { start, waitForLine, type Child } from '../proc.ts';
import { goal } from './proxy.ts';
import { fmtX, pairedRatio, table } from '../report/report.ts';
import { printMeasured, TargetSet, type Entry } from '../targets/targets.ts';

const RAW = 'node raw 1w';
const LLHTTP = 'llhttp+undici 1w';
const CONNECTOR = 'connector 1w';

/** Starts floor-raw.ts or floor-llhttp.ts in its own process and waits for its ready line. */
async function startFloorHelper(name: string, script: string, upstreamUrl: string): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const args = [join(import.meta.dirname, '..', 'targets', script), '--port', String(port), '--upstream', upstreamUrl];
  const child = start(name, process.execPath, args);
  await waitForLine(child, (line) => line.includes('"ready":true'), 15_000);
  return { child, url: `http://${HOST}:${port}/` };
}

export async function runFloorScenario(ctx: BenchContext): Promise<Outcome[]> {
  ctx.out('\n## Node.js proxy floor, 1 worker/process each');
  ctx.out(`${RAW}: socket relay, head bytes forwarded unchanged, Content-Length framing only (bench/harness/targets/floor-raw.ts; a measuring stick, not a proxy)`);
  ctx.out(`${LLHTTP}: Sluice's Http1Server + undici Pool.dispatch, no router/plugins/timers (bench/harness/targets/floor-llhttp.ts)`);
  ctx.out(`${CONNECTOR}: Sluice's Http1Server + its own upstream connector, no router/plugins/timers (bench/harness/targets/floor-connector.ts)`);
  ctx.out(await describeBackground());
  const set = new TargetSet();
  try {
    await set.addNginx(ctx, 1, 'nginx-floor');
    for (const [name, script] of [[RAW, 'floor-raw.ts'], [LLHTTP, 'floor-llhttp.ts'], [CONNECTOR, 'floor-connector.ts']] as const) {
      await set.add(name, script, () => startFloorHelper(name, script, ctx.upstreamUrl));
    }
    await set.addSluice(ctx, 1, 'sluice-floor-1w');
    const outcomes = [...(await compare(set.targets, ctx.settings)), ...set.skipped];
    printFloor(ctx, outcomes);
    return outcomes;
  } finally {
    await set.stop();
  }
}

function printFloor(ctx: BenchContext, outcomes: readonly Outcome[]): void {
  const measured = printMeasured(ctx, outcomes);
  if (measured.length === 0) return;
  const find = (prefix: string): Entry | undefined => measured.find((o) => o.name.startsWith(prefix));
  const nginx = find('nginx');
  const raw = find(RAW);
  const llhttp = find(LLHTTP);
  const floor = find(CONNECTOR);
  const sluice = find('sluice');
  const ratio = (o: Entry | undefined, base: Entry | undefined, metric: 'rps' | 'p99Ms' | 'cpuUsPerReq'): number =>
    o === undefined || base === undefined ? NaN : pairedRatio(o.summary, base.summary, metric);
  ctx.out('');
  ctx.out(
    table(
      ['ratio (paired by round)', 'req/s vs nginx', 'p99 vs nginx', 'CPU/req vs nginx', `req/s vs ${CONNECTOR}`, `CPU/req vs ${CONNECTOR}`],
      measured.map((o) => [
        o.name,
        fmtX(ratio(o, nginx, 'rps')),
        fmtX(ratio(o, nginx, 'p99Ms')),
        fmtX(ratio(o, nginx, 'cpuUsPerReq')),
        fmtX(ratio(o, floor, 'rps')),
        fmtX(ratio(o, floor, 'cpuUsPerReq')),
      ]),
    ),
  );
  const x = ratio(raw, nginx, 'rps');
  const y = ratio(llhttp, nginx, 'rps');
  const c = ratio(floor, nginx, 'rps');
  const z = ratio(sluice, nginx, 'rps');
  // Z/C from the two figures on this line, so a reader can check it; without nginx, the direct
  // paired ratio of Sluice to its transport floor says the same.
  const share = nginx === undefined ? ratio(sluice, floor, 'rps') : z / c;
  ctx.out(
    `\nfloor: ${RAW}: ${fmtX(x)} nginx; ${LLHTTP}: ${fmtX(y)} nginx; ${CONNECTOR}: ${fmtX(c)} nginx; sluice 1w: ${fmtX(z)} nginx ` +
      `(${Number.isFinite(share) ? share.toFixed(2) : 'n/a'} of its transport floor, the connector)`,
  );
  if (sluice !== undefined && nginx !== undefined) ctx.out(`goals: ${goal('sluice ≥ 0.7× nginx', z >= 0.7)}`);
}
