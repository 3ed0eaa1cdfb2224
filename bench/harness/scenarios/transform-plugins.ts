// Runs on the bench orchestrator. Scenario "transform": what the transformation and caching plugins
// cost alone. One Sluice with 1 worker and one route per case — no plugins, request-transformer
// (headers and querystring, with a template), response-transformer (headers), proxy-cache hits,
// proxy-cache bypass — loaded in alternation (compare.ts) on the same process and upstream, each
// reported as a ratio to "no plugins" of the same rounds. A proxy-cache hit never reaches the
// upstream, so it is cheaper than proxying: its row shows what a hit saves, not a cost.
import { compare, type Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { stop, type Child } from '../proc.ts';
import { brief, pairedRatio, summaryTable, type Summary } from '../report/report.ts';
import { startSluice } from '../targets/sluice.ts';

export async function runTransformPluginsScenario(ctx: BenchContext): Promise<void> {
  ctx.out('\n## Transformation and caching plugin cost: Sluice 1 worker, each plugin alone vs no plugins (one process, one route per case)');
  ctx.out(await describeBackground());
  const children: Child[] = [];
  try {
    const route = (name: string, plugins: unknown[]): Record<string, unknown> => ({ name, paths: [`/${name}`], plugins });
    const config = {
      _format_version: '3.0',
      services: [
        {
          name: 'bench',
          url: ctx.upstreamUrl,
          routes: [
            route('none', []),
            route('request-transformer', [
              {
                name: 'request-transformer',
                config: { remove: { headers: ['x-drop'] }, add: { headers: ['x-added:yes', 'x-from:$(headers.user_agent)'], querystring: ['q:1'] }, rename: { headers: ['x-old:x-new'] } },
              },
            ]),
            route('response-transformer', [{ name: 'response-transformer', config: { remove: { headers: ['server'] }, add: { headers: ['x-added:yes'] } } }]),
            route('proxy-cache', [{ name: 'proxy-cache', config: { strategy: 'memory' } }]),
            route('proxy-cache-bypass', [{ name: 'proxy-cache', config: { strategy: 'memory', request_method: ['POST'] } }]),
          ],
        },
      ],
    };
    const sluice = await startSluice({ name: 'sluice-transform', workers: 1, config, tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs });
    children.push(sluice.child);
    const base = sluice.proxyUrl;
    const pid = sluice.child.pid;
    const targets: Target[] = [
      { name: 'no plugins', url: `${base}/none`, pid },
      { name: 'request-transformer', url: `${base}/request-transformer`, headers: { 'x-drop': '1', 'x-old': 'v' }, pid },
      { name: 'response-transformer', url: `${base}/response-transformer`, pid },
      { name: 'proxy-cache (hits)', url: `${base}/proxy-cache`, pid },
      { name: 'proxy-cache (bypass)', url: `${base}/proxy-cache-bypass`, pid },
    ];
    const outcomes = await compare(targets, ctx.settings);
    for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
    const measured = outcomes.filter((o): o is { name: string; summary: Summary } => 'summary' in o);
    ctx.out('');
    ctx.out(summaryTable(measured));
    const none = measured.find((m) => m.name === 'no plugins');
    if (none === undefined) return;
    ctx.out('');
    ctx.out('| plugin | throughput vs no plugins | CPU/request vs no plugins |');
    ctx.out('|---|---|---|');
    for (const m of measured) {
      if (m === none) continue;
      const rps = (pairedRatio(m.summary, none.summary, 'rps') - 1) * 100;
      const cpu = (pairedRatio(m.summary, none.summary, 'cpuUsPerReq') - 1) * 100;
      ctx.out(`| ${m.name} | ${rps >= 0 ? '+' : ''}${rps.toFixed(1)} % | ${Number.isFinite(cpu) ? `${cpu >= 0 ? '+' : ''}${cpu.toFixed(1)} %` : 'n/a'} |`);
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}
