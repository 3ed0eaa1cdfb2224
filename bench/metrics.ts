// Metrics benchmark (issue #6): what /metrics costs at 1k routes x 5 status codes of series, and
// what scraping it every second costs the proxy. About 75 s, bounded at 115 s.
//   1. starts Sluice (2 workers, a global prometheus plugin with status, latency and bandwidth
//      metrics, 1000 routes) and an upstream answering the status code named in the path;
//   2. fills the series: every route x {200, 201, 204, 404, 500}, 3 times, over 32 keep-alive
//      connections (so both workers see most of them);
//   3. times 20 scrapes of the Admin API's /metrics (size, lines) and reads what each cost the
//      workers' event loops (sluice_worker_metrics_collect_seconds);
//   4. runs autocannon (its own process, 127.0.0.1) 6 x 7 s on one route, alternating no scrape /
//      scrape every second, and prints both side by side (medians of the rounds).
// Run: node_modules/.bin/node bench/metrics.ts
// (`node bench/metrics.ts upstream PORT` is the upstream child it starts.)
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { describeBackground } from './harness/report/machine.ts';
import { HOST, freePorts } from './harness/net.ts';
import { exitWithParent, installCleanupHandlers, start, stopAll, waitForLine } from './harness/proc.ts';
import { REPO_ROOT } from './harness/targets/sluice.ts';
import type { LoadResult } from './harness/load/load.ts';

const ROUTES = 1000;
const CODES = [200, 201, 204, 404, 500];
const FILL_REPEAT = 3;
const SCRAPES = 20;
const ROUND_S = 7;
/** Alternating, so drift in the machine's background load hits both sides alike. */
const ROUNDS = ['no scrape', 'scrape every 1 s', 'no scrape', 'scrape every 1 s', 'no scrape', 'scrape every 1 s'] as const;
const CONNECTIONS = 16;
const HARD_LIMIT_MS = 115_000;

if (process.argv[2] === 'upstream') runUpstream(Number(process.argv[3]));
else await main();

/** The upstream child: answers the status code that ends the path (`/404`), a small body otherwise. */
function runUpstream(port: number): void {
  const body = Buffer.from('metrics bench upstream\n');
  createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    req.resume();
    const code = Number((req.url ?? '').slice((req.url ?? '').lastIndexOf('/') + 1)) || 200;
    res.writeHead(code, code === 204 ? {} : { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(code === 204 ? undefined : body);
  }).listen(port, HOST, () => process.stdout.write('{"ready":true}\n'));
  process.on('SIGTERM', () => process.exit(0));
  exitWithParent();
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function autocannon(url: string, durationS: number): Promise<LoadResult> {
  const spec = JSON.stringify({ url, durationS, connections: CONNECTIONS });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench/harness/load/autocannon-run.ts'), spec], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as LoadResult) : reject(new Error(`autocannon exited ${code}`))));
  });
}

async function scrapeOnce(adminUrl: string): Promise<{ ms: number; bytes: number; text: string }> {
  const started = performance.now();
  const response = await fetch(`${adminUrl}/metrics`);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return { ms: performance.now() - started, bytes: Buffer.byteLength(text), text };
}

function collectMs(text: string): number[] {
  return [...text.matchAll(/^sluice_worker_metrics_collect_seconds\{worker="\d+"\} (\S+)$/gm)].map((m) => Number(m[1]) * 1000);
}

