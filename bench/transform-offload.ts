// Runs on the bench orchestrator (main thread of its own process). Large JSON body edits and the
// latency of small requests on the same worker (issue 16: "a 5 MB transform does not stall the
// worker"; goal: p99 of small requests while large transforms run <= 2x p99 without them).
//
// 1. Micro figures, in this process: the cost of editing a JSON body inline at several sizes, and
//    the round trip of the same edit on a piscina thread owned by this thread (one MessagePort hop,
//    the body transferred) vs through a relay thread first (two hops, as sending the body to the
//    primary's pool would be) — the figures behind workers/transform/json-pool.ts's threshold and
//    placement.
// 2. End to end: one Sluice, 1 worker, two request-transformer routes: /small (GET, header edits)
//    and /big (POST, JSON body edits). wrk loads /small alone, then again while `--big-clients`
//    clients POST a 5 MB JSON body to /big back to back; p99 of /small in both runs, and the ratio.
// Bounded: `--duration` seconds per run (default 10), every process stopped by pid.
import { once } from 'node:events';
import { request as httpRequest, Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { editJson, type JsonEdits } from '../workers/transform/json-body.ts';
import { freePorts } from './harness/net.ts';
import { stop } from './harness/proc.ts';
import { describeBackground } from './harness/report/machine.ts';
import { wrkDriver } from './harness/load/load.ts';
import { startSluice } from './harness/targets/sluice.ts';
import { startUpstream } from './harness/targets/upstream.ts';

const { values } = parseArgs({ options: { duration: { type: 'string' }, 'big-clients': { type: 'string' }, connections: { type: 'string' } } });
const durationS = Number(values.duration ?? '10');
const bigClients = Number(values['big-clients'] ?? '2');
const connections = Number(values.connections ?? '10');
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const edits: JsonEdits = { mode: 'request', remove: ['secret'], rename: [['old', 'new']], replace: [], add: [['added', 'yes']], append: [] };
function body(bytes: number): Buffer {
  const rows = Math.max(1, Math.floor(bytes / 64));
  const list = Array.from({ length: rows }, (_, i) => ({ id: i, name: `row-${i}`, tags: ['a', 'b'], ok: true }));
  return Buffer.from(JSON.stringify({ secret: 's', old: 1, list }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

out('# JSON body edits off the worker thread');
out(`command: node bench/transform-offload.ts ${process.argv.slice(2).join(' ')}`.trimEnd());
out(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`);
out(await describeBackground());

// 1. Micro figures.
out('\n## Inline edit vs pool round trip (median of 15, ms)');
const task = new URL('../workers/transform/json-task.ts', import.meta.url).href;
const pool = new Piscina({ filename: task, minThreads: 1, maxThreads: 1 });
// The relay: a thread with its own event loop that forwards the task to its pool and the answer back.
const relaySource = `
const { parentPort } = require('node:worker_threads');
const { Piscina } = require(${JSON.stringify(join(import.meta.dirname, '..', 'node_modules', 'piscina'))});
const pool = new Piscina({ filename: ${JSON.stringify(task)}, minThreads: 1, maxThreads: 1 });
parentPort.on('message', async ({ port, body, edits }) => {
  const out = await pool.run({ body, edits }, { transferList: [body.buffer] });
  port.postMessage(out, out === null ? [] : [out.buffer]);
});`;
const relay = new Worker(relaySource, { eval: true });
out('| body | inline edit | own pool (1 hop) | via a relay thread (2 hops) |');
out('|---|---|---|---|');
for (const size of [16 * 1024, 128 * 1024, 1024 * 1024, 5 * 1024 * 1024]) {
  const b = body(size);
  const inline: number[] = [];
  const own: number[] = [];
  const relayed: number[] = [];
  for (let i = 0; i < 15; i++) {
    let t = performance.now();
    editJson(b, edits);
    inline.push(performance.now() - t);
    const copy = new Uint8Array(b);
    t = performance.now();
    await pool.run({ body: copy, edits }, { transferList: [copy.buffer] });
    own.push(performance.now() - t);
    const copy2 = new Uint8Array(b);
    const { port1, port2 } = new MessageChannel();
    t = performance.now();
    relay.postMessage({ port: port2, body: copy2, edits }, [port2, copy2.buffer]);
    await once(port1, 'message');
    relayed.push(performance.now() - t);
    port1.close();
  }
  out(`| ${(b.length / 1024).toFixed(0)} KiB | ${median(inline).toFixed(2)} | ${median(own).toFixed(2)} | ${median(relayed).toFixed(2)} |`);
}
await pool.destroy();
await relay.terminate();

// 2. End to end.
out(`\n## p99 of small requests on one worker, alone and while ${bigClients} clients send 5 MB JSON bodies to edit`);
const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-transform-'));
const [upstreamPort] = await freePorts(1);
// node:http, not nginx: nginx refuses bodies over its 1 MB client_max_body_size (413).
const upstream = await startUpstream('node', [upstreamPort!], tmpDir);
process.once('exit', () => void upstream.child.proc.kill());
const config = {
  _format_version: '3.0',
  services: [
    {
      name: 'bench',
      url: `http://127.0.0.1:${upstreamPort}`,
      routes: [
        { name: 'small', paths: ['/small'], plugins: [{ name: 'request-transformer', config: { add: { headers: ['x-added:yes'] } } }] },
        { name: 'big', paths: ['/big'], plugins: [{ name: 'request-transformer', config: { remove: { body: ['secret'] }, rename: { body: ['old:new'] }, add: { body: ['added:yes'] } } }] },
      ],
    },
  ],
};
const sluice = await startSluice({ name: 'sluice-offload', workers: 1, config, tmpDir, readyTimeoutMs: 180_000 }).catch(async (err: unknown) => {
  await stop(upstream.child);
  throw err;
});
const big = body(5 * 1024 * 1024);
let bigDone = 0;
let bigFailed = 0;
let running = false;
const agent = new Agent({ keepAlive: true, maxSockets: bigClients });
async function bigLoop(): Promise<void> {
  while (running) {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${sluice.proxyUrl}/big`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(big.length) } }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) bigDone++;
          else bigFailed++;
          resolve();
        });
      });
      req.on('error', () => {
        bigFailed++;
        resolve();
      });
      req.end(big);
    });
  }
}
try {
  await wrkDriver.run({ url: `${sluice.proxyUrl}/small`, durationS: 2, connections });
  const alone = await wrkDriver.run({ url: `${sluice.proxyUrl}/small`, durationS, connections });
  running = true;
  const loops = Array.from({ length: bigClients }, () => bigLoop());
  const loaded = await wrkDriver.run({ url: `${sluice.proxyUrl}/small`, durationS, connections });
  running = false;
  await Promise.all(loops);
  out(`| run | small req/s | small p50 ms | small p99 ms | 5 MB edits done | failed |`);
  out('|---|---|---|---|---|---|');
  out(`| alone | ${alone.rps.toFixed(0)} | ${alone.p50Ms.toFixed(2)} | ${alone.p99Ms.toFixed(2)} | — | — |`);
  out(`| with large edits | ${loaded.rps.toFixed(0)} | ${loaded.p50Ms.toFixed(2)} | ${loaded.p99Ms.toFixed(2)} | ${bigDone} | ${bigFailed} |`);
  const ratio = loaded.p99Ms / alone.p99Ms;
  out(`\np99 with large edits / p99 alone: ${ratio.toFixed(2)}x (goal <= 2x: ${ratio <= 2 ? 'met' : 'missed'})`);
} finally {
  agent.destroy();
  await stop(sluice.child);
  await stop(upstream.child);
}
