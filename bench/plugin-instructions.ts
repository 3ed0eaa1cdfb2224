// Instructions per request of each auth and traffic plugin alone vs the same request without
// plugins, counted by valgrind's callgrind: a count that does not move with what else the machine
// runs, where req/s and CPU time on this shared 2-core box move 10–15 points between runs.
//
// Each case gets its own Sluice (1 worker) under callgrind, with the auth or traffic scenario's
// config and requests (harness/scenarios/auth-plugins.ts, traffic-plugins.ts). This process, not
// instrumented, sends keep-alive requests one at a time:
//   start-up and a warm-up of W requests run uninstrumented (--instr-atstart=no: 3× faster start);
//   instrumentation on, a few requests, dump; N1 requests, dump; N2 requests, dump.
// Per request = (I(N2) − I(N1)) / (N2 − N1) of the worker thread (the thread busiest in the
// interval; --separate-threads=yes), so what an interval costs whatever its length cancels. The same
// figure over all threads (V8's GC and compiler helpers, the primary) is printed beside it.
// V8 writes and rewrites machine code in anonymous memory: --smc-check=all-non-file makes valgrind
// notice. Sluice starts with the V8 flags runtime/index.js would add, given here so that it does not
// re-exec itself (valgrind would lose it).
// Run: node bench/plugin-instructions.ts [--only NAMES] [--warmup W] [--requests N1,N2]
//        [--parallel P] [--repeat K] [--lock FILE] [--keep DIR]
// (--lock: each batch of P processes holds FILE with flock; --keep: leave the dump files in DIR,
// one folder per case, for callgrind_annotate; --sluice-node-args=--perf-basic-prof names JIT code
// in /tmp/perf-<pid>.map)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { byThread, busiestThread, parseDumpHeader, perRequest, spreadPct, type ThreadDump } from './harness/report/callgrind.ts';
import { describeBackground } from './harness/report/machine.ts';
import { fmtInt, table } from './harness/report/report.ts';
import { HOST, freePorts } from './harness/net.ts';
import { installCleanupHandlers, start, stop, stopAll, waitForLine, type Child } from './harness/proc.ts';
import { authBench } from './harness/scenarios/auth-plugins.ts';
import { trafficBench } from './harness/scenarios/traffic-plugins.ts';
import { REPO_ROOT } from './harness/targets/sluice.ts';
import { startUpstream } from './harness/targets/upstream.ts';
import { nginxVersion } from './harness/targets/nginx.ts';

const GOAL_MAX_COST_PCT = 10;
/** runtime/index.js's V8_FLAGS. */
const SLUICE_V8_FLAGS = ['--max-semi-space-size=16', '--min-semi-space-size=16', '--max-old-space-size=1024'];
const SETTLE_REQUESTS = 100;

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    warmup: { type: 'string', default: '5000' },
    requests: { type: 'string', default: '1000,3000' },
    parallel: { type: 'string', default: '2' },
    repeat: { type: 'string', default: '2' },
    lock: { type: 'string' },
    keep: { type: 'string' },
    'sluice-node-args': { type: 'string' },
  },
});
const WARMUP = Number(values.warmup);
const [N1 = NaN, N2 = NaN] = values.requests.split(',').map(Number);
const PARALLEL = Math.max(1, Number(values.parallel));
const REPEAT = Math.max(1, Number(values.repeat));
if (!(N1 > 0 && N2 > N1) || !(WARMUP >= 0)) throw new Error('--requests N1,N2 with 0 < N1 < N2; --warmup W ≥ 0');

interface Case {
  name: string;
  /** The no-plugin case this one is judged against; null for a no-plugin case. */
  control: string | null;
  config: unknown;
  path: string;
  headers: Record<string, string>;
  /** Answers without the upstream (redirect): printed, not judged. */
  answersItself?: boolean;
  /** Which run of a repeated case (1-based). */
  run: number;
}

