// Runs on the bench orchestrator. An outside CPU load with no Sluice work in it: a process that
// keeps one core busy `duty` of the time (busy, then idle, in periods of `periodMs`, 10 ms unless
// said) at a given nice value — the floor of what a busy core alone does to another process's
// latency on this machine.
import { start, type Child } from '../proc.ts';

export function startSpinner(duty: number, nice: number, periodMs = 10): Child {
  const busyMs = Math.max(0, Math.min(1, duty)) * periodMs;
  const source = `
    const busy = ${busyMs};
    function tick() {
      const end = performance.now() + busy;
      while (performance.now() < end);
      if (busy >= ${periodMs}) setImmediate(tick);
      else setTimeout(tick, ${periodMs} - busy);
    }
    tick();
    // Gone with the bench even if it was killed.
    const parent = process.ppid;
    setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 1000);
    process.on('SIGTERM', () => process.exit(0));`;
  return start('spinner', 'nice', ['-n', String(nice), process.execPath, '-e', source]);
}
