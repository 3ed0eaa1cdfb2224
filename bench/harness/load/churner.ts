// Its own process, started by the churn scenario (harness/scenarios/churn.ts) for each phase with
// changes: the Admin API client. Posts prepared config bodies to `<url>/config?wait=1` on a fixed
// schedule and prints one JSON line of what happened. In a process of its own (as the load
// generator is) so that its work — sending 1 MB and reading a 6 MB answer per change at 10k routes
// — can run at a chosen nice value, as a client elsewhere would not take these cores at all, and so
// that it never shares an event loop with the orchestrator.
// Usage: node churner.ts '<json ChurnerSpec>'.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { exitWithParent } from '../proc.ts';
import { rejection, type ConfigAnswer } from '../targets/sluice.ts';

export interface ChurnerSpec {
  /** Where POST /config?wait=1 goes: Sluice's Admin API or the byte sink. */
  url: string;
  /** The bodies, one JSON text a line, posted in order. */
  bodiesFile: string;
  /** Start the schedule at this Date.now() (the orchestrator starts the load then too). */
  startAt: number;
  durationMs: number;
  perSecond: number;
  /** POSTs in flight at most; a tick that finds this many is skipped. */
  maxOutstanding: number;
  timeoutMs: number;
}

export interface ChurnerResult {
  attempted: number;
  ok: number;
  errors: number;
  /** Ticks of the schedule skipped: `maxOutstanding` POSTs in flight, or passed while this process was late. */
  skipped: number;
  /** POST /config?wait=1 round trips, as the client sees them. */
  latenciesMs: number[];
  /** `converged_ms` of the answers: Sluice's own time from accepting to every worker applied. */
  convergedMs: number[];
  firstError: string | null;
}

/**
 * POST /config?wait=1 with `text`; the whole answer is read (the round trip ends there), but of a
 * 201 only its end is decoded: Sluice's figures close the object, and decoding and parsing Kong's
 * 201 body (every entity: 6 MB at 10k routes) is no part of what a change costs the gateway.
 */
async function postBody(url: string, text: string, timeoutMs: number): Promise<ConfigAnswer> {
  const t0 = performance.now();
  const res = await fetch(`${url}/config?wait=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text, signal: AbortSignal.timeout(timeoutMs) });
  const bytes = Buffer.from(await res.arrayBuffer());
  const ms = performance.now() - t0;
  const body = res.status === 201 ? bytes.toString('utf8', Math.max(0, bytes.length - 4096)) : bytes.toString('utf8');
  return { status: res.status, body, ms };
}

/** `converged_ms` from the end of a POST answer (the whole body, or its last bytes). */
function convergedMs(body: string): number | null {
  const match = /"converged_ms":\s*([0-9.]+)/.exec(body);
  return match === null ? null : Number(match[1]);
}

async function postOne(spec: ChurnerSpec, text: string, result: ChurnerResult): Promise<void> {
  try {
    const answer = await postBody(spec.url, text, spec.timeoutMs);
    const refused = rejection(answer);
    if (refused === null) {
      result.ok += 1;
      const converged = convergedMs(answer.body);
      if (converged !== null) result.convergedMs.push(converged);
    } else {
      result.errors += 1;
      result.firstError ??= refused;
    }
    result.latenciesMs.push(answer.ms);
  } catch (err) {
    result.errors += 1;
    result.firstError ??= (err as Error).message;
  }
}

/**
 * One POST per tick of a 1/perSecond s schedule, in order, at most `maxOutstanding` in flight; a
 * tick that finds them all in flight, or that passed while this process was late, is skipped
 * (never a burst to catch up).
 */
async function churn(spec: ChurnerSpec, bodies: readonly string[]): Promise<ChurnerResult> {
  const result: ChurnerResult = { attempted: 0, ok: 0, errors: 0, skipped: 0, latenciesMs: [], convergedMs: [], firstError: null };
  const period = 1000 / spec.perSecond;
  const ticks = Math.floor(spec.durationMs / period);
  await sleep(Math.max(0, spec.startAt - Date.now()));
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let tick = 0; tick < ticks; tick += 1) {
    const wait = started + tick * period - performance.now();
    if (wait > 0) await sleep(wait);
    const due = Math.floor((performance.now() - started) / period);
    if (due > tick) {
      // Woken late past whole ticks: they are gone, as a client on a timer would lose them.
      result.skipped += Math.min(due, ticks) - tick;
      tick = due - 1;
      continue;
    }
    const text = bodies[result.attempted];
    if (text === undefined) break;
    if (inFlight.size >= spec.maxOutstanding) {
      result.skipped += 1;
      continue;
    }
    result.attempted += 1;
    const post: Promise<void> = postOne(spec, text, result).finally(() => inFlight.delete(post));
    inFlight.add(post);
  }
  await Promise.all(inFlight);
  return result;
}

exitWithParent();
const spec = JSON.parse(process.argv[2] ?? '{}') as ChurnerSpec;
const bodies = readFileSync(spec.bodiesFile, 'utf8').split('\n').filter((line) => line !== '');
process.stdout.write('{"ready":true}\n');
process.stdout.write(`${JSON.stringify(await churn(spec, bodies))}\n`);
