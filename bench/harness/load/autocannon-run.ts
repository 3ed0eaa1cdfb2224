// Its own process, started by load.ts when wrk is absent (and for fixed-rate load, which wrk
// cannot do). autocannon's programmatic API runs here rather than in the orchestrator so that the
// orchestrator's own work (Admin API calls, child output) never shares an event loop with the
// measurement. Usage: node autocannon-run.ts '<json LoadSpec>'; prints one JSON line of results.
import autocannon from 'autocannon';
import { exitWithParent } from '../proc.ts';

interface Spec {
  url: string;
  durationS: number;
  connections: number;
  headers?: Record<string, string>;
  rate?: number;
}

exitWithParent();
const spec = JSON.parse(process.argv[2] ?? '{}') as Spec;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationS,
  headers: spec.headers ?? {},
  timeout: 5,
  ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
});
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    socketErrors: result.errors + result.timeouts,
  })}\n`,
);