async function main(): Promise<void> {
  const limit = setTimeout(() => {
    console.error(`bench/metrics.ts: over ${HARD_LIMIT_MS / 1000} s, giving up`);
    void stopAll().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  installCleanupHandlers(() => undefined);
  const began = performance.now();
  console.log(`# Metrics benchmark\n`);
  console.log(`Node ${process.version}, Linux ${release()}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`);
  console.log(await describeBackground());

  const [upstreamPort, proxyPort, adminPort] = await freePorts(3);
  const upstream = start('upstream', process.execPath, [join(REPO_ROOT, 'bench/metrics.ts'), 'upstream', String(upstreamPort)]);
  await waitForLine(upstream, (line) => line.includes('"ready":true'), 10_000);

  const config = {
    _format_version: '3.0',
    services: [
      {
        name: 'app',
        url: `http://${HOST}:${upstreamPort}`,
        routes: Array.from({ length: ROUTES }, (_, i) => ({ name: `route-${i}`, paths: [`/r${i}`] })),
      },
    ],
    plugins: [{ name: 'prometheus', config: { status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true } }],
  };
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-metrics-'));
  const configFile = join(dir, 'kong.json');
  writeFileSync(configFile, JSON.stringify(config));
  const sluice = start(
    'sluice',
    process.execPath,
    ['runtime', '--config', configFile, '--host', HOST, '--port', String(proxyPort), '--admin-listen', `${HOST}:${adminPort}`, '--workers', '2'],
    { cwd: REPO_ROOT, graceMs: 10_000 },
  );
  await waitForLine(sluice, (line) => line.includes('"msg":"sluice ready"'), 60_000);
  const proxyUrl = `http://${HOST}:${proxyPort}`;
  const adminUrl = `http://${HOST}:${adminPort}`;

  // Fill: every route x code, FILL_REPEAT times, 64 in flight over 32 connections.
  const fillStarted = performance.now();
  const pool = new Pool(proxyUrl, { connections: 32 });
  const paths: string[] = [];
  for (let r = 0; r < FILL_REPEAT; r++) for (let i = 0; i < ROUTES; i++) for (const code of CODES) paths.push(`/r${i}/${code}`);
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < paths.length) {
        const path = paths[next++]!;
        const { statusCode, body } = await pool.request({ path, method: 'GET' });
        await body.dump();
        if (String(statusCode) !== path.slice(path.lastIndexOf('/') + 1)) failed++;
      }
    }),
  );
  await pool.close();
  const fillS = (performance.now() - fillStarted) / 1000;
  console.log(`\nFilled ${paths.length} requests in ${fillS.toFixed(1)} s (${(paths.length / fillS).toFixed(0)} req/s), ${failed} with an unexpected status.`);

  // Scrape cost.
  await sleep(500);
  const scrapes: number[] = [];
  const collects: number[] = [];
  // The first scrape also builds each worker's packed label text (once per series, ever).
  const first = await scrapeOnce(adminUrl);
  let last = first;
  for (let i = 0; i < SCRAPES; i++) {
    last = await scrapeOnce(adminUrl);
    scrapes.push(last.ms);
    collects.push(...collectMs(last.text));
  }
  const lines = last.text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  const requestSeries = last.text.split('\n').filter((l) => l.startsWith('kong_http_requests_total{')).length;
  const countLine = /^kong_http_requests_total\{[^}]*route="route-0"[^}]*code="200"[^}]*\} (\S+)$/m.exec(last.text);
  console.log(`\n## Scrape at ${ROUTES} routes x ${CODES.length} codes\n`);
  console.log(`| figure | value |\n|---|---:|`);
  console.log(`| kong_http_requests_total series (merged) | ${requestSeries} |`);
  console.log(`| sample lines in the answer | ${lines} |`);
  console.log(`| answer size | ${(last.bytes / 1024 / 1024).toFixed(2)} MiB |`);
  console.log(`| scrape time p50 / p95 / max (${SCRAPES} more scrapes) | ${percentile(scrapes, 50).toFixed(0)} / ${percentile(scrapes, 95).toFixed(0)} / ${Math.max(...scrapes).toFixed(0)} ms |`);
  console.log(`| first scrape (series labels packed for the first time) | ${first.ms.toFixed(0)} ms, workers busy ${collectMs(first.text).map((ms) => ms.toFixed(1)).join(' / ')} ms |`);
  console.log(`| worker loop busy per scrape p50 / p95 / max (both workers) | ${percentile(collects, 50).toFixed(1)} / ${percentile(collects, 95).toFixed(1)} / ${Math.max(...collects).toFixed(1)} ms |`);
  console.log(`| route-0 code 200 count (expect ${FILL_REPEAT}) | ${countLine?.[1] ?? 'missing'} |`);

  // Throughput with and without scraping.
  const results: Array<{ round: string; result: LoadResult; scrapes: number; scrapeMs: number[] }> = [];
  for (const round of ROUNDS) {
    let scraping = round !== 'no scrape';
    const roundScrapes: number[] = [];
    const scraper = (async () => {
      await sleep(500);
      while (scraping) {
        const tick = performance.now();
        roundScrapes.push((await scrapeOnce(adminUrl)).ms);
        await sleep(Math.max(0, 1000 - (performance.now() - tick)));
      }
    })();
    const result = await autocannon(`${proxyUrl}/r0/200`, ROUND_S);
    scraping = false;
    await scraper;
    results.push({ round, result, scrapes: roundScrapes.length, scrapeMs: roundScrapes });
  }
  console.log(`\n## Proxy throughput, autocannon ${CONNECTIONS} connections, ${ROUND_S} s per round, GET /r0/200\n`);
  console.log(`| round | scrapes | req/s | p50 ms | p99 ms | non-2xx | socket errors |\n|---|---:|---:|---:|---:|---:|---:|`);
  for (const { round, result, scrapes: n } of results) {
    console.log(`| ${round} | ${n} | ${result.rps.toFixed(0)} | ${result.p50Ms} | ${result.p99Ms} | ${result.non2xx} | ${result.socketErrors} |`);
  }
  const median = (rows: typeof results, pick: (r: LoadResult) => number): number => percentile(rows.map((r) => pick(r.result)), 50);
  const off = results.filter((r) => r.round === 'no scrape');
  const on = results.filter((r) => r.round !== 'no scrape');
  console.log(`\n| side by side (median of rounds) | no scrape | scrape every 1 s | change |\n|---|---:|---:|---:|`);
  for (const [label, pick] of [['req/s', (r: LoadResult) => r.rps], ['p50 ms', (r: LoadResult) => r.p50Ms], ['p99 ms', (r: LoadResult) => r.p99Ms]] as const) {
    const a = median(off, pick);
    const b = median(on, pick);
    console.log(`| ${label} | ${a.toFixed(1)} | ${b.toFixed(1)} | ${(((b - a) / a) * 100).toFixed(1)}% |`);
  }
  const underLoad = on.flatMap((r) => r.scrapeMs);
  console.log(`\nScrapes under load: ${underLoad.length}, p50 ${percentile(underLoad, 50).toFixed(0)} ms, max ${Math.max(...underLoad).toFixed(0)} ms.`);
  console.log(`Total bench time ${((performance.now() - began) / 1000).toFixed(0)} s.`);

  clearTimeout(limit);
  await stopAll();
  process.exit(0);
}
