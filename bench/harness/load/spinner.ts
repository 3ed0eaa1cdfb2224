// Runs on the bench orchestrator. An outside CPU load with no Sluice work in it: a process that
// keeps one core busy `duty` of the time (busy, then idle, in 10 ms periods) at a given nice
// value — the floor of what a busy core alone does to another process's latency on this machine.
import { start, type Child } from '../proc.ts';

const PERIOD_MS = 10;

export function startSpinner(duty: number, nice: number): Child {
  const busyMs = Math.max(0, Math.min(1, duty)) * PERIOD_MS;
  const source = `
    const busy = ${busyMs};
    function tick() {
      const end = performance.now() + busy;
      while (performance.now() < end);
      if (busy >= ${PERIOD_MS}) setImmediate(tick);
      else setTimeout(tick, ${PERIOD_MS} - busy);
    }
    tick();
    // Gone with the bench even if it was killed.
    const parent = process.ppid;
    setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 1000);
    process.on('SIGTERM', () => process.exit(0));`;
  return start('spinner', 'nice', ['-n', String(nice), process.execPath, '-e', source]);
}
