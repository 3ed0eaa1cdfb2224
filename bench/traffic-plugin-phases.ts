// Traffic plugins' own per-request cost, in process: each plugin's phases (access, header_filter,
// log) run on real RequestContexts (the worker's Http1Request, parsed headers as wrk sends them)
// for requests that pass, timed against the same loop without the plugin (the harness:
// bench/harness/plugin-phases.ts). It isolates what the plugin code costs from the load-test noise
// of a shared machine; what it leaves out is the cost every plugin shares (the phase runner, the
// proxy's non-fast path for routes with plugins).
// Run: node bench/traffic-plugin-phases.ts [--baseline-us N] [--requests N]  (N: the proxy's CPU µs
// per request without plugins, from `node bench/run.ts --scenario traffic`, to print each cost as a
// share of it)
import { parseArgs } from 'node:util';
import { closeHarness, measureCases, prepareCase, resultRow, type PhaseCase } from './harness/plugin-phases.ts';
import { table } from './harness/report/report.ts';

const { values } = parseArgs({ options: { 'baseline-us': { type: 'string' }, requests: { type: 'string' } } });
const BASELINE_US = values['baseline-us'] === undefined ? null : Number(values['baseline-us']);
const REQUESTS = Number(values.requests ?? 200_000);
const ROUNDS = 7;

const CASES: PhaseCase[] = [
  { name: 'cors (regex origin)', plugins: [{ name: 'cors', config: { origins: ['http://app.example', String.raw`https://.*\.bench\.example`], credentials: true, exposed_headers: ['X-Trace'] } }], headers: ['Origin', 'https://a.bench.example'] },
  { name: 'ip-restriction', plugins: [{ name: 'ip-restriction', config: { deny: ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32'], allow: ['127.0.0.0/8', '::1'] } }], headers: [] },
  { name: 'bot-detection', plugins: [{ name: 'bot-detection' }], headers: [] },
  { name: 'request-size-limiting', plugins: [{ name: 'request-size-limiting', config: { allowed_payload_size: 1 } }], headers: [] },
  { name: 'response-ratelimiting', plugins: [{ name: 'response-ratelimiting', config: { limits: { video: { second: 1e9, day: 1e12 } }, limit_by: 'ip' } }], headers: [] },
];

const { results, baseNs } = measureCases(CASES.map((c) => prepareCase(c)), { requests: REQUESTS, rounds: ROUNDS, head: false });
process.stdout.write(`traffic plugin phases: ${REQUESTS} requests × ${ROUNDS} rounds per plugin, Node ${process.version}; loop without a plugin: ${Math.round(baseNs)} ns/request\n\n`);
process.stdout.write(`${table(['plugin (access + header_filter + log)', 'added ns/request (median)', 'min..max', `share of ${BASELINE_US ?? '?'} µs CPU/request without plugins`], results.map((r) => resultRow(r, BASELINE_US)))}\n`);
closeHarness();
