// k6: target churn under load. Two scenarios run together:
//   traffic      constant-arrival GETs through the proxy (route "churn" of sluice.yaml)
//   reconfigure  10×/s POST ${ADMIN_URL}/config?wait=1 with a config in which only the target of
//                upstream "churn-upstream" changes, alternating between TARGET_A and TARGET_B
//                (two addresses of the same upstream, so traffic must not notice)
// Thresholds are per scenario: the traffic's p(99) and error rate must hold while reconfiguring.
//   k6 run -e PROXY_URL=... -e ADMIN_URL=... -e TARGET_A=127.0.0.1:9000 -e TARGET_B=127.0.0.1:9001 bench/k6/churn.ts
// Note: the POSTed config replaces the whole config, so it carries every entity of sluice.yaml
// (built below) — only the churn target differs between two posts.
import http from 'k6/http';
import { check } from 'k6';
import exec from 'k6/execution';
import { Trend } from 'k6/metrics';
import type { Options } from 'k6/options';
import { ADMIN_URL, API_KEY, DURATION, P99_MS, PROXY_URL, env, envNumber, trafficScenario } from './env.ts';

const TARGET_A = env('TARGET_A', '127.0.0.1:9000');
const TARGET_B = env('TARGET_B', '127.0.0.1:9001');
const UPSTREAM_URL = env('UPSTREAM_URL', `http://${TARGET_A}`);
const RECONFIGS_PER_SECOND = envNumber('RECONFIGS_PER_SECOND', 10);

/** POST /config?wait=1 round trip: until every worker applied the new config. */
const converge = new Trend('reconfigure_converge', true);

export const options: Options = {
  scenarios: {
    traffic: trafficScenario('traffic'),
    reconfigure: {
      executor: 'constant-arrival-rate',
      exec: 'reconfigure',
      rate: RECONFIGS_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 5,
      maxVUs: 20,
    },
  },
  thresholds: {
    'http_req_duration{scenario:traffic}': [`p(99)<${P99_MS}`],
    'http_req_failed{scenario:traffic}': ['rate<0.001'],
    'http_req_failed{scenario:reconfigure}': ['rate<0.01'],
    reconfigure_converge: ['p(99)<1000'],
  },
};

/** The whole of sluice.yaml as JSON, with the churn upstream's one target set to `target`. */
function config(target: string): string {
  return JSON.stringify({
    _format_version: '3.0',
    services: [
      {
        name: 'echo',
        url: UPSTREAM_URL,
        routes: [
          { name: 'open', paths: ['/'] },
          {
            name: 'limited',
            paths: ['/limited'],
            plugins: [
              { name: 'key-auth', config: { key_names: ['apikey'] } },
              { name: 'rate-limiting', config: { second: 1000, policy: 'local' } },
            ],
          },
        ],
      },
      { name: 'churn', url: 'http://churn-upstream', routes: [{ name: 'churn', paths: ['/churn'] }] },
    ],
    upstreams: [{ name: 'churn-upstream', targets: [{ target, weight: 100 }] }],
    consumers: [{ username: 'k6', keyauth_credentials: [{ key: API_KEY }] }],
  });
}

const configs = [config(TARGET_A), config(TARGET_B)];
const adminParams = {
  headers: { 'content-type': 'application/json' },
  responseCallback: http.expectedStatuses(201),
  timeout: '5s',
};

export function traffic(): void {
  const res = http.get(`${PROXY_URL}/churn`);
  check(res, { 'traffic: status is 200': (r) => r.status === 200 });
}

export function reconfigure(): void {
  // Alternate A, B, A, ... across all iterations of this scenario, whichever VU runs them.
  const body = configs[exec.scenario.iterationInTest % 2] ?? '';
  const res = http.post(`${ADMIN_URL}/config?wait=1`, body, adminParams);
  converge.add(res.timings.duration);
  check(res, { 'reconfigure: status is 201': (r) => r.status === 201 });
}
