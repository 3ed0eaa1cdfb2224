// k6: p99 of steady traffic while one-route changes arrive 10×/s on a 10,000-route table (the
// goal of bench/RESULTS.route-updates.md: p99 with changes ≤ 1.25× p99 without). Three scenarios:
//   steady         constant-arrival GETs through route `bench` of the table, nothing else;
//   changing       the same traffic, later, while
//   route_changes  POSTs `/config?wait=1` 10×/s, each moving route `changing` to a new path and host
//                  (the whole table is sent each time, as an ingress controller does).
// setup() first loads the table, so Sluice may start on any config. The summary prints both p99s
// and their ratio; the thresholds hold each p99 under P99_MS and the failures near zero.
//   k6 run -e UPSTREAM_URL=http://127.0.0.1:9000 -e ROUTES=10000 -e RATE=2000 bench/k6/route-changes.ts
// (the table: bench/harness/targets/route-table.ts; `npm run bench -- --scenario route-churn` is the
// same measurement with autocannon, paired by round.)
import http from 'k6/http';
import { check } from 'k6';
import { SharedArray } from 'k6/data';
import exec from 'k6/execution';
import type { Options } from 'k6/options';
import { routeTableConfig } from '../harness/targets/route-table.ts';
import { ADMIN_URL, DURATION, P99_MS, PROXY_URL, RATE, env, envNumber, trafficScenario } from './env.ts';

const ROUTES = envNumber('ROUTES', 10_000);
const UPSTREAM_URL = env('UPSTREAM_URL', 'http://127.0.0.1:9000');
const CHANGES_PER_SECOND = envNumber('CHANGES_PER_SECOND', 10);
/** Seconds of each phase: DURATION as k6 writes it (30s, 2m). */
const PHASE_S = durationSeconds(DURATION);

function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m)$/.exec(text);
  if (match === null) throw new Error(`DURATION must be like 30s or 2m, not ${text}`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
}


export const options: Options = {
  setupTimeout: '120s',
  summaryTrendStats: ['med', 'p(99)', 'max'],
  scenarios: {
    steady: { ...trafficScenario('traffic'), tags: { phase: 'steady' } },
    // A 5 s gap: the steady phase's last requests end before the changes start.
    changing: { ...trafficScenario('traffic'), startTime: `${PHASE_S + 5}s`, tags: { phase: 'changing' } },
    route_changes: {
      executor: 'constant-arrival-rate',
      exec: 'changeRoute',
      rate: CHANGES_PER_SECOND,
      timeUnit: '1s',
      duration: DURATION,
      startTime: `${PHASE_S + 5}s`,
      preAllocatedVUs: 4,
      maxVUs: 20,
      tags: { phase: 'changes' },
    },
  },
  thresholds: {
    'http_req_duration{phase:steady}': [`p(99)<${P99_MS}`],
    'http_req_duration{phase:changing}': [`p(99)<${P99_MS}`],
    'http_req_failed{phase:steady}': ['rate<0.001'],
    'http_req_failed{phase:changing}': ['rate<0.001'],
    'http_req_failed{phase:changes}': ['rate<0.01'],
  },
};

// The table is built once for the whole run (a SharedArray is made by the first VU's init and read
// by the others; only the changing VUs and setup() read it). A change only rewrites route
// `changing`'s path and host (`/churn/0`, `c0.example.com` in the text), so no VU rebuilds 10,000
// routes per POST.
const TABLE = new SharedArray('route table', () => [JSON.stringify(routeTableConfig(ROUTES, 0, UPSTREAM_URL))]);
function template(): string {
  return TABLE[0] as string;
}
const adminParams = { headers: { 'content-type': 'application/json' }, responseCallback: http.expectedStatuses(201), timeout: '10s' };

export function setup(): void {
  const res = http.post(`${ADMIN_URL}/config?wait=1`, template(), adminParams);
  if (res.status !== 201) throw new Error(`loading the ${ROUTES}-route table: ${res.status} ${String(res.body).slice(0, 300)}`);
}

export function traffic(): void {
  const res = http.get(`${PROXY_URL}/bench`);
  check(res, { 'traffic: status is 200': (r) => r.status === 200 });
}

export function changeRoute(): void {
  // New names every time across all VUs, so removed paths and hosts never come back.
  const n = exec.scenario.iterationInTest + 1;
  const body = template().replace('"/churn/0"', `"/churn/${n}"`).replace('"c0.example.com"', `"c${n}.example.com"`);
  const res = http.post(`${ADMIN_URL}/config?wait=1`, body, adminParams);
  check(res, { 'change: status is 201': (r) => r.status === 201 });
}

interface SummaryData {
  metrics: Record<string, { values: Record<string, number> } | undefined>;
}

export function handleSummary(data: SummaryData): Record<string, string> {
  const p99 = (phase: string): number => data.metrics[`http_req_duration{phase:${phase}}`]?.values['p(99)'] ?? NaN;
  const steady = p99('steady');
  const changing = p99('changing');
  const posts = data.metrics['http_req_duration{phase:changes}']?.values;
  const lines = [
    `route changes at ${ROUTES} routes, traffic ${RATE} req/s, ${CHANGES_PER_SECOND} changes/s, ${DURATION} per phase`,
    `  p99 steady ${steady.toFixed(2)} ms, with changes ${changing.toFixed(2)} ms: ${(changing / steady).toFixed(2)}x (goal <= 1.25x)`,
    `  POST /config?wait=1 median ${(posts?.['med'] ?? NaN).toFixed(1)} ms, p99 ${(posts?.['p(99)'] ?? NaN).toFixed(1)} ms`,
    '',
  ];
  return { stdout: lines.join('\n') };
}
