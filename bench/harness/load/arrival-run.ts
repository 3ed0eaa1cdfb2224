// Its own process, started by arrival.ts: GET requests at a constant arrival rate (an open loop,
// as k6's constant-arrival-rate executor or wrk2), over a pool of keep-alive connections opened
// up front. Request i is due at start + i / rate whatever happened to the ones before; when no
// connection is free it waits for one, and its latency still counts from when it was due, so a
// stall of the server shows in the figures as every request it delayed (no coordinated
// omission). autocannon's `overallRate` is not this: each connection sends back to back until it
// has made its share of the second, then waits for the next second.
// Usage: node arrival-run.ts '<json ArrivalSpec>'; prints one JSON line of results.
import { connect, type Socket } from 'node:net';
import { exitWithParent } from '../proc.ts';
import type { ArrivalResult, ArrivalSpec } from './arrival.ts';

exitWithParent();
const spec = JSON.parse(process.argv[2] ?? '{}') as ArrivalSpec;
const url = new URL(spec.url);
const extra = Object.entries(spec.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${extra}\r\n`, 'latin1');
const HEAD_END = Buffer.from('\r\n\r\n');

/** One keep-alive connection with at most one request on it. */
class Connection {
  readonly socket: Socket;
  /** When the request on it was due and when it was written; NaN when idle. */
  dueAt = NaN;
  sentAt = NaN;
  #buffer: Buffer = Buffer.alloc(0);

  constructor(onDone: (c: Connection, status: number) => void, onFail: (c: Connection) => void) {
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      const end = this.#buffer.indexOf(HEAD_END);
      if (end < 0) return;
      const head = this.#buffer.subarray(0, end).toString('latin1');
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      // Only Content-Length answers are read (the bench upstreams send those); anything else fails.
      if (!Number.isFinite(length)) return onFail(this);
      if (this.#buffer.length < end + 4 + length) return;
      this.#buffer = this.#buffer.subarray(end + 4 + length);
      onDone(this, Number(head.slice(9, 12)));
    });
    this.socket.on('error', () => onFail(this));
    this.socket.on('close', () => onFail(this));
  }

  send(dueAt: number): void {
    this.dueAt = dueAt;
    this.sentAt = performance.now();
    this.socket.write(request);
  }
}

const latencies: number[] = [];
const service: number[] = [];
let non2xx = 0;
let socketErrors = 0;
let maxWaiting = 0;
const idle: Connection[] = [];
/** Due times of requests that found no free connection, oldest first. */
const waiting: number[] = [];
let waitingHead = 0;

function done(c: Connection, status: number): void {
  const now = performance.now();
  latencies.push(now - c.dueAt);
  service.push(now - c.sentAt);
  if (status < 200 || status > 299) non2xx++;
  c.dueAt = NaN;
  if (waitingHead < waiting.length) c.send(waiting[waitingHead++]!);
  else idle.push(c);
}

function fail(c: Connection): void {
  if (c.socket.destroyed && Number.isNaN(c.dueAt)) return;
  socketErrors++;
  c.dueAt = NaN;
  c.socket.destroy();
}

const pool = Array.from({ length: spec.connections }, () => new Connection(done, fail));
await Promise.all(pool.map((c) => new Promise((resolve) => c.socket.once('connect', resolve))));
idle.push(...pool);

const intervalMs = 1000 / spec.rate;
const start = performance.now();
const endAt = start + spec.durationS * 1000;
let issued = 0;
// A 1 ms tick sends every request that has come due since the last one (timers do not go finer).
await new Promise<void>((resolve) => {
  const tick = (): void => {
    const now = Math.min(performance.now(), endAt);
    for (; start + issued * intervalMs <= now && start + issued * intervalMs < endAt; issued++) {
      const dueAt = start + issued * intervalMs;
      const c = idle.pop();
      if (c !== undefined) c.send(dueAt);
      else waiting.push(dueAt);
    }
    maxWaiting = Math.max(maxWaiting, waiting.length - waitingHead);
    if (now >= endAt) return resolve();
    setTimeout(tick, 1);
  };
  tick();
});
// The answers still owed get a few seconds; whatever has not come by then counts as an error.
const graceUntil = performance.now() + 5000;
while (latencies.length + socketErrors < issued && performance.now() < graceUntil) await new Promise((r) => setTimeout(r, 10));
const owed = issued - latencies.length - socketErrors;
for (const c of pool) c.socket.destroy();

const sorted = (xs: number[]): number[] => xs.sort((a, b) => a - b);
const at = (xs: number[], q: number): number => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!);
sorted(latencies);
sorted(service);
const result: ArrivalResult = {
  rps: latencies.length / spec.durationS,
  p50Ms: at(latencies, 0.5),
  p99Ms: at(latencies, 0.99),
  serviceP99Ms: at(service, 0.99),
  requests: latencies.length,
  non2xx,
  socketErrors: socketErrors + Math.max(0, owed),
  maxWaiting,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
