// Shared by the k6 scripts (runs inside k6, not Node): target URLs and knobs from __ENV.
//   PROXY_URL  Sluice proxy listener   (default http://127.0.0.1:8000)
//   ADMIN_URL  Sluice Admin API        (default http://127.0.0.1:8001)
//   API_KEY    key-auth key            (default k6-key, as in bench/k6/sluice.yaml)
import type { ConstantArrivalRateScenario } from 'k6/options';

export function env(name: string, fallback: string): string {
  const value = __ENV[name];
  return value === undefined || value === '' ? fallback : value;
}

export function envNumber(name: string, fallback: number): number {
  const value = Number(env(name, String(fallback)));
  if (!Number.isFinite(value)) throw new Error(`${name} must be a number`);
  return value;
}

export const PROXY_URL = env('PROXY_URL', 'http://127.0.0.1:8000').replace(/\/$/, '');
export const ADMIN_URL = env('ADMIN_URL', 'http://127.0.0.1:8001').replace(/\/$/, '');
export const API_KEY = env('API_KEY', 'k6-key');
/** Length of the measured scenarios, e.g. 30s, 2m. */
export const DURATION = env('DURATION', '30s');
/** Requests per second of the constant-arrival traffic. */
export const RATE = envNumber('RATE', 1000);
/** Threshold: p(99) of http_req_duration must stay under this many ms. */
export const P99_MS = envNumber('P99_MS', 50);

/** The constant-arrival traffic every script drives: RATE requests/s for DURATION through `exec`. */
export function trafficScenario(exec: string): ConstantArrivalRateScenario {
  return { executor: 'constant-arrival-rate', exec, rate: RATE, timeUnit: '1s', duration: DURATION, preAllocatedVUs: 50, maxVUs: 500 };
}
