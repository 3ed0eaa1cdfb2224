// k6: key-auth + rate-limiting (route "limited" of sluice.yaml). Every request carries the
// `apikey` header; 200 and 429 are both expected answers (the limit is meant to be hit), so only
// other statuses count in http_req_failed. A 401 means the key was not accepted.
//   k6 run -e PROXY_URL=http://127.0.0.1:8000 -e API_KEY=k6-key -e RATE=2000 bench/k6/auth-ratelimit.ts
import http from 'k6/http';
import { check } from 'k6';
import { Rate } from 'k6/metrics';
import type { Options } from 'k6/options';
import { API_KEY, DURATION, P99_MS, PROXY_URL, RATE } from './env.ts';

http.setResponseCallback(http.expectedStatuses(200, 429));

/** Share of answers that were 429: shows the limiter engaging, not an error. */
const rateLimited = new Rate('rate_limited');

export const options: Options = {
  scenarios: {
    limited: {
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
    checks: ['rate>0.999'],
  },
};

const params = { headers: { apikey: API_KEY } };

export default function (): void {
  const res = http.get(`${PROXY_URL}/limited`, params);
  rateLimited.add(res.status === 429);
  check(res, {
    'status is 200 or 429': (r) => r.status === 200 || r.status === 429,
    'key accepted (not 401)': (r) => r.status !== 401,
  });
}