interface Measured {
  worker: number;
  all: number;
  threads: number;
  seconds: number;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const log = (line: string): void => void process.stderr.write(`${line}\n`);

const tmpDir = values.keep === undefined ? mkdtempSync(join(tmpdir(), 'sluice-instr-')) : values.keep;
mkdirSync(tmpDir, { recursive: true });
const removeTmp = (): void => {
  if (values.keep === undefined) rmSync(tmpDir, { recursive: true, force: true });
};
installCleanupHandlers(removeTmp);

const upstreamPorts = await freePorts(2);
const upstream = await startUpstream(nginxVersion() === null ? 'node' : 'nginx', upstreamPorts, tmpDir);
const upstreamUrl = `http://${HOST}:${upstreamPorts[0]}`;

function buildCases(): Case[] {
  const auth = authBench(upstreamUrl);
  const traffic = trafficBench(upstreamUrl);
  const cases: Case[] = [];
  // One no-plugin case per distinct credential header set (key-auth and acl share one), as the
  // auth scenario: the credential header's own bytes are not charged to the plugin.
  const controlOf = new Map<string, string>();
  for (const c of auth.cases) {
    const key = JSON.stringify(c.headers);
    if (!controlOf.has(key)) {
      controlOf.set(key, `no plugins, ${c.name}'s headers`);
      cases.push({ name: `no plugins, ${c.name}'s headers`, control: null, config: auth.config, path: '/none', headers: c.headers, run: 1 });
    }
    cases.push({ name: c.name, control: controlOf.get(key) ?? null, config: auth.config, path: c.path, headers: c.headers, run: 1 });
  }
  const [none, ...rest] = traffic.cases;
  if (none === undefined) throw new Error('the traffic scenario has no cases');
  const trafficControl = `no plugins, traffic headers`;
  cases.push({ name: trafficControl, control: null, config: traffic.config, path: none.path, headers: none.headers, run: 1 });
  for (const c of rest) cases.push({ name: c.name, control: trafficControl, config: traffic.config, path: c.path, headers: c.headers, answersItself: c.answersItself, run: 1 });
  const only = values.only?.split(',').map((s) => s.trim().toLowerCase());
  const picked = only === undefined ? cases : cases.filter((c) => only.some((o) => c.name.toLowerCase().includes(o)));
  // The first no-plugin case runs REPEAT times, in separate processes: its spread says how
  // repeatable the count is (the others, the same route with other headers, are a second check).
  const baseline = picked.find((c) => c.control === null);
  return picked.flatMap((c) => (c === baseline ? Array.from({ length: REPEAT }, (_, i) => ({ ...c, run: i + 1 })) : [c]));
}

/**
 * Holds `file` with flock(1), as `flock FILE cmd` would, until the returned function is called.
 * The shell takes the lock on a descriptor and then becomes `sleep` (same pid), so stopping that
 * one pid releases it.
 */
async function holdLock(file: string): Promise<() => Promise<void>> {
  const holder = start('lock', 'sh', ['-c', 'exec 9>>"$0" && flock 9 && echo held && exec sleep 86400', file], { graceMs: 1000 });
  await waitForLine(holder, (l) => l === 'held', 24 * 3600_000);
  return () => stop(holder);
}

function get(port: number, agent: Agent, c: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, path: c.path, agent, headers: c.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function drive(port: number, agent: Agent, c: Case, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const status = await get(port, agent, c);
    const ok = c.answersItself === true ? status >= 300 && status < 400 : status === 200;
    if (!ok) throw new Error(`${c.name}: ${c.path} answered ${status}`);
  }
}

function callgrindControl(pid: number, args: string[]): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore', timeout: 120_000 });
}

function readDumps(dir: string): ThreadDump[] {
  const dumps: ThreadDump[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.startsWith('cg.out.')) continue;
    const d = parseDumpHeader(readFileSync(join(dir, f), 'utf8'));
    if (d !== null) dumps.push(d);
  }
  return dumps;
}

async function measure(c: Case, index: number): Promise<Measured> {
  const dir = join(tmpDir, `case-${index}-${c.name.replace(/[^a-z0-9]+/gi, '-')}${c.run > 1 ? `-run${c.run}` : ''}`);
  mkdirSync(dir);
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(c.config));
  const [port = 0, adminPort = 0] = await freePorts(2);
  const args = [
    '--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', '--smc-check=all-non-file',
    `--callgrind-out-file=${join(dir, 'cg.out')}`,
    process.execPath, ...SLUICE_V8_FLAGS, ...(values['sluice-node-args'] ?? '').split(/\s+/).filter((a) => a !== ''), 'runtime', '--config', configFile, '--host', HOST, '--port', String(port),
    '--workers', '1', '--admin-listen', `${HOST}:${adminPort}`,
  ];
  const child: Child = start(`sluice-callgrind-${index}`, 'valgrind', args, { cwd: REPO_ROOT, graceMs: 60_000 });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await waitForLine(child, (l) => l.includes('"msg":"sluice ready"'), 600_000);
    await drive(port, agent, c, WARMUP);
    callgrindControl(child.pid, ['-i', 'on']);
    await drive(port, agent, c, SETTLE_REQUESTS);
    callgrindControl(child.pid, ['-d']);
    const t0 = performance.now();
    await drive(port, agent, c, N1);
    callgrindControl(child.pid, ['-d']);
    await drive(port, agent, c, N2);
    callgrindControl(child.pid, ['-d']);
    const seconds = (performance.now() - t0) / 1000;
    const dumps = readDumps(dir);
    const a = byThread(dumps, 2);
    const b = byThread(dumps, 3);
    const worker = busiestThread(b);
    if (busiestThread(a) !== worker) throw new Error(`${c.name}: the busiest thread differs between the two intervals`);
    const sum = (m: Map<number, number>): number => [...m.values()].reduce((s, v) => s + v, 0);
    return {
      worker: perRequest({ requests: N1, instructions: a.get(worker) ?? 0 }, { requests: N2, instructions: b.get(worker) ?? 0 }),
      all: perRequest({ requests: N1, instructions: sum(a) }, { requests: N2, instructions: sum(b) }),
      threads: b.size,
      seconds,
    };
  } finally {
    agent.destroy();
    await stop(child);
  }
}

