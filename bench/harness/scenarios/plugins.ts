// Runs on the bench orchestrator. Scenario "plugins": what key-auth + rate-limiting cost.
// Two Sluice instances with 1 worker each, loaded in alternation: one without plugins, one whose
// route carries key-auth and rate-limiting (limit far above the load, so answers stay 200).
// The plugin config is POSTed through the Admin API; if Sluice refuses it, the scenario says so.
import { compare, type Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { describeBackground } from '../report/machine.ts';
import { stop, type Child } from '../proc.ts';
import { brief, fmtX, pairedRatio, summaryTable, type Summary } from '../report/report.ts';
import { postConfig, rejection, startSluice } from '../targets/sluice.ts';
import { API_KEY, plainConfig, pluginsConfig } from '../targets/sluice-configs.ts';
import { goal } from './proxy.ts';

const GOAL_MAX_COST_PCT = 15;

export async function runPluginsScenario(ctx: BenchContext): Promise<void> {
  ctx.out('\n## Plugin cost: Sluice 1 worker, key-auth + rate-limiting vs no plugins');
  ctx.out(await describeBackground());
  const children: Child[] = [];
  try {
    const common = { workers: 1, config: plainConfig(ctx.upstreamUrl), tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs };
    const plain = await startSluice({ name: 'sluice-plain', ...common });
    children.push(plain.child);
    const plugged = await startSluice({ name: 'sluice-plugins', ...common });
    children.push(plugged.child);
    let refused: string | null;
    try {
      refused = rejection(await postConfig(plugged.adminUrl, pluginsConfig(ctx.upstreamUrl), true));
    } catch (err) {
      refused = `POST /config failed: ${brief(err)}`;
    }
    if (refused !== null) {
      ctx.out(`skipped: ${refused}`);
      return;
    }
    const targets: Target[] = [
      { name: 'sluice no plugins', url: `${plain.proxyUrl}/`, pid: plain.child.pid },
      { name: 'sluice key-auth+rate-limit', url: `${plugged.proxyUrl}/`, headers: { apikey: API_KEY }, pid: plugged.child.pid },
    ];
    const outcomes = await compare(targets, ctx.settings);
    for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
    const measured = outcomes.filter((o): o is { name: string; summary: Summary } => 'summary' in o);
    ctx.out('');
    ctx.out(summaryTable(measured));
    const [base, withPlugins] = measured;
    if (measured.length === 2 && base !== undefined && withPlugins !== undefined) {
      // Paired by round: the two instances run back to back within each round.
      const cost = (1 - pairedRatio(withPlugins.summary, base.summary, 'rps')) * 100;
      const cpuCost = (pairedRatio(withPlugins.summary, base.summary, 'cpuUsPerReq') - 1) * 100;
      ctx.out(
        `\nthroughput cost of key-auth + rate-limiting: ${cost.toFixed(1)}%` +
          ` (median of per-round pairs; p99 ${fmtX(pairedRatio(withPlugins.summary, base.summary, 'p99Ms'))} of no-plugins;` +
          ` CPU per request ${Number.isFinite(cpuCost) ? `${cpuCost >= 0 ? '+' : ''}${cpuCost.toFixed(1)}%` : 'n/a'})`,
      );
      ctx.out(
        `goals: ${goal(`plugin cost ≤ ${GOAL_MAX_COST_PCT}% (req/s)`, cost <= GOAL_MAX_COST_PCT)}` +
          (Number.isFinite(cpuCost) ? `   ${goal(`plugin cost ≤ ${GOAL_MAX_COST_PCT}% (CPU/req)`, cpuCost <= GOAL_MAX_COST_PCT)}` : ''),
      );
    }
  } catch (err) {
    ctx.out(`skipped: ${brief(err)}`);
  } finally {
    await Promise.all(children.map((c) => stop(c)));
  }
}
