// Runs on the bench orchestrator. Scenario "traffic": what each traffic-control plugin costs alone.
// One Sluice with 1 worker and one route per case — no plugins, cors, ip-restriction,
// bot-detection, request-size-limiting, response-ratelimiting, redirect — loaded in alternation
// (compare.ts), so every case runs on the same process and the same upstream; each is reported as
// a ratio to "no plugins" of the same rounds. Every request passes the plugin's whole check and
// reaches the upstream (cors: an allowed Origin matched by a regex; ip-restriction: an allowed
// range after a deny list; bot-detection: a browser User-Agent; response-ratelimiting: limits
// never reached), except redirect, which answers without the upstream by design.
import { compare, type Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { stop, type Child } from '../proc.ts';
import { brief, pairedRatio, summaryTable, type Summary } from '../report/report.ts';
import { startSluice } from '../targets/sluice.ts';
import { routePerCase } from '../targets/sluice-configs.ts';

const GOAL_MAX_COST_PCT = 10;
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

export interface TrafficCase {
  name: string;
  path: string;
  headers: Record<string, string>;
  /** Answers without the upstream (redirect): not comparable with a proxied request. */
  answersItself?: boolean;
}

/**
 * The traffic bench's config and requests (the first case is the route without plugins), shared
 * with bench/plugin-instructions.ts so that both measure the same routes with the same requests.
 */
export function trafficBench(upstreamUrl: string): { config: { _format_version: string; services: unknown[] }; cases: TrafficCase[] } {
  const config = {
    ...routePerCase(upstreamUrl, {
      'none': [],
      'cors': [{ name: 'cors', config: { origins: ['http://app.example', String.raw`https://.*\.bench\.example`], credentials: true, exposed_headers: ['X-Trace'] } }],
      'ip-restriction': [{ name: 'ip-restriction', config: { deny: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'], allow: ['127.0.0.0/8', '::1'] } }],
      'bot-detection': [{ name: 'bot-detection' }],
      'request-size-limiting': [{ name: 'request-size-limiting', config: { allowed_payload_size: 1 } }],
      'response-ratelimiting': [{ name: 'response-ratelimiting', config: { limits: { video: { second: 1e9, day: 1e12 } }, limit_by: 'ip' } }],
      // Points at the upstream: the harness's reachability probe follows redirects (wrk does not).
      'redirect': [{ name: 'redirect', config: { location: `${upstreamUrl}/`, keep_incoming_path: true } }],
    }),
  };
  const ua = { 'user-agent': BROWSER };
  const cases: TrafficCase[] = [
    { name: 'no plugins', path: '/none', headers: ua },
    { name: 'cors (regex origin)', path: '/cors', headers: { ...ua, origin: 'https://a.bench.example' } },
    { name: 'ip-restriction', path: '/ip-restriction', headers: ua },
    { name: 'bot-detection', path: '/bot-detection', headers: ua },
    { name: 'request-size-limiting', path: '/request-size-limiting', headers: ua },
    { name: 'response-ratelimiting', path: '/response-ratelimiting', headers: ua },
    { name: 'redirect (no upstream)', path: '/redirect', headers: ua, answersItself: true },
  ];
  return { config, cases };
}

export async function runTrafficPluginsScenario(ctx: BenchContext): Promise<void> {
  ctx.out('\n## Traffic plugin cost: Sluice 1 worker, each plugin alone vs no plugins (one process, one route per case)');
  ctx.out(await describeBackground());
  const children: Child[] = [];
  try {
    const { config, cases } = trafficBench(ctx.upstreamUrl);
    const sluice = await startSluice({ name: 'sluice-traffic', workers: 1, config, tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs });
    children.push(sluice.child);
    const base = sluice.proxyUrl;
    const pid = sluice.child.pid;
    const targets = cases.map((c): Target => ({ name: c.name, url: `${base}${c.path}`, headers: c.headers, pid }));
    const outcomes = await compare(targets, ctx.settings);
    for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
    const measured = outcomes.filter((o): o is { name: string; summary: Summary } => 'summary' in o);
    ctx.out('');
    ctx.out(summaryTable(measured));
    const none = measured.find((m) => m.name === 'no plugins');
    if (none === undefined) return;
    ctx.out('');
    ctx.out(`| plugin | req/s vs no plugins | CPU µs/request vs no plugins | goal: cost ≤ ${GOAL_MAX_COST_PCT} % |`);
    ctx.out('|---|---|---|---|');
    for (const m of measured) {
      if (m === none) continue;
      const rps = pairedRatio(m.summary, none.summary, 'rps');
      const cpu = pairedRatio(m.summary, none.summary, 'cpuUsPerReq');
      const cost = (1 - rps) * 100;
      const cpuCost = (cpu - 1) * 100;
      const verdict = cases.find((c) => c.name === m.name)?.answersItself === true ? 'n/a (answers itself)' : cost <= GOAL_MAX_COST_PCT && (!Number.isFinite(cpuCost) || cpuCost <= GOAL_MAX_COST_PCT) ? 'met' : 'missed';
      ctx.out(`| ${m.name} | ${rps.toFixed(3)}× (cost ${cost.toFixed(1)} %) | ${Number.isFinite(cpu) ? `${cpu.toFixed(3)}× (${cpuCost >= 0 ? '+' : ''}${cpuCost.toFixed(1)} %)` : 'n/a'} | ${verdict} |`);
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}