const cases = buildCases();
out('# Plugin cost in instructions per request (callgrind)');
out(`command:  node bench/plugin-instructions.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
out(`machine:  ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${execFileSync('valgrind', ['--version']).toString().trim()}`);
out(`date:     ${new Date().toISOString()}`);
out(`upstream: ${upstream.describe}`);
out(`method:   one Sluice (1 worker) per case under callgrind; ${WARMUP} warm-up requests uninstrumented, ${SETTLE_REQUESTS} more instrumented, then ` +
  `intervals of ${N1} and ${N2} keep-alive requests (one at a time); per request = (I(${N2}) − I(${N1})) / ${N2 - N1}`);
out(await describeBackground());
log(`${cases.length} Sluice processes under callgrind, ${PARALLEL} at a time${values.lock === undefined ? '' : `, each batch holding ${values.lock}`}`);

const results = new Map<Case, Measured | Error>();
const started = Date.now();
try {
  for (let i = 0; i < cases.length; i += PARALLEL) {
    const batch = cases.slice(i, i + PARALLEL);
    const release = values.lock === undefined ? async (): Promise<void> => {} : await holdLock(values.lock);
    try {
      await Promise.all(batch.map(async (c, j) => {
        const t = Date.now();
        try {
          results.set(c, await measure(c, i + j));
        } catch (err) {
          results.set(c, err instanceof Error ? err : new Error(String(err)));
        }
        log(`${c.name}${c.run > 1 ? ` (run ${c.run})` : ''}: ${Math.round((Date.now() - t) / 1000)} s`);
      }));
    } finally {
      await release();
    }
  }
} finally {
  await stopAll();
}

/** Worker-thread figures of a no-plugin case: its runs' mean, used as the control. */
function controlFigure(name: string, pick: (m: Measured) => number): number {
  const runs = cases.filter((c) => c.name === name).map((c) => results.get(c)).filter((m): m is Measured => m !== undefined && !(m instanceof Error));
  return runs.length === 0 ? NaN : runs.reduce((s, m) => s + pick(m), 0) / runs.length;
}

const rows: string[][] = [];
for (const c of cases) {
  const m = results.get(c);
  const name = c.run > 1 ? `${c.name} (run ${c.run})` : c.name;
  if (m === undefined || m instanceof Error) {
    rows.push([name, `failed: ${m?.message.split('\n')[0] ?? 'not run'}`, '', '', '', '', '']);
    continue;
  }
  const ratio = c.control === null ? NaN : m.worker / controlFigure(c.control, (x) => x.worker);
  const ratioAll = c.control === null ? NaN : m.all / controlFigure(c.control, (x) => x.all);
  const cost = (ratio - 1) * 100;
  const verdict = c.control === null ? '' : c.answersItself === true ? 'n/a (answers itself)' : !Number.isFinite(cost) ? 'no control' : cost <= GOAL_MAX_COST_PCT ? 'met' : 'missed';
  rows.push([
    name,
    fmtInt(m.worker),
    Number.isFinite(ratio) ? `${ratio.toFixed(3)} (${cost >= 0 ? '+' : ''}${cost.toFixed(1)} %)` : '',
    fmtInt(m.all),
    Number.isFinite(ratioAll) ? ratioAll.toFixed(3) : '',
    `${m.seconds.toFixed(0)} s`,
    verdict,
  ]);
}
out('');
out(table(['case', 'worker instr/req', 'vs its no-plugin case', 'all threads instr/req', 'vs', 'measured for', `goal ≤ ${GOAL_MAX_COST_PCT} %`], rows));
out('');
for (const name of new Set(cases.filter((c) => c.control === null).map((c) => c.name))) {
  const runs = cases.filter((c) => c.name === name).map((c) => results.get(c)).filter((m): m is Measured => m !== undefined && !(m instanceof Error));
  if (runs.length < 2) continue;
  out(`repeat spread, ${name}: worker ${spreadPct(runs.map((m) => m.worker)).toFixed(2)} %, all threads ${spreadPct(runs.map((m) => m.all)).toFixed(2)} % over ${runs.length} processes ((max − min) / mean)`);
}
out(`\nfinished in ${Math.round((Date.now() - started) / 1000)} s`);
removeTmp();
