// k6: steady proxying through Sluice, no plugins (route "open" of sluice.yaml, any path).
// Constant arrival rate, so latency is measured at a known load rather than at saturation.
//   k6 run -e PROXY_URL=http://127.0.0.1:8000 -e RATE=2000 -e DURATION=1m bench/k6/steady.ts
import http from 'k6/http';
import { check } from 'k6';
import type { Options } from 'k6/options';
import { DURATION, P99_MS, PROXY_URL, RATE } from './env.ts';

export const options: Options = {
  scenarios: {
    steady: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_duration: [`p(99)<${P99_MS}`],
    http_req_failed: ['rate<0.001'],
    // Arrivals k6 could not start because all VUs were busy: the gateway could not keep up.
    dropped_iterations: ['count<1'],
  },
};

export default function (): void {
  const res = http.get(`${PROXY_URL}/steady`);
  check(res, { 'status is 200': (r) => r.status === 200 });
}
