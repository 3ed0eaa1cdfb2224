// Runs on the bench orchestrator. How busy the machine is with work that is not ours: sampled
// while no load runs, so a reader can tell a quiet run from one shared with other jobs.
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** All cores' busy and total clock ticks since boot (os.cpus): two readings give a share. */
export function cpuTicks(): { busy: number; all: number } {
  let busy = 0;
  let all = 0;
  for (const { times } of cpus()) {
    const sum = times.user + times.nice + times.sys + times.irq + times.idle;
    all += sum;
    busy += sum - times.idle;
  }
  return { busy, all };
}

/** Share of all cores' time spent busy over `ms` (0-100). */
export async function backgroundCpuPercent(ms = 1000): Promise<number> {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  return b.all === a.all ? 0 : ((b.busy - a.busy) / (b.all - a.all)) * 100;
}

export async function describeBackground(): Promise<string> {
  const pct = await backgroundCpuPercent();
  const verdict = pct < 10 ? 'quiet' : pct < 35 ? 'some background load' : 'BUSY: other jobs compete for the CPU, expect noisy figures';
  return `background CPU before the scenario: ${pct.toFixed(0)}% of ${cpus().length} cores (${verdict})`;
}
