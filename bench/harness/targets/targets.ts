// Runs on the bench orchestrator. The targets of one comparison: each one started, or skipped with
// the reason it did not start, and every process stopped at the end whatever happened.
import { join } from 'node:path';
import type { Outcome, Target } from '../load/compare.ts';
import type { BenchContext } from '../context.ts';
import { startNginxProxy } from './nginx.ts';
import { HOST, freePort } from '../net.ts';
import { stop, type Child } from '../proc.ts';
import { brief, summaryTable, type Summary } from '../report/report.ts';
import { startSluice } from './sluice.ts';
import { plainConfig } from './sluice-configs.ts';

export const NGINX_MISSING = 'nginx not installed: apt-get install nginx-light — skipped';

export class TargetSet {
  readonly targets: Target[] = [];
  readonly skipped: Outcome[] = [];
  readonly #children: Child[] = [];

  /** Starts one target; a failure is recorded as skipped (`what` names it in the reason). */
  async add(name: string, what: string, startTarget: () => Promise<{ child: Child; url: string }>): Promise<void> {
    try {
      const { child, url } = await startTarget();
      this.#children.push(child);
      this.targets.push({ name, url, pid: child.pid });
    } catch (err) {
      this.skipped.push({ name, skipped: `${what} did not start: ${brief(err)}` });
    }
  }

  /** nginx as the reference proxy with `workers` worker processes, or the skip line when absent. */
  async addNginx(ctx: BenchContext, workers: number, dirName: string): Promise<void> {
    if (ctx.nginx === null) return void ctx.out(NGINX_MISSING);
    await this.add(`nginx ${workers}w`, 'nginx', async () => {
      const port = await freePort();
      const child = await startNginxProxy(join(ctx.tmpDir, dirName), port, workers, ctx.upstream.ports[0] ?? 0);
      return { child, url: `http://${HOST}:${port}/` };
    });
  }

  /** Sluice with `workers` workers and the plain proxying config. */
  /** `runtimeArgs` (extra `node runtime` options) also name the target: `sluice 1w --headers off`. */
  async addSluice(ctx: BenchContext, workers: number, processName: string, runtimeArgs: string[] = []): Promise<void> {
    await this.add([`sluice ${workers}w`, ...runtimeArgs].join(' '), 'Sluice', async () => {
      const sluice = await startSluice({ name: processName, workers, config: plainConfig(ctx.upstreamUrl), tmpDir: ctx.tmpDir, nodeArgs: ctx.sluiceNodeArgs, runtimeArgs });
      return { child: sluice.child, url: `${sluice.proxyUrl}/` };
    });
  }

  stop(): Promise<unknown> {
    return Promise.all(this.#children.map((c) => stop(c)));
  }
}

/** A target that was measured. */
export type Entry = { name: string; summary: Summary };

/** Prints each skipped target's reason and the summary table; returns the measured targets. */
export function printMeasured(ctx: BenchContext, outcomes: readonly Outcome[]): Entry[] {
  const measured = outcomes.filter((o): o is Entry => 'summary' in o);
  for (const o of outcomes) if ('skipped' in o) ctx.out(`${o.name}: skipped: ${o.skipped}`);
  if (measured.length === 0) return measured;
  ctx.out('');
  ctx.out(summaryTable(measured));
  return measured;
}
